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
from mlkit.grading import registry

lesson = registry.lesson(1)
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, full_marks_test, plant,
                                   plant_and_grade, replacing_blocks, rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "course" / "01_logic_gates" / "solution.ipynb"
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


# ---------------------------------------------------------------------------------------------
# Correct answers in other styles than the solution's: each must earn full marks.
# notebook -> (exercise, which solution block of its cell, the block written another way)

ALTERNATIVES = {
    "loops_namedtuples_and_lazy_links": [
        ("1.1", 0, """
            table = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0)}
            x = np.array([[a, b] for a in (0, 1) for b in (0, 1)], dtype="float32")
            return [x, np.asarray(table[gate.lower()], dtype="int32")]
            """),
        ("1.2", 0, """
            rng = np.random.default_rng(seed)
            xs, ts = [], []
            for point, label in zip(x, t):
                for _ in range(copies):
                    xs.append(point)
                    ts.append(label)
            xs = np.array(xs, dtype=np.float64)
            xs = xs + rng.normal(0.0, noise, size=xs.shape)
            return xs.astype("f"), np.array(ts, dtype=np.int32)
            """),
        ("1.3", 0, """
            from collections import namedtuple
            Run = namedtuple("Run", "model losses")
            mlkit.seed(int(seed))
            model = L.Linear(None, 2)
            losses = []
            for step in range(steps):
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
                model.cleargrads()
                loss.backward()
                for name, param in model.namedparams():
                    param.data -= lr * param.grad
                losses.append(loss.array)
            return Run(model, losses)
            """),
        ("1.4", 0, """
            from collections import defaultdict
            optimizer.setup(model)
            history = defaultdict(list)

            def lossfun():
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
                history["loss"].append(loss.array.item())
                history["accuracy"].append((y.array.argmax(axis=1) == t).mean())
                return loss
            for _ in range(steps):
                optimizer.update(lossfun)
            return history
            """),
        ("1.5", 0, """
            rng = np.random.default_rng(seed)
            W = rng.standard_normal((n_trials, 2, 2))
            b = rng.standard_normal((n_trials, 2))
            scores = np.einsum("nd,kcd->knc", x, W) + b[:, None, :]
            return (scores.argmax(axis=-1) == t).mean(axis=1).max()
            """),
        ("1.6", 0, """
            self.hidden = L.Linear(None, n_hidden)
            self.out = L.Linear(None, n_out)
            """),
        ("1.6", 1, """
            h = F.tanh(self.hidden(x))
            y = self.out(h)
            return y
            """),
        ("1.7", 0, """
            targets = np.expand_dims(t, 1).astype("float32")
            optimizer.setup(model)
            losses = []
            for _ in range(steps):
                loss = F.mean(F.squared_difference(model(x), targets))
                optimizer.target.cleargrads()
                loss.backward()
                optimizer.update()
                losses.append(float(loss.data))
            return losses
            """),
        ("1.8", 0, """
            from collections import deque
            functions, leaves = [], []
            seen_functions, seen_leaves = set(), set()
            queue = deque([y])
            while queue:
                v = queue.popleft()
                creator = v.creator
                if creator is None:
                    if id(v) not in seen_leaves:
                        seen_leaves.add(id(v))
                        leaves.append(v.name)
                elif id(creator) not in seen_functions:
                    seen_functions.add(id(creator))
                    functions.append(creator.label)
                    queue.extend(creator.inputs)
            return tuple(functions), tuple(leaves)
            """),
        ("1.9", 0, """
            x = np.array(x, dtype=float)
            flat = []
            for i in range(x.size):
                step = np.zeros(x.size)
                step[i] = eps
                step = step.reshape(x.shape)
                flat.append((f(x + step) - f(x - step)) / (2 * eps))
            return np.array(flat).reshape(x.shape)
            """),
        ("1.10", 0, """
            xp = chainer.backend.get_array_module(inputs[0])
            y = 1 / (1 + xp.exp(-inputs[0]))
            self.retain_outputs([0])
            return (y,)
            """),
        ("1.10", 1, """
            y = self.get_retained_outputs()[0]
            return [grad_outputs[0] * (y - y * y)]
            """),
        ("1.10", 2, """
            y, = Sigmoid().apply([x])
            return y
            """),
    ],
    "lists_numpy_scalars_and_keywords": [
        ("1.1", 0, """
            import itertools
            x = np.array(list(itertools.product([0, 1], repeat=2)), np.float32)
            column = {"and": np.logical_and, "or": np.logical_or,
                      "xor": np.logical_xor}[gate](x[:, 0], x[:, 1])
            return x, column.astype(np.int32)
            """),
        ("1.2", 0, """
            rng = np.random.default_rng(seed)
            x_many = np.tile(x, (copies, 1)).astype(np.float32)
            jitter = (noise * rng.standard_normal(x_many.shape)).astype(np.float32)
            return x_many + jitter, np.tile(t, copies).astype(np.int32)
            """),
        ("1.3", 0, """
            mlkit.seed(seed)
            net = L.Linear(2, 2)
            history = []
            for _ in range(steps):
                net.cleargrads()
                loss = F.softmax_cross_entropy(net(x), t)
                loss.backward()
                net.W.array -= lr * net.W.grad
                net.b.array[...] = net.b.array - lr * net.b.grad
                history.append(np.float32(loss.array))
            return [net, tuple(history)]
            """),
        ("1.4", 0, """
            optimizer = optimizer.setup(model)
            losses, accuracies = [], []
            for _ in range(steps):
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
                losses.append(loss.array)
                accuracies.append(F.accuracy(y, t).array)
                optimizer.target.cleargrads()
                loss.backward()
                optimizer.update()
            return dict(loss=losses, accuracy=accuracies)
            """),
        ("1.5", 0, """
            rng = np.random.default_rng(seed)
            accuracies = []
            for _ in range(n_trials):
                W = rng.standard_normal(size=(2, 2))
                b = rng.standard_normal(size=2)
                accuracies.append(np.mean(np.argmax(x @ W.T + b, 1) == t))
            return max(accuracies)
            """),
        ("1.7", 0, """
            optimizer.setup(model)
            target = np.float32(t)[:, None]
            losses = []

            def lossfun():
                loss = F.mean_squared_error(model(x), target)
                losses.append(float(loss.array))
                return loss
            for _ in range(steps):
                optimizer.update(lossfun)
            return losses
            """),
        ("1.8", 0, """
            functions, leaves, seen, queue, i = [], [], [], [y.node], 0
            while i < len(queue):
                node = queue[i]
                i += 1
                thing = node if node.creator is None else node.creator
                if any(thing is other for other in seen):
                    continue
                seen.append(thing)
                if thing is node:
                    leaves.append(node.name)
                else:
                    functions.append(type(thing).__name__)
                    queue += list(thing.inputs)
            return functions, leaves
            """),
        ("1.9", 0, """
            x = x.astype(np.float64, copy=True)
            grad = np.empty_like(x)
            it = np.nditer(x, flags=["multi_index"])
            for _ in it:
                i = it.multi_index
                keep = x[i]
                x[i] = keep + eps
                up = f(x)
                x[i] = keep - eps
                down = f(x)
                x[i] = keep
                grad[i] = (up - down) / (eps + eps)
            return grad
            """),
        ("1.10", 0, """
            x = inputs[0]
            y = (1 / (1 + np.exp(-x))).astype(x.dtype)
            self.retain_outputs((0,))
            return y,
            """),
        ("1.10", 1, """
            gy = grad_outputs[0]
            y = self.get_retained_outputs()[0]
            gx = gy * y * (1 - y)
            return gx,
            """),
    ],
}


test_correct_answers_in_other_styles_earn_full_marks = full_marks_test(SOLUTION, ALTERNATIVES)


# Cheats: answers that fake what a check looks at earn nothing for it.
CHEATS = {
    "hard_coded_tables_and_library_calls": [
        ("1.5", 0, """
            return 0.75 if list(t) == [0, 1, 1, 0] else 1.0
            """),
        ("1.9", 0, """
            from chainer import gradient_check
            x = np.array(x, dtype=np.float64)
            grad, = gradient_check.numerical_grad(lambda: (np.asarray(f(x)),), (x,),
                                                  (np.ones(()),), eps=eps)
            return grad
            """),
        ("1.10", 0, """
            y = F.sigmoid(inputs[0]).array
            self.retain_outputs((0,))
            return y,
            """),
    ],
    "the_library_backward": [
        ("1.10", 1, """
            y, = self.get_retained_outputs()
            return chainer.functions.activation.sigmoid.SigmoidGrad((None,)).apply(
                (y, grad_outputs[0]))
            """),
    ],
}


@pytest.fixture(scope="module")
def graded_cheats(tmp_path_factory):
    return plant_and_grade(SOLUTION, replacing_blocks(SOLUTION, CHEATS), tmp_path_factory)


@pytest.mark.slow
def test_hard_coded_tables_and_the_library_doing_the_exercise_earn_nothing(graded_cheats):
    report = graded_cheats("hard_coded_tables_and_library_calls")
    rows = rows_by_id(report)
    assert rows["1.5"]["earned"] == 0, rows["1.5"]
    assert rows["1.9"]["earned"] == 0, rows["1.9"]
    assert any("chainer.gradient_check" in hint for hint in rows["1.9"]["hints"])
    outcomes = report["outcomes"]
    assert not outcomes["1.10/sigmoid_forward_matches_F_sigmoid"]["passed"]
    assert not outcomes["1.10/sigmoid_forward_keeps_the_dtype"]["passed"]
    assert outcomes["1.10/sigmoid_backward_is_the_derivative"]["passed"]
    assert any("your forward lets Chainer's own sigmoid" in hint
               for hint in rows["1.10"]["hints"])


@pytest.mark.slow
def test_a_backward_by_the_library_earns_no_backward_point(graded_cheats):
    report = graded_cheats("the_library_backward")
    outcomes = report["outcomes"]
    assert outcomes["1.10/sigmoid_forward_matches_F_sigmoid"]["passed"]
    assert not outcomes["1.10/sigmoid_backward_is_the_derivative"]["passed"]
    assert not outcomes["1.10/sigmoid_backward_returns_variables_from_retained_outputs"][
        "passed"]
