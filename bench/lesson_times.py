"""Wall time of each solution notebook, top to bottom in a fresh kernel, in one run mode.

    .venv/bin/python bench/lesson_times.py --mode cpu            # every lesson
    .venv/bin/python bench/lesson_times.py --mode smoke 01 03    # lessons whose name starts so

Budgets: smoke <= 60 s a lesson (CI), cpu <= 15 min a lesson (Lesson 1: <= 2 min).
Prints one Markdown table row per lesson, ready for bench/RESULTS.md.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = {"smoke": 60, "cpu": 15 * 60, "gpu": None}


def run_notebook(path, mode):
    os.environ["MLKIT_MODE"] = mode
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        client = NotebookClient(notebook, timeout=3600, kernel_name="python3",
                                resources={"metadata": {"path": scratch}})
        started = time.monotonic()
        client.execute()
        return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=sorted(BUDGET_S), default="cpu")
    parser.add_argument("lessons", nargs="*", help="name prefixes (default: all)")
    args = parser.parse_args()
    paths = sorted((REPO / "course").glob("[0-9]*/solution.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.parent.name.startswith(tuple(args.lessons))]
    print(f"| lesson | mode | wall time | budget |\n|---|---|---|---|")
    for path in paths:
        seconds = run_notebook(path, args.mode)
        budget = BUDGET_S[args.mode]
        verdict = "" if budget is None else (" (within)" if seconds <= budget else " (OVER)")
        print(f"| {path.parent.name} | {args.mode} | {seconds:.1f} s | "
              f"{budget or '-'} s{verdict} |", flush=True)


if __name__ == "__main__":
    main()
