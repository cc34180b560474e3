"""Lesson 3, regression: the checks of its eight exercises.

Each check makes its own problems and compares the learner's answer with a reference computed
here (scikit-learn's metrics, ``numpy.linalg.lstsq``, Chainer's ``F.huber_loss``). Data, weights
and seeds are drawn fresh for every grading run (``nb.rng``) wherever the exercise allows, so an
answer fitted to one run does not fit the next. Models a check trains or measures run in the
worker through :mod:`helpers`, the lesson's worker-side building blocks and answer in plain numbers. A hint names a
typical mistake (test rows standardized with their own statistics, no column of ones, MAE
written as a mean of squares, ``(N, 1) - (N,)`` broadcasting, counting from the previous loss
instead of the best) only when the answer equals what that mistake computes; otherwise it says
what was expected and what came back.
"""
import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from mlkit.grading.check_helpers import (as_dict, as_pair, close, is_real_number,
                                         real_number, type_name)
from mlkit.grading.hints import LearnerError, expect, is_a
from mlkit.grading.registry import Lesson

HELPERS = f"{__package__}.helpers"   # the worker imports this lesson's helpers by name

lesson = Lesson(3, "Regression", notebook="03_regression")
lesson.exercise("3.1", "An MLP regressor")
lesson.exercise("3.2", "An early stopper")
lesson.exercise("3.3", "The early-stopping loop")
lesson.exercise("3.4", "Standardization with training statistics")
lesson.exercise("3.5", "Regression metrics: MSE, MAE, R^2")
lesson.exercise("3.6", "Linear least squares in closed form")
lesson.exercise("3.7", "The Huber loss by hand")
lesson.exercise("3.8", "Reading learning curves")


def _show(values, digits=3):
    return "[" + ", ".join(f"{v:.{digits}g}" for v in np.ravel(values)) + "]"


def _attribute(nb, value, name, hint):
    """``value.name``, or the check fails with ``hint`` when it has no such attribute (a handle
    reports the worker's AttributeError as a LearnerError, a local object raises it)."""
    try:
        return getattr(value, name)
    except (AttributeError, LearnerError) as error:
        if is_a(error, "AttributeError"):
            expect(False, hint)
        raise


# ---------------------------------------------------------------------------------------------
# 3.1 An MLP regressor

def _curve_net(nb, n_hidden, n_layers, seed=0):
    nb.seed(int(seed))
    return nb.CurveNet(n_hidden=n_hidden, n_layers=n_layers)


def _seeds(nb, count):
    return [int(s) for s in nb.rng.integers(0, 2**31, count)]


def _predict(nb, model, x):
    return nb.array(nb.module(HELPERS).predict(model, x)).astype(np.float64)


def _layer_count_hint(nb, model, n_hidden, n_layers, shapes):
    call = f"CurveNet(n_hidden={n_hidden}, n_layers={n_layers})"
    hidden_in_lists = nb.module(HELPERS).unregistered_linears(model)
    if hidden_in_lists and len(shapes) < n_layers + 1:
        return (f"{call} registers {len(shapes)} L.Linear layer(s) and keeps {hidden_in_lists} "
                "more in a plain Python list, where Chainer does not see them (they would never "
                "be trained): keep the hidden layers in a chainer.ChainList assigned inside "
                "`with self.init_scope():`")
    return (f"{call} registers {len(shapes)} L.Linear layer(s); expected {n_layers + 1} "
            f"({n_layers} hidden + 1 output), all assigned inside `with self.init_scope():`")


@lesson.check("3.1", points=1)
def curve_net_outputs_one_float32_column(nb):
    n = int(nb.rng.integers(5, 12))
    x = nb.rng.uniform(-3, 3, size=(n, 1)).astype(np.float32)
    for n_layers in (0, 2):
        y = _curve_net(nb, 8, n_layers)(x)
        call = f"CurveNet(n_hidden=8, n_layers={n_layers})(x) for x of shape ({n}, 1)"
        expect(nb.isinstance(y, "chainer.Variable"),
               f"{call} returned {type_name(y)}; return the output of the last L.Linear "
               "layer (a chainer.Variable)")
        shape = tuple(y.shape)
        expect(shape != (n,),
               f"{call} has shape ({n},): keep the column axis, shape ({n}, 1), the shape of the "
               "targets (do not flatten or reshape; F.mean_squared_error needs equal shapes)")
        expect(shape == (n, 1),
               f"{call} has shape {shape}, expected ({n}, 1): end with one L.Linear(None, 1) "
               "layer, a single output per example")
        dtype = nb.array(y).dtype
        expect(dtype == np.float32, f"{call} has dtype {dtype}, expected float32")


@lesson.check("3.1", points=1)
def curve_net_has_n_layers_hidden_layers(nb):
    x = nb.rng.uniform(-3, 3, size=(5, 1)).astype(np.float32)
    shapes_of = nb.module(HELPERS).linear_shapes
    for n_hidden, n_layers in [(8, 0), (8, 1), (int(nb.rng.integers(3, 7)), 3)]:
        model = _curve_net(nb, n_hidden, n_layers)
        model(x)   # initializes lazy L.Linear(None, ...) weights
        shapes = list(shapes_of(model))
        expect(len(shapes) == n_layers + 1,
               _layer_count_hint(nb, model, n_hidden, n_layers, shapes))
        widths = sorted(shape[0] for shape in shapes)
        expected = sorted([n_hidden] * n_layers + [1])
        expect(widths == expected,
               f"CurveNet(n_hidden={n_hidden}, n_layers={n_layers}) has layers of "
               f"{widths} units; expected {expected}: every hidden layer has n_hidden units, "
               "the output layer 1")


@lesson.check("3.1", points=1)
def curve_net_output_is_not_squashed(nb):
    # inputs well beyond the data's [-3, 3] as well: a linear output grows with them, a
    # squashed one stays bounded; 12 initializations make an all-positive draw negligible
    x = np.concatenate([nb.rng.uniform(-3, 3, size=(64, 1)),
                        nb.rng.uniform(-10, 10, size=(32, 1))]).astype(np.float32)
    predictions = np.concatenate([_predict(nb, _curve_net(nb, 16, 2, seed), x).ravel()
                                  for seed in _seeds(nb, 12)])
    expect(np.isfinite(predictions).all(), "your CurveNet(16, 2) predicted NaN or inf")
    story = (f"over 12 random initializations and {len(x)} inputs in [-10, 10] your "
             "CurveNet(16, 2)")
    if predictions.min() >= 0:
        zeros = float(np.mean(predictions == 0))
        if zeros > 0.05:
            expect(False, f"{story} never predicted a negative value, and {100 * zeros:.0f} % of "
                          "its predictions are exactly 0, as a ReLU after the last layer makes "
                          "them: the output layer of a regressor stays linear (no activation), "
                          "a target can be any real number")
        expect(False, f"{story} never predicted a negative value: the output layer of a "
                      "regressor stays linear (no activation after it), a target can be any "
                      "real number")
    expect(np.abs(predictions).max() > 1.0,
           f"{story} never predicted a value outside [-1, 1] (largest magnitude "
           f"{np.abs(predictions).max():.3g}), as if squashed by tanh: the output layer of a "
           "regressor stays linear, no activation after it")


def _curvature(values):
    return float(np.abs(np.diff(values.ravel(), 2)).max())


@lesson.check("3.1", points=1)
def curve_net_bends(nb):
    grid = np.linspace(-3, 3, 121, dtype=np.float32)[:, None]
    straight = True
    for seed in _seeds(nb, 3):
        model = _curve_net(nb, 16, 2, seed)
        predictions = _predict(nb, model, grid)
        if _curvature(predictions) > 1e-4:
            straight = False
            break
    if straight:
        collapsed = nb.module(HELPERS).linear_composition(model, grid)
        if collapsed is not None and close(predictions, collapsed, rtol=1e-3, atol=1e-4,
                                           dtype=np.float64):
            expect(False, "CurveNet(16, 2) computes a straight line, exactly what its Linear "
                          "layers give when applied one after the other with nothing between "
                          "them: stacked Linear layers without a nonlinearity collapse into one "
                          "Linear layer. Apply F.relu to the output of every hidden layer (not "
                          "to the last layer)")
        expect(False, "CurveNet(16, 2) computes a straight line over [-3, 3] for 3 random "
                      "initializations; expected a curve that bends where its ReLU hidden "
                      "units switch on and off")
    line = _predict(nb, _curve_net(nb, 16, 0, _seeds(nb, 1)[0]), grid)
    expect(_curvature(line) < 1e-4,
           "CurveNet(n_layers=0) is not a straight line: with no hidden layer the model is just "
           "the output L.Linear(None, 1), with no activation")


@lesson.check("3.1", points=1, timeout=30)
def curve_net_learns_a_curve(nb):
    hidden_in_lists = nb.module(HELPERS).unregistered_linears(
        _curve_net(nb, 16, 2, seed=_seeds(nb, 1)[0]))
    expect(not hidden_in_lists,
           f"CurveNet(16, 2) keeps {hidden_in_lists} of its Linear layers in a plain Python "
           "list, where the optimizer does not see them: they never learn. Use a "
           "chainer.ChainList inside `with self.init_scope():`")
    # Up to three draws of data and initial weights: a correct CurveNet rarely misses on one
    # draw (a CI run saw MSE 0.213 once; 0 in 400 draws of the course's model), while one
    # without ReLU misses on every draw (its best of 300 draws: 0.24).
    for _ in range(3):
        x = nb.rng.uniform(-3, 3, size=(40, 1)).astype(np.float32)
        y = (np.sin(2 * x) + 0.3 * x).astype(np.float32)
        model = _curve_net(nb, 16, 2, seed=_seeds(nb, 1)[0])
        first, last = nb.module(HELPERS).train_mse(model, x, y, 300, 0.02)
        if last < 0.5 * first and last < 0.2:
            return
    expect(False, f"300 Adam steps on sin(2x) + 0.3x took your CurveNet(16, 2) from MSE "
                  f"{first:.3f} only to {last:.3f} (a correct one gets below 0.2), on three "
                  "draws of data and initial weights")


# ---------------------------------------------------------------------------------------------
# 3.2 An early stopper

def _reference_stop(losses, patience):
    """(stop epoch or None, best epoch) of the stopper the exercise asks for."""
    best, best_epoch = float("inf"), None
    for epoch, loss in enumerate(losses):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch, best_epoch
    return None, best_epoch


def _stop_when_worse_than_previous(losses, patience):
    """The typical mistake: count epochs since the loss last went down, not since the best."""
    previous, waited = float("inf"), 0
    for epoch, loss in enumerate(losses):
        waited = 0 if loss < previous else waited + 1
        previous = loss
        if waited >= patience:
            return epoch
    return None


def _stop_not_strictly_better(losses, patience):
    """The mistake of counting a loss equal to the best as a new best (<= instead of <)."""
    best, best_epoch = float("inf"), None
    for epoch, loss in enumerate(losses):
        if loss <= best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return None


def _learner_stop(nb, losses, patience):
    """(the epoch at which the learner's stopper first said True or None, the stopper)."""
    stopper = nb.EarlyStopper(patience)
    answers = list(nb.module(HELPERS).step_stopper(stopper, losses, True))
    for epoch, answer in enumerate(answers):
        expect(isinstance(answer, bool),
               f"EarlyStopper.step returned {answer!r}; return True (stop now) or False "
               "(go on), a bool")
        if answer:
            return epoch, stopper
    return None, stopper


def _loss_sequences(rng):
    """Hand-made sequences with known answers, then noisy U-shaped validation curves (fresh
    for every grading run), with ties: losses rounded to 2 decimals repeat now and then."""
    cases = [([3.0, 2.0, 2.5, 2.4], 2), ([5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8], 3),
             ([1.0, 2.0, 3.0, 4.0], 1), ([4.0, 3.0, 3.2, 2.0, 2.1, 2.2, 1.5, 1.6, 1.7], 2),
             ([2.0, 1.5, 1.8, 1.6, 1.7, 1.65, 1.66, 1.67], 3)]
    for patience in (1, 2, 3, 5, 8):
        for _ in range(4):
            epochs = np.arange(60)
            curve = 1.0 / (1 + rng.uniform(0.1, 0.3) * epochs) + rng.uniform(0.002, 0.006) * epochs
            losses = curve + rng.normal(0, 0.03, size=epochs.size)
            cases.append(([round(float(v), 2) for v in losses], patience))
    return cases


@lesson.check("3.2", points=2)
def stopper_stops_patience_epochs_after_the_best(nb):
    cases = _loss_sequences(nb.rng)
    got = [_learner_stop(nb, losses, patience)[0] for losses, patience in cases]
    expected = [_reference_stop(losses, patience)[0] for losses, patience in cases]
    if got == expected:
        return
    first = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
    losses, patience = cases[first]
    last_shown = max(e for e in (got[first], expected[first], 0) if e is not None) + 1
    story = (f"with patience={patience} and validation losses {_show(losses[:last_shown])}... "
             f"your step() first returned True at epoch {got[first]}, expected at epoch "
             f"{expected[first]} (the best loss is at epoch "
             f"{_reference_stop(losses, patience)[1]})")
    # a typical mistake is named only when it explains every case, not just the first one
    mistakes = [
        (_stop_when_worse_than_previous,
         ": you count the epochs since the loss last went down; count the epochs since the "
         "best loss so far (a loss lower than the previous one is not necessarily a new best)"),
        (lambda losses, p: _reference_stop(losses, p + 1)[0],
         ": one epoch late. Stop as soon as epoch - best_epoch >= patience"),
        (lambda losses, p: _reference_stop(losses, p - 1)[0],
         ": one epoch early. Stop when epoch - best_epoch >= patience, epochs counted from 0 "
         "and the best epoch itself not counted"),
        (_stop_not_strictly_better,
         ": a loss equal to the best counts as a new best in your stopper; only a strictly "
         "lower loss is (compare with <, not <=)"),
    ]
    for variant, explanation in mistakes:
        if got == [variant(losses, p) for losses, p in cases]:
            expect(False, story + explanation)
    if all(g is None for g in got):
        expect(False, story + ": it never returned True on any of the sequences")
    expect(False, story)


@lesson.check("3.2", points=1)
def stopper_remembers_the_best_loss_and_epoch(nb):
    missing = ("EarlyStopper needs the attributes best_loss and best_epoch (set them in "
               "__init__, update them in step)")
    fresh = nb.EarlyStopper(2)
    best_loss, best_epoch = (_attribute(nb, fresh, name, missing)
                             for name in ("best_loss", "best_epoch"))
    expect(best_loss == float("inf") and best_epoch is None,
           f"before the first step best_loss is {best_loss!r} and best_epoch {best_epoch!r}; "
           "expected float('inf') and None")
    step_all = nb.module(HELPERS).step_stopper
    for losses, patience in _loss_sequences(nb.rng)[:12]:
        stopper = nb.EarlyStopper(patience)
        step_all(stopper, losses, False)   # past the stop too: the best must still be tracked
        best_epoch = int(np.argmin(losses))   # the first of equal lowest losses
        got_loss, got_epoch = (_attribute(nb, stopper, name, missing)
                               for name in ("best_loss", "best_epoch"))
        expect(is_real_number(got_loss) and float(got_loss) == losses[best_epoch],
               f"after the losses {_show(losses[:10])}... best_loss is {got_loss!r}, "
               f"expected the lowest loss {losses[best_epoch]!r}")
        last_lowest = len(losses) - 1 - int(np.argmin(losses[::-1]))
        tie = (" (a loss equal to the best is no improvement: compare with <, not <=)"
               if is_real_number(got_epoch) and got_epoch == last_lowest != best_epoch else "")
        expect(is_real_number(got_epoch) and got_epoch == best_epoch,
               f"after the losses {_show(losses[:10])}... best_epoch is {got_epoch!r}, "
               f"expected {best_epoch}: the first epoch (counted from 0) of the lowest loss"
               + tie)


@lesson.check("3.2", points=1)
def stopper_equal_loss_is_no_improvement(nb):
    low = round(float(nb.rng.uniform(0.2, 0.8)), 3)
    losses, patience = [1.0, low, low, low, low], 2
    got, stopper = _learner_stop(nb, losses, patience)
    rest = losses[got + 1 if got is not None else len(losses):]
    nb.module(HELPERS).step_stopper(stopper, rest, False)
    best_epoch = _attribute(nb, stopper, "best_epoch", "EarlyStopper needs the attribute "
                            "best_epoch (set it in __init__, update it in step)")
    if best_epoch != 1 and best_epoch == len(losses) - 1:
        expect(False, f"after the losses {losses} your stopper has best_epoch {best_epoch}, "
                      "expected 1: a loss equal to the best is no improvement (compare with <, "
                      "not <=)")
    expect(best_epoch == 1,
           f"after the losses {losses} your stopper has best_epoch {best_epoch!r}, expected 1, "
           "the first epoch of the lowest loss")
    expect(got == 3,
           f"with patience=2 and losses {losses} your stopper stopped at epoch {got}, expected "
           "at epoch 3: two epochs without a new best after the best one at epoch 1")


# ---------------------------------------------------------------------------------------------
# 3.3 The early-stopping loop

def _early_stopping_case(rng):
    """A small curve problem, a tanh network's weights and a stopper's script: the best epochs
    (never the last one before the stop, so that the best weights differ from the last)."""
    x = rng.uniform(-2, 2, (45, 1)).astype(np.float32)
    y = (np.sin(2 * x) + 0.3 * x + rng.normal(0, 0.3, x.shape)).astype(np.float32)
    hidden = int(rng.integers(8, 17))
    weights = (rng.normal(0, 1, (hidden, 1)), rng.normal(0, 0.5, hidden),
               rng.normal(0, 1 / np.sqrt(hidden), (1, hidden)), rng.normal(0, 0.1, 1))
    stop = int(rng.integers(12, 20))
    best = sorted({0, *rng.choice(np.arange(1, stop - 3), 3, replace=False).tolist()})
    return {"x_train": x[:30], "y_train": y[:30], "x_val": x[30:], "y_val": y[30:],
            "weights": [np.asarray(w, np.float32) for w in weights], "best": best,
            "stop": stop, "max_epochs": stop + int(rng.integers(8, 15)),
            "lr": float(rng.choice([0.01, 0.02, 0.03]))}


def _reference_early_stopping(case):
    """The loop as the lesson describes it, on the grader's side: (best epoch, history, the
    parameters after every epoch's measurement, the parameters it ends with)."""
    import chainer
    import chainer.functions as F
    from . import helpers as fx3
    model = fx3.small_regressor(*case["weights"])
    stopper = fx3.scripted_stopper(case["best"], case["stop"])
    optimizer = chainer.optimizers.Adam(alpha=case["lr"])
    optimizer.setup(model)
    history = {"train MSE": [], "validation MSE": []}
    measured, best = [], None
    for epoch in range(case["max_epochs"]):
        loss = F.mean_squared_error(model(case["x_train"]), case["y_train"])
        with chainer.no_backprop_mode():
            val_loss = float(F.mean_squared_error(model(case["x_val"]), case["y_val"]).array)
        history["train MSE"].append(float(loss.array))
        history["validation MSE"].append(val_loss)
        measured.append(fx3.params(model))
        stop = stopper.step(val_loss)
        if stopper.best_epoch == epoch:
            best = model.copy(mode="copy")
        if stop:
            break
        model.cleargrads()
        loss.backward()
        optimizer.update()
    model.copyparams(best)
    return stopper.best_epoch, history, measured, fx3.params(model)


def _learner_early_stopping(nb, case):
    """``(best epoch, history, final parameters, losses the stopper saw)`` of the learner's
    loop on ``case``, or a hint about the shape of what it returned."""
    there = nb.module(HELPERS)
    model = there.small_regressor(*case["weights"])
    stopper = there.scripted_stopper(case["best"], case["stop"])
    call = (f"train_with_early_stopping(model, x_train, y_train, x_val, y_val, stopper, "
            f"max_epochs={case['max_epochs']}, lr={case['lr']})")
    answer = nb.train_with_early_stopping(model, case["x_train"], case["y_train"],
                                          case["x_val"], case["y_val"], stopper,
                                          case["max_epochs"], lr=case["lr"])
    best_epoch, history = as_pair(nb, answer,
                                  f"{call} should return two things, (best_epoch, history)")
    what = (f"{call} should return the history as a dict with the lists 'train MSE' and "
            "'validation MSE'")
    history = as_dict(nb, history, what)
    expect({"train MSE", "validation MSE"} <= set(history),
           f"{what}; got a dict with the keys {sorted(map(str, history))}")
    history = {key: [float(v) for v in np.ravel(np.asarray(history[key], np.float64))]
               for key in ("train MSE", "validation MSE")}
    return best_epoch, history, there.params(model), [float(v) for v in stopper.seen], call


def _first_difference(a, b):
    return next((i for i, (u, v) in enumerate(zip(a, b)) if abs(u - v) > 1e-5), None)


@lesson.check("3.3", points=1, timeout=20)
def early_stopping_feeds_the_stopper_each_validation_loss(nb):
    case = _early_stopping_case(nb.rng)
    _, history, _, _ = _reference_early_stopping(case)
    _, _, _, seen, call = _learner_early_stopping(nb, case)
    expected = history["validation MSE"]
    expect(seen, f"{call} never called stopper.step(...): call it once per epoch with that "
                 "epoch's validation MSE")
    n = min(len(seen), len(expected))
    if _first_difference(seen[:n], history["train MSE"][:n]) is None:
        expect(False, f"{call} gave the stopper the training MSE; early stopping watches the "
                      "validation MSE, the error on points the model does not train on")
    if n > 1 and _first_difference(seen[:n - 1], expected[1:n]) is None:
        expect(False, f"{call} gave the stopper the validation MSE measured after each "
                      "update; measure both errors on the same weights, before the update, so "
                      "that the weights you keep are those the stopper judged")
    wrong = _first_difference(seen[:n], expected[:n])
    expect(wrong is None,
           f"{call}: at epoch {wrong} the stopper was given {seen[wrong or 0]:.5f}; the "
           f"validation MSE of that epoch, before its update, is {expected[wrong or 0]:.5f}")


@lesson.check("3.3", points=1, timeout=20)
def early_stopping_stops_when_the_stopper_says_so(nb):
    case = _early_stopping_case(nb.rng)
    _, history, _, _ = _reference_early_stopping(case)
    _, got, _, _, call = _learner_early_stopping(nb, case)
    epochs = len(history["train MSE"])
    ran = len(got["validation MSE"])
    expect(ran != case["max_epochs"] or epochs == ran,
           f"{call} ran all {ran} epochs although stopper.step(...) returned True in epoch "
           f"{case['stop']}: break out of the loop as soon as it does")
    expect(ran == epochs and len(got["train MSE"]) == epochs,
           f"the stopper said stop in epoch {case['stop']} (counting from 0), so the history "
           f"should hold {epochs} epochs (the last one measured, not trained); {call} recorded "
           f"{len(got['train MSE'])} training and {ran} validation errors")
    for key in ("train MSE", "validation MSE"):
        wrong = _first_difference(got[key], history[key])
        expect(wrong is None,
               f"{call}: the history's {key!r} of epoch {wrong} is {got[key][wrong or 0]:.5f}; "
               f"full-batch Adam(alpha=lr) on the MSE gives {history[key][wrong or 0]:.5f} "
               "(both errors measured on the same weights, before the epoch's update)")


@lesson.check("3.3", points=2, timeout=20)
def early_stopping_keeps_the_best_weights(nb):
    case = _early_stopping_case(nb.rng)
    best_epoch, _, measured, best_params = _reference_early_stopping(case)
    got_epoch, _, got_params, _, call = _learner_early_stopping(nb, case)

    def same(a, b):
        return set(a) == set(b) and all(np.allclose(a[k], b[k], atol=1e-5) for k in a)
    if not same(got_params, best_params):
        if same(got_params, measured[-1]) or same(got_params, measured[min(len(measured) - 1,
                                                                          case["stop"])]):
            expect(False, f"after {call} the model holds the weights of the last epoch, not "
                          f"of the best one (epoch {best_epoch}): when the stopper reports a "
                          "new best, keep a real copy, best = model.copy(mode='copy') (best = "
                          "model is the same object and changes with it), and put it back at "
                          "the end with model.copyparams(best)")
        near = [e for e in (best_epoch - 1, best_epoch + 1) if 0 <= e < len(measured)
                and same(got_params, measured[e])]
        expect(not near, f"after {call} the model holds the weights of epoch {near and near[0]}, "
                         f"one off the best epoch {best_epoch}: copy the weights in the epoch "
                         "whose validation MSE the stopper called the best, after step() and "
                         "before the update")
        expect(False, f"after {call} the model's weights are not those of the best epoch "
                      f"({best_epoch}): copy the model when stopper.best_epoch == epoch and "
                      "restore the copy with model.copyparams(best) before returning")
    expect(is_real_number(got_epoch) and int(got_epoch) == best_epoch,
           f"{call} returned the best epoch {got_epoch!r}; the stopper's best epoch, "
           f"stopper.best_epoch, is {best_epoch}")


# ---------------------------------------------------------------------------------------------
# 3.4 Standardization

def _standardize_problem(rng, n_train=50, n_test=20):
    """Columns on very different scales; the test rows come from elsewhere (shifted and wider),
    so statistics measured on them differ clearly from the training ones."""
    d = int(rng.integers(3, 7))
    scales = 10.0 ** rng.uniform(-2, 2, d)
    # a mean at most 8 standard deviations from 0: float32 data keeps about 5 digits of the
    # spread, enough for a float32 answer to match to 1e-3
    means = scales * rng.uniform(-8, 8, d)
    x_train = (means + scales * rng.standard_normal((n_train, d))).astype(np.float32)
    shift = scales * rng.uniform(0.3, 1.0, d) * rng.choice([-1, 1], d)
    x_test = (means + shift + 1.5 * scales * rng.standard_normal((n_test, d))).astype(np.float32)
    return x_train, x_test


def _learner_standardize(nb, x_train, x_test):
    answer = as_pair(nb, nb.standardize(x_train.copy(), x_test.copy()),
                     "standardize should return two arrays, (z_train, z_test)")
    z_train, z_test = (nb.array(a) for a in answer)
    expect(z_train.shape == x_train.shape and z_test.shape == x_test.shape,
           f"standardize returned arrays of shapes {z_train.shape} and {z_test.shape} for "
           f"inputs {x_train.shape} and {x_test.shape}; keep the shapes")
    expect(np.issubdtype(z_train.dtype, np.number) and np.issubdtype(z_test.dtype, np.number),
           f"standardize returned arrays of dtypes {z_train.dtype} and {z_test.dtype}; "
           "expected float32 numbers")
    return z_train, z_test


def _scaled(x, mean, std):
    return (x.astype(np.float64) - mean) / std


@lesson.check("3.4", points=1)
def standardized_training_columns_have_mean_0_std_1(nb):
    x_train, x_test = _standardize_problem(nb.rng)
    z_train, _ = _learner_standardize(nb, x_train, x_test)
    x = x_train.astype(np.float64)
    expected = _scaled(x, x.mean(0), x.std(0))
    if not close(z_train, expected, rtol=1e-3, atol=1e-3, dtype=np.float64):
        expect(np.isfinite(z_train).all(), "z_train holds NaN or inf; expected finite numbers "
                                           "with column means 0 and standard deviations 1")
        means, stds = z_train.mean(axis=0), z_train.std(axis=0)
        mistakes = [
            (_scaled(x, x.mean(), x.std()),
             "you used one mean and one std for the whole array; compute them per column, "
             "x_train.mean(axis=0) and x_train.std(axis=0)"),
            (_scaled(x, x.mean(0), x.std(0, ddof=1)),
             "you divided by the std with ddof=1, which leaves them slightly below 1; use "
             "np.std's default ddof=0"),
            (_scaled(x, x.mean(0), 1.0),
             "the columns are centered but not scaled: divide by x_train.std(axis=0)"),
            (_scaled(x, 0.0, x.std(0)),
             "the columns are scaled but not centered: subtract x_train.mean(axis=0)"),
        ]
        for mistaken, explanation in mistakes:
            if close(z_train, mistaken, rtol=1e-3, atol=1e-3, dtype=np.float64):
                expect(False, f"the columns of z_train have means {_show(means)} and standard "
                              f"deviations {_show(stds, 4)}, expected all 0 and all 1: "
                              + explanation)
        expect(False, f"z_train differs from (x_train - mean) / std with the columns' mean and "
                      f"std: its columns have means {_show(means)} and standard deviations "
                      f"{_show(stds)}, expected all 0 and all 1 (first row: got "
                      f"{_show(z_train[0])}, expected {_show(expected[0])})")
    expect(z_train.dtype == np.float32,
           f"z_train has dtype {z_train.dtype}, expected float32 (what Chainer's layers "
           "take): return z.astype(np.float32)")


@lesson.check("3.4", points=2)
def test_rows_use_the_training_statistics(nb):
    for _ in range(3):
        x_train, x_test = _standardize_problem(nb.rng)
        _, z_test = _learner_standardize(nb, x_train, x_test)
        train, test = x_train.astype(np.float64), x_test.astype(np.float64)
        expected = _scaled(test, train.mean(0), train.std(0))
        if close(z_test, expected, rtol=1e-3, atol=1e-3, dtype=np.float64):
            continue
        both = np.vstack([train, test])
        mistakes = [
            (_scaled(test, test.mean(0), test.std(0)),
             "you standardized the test rows with their own mean and std: z_test must use "
             "the TRAINING mean and std (the test rows stand for future data, one patient at "
             f"a time). Column means of your z_test: {_show(z_test.mean(0))} (exactly 0 gives "
             "it away)"),
            (_scaled(test, both.mean(0), both.std(0)),
             "you took the mean and std of training and test rows together: measure them on "
             "x_train only and apply them unchanged to x_test"),
            (_scaled(test, train.mean(0), train.std(0, ddof=1)),
             "z_test is divided by the std with ddof=1; use np.std's default ddof=0 (as "
             "for z_train)"),
            (_scaled(test, train.mean(), train.std()),
             "z_test uses one mean and one std of the whole training array; use the training "
             "statistics per column, x_train.mean(axis=0) and x_train.std(axis=0)"),
        ]
        for mistaken, explanation in mistakes:
            expect(not close(z_test, mistaken, rtol=1e-3, atol=1e-3, dtype=np.float64), explanation)
        expect(False, f"z_test differs from (x_test - mean) / std with the training mean and std "
               f"(first row: got {_show(z_test[0])}, expected {_show(expected[0])})")
    expect(z_test.dtype == np.float32, f"z_test has dtype {z_test.dtype}, expected float32")


@lesson.check("3.4", points=1)
def standardize_leaves_its_inputs_alone(nb):
    x_train, x_test = _standardize_problem(nb.rng)
    train_kept, test_kept = nb.keep(x_train.copy()), nb.keep(x_test.copy())
    nb.standardize(train_kept, test_kept)
    expect(np.array_equal(nb.array(train_kept), x_train)
           and np.array_equal(nb.array(test_kept), x_test),
           "standardize changed the arrays it was given (in-place `x -= mean` or `x /= std`): "
           "compute new arrays, z = (x - mean) / std, so the raw data stays intact")


# ---------------------------------------------------------------------------------------------
# 3.5 Metrics

def _metric_problems(rng):
    """Biased and noisy predictions of random targets, in three sizes."""
    for n in (5, 40, 200):
        y_true = rng.uniform(-5, 10) + rng.uniform(1, 5) * rng.standard_normal(n)
        y_pred = rng.uniform(0.6, 0.9) * y_true + rng.uniform(0.5, 2.0) + rng.standard_normal(n)
        yield y_true.astype(np.float32), y_pred.astype(np.float32)


def _as_number(value, call):
    number = real_number(value)
    expect(number is not None,
           f"{call} returned {type_name(value)}"
           + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else "")
           + "; return one number, a Python float")
    return number


def _reference_metric(name, y_true, y_pred):
    from sklearn import metrics
    function = {"mse": metrics.mean_squared_error, "mae": metrics.mean_absolute_error,
                "r2_score": metrics.r2_score}[name]
    return float(function(np.ravel(y_true), np.ravel(y_pred)))


def _metric_hint(name, got, y_true, y_pred, expected):
    r = y_true.astype(np.float64) - y_pred
    if name == "mse":
        wrong = {"the mean of absolute errors; MSE squares them": np.mean(np.abs(r)),
                 "the root of the mean squared error (RMSE); MSE has no square root":
                     np.sqrt(np.mean(r ** 2)),
                 "a sum; take the mean (divide by N)": np.sum(r ** 2)}
    else:
        wrong = {"the mean of SQUARED errors; MAE is the mean of ABSOLUTE errors, "
                 "np.abs(y_true - y_pred)": np.mean(r ** 2),
                 "the root of the MSE (RMSE); MAE is the mean of np.abs(y_true - y_pred)":
                     np.sqrt(np.mean(r ** 2)),
                 "a sum; take the mean (divide by N)": np.sum(np.abs(r))}
    wrong["the mean of the errors, which cancel; square them (MSE) or take np.abs (MAE)"] = \
        np.mean(r)
    for what, value in wrong.items():
        if np.isclose(got, value, rtol=1e-4) and not np.isclose(value, expected, rtol=1e-4):
            return f"{name} returned {got:.5g}, expected {expected:.5g}: you computed {what}"
    return f"{name} returned {got:.5g} for {len(y_true)} values, expected {expected:.5g}"


def _check_metric(nb, name):
    function = getattr(nb, name)
    for y_true, y_pred in _metric_problems(nb.rng):
        got = _as_number(function(y_true, y_pred), f"{name}(y_true, y_pred)")
        expected = _reference_metric(name, y_true, y_pred)
        if not np.isclose(got, expected, rtol=1e-4, atol=1e-6):
            expect(False, _metric_hint(name, got, y_true, y_pred, expected))


@lesson.check("3.5", points=1)
def mse_matches_sklearn(nb):
    _check_metric(nb, "mse")


@lesson.check("3.5", points=1)
def mae_matches_sklearn(nb):
    _check_metric(nb, "mae")


@lesson.check("3.5", points=1)
def r2_matches_sklearn(nb):
    for y_true, y_pred in _metric_problems(nb.rng):
        got = _as_number(nb.r2_score(y_true, y_pred), "r2_score(y_true, y_pred)")
        expected = _reference_metric("r2_score", y_true, y_pred)
        if np.isclose(got, expected, rtol=1e-4, atol=1e-6):
            continue
        t, p = y_true.astype(np.float64), y_pred.astype(np.float64)
        residual = np.sum((t - p) ** 2)
        story = f"r2_score returned {got:.4f}, expected {expected:.4f}"
        expect(not np.isclose(got, np.corrcoef(t, p)[0, 1] ** 2, rtol=1e-4),
               story + ": that is the squared correlation, which ignores a bias in the "
               "predictions; use 1 - sum((y - y_pred)^2) / sum((y - mean(y))^2)")
        expect(not np.isclose(got, 1 - residual / np.sum((p - p.mean()) ** 2), rtol=1e-4),
               story + ": the total sum of squares measures the spread of the TRUE values "
               "around their own mean, sum((y_true - y_true.mean())^2)")
        expect(not np.isclose(got, residual / np.sum((t - t.mean()) ** 2), rtol=1e-4),
               story + ": that is the unexplained fraction; R^2 is 1 minus it")
        expect(False, story + f" for {len(t)} values")


def _broadcast_metric(name, a, b):
    """What a metric computes from ``a - b`` without flattening: for (N, 1) and (N,) that is
    the (N, N) matrix of every difference."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if name == "mse":
        return np.mean((a - b) ** 2)
    if name == "mae":
        return np.mean(np.abs(a - b))
    return 1 - np.sum((a - b) ** 2) / np.sum((a - a.mean()) ** 2)


@lesson.check("3.5", points=1)
def metrics_accept_columns_and_flat_arrays(nb):
    y_true, y_pred = list(_metric_problems(nb.rng))[1]
    for name in ("mse", "mae", "r2_score"):
        expected = _reference_metric(name, y_true, y_pred)
        for shape_true, shape_pred in [((-1, 1), (-1,)), ((-1,), (-1, 1)), ((-1, 1), (-1, 1))]:
            a, b = y_true.reshape(shape_true), y_pred.reshape(shape_pred)
            call = f"{name}(y_true of shape {a.shape}, y_pred of shape {b.shape})"
            got = _as_number(getattr(nb, name)(a, b), call)
            if np.isclose(got, expected, rtol=1e-4, atol=1e-6):
                continue
            mistaken = _broadcast_metric(name, a, b)
            expect(not (a.shape != b.shape and np.isclose(got, mistaken, rtol=1e-4)),
                   f"{call} returned {got:.4g}, expected {expected:.4g}: subtracting an (N,) "
                   "array from an (N, 1) array broadcasts to an (N, N) matrix of every "
                   "difference. Flatten both first: np.ravel(y_true), np.ravel(y_pred)")
            expect(False, f"{call} returned {got:.4g}, expected {expected:.4g}")


# ---------------------------------------------------------------------------------------------
# 3.6 Linear least squares in closed form

def _linear_problems(rng):
    for n, d in [(20, 1), (50, 3), (200, 8), (30, 5)]:
        X = rng.normal(rng.uniform(-3, 3), 1.5, size=(n, d)).astype(np.float32)  # not centered
        w = rng.normal(0, 2, size=d)
        b = rng.uniform(3, 6) * rng.choice([-1, 1])
        y = (X @ w + b + 0.3 * rng.standard_normal(n)).astype(np.float32)
        yield X, y


def _lstsq_with_intercept(X, y):
    A = np.hstack([X.astype(np.float64), np.ones((len(X), 1))])
    theta = np.linalg.lstsq(A, np.ravel(y).astype(np.float64), rcond=None)[0]
    return theta[:-1], float(theta[-1])


def _learner_fit(nb, X, y):
    """The learner's (w, b) as (float64 array of shape (D,), float), after checking that they
    have the types and shapes the exercise promises."""
    w, b = as_pair(nb, nb.fit_linear(X.copy(), y.copy()),
                   "fit_linear should return a pair (w, b)")
    n, d = X.shape
    expect(isinstance(w, np.ndarray),
           f"w is {type_name(w)}; return w as a NumPy float array of shape ({d},)")
    expect(np.issubdtype(w.dtype, np.floating),
           f"w has dtype {w.dtype}; return w as a float array of shape ({d},)")
    if w.shape != (d,):
        if w.shape == (d, 1):
            expect(False, f"w has shape {w.shape}, a column, for X of shape {X.shape}; the "
                          f"exercise asks for w of shape ({d},): solve with y flattened to "
                          f"shape ({n},) (np.ravel(y)), or flatten the solution (.ravel())")
        if w.shape == (d + 1,):
            w_ref, b_ref = _lstsq_with_intercept(X, y)
            expect(not close(w, np.append(w_ref, b_ref), rtol=1e-3, atol=1e-3, dtype=np.float64),
                   f"w has {d + 1} entries for {d} feature(s): the last entry of the solution "
                   "is the intercept; return w = theta[:-1] and b = theta[-1]")
        expect(False, f"w has shape {w.shape} for X of shape {X.shape}; expected ({d},)")
    expect(is_real_number(b),
           f"b is {type_name(b)}"
           + (f" of shape {b.shape}" if isinstance(b, np.ndarray) else "")
           + "; return the intercept as one float, float(...)")
    return w.astype(np.float64), float(b)


@lesson.check("3.6", points=2)
def fit_linear_matches_numpy_lstsq(nb):
    for X, y in _linear_problems(nb.rng):
        w, b = _learner_fit(nb, X, y)
        w_ref, b_ref = _lstsq_with_intercept(X, y)
        if (close(w, w_ref, rtol=1e-3, atol=1e-3, dtype=np.float64)
                and np.isclose(b, b_ref, rtol=1e-3, atol=1e-3)):
            continue
        story = (f"for X of shape {X.shape} fit_linear gave w = {_show(w)}, b = {b:.4g}; "
                 f"least squares with an intercept gives w = {_show(w_ref)}, b = {b_ref:.4g}")
        w_origin = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
        expect(not (close(w, w_origin, rtol=1e-3, atol=1e-3, dtype=np.float64) and abs(b) < 1e-6),
               story + ". Without a column of ones the fitted plane must pass through the "
               "origin: append np.ones((N, 1)) to X, solve, and split the last entry off as b")
        expect(False, story)


@lesson.check("3.6", points=1)
def fit_linear_accepts_column_targets(nb):
    X, y = list(_linear_problems(nb.rng))[1]
    w, b = _learner_fit(nb, X, y.reshape(-1, 1))
    w_ref, b_ref = _lstsq_with_intercept(X, y)
    expect(close(w, w_ref, rtol=1e-3, atol=1e-3, dtype=np.float64)
           and np.isclose(b, b_ref, rtol=1e-3, atol=1e-3),
           f"with y of shape {(len(y), 1)} (a column, like y_train) fit_linear gave "
           f"w = {_show(w)}, b = {b:.4g}; expected w = {_show(w_ref)}, b = {b_ref:.4g}")


@lesson.check("3.6", points=1)
def fit_linear_is_exact_on_noiseless_data(nb):
    X = nb.rng.uniform(-1, 1, size=(25, 4))
    w_true = np.round(nb.rng.uniform(-3, 3, 4), 1)
    b_true = float(np.round(nb.rng.uniform(-5, 5), 1))
    w, b = _learner_fit(nb, X, X @ w_true + b_true)
    expect(close(w, w_true, rtol=1e-4, atol=1e-4, dtype=np.float64)
           and np.isclose(b, b_true, atol=1e-4),
           f"on noiseless data y = X @ {_show(w_true)} + {b_true:g} fit_linear gave "
           f"w = {_show(w, 5)}, b = {b:.5g}; least squares recovers them exactly")


# ---------------------------------------------------------------------------------------------
# 3.7 The Huber loss by hand

def _huber_cases(rng):
    for shape, delta in [((12, 1), 1.0), ((20, 3), 0.5), ((8, 2), 2.0), ((30, 1), 0.1)]:
        y = (2.0 * rng.standard_normal(shape)).astype(np.float32)
        t = (2.0 * rng.standard_normal(shape)).astype(np.float32)
        yield y, t, delta


def _reference_huber(y, t, delta):
    import chainer
    import chainer.functions as F
    yv = chainer.Variable(y.copy())
    loss = F.mean(F.huber_loss(yv, t, delta, reduce="no"))
    loss.backward()
    return float(loss.array), yv.grad


def _learner_huber(nb, y, t, delta):
    """(the prediction Variable, made in the learner's world, and what huber_loss returned)."""
    yv = nb.module("chainer").Variable(y.copy())
    return yv, nb.huber_loss(yv, t.copy(), delta=delta)


def _huber_value_hint(got, y, t, delta, expected):
    r = np.abs(y.astype(np.float64) - t)
    inside = r <= delta
    pieces = np.where(inside, 0.5 * r ** 2, delta * (r - 0.5 * delta))
    variants = {
        "the squared part lacks its 1/2: use 0.5 * r ** 2 for |r| <= delta":
            np.mean(np.where(inside, r ** 2, delta * (r - 0.5 * delta))),
        "the linear part must be delta * (|r| - delta / 2), so that both pieces meet at "
        "|r| = delta": np.mean(np.where(inside, 0.5 * r ** 2, delta * r)),
        "a sum, not a mean: average over all elements with F.mean": np.sum(pieces),
        "the mean of the per-row sums; average over ALL elements":
            np.mean(np.sum(pieces, 1)),
        "the two pieces swapped: the squared piece is for |r| <= delta":
            np.mean(np.where(~inside, 0.5 * r ** 2, delta * (r - 0.5 * delta))),
        "a plain mean squared error: the linear piece for |r| > delta is missing":
            np.mean(0.5 * r ** 2),
    }
    for what, value in variants.items():
        if np.isclose(got, value, rtol=1e-4) and not np.isclose(value, expected, rtol=1e-4):
            return f"huber_loss gave {got:.5g}, expected {expected:.5g}: {what}"
    return (f"huber_loss gave {got:.5g} for y, t of shape {y.shape} and delta={delta}, expected "
            f"{expected:.5g} (the mean over all elements of r^2 / 2 where |r| <= delta and "
            "delta * (|r| - delta / 2) elsewhere)")


@lesson.check("3.7", points=1)
def huber_is_a_scalar_variable(nb):
    y, t, delta = next(_huber_cases(nb.rng))
    _, loss = _learner_huber(nb, y, t, delta)
    expect(nb.isinstance(loss, "chainer.Variable"),
           f"huber_loss returned {type_name(loss)}; build it from chainer.functions "
           "(F.absolute, F.where, F.mean) so that it returns a chainer.Variable and "
           "backward() works (NumPy functions cut the graph)")
    library = "chainer.functions.loss.huber_loss.HuberLoss"
    expect(library not in nb.module(HELPERS).graph_functions(loss),
           "huber_loss lets F.huber_loss compute the loss: this exercise builds it by hand from "
           "r = y - t with F.absolute, F.where and F.mean (F.huber_loss is only what it is "
           "compared with)")
    shape = tuple(loss.shape)
    expect(shape == (),
           f"huber_loss returned a Variable of shape {shape}, expected a scalar (): average "
           "over all elements with F.mean, not one value per row")


@lesson.check("3.7", points=2)
def huber_matches_chainer(nb):
    for y, t, delta in _huber_cases(nb.rng):
        _, loss = _learner_huber(nb, y, t, delta)
        expect("chainer.functions.loss.huber_loss.HuberLoss"
               not in nb.module(HELPERS).graph_functions(loss),
               "huber_loss lets F.huber_loss compute the loss; build it by hand (F.absolute, "
               "F.where, F.mean)")
        value = nb.array(loss)
        expect(value.ndim == 0,
               f"huber_loss returned shape {value.shape}; expected a scalar: average over all "
               "elements with F.mean")
        got = float(value)
        expected, _ = _reference_huber(y, t, delta)
        if not np.isclose(got, expected, rtol=1e-4, atol=1e-6):
            expect(False, _huber_value_hint(got, y, t, delta, expected))


@lesson.check("3.7", points=1)
def huber_gradient_matches_chainer(nb):
    for y, t, delta in _huber_cases(nb.rng):
        yv, loss = _learner_huber(nb, y, t, delta)
        expect(nb.isinstance(loss, "chainer.Variable") and loss.size == 1,
               "huber_loss must return a scalar chainer.Variable to be differentiated")
        expect("chainer.functions.loss.huber_loss.HuberLoss"
               not in nb.module(HELPERS).graph_functions(loss),
               "huber_loss lets F.huber_loss compute the loss and its gradient; build it by "
               "hand (F.absolute, F.where, F.mean)")
        loss.backward()
        grad = yv.grad
        expect(grad is not None,
               "after backward() the prediction y has no gradient: build the loss from y "
               "with chainer.functions only (not from y.array or NumPy)")
        grad = nb.array(grad)
        expect(grad.shape == y.shape,
               f"after backward() the gradient of y has shape {grad.shape}, expected "
               f"{y.shape}, the shape of y")
        _, expected = _reference_huber(y, t, delta)
        worst = int(np.abs(grad - expected).argmax())
        expect(close(grad, expected, rtol=1e-4, atol=1e-6, dtype=np.float64),
               f"the gradient of your huber_loss differs from the Huber loss's (delta={delta}, "
               f"shape {y.shape}): element {worst} has {grad.ravel()[worst]:.4g}, expected "
               f"{expected.ravel()[worst]:.4g} (r/N inside |r| <= delta, +-delta/N outside)")


# ---------------------------------------------------------------------------------------------
# 3.8 Reading learning curves

VERDICTS = ("diverges", "crawls", "good")


def _regression_problem(rng, n=64, d=4):
    X = rng.normal(0, 1, (n, d)) * rng.uniform(0.5, 2.0, d)
    w = rng.normal(0, 1, d)
    y = X @ w + rng.normal(0, 0.3, n)
    curvature = np.linalg.eigvalsh(2 * X.T @ X / n).max()     # the largest of the Hessian
    return X, y, w, curvature


def _sgd_curve(rng, X, y, w0, lr, batch_size, steps):
    """Per-step minibatch MSE of plain SGD on linear least squares (NumPy, float64)."""
    w, losses = np.array(w0, np.float64), []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            rows = rng.choice(len(X), batch_size, replace=False)
            residual = X[rows] @ w - y[rows]
            losses.append(float(np.mean(residual ** 2)))
            w = w - lr * 2 * X[rows].T @ residual / batch_size
    return losses


def _lr_curve(rng, verdict, steps=60):
    """A full-batch training curve whose learning rate clearly diverges, crawls or is good:
    a multiple of 2 / (largest curvature), the limit of gradient descent's stability.

    Drawn again until the curve leaves no doubt (good: the loss falls at least 80 %; crawls:
    it falls at most 5 %), so that any sensible threshold of a learner's agrees with it: an
    ill-conditioned problem or a small start can otherwise make a good rate look slow."""
    for _ in range(100):
        X, y, _, curvature = _regression_problem(rng)
        factor = {"diverges": rng.uniform(1.3, 2.0), "crawls": rng.uniform(1e-4, 4e-4),
                  "good": rng.uniform(0.15, 0.5)}[verdict]
        lr = float(2 * factor / curvature)
        losses = _sgd_curve(rng, X, y, np.zeros(X.shape[1]), lr, len(X), steps)
        with np.errstate(all="ignore"):
            ratio = losses[-1] / losses[0]
        if {"diverges": not np.isfinite(ratio) or ratio > 10, "crawls": 0.95 <= ratio <= 1,
                "good": ratio <= 0.2}[verdict]:
            return lr, losses
    raise AssertionError(f"no clearly {verdict!r} curve in 100 draws")


def _lr_curve_at(rng, verdict, lr):
    """A curve of :func:`_lr_curve` for the learning rate ``lr``: the same run on data rescaled
    (x and y times s make the curvature s^2 and the losses s^2 times larger), so that this rate
    gets the verdict. Which rate diverges depends on the data, not on the rate alone."""
    natural, losses = _lr_curve(rng, verdict)
    with np.errstate(all="ignore"):
        return float(lr), [float(v * natural / lr) for v in losses]


def _batch_curves(rng, steps=150):
    """{batch size: per-step loss} near the optimum (the curves are mostly noise), for batch
    sizes one, a few and all."""
    X, y, w, curvature = _regression_problem(rng)
    start = w + rng.normal(0, 0.05, w.shape)
    lr = float(0.1 / curvature)
    sizes = [int(rng.integers(1, 3)), int(rng.integers(8, 17)), len(X)]
    return {size: _sgd_curve(rng, X, y, start, lr, size, steps) for size in sizes}


def _verdict(nb, losses, expected, what):
    got = nb.diagnose(losses)
    expect(isinstance(got, str) and got in VERDICTS,
           f"diagnose should return one of {', '.join(map(repr, VERDICTS))}; for {what} it "
           f"returned {got!r}"[:300])
    finite = np.isfinite(losses).all()
    change = (f"it went from {losses[0]:.3g} to {losses[-1]:.3g} in {len(losses)} steps"
              if finite else f"it went from {losses[0]:.3g} to inf or nan")
    hints = {"diverges": "a loss that grows, or turns inf or nan, diverges: the steps overshoot "
                         "the valley and land higher each time",
             "crawls": "a loss that falls only a few per cent over the whole run crawls: the "
                       "steps are too small to get anywhere",
             "good": "a loss that falls most of the way to its floor is good progress"}
    expect(got == expected, f"diagnose called {what} {got!r}, but {change}: {hints[expected]}")


@lesson.check("3.8", points=2, timeout=10)
def diagnose_tells_divergence_crawl_and_progress(nb):
    for verdict in nb.rng.permutation(VERDICTS * 2):
        _, losses = _lr_curve(nb.rng, str(verdict))
        _verdict(nb, losses, str(verdict), f"a curve of {len(losses)} steps")
    _, losses = _lr_curve(nb.rng, "diverges", steps=1500)
    expect(not np.isfinite(losses).all(), "the grader's diverging curve stayed finite")
    _verdict(nb, losses, "diverges", "a curve that overflows to inf and nan")


def _noise(nb, losses, what):
    value = nb.noisiness(losses)
    expect(is_real_number(value) and np.isfinite(float(value)),
           f"noisiness should return one finite number (a float); for {what} it returned "
           f"{value!r}"[:300])
    return float(value)


@lesson.check("3.8", points=2, timeout=10)
def noisiness_ranks_the_batch_sizes(nb):
    for _ in range(2):
        curves = _batch_curves(nb.rng)
        values = {size: _noise(nb, losses, f"the curve of batch size {size}")
                  for size, losses in curves.items()}
        sizes = sorted(values)
        expect(values[sizes[0]] > values[sizes[1]] > values[sizes[2]],
               "the per-step losses of small minibatches jump most (the loss of one or two "
               "examples changes a lot from step to step) and a full batch's least (it only "
               f"moves with the weights); your noisiness gave " + ", ".join(
                   f"batch size {size}: {values[size]:.3g}" for size in sizes))
    losses = curves[sizes[1]]
    scaled = [1000 * value for value in losses]
    a, b = _noise(nb, losses, "a curve"), _noise(nb, scaled, "the same curve times 1000")
    expect(abs(a - b) <= 1e-6 * max(abs(a), 1e-12),
           f"noisiness of a curve is {a:.4g}, of the same curve in other units (times 1000) "
           f"{b:.4g}: measure the jumps relative to the size of the loss (divide by its mean, "
           "say), so that the number does not depend on the units")


@lesson.check("3.8", points=1, timeout=10)
def conclusions_follow_the_curves(nb):
    import itertools
    # Learning rates in an order that the usual one (the largest diverges, the smallest
    # crawls) does not give, on data of other scales: only the curves tell which is which.
    usual = (2, 0, 1)                                           # ranks of VERDICTS' rates
    ranks = [r for r in itertools.permutations(range(3)) if r != usual]
    ranks = ranks[int(nb.rng.integers(len(ranks)))]
    levels = 10.0 ** nb.rng.uniform(-3, -2.5) * np.array([1.0, 7.0, 50.0]) \
        * nb.rng.uniform(0.8, 1.25, 3)
    runs = [_lr_curve_at(nb.rng, verdict, float(levels[rank]))
            for verdict, rank in zip(VERDICTS, ranks)]
    order = nb.rng.permutation(3)
    lr_runs = {runs[i][0]: runs[i][1] for i in order}
    batch_runs = _batch_curves(nb.rng)
    batch_runs = {size: batch_runs[size] for size in nb.rng.permutation(sorted(batch_runs))
                  .tolist()}
    expected = {"diverges": runs[0][0], "crawls": runs[1][0], "good": runs[2][0],
                "noisiest": min(batch_runs), "smoothest": max(batch_runs)}
    what = f"conclude should return a dict with the keys {sorted(expected)}"
    got = as_dict(nb, nb.conclude(lr_runs, batch_runs), what)
    expect(set(expected) <= set(got), f"{what}; got the keys {sorted(map(str, got))}")
    wrong = {key: got[key] for key in expected
             if not (is_real_number(got[key]) and float(got[key]) == float(expected[key]))}
    expect(not wrong, "conclude drew other conclusions from fresh curves than they show: "
           + "; ".join(f"{key}: yours {got[key]!r}, the curves say {expected[key]:.3g}"
                       for key in wrong)
           + " (give the learning rates and batch sizes themselves, the keys of the dicts)")
