"""Lesson 1's helpers: the logic-gate data, decision-boundary pictures and training curves."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mlkit  # noqa: E402,F401  (before chainer)
import chainer  # noqa: E402
import chainer.links as L  # noqa: E402

from mlkit.data.logic import CORNERS, GATES, noisy_samples, truth_table  # noqa: E402
from mlkit.plots.curves import plot_curves  # noqa: E402
from mlkit.plots.decision_boundary import plot_decision_boundary, predict_classes  # noqa: E402

LOGIC = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
         "nand": lambda a, b: 1 - (a & b), "nor": lambda a, b: 1 - (a | b),
         "xnor": lambda a, b: 1 - (a ^ b)}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# data

@pytest.mark.parametrize("gate", sorted(LOGIC))
def test_truth_table_is_the_gate_in_chainer_dtypes(gate):
    x, t = truth_table(gate)
    assert x.dtype == np.float32 and x.shape == (4, 2)
    assert t.dtype == np.int32 and t.shape == (4,)
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert t.tolist() == [LOGIC[gate](a, b) for a, b in CORNERS]


def test_every_gate_is_known_and_names_are_forgiving():
    assert set(GATES) == set(LOGIC)
    assert truth_table(" XOR ")[1].tolist() == [0, 1, 1, 0]
    with pytest.raises(ValueError, match="xor"):
        truth_table("xnand")


def test_noisy_samples_are_balanced_seeded_and_labelled_by_their_corner():
    x, t = noisy_samples("xor", 2002, noise=0.1, seed=5)
    assert x.dtype == np.float32 and x.shape == (2002, 2)
    assert t.dtype == np.int32 and t.shape == (2002,)
    corner = ((x[:, None, :] - np.array(CORNERS)[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert sorted(np.bincount(corner).tolist()) == [500, 500, 501, 501]
    assert np.array_equal(t, np.array(GATES["xor"])[corner])
    residual = x - np.array(CORNERS, np.float32)[corner]
    assert abs(residual.std() - 0.1) < 0.01 and abs(residual.mean()) < 0.01
    again, _ = noisy_samples("xor", 2002, noise=0.1, seed=5)
    other, _ = noisy_samples("xor", 2002, noise=0.1, seed=6)
    assert np.array_equal(x, again) and not np.array_equal(x, other)


def test_noiseless_samples_are_the_corners():
    x, t = noisy_samples("and", 8, noise=0.0)
    assert sorted(map(tuple, x.tolist())) == sorted(CORNERS * 2)
    assert t.sum() == 2
    assert noisy_samples("or", 0)[0].shape == (0, 2)
    with pytest.raises(ValueError):
        noisy_samples("or", -1)


# ---------------------------------------------------------------------------------------------
# decision boundaries

BOUNDS = (-0.5, 1.5, -0.5, 1.5)


def vertical_border_link():
    """A Chainer linear model whose class is 1 exactly where x0 > 0.5."""
    return L.Linear(2, 2, initialW=np.array([[-1, 0], [1, 0]], np.float32),
                    initial_bias=np.array([0.5, -0.5], np.float32))


def test_boundary_image_of_a_known_linear_model():
    x, t = truth_table("and")
    ax = plot_decision_boundary(vertical_border_link(), x, t, bounds=BOUNDS, resolution=41)
    assert isinstance(ax, matplotlib.axes.Axes)
    regions = np.asarray(ax.images[0].get_array())
    assert regions.shape == (41, 41)
    xs = np.linspace(BOUNDS[0], BOUNDS[1], 41)
    expected_row = (xs > 0.5).astype(int)
    assert (regions == expected_row[None, :]).all(), "class 1 exactly right of x0 = 0.5"
    assert tuple(ax.images[0].get_extent()) == BOUNDS and ax.images[0].origin == "lower"
    # AND's corners: (1, 0) is right of the border but labelled 0 -> 75 %, one circled point
    assert ax.get_title() == "accuracy 75 %"
    wrong = [c for c in ax.collections if c.get_label() == "wrong"]
    assert len(wrong) == 1 and wrong[0].get_offsets().tolist() == [[1.0, 0.0]]


def test_boundary_of_a_plain_function_and_a_regression_output():
    # scores from NumPy: class 1 where x0 + x1 > 1.5 (a perfect AND classifier)
    def and_scores(points):
        s = points.sum(axis=1) - 1.5
        return np.stack([-s, s], axis=1)

    x, t = truth_table("and")
    ax = plot_decision_boundary(and_scores, x, t, title="AND")
    assert ax.get_title() == "AND, accuracy 100 %"
    assert not [c for c in ax.collections if c.get_label() == "wrong"]

    # one output per point, cut at the threshold: class 1 where x1 > 0.5 (rows, not columns)
    _, axes = plt.subplots(1, 2)
    out = plot_decision_boundary(lambda p: p[:, 1:2], x, truth_table("or")[1], ax=axes[1],
                                 bounds=BOUNDS, resolution=21, threshold=0.5)
    assert out is axes[1] and not axes[0].images
    regions = np.asarray(out.images[0].get_array())
    ys = np.linspace(BOUNDS[2], BOUNDS[3], 21)
    assert (regions == (ys > 0.5).astype(int)[:, None]).all()


def test_predict_classes_reads_scores_values_and_rejects_other_shapes():
    points = np.array([[0, 0], [1, 0], [0, 1]], np.float32)
    assert predict_classes(vertical_border_link(), points).tolist() == [0, 1, 0]
    assert predict_classes(lambda p: p[:, 0], points, threshold=0.5).tolist() == [0, 1, 0]
    three = predict_classes(lambda p: np.stack([p[:, 0], p[:, 1], np.full(len(p), 0.5)], 1),
                            points)
    assert three.tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="shape"):
        predict_classes(lambda p: np.zeros((len(p), 2, 2)), points)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        predict_classes(vertical_border_link(), np.zeros((3, 3), np.float32))


def test_boundary_runs_chainer_models_in_test_mode_without_a_graph():
    seen = []

    class Spy(chainer.Chain):
        def forward(self, x):
            seen.append((chainer.config.train, chainer.config.enable_backprop))
            return chainer.Variable(np.zeros((len(x), 2), np.float32))

    plot_decision_boundary(Spy(), *truth_table("xor"))
    assert seen and set(seen) == {(False, False)}


def test_boundary_rejects_points_and_labels_of_different_lengths():
    x, t = truth_table("xor")
    with pytest.raises(ValueError, match="4 points"):
        plot_decision_boundary(vertical_border_link(), x, t[:3])


# ---------------------------------------------------------------------------------------------
# curves

def lines_of(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
            for line in ax.get_lines()}


def test_a_list_of_losses_is_one_curve_over_steps():
    figure = plot_curves([0.9, 0.5, 0.25])
    assert isinstance(figure, matplotlib.figure.Figure)
    (ax,) = figure.axes
    assert lines_of(ax) == {"loss": ([1, 2, 3], [0.9, 0.5, 0.25])}
    assert ax.get_ylabel() == "loss" and ax.get_xlabel() == "step"
    assert ax.get_yscale() == "linear"


def test_loss_and_accuracy_get_a_panel_each():
    figure = plot_curves({"loss": [1.0, 0.5], "accuracy": [0.5, 1.0]}, title="run")
    loss_ax, accuracy_ax = figure.axes
    assert lines_of(loss_ax) == {"loss": ([1, 2], [1.0, 0.5])}
    assert lines_of(accuracy_ax) == {"accuracy": ([1, 2], [0.5, 1.0])}
    assert accuracy_ax.get_ylabel() == "accuracy"
    assert accuracy_ax.get_ylim() == pytest.approx((-0.02, 1.02))
    assert figure._suptitle.get_text() == "run"


def test_a_chainer_log_report_plots_against_epochs_with_gaps():
    log = [{"epoch": 1, "iteration": 10, "main/loss": 0.8, "main/accuracy": 0.7,
            "elapsed_time": 1.2},
           {"epoch": 2, "iteration": 20, "main/loss": 0.4, "main/accuracy": 0.9,
            "validation/main/loss": 0.5, "elapsed_time": 2.3}]
    values_ax, accuracy_ax = plot_curves(log).axes
    curves = lines_of(values_ax)
    assert set(curves) == {"main/loss", "validation/main/loss"}
    assert curves["main/loss"] == ([1, 2], [0.8, 0.4])
    assert math.isnan(curves["validation/main/loss"][1][0])
    assert values_ax.get_xlabel() == "epoch"
    assert set(lines_of(accuracy_ax)) == {"main/accuracy"}
    assert [t.get_text() for t in values_ax.get_legend().get_texts()] == [
        "main/loss", "validation/main/loss"]


def test_several_runs_share_one_panel_and_given_axes():
    _, ax = plt.subplots()
    runs = {"SGD": [1.0, 0.8, 0.7], "Adam": [1.0, 0.3, 0.1]}
    figure = plot_curves(runs, ax=ax, x="iteration")
    assert figure is ax.figure and len(figure.axes) == 1
    assert set(lines_of(ax)) == {"SGD", "Adam"} and ax.get_xlabel() == "iteration"
    with pytest.raises(ValueError, match="2 kind"):
        plot_curves({"loss": [1.0], "accuracy": [0.5]}, ax=ax)


def test_log_scale_only_for_losses_spanning_a_wide_range():
    wide = plot_curves([10.0, 1.0, 0.01]).axes[0]
    narrow = plot_curves([1.0, 0.5, 0.4]).axes[0]
    assert wide.get_yscale() == "log" and narrow.get_yscale() == "linear"
    assert plot_curves([10.0, 0.01], logy=False).axes[0].get_yscale() == "linear"


def test_keys_select_series_and_smoothing_keeps_the_raw_curve():
    history = {"loss": list(np.linspace(1, 0, 20)), "accuracy": [0.5] * 20, "lr": [0.1] * 20}
    (ax,) = plot_curves(history, keys=["loss"], smooth=5).axes
    raw, smoothed = ax.get_lines()
    assert len(raw.get_xdata()) == 20 and len(smoothed.get_xdata()) == 16
    assert smoothed.get_ydata()[0] == pytest.approx(np.mean(history["loss"][:5]))
    with pytest.raises(KeyError, match="val"):
        plot_curves(history, keys=["val"])


def test_variables_count_as_numbers_and_empty_histories_are_refused():
    losses = [chainer.Variable(np.array(v, np.float32)) for v in (0.6, 0.3)]
    (ax,) = plot_curves(losses).axes
    assert lines_of(ax)["loss"][1] == pytest.approx([0.6, 0.3])
    for empty in ([], {}):
        with pytest.raises(ValueError, match="empty"):
            plot_curves(empty)
