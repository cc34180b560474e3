"""An exercise that asks the learner to write what a library has: the library cannot stand in.

A lesson declares, per exercise, the callables that may not do the exercise's work
(``lesson.exercise(..., write_yourself=...)``, :mod:`mlkit.grading.guard`). Whatever the name
the learner reaches them by (an alias, a wrapper, a subclass, a helper that hides the call), the
exercise earns nothing, with one hint, in ``mlkit grade`` and in ``mlkit.check`` alike; other
exercises and the cells keep using the library.
"""
import numpy as np
import pytest

import mlkit  # noqa: F401  (Chainer on today's NumPy)
from mlkit.grading import engine, guard, instant, registry
from mlkit.grading.hints import expect
from tests.grading import toy


# ---------------------------------------------------------------------------------------------
# The traps themselves

def _library():
    import chainer
    import chainer.functions as F
    return chainer, F


def test_every_way_of_reaching_a_trapped_function_runs_the_trap():
    chainer, F = _library()
    x = np.linspace(-2, 2, 6, dtype=np.float32)
    alias = F.sigmoid

    def hidden(value):
        return alias(value)

    class Subclass(chainer.functions.activation.sigmoid.Sigmoid):
        pass

    def through_node(value):
        return Subclass().apply((value,))[0]

    ways = {"direct": lambda: F.sigmoid(x), "alias": lambda: alias(x),
            "hidden": lambda: hidden(x), "subclass": lambda: through_node(x)}
    traps = guard.Traps(["chainer.functions.sigmoid",
                         "chainer.functions.activation.sigmoid"]).set()
    try:
        for way, call in ways.items():
            with pytest.raises(guard.WriteItYourself):
                call()
        assert F.relu(x).shape == x.shape, "what is not named stays usable"
    finally:
        used = traps.unset()
    assert used and used[0].startswith("chainer.functions.activation.sigmoid.")
    # the code is back: the library works again, and nothing is recorded any more
    np.testing.assert_allclose(F.sigmoid(x).array, 1 / (1 + np.exp(-x)), rtol=1e-6)
    assert guard.Traps.used == []


def test_a_closure_and_a_method_are_trapped_with_their_free_variables():
    def make_scaler(factor):
        def scale(x):
            return factor * x
        return scale

    scaler = make_scaler(3)
    module_name = "tests.grading._guarded_example"
    import sys
    import types
    module = types.ModuleType(module_name)
    module.scale = scaler
    scaler.__module__ = module_name
    sys.modules[module_name] = module
    try:
        with guard.Traps([f"{module_name}.scale"]):
            with pytest.raises(guard.WriteItYourself):
                scaler(2)
        assert scaler(2) == 6
    finally:
        del sys.modules[module_name]
        guard.TABLE.pop(f"{module_name}.scale", None)


def test_names_that_cannot_be_trapped_are_refused_with_a_reason():
    with pytest.raises(guard.GuardError, match="cannot be imported"):
        guard.functions_named("chainer.functions.no_such_function")
    with pytest.raises(guard.GuardError, match="no Python code"):
        guard.functions_named("numpy.exp")          # a ufunc, in C


def test_the_graders_own_code_is_never_trapped():
    names = {f"{f.__module__}.{f.__qualname__}" for f in guard.functions_named("mlkit")}
    assert names and not any(n.startswith("mlkit.grading") for n in names)


# ---------------------------------------------------------------------------------------------
# Grading: the toy lesson whose exercise 9.2 (sum of squares) may not use numpy.linalg.norm

def _guarded_lesson():
    lesson = registry.Lesson(9, "Toy lesson with a guarded exercise", notebook="09_toy")
    for exercise_id, title in toy.lesson.exercises.items():
        lesson.exercise(exercise_id, title, **(
            {"write_yourself": ("numpy.linalg.norm",), "how": "add up v * v yourself"}
            if exercise_id == "9.2" else {}))
    lesson.checks.extend(toy.lesson.checks)

    @lesson.check("9.2", points=1)
    def sums_squares_of_floats(nb):
        expect(abs(nb.sum_of_squares([0.5, 1.5]) - 2.5) < 1e-9,
               "sum_of_squares([0.5, 1.5]) should be 2.5")
    return lesson


GUARDED = _guarded_lesson()
SUM = "    return sum(v * v for v in values)\n"
CHEATS = {
    "direct": "    return float(np.linalg.norm(values)) ** 2\n",
    "alias from an earlier cell": "    return float(length(values)) ** 2\n",
    "wrapper": "    return float(my_norm(values)) ** 2\n",
    "hidden in a helper": "    return float(helper(values)) ** 2\n",
    "the grader's table emptied in a cell": "    return float(np.linalg.norm(values)) ** 2\n",
    "caught and retried": ("    try:\n        return float(np.linalg.norm(values)) ** 2\n"
                           "    except Exception:\n        return 14.0 if len(values) == 3 else 2.5\n"),
}
SETUP_EXTRAS = ("\nlength = np.linalg.norm\n"
                "def my_norm(v):\n    return length(v)\n"
                "def helper(v):\n    return my_norm(np.asarray(v, float))\n")


EMPTIES_THE_TABLE = "\nfrom mlkit.grading import guard\nguard.TABLE.clear()\n"


def _notebook(tmp_path, answer, library_in_9_1=False, extras=""):
    replace = {SUM: answer, "import warnings": "import warnings" + SETUP_EXTRAS + extras}
    if library_in_9_1:          # another exercise uses the library: that is allowed
        replace["    return 2 * x\n"] = ("    return 2 * x if np.linalg.norm([3.0, 4.0]) == 5 "
                                         "else None\n")
    return toy.write_notebook(tmp_path / "09_toy.ipynb", replace=replace)


def _grade(path):
    report = engine.grade(path, lessons={9: GUARDED})
    assert not report.error, report.error
    assert report.possible == GUARDED.total()
    return {row.id: row for row in report.exercises}


def test_an_honest_answer_and_the_library_elsewhere_keep_full_marks(tmp_path):
    rows = _grade(_notebook(tmp_path, SUM, library_in_9_1=True))
    assert all(row.earned == row.possible for row in rows.values()), rows
    assert not any(row.hints for row in rows.values())


@pytest.mark.parametrize("cheat", list(CHEATS))
def test_the_library_standing_in_earns_nothing_with_one_hint(tmp_path, cheat):
    extras = EMPTIES_THE_TABLE if cheat == "the grader's table emptied in a cell" else ""
    rows = _grade(_notebook(tmp_path, CHEATS[cheat], extras=extras))
    assert rows["9.2"].earned == 0
    assert rows["9.1"].earned == rows["9.1"].possible, "the other exercises are not touched"
    text = " | ".join(rows["9.2"].hints)
    if cheat == "the grader's table emptied in a cell":
        assert "changed the grader's own code" in text
        return
    assert "exercise 9.2 asks you to write this yourself" in text and "numpy.linalg" in text
    assert "add up v * v yourself" in text


@pytest.mark.parametrize("cheat", ["direct", "alias from an earlier cell", "caught and retried"])
def test_the_instant_check_agrees_with_the_grader(tmp_path, monkeypatch, cheat):
    namespace = {"np": np}
    exec(SETUP_EXTRAS, namespace)
    exec("def sum_of_squares(values):\n" + CHEATS[cheat], namespace)
    monkeypatch.setattr(registry, "lesson", lambda number, checks_dir=None: GUARDED)
    verdict = instant.check_now("9.2", namespace)
    assert verdict.earned == 0
    assert all("asks you to write this yourself" in " ".join(r.hints) for r in verdict.rows)
    exec("def sum_of_squares(values):\n" + SUM, namespace)
    assert instant.check_now("9.2", namespace).earned == GUARDED.possible("9.2")
    assert float(np.linalg.norm([3.0, 4.0])) == 5.0, "the library works after the check"
