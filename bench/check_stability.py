"""How often a lesson's checks change their verdict from one grading to the next.

Every grading draws fresh inputs (``nb.rng``), so a check whose random case is sometimes
ambiguous fails a correct notebook now and then, or lets a planted mistake through. This runs
the solution notebook once (in this process, smoke mode), then every check of the lesson
``--seeds`` times with different seeds, and counts the verdicts that differ from the expected:

    .venv/bin/python bench/check_stability.py 5 --seeds 1000            # the solution
    .venv/bin/python bench/check_stability.py 3 --seeds 100 --planted   # + the planted mistakes

With ``--planted`` it also plants each notebook of the lesson's grading test
(tests/lessons/test_lessonNN_grading.py: PLANTED, MISTAKES, or TYPICAL and NOT_THAT_MISTAKE)
and requires, for every seed, that each mistaken exercise fails with the hint's phrase and
every other exercise passes. Exit status 1 when any verdict was unstable.

The checks run through the learner-kernel path (``mlkit.check``'s ``LocalNotebook``), not the
sandboxed worker: what is measured is the checks' own randomness, at a fraction of the cost.
"""
import argparse
import contextlib
import importlib
import io
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

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

import mlkit  # noqa: E402,F401  (before chainer)
from mlkit.grading import registry  # noqa: E402
from mlkit.grading.instant import LocalNotebook  # noqa: E402


def execute(path):
    """The namespace of ``path`` run top to bottom (instant checks skipped, errors ignored:
    a cell that fails leaves its names undefined, which the checks then report)."""
    from IPython.core.inputtransformer2 import TransformerManager
    transform = TransformerManager().transform_cell
    namespace = {"__name__": "__main__"}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type != "code" or "mlkit.check(" in cell.source:
                    continue
                source = "\n".join(line for line in transform(cell.source).splitlines()
                                   if "get_ipython()" not in line)
                with contextlib.redirect_stdout(io.StringIO()), \
                        contextlib.redirect_stderr(io.StringIO()):
                    try:
                        exec(compile(source, str(path), "exec"), namespace)
                    except Exception:
                        pass
        finally:
            os.chdir(here)
    return namespace


class Overtime(Exception):
    pass


def _overtime(signum, frame):
    raise Overtime("ran past the check's deadline")


def verdicts(lesson, namespace, seed):
    """``{exercise: [failure messages]}`` of one grading with inputs from ``seed``; a check
    that runs past its deadline fails, as in the grader (a mistake can loop forever)."""
    import matplotlib.pyplot as plt
    failed = {}
    signal.signal(signal.SIGALRM, _overtime)
    for check in lesson.checks:
        notebook = LocalNotebook(namespace)
        notebook.rng = np.random.default_rng(seed)
        try:
            signal.setitimer(signal.ITIMER_REAL, check.timeout)
            with contextlib.redirect_stdout(io.StringIO()):
                check.function(notebook)
        except Exception as error:  # a Hint, an AssertionError or the learner's own error
            failed.setdefault(check.exercise, []).append(f"{check.name}: {error}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        plt.close("all")
    return failed


def planted_tables(number):
    """``{notebook name: [(exercise, right, wrong, phrase)]}`` of the lesson's grading test."""
    test = importlib.import_module(f"tests.lessons.test_lesson{number:02d}_grading")
    if hasattr(test, "PLANTED"):
        return test.SOLUTION, test.PLANTED
    if hasattr(test, "MISTAKES"):
        return test.SOLUTION, {name: [(exercise, *row) for exercise, row in group.items()]
                               for name, group in test.MISTAKES.items()}
    return test.SOLUTION, {"typical": test.TYPICAL, "not_that_mistake": test.NOT_THAT_MISTAKE}


def unstable(lesson, namespace, seeds, broken):
    """``{(exercise, what went wrong): [seeds]}`` over ``seeds`` gradings; ``broken`` maps the
    mistaken exercises to the phrases their hints must hold."""
    found = {}
    for seed in seeds:
        failed = verdicts(lesson, namespace, seed)
        for exercise in lesson.exercises:
            if exercise not in broken:
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
    parser.add_argument("lesson", type=int)
    parser.add_argument("--seeds", type=int, default=300, help="gradings per notebook")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--planted", action="store_true",
                        help="also the planted-mistake notebooks of the lesson's grading test")
    args = parser.parse_args(argv)
    lesson = registry.lesson(args.lesson)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    notebooks = [("solution", sorted((REPO / "solutions").glob(f"{args.lesson:02d}_*.ipynb"))[0],
                  {})]
    if args.planted:
        from tests.lessons.planted import plant
        solution, tables = planted_tables(args.lesson)
        scratch = Path(tempfile.mkdtemp(prefix="planted-"))
        for name, mistakes in sorted(tables.items()):
            broken = {}
            for exercise, _, _, phrase in mistakes:
                broken.setdefault(exercise, []).append(phrase)
            folder = scratch / name.replace(" ", "_")
            notebooks.append((f"planted {name!r}", plant(solution, mistakes, folder), broken))
    any_unstable = False
    for name, path, broken in notebooks:
        started = time.monotonic()
        found = unstable(lesson, execute(path), seeds, broken)
        report(name, found, len(seeds), time.monotonic() - started)
        any_unstable |= bool(found)
    return 1 if any_unstable else 0


if __name__ == "__main__":
    sys.exit(main())
