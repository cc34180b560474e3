"""plot_confusion_matrix: the colour bar is labelled in counts and ends at the largest count."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from mlkit.plots import plot_confusion_matrix  # noqa: E402


def test_colour_bar_spans_exactly_zero_to_the_largest_count():
    matrix = np.array([[87, 3, 0], [5, 61, 2], [0, 9, 93]])
    figure = plot_confusion_matrix(matrix)
    colourbar_axes = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"][0]
    low, high = sorted(colourbar_axes.get_ylim())
    image = figure.axes[0].images[0]
    assert image.norm.vmin == 0 and image.norm.vmax == 93
    ticks = [float(t.get_text()) for t in colourbar_axes.get_yticklabels() if t.get_text()]
    assert ticks and max(ticks) <= 93 and min(ticks) >= 0
    assert np.allclose(image.get_array(), matrix)      # colours from counts, not their roots
    assert abs(high - 93) < 1e-6 and abs(low) < 1e-6   # no band beyond the data


def test_normalized_and_empty_matrices_still_draw():
    figure = plot_confusion_matrix(np.array([[4, 1], [0, 5]]), normalize=True)
    assert figure.axes[0].images[0].norm.vmax == 1.0
    plot_confusion_matrix(np.zeros((3, 3), dtype=int))
