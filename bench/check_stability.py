"""How often a lesson's checks change their verdict from one grading to the next.

Every grading draws fresh inputs (``nb.rng``), so a check whose random case is sometimes
ambiguous fails a correct notebook now and then, or lets a planted mistake through. This runs
the solution notebook once (in this process, smoke mode), then every check of the lesson
``--seeds`` times with different seeds, and counts the verdicts that differ from the expected:

    .venv/bin/python bench/check_stability.py 5 --seeds 1000            # the solution
    .venv/bin/python bench/check_stability.py 3 --seeds 100 --planted   # + the planted mistakes
    .venv/bin/python bench/check_stability.py --lesson 3 --seeds 100 --alternatives
    .venv/bin/python bench/check_stability.py all --seeds 3 --planted --alternatives --cheats

With ``--planted`` it also plants each mistake notebook of the lesson's cases
(``course/NN_name/cases.py``: MISTAKES; the format is in tests/lessons/planted.py) and requires,
for every seed, that each mistaken exercise fails with its edits' hint phrases and every other
exercise passes (costless edits are planted too, and cost nothing; a case that says
``"stability": False``, an endless loop, is left out). With ``--alternatives`` it
also plants the cases' correct answers in other styles (ALTERNATIVES), which must pass
everything on every seed; with ``--cheats`` the cheats (CHEATS), whose exercises must lose
their points on every seed. Exit status 1 when any verdict was unstable.

The seed of a grading is the grader's (``MLKIT_GRADE_SEED``): seed 7 here draws the inputs that
``MLKIT_GRADE_SEED=7 mlkit grade`` draws.

The checks run through the learner-kernel path (``mlkit.check``'s ``LocalNotebook``), not the
sandboxed worker: what is measured is the checks' own randomness, at a fraction of the cost.
"""
import argparse
import contextlib
import io
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MLKIT_MODE", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")
CELL_SECONDS = 120   # smoke mode: every cell of a solution takes seconds

import nbformat  # noqa: E402

import mlkit  # noqa: E402,F401  (before chainer)
from mlkit.grading import registry  # noqa: E402
from mlkit.grading.instant import LocalNotebook, run_local  # noqa: E402
from mlkit.grading.notebook_api import check_rng  # noqa: E402


class Overtime(Exception):
    pass


def _overtime(signum, frame):
    raise Overtime("ran past its deadline")


def execute(path):
    """The namespace of ``path``'s graded cells (its setup and exercise cells, as the grader
    runs them) run top to bottom (errors ignored: a cell that fails leaves its names
    undefined, which the checks then report; a cell that runs past ``CELL_SECONDS`` is
    stopped, as a planted mistake can loop forever)."""
    from mlkit.grading.submission import cell_role
    signal.signal(signal.SIGALRM, _overtime)
    from IPython.core.inputtransformer2 import TransformerManager
    transform = TransformerManager().transform_cell
    namespace = {"__name__": "__main__"}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type != "code" or cell_role(cell.source)[0] is None:
                    continue
                source = "\n".join(line for line in transform(cell.source).splitlines()
                                   if "get_ipython()" not in line)
                with contextlib.redirect_stdout(io.StringIO()), \
                        contextlib.redirect_stderr(io.StringIO()):
                    try:
                        signal.setitimer(signal.ITIMER_REAL, CELL_SECONDS)
                        exec(compile(source, str(path), "exec"), namespace)
                    except Exception:
                        pass
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            os.chdir(here)
    return namespace


def verdicts(lesson, namespace, seed):
    """``{exercise: [failure messages]}`` of one grading with inputs from ``seed``, each check
    run as ``mlkit.check`` runs it (Chainer's configuration and random state as the grader
    has them, the check's deadline)."""
    import matplotlib.pyplot as plt
    failed = {}
    for check in lesson.checks:
        notebook = LocalNotebook(namespace)
        notebook.rng = check_rng(seed, check.id)     # as the grader draws with MLKIT_GRADE_SEED
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            outcome = run_local(check, notebook, lesson.guards.get(check.exercise))
        if not outcome.passed:
            failed.setdefault(check.exercise, []).append(f"{check.name}: {outcome.hint}")
        plt.close("all")
    return failed


def planted_tables(number, table="MISTAKES"):
    """``(solution, {notebook name: case})`` of the lesson's cases (``cases.py``) in
    ``table`` (MISTAKES or ALTERNATIVES); each case as tests/lessons/planted.py describes."""
    from tests.lessons.planted import lesson_cases
    cases = lesson_cases(number)
    if cases is None:
        raise SystemExit(f"lesson {number} has no cases.py: nothing planted to check")
    return registry.lesson(number).solution, cases[table]


def unstable(lesson, namespace, seeds, broken, judged=None):
    """``{(exercise, what went wrong): [seeds]}`` over ``seeds`` gradings; ``broken`` maps the
    mistaken exercises to the phrases their hints must hold; the others must pass, or only
    those in ``judged`` when it is given (a cheat may break more than its own exercise)."""
    found = {}
    for seed in seeds:
        failed = verdicts(lesson, namespace, seed)
        for exercise in lesson.exercises:
            if exercise not in broken:
                if judged is not None and exercise not in judged:
                    continue
                if exercise in failed:
                    found.setdefault((exercise, "failed: " + failed[exercise][0][:160]),
                                     []).append(seed)
            elif exercise not in failed:
                found.setdefault((exercise, "kept its points"), []).append(seed)
            else:
                for phrase in filter(None, broken[exercise]):
                    if not any(phrase in message for message in failed[exercise]):
                        found.setdefault((exercise, f"no hint with {phrase!r}"), []).append(seed)
    return found


def report(name, found, count, seconds):
    print(f"{name}: {count} gradings in {seconds:.0f} s, "
          f"{'stable' if not found else f'{len(found)} unstable verdicts'}", flush=True)
    for (exercise, what), seeds in sorted(found.items()):
        print(f"    {exercise} {what} (seeds {seeds[:5]}{' ...' if len(seeds) > 5 else ''}: "
              f"{len(seeds)} of {count})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lesson", nargs="?",
                        help="the lesson's number, or 'all' for every lesson in turn")
    parser.add_argument("--lesson", type=int, dest="lesson_option", metavar="N",
                        help="the same, as an option")
    parser.add_argument("--seeds", type=int, default=300, help="gradings per notebook")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--planted", action="store_true",
                        help="also the planted-mistake notebooks of the lesson's cases.py "
                             "(MISTAKES)")
    parser.add_argument("--alternatives", action="store_true",
                        help="also its correct answers in other styles (ALTERNATIVES), which "
                             "must keep full marks")
    parser.add_argument("--cheats", action="store_true",
                        help="also its cheats (CHEATS), whose exercises must earn nothing")
    args = parser.parse_args(argv)
    if (args.lesson is None) == (args.lesson_option is None):
        parser.error("name one lesson: check_stability.py N or --lesson N (or 'all')")
    chosen = args.lesson if args.lesson is not None else str(args.lesson_option)
    if chosen == "all":
        numbers = list(registry.lessons())
    elif chosen.isdigit():
        numbers = [int(chosen)]
    else:
        parser.error(f"{chosen!r} is not a lesson number (or 'all')")
    status = 0
    for number in numbers:
        status |= check_lesson(number, args)
    return status


def check_lesson(number, args):
    """Every notebook that ``args`` asks for, of lesson ``number``; 1 when one was unstable."""
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    notebooks = [(f"lesson {number} solution", registry.lesson(number).solution, {}, None)]
    if args.planted or args.alternatives or args.cheats:
        from tests.lessons.planted import edit_phrases, plant
        scratch = Path(tempfile.mkdtemp(prefix="planted-"))
    for wanted, table, label in ((args.planted, "MISTAKES", "planted"),
                                 (args.alternatives, "ALTERNATIVES", "alternative"),
                                 (args.cheats, "CHEATS", "cheat")):
        if not wanted:
            continue
        solution, cases = planted_tables(number, table)
        for index, (name, case) in enumerate(sorted(cases.items())):
            if case.get("stability", True) is False:
                print(f"{label} {name!r}: left out (its case says stability: False)")
                continue
            broken = edit_phrases(case) if table != "ALTERNATIVES" else {}
            judged = None
            if table == "CHEATS":        # they must lose their points; hints are not judged
                broken = {exercise: [] for exercise in broken}
                judged = set(case.get("full_marks", []))
            path = plant(solution, case, scratch / f"{table.lower()}{index}")
            notebooks.append((f"lesson {number} {label} {name!r}", path, broken, judged))
    any_unstable = False
    # Each notebook in a fresh process, as the grader gives each submission a fresh worker:
    # what one notebook leaves behind (Chainer's config, a stopped trainer) must not count
    # against the next.
    context = multiprocessing.get_context("spawn")
    for name, path, broken, judged in notebooks:
        started = time.monotonic()
        with context.Pool(1) as pool:
            found = pool.apply(stability, (number, str(path), broken, list(seeds), judged))
        report(name, found, len(seeds), time.monotonic() - started)
        any_unstable |= bool(found)
    return 1 if any_unstable else 0


def stability(number, path, broken, seeds, judged=None):
    """:func:`unstable` for one notebook; run in a process of its own."""
    return unstable(registry.lesson(number), execute(Path(path)), seeds, broken, judged)


if __name__ == "__main__":
    sys.exit(main())
