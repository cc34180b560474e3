"""Grading notebooks from outside: each in a fresh process, one CSV row per submission.

One broken submission (a crash, an endless loop at import, a file that is not a notebook)
becomes a row with an ``error`` and never stops the others.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mlkit.atomic import atomic_write
from mlkit.grading import suite

NOTEBOOK_TIMEOUT = 900   # seconds for one whole submission, far above what grading needs


def grade_one(path, lesson=None, timeout=NOTEBOOK_TIMEOUT):
    """Grade one notebook in a fresh Python process. Returns the report dict; on failure one
    with ``'error'`` set and no points."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="mlkit-grade-") as work:
        work = Path(work)
        report_file = work / "grade.json"
        (work / "pytest.ini").write_text("[pytest]\n")
        command = [sys.executable, "-m", "pytest", suite.__file__, "-q", "--no-header",
                   "-p", "mlkit.grading.pytest_plugin", "-p", "no:cacheprovider",
                   "-c", str(work / "pytest.ini"), "--rootdir", str(work),
                   "--notebook", str(path.resolve()), "--grade-json", str(report_file),
                   "-W", "ignore"]
        if lesson is not None:
            command += ["--lesson", str(lesson)]
        environment = dict(os.environ, MLKIT_MODE=os.environ.get("MLKIT_MODE", "smoke"))
        try:
            finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                      cwd=work, env=environment)
        except subprocess.TimeoutExpired:
            return _failed(path, f"grading took longer than {timeout} s and was stopped")
        if not report_file.exists() or not json.loads(report_file.read_text()):
            last = (finished.stdout + finished.stderr).strip().splitlines()[-3:]
            return _failed(path, "could not be graded: " + " | ".join(last))
        report = json.loads(report_file.read_text())[0]
    report["notebook"] = str(path)
    return report


def _failed(path, error):
    return {"notebook": str(path), "lesson": None, "exercises": [], "earned": 0,
            "possible": 0, "error": error}


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


def write_csv(reports, destination):
    """One row per submission: file, lesson, one column per exercise, total, possible, error."""
    exercise_ids = sorted({row["id"] for r in reports for row in r["exercises"]},
                          key=lambda i: tuple(int(part) for part in i.split(".")))
    with atomic_write(destination, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["submission", "lesson", *exercise_ids, "total", "possible", "error"])
        for report in reports:
            earned = {row["id"]: f"{row['earned']:g}" for row in report["exercises"]}
            writer.writerow([report["notebook"], report["lesson"] or "",
                             *(earned.get(i, "") for i in exercise_ids),
                             f"{report['earned']:g}", f"{report['possible']:g}",
                             report.get("error", "")])
