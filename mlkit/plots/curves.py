"""Training curves: loss and accuracy against the step or the epoch.

``plot_curves`` reads the histories the course keeps, in any of these shapes::

    [0.69, 0.52, 0.31]                                   one series, called "loss"
    {"loss": [...], "accuracy": [...]}                   named series over steps 1, 2, ...
    {"SGD": [...], "Adam": [...]}                        several runs of one quantity
    [{"epoch": 1, "main/loss": 0.3, ...}, ...]           Chainer's LogReport log (x = epoch)

Series whose name contains ``acc`` go to an accuracy panel on the right (0 to 1 when they fit);
every other series shares the first panel. A record that lacks a key leaves a gap.
"""
import math
import numbers

import numpy

from mlkit.device import to_numpy

X_KEYS = ("epoch", "iteration")      # in a LogReport log, the first one present is the x axis
SKIPPED = ("elapsed_time",)          # LogReport columns that are no curve


def _is_number(value):
    return isinstance(value, (numbers.Real, numpy.number)) and not isinstance(value, bool)


def _as_float(value):
    """A number, a 0-d array or a chainer.Variable as a float (NaN for a missing value)."""
    if value is None:
        return math.nan
    return float(to_numpy(value))   # a chainer.Variable or a GPU array too


def series_of(history, x=None):
    """``(x_label, {name: (xs, ys)})``: the curves to draw from ``history`` (see module doc)."""
    if isinstance(history, dict):
        if not history:
            raise ValueError("the history is empty: nothing to plot")
        curves = {}
        for name, values in history.items():
            ys = numpy.array([_as_float(v) for v in values], dtype=float)
            curves[str(name)] = (numpy.arange(1, len(ys) + 1), ys)
        return (x or "step"), curves
    history = list(history)
    if not history:
        raise ValueError("the history is empty: nothing to plot")
    if not any(isinstance(record, dict) for record in history):
        ys = numpy.array([_as_float(v) for v in history], dtype=float)
        return (x or "step"), {"loss": (numpy.arange(1, len(ys) + 1), ys)}
    if not all(isinstance(record, dict) for record in history):
        raise TypeError("a history is a list of numbers, a dict of lists, or a list of dicts "
                        f"(Chainer's LogReport log); got a list holding {type(history[0]).__name__}")
    keys = []
    for record in history:
        keys += [k for k in record if k not in keys]
    x_key = x or next((k for k in X_KEYS if k in keys), None)
    xs = (numpy.array([_as_float(r.get(x_key)) for r in history]) if x_key
          else numpy.arange(1, len(history) + 1))
    curves = {}
    for key in keys:
        if key == x_key or key in X_KEYS or key in SKIPPED:
            continue
        if not any(_is_number(r.get(key)) or hasattr(r.get(key), "array") for r in history):
            continue   # a text column, say
        ys = numpy.array([_as_float(r.get(key)) for r in history], dtype=float)
        curves[key] = (xs, ys)
    if not curves:
        raise ValueError(f"no numeric column to plot among {keys}")
    return (x_key or "step"), curves


def _is_accuracy(name):
    return "acc" in name.lower()


def plot_curves(history, keys=None, *, x=None, ax=None, title=None, ylabel=None, logy=None,
                smooth=1):
    """Draw the curves of ``history``; return the matplotlib Figure.

    Args:
        history: see the module docstring.
        keys: the series to draw (default: all), in this order.
        x: the key of the x axis in a list of dicts (default: ``epoch``, else ``iteration``,
            else the record's position), or just the x label for the other shapes.
        ax: an Axes to draw into, or a sequence of two (values, accuracy) when both kinds are
            drawn; default: a new figure with one panel per kind.
        title: the figure's title.
        ylabel: the first panel's y label (default: ``loss`` when every name says loss).
        logy: log scale for the first panel; default: when its values are positive and span
            more than a factor of 50.
        smooth: a moving average over this many points (the raw curve stays, faint), for the
            noisy losses of minibatch training.
    """
    import matplotlib.pyplot as plt

    x_label, curves = series_of(history, x)
    if keys is not None:
        missing = [k for k in keys if k not in curves]
        if missing:
            raise KeyError(f"no series {missing} in the history; it has {sorted(curves)}")
        curves = {k: curves[k] for k in keys}
    panels = {"values": [k for k in curves if not _is_accuracy(k)],
              "accuracy": [k for k in curves if _is_accuracy(k)]}
    panels = {kind: names for kind, names in panels.items() if names}

    if ax is None:
        figure, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4),
                                    squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, numpy.ndarray)) else [ax]
        if len(axes) != len(panels):
            raise ValueError(f"the history has {len(panels)} kind(s) of curve "
                             f"({', '.join(panels)}): pass that many Axes, got {len(axes)}")
        figure = axes[0].figure

    for axis, (kind, names) in zip(axes, panels.items()):
        for name in names:
            xs, ys = curves[name]
            if smooth > 1 and len(ys) >= smooth:
                window = numpy.ones(smooth) / smooth
                line, = axis.plot(xs, ys, alpha=0.25)
                axis.plot(xs[smooth - 1:], numpy.convolve(ys, window, mode="valid"),
                          color=line.get_color(), label=name)
            else:
                axis.plot(xs, ys, label=name, marker="." if len(ys) <= 30 else None)
        finite = numpy.concatenate([curves[n][1][numpy.isfinite(curves[n][1])] for n in names])
        if kind == "accuracy":
            axis.set_ylabel("accuracy")
            if finite.size and finite.min() >= 0 and finite.max() <= 1:
                axis.set_ylim(-0.02, 1.02)
        else:
            axis.set_ylabel(ylabel or ("loss" if all("loss" in n.lower() for n in names)
                                       else "value"))
            use_log = logy
            if use_log is None:
                use_log = bool(finite.size and finite.min() > 0
                               and finite.max() / finite.min() > 50)
            if use_log:
                axis.set_yscale("log")
        axis.set_xlabel(x_label)
        axis.grid(True, alpha=0.3)
        if len(names) > 1 or names[0] not in ("loss", "accuracy"):
            axis.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


__all__ = ["plot_curves", "series_of"]
