"""`mlkit grade` end to end on Lesson 1: each notebook in its own process, a table for a learner,
a CSV for an instructor, and one broken submission never stops the others."""
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import mlkit
import nbformat
from mlkit.grading import registry
from mlkit.grading.instant import check_now
from mlkit.grading.notebook import load

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "solutions" / "01_logic_gates.ipynb"
LEARNER = REPO / "lessons" / "01_logic_gates.ipynb"


def mlkit_command(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "mlkit.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=900)


def test_instructor_grades_a_folder_into_a_csv(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    solved = nbformat.read(SOLUTION, as_version=4)            # a learner who solved everything,
    solved.metadata["mlkit"] = nbformat.read(LEARNER, as_version=4).metadata["mlkit"]
    nbformat.write(solved, submissions / "alice.ipynb")      # renamed: metadata tells the lesson
    shutil.copy(LEARNER, submissions / "bob.ipynb")
    (submissions / "carol.ipynb").write_text("this is not a notebook")
    result = mlkit_command("grade", str(submissions), "--csv", str(tmp_path / "grades.csv"))
    assert result.returncode == 0, result.stderr
    rows = {Path(r["submission"]).name: r
            for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert set(rows) == {"alice.ipynb", "bob.ipynb", "carol.ipynb"}
    lesson = registry.lesson(1)
    possible = sum(c.points for c in lesson.checks)
    assert float(rows["alice.ipynb"]["total"]) == possible == float(rows["alice.ipynb"]["possible"])
    assert float(rows["bob.ipynb"]["total"]) == 0
    for exercise_id in lesson.exercises:   # one column per exercise
        assert float(rows["alice.ipynb"][exercise_id]) == lesson.possible(exercise_id)
        assert float(rows["bob.ipynb"][exercise_id]) == 0
    assert rows["carol.ipynb"]["error"] and rows["carol.ipynb"]["total"] == "0"
    assert "carol.ipynb: NOT GRADED" in result.stdout


def test_learner_sees_a_table_with_hints(tmp_path):
    result = mlkit_command("grade", str(LEARNER))
    assert result.returncode == 0, result.stderr
    assert "hint: not done yet" in result.stdout
    assert result.stdout.strip().splitlines()[-1].split()[-2:] == ["(0", "%)"]


def test_grade_without_arguments_grades_the_lessons_folder(tmp_path):
    (tmp_path / "lessons").mkdir()
    shutil.copy(SOLUTION, tmp_path / "lessons" / "01_logic_gates.ipynb")
    result = mlkit_command("grade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(100 %)" in result.stdout


def test_grade_names_a_missing_path():
    result = mlkit_command("grade", "no/such/notebook.ipynb")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_instant_check_in_a_live_namespace(capsys):
    namespace = load(SOLUTION).namespace
    first = next(iter(registry.lesson(1).exercises))
    assert check_now(first, namespace)
    assert "Well done" in capsys.readouterr().out
    mlkit.check(first, namespace={})       # nothing defined: a hint, not a traceback
    assert "hint:" in capsys.readouterr().out
