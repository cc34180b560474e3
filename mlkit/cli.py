"""The ``mlkit`` command: ``doctor``, ``selftest``, ``grade``, ``release``, ``data mnist``,
``moving-mnist``, ``upscale``.

Each subcommand is one small ``_run_<name>(args)`` function returning an exit code, plus an
optional ``_add_<name>_arguments(parser)``; it is listed once in :data:`COMMANDS`. To add a
subcommand, write those and add one line there. Exit codes: 0 ok, 1 the command failed,
2 usage error (argparse's own convention).
"""
import argparse
import dataclasses
import os
import sys
from typing import Callable, NamedTuple, Optional

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Command(NamedTuple):
    """One subcommand: its help line, how to run it, and its arguments (if any)."""
    help: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None


def _add_selftest_arguments(parser):
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per piece")
    parser.add_argument("--gpu-steps", type=int, default=20,
                        help="timed training steps per lesson on the GPU (0: no training table)")
    parser.add_argument("--cpu-steps", type=int, default=1,
                        help="timed training steps per lesson on the CPU (gpu-mode sizes are "
                             "slow there: about 45 s in all on 2 cores for 1 step)")


def _run_selftest(args):
    from mlkit.selftest import run
    rows = run(repeats=max(1, args.repeats), trainings=None if args.gpu_steps > 0 else (),
               gpu_steps=args.gpu_steps, cpu_steps=max(1, args.cpu_steps))
    return EXIT_OK if all(row["ok"] for row in rows) else EXIT_FAILED


def _run_doctor(args):
    from mlkit.doctor import report
    report()
    return EXIT_OK


DATASETS = ("mnist",)


def _add_data_arguments(parser):
    parser.add_argument("dataset", choices=DATASETS, help="the data set to download and cache")


def _run_data(args):
    from mlkit.data import load_mnist
    try:
        load_mnist(source="full")
    except Exception as error:  # most often no network; say so instead of a traceback
        print(f"mlkit data: could not get the full MNIST ({type(error).__name__}: {error}). "
              "The lessons still run on the offline 5,000-image subset.", file=sys.stderr)
        return EXIT_FAILED
    print("full MNIST is cached; `mlkit doctor` shows where.")
    return EXIT_OK


def _add_grade_arguments(parser):
    parser.add_argument("paths", nargs="*", metavar="NOTEBOOK_OR_FOLDER",
                        help="notebooks, or folders of them (default: ./lessons)")
    parser.add_argument("--csv", metavar="FILE",
                        help="write one row per submission (points per exercise, total) here")
    parser.add_argument("--lesson", type=int, help="the lesson, when a file name does not say")
    parser.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                        help="grade N notebooks at a time (default: the number of cores)")
    parser.add_argument("--shard", metavar="I/N",
                        help="grade only shard I of N (from 0) of the sorted notebooks, for a "
                             "batch scheduler's array job; join the CSVs with --merge")
    parser.add_argument("--checks", metavar="DIR",
                        help="add the hidden checks in DIR (files lessonNN*.py)")
    parser.add_argument("--merge", nargs="+", metavar="CSV",
                        help="join the CSVs of several shards into --csv FILE; grades nothing")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="grade without bubblewrap, even a folder of other people's "
                             "notebooks: their code then runs as you, with your files and "
                             "network (see README, 'What the grader guarantees')")


def _refuse_without_sandbox(args, notebooks):
    """Why grading a class's folder must not go on (a sentence), or None.

    Without the sandbox a notebook's code runs as this user, with the network, and its
    processes can outlive the run and rewrite the CSV: fine for one's own notebook (one file,
    or the default lessons/ folder), not for a folder of other people's, unless
    ``--no-sandbox`` says so. ``--no-sandbox`` also turns the sandbox off where it works."""
    from mlkit.grading import sandbox
    wanted = os.environ.get("MLKIT_SANDBOX", "auto").strip().lower()
    if args.no_sandbox:
        if wanted == "bwrap":
            return "--no-sandbox and MLKIT_SANDBOX=bwrap contradict each other"
        os.environ["MLKIT_SANDBOX"] = "none"          # the grading processes inherit it
        return None
    several = len(notebooks) > 1 or any(os.path.isdir(path) for path in args.paths)
    if not args.paths or not several:     # lessons/ by default: the learner's own notebooks
        return None
    try:
        kind, _ = sandbox.choose()
    except sandbox.SandboxUnavailable:
        return None                       # each notebook's report says why it is not graded
    if kind == "bwrap":
        return None
    why = "MLKIT_SANDBOX=none" if wanted == "none" else sandbox._bwrap_works()
    return (f"not grading {len(notebooks)} notebooks without a sandbox ({why}): their code "
            "would run as you, with your files and network; install bubblewrap (`apt-get "
            "install bubblewrap`), or pass --no-sandbox to grade them without it all the same")


def _run_merge(args):
    from mlkit.grading.report import MergeError, merge_csv
    if not args.csv:
        print("mlkit grade --merge: say where the joined CSV goes with --csv FILE",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        count = merge_csv(args.merge, args.csv)
    except MergeError as error:
        print(f"mlkit grade --merge: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {args.csv}: {count} submissions from {len(args.merge)} CSV files")
    return EXIT_OK


def _run_grade(args):
    from mlkit.grading.batch import find_notebooks, grade_many, parse_shard, take_shard
    from mlkit.grading.report import format_table, write_csv
    if args.merge:
        return _run_merge(args)
    paths = args.paths or ["lessons"]
    try:
        shard = parse_shard(args.shard) if args.shard else None
        notebooks = take_shard(find_notebooks(paths), shard)
    except (FileNotFoundError, ValueError) as error:
        print(f"mlkit grade: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("mlkit grade: -j needs a number of at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.checks and not os.path.isdir(args.checks):
        print(f"mlkit grade: --checks {args.checks}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    if not notebooks:
        where = f"shard {args.shard} of " if shard else ""
        print(f"mlkit grade: no notebooks in {where}{', '.join(paths)}", file=sys.stderr)
        return EXIT_USAGE
    refusal = _refuse_without_sandbox(args, notebooks)
    if refusal:
        print(f"mlkit grade: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    said = set()

    def show(report):
        for note in report.notes:
            if note.startswith("no sandbox") and note not in said:   # say it once
                said.add(note)
                print(f"mlkit grade: {note}", file=sys.stderr)
        report = dataclasses.replace(report, notes=[n for n in report.notes
                                                    if not n.startswith("no sandbox")])
        if args.csv:
            status = f"NOT GRADED: {report.error}" if report.error else \
                f"{report.earned:g}/{report.possible:g}"
            print(f"{report.notebook}: {status}", flush=True)
        else:
            print("\n" + format_table(report), flush=True)

    reports = grade_many(notebooks, jobs=args.jobs, lesson=args.lesson,
                         checks_dir=args.checks, on_report=show)
    if args.csv:
        write_csv(reports, args.csv)
        print(f"wrote {args.csv}: {len(reports)} submissions")
    return EXIT_FAILED if all(r.error for r in reports) else EXIT_OK


def _add_release_arguments(parser):
    parser.add_argument("--force", action="store_true",
                        help="overwrite lesson notebooks that changed since the last release")
    parser.add_argument("--course", default="course",
                        help="the folder of lesson folders (NN_name/solution.ipynb); "
                             "default: %(default)s")
    parser.add_argument("--lessons", default="lessons", help="default: %(default)s")


def _run_release(args):
    from mlkit.grading.release import ReleaseError, release
    try:
        written = release(args.course, args.lessons, force=args.force)
    except ReleaseError as error:
        print(f"mlkit release: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not written:
        print("the lesson notebooks are up to date")
    return EXIT_OK


def _add_upscale_arguments(parser):
    parser.add_argument("input", metavar="IN", help="the image to upscale (png, jpg, ...)")
    parser.add_argument("output", metavar="OUT", help="where to write the result (format from "
                        "the extension)")
    parser.add_argument("--model", metavar="FILE", help="a generator saved by "
                        "mlkit.models.srgan.save_generator (default: the shipped x2 SRResNet)")
    parser.add_argument("--scale", type=int, metavar="N", help="2 or 4 (default: the model's "
                        "own); 4 with an x2 model applies it twice")
    parser.add_argument("--tile", type=int, metavar="PIXELS", help="input pixels per tile side "
                        "(default 128 on the CPU, 512 on a GPU; smaller needs less memory)")


def _run_upscale(args):
    from mlkit.upscale import UpscaleError, upscale_file
    try:
        width, height, scale = upscale_file(args.input, args.output, args.model, args.scale,
                                            args.tile)
    except UpscaleError as error:
        print(f"mlkit upscale: {error}", file=sys.stderr)
        return error.exit_code
    print(f"wrote {args.output}: {width} x {height} (x{scale})")
    return EXIT_OK


def _add_moving_mnist_arguments(parser):
    from mlkit.data.moving_mnist import DEFAULT_DIGITS, DEFAULT_FRAMES, DEFAULT_SIZE, SPLITS
    parser.description = (
        "Write Moving MNIST sequences (Srivastava et al. 2015) to a .npy file: uint8, shape "
        "(frames, sequences, size, size) as the public mnist_test_seq.npy. The same settings "
        "and seed always give the same file.")
    parser.add_argument("--out", required=True, metavar="FILE", help="the .npy file to write")
    parser.add_argument("--sequences", required=True, type=int, metavar="N",
                        help="how many sequences")
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, metavar="T",
                        help="frames per sequence (default %(default)s)")
    parser.add_argument("--digits", type=int, default=DEFAULT_DIGITS, metavar="K",
                        help="digits per sequence (default %(default)s)")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, metavar="S",
                        help="canvas height and width in pixels (default %(default)s)")
    parser.add_argument("--step-length", type=float, metavar="L",
                        help="pixels per frame (default a tenth of the free range: 3.6 for 64)")
    parser.add_argument("--seed", type=int, default=0, metavar="X", help="default %(default)s")
    parser.add_argument("--source", metavar="IDX_GZ",
                        help="take the digits from this IDX image file instead of MNIST")
    parser.add_argument("--split", choices=SPLITS,
                        help="the MNIST split the digits come from (default train)")
    parser.add_argument("--channel-axis", action="store_true",
                        help="write (T, N, 1, H, W) instead of (T, N, H, W)")


def _os_message(error):
    """An error as one line: an ``OSError``'s reason and file, else its text."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {error.filename}" if error.filename else "")
    return str(error)


def _run_moving_mnist(args):
    """Every error is one line on stderr; no output file is left unless all of it was
    written."""
    from mlkit.data.idx import MnistFileError, read_idx
    from mlkit.data.moving_mnist import MovingMnist, MovingMnistError, check_images

    def fail(message, code):
        print(f"mlkit moving-mnist: {message}", file=sys.stderr)
        return code

    for name in ("sequences", "frames", "digits", "size"):
        value = getattr(args, name)
        if value <= 0:
            return fail(f"--{name} must be a positive number, not {value}", EXIT_USAGE)
    if args.seed < 0:
        return fail(f"--seed must be 0 or more, not {args.seed}", EXIT_USAGE)
    if args.source and args.split:
        return fail("give --source or --split, not both (--split picks the MNIST split)",
                    EXIT_USAGE)
    images = None
    if args.source:
        try:
            images = check_images(read_idx(args.source))
        except (OSError, MnistFileError, MovingMnistError) as error:
            return fail(f"cannot read digits from {args.source}: {_os_message(error)}",
                        EXIT_FAILED)
    try:
        generator = MovingMnist(images, split=args.split or "train", frames=args.frames,
                                digits=args.digits, size=args.size,
                                step_length=args.step_length)
    except MovingMnistError as error:  # the numbers given do not make sense together
        return fail(str(error), EXIT_USAGE)
    except MnistFileError as error:  # a damaged MNIST cache
        return fail(str(error), EXIT_FAILED)
    if args.source:
        generator.source = f"{args.source} ({len(images):,} images)"
    try:
        generator.save(args.out, args.sequences, args.seed, channel_axis=args.channel_axis,
                       progress=args.sequences >= 1000)
    except OSError as error:
        # strerror only: the file named in the error is the temporary file, not args.out.
        return fail(f"cannot write {args.out}: {error.strerror or error}", EXIT_FAILED)
    layout = (args.frames, args.sequences) + ((1,) if args.channel_axis else ()) \
        + generator.canvas
    print(f"wrote {args.out}: uint8 {layout}, digits from {generator.source}, seed {args.seed}")
    return EXIT_OK


COMMANDS = {
    "doctor": Command("what this machine has for the course, with advice", _run_doctor),
    "selftest": Command("every lesson's core on NumPy and on the GPU: do they agree, how fast",
                        _run_selftest, _add_selftest_arguments),
    "grade": Command("grade notebooks: learner code in a sandboxed worker, points decided "
                     "outside it", _run_grade,
                     _add_grade_arguments),
    "release": Command("make the learner notebooks in lessons/ from the course/ lesson folders", _run_release,
                       _add_release_arguments),
    "data": Command("download and cache a full data set", _run_data, _add_data_arguments),
    "moving-mnist": Command("Moving MNIST videos", _run_moving_mnist, _add_moving_mnist_arguments),
    "upscale": Command("upscale an image with an SRResNet", _run_upscale, _add_upscale_arguments),
}


def _parser(argv=()):
    """The parser; only the chosen subcommand's arguments are built (some import Chainer, and
    `mlkit grade` starts its sandbox sooner without that)."""
    from mlkit import __version__
    parser = argparse.ArgumentParser(prog="mlkit", description="The course's command line.")
    parser.add_argument("--version", action="version", version=f"mlkit {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, command in COMMANDS.items():
        subparser = subcommands.add_parser(name, help=command.help, description=command.help)
        if command.add_arguments is not None and name == chosen:
            command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv=None):
    """Run ``mlkit`` with ``argv`` (default: the command line); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(argv)
    args = parser.parse_args(argv)  # exits with 2 on a usage error
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
