"""The grader's mechanics on a toy lesson: loading, isolation of failures, hints, time-outs."""
import warnings

import pytest

from mlkit.grading.notebook import cell_role, lesson_number, load, time_limit
from mlkit.grading.hints import ExerciseTimeout
from mlkit.grading.runner import format_table, run_check, summarize
from tests.grading import toy


def grade(path):
    submission = load(path, lesson=9)
    rows = summarize(toy.lesson, [run_check(c, submission) for c in toy.lesson.checks])
    return {row["id"]: row for row in rows}


def test_solution_scores_everything(tmp_path):
    rows = grade(toy.write_notebook(tmp_path / "09_toy.ipynb"))
    assert {i: (r["earned"], r["possible"]) for i, r in rows.items()} == {
        "9.1": (2, 2), "9.2": (1, 1), "9.3": (1, 1)}
    assert not any(r["hints"] for r in rows.values())


@pytest.mark.parametrize("replacement, expected_hint", [
    ("    return 2 *\n", "SyntaxError on line 4"),
    ("    return x / 0\n", "your code raised ZeroDivisionError"),
    ("    return 3 * x\n", "double(1) should be 2, got 3"),
])
def test_a_broken_exercise_costs_only_that_exercise(tmp_path, replacement, expected_hint):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={"    return 2 * x\n": replacement})
    rows = grade(path)
    assert rows["9.1"]["earned"] == 0
    assert any(expected_hint in hint for hint in rows["9.1"]["hints"]), rows["9.1"]["hints"]
    assert rows["9.2"]["earned"] == 1 and rows["9.3"]["earned"] == 1


def test_an_endless_loop_costs_one_check_and_the_grader_goes_on(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "    return sum(v * v for v in values)": "    while True:\n        pass"})
    rows = grade(path)
    assert rows["9.2"]["earned"] == 0 and "ran longer than 1 s" in rows["9.2"]["hints"][0]
    assert rows["9.1"]["earned"] == 2 and rows["9.3"]["earned"] == 1


def test_an_endless_loop_at_cell_level_is_stopped_too(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb",
                              replace={"def make_data():": "while True:\n    pass\ndef make_data():"})
    submission = load(path, lesson=9, cell_timeout=1)
    assert "ran longer than 1 s" in submission.load_problem("9.3")
    assert run_check(toy.lesson.checks[0], submission).passed


def test_warnings_never_cost_points(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "    return 2 * x\n": "    warnings.warn('careful', DeprecationWarning)\n    return 2 * x\n"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert grade(path)["9.1"]["earned"] == 2


def test_untouched_learner_version_scores_zero_with_a_hint_each(tmp_path):
    from mlkit.grading.release import strip_solutions
    cells = [(kind, strip_solutions(src, "toy") if kind == "code" else src)
             for kind, src in toy.SOLUTION_CELLS]
    rows = grade(toy.write_notebook(tmp_path / "09_toy.ipynb", cells=cells))
    for row in rows.values():
        assert row["earned"] == 0
        assert row["hints"] and "not done yet" in row["hints"][0]


def test_a_broken_setup_cell_is_named(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb",
                              replace={"import warnings": "import warnings_that_do_not_exist"})
    rows = grade(path)
    assert all(r["earned"] == 0 for r in rows.values())
    assert "setup cell (cell 2) failed with ModuleNotFoundError" in rows["9.1"]["hints"][0]


def test_a_missing_marker_or_name_gets_a_hint(tmp_path):
    rows = grade(toy.write_notebook(tmp_path / "09_toy.ipynb",
                                    replace={"#| exercise: 9.3\n": "", "def double": "def twice"}))
    assert "no cell is marked '#| exercise: 9.3'" in rows["9.3"]["hints"][0]
    assert "`double` is not defined" in rows["9.1"]["hints"][0]


def test_the_table_shows_points_and_hints(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={"2 * x\n": "3 * x\n"})
    table = format_table(list(grade(path).values()))
    assert "9.1" in table and "0/2" in table and "hint: double(1) should be 2" in table
    assert table.splitlines()[-1].split()[-3:] == ["2/4", "(50", "%)"]


@pytest.mark.parametrize("source, role", [
    ("#| setup\nimport x", ("setup", None)),
    ("#| exercise: 2.10\ndef f(): pass", ("exercise", "2.10")),
    ("#|exercise 3.1", ("exercise", "3.1")),
    ("\n#| exercise: 1.2", ("exercise", "1.2")),
    ("x = 1\n#| exercise: 1.2", (None, None)),
    ("# exercise 1.2", (None, None)),
])
def test_cell_markers(source, role):
    assert cell_role(source) == role


def test_lesson_number_from_metadata_or_name(tmp_path):
    import nbformat
    notebook = nbformat.v4.new_notebook(metadata={"mlkit": {"lesson": 4}})
    assert lesson_number("alice.ipynb", notebook) == 4
    assert lesson_number("02_mnist.ipynb") == 2
    with pytest.raises(ValueError, match="pass --lesson N"):
        lesson_number("alice.ipynb", nbformat.v4.new_notebook())


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


def test_unreadable_notebook_gives_a_clear_error(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text("{ not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        load(path)


def test_chainer_type_errors_become_dtype_hints():
    import chainer.functions as F
    import chainer.links as L
    import numpy as np
    from mlkit.grading.hints import hint_for
    model = L.Linear(2, 2)
    with pytest.raises(Exception) as float64_inputs:
        model(np.zeros((2, 2)))
    assert "float32" in hint_for(float64_inputs.value, "1.3")
    with pytest.raises(Exception) as float_labels:
        F.softmax_cross_entropy(model(np.zeros((2, 2), np.float32)), np.array([0.0, 1.0]))
    assert "class labels must be int32" in hint_for(float_labels.value, "1.3")
