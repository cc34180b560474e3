"""The ``mlkit`` command: ``doctor``, ``grade``, ``release``, ``data mnist``.

Each subcommand is one small ``_run_<name>(args)`` function returning an exit code, plus an
optional ``_add_<name>_arguments(parser)``; it is listed once in :data:`COMMANDS`. To add a
subcommand, write those and add one line there. Exit codes: 0 ok, 1 the command failed,
2 usage error (argparse's own convention).
"""
import argparse
import sys
from typing import Callable, NamedTuple, Optional

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Command(NamedTuple):
    """One subcommand: its help line, how to run it, and its arguments (if any)."""
    help: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None


def _run_doctor(args):
    from mlkit.checkup import report
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


def _run_grade(args):
    from mlkit.grading.batch import find_notebooks, grade_one, write_csv
    from mlkit.grading.runner import format_table
    paths = args.paths or ["lessons"]
    try:
        notebooks = find_notebooks(paths)
    except FileNotFoundError as error:
        print(f"mlkit grade: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not notebooks:
        print(f"mlkit grade: no notebooks in {', '.join(paths)}", file=sys.stderr)
        return EXIT_USAGE
    reports = []
    for path in notebooks:   # each in its own process: one broken submission stops nothing
        report = grade_one(path, lesson=args.lesson)
        reports.append(report)
        if report.get("error"):
            print(f"{path}: NOT GRADED: {report['error']}")
        elif args.csv:
            print(f"{path}: {report['earned']:g}/{report['possible']:g}")
        else:
            print(format_table(report["exercises"], f"\n{path} (lesson {report['lesson']})"))
    if args.csv:
        write_csv(reports, args.csv)
        print(f"wrote {args.csv}: {len(reports)} submissions")
    return EXIT_FAILED if all(r.get("error") for r in reports) else EXIT_OK


def _add_release_arguments(parser):
    parser.add_argument("--force", action="store_true",
                        help="overwrite lesson notebooks that changed since the last release")
    parser.add_argument("--solutions", default="solutions", help="default: %(default)s")
    parser.add_argument("--lessons", default="lessons", help="default: %(default)s")


def _run_release(args):
    from mlkit.grading.release import ReleaseError, release
    try:
        written = release(args.solutions, args.lessons, force=args.force)
    except ReleaseError as error:
        print(f"mlkit release: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not written:
        print("the lesson notebooks are up to date")
    return EXIT_OK


def _add_moving_mnist_arguments(parser):
    from mlkit.data.moving_mnist import add_cli_arguments
    add_cli_arguments(parser)


def _run_moving_mnist(args):
    from mlkit.data.moving_mnist import run_cli
    return run_cli(args, usage_error=EXIT_USAGE, failure=EXIT_FAILED)


COMMANDS = {
    "doctor": Command("what this machine has for the course, with advice", _run_doctor),
    "grade": Command("grade notebooks, each in its own process", _run_grade,
                     _add_grade_arguments),
    "release": Command("make the learner notebooks in lessons/ from solutions/", _run_release,
                       _add_release_arguments),
    "data": Command("download and cache a full data set", _run_data, _add_data_arguments),
    "moving-mnist": Command("Moving MNIST videos", _run_moving_mnist, _add_moving_mnist_arguments),
}


def _parser():
    from mlkit import __version__
    parser = argparse.ArgumentParser(prog="mlkit", description="The course's command line.")
    parser.add_argument("--version", action="version", version=f"mlkit {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        subparser = subcommands.add_parser(name, help=command.help, description=command.help)
        if command.add_arguments is not None:
            command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv=None):
    """Run ``mlkit`` with ``argv`` (default: the command line); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)  # exits with 2 on a usage error
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
