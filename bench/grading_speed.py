"""How fast the grader is: one notebook, and a class graded in parallel.

    .venv/bin/python bench/grading_speed.py [--copies 60] [--jobs N] [--lessons 1 2 3]
    .venv/bin/python bench/grading_speed.py --mixed 120 [--jobs N] [--lessons ...]

For each lesson it measures
  * one notebook: ``mlkit grade <solution>`` as a learner runs it (a new process, wall time),
    and the engine's own time for it (``engine.grade``, the zygote started inside);
  * a class: ``--copies`` submissions (solved and untouched copies, alternating) graded with
    ``grade_many(jobs=N)`` -> submissions per minute;
  * the CPU time all processes spent per submission (grader, zygote, workers, sandbox), which
    does not depend on what else the machine is doing: on C idle cores the grader can do at
    most 60 * C / (CPU seconds per submission) submissions a minute.
With ``--mixed N`` it measures only a class of N submissions from all the ``--lessons``
together (lessons interleaved, solved and untouched alternating), graded as one folder, as an
instructor grades a course's submissions.
Targets (the grader issue): one Lesson 1 notebook in at most 2 s; at least 100 Lesson 1
submissions a minute on 2 cores; at least 100 submissions a minute of a folder that mixes
all six lessons, on 2 cores.
"""
import argparse
import atexit
import os
import resource
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
    assert report.earned == report.possible, report
    return cli_seconds, engine_seconds


def a_class(solution, learner, copies, jobs, lesson):
    return a_folder([(solution, learner, lesson)], copies, jobs)


def a_folder(lessons, copies, jobs):
    """Grade ``copies`` notebooks, taken in turn from ``lessons`` ([(solution, learner,
    number)]), solved and untouched alternating (per lesson), as one folder."""
    from mlkit.grading.batch import grade_many
    folder = Path(tempfile.mkdtemp(prefix="mlkit-bench-class-"))
    try:
        notebooks, solved = [], 0
        for index in range(copies):
            solution, learner, number = lessons[index % len(lessons)]
            turn = index // len(lessons)
            target = folder / f"{number:02d}_student{index:03d}.ipynb"
            shutil.copy(solution if turn % 2 == 0 else learner, target)
            solved += turn % 2 == 0
            notebooks.append(target)
        lesson = lessons[0][2] if len(lessons) == 1 else None
        before = _cpu_seconds()
        started = time.perf_counter()
        reports = grade_many(notebooks, jobs=jobs, lesson=lesson)
        seconds = time.perf_counter() - started
        cpu = (_cpu_seconds() - before) / copies
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert not any(r.error for r in reports), [r.error for r in reports if r.error]
    full = sum(r.earned == r.possible for r in reports)
    assert full == solved, f"{full} full marks of {copies}, {solved} solved"
    return seconds, 60 * copies / seconds, cpu


CGROUP = Path("/sys/fs/cgroup/cpuacct") / f"mlkit-grading-bench-{os.getpid()}"


def _join_cgroup():
    """Put this process (and so everything it starts, sandboxed or not) in a cgroup of its own
    whose CPU time the kernel counts; False where that is not allowed (not root, no cpuacct)."""
    for earlier in CGROUP.parent.glob("mlkit-grading-bench-*"):
        try:        # an earlier run's, whose last workers exited after it did
            earlier.rmdir()
        except OSError:
            pass
    try:
        CGROUP.mkdir()
        (CGROUP / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return False
    atexit.register(_leave_cgroup)
    return True


def _leave_cgroup():
    """Move out and remove the cgroup, once the last worker in it has exited."""
    try:
        (CGROUP.parent / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return
    for _ in range(50):
        try:
            CGROUP.rmdir()
            return
        except OSError:
            time.sleep(0.1)


def _cpu_seconds():
    """CPU time of this process and everything below it (the cgroup's count; else only the
    processes that were waited for, which misses the workers)."""
    try:
        return int((CGROUP / "cpuacct.usage").read_text()) / 1e9
    except (OSError, ValueError):
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total


def main():
    from mlkit.grading import registry, sandbox
    from mlkit.grading.batch import default_jobs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--lessons", type=int, nargs="+", default=sorted(registry.lessons()))
    parser.add_argument("--mixed", type=int, default=0, metavar="N",
                        help="only grade one folder of N notebooks of all --lessons mixed")
    args = parser.parse_args()
    counted = _join_cgroup()
    kind, note = sandbox.choose()
    print(f"sandbox: {kind}{' (' + note + ')' if note else ''}; jobs {args.jobs}; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    cores = os.cpu_count()
    if args.mixed:
        lessons = [(registry.lesson(n).solution,
                    REPO / "lessons" / f"{registry.lesson(n).notebook}.ipynb", n)
                   for n in args.lessons]
        seconds, per_minute, cpu = a_folder(lessons, args.mixed, args.jobs)
        print(f"| lessons | submissions, -j {args.jobs} | seconds | submissions / minute | "
              f"CPU s / submission | submissions / minute on {cores} idle cores (from CPU) |")
        print("|---|---|---|---|---|---|")
        print(f"| {' '.join(map(str, args.lessons))} | {args.mixed} | {seconds:.1f} | "
              f"{per_minute:.0f} | {cpu:.2f} | {60 * cores / cpu:.0f} |")
        print(f"load average after: {os.getloadavg()[0]:.1f}; CPU time counted by "
              f"{'a cgroup of its own' if counted else 'getrusage (a low bound)'}")
        return
    print("| lesson | `mlkit grade` one notebook (s) | engine, one notebook (s) | "
          f"{args.copies} submissions, -j {args.jobs} (s) | submissions / minute | "
          f"CPU s / submission | submissions / minute on {cores} idle cores (from CPU) |")
    print("|---|---|---|---|---|---|---|")
    for number in args.lessons:
        lesson = registry.lesson(number)
        solution = lesson.solution
        learner = REPO / "lessons" / f"{lesson.notebook}.ipynb"
        cli_seconds, engine_seconds = one_notebook(solution)
        seconds, per_minute, cpu = a_class(solution, learner, args.copies, args.jobs, number)
        print(f"| {number} | {cli_seconds:.2f} | {engine_seconds:.2f} | {seconds:.1f} | "
              f"{per_minute:.0f} | {cpu:.2f} | {60 * cores / cpu:.0f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}; CPU time counted by "
          f"{'a cgroup of its own' if counted else 'getrusage (misses the workers: a low bound)'}")


if __name__ == "__main__":
    main()
