"""Lesson 1, logic gates and define-by-run: the checks of its ten exercises.

Each check builds its own data and models and compares the learner's answer with a reference
computed here, so one exercise never depends on another one being right. Models and functions
that a learner's code receives are made in the worker from the same numbers as the reference
(:mod:`helpers`, the lesson's worker-side building blocks); weights and inputs are drawn fresh for every grading run
(``nb.rng``), so an answer copied from another run does not fit. The typical mistakes of each
exercise get a hint of their own, given only when the answer really shows that mistake.
"""
import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from . import helpers as fixtures
from mlkit.grading.check_helpers import (as_dict, as_pair, expect_raw_scores, real_number,
                                         same_params, sigmoid, type_name)
from mlkit.grading.hints import expect, is_a
from mlkit.grading.registry import Lesson

HELPERS = f"{__package__}.helpers"   # the worker imports this lesson's helpers by name

lesson = Lesson(1, "Logic gates and define-by-run", notebook="01_logic_gates")
lesson.exercise("1.1", "Truth tables as Chainer data")
lesson.exercise("1.2", "Noisy copies of a data set")
lesson.exercise("1.3", "Training AND by hand")
lesson.exercise("1.4", "Training with a Chainer optimizer")
lesson.exercise("1.5", "The best a line can do")
lesson.exercise("1.6", "A hidden layer for XOR")
lesson.exercise("1.7", "XOR as regression")
lesson.exercise("1.8", "Walking the whole graph back")
lesson.exercise("1.9", "Gradients by central differences")
lesson.exercise("1.10", "A function with a hand-written backward")

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}


def _table(gate):
    return CORNERS.copy(), np.array(GATES[gate], dtype=np.int32)


# ---------------------------------------------------------------------------------------------
# Models on both sides: the same numbers in the worker (for the learner) and here (reference)

def _linear_weights(rng, n_in=2, n_out=2):
    return (rng.normal(0, 1, (n_out, n_in)).astype(np.float32),
            rng.normal(0, 0.5, n_out).astype(np.float32))


def _linear_pair(nb, n_in=2, n_out=2):
    """(the learner's copy in the worker, the grader's reference) of one random L.Linear."""
    W, b = _linear_weights(nb.rng, n_in, n_out)
    return nb.module(HELPERS).linear(W, b), fixtures.linear(W, b)


def _two_layer_pair(nb, hidden=3):
    weights = (*_linear_weights(nb.rng, 2, hidden), *_linear_weights(nb.rng, hidden, 2))
    return nb.module(HELPERS).two_layer(*weights), fixtures.two_layer(*weights)


def _params(nb, model):
    """``{name: array}`` of a model in the worker (or here)."""
    return {name: nb.array(p) for name, p in sorted(model.namedparams())}


def _optimizer_pair(nb, name, **settings):
    import chainer
    return (getattr(nb.module("chainer.optimizers"), name)(**settings),
            getattr(chainer.optimizers, name)(**settings))


def _dtype_problems(x, t):
    """The learner-facing sentences for wrong input / label dtypes (empty when both are right)."""
    problems = []
    if x.dtype != np.float32:
        problems.append(
            f"inputs x have dtype {x.dtype}, expected float32: L.Linear holds float32 weights "
            "and Chainer's type check rejects other float types (NumPy makes float64 by "
            "default, random numbers included), so return x.astype(np.float32)")
    if t.dtype != np.int32:
        problems.append(
            f"labels t have dtype {t.dtype}, expected int32: class labels are int32 in Chainer "
            "(np.array([0, 1]) is int64 on Linux), so return t.astype(np.int32)")
    return problems


def _scores_shape_hint(shape, n=4):
    return (f"for {n} inputs your model returned an output of shape {shape}; a classifier of "
            f"2 classes gives 2 class scores per input, shape ({n}, 2): "
            "use L.Linear(2, 2) (2 inputs -> 2 class scores)")


def _as_loss_float(nb, value, exercise_call):
    """The returned loss as a float, or a hint saying what to return instead."""
    expect(not nb.isinstance(value, "chainer.Variable"),
           f"{exercise_call} returned a chainer.Variable; return the loss as a Python float, "
           "float(loss.array) (a Variable keeps its whole graph alive in your history)")
    number = real_number(value, integers=False)
    expect(number is not None,
           f"{exercise_call} returned {type(value).__name__} ({value!r}); return the loss "
           "before the update as a float: float(loss.array)")
    return number


def _output(nb, model, x):
    return nb.array(model(x))


# ---------------------------------------------------------------------------------------------
# 1.1 truth tables

@lesson.check("1.1", points=1, timeout=10)
def truth_tables_have_the_right_values(nb):
    for gate, outputs in GATES.items():
        x, t = nb.gate_dataset(gate)
        x, t = nb.array(x), nb.array(t)
        expect(x.shape == (4, 2), f"gate_dataset({gate!r}): x should have shape (4, 2), one row "
                                  f"per input pair, got {x.shape}")
        expect(t.shape == (4,), f"gate_dataset({gate!r}): t should have shape (4,), one label "
                                f"per row, got {t.shape}")
        expect(np.array_equal(x, CORNERS),
               f"gate_dataset({gate!r}): x should be the rows (0,0), (0,1), (1,0), (1,1) in "
               f"that order, got {x.tolist()}")
        expect(np.array_equal(t, outputs),
               f"gate_dataset({gate!r}): labels should be {outputs}, got {t.tolist()}")


@lesson.check("1.1", points=1, timeout=10)
def truth_tables_have_chainer_dtypes(nb):
    for gate in GATES:
        x, t = nb.gate_dataset(gate)
        problems = _dtype_problems(nb.array(x), nb.array(t))
        expect(not problems, f"gate_dataset({gate!r}): " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# 1.2 noisy copies

def _nearest(points, centres):
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


@lesson.check("1.2", points=1, timeout=10)
def noisy_copies_keep_each_label(nb):
    x, t = _table("xor")
    order = nb.rng.permutation(4)          # fresh order: the copies follow x, not the corners
    x, t = x[order], t[order]
    for copies in (1, int(nb.rng.integers(3, 7))):
        xs, ts = nb.noisy_copies(x, t, copies, 0.05, seed=int(nb.rng.integers(1000)))
        xs, ts = nb.array(xs).astype(np.float64), nb.array(ts)
        expect(xs.shape == (4 * copies, 2) and ts.shape == (4 * copies,),
               f"noisy_copies(x, t, copies={copies}) of 4 points should return x of shape "
               f"({4 * copies}, 2) and t of shape ({4 * copies},), got {xs.shape} and {ts.shape}")
        source = _nearest(xs, x.astype(np.float64))
        expect(np.array_equal(ts, t[source]),
               "each noisy point must keep the label of the point it was copied from; some "
               "labels do not match the nearest original point (copy x and t the same way, "
               "e.g. np.repeat(x, copies, axis=0) and np.repeat(t, copies))")
        expect(np.array_equal(np.bincount(source, minlength=4), [copies] * 4),
               f"every original point should appear exactly {copies} times; counts were "
               f"{np.bincount(source, minlength=4).tolist()}")
    xs, ts = nb.noisy_copies(x, t, 3, 0.0, seed=0)
    expect(np.allclose(np.sort(nb.array(xs).astype(np.float64), axis=0),
                       np.sort(np.repeat(x, 3, axis=0), axis=0)),
           "with noise=0 the copies must equal the original points")


@lesson.check("1.2", points=1, timeout=10)
def noisy_copies_are_seeded_gaussian_noise(nb):
    x, t = _table("and")
    seed = int(nb.rng.integers(1, 10_000))
    noise = float(nb.rng.choice([0.05, 0.1, 0.15]))
    a = nb.array(nb.noisy_copies(x, t, 300, noise, seed=seed)[0])
    b = nb.array(nb.noisy_copies(x, t, 300, noise, seed=seed)[0])
    c = nb.array(nb.noisy_copies(x, t, 300, noise, seed=seed + 1)[0])
    expect(np.array_equal(a, b), "the same seed must give the same numbers: make a generator "
                                 "from it, rng = np.random.default_rng(seed), and draw from rng")
    expect(not np.array_equal(a, c), "different seeds gave the same numbers: draw the noise "
                                     "from np.random.default_rng(seed)")
    a = a.astype(np.float64)
    residual = a - x[_nearest(a, x.astype(np.float64))]
    spread = residual.std()
    expect(abs(residual.mean()) < 0.2 * noise and abs(spread / noise - 1) < 0.15,
           f"the noise should be Gaussian with mean 0 and standard deviation noise={noise}; "
           f"measured mean {residual.mean():.3f} and std {spread:.3f} (multiply standard "
           "normal numbers by noise)")


@lesson.check("1.2", points=1, timeout=10)
def noisy_copies_have_chainer_dtypes(nb):
    x, t = _table("or")
    xs, ts = nb.noisy_copies(x, t, 2, 0.1, seed=0)
    problems = _dtype_problems(nb.array(xs), nb.array(ts))
    expect(not problems, "noisy_copies: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# 1.3 training AND by hand, 1.4 training with an optimizer

def _stale_twin(model):
    import copy
    stale = copy.deepcopy(model)
    stale.cleargrads()                   # so that the accumulation shows as numbers, not NaN
    return stale


def _step_hint(name, before, after, stale, by_hand):
    """Why the parameters after the learner's steps differ from the reference."""
    if any(np.isnan(value).any() for value in after.values()):
        return (f"after {name} the parameters are NaN: a new Chainer parameter's gradient "
                "starts out filled with NaN, and backward() adds to the gradient already there; "
                "call model.cleargrads() before loss.backward() in every step")
    if same_params(after, before, rtol=1e-5, atol=0):
        if by_hand:
            return (f"{name} did not change the parameters; update them in place (p.array -= "
                    "lr * p.grad changes the array the model holds; p = p - ... only rebinds p)")
        return (f"{name} did not change the parameters: call optimizer.update() after "
                "loss.backward()")
    if stale is not None and same_params(after, stale, rtol=1e-5, atol=1e-6):
        return (f"after several steps of {name} the parameters moved by the sum of all "
                "steps' gradients: Chainer adds each backward() to the gradients already "
                "there, so call model.cleargrads() before loss.backward() in every step")
    if by_hand:
        return (f"after {name} the parameters differ from steps of gradient descent "
                "(each step: forward, model.cleargrads(), loss.backward(), then p.array -= "
                "lr * p.grad for every p in model.params())")
    return (f"after {name} the parameters differ from optimizer steps (each step: forward, "
            "model.cleargrads(), loss.backward(), optimizer.update())")


def _sgd_by_hand_reference(model, x, t, lr, clear=True):
    import chainer.functions as F
    loss = F.softmax_cross_entropy(model(x), t)
    if clear:
        model.cleargrads()
    loss.backward()
    for p in model.params():
        p.array -= lr * p.grad
    return float(loss.array)


def _seeded_and_model(seed):
    """What ``mlkit.seed(seed)`` followed by ``L.Linear(2, 2)`` makes (here, as the reference)."""
    import chainer.links as L
    mlkit.seed(int(seed))
    return L.Linear(2, 2)


def _noisy(gate, rng, copies=25, noise=0.15):
    x, t = _table(gate)
    x = np.repeat(x, copies, axis=0)
    x = (x + rng.normal(0, noise, x.shape)).astype(np.float32)
    return x, np.repeat(t, copies).astype(np.int32)


def _losses(nb, losses, steps, call):
    """The learner's list of losses as floats, or a hint."""
    expect(isinstance(losses, (list, tuple)),
           f"{call} should return the losses as a list, one float per step; got "
           f"{type_name(losses)}")
    expect(len(losses) == steps, f"{call} ran {steps} steps and should return {steps} "
                                 f"losses, one per step; got {len(losses)}")
    return [_as_loss_float(nb, value, call) for value in losses]


def _by_hand(nb, x, t, lr, steps, seed):
    """``(model, losses)`` of the learner's ``train_by_hand``, or a hint."""
    call = f"train_by_hand(x, t, lr={lr:.3g}, steps={steps}, seed={seed})"
    model, losses = as_pair(nb, nb.train_by_hand(x, t, lr, steps, seed=seed),
                            f"{call} should return two things, (model, losses)")
    expect(nb.isinstance(model, "chainer.Link"),
           f"{call} should return the trained model (a chainer Link such as L.Linear) first; "
           f"got {type_name(model)}")
    return model, losses, call


def _expect_one_layer_of_two_scores(nb, model, what):
    y = _output(nb, model, nb.rng.normal(0, 2, (8, 2)).astype(np.float32))
    expect(y.shape == (8, 2), _scores_shape_hint(y.shape, 8))
    expect_raw_scores(y, what)
    shapes = sorted(tuple(p.shape) for p in model.params())
    expect(shapes == [(2,), (2, 2)],
           f"AND is linearly separable: one Linear layer, L.Linear(2, 2) (a weight matrix of "
           f"shape (2, 2) and a bias of shape (2,)), is enough, and this exercise asks for "
           f"exactly that; your model's parameters have shapes {shapes}")


@lesson.check("1.3", points=1, timeout=10)
def train_by_hand_builds_one_fresh_layer_of_two_scores(nb):
    x, t = _table("and")
    seed = int(nb.rng.integers(1000))
    untrained, _, call = _by_hand(nb, x, t, 0.5, 0, seed)
    _expect_one_layer_of_two_scores(nb, untrained, "the model of train_by_hand")
    model, _, call = _by_hand(nb, x, t, 0.5, 1, seed)
    again, _, _ = _by_hand(nb, x, t, 0.5, 1, seed)
    expect(again is not model,
           f"{call} returned the same model object twice; build a new L.Linear on each call")
    _expect_one_layer_of_two_scores(nb, model, "the model of train_by_hand")


@lesson.check("1.3", points=1, timeout=10)
def train_by_hand_is_seeded_and_returns_each_loss(nb):
    import chainer.functions as F
    x, t = _table("and")
    seed, steps, lr = int(nb.rng.integers(1000)), int(nb.rng.integers(3, 7)), 0.5
    _expect_one_layer_of_two_scores(nb, _by_hand(nb, x, t, lr, 0, seed)[0],
                                    "the model of train_by_hand")
    _, losses, call = _by_hand(nb, x, t, lr, steps, seed)
    losses = _losses(nb, losses, steps, call)
    _, again, _ = _by_hand(nb, x, t, lr, steps, seed)
    again = _losses(nb, again, steps, call)
    expect(abs(losses[0] - again[0]) < 1e-7,
           f"two calls of {call} gave different losses ({losses[0]:.4f} and {again[0]:.4f} at "
           "the first step): call mlkit.seed(seed) first, then build the model, so that the "
           "same seed gives the same run")
    reference = _seeded_and_model(seed)
    expected = [_sgd_by_hand_reference(reference, x, t, lr) for _ in range(steps + 1)]
    if np.allclose(losses, expected[1:], atol=1e-5):
        expect(False, f"{call} returned the loss after each update; return the loss of each "
                      "step's forward pass, computed before the update")
    expect(abs(losses[0] - expected[0]) < 1e-5,
           f"the first loss of {call} is {losses[0]:.5f}; the softmax cross-entropy of the "
           f"L.Linear(2, 2) built right after mlkit.seed({seed}) is {expected[0]:.5f} (seed "
           "first, then build the model, then train it)")


def _rounded(values):
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


@lesson.check("1.3", points=2, timeout=10)
def train_by_hand_steps_downhill_exactly(nb):
    x, t = _table("xor")
    seed, steps = int(nb.rng.integers(1000)), int(nb.rng.integers(3, 6))
    lr = float(nb.rng.uniform(0.2, 0.8))
    before = fixtures.params(_seeded_and_model(seed))
    start, _, call = _by_hand(nb, x, t, lr, 0, seed)
    _expect_one_layer_of_two_scores(nb, start, "the model of train_by_hand")
    expect(same_params(_params(nb, start), before, rtol=1e-5, atol=0),
           f"with steps=0, train_by_hand(..., seed={seed}) should return the untrained model "
           f"that L.Linear(2, 2) makes right after mlkit.seed({seed}); yours has other "
           "weights: call mlkit.seed(seed) first, then build the model, so that the same seed "
           "gives the same run")
    model, _, call = _by_hand(nb, x, t, lr, steps, seed)
    after = _params(nb, model)
    reference, uphill, stale = (_seeded_and_model(seed) for _ in range(3))
    stale.cleargrads()                   # cleared once only: the sums show as numbers, not NaN
    expected = []
    for _ in range(steps):
        expected.append(_sgd_by_hand_reference(reference, x, t, lr))
        _sgd_by_hand_reference(uphill, x, t, -lr)
        _sgd_by_hand_reference(stale, x, t, lr, clear=False)
    expect(not same_params(after, fixtures.params(uphill), rtol=1e-5, atol=1e-6),
           "your steps went uphill: subtract the gradient, p.array -= lr * p.grad")
    expect(same_params(after, fixtures.params(reference), rtol=1e-5, atol=1e-6),
           _step_hint(call, before, after, fixtures.params(stale), True))
    _, losses, _ = _by_hand(nb, x, t, lr, steps, seed)
    losses = _losses(nb, losses, steps, call)
    expect(np.allclose(losses, expected, atol=1e-5),
           f"{call} returned the losses {_rounded(losses)}; its steps have the losses "
           f"{_rounded(expected)} (each step's loss before its update)")


@lesson.check("1.3", points=1, timeout=20)
def train_by_hand_learns_and(nb):
    x, t = _noisy("and", nb.rng)
    seed = int(nb.rng.integers(1000))
    _expect_one_layer_of_two_scores(nb, _by_hand(nb, x, t, 0.5, 0, seed)[0],
                                    "the model of train_by_hand")
    model, _, _ = _by_hand(nb, x, t, 0.5, 300, seed)
    scores = _output(nb, model, x)
    expect(scores.shape == (len(x), 2), _scores_shape_hint(scores.shape, len(x)))
    accuracy = float((scores.argmax(axis=1) == t).mean())
    expect(accuracy >= 0.95,
           f"after 300 steps of lr 0.5 on noisy AND your model classifies only "
           f"{100 * accuracy:.0f} % of the points right; L.Linear(2, 2) trained by gradient "
           "descent gets 95 % or more")


def _reference_step(model, optimizer, x, t, clear=True):
    """One step as the lesson teaches it; ``clear=False`` is the forgotten-cleargrads mistake.
    Returns (loss, accuracy) of the scores before the update."""
    import chainer.functions as F
    y = model(x)
    loss = F.softmax_cross_entropy(y, t)
    accuracy = float(F.accuracy(y, t).array)
    if clear:
        model.cleargrads()
    loss.backward()
    optimizer.update()
    return float(loss.array), accuracy


def _fit(nb, model, optimizer, x, t, steps):
    """The learner's ``fit`` history as two lists of floats, or a hint."""
    call = f"fit(model, optimizer, x, t, steps={steps})"
    history = as_dict(nb, nb.fit(model, optimizer, x, t, steps),
                      f"{call} should return a dict with the lists 'loss' and 'accuracy'")
    expect({"loss", "accuracy"} <= set(history),
           f"{call} should return a dict with the lists 'loss' and 'accuracy'; got a dict with "
           f"the keys {sorted(map(str, history))}")
    losses = _losses(nb, history["loss"], steps, call + "['loss']")
    accuracies = history["accuracy"]
    expect(isinstance(accuracies, (list, tuple)) and len(accuracies) == steps,
           f"{call}['accuracy'] should hold one accuracy per step, {steps} floats")
    expect(all(real_number(a, integers=False) is not None for a in accuracies),
           f"{call}['accuracy'] should hold floats, float(F.accuracy(y, t).array); got "
           f"{[type_name(a) for a in accuracies][:3]}")
    return losses, [real_number(a, integers=False) for a in accuracies], call


def _set_up(nb, model, name, **settings):
    """``(optimizer in the worker set up on model, a twin of it here)``."""
    optimizer, twin = _optimizer_pair(nb, name, **settings)
    optimizer.setup(model)
    return optimizer, twin


@lesson.check("1.4", points=1, timeout=10)
def fit_returns_the_loss_and_accuracy_before_each_step(nb):
    import chainer.functions as F
    x, t = _noisy("or", nb.rng, copies=4, noise=0.4)
    model, reference = _linear_pair(nb)
    optimizer, _ = _set_up(nb, model, "SGD", lr=0.5)
    steps = int(nb.rng.integers(2, 5))
    losses, _, call = _fit(nb, model, optimizer, x, t, steps)
    expected = float(F.softmax_cross_entropy(reference(x), t).array)
    expect(abs(losses[0] - expected) < 1e-5,
           f"the first loss of {call} is {losses[0]:.5f}; the softmax cross-entropy of the "
           f"model before any update is {expected:.5f}: record each step's loss before "
           "optimizer.update(), as float(loss.array)")


@lesson.check("1.4", points=1, timeout=10)
def fit_sets_the_optimizer_up(nb):
    x, t = _table("and")
    model, _ = _linear_pair(nb)
    optimizer, _ = _optimizer_pair(nb, "SGD", lr=0.5)      # not set up: fit's job
    try:
        nb.fit(model, optimizer, x, t, 2)
    except Exception as error:    # noqa: BLE001  (a LearnerError here, itself when local)
        if is_a(error, "AttributeError") and "NoneType" in str(getattr(error, "message", error)):
            expect(False, "fit failed on an optimizer that was not set up yet: call "
                          "optimizer.setup(model) at the start of fit, so that the optimizer "
                          "knows which parameters to update")
        raise
    expect(optimizer.target is model,
           "after fit the optimizer is not set up on the model it trained: call "
           "optimizer.setup(model) at the start of fit")


@lesson.check("1.4", points=2, timeout=10)
def fit_lets_the_optimizer_step(nb):
    x, t = _table("xor")
    for name, settings in (("Adam", {"alpha": 0.05}), ("SGD", {"lr": 0.5})):
        model, reference = _two_layer_pair(nb)     # fresh: the gradients are NaN until cleared
        before = _params(nb, model)
        optimizer, reference_optimizer = _set_up(nb, model, name, **settings)
        reference_optimizer.setup(reference)
        stale = _stale_twin(reference)
        _, stale_optimizer = _optimizer_pair(nb, name, **settings)
        stale_optimizer.setup(stale)
        steps = 3
        losses, _, call = _fit(nb, model, optimizer, x, t, steps)
        expected = [_reference_step(reference, reference_optimizer, x, t)[0]
                    for _ in range(steps)]
        for _ in range(steps):
            _reference_step(stale, stale_optimizer, x, t, clear=False)
        after = _params(nb, model)
        expect(not same_params(after, before, rtol=1e-5, atol=0),
               f"{call} did not change the parameters with {name}: call "
               "optimizer.update() after loss.backward() in every step")
        if not any(np.isnan(v).any() for v in after.values()) and name == "Adam":
            expect(same_params(after, fixtures.params(reference), rtol=1e-5, atol=1e-6) or
                   same_params(after, fixtures.params(stale), rtol=1e-5, atol=1e-6),
                   f"with {name}, fit's steps should change the parameters exactly as "
                   "optimizer.update() does after each loss.backward(); let the optimizer "
                   "make the step (do not update p.array yourself)")
        expect(same_params(after, fixtures.params(reference), rtol=1e-5, atol=1e-6),
               _step_hint(call, before, after, fixtures.params(stale), False))
        expect(np.allclose(losses, expected, atol=1e-5),
               f"with {name} {call} returned the losses {_rounded(losses)}; the steps have "
               f"the losses {_rounded(expected)} (each before its update)")


@lesson.check("1.4", points=1, timeout=10)
def fit_measures_accuracy_on_the_same_scores(nb):
    import chainer
    import chainer.functions as F
    for _ in range(10):            # a case where one step changes the accuracy, so that
        x, t = _noisy("and", nb.rng, copies=16, noise=0.5)    # before and after differ
        W, b = _linear_weights(nb.rng)
        reference = fixtures.linear(W, b)
        twin = fixtures.linear(W, b)
        optimizer = chainer.optimizers.SGD(lr=2.0).setup(twin)
        before = float(F.accuracy(reference(x), t).array)
        _reference_step(twin, optimizer, x, t)
        after = float(F.accuracy(twin(x), t).array)
        if abs(before - after) > 0.02:
            break
    model = nb.module(HELPERS).linear(W, b)
    optimizer, _ = _set_up(nb, model, "SGD", lr=2.0)
    _, accuracies, call = _fit(nb, model, optimizer, x, t, 1)
    if abs(accuracies[0] - 100 * before) < 1e-3 and before > 0:
        expect(False, f"{call}['accuracy'] holds {accuracies[0]:.1f}, a percentage; return the "
                      "fraction of points right, between 0 and 1")
    if abs(accuracies[0] - after) < 1e-6 and abs(before - after) > 1e-6:
        expect(False, f"{call}['accuracy'] holds the accuracy after the update; measure it on "
                      "the scores of the step's own forward pass, F.accuracy(y, t) with "
                      "y = model(x), before the update, as the loss")
    expect(abs(accuracies[0] - before) < 1e-6,
           f"{call}['accuracy'][0] is {accuracies[0]:.4f}; the accuracy of the model's scores "
           f"before the update is {before:.4f} (F.accuracy(y, t), the fraction of points whose "
           "highest score is at their label)")


# ---------------------------------------------------------------------------------------------
# 1.5 the best linear classifier

def _shuffled(nb, x, t, labels=None, not_labels=None):
    """The rows of a truth table in a fresh order (one whose labels read ``labels``, or do not
    read ``not_labels``): an answer must read the data, not recognise the lesson's tables."""
    import itertools
    orders = [list(p) for p in itertools.permutations(range(len(x)))
              if (labels is None or list(t[list(p)]) == list(labels))
              and (not_labels is None or list(t[list(p)]) != list(not_labels))]
    order = orders[int(nb.rng.integers(len(orders)))]
    return x[order], t[order]


@lesson.check("1.5", points=1, timeout=10)
def a_line_solves_and_and_or(nb):
    first_input = CORNERS.copy(), CORNERS[:, 0].astype(np.int32)     # two 1s, like XOR
    for gate, (x, t) in (("AND", _table("and")), ("OR", _shuffled(nb, *_table("or"))),
                         ("labelling each corner by its first input",     # labels as XOR's
                          _shuffled(nb, *first_input, labels=GATES["xor"]))):
        best = nb.best_linear_accuracy(x, t, n_trials=1000, seed=int(nb.rng.integers(1000)))
        expect(isinstance(best, (float, np.floating)) and 0 <= best <= 1,
               f"best_linear_accuracy should return an accuracy, a float between 0 and 1; got "
               f"{best!r}")
        expect(best == 1.0,
               f"{gate} is linearly separable, so the best of 1000 random linear "
               f"classifiers gets all 4 points right (1.0); yours reported {best}: return the "
               "best (maximum) accuracy, where accuracy = mean of (argmax of the 2 scores == t)")


@lesson.check("1.5", points=1, timeout=10)
def a_line_stays_at_75_percent_on_xor(nb):
    x, t = _table("xor")
    for x, t in ((x, t), _shuffled(nb, x, 1 - t, not_labels=GATES["xor"])):   # XOR, XNOR
        best = nb.best_linear_accuracy(x, t, n_trials=500, seed=int(nb.rng.integers(1000)))
        expect(isinstance(best, (float, np.floating)),
               f"best_linear_accuracy should return a float, got {best!r}")
        best = float(best)
        expect(best <= 0.75,
               f"no straight line puts all four XOR corners on the right side, so no linear "
               f"classifier gets more than 3 of 4 right (0.75); yours reported {best}: compare "
               "each point's argmax class with its own label")
        expect(best == 0.75,
               f"the best of 500 random linear classifiers gets 3 of the 4 XOR corners right "
               f"(0.75); yours reported {best}: return the maximum over the trials, not the "
               "last or the mean")


# ---------------------------------------------------------------------------------------------
# 1.6 the MLP

def _linear_layers(nb, model):
    return [link for link in model.links() if nb.isinstance(link, "chainer.links.Linear")]


@lesson.check("1.6", points=1, timeout=10)
def mlp_has_a_hidden_layer(nb):
    for n_hidden in (3, int(nb.rng.integers(5, 12))):
        model = nb.make_xor_mlp(n_hidden)
        y = _output(nb, model, nb.rng.normal(0, 2, (4, 2)).astype(np.float32))
        expect(y.shape == (4, 2), _scores_shape_hint(y.shape))
        expect_raw_scores(y, f"make_xor_mlp({n_hidden})")
        widths = sorted(tuple(link.W.shape) for link in _linear_layers(nb, model))
        expect((n_hidden, 2) in widths and (2, n_hidden) in widths,
               f"make_xor_mlp({n_hidden}) should hold two Linear layers, 2 -> {n_hidden} "
               f"(hidden) and {n_hidden} -> 2 (class scores), registered in init_scope(); "
               f"its Linear weights have shapes {widths}")


@lesson.check("1.6", points=1, timeout=10)
def mlp_is_not_linear(nb):
    model = nb.make_xor_mlp(8)
    a = nb.rng.normal(0, 1, (64, 2)).astype(np.float32)
    b = nb.rng.normal(0, 1, (64, 2)).astype(np.float32)
    f = lambda v: _output(nb, model, v).astype(np.float64)  # noqa: E731
    gap = np.abs(f(a) + f(b) - f(a + b) - f(np.zeros_like(a))).max()
    expect(gap > 1e-3, "your network is linear (f(a) + f(b) = f(a + b) + f(0)): two Linear "
                       "layers in a row are one linear map and cannot solve XOR; apply a "
                       "nonlinearity such as F.tanh, F.sigmoid or F.relu to the hidden layer")


@lesson.check("1.6", points=1, timeout=25)
def mlp_learns_xor(nb):
    x, t = _table("xor")
    accuracies = []
    train_adam = nb.module(HELPERS).train_adam
    for seed in range(3):
        nb.seed(seed)
        predicted = nb.array(train_adam(nb.make_xor_mlp(8), x, t, 300, 0.05))
        accuracies.append(float((predicted == t).mean()))
        if accuracies[-1] == 1.0:
            return
    expect(False, f"trained with Adam for 300 steps from 3 seeds, your MLP reached "
                  f"{', '.join(f'{100 * a:.0f} %' for a in accuracies)} on XOR; a 2-8-2 tanh "
                  "network gets 100 %")


# ---------------------------------------------------------------------------------------------
# 1.7 XOR as regression

def _fit_regression(nb, model, optimizer, x, t, steps):
    """The learner's ``fit_regression`` losses as floats, or a hint (the dtype and shape traps
    of F.mean_squared_error get their own)."""
    call = f"fit_regression(model, optimizer, x, t, steps={steps})"
    try:
        losses = nb.fit_regression(model, optimizer, x, t, steps)
    except Exception as error:    # noqa: BLE001  (a LearnerError here, itself when local)
        if is_a(error, "InvalidType"):
            message = str(getattr(error, "message", error))
            if "shape" in message:
                expect(False, "F.mean_squared_error needs targets of the output's shape (N, 1); "
                              "turn the labels into a column: t.astype(np.float32).reshape(-1, 1)")
            if "dtype" in message:
                expect(False, "F.mean_squared_error needs float32 targets like the model's "
                              "output; convert the int32 labels: "
                              "t.astype(np.float32).reshape(-1, 1)")
        raise
    return _losses(nb, losses, steps, call), call


def _regression_pair(nb, hidden=8):
    weights = (*_linear_weights(nb.rng, 2, hidden), *_linear_weights(nb.rng, hidden, 1))
    return nb.module(HELPERS).two_layer(*weights), fixtures.two_layer(*weights)


def _regression_step(model, optimizer, x, target):
    import chainer.functions as F
    loss = F.mean_squared_error(model(x), target)
    model.cleargrads()
    loss.backward()
    optimizer.update()
    return float(loss.array)


@lesson.check("1.7", points=1, timeout=10)
def regression_losses_are_the_mean_squared_error(nb):
    x, t = _noisy("xor", nb.rng, copies=3, noise=0.2)
    model, reference = _regression_pair(nb)
    optimizer, _ = _set_up(nb, model, "SGD", lr=0.1)
    losses, call = _fit_regression(nb, model, optimizer, x, t, 2)
    y = np.asarray(reference(x).array, np.float64)[:, 0]
    expected = float(((y - t) ** 2).mean())
    expect(abs(losses[0] - expected) < 1e-5,
           f"the first loss of {call} is {losses[0]:.5f}; the mean squared error of the model's "
           f"one output against the labels, before any update, is {expected:.5f} (the mean "
           "over the points of (y - t)^2, F.mean_squared_error with float32 targets of shape "
           "(N, 1))")


@lesson.check("1.7", points=1, timeout=10)
def regression_steps_the_optimizer(nb):
    x, t = _table("xor")
    model, reference = _regression_pair(nb, hidden=3)   # fresh: the gradients are NaN until cleared
    before = _params(nb, model)
    optimizer, reference_optimizer = _set_up(nb, model, "Adam", alpha=0.05)
    reference_optimizer.setup(reference)
    target = t.astype(np.float32).reshape(-1, 1)
    stale = _stale_twin(reference)
    _, stale_optimizer = _optimizer_pair(nb, "Adam", alpha=0.05)
    stale_optimizer.setup(stale)
    steps = 3
    losses, call = _fit_regression(nb, model, optimizer, x, t, steps)
    expected = [_regression_step(reference, reference_optimizer, x, target) for _ in range(steps)]
    for _ in range(steps):
        import chainer.functions as F
        loss = F.mean_squared_error(stale(x), target)
        loss.backward()
        stale_optimizer.update()
    after = _params(nb, model)
    expect(same_params(after, fixtures.params(reference), rtol=1e-5, atol=1e-6),
           _step_hint(call, before, after, fixtures.params(stale), False))
    expect(np.allclose(losses, expected, atol=1e-5),
           f"{call} returned the losses {_rounded(losses)}; the steps have the losses "
           f"{_rounded(expected)} (each before its update)")


@lesson.check("1.7", points=1, timeout=25)
def regression_learns_xor(nb):
    x, t = _noisy("xor", nb.rng, copies=20, noise=0.1)
    corners, labels = _table("xor")
    outcomes = []
    for _ in range(3):
        model, _ = _regression_pair(nb)
        optimizer, _ = _set_up(nb, model, "Adam", alpha=0.05)
        losses, _ = _fit_regression(nb, model, optimizer, x, t, 400)
        predicted = (_output(nb, model, corners)[:, 0] > 0.5).astype(np.int32)
        outcomes.append(f"{int((predicted == labels).sum())} of 4 (MSE {losses[-1]:.3f})")
        if np.array_equal(predicted, labels):
            return
    expect(False, f"trained by your fit_regression with Adam for 400 steps from 3 random "
                  f"starts, a 2-8-1 tanh network got {', '.join(outcomes)} XOR corners right "
                  "with the threshold 0.5; it gets all 4")


# ---------------------------------------------------------------------------------------------
# 1.8 the graph

def _walk(y, every_input=True, once=True):
    """(functions, leaf nodes) breadth-first from y, as exercise 1.8 defines the walk.
    ``every_input=False`` is the walk that follows only each function's first input,
    ``once=False`` the walk that lists a shared function or leaf each time it is reached."""
    functions, leaves, seen, queue = [], [], set(), [y.node]
    while queue:
        node = queue.pop(0)
        found = node.creator if node.creator is not None else node
        if once and found in seen:
            continue
        seen.add(found)
        if node.creator is None:
            leaves.append(node)
        else:
            functions.append(node.creator)
            queue.extend(node.creator.inputs if every_input else node.creator.inputs[:1])
    return functions, leaves


def _answer(nb, y, what):
    """The learner's ``walk_graph(y)`` as (function names, leaf names), or a hint."""
    functions, leaves = as_pair(nb, nb.walk_graph(y),
                                f"walk_graph should return two lists, (functions, leaves); "
                                f"for {what} it returned something else")
    expect(isinstance(functions, (list, tuple)) and isinstance(leaves, (list, tuple)),
           f"walk_graph should return two lists, (functions, leaves); for {what} got "
           f"{type(functions).__name__} and {type(leaves).__name__}")
    functions, leaves = list(functions), list(leaves)
    expect(all(isinstance(n, str) for n in functions),
           f"the first list holds the functions' names as strings (type(function).__name__); "
           f"for {what} got {functions!r}"[:400])
    expect(all(n is None or isinstance(n, str) for n in leaves),
           f"the second list holds the leaves' names (node.name: a string, or None when a "
           f"leaf has no name); for {what} got {leaves!r}"[:400])
    return functions, leaves


def _function_lists(functions):
    """The accepted spellings of a list of functions: class names, or labels."""
    return [type(f).__name__ for f in functions], [f.label for f in functions]


def _matches(names, functions):
    return names in _function_lists(functions)


def _is_repeated(answer, right):
    """``answer`` holds every entry of ``right``, some of them more than once, and no other."""
    from collections import Counter
    have, want = Counter(answer), Counter(right)
    return len(answer) > len(right) and set(have) == set(want) and all(
        have[k] >= want[k] for k in want)


def _expect_functions(names, y, what):
    functions, _ = _walk(y)
    expected, labels = _function_lists(functions)
    if names in (expected, labels):
        return
    first_only, _ = _walk(y, every_input=False)
    expect(not _matches(names, first_only),
           f"for {what} your walk missed the other inputs: it follows only each function's "
           f"first input and found {names}, but every input of a function can come from a "
           f"function, so put all of function.inputs in the queue: expected {expected}")
    expect(not (_is_repeated(names, expected) or _is_repeated(names, labels)),
           f"for {what} your walk lists a function more than once ({names}): a function whose "
           "output is used twice is still one function; remember the functions already "
           f"listed (a set) and skip them: expected {expected}")
    if len(expected) > 1 and names in (expected[::-1], labels[::-1]):
        expect(False, f"for {what} your list runs from the input to the loss; start at y and "
                      f"walk back: expected {expected}")
    if sorted(names) in (sorted(expected), sorted(labels)):
        expect(False, f"for {what} you found the right functions in another order, {names}; "
                      "walk breadth-first: take the oldest variable out of the queue and put "
                      f"its creator's inputs at the end: expected {expected}")
    expect(False, f"for {what} expected the functions {expected} (the functions' class "
                  f"names, type(function).__name__, breadth-first from y), got {names}")


def _expect_leaves(leaves, y, what):
    _, nodes = _walk(y)
    expected = [node.name for node in nodes]
    if leaves == expected:
        return
    _, first_only = _walk(y, every_input=False)
    missing = sorted({str(n) for n in expected} - {str(n) for n in leaves})
    expect(leaves != [node.name for node in first_only],
           f"for {what} your walk missed the other inputs: it follows only each function's "
           f"first input, so it reaches only {leaves} and never {', '.join(missing)}; put all "
           f"of function.inputs in the queue: expected the leaves {expected}")
    expect(not _is_repeated(leaves, expected),
           f"for {what} your walk lists a leaf more than once ({leaves}): a variable used "
           "twice is still one leaf; remember the leaves already listed (a set of nodes, not "
           f"of names) and skip them: expected {expected}")
    if sorted(leaves, key=str) == sorted(expected, key=str):
        expect(False, f"for {what} you found the right leaves in another order, {leaves}; "
                      "walk breadth-first, taking the oldest variable out of the queue: "
                      f"expected {expected}")
    expect(False, f"for {what} expected the leaves {expected} (each leaf's name, node.name, "
                  f"None when it has none), got {leaves}")


def _graphs(F, operator, variable, make_linear, make_mlp, x, t):
    """The graphs 1.8 asks about, ``(what, y)``, built with the given modules (in the worker
    or here) from the same numbers."""
    x_var, t_var = variable(x, name="x"), variable(t, name="t")
    targets = variable(t.astype(np.float32).reshape(-1, 1), name="targets")
    leaf = variable(np.linspace(0.2, 0.8, 4).astype(np.float32).reshape(2, 2), name="x")
    models = [("the AND loss F.softmax_cross_entropy(L.Linear(2, 2)(x), t)",
               F.softmax_cross_entropy(make_linear(2)(x_var), t_var)),
              ("the loss of a 2-3-2 tanh MLP", F.softmax_cross_entropy(make_mlp()(x_var), t_var)),
              ("F.mean_squared_error(F.sigmoid(L.Linear(2, 1)(x)), targets)",
               F.mean_squared_error(F.sigmoid(make_linear(1)(x_var)), targets))]
    chains = [("a Variable made by hand (no creator, so no function)", leaf),
              ("x * 2 + 1", operator.add(operator.mul(leaf, 2), 1))]
    for n in (1, 3):
        h = leaf
        for _ in range(n):
            h = F.sin(h)
        chains.append((f"F.sin applied {n} times in a Python loop", h))
    shared = F.sin(leaf)
    w = variable(np.full((2, 2), 0.5, np.float32), name="w")
    branches = [("h * h + h with h = F.sin(x)",
                 operator.add(operator.mul(shared, shared), shared)),
                ("x * 2 + F.sin(x)", operator.add(operator.mul(leaf, 2), F.sin(leaf))),
                ("F.tanh(x) + F.exp(x) * w",
                 operator.add(F.tanh(leaf), operator.mul(F.exp(leaf), w)))]
    return {"models": models, "chains": chains, "branches": branches}


def _graph_pairs(nb):
    """The graphs of :func:`_graphs` here (references) and in the worker (for the learner)."""
    import operator
    import chainer
    import chainer.functions as F
    x, t = _table("and")
    linear_by_width = {n: _linear_weights(nb.rng, 2, n) for n in (2, 1)}
    mlp_weights = (*_linear_weights(nb.rng, 2, 3), *_linear_weights(nb.rng, 3, 2))
    remote_fixtures = nb.module(HELPERS)
    here = _graphs(F, operator, chainer.Variable,
                   lambda n: fixtures.linear(*linear_by_width[n]),
                   lambda: fixtures.two_layer(*mlp_weights), x, t)
    there = _graphs(nb.module("chainer.functions"), nb.module("operator"),
                    nb.module("chainer").Variable,
                    lambda n: remote_fixtures.linear(*linear_by_width[n]),
                    lambda: remote_fixtures.two_layer(*mlp_weights), x, t)
    return {kind: [(what, y, remote_y) for (what, y), (_, remote_y) in zip(here[kind],
                                                                            there[kind])]
            for kind in here}


@lesson.check("1.8", points=1, timeout=5)
def graph_walk_lists_the_functions(nb):
    graphs = _graph_pairs(nb)
    for what, y, remote_y in graphs["models"] + graphs["chains"]:
        _expect_functions(_answer(nb, remote_y, what)[0], y, what)


@lesson.check("1.8", points=1, timeout=5)
def graph_walk_reaches_the_parameters(nb):
    graphs = _graph_pairs(nb)
    for what, y, remote_y in graphs["models"] + graphs["chains"][:1]:
        _expect_leaves(_answer(nb, remote_y, what)[1], y, what)


@lesson.check("1.8", points=1, timeout=5)
def graph_walk_follows_every_branch_once(nb):
    for what, y, remote_y in _graph_pairs(nb)["branches"]:
        functions, leaves = _answer(nb, remote_y, what)
        _expect_functions(functions, y, what)
        _expect_leaves(leaves, y, what)


# ---------------------------------------------------------------------------------------------
# 1.9 numerical gradients

def _numerical(nb, f, x, eps, what):
    kept = nb.keep(x.copy())
    f, library_calls = nb.module(HELPERS).watched_from(f)
    grad = nb.numerical_gradient(f, kept, eps)
    expect(library_calls() == 0,
           f"numerical_gradient let chainer.gradient_check compute the differences ({what}); "
           "this exercise writes them by hand: nudge each entry by +eps and -eps, call f, and "
           "divide the change by 2 eps")
    expect(np.array_equal(nb.array(kept), x),
           f"numerical_gradient changed its input x ({what}); work on a copy, or put every "
           "entry back after nudging it")
    grad = nb.array(grad).astype(np.float64)
    expect(grad.shape == x.shape, f"the gradient has one entry per entry of x: expected shape "
                                  f"{x.shape}, got {grad.shape} ({what})")
    return grad


def _one_sided(f, x, eps):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        nudged = x.copy()
        nudged[i] += eps
        grad[i] = (f(nudged) - f(x)) / eps
    return grad


def _expect_gradient(grad, exact, one_sided, what):
    error = float(np.abs(grad - exact).max())
    if error > 1e-5 and np.allclose(grad, one_sided, rtol=1e-4, atol=1e-7):
        expect(False, f"your gradient of {what} is off by {error:.1e}, as a one-sided "
                      "difference (f(x + eps) - f(x)) / eps is: it is only first-order "
                      "accurate; use central differences (f(x + eps) - f(x - eps)) / (2 eps)")
    expect(error <= 1e-5, f"your gradient of {what} is off by {error:.2g} (largest difference "
                          "from the exact one); nudge one entry at a time by +eps and -eps and "
                          "divide the change of f by 2 eps")


@lesson.check("1.9", points=1, timeout=10)
def numerical_gradient_matches_calculus(nb):
    remote_fixtures = nb.module(HELPERS)
    cases = [("sum(x ** 2)", fixtures.power_sum(2), remote_fixtures.power_sum(2),
              lambda v: 2 * v, (3,)),
             ("sum(x ** 3)", fixtures.power_sum(3), remote_fixtures.power_sum(3),
              lambda v: 3 * v ** 2, (4,)),
             ("sum(sin(x))", fixtures.sin_sum(), remote_fixtures.sin_sum(), np.cos, (2, 3))]
    for what, f, remote_f, derivative, shape in cases:
        x = nb.rng.uniform(0.5, 1.5, shape)
        grad = _numerical(nb, remote_f, x, 1e-3, what)
        _expect_gradient(grad, derivative(x), _one_sided(f, x, 1e-3), what)


@lesson.check("1.9", points=1, timeout=10)
def numerical_gradient_matches_backward(nb):
    import chainer
    import chainer.functions as F
    x, t = _table("xor")
    x = x.astype(np.float64)
    W = nb.rng.normal(0, 1, (2, 2))
    b = nb.rng.normal(0, 1, 2)
    variable = chainer.Variable(W.copy())
    F.softmax_cross_entropy(F.linear(x, variable, b), t).backward()
    remote_f = nb.module(HELPERS).softmax_loss_of_weights(x, t, b)
    grad = _numerical(nb, remote_f, W.copy(), 1e-4, "a softmax cross-entropy loss")
    _expect_gradient(grad, variable.grad, _one_sided(fixtures.softmax_loss_of_weights(x, t, b),
                                                     W.copy(), 1e-4),
                     "the AND-model loss with respect to W")


# ---------------------------------------------------------------------------------------------
# 1.10 a FunctionNode of one's own

def _sigmoid_output(nb, x):
    """``sigmoid(x)`` of the learner's notebook, checked to be one Variable."""
    y = nb.sigmoid(x)
    expect(not isinstance(y, (tuple, list)),
           "sigmoid(x) returned a tuple: apply() returns a tuple of outputs, one per output of "
           "the node; return the first, Sigmoid().apply((x,))[0]")
    expect(nb.isinstance(y, "chainer.Variable"),
           f"sigmoid(x) should return the Variable that Sigmoid().apply((x,))[0] gives, got "
           f"{type_name(y)}")
    return y


def _backward_of(nb, x, gy):
    """The learner's ``Sigmoid.backward`` called directly, after a forward pass on ``x``:
    its return value as it is (arrays come back as arrays, Variables as handles)."""
    node = nb.Sigmoid()
    outputs = node.apply((x,))
    grads = node.backward((0,), (nb.module("chainer").Variable(gy),))
    expect(isinstance(grads, (tuple, list)) and len(grads) == 1,
           f"backward should return a tuple with one gradient per input, (gx,); it returned "
           f"{type_name(grads)}"
           + (f" of length {len(grads)}" if isinstance(grads, (tuple, list)) else ""))
    return outputs, grads[0]


def _expect_by_hand(nb, part):
    """The learner's Sigmoid computes its ``part`` ("forward" or "backward") itself, not with
    Chainer's own sigmoid (F.sigmoid, its Sigmoid node or SigmoidGrad), which the lesson has
    the learner write by hand."""
    x = nb.rng.normal(0, 1, (2, 3))
    used = nb.module(HELPERS).library_sigmoid_use(
        nb.Sigmoid, x, nb.rng.normal(0, 1, x.shape))
    how = {"forward": "y = 1 / (1 + xp.exp(-x)) or xp.tanh(x * 0.5) * 0.5 + 0.5 on the input "
                      "array",
           "backward": "gy * y * (1 - y) with y = self.get_retained_outputs()[0]"}[part]
    expect(not used[part],
           f"your {part} lets Chainer's own sigmoid do the work (F.sigmoid, or its Sigmoid or "
           f"SigmoidGrad node, called or inherited): this exercise writes it by hand, {how}")


def _gradient_check(nb, name, *args):
    """Run ``chainer.gradient_check.<name>(sigmoid, *args)`` in the worker on float64; the
    assertion message when it fails (None when it passes)."""
    try:
        getattr(nb.module("chainer.gradient_check"), name)(nb.sigmoid, *args, dtype="float64",
                                                           atol=1e-5, rtol=1e-4)
    except Exception as error:        # noqa: BLE001  (a learner's error as much as the check's)
        if is_a(error, "AssertionError"):
            return str(getattr(error, "message", error)).splitlines()[0]
        raise
    return None


@lesson.check("1.10", points=1, timeout=10)
def sigmoid_is_a_function_node_of_your_own(nb):
    expect(nb.isinstance(nb.Sigmoid(), "chainer.FunctionNode"),
           "Sigmoid should be a subclass of chainer.FunctionNode: class "
           "Sigmoid(chainer.FunctionNode), with the methods forward and backward")
    y = _sigmoid_output(nb, nb.rng.normal(0, 1, (2, 3)))
    creator = y.creator
    own = nb.type_names(nb.Sigmoid())[0]
    made_by = nb.type_names(creator)[0] if creator is not None else "nothing (no creator)"
    expect(made_by == own,
           f"sigmoid(x) should return the output of your node, Sigmoid().apply((x,))[0]; the "
           f"Variable it returned was made by {made_by}")


@lesson.check("1.10", points=1, timeout=10)
def sigmoid_forward_matches_F_sigmoid(nb):
    _expect_by_hand(nb, "forward")
    for dtype in (np.float64, np.float32):
        x = nb.rng.normal(0, 3, (int(nb.rng.integers(2, 6)), 7)).astype(dtype)
        x[0, :2] = (-30, 30)                       # far out in both tails
        y = nb.array(_sigmoid_output(nb, x)).astype(np.float64)
        expect(y.shape == x.shape, f"sigmoid of an input of shape {x.shape} should have the "
                                   f"same shape, got {y.shape}: apply it entry by entry")
        expected = sigmoid(x)
        expect(not np.isnan(y).any(), "your forward gives NaN for some inputs; 1 / (1 + "
                                      "exp(-x)) or tanh(x / 2) / 2 + 1/2 both stay finite")
        if np.allclose(y, 1 - expected, atol=1e-6):
            expect(False, "your forward computes 1 / (1 + exp(x)), which is sigmoid(-x): the "
                          "sigmoid is 1 / (1 + exp(-x)), close to 1 for large x")
        error = float(np.abs(y - expected).max())
        expect(error < 1e-6, f"your forward differs from F.sigmoid by up to {error:.2g} on "
                             f"{np.dtype(dtype).name} inputs: y = 1 / (1 + exp(-x)), entry by "
                             "entry")


@lesson.check("1.10", points=1, timeout=10)
def sigmoid_forward_keeps_the_dtype(nb):
    _expect_by_hand(nb, "forward")
    for dtype in (np.float32, np.float64, np.float16):
        x = nb.rng.normal(0, 2, (3, 4)).astype(dtype)
        y = nb.array(_sigmoid_output(nb, x))
        expect(y.dtype == dtype,
               f"for {np.dtype(dtype).name} inputs your forward returned {y.dtype.name}: a "
               "function returns its input's dtype (L.Linear's weights are float32, and "
               "Chainer checks that a gradient has its variable's dtype, so a float64 output "
               "would break backward in every float32 network); compute with x itself "
               "(np.exp(-x) of a float32 array is float32), without astype(np.float64) or "
               "np.float64 numbers")


@lesson.check("1.10", points=1, timeout=15)
def sigmoid_backward_is_the_derivative(nb):
    _expect_by_hand(nb, "backward")
    x = nb.rng.normal(0, 2, (3, 5))
    gy = nb.rng.normal(0, 1, x.shape)
    _, gx = _backward_of(nb, x, gy)
    gx = nb.array(gx).astype(np.float64)
    s = sigmoid(x)
    expected = gy * s * (1 - s)
    expect(gx.shape == x.shape, f"backward should return a gradient of x's shape {x.shape}, "
                                f"got {gx.shape}")
    if np.allclose(gx, expected, atol=1e-6):
        pass
    elif np.allclose(gx, gy, atol=1e-6):
        expect(False, "your backward returns the incoming gradient gy unchanged: the chain rule "
                      "multiplies it by the sigmoid's own derivative, dy/dx = y * (1 - y), so "
                      "return gy * y * (1 - y)")
    elif np.allclose(gx, s * (1 - s), atol=1e-6):
        expect(False, "your backward returns y * (1 - y), the sigmoid's derivative alone: "
                      "multiply it by the incoming gradient gy (the chain rule), "
                      "gy * y * (1 - y)")
    elif np.allclose(gx, gy * x * (1 - x), atol=1e-6):
        expect(False, "your backward computes gy * x * (1 - x) with the input x: the "
                      "derivative is y * (1 - y) with the output y = sigmoid(x), the retained "
                      "output self.get_retained_outputs()[0]")
    else:
        error = float(np.abs(gx - expected).max())
        expect(False, f"your backward's gradient differs from gy * y * (1 - y) by up to "
                      f"{error:.2g}")
    if nb.isinstance(_backward_of(nb, x, gy)[1], "chainer.Variable"):   # else: the next check
        failed = _gradient_check(nb, "check_backward", x, gy)
        expect(failed is None, "chainer.gradient_check.check_backward(sigmoid, x, gy, "
                               "dtype=np.float64) fails: your backward disagrees with central "
                               f"differences of your forward ({failed})")


@lesson.check("1.10", points=1, timeout=15)
def sigmoid_backward_returns_variables_from_retained_outputs(nb):
    _expect_by_hand(nb, "backward")
    x = nb.rng.normal(0, 2, (2, 3))
    gy, ggx = nb.rng.normal(0, 1, x.shape), nb.rng.normal(0, 1, x.shape)
    _, gx = _backward_of(nb, x, gy)
    expect(nb.isinstance(gx, "chainer.Variable"),
           f"backward returned {type_name(gx)} instead of a "
           "Variable: a FunctionNode's backward gets Variables and returns Variables "
           "(Chainer fails with \"'numpy.ndarray' object has no attribute 'raw_array'\" "
           "otherwise); compute with gy and y = "
           "self.get_retained_outputs()[0] themselves, not with their .array")
    failed = _gradient_check(nb, "check_double_backward", x, gy, ggx)
    expect(failed is None,
           "your backward's result cannot be differentiated again "
           "(chainer.gradient_check.check_double_backward fails): compute it with Variables "
           "that are part of the graph: call self.retain_outputs((0,)) in forward and take y "
           "from self.get_retained_outputs() in backward (an array saved in forward, or a new "
           "chainer.Variable(...), is cut off from x)")
