"""Lesson 1's grader on the notebooks a learner really hands in.

* the untouched learner notebook scores 0, with a hint for every exercise;
* training by hand (1.3) that rebinds ``p`` instead of updating in place, or that does not seed
  before building the model, a ``fit`` (1.4) that measures the accuracy after the update or
  never sets the optimizer up, and a regression (1.7) whose targets are no column, each lose
  exactly the checks that catch them, with their own hint;
* a walk of the graph (1.8) that follows only each function's first input, and one that lists
  a shared function or leaf each time it reaches it, each lose part of 1.8 with their own hint;
* a hand-written sigmoid node (1.10) without the factor y (1 - y) in backward, with a float64
  forward, with a backward that returns arrays, or one that keeps y in an attribute instead of
  retaining it, each lose exactly the one check that catches it, with its own hint;
* a solution carrying the typical mistakes of the lesson (int64 labels, float64 inputs, no
  ``cleargrads`` in either training loop) and an endless loop loses the points of exactly those
  exercises, each with the hint that names its mistake, and keeps the others; each typical
  mistake keeps part of its exercise's points; wrong answers (one output instead of two class
  scores, a softmax in the model, one-sided differences, a step by hand instead of the
  optimizer's, int32 regression targets) get the hint that names them and no other.

Each ``grade_one`` runs the grader in a fresh process (several seconds), so the mutated notebook
is graded once for all its mistakes.
"""
from pathlib import Path

import pytest

from mlkit.grading.batch import grade_one
from mlkit.grading.checks.lesson01 import lesson
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, plant, rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "01_logic_gates.ipynb"
LEARNER = ROOT / "lessons" / "01_logic_gates.ipynb"

# (exercise, solution text, typical wrong text, phrase its hint must contain)
TYPICAL = [
    ("1.1", "t = np.array(outputs, dtype=np.int32)", "t = np.array(outputs, dtype=np.int64)",
     "int32"),
    ("1.2", "return x_noisy.astype(np.float32), t_many.astype(np.int32)",
     "return x_noisy, t_many.astype(np.int32)", "float32"),
    ("1.3", "        model.cleargrads()\n", "", "cleargrads"),
    ("1.4", "        model.cleargrads()\n", "", "cleargrads"),
]
# Wrong answers whose hint must name what is wrong, and nothing they did not do.
NOT_THAT_MISTAKE = [
    ("1.3", "model = L.Linear(2, 2)", "model = L.Linear(2, 1)", "2 class scores"),
    ("1.6", "return self.out(F.tanh(self.hidden(x)))",
     "return F.softmax(self.out(F.tanh(self.hidden(x))))", "raw class scores"),
    ("1.9", "grad[i] = (f_plus - f_minus) / (2 * eps)", "grad[i] = (f_plus - f_minus) / eps",
     "is off by"),
    ("1.4", "        optimizer.update()\n",
     "        for p in model.params():\n            p.array -= 0.1 * p.grad\n",
     "let the optimizer make the step"),
    ("1.7", "target = t.astype(np.float32).reshape(-1, 1)", "target = t.reshape(-1, 1)",
     "needs float32 targets"),
]
ENDLESS = ("1.8", "    functions, leaves = [], []\n",
           "    while True:\n        pass\n    functions, leaves = [], []\n", "ran longer than")
# Mistakes of one exercise each, graded in a notebook of their own:
# (name, [(exercise, solution text, wrong text, hint phrase), ...], points lost, phrase that no
# hint of the exercise may hold).
NOT_IN_PLACE = ("1.3", "p.array -= lr * p.grad", "p = p - lr * p.grad", "in place")
UNSEEDED = ("1.3", "    mlkit.seed(seed)\n", "", "call mlkit.seed(seed) first")
ACCURACY_AFTER_UPDATE = [
    ("1.4", "        history[\"accuracy\"].append(float(F.accuracy(y, t).array))\n", "", None),
    ("1.4", "        optimizer.update()\n",
     "        optimizer.update()\n"
     "        history[\"accuracy\"].append(float(F.accuracy(model(x), t).array))\n",
     "accuracy after the update")]
NO_SETUP = ("1.4", "    optimizer.setup(model)\n", "", "optimizer.setup(model)")
TARGETS_NOT_A_COLUMN = ("1.7", "target = t.astype(np.float32).reshape(-1, 1)",
                        "target = t.astype(np.float32)", "output's shape (N, 1)")
FIRST_INPUT_ONLY = ("1.8", "queue.extend(node.creator.inputs)",
                    "queue.append(node.creator.inputs[0])", "missed the other inputs")
REPEATS = ("1.8", "        if found in seen:\n            continue\n", "", "more than once")
NO_FACTOR = ("1.10", "return gy * y * (1 - y),", "return gy,", "gy unchanged")
FLOAT64_FORWARD = ("1.10", "y = xp.tanh(x * 0.5) * 0.5 + 0.5",
                   "y = 1 / (1 + np.exp(-x.astype(np.float64)))", "returned float64")
ARRAYS_BACK = ("1.10", "return gy * y * (1 - y),", "return gy.array * y.array * (1 - y.array),",
               "returns Variables")
SAVED_NOT_RETAINED = [("1.10", "self.retain_outputs((0,))", "self.y = y", None),
                      ("1.10", "y, = self.get_retained_outputs()", "y = self.y",
                       "self.get_retained_outputs()")]
ALONE = [("not_in_place", [NOT_IN_PLACE], 3, "cleargrads"),
         ("unseeded", [UNSEEDED], 3, "cleargrads"),
         ("accuracy_after_update", ACCURACY_AFTER_UPDATE, 1, "cleargrads"),
         ("no_setup", [NO_SETUP], 1, "cleargrads"),
         ("targets_not_a_column", [TARGETS_NOT_A_COLUMN], 3, "needs float32 targets"),
         ("first_input", [FIRST_INPUT_ONLY], 2, "more than once"),
         ("repeats", [REPEATS], 1, "missed the other inputs"),
         ("no_factor", [NO_FACTOR], 1, "float64"),
         ("float64_forward", [FLOAT64_FORWARD], 1, "y * (1 - y)"),
         ("arrays_back", [ARRAYS_BACK], 1, "float64"),
         ("saved_not_retained", SAVED_NOT_RETAINED, 1, "ndarray")]


@pytest.fixture(scope="module")
def mutated_report(tmp_path_factory):
    return grade_one(plant(SOLUTION, TYPICAL + [ENDLESS], tmp_path_factory.mktemp("mutated")))


@pytest.fixture(scope="module")
def not_that_report(tmp_path_factory):
    return grade_one(plant(SOLUTION, NOT_THAT_MISTAKE, tmp_path_factory.mktemp("not_that")))


@pytest.fixture(scope="module")
def alone_reports(tmp_path_factory):
    return {name: grade_one(plant(SOLUTION, mistakes, tmp_path_factory.mktemp(name)))
            for name, mistakes, _, _ in ALONE}


@pytest.mark.slow
@pytest.mark.parametrize("name, mistakes, lost, not_phrase", ALONE, ids=[a[0] for a in ALONE])
def test_a_mistake_alone_loses_exactly_its_points_with_its_own_hint(alone_reports, name,
                                                                     mistakes, lost, not_phrase):
    report = alone_reports[name]
    assert_mistakes_cost_only_their_exercise(lesson, report, mistakes, partial=False)
    row = rows_by_id(report)[mistakes[0][0]]     # the points lost, exactly
    assert row["earned"] == row["possible"] - lost, row
    assert not any(not_phrase in hint for hint in row["hints"]), row["hints"]


@pytest.mark.slow
def test_hints_name_the_mistake_made_and_no_other(not_that_report):
    assert_mistakes_cost_only_their_exercise(lesson, not_that_report, NOT_THAT_MISTAKE,
                                             partial=False)
    rows = rows_by_id(not_that_report)
    assert not any("one-sided" in hint for hint in rows["1.9"]["hints"]), rows["1.9"]
    assert not any("p.array -=" in hint for hint in rows["1.4"]["hints"]), rows["1.4"]


@pytest.mark.slow
def test_untouched_learner_notebook_scores_zero_with_a_hint_everywhere():
    assert_untouched_scores_zero(lesson, grade_one(LEARNER))


@pytest.mark.slow
def test_mistakes_cost_only_their_exercises_with_their_hints(mutated_report):
    assert_mistakes_cost_only_their_exercise(lesson, mutated_report, TYPICAL + [ENDLESS],
                                             partial=False)


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", [m[0] for m in TYPICAL])
def test_a_typical_mistake_keeps_part_of_its_exercise(mutated_report, exercise_id):
    row = rows_by_id(mutated_report)[exercise_id]
    assert 0 < row["earned"] < row["possible"], row


@pytest.mark.slow
def test_an_endless_loop_costs_its_whole_exercise(mutated_report):
    assert rows_by_id(mutated_report)[ENDLESS[0]]["earned"] == 0
