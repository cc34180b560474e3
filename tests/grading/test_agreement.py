"""``mlkit.check`` in the learner's kernel and ``mlkit grade`` give the same verdict, and a
grading can be repeated draw for draw.

* A correct answer that uses a name from a cell the grader does not run (neither the setup cell
  nor an exercise cell) fails in the grader with a NameError; the instant check now runs without
  that name too, and says which name and why.
* Every grading records the seed its checks drew their inputs with; ``MLKIT_GRADE_SEED`` makes
  a grading draw the same inputs again, check by check.
"""
import csv

import numpy as np
import pytest

from mlkit.grading import engine, instant, registry, report
from mlkit.grading.notebook_api import check_rng, grading_seed
from tests.grading import toy


def _kernel(cells):
    """A learner's kernel after running ``cells`` (sources) in order: its namespace, with the
    history ``In`` that IPython keeps."""
    namespace = {"In": [""]}
    for source in cells:
        namespace["In"].append(source)
        exec(source, namespace)
    return namespace


SETUP = "#| setup\nimport numpy as np"
HELPER_CELL = "factor = 2        # a cell of the learner's own, not graded"
ANSWER = "#| exercise: 9.1\ndef double(x):\n    return factor * x"


def test_a_name_from_an_ungraded_cell_fails_in_both_and_the_check_says_why(tmp_path,
                                                                           monkeypatch):
    notebook_cells = [("code", HELPER_CELL)] + list(toy.SOLUTION_CELLS)
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", cells=notebook_cells, replace={
        "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION":
        "    return factor * x"})
    graded = engine.grade(path, lessons={9: toy.lesson})
    assert graded.exercise("9.1").earned == 0
    assert "factor" in " ".join(graded.exercise("9.1").hints)

    monkeypatch.setattr(registry, "lesson", lambda number, checks_dir=None: toy.lesson)
    namespace = _kernel([SETUP, HELPER_CELL, ANSWER])
    verdict = instant.check_now("9.1", namespace)
    assert verdict.earned == 0, "the instant check agrees with the grader"
    assert any("`factor`" in note and "grader will not have it" in note
               for note in verdict.report.notes)
    assert namespace["factor"] == 2, "the learner's name is put back after the check"

    # defined in the exercise cell itself, the same answer passes both
    namespace = _kernel([SETUP, "#| exercise: 9.1\nfactor = 2\ndef double(x):\n"
                                "    return factor * x"])
    assert instant.check_now("9.1", namespace).earned == toy.lesson.possible("9.1")
    assert instant.names_outside_graded_cells(namespace) == []


def test_names_from_graded_cells_builtins_and_star_imports_are_not_reported():
    namespace = _kernel([SETUP, "#| exercise: 9.2\nfrom math import *\nvalue = sqrt(4)",
                         "late = 1", "#| exercise: 9.1\ndef double(x):\n    return late * x"])
    assert instant.names_outside_graded_cells(namespace) == [], \
        "a star import could bind anything: nothing is claimed"
    namespace = _kernel([SETUP, "helper = len", "#| exercise: 9.1\ndef double(x):\n"
                         "    return 2 * np.asarray(x) + 0 * helper([x]) + abs(0)"])
    assert instant.names_outside_graded_cells(namespace) == ["helper"]
    assert instant.names_outside_graded_cells({"helper": 1}) == [], "no history: no claim"


def test_the_inputs_of_a_check_depend_only_on_the_seed_and_the_check():
    first = check_rng(7, "1.3/and_model").normal(size=5)
    assert np.array_equal(first, check_rng(7, "1.3/and_model").normal(size=5))
    assert not np.array_equal(first, check_rng(8, "1.3/and_model").normal(size=5))
    assert not np.array_equal(first, check_rng(7, "1.4/other").normal(size=5))


def test_the_grading_seed_comes_from_the_environment_or_is_fresh(monkeypatch):
    monkeypatch.setenv("MLKIT_GRADE_SEED", "12345")
    assert grading_seed() == 12345
    monkeypatch.setenv("MLKIT_GRADE_SEED", "twelve")
    with pytest.raises(ValueError, match="MLKIT_GRADE_SEED='twelve' is not a whole number"):
        grading_seed()
    monkeypatch.delenv("MLKIT_GRADE_SEED")
    assert len({grading_seed() for _ in range(5)}) > 1


def _drawing_lesson(seen):
    lesson = registry.Lesson(9, "Toy lesson that records its draws", notebook="09_toy")
    for exercise_id, title in toy.lesson.exercises.items():
        lesson.exercise(exercise_id, title)
    lesson.checks.extend(c for c in toy.lesson.checks if c.exercise != "9.1")

    @lesson.check("9.1", points=2)
    def doubles_random_numbers(nb):
        x = float(nb.rng.normal())
        seen.append(x)
        assert abs(nb.double(x) - 2 * x) < 1e-12 and x > 10, "fails, to show the seed"
    return lesson


def test_a_report_records_its_seed_and_the_seed_repeats_the_draws(tmp_path, monkeypatch):
    seen = []
    lesson = _drawing_lesson(seen)
    path = toy.write_notebook(tmp_path / "09_toy.ipynb")
    monkeypatch.setenv("MLKIT_GRADE_SEED", "4242")
    first = engine.grade(path, lessons={9: lesson})
    again = engine.grade(path, lessons={9: lesson})
    assert first.seed == again.seed == 4242 and seen[0] == seen[1]
    assert "seed 4242 (MLKIT_GRADE_SEED=4242" in report.format_table(first)
    monkeypatch.delenv("MLKIT_GRADE_SEED")
    other = engine.grade(path, lessons={9: lesson})
    assert other.seed != 4242 and seen[2] != seen[0]

    destination = tmp_path / "grades.csv"
    report.write_csv([first], destination)
    rows = list(csv.DictReader(destination.open()))
    assert rows[0]["seed"] == "4242"
    # a CSV of an earlier version, without the seed column, still merges
    old = tmp_path / "old.csv"
    old.write_text("submission,lesson,9.1,total,possible,error,notes\nold.ipynb,9,2,2,4,,\n")
    merged = tmp_path / "merged.csv"
    assert report.merge_csv([destination, old], merged) == 2
    assert {r["submission"]: r["seed"] for r in csv.DictReader(merged.open())} == {
        str(path): "4242", "old.ipynb": ""}
