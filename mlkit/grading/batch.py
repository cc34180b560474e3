"""Grading a class: many notebooks, several at a time, one report each.

``grade_many`` grades notebooks in parallel (``jobs`` grading processes, each keeping its own
zygote, which forks a fresh sandboxed worker for each notebook); a submission that cannot be
graded becomes a report with an ``error`` and never stops the others. ``shard`` splits a folder
between the machines of a batch scheduler: ``--shard I/N`` takes every N-th notebook, starting
at the I-th (from 0), of the sorted list.
"""
import concurrent.futures
import multiprocessing
import os
from pathlib import Path

from mlkit.grading import engine
from mlkit.grading.report import failed_report


def find_notebooks(paths):
    """Notebooks named by ``paths`` (files, or folders searched recursively), sorted."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def parse_shard(text):
    """``'I/N'`` -> ``(I, N)`` with ``0 <= I < N``; ValueError with the rule otherwise."""
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: write it as I/N, like 0/4 (shard I of N, "
                         "counting from 0)") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"--shard {text!r}: I must be from 0 to N-1 and N at least 1")
    return index, count


def take_shard(notebooks, shard):
    if shard is None:
        return list(notebooks)
    index, count = shard
    return [path for number, path in enumerate(sorted(notebooks)) if number % count == index]


def grade_one(path, lesson=None, checks_dir=None, keep=False):
    """Grade one notebook; never raises for anything the notebook holds. ``keep`` keeps this
    process's zygote for the next notebook (a fresh worker each time all the same)."""
    try:
        return engine.grade(path, lesson=lesson, checks_dir=checks_dir, keep_zygote=keep)
    except Exception as error:  # noqa: BLE001 -- a bug of ours must not lose the class's CSV
        return failed_report(path, None, f"the grader failed on this notebook "
                                         f"({type(error).__name__}: {error}); please report it")


def default_jobs():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def grade_many(notebooks, jobs=None, lesson=None, checks_dir=None, on_report=None):
    """Reports for ``notebooks`` in their order; ``on_report(report)`` as each one finishes."""
    jobs = max(1, int(jobs or default_jobs()))
    if jobs == 1 or len(notebooks) == 1:
        reports = []
        for path in notebooks:
            reports.append(grade_one(path, lesson, checks_dir, keep=len(notebooks) > 1))
            if on_report:
                on_report(reports[-1])
        return reports
    reports = {}
    context = multiprocessing.get_context("spawn")   # no threads or locks inherited
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {pool.submit(grade_one, str(path), lesson, checks_dir, True): path
                   for path in notebooks}
        for future in concurrent.futures.as_completed(futures):
            path = futures[future]
            try:
                report = future.result()
            except Exception as error:  # noqa: BLE001 -- a grading process died
                report = failed_report(path, None, f"the grading process failed "
                                                   f"({type(error).__name__}: {error})")
            reports[path] = report
            if on_report:
                on_report(report)
    return [reports[path] for path in notebooks]
