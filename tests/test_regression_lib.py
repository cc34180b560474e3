"""The regression pieces of mlkit: data samplers and splits, the diabetes loader, MLPRegressor,
and the regression plots."""
import matplotlib
import numpy as np
import pytest

import mlkit  # noqa: F401  (before chainer)
import chainer
import chainer.functions as F
import chainer.links as L

from mlkit.data.regression import (Standardizer, line_with_outliers, load_diabetes,
                                   sample_curve, train_val_split, true_curve)
from mlkit.models.regression import MLPRegressor
from mlkit.plots import regression as plots

matplotlib.use("Agg")


# --- data ------------------------------------------------------------------------------------

def test_sample_curve_shapes_seed_and_noise_level():
    x, y = sample_curve(2000, noise=0.3, seed=4)
    assert x.shape == y.shape == (2000, 1) and x.dtype == y.dtype == np.float32
    assert x.min() >= -3 and x.max() < 3
    residual = y - true_curve(x)
    assert abs(residual.std() - 0.3) < 0.02 and abs(residual.mean()) < 0.03
    again, other = sample_curve(2000, noise=0.3, seed=4), sample_curve(2000, noise=0.3, seed=5)
    assert np.array_equal(again[1], y) and not np.array_equal(other[1], y)


def test_line_with_outliers_pushes_exactly_the_marked_points_up():
    x, y, outlier = line_with_outliers(50, slope=2.0, intercept=1.0, noise=0.1,
                                       outlier_fraction=0.2, outlier_shift=8.0, seed=1)
    assert x.shape == y.shape == (50, 1) and y.dtype == np.float32
    assert outlier.dtype == bool and outlier.sum() == 10
    offset = (y - (2 * x + 1)).ravel()
    assert np.all(np.abs(offset[~outlier]) < 0.5)
    assert np.all((offset[outlier] > 7) & (offset[outlier] < 9.5))


def test_train_val_split_is_a_partition_that_keeps_rows_together():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20)
    (x_train, y_train), (x_val, y_val) = train_val_split(x, y, val_fraction=0.25, seed=3)
    assert len(x_val) == 5 and len(x_train) == 15
    assert sorted(np.concatenate([y_train, y_val]).tolist()) == list(range(20))
    assert np.array_equal(x_train[:, 0], 2 * y_train) and np.array_equal(x_val[:, 0], 2 * y_val)
    (_, y_again), _ = train_val_split(x, y, val_fraction=0.25, seed=3)
    (_, y_other), _ = train_val_split(x, y, val_fraction=0.25, seed=4)
    assert np.array_equal(y_again, y_train) and not np.array_equal(y_other, y_train)


@pytest.mark.parametrize("arrays, fraction", [((np.zeros(5), np.zeros(4)), 0.2),
                                              ((np.zeros(5),), 0.0), ((np.zeros(5),), 1.0),
                                              ((np.zeros(1),), 0.5)])
def test_train_val_split_rejects_what_it_cannot_split(arrays, fraction):
    with pytest.raises(ValueError):
        train_val_split(*arrays, val_fraction=fraction)


def test_standardizer_uses_training_statistics_everywhere():
    rng = np.random.default_rng(0)
    train = rng.normal([5, -100, 0], [2, 50, 1], size=(200, 3))
    test = rng.normal([6, -50, 1], [2, 50, 1], size=(30, 3))
    scaler = Standardizer().fit(train)
    z = scaler.transform(train)
    assert z.dtype == np.float32
    assert np.allclose(z.mean(0), 0, atol=1e-5) and np.allclose(z.std(0), 1, atol=1e-5)
    expected = (test - train.mean(0)) / train.std(0)
    assert np.allclose(scaler.transform(test), expected, atol=1e-5)
    assert np.allclose(scaler.inverse_transform(scaler.transform(test)), test, rtol=1e-5,
                       atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standardizer_gives_the_numbers_of_the_hand_written_formula(dtype):
    """Standardizer is scikit-learn's StandardScaler now; the numbers are those of the formula
    mlkit computed itself before, bit for bit."""
    rng = np.random.default_rng(3)
    x = rng.normal(rng.normal(0, 100, 7), rng.uniform(0.01, 50, 7), (123, 7)).astype(dtype)
    fresh = rng.normal(0, 100, (40, 7)).astype(dtype)
    x64 = x.astype(np.float64)
    mean, std = x64.mean(axis=0), x64.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaler = Standardizer().fit(x)
    assert np.array_equal(scaler.mean_, mean) and np.array_equal(scaler.scale_, std)
    np.testing.assert_array_equal(scaler.transform(fresh),
                                  ((fresh - mean) / std).astype(np.float32))
    np.testing.assert_array_equal(scaler.inverse_transform(fresh),
                                  (fresh * std + mean).astype(np.float32))


def test_standardizer_survives_a_constant_column_and_refuses_before_fit():
    x = np.array([[1.0, 3.0], [2.0, 3.0], [3.0, 3.0]])
    z = Standardizer().fit_transform(x)
    assert np.all(np.isfinite(z)) and np.all(z[:, 1] == 0)
    with pytest.raises(RuntimeError):
        Standardizer().transform(x)


def test_load_diabetes_standardizes_with_training_rows_only():
    raw = load_diabetes(test_fraction=0.2, seed=0, standardize=False)
    table = load_diabetes(test_fraction=0.2, seed=0)
    assert raw.x_train.shape == (354, 10) and raw.x_test.shape == (88, 10)
    assert raw.y_train.shape == (354, 1) and raw.y_test.shape == (88, 1)
    for array in (table.x_train, table.x_test, table.y_train, table.y_test):
        assert array.dtype == np.float32
    assert len(table.feature_names) == 10 and raw.scaler is None
    assert 25 <= raw.y_train.min() and raw.y_train.max() <= 346        # raw target units
    assert raw.x_train[:, 1].min() == 1 and raw.x_train[:, 1].max() == 2   # sex, unscaled
    assert np.allclose(table.x_train.mean(0), 0, atol=1e-4)
    assert np.allclose(table.x_train.std(0), 1, atol=1e-4)
    train64 = raw.x_train.astype(np.float64)
    expected = (raw.x_test - train64.mean(0)) / train64.std(0)
    assert np.allclose(table.x_test, expected, atol=1e-4)
    assert not np.allclose(table.x_test.mean(0), 0, atol=1e-3)   # other patients
    other = load_diabetes(test_fraction=0.2, seed=1)
    assert not np.array_equal(other.y_test, table.y_test)


# --- model -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n_in, n_layers, n_out", [(1, 2, 1), (10, 1, 1), (3, 0, 1), (4, 3, 2)])
def test_mlp_regressor_shapes_and_layer_count(n_in, n_layers, n_out):
    model = MLPRegressor(n_hidden=7, n_layers=n_layers, n_out=n_out)
    y = model(np.ones((5, n_in), dtype=np.float32))
    assert y.shape == (5, n_out) and y.dtype == np.float32
    linears = [link for link in model.links(skipself=True) if isinstance(link, L.Linear)]
    assert len(linears) == n_layers + 1
    assert sorted(link.W.shape[0] for link in linears) == sorted([7] * n_layers + [n_out])


def test_mlp_regressor_without_hidden_layers_is_a_line_and_with_them_bends():
    grid = np.linspace(-3, 3, 50, dtype=np.float32)[:, None]
    mlkit.seed(0)
    line = MLPRegressor(8, n_layers=0)(grid).array.ravel()
    assert np.abs(np.diff(line, 2)).max() < 1e-5
    mlkit.seed(0)
    curve = MLPRegressor(8, n_layers=2)(grid).array.ravel()
    assert np.abs(np.diff(curve, 2)).max() > 1e-4
    outputs = np.concatenate([MLPRegressor(8, 2)(grid).array.ravel() for _ in range(3)])
    assert outputs.min() < 0 < outputs.max()   # no activation squashes the output


def test_mlp_regressor_rejects_impossible_sizes():
    with pytest.raises(ValueError):
        MLPRegressor(0)
    with pytest.raises(ValueError):
        MLPRegressor(4, n_layers=-1)


def test_mlp_regressor_fits_a_curve():
    x, y = sample_curve(60, noise=0.0, seed=0)
    mlkit.seed(0)
    model = MLPRegressor(16, 2)
    optimizer = chainer.optimizers.Adam(alpha=0.02)
    optimizer.setup(model)
    losses = []
    for _ in range(400):
        loss = F.mean_squared_error(model(x), y)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.array))
    # y varies with variance ~0.8 and a straight line leaves about half of it
    assert losses[-1] < 0.1 and losses[-1] < 0.2 * losses[0]


# --- plots -----------------------------------------------------------------------------------

def test_loss_curves_match_chainer_and_their_derivatives():
    r = np.linspace(-3, 3, 61)
    curves = plots.loss_curves(r, delta=1.2)
    huber = F.huber_loss(r[:, None].astype(np.float32), np.zeros((61, 1), np.float32), 1.2,
                         reduce="no").array.ravel()
    assert np.allclose(curves["Huber"][0], huber, atol=1e-5)
    assert np.allclose(curves["MSE"][0], r ** 2) and np.allclose(curves["MAE"][0], np.abs(r))
    h = 1e-4
    for name, (_, slope) in curves.items():
        away = (np.abs(np.abs(r) - 1.2) > 0.01) & (np.abs(r) > 0.01)   # skip the kinks
        upper = plots.loss_curves(r + h, delta=1.2)[name][0]
        lower = plots.loss_curves(r - h, delta=1.2)[name][0]
        assert np.allclose(((upper - lower) / (2 * h))[away], slope[away], atol=1e-3), name


def test_predict_on_runs_links_without_a_graph_and_plain_functions():
    model = L.Linear(1, 1)
    x = np.array([[1.0], [2.0]])
    out = plots.predict_on(model, x)
    assert isinstance(out, np.ndarray) and out.shape == (2, 1)
    assert np.allclose(out, x * model.W.array[0, 0] + model.b.array[0], atol=1e-6)
    assert np.allclose(plots.predict_on(lambda v: 3 * v, x), 3 * x)


def test_plot_fit_draws_points_truth_and_one_curve_per_model():
    x, y = sample_curve(20, seed=0)
    figure = plots.plot_fit(x, y, {"a": L.Linear(1, 1), "b": lambda v: v ** 2},
                            x_val=x[:5], y_val=y[:5], truth=true_curve, title="t")
    ax = figure.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["true function", "a", "b"]
    assert len(ax.collections) == 2 and ax.get_title() == "t"
    matplotlib.pyplot.close(figure)


def test_plot_fit_marks_outliers():
    x, y, outlier = line_with_outliers(30, seed=0)
    figure = plots.plot_fit(x, y, outliers=outlier, legend_loc="lower right")
    sizes = [len(c.get_offsets()) for c in figure.axes[0].collections]
    assert sizes == [int((~outlier).sum()), int(outlier.sum())]
    matplotlib.pyplot.close(figure)


def test_side_by_side_titles_report_the_errors_of_each_model():
    x, y = sample_curve(30, seed=0)
    (xt, yt), (xv, yv) = train_val_split(x, y, seed=0)
    zero = lambda v: np.zeros_like(v)  # noqa: E731
    figure = plots.plot_fits_side_by_side({"zero": zero, "truth": true_curve}, xt, yt, xv, yv)
    assert len(figure.axes) == 2
    expected = f"train MSE {np.mean(yt ** 2):.3f}, val MSE {np.mean(yv ** 2):.3f}"
    assert figure.axes[0].get_title() == "zero\n" + expected
    assert figure.axes[1].get_title().startswith("truth\ntrain MSE")
    matplotlib.pyplot.close(figure)


def test_predicted_vs_true_reports_mae_and_r2():
    from sklearn.metrics import r2_score
    rng = np.random.default_rng(0)
    y = rng.normal(10, 3, size=(40, 1))
    prediction = y.ravel() + rng.normal(0, 1, size=40)
    figure = plots.plot_predicted_vs_true(y, {"m": prediction})
    label = figure.axes[0].get_legend().get_texts()[0].get_text()
    mae = np.mean(np.abs(y.ravel() - prediction))
    assert label == f"m: MAE {mae:.3g}, $R^2$ {r2_score(y.ravel(), prediction):.2f}"
    matplotlib.pyplot.close(figure)


def test_plot_loss_functions_has_loss_and_gradient_panels():
    figure = plots.plot_loss_functions(delta=0.5)
    assert len(figure.axes) == 2
    for ax in figure.axes:
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels[:3] == ["MSE", "MAE", "Huber ($\\delta$=0.5)"]
    matplotlib.pyplot.close(figure)
