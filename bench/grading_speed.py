"""How fast the grader is: one notebook, and a class graded in parallel.

    .venv/bin/python bench/grading_speed.py [--copies 60] [--jobs N] [--lessons 1 2 3]

For each lesson it measures
  * one notebook: ``mlkit grade <solution>`` as a learner runs it (a new process, wall time),
    and the engine's own time for it (``engine.grade``, the zygote started inside);
  * a class: ``--copies`` submissions (solved and untouched copies, alternating) graded with
    ``grade_many(jobs=N)`` -> submissions per minute.
Targets (the grader issue): one Lesson 1 notebook in at most 2 s; at least 100 Lesson 1
submissions a minute on 2 cores.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

os.environ.setdefault("MLKIT_MODE", "smoke")


def one_notebook(path):
    from mlkit.grading import engine
    started = time.perf_counter()
    command = subprocess.run([sys.executable, "-m", "mlkit.cli", "grade", str(path)],
                             capture_output=True, text=True, cwd=REPO)
    cli_seconds = time.perf_counter() - started
    assert command.returncode == 0, command.stderr
    started = time.perf_counter()
    report = engine.grade(path)
    engine_seconds = time.perf_counter() - started
    assert report["earned"] == report["possible"], report
    return cli_seconds, engine_seconds


def a_class(solution, learner, copies, jobs, lesson):
    from mlkit.grading.batch import grade_many
    folder = Path(tempfile.mkdtemp(prefix="mlkit-bench-class-"))
    try:
        notebooks = []
        for index in range(copies):
            target = folder / f"student{index:03d}.ipynb"
            shutil.copy(solution if index % 2 == 0 else learner, target)
            notebooks.append(target)
        started = time.perf_counter()
        reports = grade_many(notebooks, jobs=jobs, lesson=lesson)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert not any(r["error"] for r in reports), [r["error"] for r in reports if r["error"]]
    full = sum(r["earned"] == r["possible"] for r in reports)
    assert full == (copies + 1) // 2, f"{full} full marks of {copies}"
    return seconds, 60 * copies / seconds


def main():
    from mlkit.grading import registry, sandbox
    from mlkit.grading.batch import default_jobs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--lessons", type=int, nargs="+", default=sorted(registry.lessons()))
    args = parser.parse_args()
    kind, note = sandbox.choose()
    print(f"sandbox: {kind}{' (' + note + ')' if note else ''}; jobs {args.jobs}; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print("| lesson | `mlkit grade` one notebook (s) | engine, one notebook (s) | "
          f"{args.copies} submissions, -j {args.jobs} (s) | submissions / minute |")
    print("|---|---|---|---|---|")
    for number in args.lessons:
        lesson = registry.lesson(number)
        solution = REPO / "solutions" / f"{lesson.notebook}.ipynb"
        learner = REPO / "lessons" / f"{lesson.notebook}.ipynb"
        cli_seconds, engine_seconds = one_notebook(solution)
        seconds, per_minute = a_class(solution, learner, args.copies, args.jobs, number)
        print(f"| {number} | {cli_seconds:.2f} | {engine_seconds:.2f} | {seconds:.1f} | "
              f"{per_minute:.0f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
