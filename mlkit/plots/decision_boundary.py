"""Decision boundaries: which class a model gives every point of the plane.

The picture is made from a dense grid of points: each is classified by the model, the plane is
coloured by class (an image, ``ax.images[0]``, whose array holds the class of every grid
point), the borders between classes are drawn as lines, and the labelled data go on top::

    from mlkit.plots.decision_boundary import plot_decision_boundary
    plot_decision_boundary(model, x, t)          # a chainer.Link, or any function of x

A model's output decides the class:

* scores of shape ``(N, C)`` with ``C >= 2``: the class is ``argmax`` over the C scores;
* one value per point, shape ``(N,)`` or ``(N, 1)`` (regression): class 1 where the value is
  above ``threshold`` (0.5 by default), else class 0.
"""
import numpy

from mlkit.device import to_numpy

# Colours of classes 0, 1, 2, ... (matplotlib's default cycle), for points and regions alike.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
BATCH = 16384   # grid points per forward pass: big enough to be quick, small enough for memory


def predict_classes(model, points, threshold=0.5):
    """The class of each row of ``points`` (int array of shape (N,)); see the module docstring."""
    from mlkit.training.loops import predict
    points = to_numpy(points).astype(numpy.float32)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    # in test mode without a graph, on the model's own device (a plain function gets NumPy)
    out = predict(model, points, BATCH, row_shape=())
    if out.ndim == 2 and out.shape[1] >= 2:
        return out.argmax(axis=1)
    if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
        return (out.reshape(-1) > threshold).astype(numpy.int64)
    raise ValueError(f"for {len(points)} points the model returned shape {out.shape}; "
                     "expected class scores (N, C) or one value per point (N,) or (N, 1)")


def grid(bounds, resolution):
    """The grid's points, float32 of shape (resolution * resolution, 2), row by row from the
    bottom-left corner ``(xmin, ymin)``, and its two axes."""
    xmin, xmax, ymin, ymax = bounds
    xs = numpy.linspace(xmin, xmax, resolution)
    ys = numpy.linspace(ymin, ymax, resolution)
    xx, yy = numpy.meshgrid(xs, ys)
    points = numpy.stack([xx.ravel(), yy.ravel()], axis=1).astype(numpy.float32)
    return points, xs, ys


def _bounds(x, margin):
    if x is None or len(x) == 0:
        return (-margin, 1 + margin, -margin, 1 + margin)
    low, high = x.min(axis=0), x.max(axis=0)
    return (low[0] - margin, high[0] + margin, low[1] - margin, high[1] + margin)


def plot_decision_boundary(model, x=None, t=None, ax=None, *, bounds=None, margin=0.5,
                           resolution=200, threshold=0.5, title=None, show_accuracy=True,
                           legend=True):
    """Colour the plane by the model's class and draw the points ``x`` labelled ``t`` on top.

    Args:
        model: a ``chainer.Link`` or any callable from float32 points (N, 2) to outputs
            (scores (N, C), or values (N,) / (N, 1) cut at ``threshold``).
        x: points (N, 2) to draw; they also set the plotted area unless ``bounds`` is given.
        t: their labels (N,); points the model gets wrong are circled in red.
        ax: the matplotlib Axes to draw into (a new figure when None).
        bounds: ``(xmin, xmax, ymin, ymax)``; default: the points' range plus ``margin``.
        resolution: grid points along each axis.
        title: the Axes' title; the accuracy on ``(x, t)`` is appended when ``show_accuracy``.

    Returns:
        the Axes. ``ax.images[0].get_array()`` holds the class of every grid point, rows
        from ``ymin`` up, columns from ``xmin`` to the right.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    x = None if x is None else to_numpy(x).astype(numpy.float32)
    t = None if t is None else to_numpy(t).reshape(-1)
    if x is not None and t is not None and len(x) != len(t):
        raise ValueError(f"x has {len(x)} points but t has {len(t)} labels")
    bounds = tuple(bounds) if bounds is not None else _bounds(x, margin)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4))

    points, xs, ys = grid(bounds, resolution)
    regions = predict_classes(model, points, threshold).reshape(resolution, resolution)
    n_classes = int(max(regions.max(), -1 if t is None or len(t) == 0 else t.max())) + 1
    colours = [CLASS_COLOURS[c % len(CLASS_COLOURS)] for c in range(max(n_classes, 1))]
    ax.imshow(regions, origin="lower", extent=bounds, aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colours), vmin=-0.5, vmax=len(colours) - 0.5, alpha=0.25)
    if regions.min() != regions.max():   # a border exists: draw it where the class changes
        ax.contour(xs, ys, regions, levels=numpy.arange(n_classes - 1) + 0.5,
                   colors="k", linewidths=1)

    accuracy = None
    if x is not None:
        if t is None:
            ax.scatter(x[:, 0], x[:, 1], c="k", s=18)
        else:
            for c in numpy.unique(t):
                mine = t == c
                ax.scatter(x[mine, 0], x[mine, 1], s=36, edgecolors="k", linewidths=0.6,
                           c=CLASS_COLOURS[int(c) % len(CLASS_COLOURS)],
                           marker=MARKERS[int(c) % len(MARKERS)], label=f"class {c}")
            predicted = predict_classes(model, x, threshold)
            wrong = predicted != t
            accuracy = float((~wrong).mean()) if len(t) else float("nan")
            if wrong.any():
                ax.scatter(x[wrong, 0], x[wrong, 1], s=140, facecolors="none",
                           edgecolors="red", linewidths=1.5, label="wrong")
            if legend:
                ax.legend(loc="best", fontsize="small", framealpha=0.8)
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    parts = [title] if title else []
    if show_accuracy and accuracy is not None:
        parts.append(f"accuracy {100 * accuracy:.0f} %")
    if parts:
        ax.set_title(", ".join(parts))
    return ax


__all__ = ["plot_decision_boundary", "predict_classes", "grid"]
