"""`mlkit grade` end to end on Lesson 1: a table for a learner, a CSV for an instructor,
parallel grading, shards and their merge, hidden checks, and submissions that cannot be graded
becoming one clear row each without stopping the others."""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import mlkit
from mlkit.grading import registry, sandbox
from mlkit.grading.instant import check_now
from mlkit.grading.submission import read

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "course" / "01_logic_gates" / "solution.ipynb"
LEARNER = REPO / "lessons" / "01_logic_gates.ipynb"


def _class_flags():
    """A folder is graded without bubblewrap only when asked (``--no-sandbox``): where this
    machine has no working bubblewrap, the class tests ask."""
    try:
        return [] if sandbox.choose()[0] == "bwrap" else ["--no-sandbox"]
    except sandbox.SandboxUnavailable:
        return []


CLASS_FLAGS = _class_flags()


def mlkit_command(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "mlkit.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=900)


def read_csv(path):
    return {Path(r["submission"]).name: r for r in csv.DictReader(Path(path).open())}


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    """A class: a solved notebook under another name, an untouched one, and broken files."""
    submissions = tmp_path_factory.mktemp("submissions")
    solved = nbformat.read(SOLUTION, as_version=4)            # a learner who solved everything,
    solved.metadata["mlkit"] = nbformat.read(LEARNER, as_version=4).metadata["mlkit"]
    nbformat.write(solved, submissions / "alice.ipynb")      # renamed: metadata tells the lesson
    shutil.copy(LEARNER, submissions / "bob.ipynb")
    (submissions / "carol.ipynb").write_text("this is not a notebook")
    (submissions / "dave.ipynb").write_bytes(b"")
    (submissions / "erin.ipynb").write_bytes('{"cells": ["é"]}'.encode("latin-1"))
    (submissions / "07_frank.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {"mlkit": {"lesson": 7}}, "nbformat": 4,
         "nbformat_minor": 5}))
    return submissions


def test_instructor_grades_a_folder_into_a_csv(class_folder, tmp_path):
    result = mlkit_command("grade", str(class_folder), "--csv", str(tmp_path / "grades.csv"),
                           "-j", "2", *CLASS_FLAGS)
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "grades.csv")
    assert set(rows) == {"alice.ipynb", "bob.ipynb", "carol.ipynb", "dave.ipynb", "erin.ipynb",
                         "07_frank.ipynb"}
    lesson = registry.lesson(1)
    assert float(rows["alice.ipynb"]["total"]) == lesson.total() == \
        float(rows["alice.ipynb"]["possible"])
    assert float(rows["bob.ipynb"]["total"]) == 0
    assert float(rows["bob.ipynb"]["possible"]) == lesson.total()
    for exercise_id in lesson.exercises:   # one column per exercise
        assert float(rows["alice.ipynb"][exercise_id]) == lesson.possible(exercise_id)
        assert float(rows["bob.ipynb"][exercise_id]) == 0
    reasons = {"carol.ipynb": "JSON is broken", "dave.ipynb": "is empty",
               "erin.ipynb": "is not UTF-8", "07_frank.ipynb": "lesson 7, which has no graded"}
    for name, reason in reasons.items():
        assert reason in rows[name]["error"], rows[name]
        assert rows[name]["total"] == "0"
        assert f"{name}: NOT GRADED" in result.stdout


def test_shards_split_a_class_and_merge_back(class_folder, tmp_path):
    parts = []
    for index in range(3):
        part = tmp_path / f"shard{index}.csv"
        result = mlkit_command("grade", str(class_folder), "--shard", f"{index}/3", "-j", "1",
                               "--csv", str(part), *CLASS_FLAGS)
        assert result.returncode in (0, 1), result.stderr
        parts.append(part)
    shard_rows = [read_csv(p) for p in parts]
    assert sum(len(r) for r in shard_rows) == 6
    assert not set(shard_rows[0]) & set(shard_rows[1])
    result = mlkit_command("grade", "--merge", *map(str, parts), "--csv",
                           str(tmp_path / "all.csv"))
    assert result.returncode == 0, result.stderr
    merged = read_csv(tmp_path / "all.csv")
    assert set(merged) == set().union(*shard_rows)
    assert float(merged["alice.ipynb"]["total"]) == registry.lesson(1).total()
    again = mlkit_command("grade", "--merge", str(parts[0]), str(parts[0]), "--csv",
                          str(tmp_path / "twice.csv"))
    assert again.returncode == 1 and "overlap" in again.stderr
    assert not (tmp_path / "twice.csv").exists()


@pytest.mark.parametrize("shard", ["3/3", "1", "a/b", "-1/2"])
def test_a_bad_shard_is_a_usage_error(class_folder, shard):
    result = mlkit_command("grade", str(class_folder), "--shard", shard)
    assert result.returncode == 2 and "--shard" in result.stderr and "Traceback" not in \
        result.stderr


HIDDEN = '''
import numpy as np

from mlkit.grading.registry import extend
from mlkit.grading.hints import expect

lesson = extend(1)


@lesson.check("1.3", points=5)
def and_model_has_no_hidden_layer(nb):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    model, _ = nb.train_by_hand(x, np.array([0, 0, 0, 1], np.int32), 0.5, 0)
    expect(len(list(model.params())) == 2, "one weight matrix and one bias")
'''


def test_hidden_checks_count_and_learners_never_see_them(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "lesson01_extra.py").write_text(HIDDEN)
    submission = tmp_path / "01_logic_gates.ipynb"
    shutil.copy(SOLUTION, submission)
    result = mlkit_command("grade", str(submission), "--checks", str(hidden), "--csv",
                           str(tmp_path / "g.csv"))
    assert result.returncode == 0, result.stderr
    row = read_csv(tmp_path / "g.csv")["01_logic_gates.ipynb"]
    assert float(row["possible"]) == registry.lesson(1).total() + 5 == float(row["total"])
    assert registry.lesson(1).total() == sum(c.points for c in registry.lesson(1).checks)
    missing = mlkit_command("grade", str(SOLUTION), "--checks", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_learner_sees_a_table_with_hints():
    result = mlkit_command("grade", str(LEARNER))
    assert result.returncode == 0, result.stderr
    assert "hint: not done yet" in result.stdout
    assert f"0/{registry.lesson(1).total():g} (0 %)" in result.stdout


def test_grade_without_arguments_grades_the_lessons_folder(tmp_path):
    (tmp_path / "lessons").mkdir()
    shutil.copy(SOLUTION, tmp_path / "lessons" / "01_logic_gates.ipynb")
    result = mlkit_command("grade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(100 %)" in result.stdout


def test_grade_names_a_missing_path():
    result = mlkit_command("grade", "no/such/notebook.ipynb")
    assert result.returncode == 2 and "no such file" in result.stderr


def solution_namespace():
    namespace = {}
    for cell in read(SOLUTION).cells:
        exec(compile(cell.source, cell.filename, "exec"), namespace)
    return namespace


def test_instant_check_in_a_live_namespace(capsys):
    namespace = solution_namespace()
    for exercise_id in registry.lesson(1).exercises:
        assert check_now(exercise_id, namespace), exercise_id
    assert "Well done" in capsys.readouterr().out
    mlkit.check("1.3", namespace={})       # nothing defined: a hint, not a traceback
    assert "hint:" in capsys.readouterr().out


def test_instant_check_leaves_the_learners_state_alone():
    import chainer
    import numpy as np
    namespace = solution_namespace()
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    with chainer.using_config("train", False):
        check_now("1.3", namespace)
        assert chainer.config.train is False
    assert np.random.random() == expected
