"""Lesson 3, regression: the checks of its six exercises.

Every check makes its own data with fixed seeds and compares the learner's answer with a
reference computed here (scikit-learn's metrics, ``numpy.linalg.lstsq``, Chainer's
``F.huber_loss``), on several random problems where that fits. When a wrong answer matches a
typical mistake (test data standardized with its own statistics, no column of ones, MAE written
as a mean of squares, ``(N, 1) - (N,)`` broadcasting, stopping when the loss rises once), the
hint names that mistake.
"""
import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

lesson = Lesson(3, "Regression", notebook="03_regression")
lesson.exercise("3.1", "An MLP regressor")
lesson.exercise("3.2", "An early stopper")
lesson.exercise("3.3", "Standardization with training statistics")
lesson.exercise("3.4", "Regression metrics: MSE, MAE, R^2")
lesson.exercise("3.5", "Linear least squares in closed form")
lesson.exercise("3.6", "The Huber loss by hand")


def _close(a, b, rtol=1e-4, atol=1e-5):
    return np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                       rtol=rtol, atol=atol)


def _show(values, digits=3):
    return "[" + ", ".join(f"{v:.{digits}g}" for v in values) + "]"


# ---------------------------------------------------------------------------------------------
# 3.1 An MLP regressor

def _curve_net(nb, n_hidden, n_layers, seed=0):
    mlkit.seed(seed)
    return nb.CurveNet(n_hidden=n_hidden, n_layers=n_layers)


def _inputs(n=64, seed=0):
    return np.random.default_rng(seed).uniform(-3, 3, size=(n, 1)).astype(np.float32)


def _predict(model, x):
    import chainer
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = model(x)
    return np.asarray(getattr(y, "array", y))


@lesson.check("3.1", points=1)
def curve_net_outputs_one_float32_column(nb):
    import chainer
    x = _inputs(7)
    for n_layers in (0, 2):
        y = _curve_net(nb, 8, n_layers)(x)
        call = f"CurveNet(n_hidden=8, n_layers={n_layers})(x) for x of shape (7, 1)"
        expect(isinstance(y, chainer.Variable),
               f"{call} returned {type(y).__name__}; return the output of the last L.Linear "
               "layer (a chainer.Variable)")
        expect(y.shape != (7,),
               f"{call} has shape (7,): keep the column axis, shape (7, 1), the shape of the "
               "targets (do not flatten or reshape; F.mean_squared_error needs equal shapes)")
        expect(y.shape == (7, 1),
               f"{call} has shape {y.shape}, expected (7, 1): end with one L.Linear(None, 1) "
               "layer, a single output per example")
        expect(y.dtype == np.float32, f"{call} has dtype {y.dtype}, expected float32")


@lesson.check("3.1", points=1)
def curve_net_has_n_layers_hidden_layers(nb):
    import chainer.links as L
    x = _inputs(5)
    for n_hidden, n_layers in [(8, 0), (8, 1), (5, 3)]:
        model = _curve_net(nb, n_hidden, n_layers)
        model(x)   # initializes lazy L.Linear(None, ...) weights
        linears = [link for link in model.links(skipself=True) if isinstance(link, L.Linear)]
        expect(len(linears) == n_layers + 1,
               f"CurveNet(n_hidden={n_hidden}, n_layers={n_layers}) registers {len(linears)} "
               f"L.Linear layer(s); expected {n_layers + 1} ({n_layers} hidden + 1 output). "
               "Build the hidden layers in a loop over range(n_layers), keep them in a "
               "chainer.ChainList inside `with self.init_scope():` (a plain Python list hides "
               "them from Chainer: they would never be trained)")
        widths = sorted(link.W.shape[0] for link in linears)
        expected = sorted([n_hidden] * n_layers + [1])
        expect(widths == expected,
               f"CurveNet(n_hidden={n_hidden}, n_layers={n_layers}) has layers of "
               f"{widths} units; expected {expected}: every hidden layer has n_hidden units, "
               "the output layer 1")


@lesson.check("3.1", points=1)
def curve_net_output_is_not_squashed(nb):
    x = _inputs(64)
    predictions = np.concatenate([_predict(_curve_net(nb, 16, 2, seed), x).ravel()
                                  for seed in range(6)])
    expect(predictions.min() < 0,
           "over 6 random initializations and 64 inputs your CurveNet(16, 2) never predicted "
           "a negative value: is there an activation (F.relu?) after the last layer? The output "
           "layer of a regressor stays linear, a target can be any real number")
    expect(np.abs(predictions).max() > 1.0,
           "your CurveNet(16, 2) predicts values squeezed into a small range: no sigmoid or "
           "tanh after the last layer, the output layer stays linear")


@lesson.check("3.1", points=1)
def curve_net_bends(nb):
    grid = np.linspace(-3, 3, 121, dtype=np.float32)[:, None]
    curvature = max(np.abs(np.diff(_predict(_curve_net(nb, 16, 2, seed), grid).ravel(), 2)).max()
                    for seed in range(3))
    expect(curvature > 1e-4,
           "CurveNet(16, 2) computes a straight line: Linear layers stacked without a "
           "nonlinearity collapse into one Linear layer. Apply F.relu to the output of every "
           "hidden layer (not to the last layer)")
    line = _predict(_curve_net(nb, 16, 0), grid).ravel()
    expect(np.abs(np.diff(line, 2)).max() < 1e-4,
           "CurveNet(n_layers=0) is not a straight line: with no hidden layer the model is just "
           "the output L.Linear(None, 1), with no activation")


@lesson.check("3.1", points=1, timeout=30)
def curve_net_learns_a_curve(nb):
    import chainer
    import chainer.functions as F
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, size=(40, 1)).astype(np.float32)
    y = (np.sin(2 * x) + 0.3 * x).astype(np.float32)
    model = _curve_net(nb, 16, 2, seed=0)
    optimizer = chainer.optimizers.Adam(alpha=0.02)
    optimizer.setup(model)
    first = None
    for _ in range(300):
        loss = F.mean_squared_error(model(x), y)
        first = float(loss.array) if first is None else first
        model.cleargrads()
        loss.backward()
        optimizer.update()
    last = float(F.mean_squared_error(model(x), y).array)
    expect(last < 0.5 * first and last < 0.2,
           f"300 Adam steps on sin(2x) + 0.3x took your CurveNet(16, 2) from MSE {first:.3f} "
           f"only to {last:.3f} (a correct one gets below 0.2): are all layers registered in "
           "init_scope (a ChainList for the hidden ones) and used in forward?")


# ---------------------------------------------------------------------------------------------
# 3.2 An early stopper

def _reference_stop(losses, patience, best_of=lambda new, best: new < best):
    """(stop epoch or None, best epoch) of the stopper the exercise asks for."""
    best, best_epoch = float("inf"), None
    for epoch, loss in enumerate(losses):
        if best_of(loss, best):
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


def _learner_stop(nb, losses, patience):
    stopper = nb.EarlyStopper(patience)
    for epoch, loss in enumerate(losses):
        answer = stopper.step(loss)
        expect(isinstance(answer, (bool, np.bool_)),
               f"EarlyStopper.step returned {answer!r} ({type(answer).__name__}); return True "
               "(stop now) or False (go on)")
        if answer:
            return epoch, stopper
    return None, stopper


def _loss_sequences():
    """Hand-made sequences with known answers, then noisy U-shaped validation curves."""
    cases = [([3.0, 2.0, 2.5, 2.4], 2), ([5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8], 3),
             ([1.0, 2.0, 3.0, 4.0], 1), ([4.0, 3.0, 3.2, 2.0, 2.1, 2.2, 1.5, 1.6, 1.7], 2),
             ([2.0, 1.5, 1.8, 1.6, 1.7, 1.65, 1.66, 1.67], 3)]
    rng = np.random.default_rng(0)
    for patience in (1, 2, 3, 5, 8):
        for _ in range(4):
            epochs = np.arange(60)
            curve = 1.0 / (1 + 0.2 * epochs) + 0.004 * epochs
            losses = curve + rng.normal(0, 0.03, size=epochs.size)
            cases.append(([float(v) for v in losses], patience))
    return cases


@lesson.check("3.2", points=2)
def stopper_stops_patience_epochs_after_the_best(nb):
    cases = _loss_sequences()
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
    # a typical mistake explains every case, not just the first one that differs
    mistakes = [
        (lambda losses, p: _stop_when_worse_than_previous(losses, p),
         ": you count the epochs since the loss last went down; count the epochs since the "
         "best loss so far (a loss lower than the previous one is not necessarily a new best)"),
        (lambda losses, p: _reference_stop(losses, p + 1)[0],
         ": one epoch late. Stop as soon as epoch - best_epoch >= patience"),
        (lambda losses, p: _reference_stop(losses, p - 1)[0],
         ": one epoch early. Stop when epoch - best_epoch >= patience, epochs counted from 0 "
         "and the best epoch itself not counted"),
    ]
    for variant, explanation in mistakes:
        if got == [variant(losses, p) for losses, p in cases]:
            expect(False, story + explanation)
    if got[first] is None:
        expect(False, story + ": it never returned True. Return epoch - best_epoch >= patience")
    expect(False, story)


@lesson.check("3.2", points=1)
def stopper_remembers_the_best_loss_and_epoch(nb):
    for losses, patience in _loss_sequences()[:12]:
        stopper = nb.EarlyStopper(patience)
        for loss in losses:
            stopper.step(loss)   # keep stepping past the stop: the best must still be tracked
        best_epoch = int(np.argmin(losses))
        expect(hasattr(stopper, "best_loss") and hasattr(stopper, "best_epoch"),
               "EarlyStopper needs the attributes best_loss and best_epoch (set them in "
               "__init__, update them in step)")
        expect(_close(stopper.best_loss, losses[best_epoch], rtol=0, atol=0),
               f"after the losses {_show(losses[:10])}... best_loss is {stopper.best_loss!r}, "
               f"expected the lowest loss {losses[best_epoch]!r}")
        expect(stopper.best_epoch == best_epoch,
               f"after the losses {_show(losses[:10])}... best_epoch is {stopper.best_epoch!r}, "
               f"expected {best_epoch}: the epoch (counted from 0) of the lowest loss")


@lesson.check("3.2", points=1)
def stopper_equal_loss_is_no_improvement(nb):
    losses, patience = [1.0, 0.5, 0.5, 0.5, 0.5], 2
    got, stopper = _learner_stop(nb, losses, patience)
    for loss in losses[got + 1 if got is not None else len(losses):]:
        stopper.step(loss)
    expect(stopper.best_epoch == 1,
           f"after the losses {losses} your stopper has best_epoch {stopper.best_epoch}, "
           "expected 1: a loss equal to the best is no improvement (compare with <, not <=)")
    expect(got == 3,
           f"with patience=2 and losses {losses} your stopper stopped at epoch {got}, expected "
           "at epoch 3: two epochs without a new best after the best one at epoch 1")


# ---------------------------------------------------------------------------------------------
# 3.3 Standardization

def _standardize_problem(seed=0, n_train=50, n_test=20):
    rng = np.random.default_rng(seed)
    means, scales = np.array([10.0, -300.0, 0.0, 2.0]), np.array([1.0, 100.0, 0.01, 5.0])
    x_train = (means + scales * rng.standard_normal((n_train, 4))).astype(np.float32)
    shift = scales * np.array([0.8, -0.5, 1.0, 0.3])   # the test rows come from elsewhere
    x_test = (means + shift + 1.5 * scales * rng.standard_normal((n_test, 4))).astype(np.float32)
    return x_train, x_test


def _learner_standardize(nb, x_train, x_test):
    answer = nb.standardize(x_train.copy(), x_test.copy())
    expect(isinstance(answer, tuple) and len(answer) == 2,
           f"standardize returned {type(answer).__name__}; return two arrays, "
           "(z_train, z_test)")
    z_train, z_test = (np.asarray(a) for a in answer)
    expect(z_train.shape == x_train.shape and z_test.shape == x_test.shape,
           f"standardize returned arrays of shapes {z_train.shape} and {z_test.shape} for "
           f"inputs {x_train.shape} and {x_test.shape}; keep the shapes")
    return z_train, z_test


@lesson.check("3.3", points=1)
def standardized_training_columns_have_mean_0_std_1(nb):
    x_train, x_test = _standardize_problem()
    z_train, _ = _learner_standardize(nb, x_train, x_test)
    means, stds = z_train.mean(axis=0), z_train.std(axis=0)
    expect(np.isfinite(z_train).all(), "z_train holds NaN or inf: divide by the std, "
           "computed per column")
    if not np.allclose(means, 0, atol=1e-3) and np.isclose(z_train.mean(), 0, atol=1e-3):
        expect(False, f"the column means of z_train are {_show(means)}, expected all 0: you "
               "used one mean and std for the whole array; compute them per column, "
               "x_train.mean(axis=0) and x_train.std(axis=0)")
    expect(np.allclose(means, 0, atol=1e-3),
           f"the column means of z_train are {_show(means)}, expected all 0: subtract "
           "x_train.mean(axis=0)")
    n = len(x_train)
    if np.allclose(stds, np.sqrt((n - 1) / n), atol=1e-4):
        expect(False, f"the column stds of z_train are {_show(stds, 4)}, slightly below 1: you "
               "divided by the std with ddof=1; use np.std's default ddof=0")
    expect(np.allclose(stds, 1, atol=1e-3),
           f"the column standard deviations of z_train are {_show(stds)}, expected all 1: "
           "divide by x_train.std(axis=0) (per column)")
    expect(z_train.dtype == np.float32,
           f"z_train has dtype {z_train.dtype}, expected float32 (what Chainer's layers "
           "take): return z.astype(np.float32)")


@lesson.check("3.3", points=2)
def test_rows_use_the_training_statistics(nb):
    for seed in range(3):
        x_train, x_test = _standardize_problem(seed)
        _, z_test = _learner_standardize(nb, x_train, x_test)
        x_train64, x_test64 = x_train.astype(np.float64), x_test.astype(np.float64)
        expected = (x_test64 - x_train64.mean(0)) / x_train64.std(0)
        if _close(z_test, expected, rtol=1e-3, atol=1e-3):
            continue
        own = (x_test64 - x_test64.mean(0)) / x_test64.std(0)
        both = np.vstack([x_train64, x_test64])
        pooled = (x_test64 - both.mean(0)) / both.std(0)
        expect(not _close(z_test, own, rtol=1e-3, atol=1e-3),
               "you standardized the test rows with their own mean and std: z_test must use "
               "the TRAINING mean and std (the test rows stand for future data, one patient at "
               f"a time). Column means of your z_test: {_show(z_test.mean(0))} (exactly 0 gives "
               "it away)")
        expect(not _close(z_test, pooled, rtol=1e-3, atol=1e-3),
               "you took the mean and std of training and test rows together: measure them on "
               "x_train only and apply them unchanged to x_test")
        sample_std = (x_test64 - x_train64.mean(0)) / x_train64.std(0, ddof=1)
        expect(not _close(z_test, sample_std, rtol=1e-4, atol=1e-4),
               "z_test is divided by the std with ddof=1; use np.std's default ddof=0 (as "
               "for z_train)")
        expect(False, f"z_test differs from (x_test - mean) / std with the training mean and std "
               f"(first row: got {_show(z_test[0])}, expected {_show(expected[0])})")
    expect(z_test.dtype == np.float32, f"z_test has dtype {z_test.dtype}, expected float32")


@lesson.check("3.3", points=1)
def standardize_leaves_its_inputs_alone(nb):
    x_train, x_test = _standardize_problem(5)
    train_copy, test_copy = x_train.copy(), x_test.copy()
    nb.standardize(x_train, x_test)
    expect(np.array_equal(x_train, train_copy) and np.array_equal(x_test, test_copy),
           "standardize changed the arrays it was given (in-place `x -= mean` or `x /= std`): "
           "compute new arrays, z = (x - mean) / std, so the raw data stays intact")


# ---------------------------------------------------------------------------------------------
# 3.4 Metrics

def _metric_problems():
    rng = np.random.default_rng(4)
    for n in (5, 40, 200):
        y_true = 5 + 3 * rng.standard_normal(n)
        y_pred = 0.8 * y_true + 1.5 + rng.standard_normal(n)       # biased and noisy
        yield y_true.astype(np.float32), y_pred.astype(np.float32)


def _as_number(value, call):
    expect(np.ndim(value) == 0 and not isinstance(value, (str, bytes)),
           f"{call} returned {type(value).__name__} of shape {np.shape(value)}; return one "
           "number, a float")
    value = getattr(value, "array", value)
    return float(value)


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


def _check_metric(nb, name, reference):
    function = getattr(nb, name)
    for y_true, y_pred in _metric_problems():
        got = _as_number(function(y_true, y_pred), f"{name}(y_true, y_pred)")
        expected = reference(y_true, y_pred)
        if not np.isclose(got, expected, rtol=1e-4, atol=1e-6):
            expect(False, _metric_hint(name, got, y_true, y_pred, expected))


@lesson.check("3.4", points=1)
def mse_matches_sklearn(nb):
    from sklearn.metrics import mean_squared_error
    _check_metric(nb, "mse", mean_squared_error)


@lesson.check("3.4", points=1)
def mae_matches_sklearn(nb):
    from sklearn.metrics import mean_absolute_error
    _check_metric(nb, "mae", mean_absolute_error)


@lesson.check("3.4", points=1)
def r2_matches_sklearn(nb):
    from sklearn.metrics import r2_score
    for y_true, y_pred in _metric_problems():
        got = _as_number(nb.r2_score(y_true, y_pred), "r2_score(y_true, y_pred)")
        expected = r2_score(y_true, y_pred)
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
        expect(False, story + ": R^2 = 1 - sum((y_true - y_pred)^2) / "
               "sum((y_true - y_true.mean())^2)")


@lesson.check("3.4", points=1)
def metrics_accept_columns_and_flat_arrays(nb):
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    references = {"mse": mean_squared_error, "mae": mean_absolute_error, "r2_score": r2_score}
    y_true, y_pred = list(_metric_problems())[1]
    for name, reference in references.items():
        expected = reference(y_true, y_pred)
        for shape_true, shape_pred in [((-1, 1), (-1,)), ((-1,), (-1, 1)), ((-1, 1), (-1, 1))]:
            a, b = y_true.reshape(shape_true), y_pred.reshape(shape_pred)
            call = f"{name}(y_true of shape {a.shape}, y_pred of shape {b.shape})"
            got = _as_number(getattr(nb, name)(a, b), call)
            expect(np.isclose(got, expected, rtol=1e-4, atol=1e-6),
                   f"{call} returned {got:.4g}, expected {expected:.4g}: subtracting an (N,) "
                   "array from an (N, 1) array broadcasts to an (N, N) matrix of every "
                   "difference. Flatten both first: np.ravel(y_true), np.ravel(y_pred)")


# ---------------------------------------------------------------------------------------------
# 3.5 Linear least squares in closed form

def _linear_problems():
    rng = np.random.default_rng(5)
    for n, d in [(20, 1), (50, 3), (200, 8), (30, 5)]:
        X = (rng.normal(2.0, 1.5, size=(n, d))).astype(np.float32)   # columns not centered
        w = rng.normal(0, 2, size=d)
        b = rng.uniform(3, 6)
        y = (X @ w + b + 0.3 * rng.standard_normal(n)).astype(np.float32)
        yield X, y


def _lstsq_with_intercept(X, y):
    A = np.hstack([X.astype(np.float64), np.ones((len(X), 1))])
    theta = np.linalg.lstsq(A, np.ravel(y).astype(np.float64), rcond=None)[0]
    return theta[:-1], theta[-1]


def _learner_fit(nb, X, y):
    answer = nb.fit_linear(X.copy(), y.copy())
    expect(isinstance(answer, (tuple, list)) and len(answer) == 2,
           f"fit_linear returned {type(answer).__name__}; return a pair (w, b)")
    w, b = answer
    w = np.asarray(getattr(w, "array", w), dtype=np.float64)
    d = X.shape[1]
    expect(w.size != d + 1,
           f"w has {w.size} entries for {d} features: the last entry of the solution is the "
           "intercept; return w = theta[:-1] and b = theta[-1]")
    expect(w.size == d, f"w has shape {w.shape} for X of shape {X.shape}; expected ({d},)")
    expect(np.size(b) == 1, f"b has shape {np.shape(b)}; return the intercept as one number")
    return w.ravel(), float(np.ravel(np.asarray(b, dtype=np.float64))[0])


@lesson.check("3.5", points=2)
def fit_linear_matches_numpy_lstsq(nb):
    for X, y in _linear_problems():
        w, b = _learner_fit(nb, X, y)
        w_ref, b_ref = _lstsq_with_intercept(X, y)
        if _close(w, w_ref, rtol=1e-3, atol=1e-3) and np.isclose(b, b_ref, rtol=1e-3, atol=1e-3):
            continue
        story = (f"for X of shape {X.shape} fit_linear gave w = {_show(w)}, b = {b:.4g}; "
                 f"numpy.linalg.lstsq with an intercept gives w = {_show(w_ref)}, "
                 f"b = {b_ref:.4g}")
        w_origin = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
        expect(not (_close(w, w_origin, rtol=1e-3, atol=1e-3) or abs(b) < 1e-6),
               story + ". Without a column of ones the fitted plane must pass through the "
               "origin: append np.ones((N, 1)) to X, solve, and split the last entry off as b")
        expect(False, story)


@lesson.check("3.5", points=1)
def fit_linear_accepts_column_targets(nb):
    X, y = list(_linear_problems())[1]
    w, b = _learner_fit(nb, X, y.reshape(-1, 1))
    w_ref, b_ref = _lstsq_with_intercept(X, y)
    expect(_close(w, w_ref, rtol=1e-3, atol=1e-3) and np.isclose(b, b_ref, rtol=1e-3, atol=1e-3),
           f"with y of shape {(len(y), 1)} (a column, like y_train) fit_linear gave "
           f"w = {_show(w)}, b = {b:.4g}; expected w = {_show(w_ref)}, b = {b_ref:.4g}: "
           "flatten y first, np.ravel(y)")


@lesson.check("3.5", points=1)
def fit_linear_is_exact_on_noiseless_data(nb):
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, size=(25, 4))
    w_true, b_true = np.array([1.5, -2.0, 0.5, 3.0]), -4.0
    w, b = _learner_fit(nb, X, X @ w_true + b_true)
    expect(_close(w, w_true, rtol=1e-4, atol=1e-4) and np.isclose(b, b_true, atol=1e-4),
           f"on noiseless data y = X @ {_show(w_true)} + {b_true} fit_linear gave "
           f"w = {_show(w, 5)}, b = {b:.5g}; least squares recovers them exactly (solve in "
           "float64 with np.linalg.lstsq or the normal equations)")


# ---------------------------------------------------------------------------------------------
# 3.6 The Huber loss by hand

def _huber_cases():
    rng = np.random.default_rng(7)
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
    import chainer
    yv = chainer.Variable(y.copy())
    loss = nb.huber_loss(yv, t.copy(), delta=delta)
    return yv, loss


def _huber_value_hint(got, y, t, delta, expected):
    r = np.abs(y.astype(np.float64) - t)
    inside = r <= delta
    variants = {
        "the squared part lacks its 1/2: use 0.5 * r ** 2 for |r| <= delta":
            np.mean(np.where(inside, r ** 2, delta * (r - 0.5 * delta))),
        "the linear part must be delta * (|r| - delta / 2), so that both pieces meet at "
        "|r| = delta": np.mean(np.where(inside, 0.5 * r ** 2, delta * r)),
        "a sum, not a mean: average over all elements with F.mean":
            np.sum(np.where(inside, 0.5 * r ** 2, delta * (r - 0.5 * delta))),
        "the mean of the per-row sums (F.huber_loss's default reduce sums along axis 1); "
        "average over ALL elements": np.mean(np.sum(np.where(inside, 0.5 * r ** 2,
                                                             delta * (r - 0.5 * delta)), 1)),
        "the two pieces swapped: the squared piece is for |r| <= delta":
            np.mean(np.where(~inside, 0.5 * r ** 2, delta * (r - 0.5 * delta))),
        "a plain mean squared error: the linear piece for |r| > delta is missing":
            np.mean(0.5 * r ** 2),
    }
    for what, value in variants.items():
        if np.isclose(got, value, rtol=1e-4) and not np.isclose(value, expected, rtol=1e-4):
            return f"huber_loss gave {got:.5g}, expected {expected:.5g}: {what}"
    return (f"huber_loss gave {got:.5g} for y, t of shape {y.shape} and delta={delta}, expected "
            f"{expected:.5g} (F.mean(F.huber_loss(y, t, delta, reduce='no')))")


@lesson.check("3.6", points=1)
def huber_is_a_scalar_variable(nb):
    import chainer
    y, t, delta = next(_huber_cases())
    _, loss = _learner_huber(nb, y, t, delta)
    expect(isinstance(loss, chainer.Variable),
           f"huber_loss returned {type(loss).__name__}; build it from chainer.functions "
           "(F.absolute, F.where, F.mean) so that it returns a chainer.Variable and "
           "backward() works (NumPy functions cut the graph)")
    expect(loss.shape == (),
           f"huber_loss returned a Variable of shape {loss.shape}, expected a scalar (): "
           "average over all elements with F.mean (F.huber_loss's default reduce only sums "
           "along axis 1, one value per example)")


@lesson.check("3.6", points=2)
def huber_matches_chainer(nb):
    for y, t, delta in _huber_cases():
        _, loss = _learner_huber(nb, y, t, delta)
        value = np.asarray(getattr(loss, "array", loss))
        expect(value.ndim == 0,
               f"huber_loss returned shape {value.shape}; expected a scalar: average over all "
               "elements with F.mean")
        got = float(value)
        expected, _ = _reference_huber(y, t, delta)
        if not np.isclose(got, expected, rtol=1e-4, atol=1e-6):
            expect(False, _huber_value_hint(got, y, t, delta, expected))


@lesson.check("3.6", points=1)
def huber_gradient_matches_chainer(nb):
    import chainer
    for y, t, delta in _huber_cases():
        yv, loss = _learner_huber(nb, y, t, delta)
        expect(isinstance(loss, chainer.Variable) and loss.size == 1,
               "huber_loss must return a scalar chainer.Variable to be differentiated")
        loss.backward()
        expect(yv.grad is not None,
               "after backward() the prediction y has no gradient: build the loss from y "
               "with chainer.functions only (not from y.array or NumPy)")
        _, expected = _reference_huber(y, t, delta)
        worst = int(np.abs(yv.grad - expected).argmax())
        expect(_close(yv.grad, expected, rtol=1e-4, atol=1e-6),
               f"the gradient of your huber_loss differs from F.huber_loss's (delta={delta}, "
               f"shape {y.shape}): element {worst} has {yv.grad.ravel()[worst]:.4g}, expected "
               f"{expected.ravel()[worst]:.4g} (r/N inside |r| <= delta, +-delta/N outside)")
