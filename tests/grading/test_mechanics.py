"""The grader's mechanics on a toy lesson: loading, isolation of failures, hints, refusals."""
import warnings

import nbformat
import pytest

from mlkit.grading import engine
from mlkit.grading.hints import ExerciseTimeout, hint_for
from mlkit.grading.instant import time_limit
from mlkit.grading.submission import SubmissionError, cell_role, lesson_number
from mlkit.grading.report import format_table
from tests.grading import toy


def grade(path, **options):
    return engine.grade(path, lessons={9: toy.lesson}, **options)


def rows(report):
    assert not report.error, report.error
    return {row.id: row for row in report.exercises}


def test_solution_scores_everything(tmp_path):
    report = grade(toy.write_notebook(tmp_path / "09_toy.ipynb"))
    assert {i: (r.earned, r.possible) for i, r in rows(report).items()} == {
        "9.1": (2, 2), "9.2": (1, 1), "9.3": (1, 1)}
    assert not any(r.hints for r in rows(report).values())
    assert (report.earned, report.possible) == (4, 4)


@pytest.mark.parametrize("replacement, expected_hint", [
    ("    return 2 *\n", "SyntaxError on line 4"),
    ("    return x / 0\n", "your code raised ZeroDivisionError"),
    ("    return 3 * x\n", "double(1) should be 2, got 3"),
])
def test_a_broken_exercise_costs_only_that_exercise(tmp_path, replacement, expected_hint):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={"    return 2 * x\n": replacement})
    found = rows(grade(path))
    assert found["9.1"].earned == 0
    assert any(expected_hint in hint for hint in found["9.1"].hints), found["9.1"].hints
    assert found["9.2"].earned == 1 and found["9.3"].earned == 1


def test_an_endless_loop_costs_one_exercise_and_the_grader_goes_on(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "    return sum(v * v for v in values)": "    while True:\n        pass"})
    found = rows(grade(path))
    assert found["9.2"].earned == 0 and "ran longer than 1 s" in found["9.2"].hints[0]
    assert found["9.1"].earned == 2 and found["9.3"].earned == 1


def test_an_endless_loop_at_cell_level_is_stopped_too(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb",
                              replace={"def make_data():": "while True:\n    pass\ndef make_data():"})
    found = rows(grade(path, limits=engine.Limits(cell_timeout=2)))
    assert "ran longer than 2 s" in found["9.3"].hints[0]
    assert found["9.1"].earned == 2 and found["9.2"].earned == 1


def test_warnings_never_cost_points(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "    return 2 * x\n": "    warnings.warn('careful', DeprecationWarning)\n    return 2 * x\n"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rows(grade(path))["9.1"].earned == 2


def test_untouched_learner_version_scores_zero_with_a_hint_each(tmp_path):
    found = rows(grade(toy.write_learner_notebook(tmp_path / "09_toy.ipynb")))
    for row in found.values():
        assert row.earned == 0
        assert row.hints and "not done yet" in row.hints[0]


def test_a_broken_setup_cell_is_named(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb",
                              replace={"import warnings": "import warnings_that_do_not_exist"})
    found = rows(grade(path))
    assert all(r.earned == 0 for r in found.values())
    assert "setup cell (cell 2) failed" in found["9.1"].hints[0]
    assert "ModuleNotFoundError" in found["9.1"].hints[0]


def test_a_missing_marker_or_name_gets_a_hint(tmp_path):
    found = rows(grade(toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "#| exercise: 9.3\n": "", "def double": "def twice"})))
    assert "no cell is marked '#| exercise: 9.3'" in found["9.3"].hints[0]
    assert "`double` is not defined" in found["9.1"].hints[0]


def test_a_later_cell_of_the_same_exercise_wins(tmp_path):
    cells = toy.SOLUTION_CELLS + [("code", "#| exercise: 9.1\ndef double(x):\n    return x")]
    found = rows(grade(toy.write_notebook(tmp_path / "09_toy.ipynb", cells=cells)))
    assert found["9.1"].earned == 0 and found["9.2"].earned == 1


def test_the_table_shows_points_and_hints(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={"2 * x\n": "3 * x\n"})
    table = format_table(grade(path))
    assert "9.1" in table and "0/2" in table and "hint: double(1) should be 2" in table
    assert "2/4 (50 %)" in table


@pytest.mark.parametrize("source, role", [
    ("#| setup\nimport x", ("setup", None)),
    ("#| exercise: 2.10\ndef f(): pass", ("exercise", "2.10")),
    ("#|exercise 3.1", ("exercise", "3.1")),
    ("\n#| exercise: 1.2", ("exercise", "1.2")),
    ("x = 1\n#| exercise: 1.2", (None, None)),
    ("# exercise 1.2", (None, None)),
    ("%matplotlib inline\n#| setup\nimport x", ("setup", None)),
    ("# my answer:\n\n!ls\n#| exercise: 1.2\ndef f(): pass", ("exercise", "1.2")),
    ("import os\n#| setup", (None, None)),
])
def test_cell_markers(source, role):
    assert cell_role(source) == role


def test_lesson_number_from_metadata_or_name():
    notebook = nbformat.v4.new_notebook(metadata={"mlkit": {"lesson": 4}})
    assert lesson_number("alice.ipynb", notebook) == 4
    assert lesson_number("04_sequences.ipynb", notebook) == 4
    assert lesson_number("02_mnist.ipynb") == 2
    assert lesson_number("02_mnist.ipynb", notebook, override=4) == 4
    with pytest.raises(SubmissionError, match="pass --lesson N"):
        lesson_number("alice.ipynb", nbformat.v4.new_notebook())
    with pytest.raises(SubmissionError, match="metadata says lesson 4 but its file name says "
                                              "lesson 2"):
        lesson_number("02_mnist.ipynb", notebook)


def _write(path, content):
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("name, content, phrase", [
    ("09_empty.ipynb", b"", "is empty"),
    ("09_latin.ipynb", '{"cells": [], "x": "caf\xe9"}'.encode("latin-1"),
     "is not UTF-8 text (byte 0xe9"),
    ("09_broken.ipynb", '{"cells": [', "JSON is broken at line 1"),
    ("09_list.ipynb", "[1, 2]", "not a Jupyter notebook"),
    ("alice.ipynb", '{"cells": [], "metadata": {}}', "cannot tell which lesson"),
    ("bob.ipynb", '{"cells": [], "metadata": {"mlkit": {"lesson": "two"}}}',
     "names lesson 'two'"),
    ("03_regression.ipynb", '{"cells": [], "metadata": {"mlkit": {"lesson": 9}}}',
     "metadata says lesson 9 but its file name says lesson 3"),
    ("07_unknown.ipynb", '{"cells": [], "metadata": {}}', "lesson 7, which has no graded"),
])
def test_a_submission_that_cannot_be_graded_gets_one_clear_sentence(tmp_path, name, content,
                                                                     phrase):
    report = grade(_write(tmp_path / name, content))
    assert phrase in report.error, report.error
    assert report.earned == 0
    assert "Traceback" not in report.error and "\n" not in report.error
    if name.startswith("09_"):     # the lesson is known: its points possible are kept
        assert report.possible == toy.lesson.total() == 4


def test_time_limit_restarts_an_outer_timer():
    import signal
    signal.setitimer(signal.ITIMER_REAL, 50)
    try:
        with time_limit(5):
            pass
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 40 < left <= 50
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    with pytest.raises(ExerciseTimeout):
        with time_limit(0.2):
            while True:
                pass


def test_chainer_type_errors_name_what_chainer_rejected():
    import chainer.links as L
    import numpy as np
    model = L.Linear(2, 2)
    with pytest.raises(Exception) as float64_inputs:
        model(np.zeros((2, 2)))
    hint = hint_for(float64_inputs.value, "1.3")
    assert "type check rejected" in hint and "float32" in hint


def test_checks_can_run_learner_code_in_test_mode(tmp_path):
    from mlkit.grading.registry import Lesson
    from mlkit.grading.hints import expect
    lesson = Lesson(9, "Config", notebook="09_toy")
    lesson.exercise("9.1", "reads the mode")

    @lesson.check("9.1")
    def sees_the_mode_it_is_given(nb):
        expect(nb.training() is True, "train mode by default")
        with nb.using_config("train", False):
            expect(nb.training() is False, "test mode inside using_config")
        expect(nb.training() is True, "train mode again afterwards")

    path = toy.write_notebook(tmp_path / "09_config.ipynb", cells=[
        ("code", "#| setup\nimport chainer"),
        ("code", "#| exercise: 9.1\nchainer.config.train = False   # left over from a demo\n"
                 "def training():\n    return chainer.config.train")])
    report = engine.grade(path, lessons={9: lesson})
    assert report.earned == report.possible == 1, report.exercises
