"""Small regression data: a noisy 1-D curve, a line with outliers, and the diabetes table.

Every array comes back as float32 of shape ``(N, D)`` (inputs) and ``(N, 1)`` (targets), the
shapes Chainer's ``L.Linear`` and ``F.mean_squared_error`` expect. Every sampler takes a
``seed``: the same seed gives the same numbers.

    from mlkit.data.regression import sample_curve, train_val_split, load_diabetes
    x, y = sample_curve(40, noise=0.3, seed=0)
    (x_train, y_train), (x_val, y_val) = train_val_split(x, y, val_fraction=0.25, seed=0)
    table = load_diabetes()            # features standardized with training statistics only
"""
import dataclasses

import numpy
from sklearn.preprocessing import StandardScaler

from mlkit.device import to_numpy

CURVE_RANGE = (-3.0, 3.0)


def true_curve(x):
    """The noiseless function behind :func:`sample_curve`: ``sin(2x) + 0.3 x``.

    Two bumps and a trend on [-3, 3]: too curved for a line, simple for a small network.
    """
    return numpy.sin(2.0 * x) + 0.3 * x


def sample_curve(n, noise=0.3, seed=0, low=CURVE_RANGE[0], high=CURVE_RANGE[1],
                 function=true_curve):
    """``n`` points ``(x, function(x) + noise * eps)`` with x uniform in [low, high), eps ~ N(0, 1).

    Returns ``x`` and ``y``, each float32 of shape (n, 1), in random (not sorted) order.
    """
    random = numpy.random.default_rng(seed)
    x = random.uniform(low, high, size=(n, 1))
    y = function(x) + noise * random.standard_normal((n, 1))
    return x.astype(numpy.float32), y.astype(numpy.float32)


def line_with_outliers(n, slope=2.0, intercept=1.0, noise=0.3, outlier_fraction=0.1,
                       outlier_shift=8.0, seed=0):
    """Points near the line ``y = slope * x + intercept``, a fraction of them pushed far up.

    The outliers (``round(outlier_fraction * n)`` of them) sit ``outlier_shift`` plus or minus
    10 % above the line: the kind of gross error (a typo, a broken sensor) that drags a
    squared-error fit away from the other points.

    Returns ``x`` (n, 1), ``y`` (n, 1) float32 and a boolean mask (n,) of the outliers.
    """
    random = numpy.random.default_rng(seed)
    x = random.uniform(-2.0, 2.0, size=(n, 1))
    y = slope * x + intercept + noise * random.standard_normal((n, 1))
    outlier = numpy.zeros(n, dtype=bool)
    outlier[random.choice(n, size=int(round(outlier_fraction * n)), replace=False)] = True
    y[outlier] += outlier_shift * random.uniform(0.9, 1.1, size=(outlier.sum(), 1))
    return x.astype(numpy.float32), y.astype(numpy.float32), outlier


def train_val_split(*arrays, val_fraction=0.25, seed=0):
    """Shuffle the rows of ``arrays`` (all of the same length) the same way and cut them in two.

    Returns ``(train, val)``, each a tuple with one array per input, for example
    ``(x_train, y_train), (x_val, y_val) = train_val_split(x, y)``.
    The validation part has ``round(val_fraction * N)`` rows, at least one and at most N - 1.
    """
    if not arrays:
        raise ValueError("give at least one array to split")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"arrays differ in length: {[len(a) for a in arrays]}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
    if n < 2:
        raise ValueError(f"need at least 2 rows to split, got {n}")
    n_val = min(max(int(round(val_fraction * n)), 1), n - 1)
    order = numpy.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return tuple(a[train] for a in arrays), tuple(a[val] for a in arrays)


class Standardizer(StandardScaler):
    """Per column: ``z = (x - mean) / std``, with mean and std measured once, on training data:
    scikit-learn's ``StandardScaler`` (``mean_``, ``scale_``), in the course's types.

    Fit it on the training split only and apply the same numbers to validation and test data:
    statistics taken from the test data would leak it into the model, and would describe a
    different scale than the one the model was trained on.

    What it adds: inputs on any device (a GPU array is copied to the host), statistics and the
    arithmetic in float64 whatever the input, results as float32 (what Chainer's layers take),
    and a ``RuntimeError`` when it is used before ``fit``. A column with zero spread gets std 1
    (it becomes all zeros rather than NaN).
    """

    def fit(self, x, y=None):
        return super().fit(to_numpy(x).astype(numpy.float64))

    def _fitted(self):
        if not hasattr(self, "scale_"):
            raise RuntimeError("call fit(x_train) before transform / inverse_transform")

    def transform(self, x, copy=None):
        self._fitted()
        return super().transform(to_numpy(x).astype(numpy.float64)).astype(numpy.float32)

    def inverse_transform(self, z, copy=None):
        self._fitted()
        return super().inverse_transform(to_numpy(z).astype(numpy.float64)).astype(numpy.float32)


@dataclasses.dataclass
class TabularSplit:
    """A regression table cut into training and test rows (float32; targets (N, 1))."""
    x_train: numpy.ndarray
    y_train: numpy.ndarray
    x_test: numpy.ndarray
    y_test: numpy.ndarray
    feature_names: list
    scaler: Standardizer = None   # fitted on x_train when the features were standardized


def load_diabetes(test_fraction=0.2, seed=0, standardize=True):
    """The diabetes table that ships with scikit-learn (no network needed).

    442 patients, 10 baseline measurements (age, sex, body-mass index, blood pressure, six
    blood serum values), target: a measure of disease progression one year later (25 to 346).
    Source: Efron, Hastie, Johnstone and Tibshirani, "Least Angle Regression" (2004).

    The raw, unscaled values are loaded (scikit-learn's default pre-scales them using all rows,
    test rows included). With ``standardize=True`` the features are standardized with the mean
    and std of the training rows only (the fitted :class:`Standardizer` is ``split.scaler``);
    the target stays in its own units.
    """
    from sklearn.datasets import load_diabetes as sklearn_diabetes
    data = sklearn_diabetes(scaled=False)
    x = data.data.astype(numpy.float32)
    y = data.target.astype(numpy.float32).reshape(-1, 1)
    (x_train, y_train), (x_test, y_test) = train_val_split(x, y, val_fraction=test_fraction,
                                                           seed=seed)
    scaler = None
    if standardize:
        scaler = Standardizer().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    return TabularSplit(x_train, y_train, x_test, y_test, list(data.feature_names), scaler)
