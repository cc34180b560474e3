"""Pictures for regression: fitted curves, under/over-fitting side by side, predicted versus
true, and the shapes of the common losses.

A "model" below is anything callable on a float32 array of shape (N, 1) that returns (N, 1)
predictions: a ``chainer.Link`` (run without building a graph) or a plain function.
"""
import numpy

from mlkit.device import to_numpy

LOSS_STYLES = {"MSE": "C0", "MAE": "C1", "Huber": "C2"}


def _axes(ax, figsize=(5.5, 3.6)):
    import matplotlib.pyplot as plt
    if ax is None:
        figure, ax = plt.subplots(figsize=figsize)
        return figure, ax
    return ax.figure, ax


def predict_on(model, x):
    """``model(x)`` as a NumPy float array, for a Chainer link or a plain function.

    A link runs in test mode without recording a graph (dropout off, no memory for backprop).
    """
    import chainer

    from mlkit.training.loops import predict
    x = to_numpy(x).astype(numpy.float32)
    if isinstance(model, chainer.Link):
        return predict(model, x, batch_size=None)   # one pass: the curves need no batches
    return to_numpy(model(x))


def _grid(*xs, n=300, margin=0.05):
    """``n`` evenly spaced points (n, 1) float32 spanning every x given, plus a margin."""
    values = numpy.concatenate([numpy.ravel(x) for x in xs if x is not None])
    low, high = values.min(), values.max()
    pad = margin * (high - low or 1.0)
    return numpy.linspace(low - pad, high + pad, n, dtype=numpy.float32)[:, None]


def plot_fit(x_train, y_train, models=None, *, x_val=None, y_val=None, truth=None,
             outliers=None, ax=None, title=None, ylim=None, legend_loc="best"):
    """Data points and the curves that models draw through them.

    Args:
        x_train, y_train: training points, shape (N, 1) or (N,).
        models: ``{label: model}`` (see the module doc) drawn as curves over the data's range,
            or a single model.
        x_val, y_val: validation points, drawn hollow.
        truth: the noiseless function ``f(x)``, drawn dashed, when it is known.
        outliers: a boolean mask over the training points to mark with crosses.
        ylim: y limits; by default the data's range with a margin, so a wild curve cannot
            squash the picture.
        legend_loc: where the legend goes (matplotlib's ``loc``).
    Returns the matplotlib Figure.
    """
    figure, ax = _axes(ax)
    x_train, y_train = numpy.ravel(x_train), numpy.ravel(y_train)
    grid = _grid(x_train, x_val)
    if outliers is not None:
        outliers = numpy.asarray(outliers, dtype=bool)
        ax.scatter(x_train[~outliers], y_train[~outliers], s=18, c="k", label="training data")
        ax.scatter(x_train[outliers], y_train[outliers], s=40, c="C3", marker="x",
                   label="outliers")
    else:
        ax.scatter(x_train, y_train, s=18, c="k", label="training data")
    if x_val is not None:
        ax.scatter(numpy.ravel(x_val), numpy.ravel(y_val), s=22, facecolors="none",
                   edgecolors="C3", label="validation data")
    if truth is not None:
        ax.plot(grid[:, 0], numpy.ravel(truth(grid)), "k--", lw=1, alpha=0.6,
                label="true function")
    if models is not None:
        if not isinstance(models, dict):
            models = {"model": models}
        for index, (label, model) in enumerate(models.items()):
            ax.plot(grid[:, 0], numpy.ravel(predict_on(model, grid)), lw=2,
                    color=LOSS_STYLES.get(label, f"C{index}"), label=label)
    if ylim is None:
        ys = numpy.concatenate([y_train] + ([numpy.ravel(y_val)] if y_val is not None else []))
        pad = 0.25 * (ys.max() - ys.min() or 1.0)
        ylim = (ys.min() - pad, ys.max() + pad)
    ax.set(xlabel="x", ylabel="y", ylim=ylim)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc=legend_loc)
    return figure


def plot_fits_side_by_side(models, x_train, y_train, x_val=None, y_val=None, truth=None,
                           suptitle=None):
    """One panel per model (``{title: model}``), same axes, each titled with its train and
    validation MSE: the classic picture of underfitting next to overfitting."""
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(models), figsize=(4.3 * len(models), 3.6),
                                sharex=True, sharey=True, squeeze=False)
    for ax, (name, model) in zip(axes[0], models.items()):
        plot_fit(x_train, y_train, {name: model}, x_val=x_val, y_val=y_val, truth=truth, ax=ax)
        errors = [f"train MSE {_mse(y_train, predict_on(model, x_train)):.3f}"]
        if x_val is not None:
            errors.append(f"val MSE {_mse(y_val, predict_on(model, x_val)):.3f}")
        ax.set_title(f"{name}\n" + ", ".join(errors), fontsize="medium")
        ax.get_legend().remove()
    handles, labels = axes[0, 0].get_legend_handles_labels()
    keep = [i for i, label in enumerate(labels)
            if label.endswith("data") or label == "true function"]
    figure.legend([handles[i] for i in keep], [labels[i] for i in keep], loc="lower center",
                  ncol=len(keep), fontsize="small", frameon=False)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    return figure


def _mse(y_true, y_pred):
    return float(numpy.mean((numpy.ravel(y_true) - numpy.ravel(y_pred)) ** 2))


def _r2(y_true, y_pred):
    y_true, y_pred = numpy.ravel(y_true), numpy.ravel(y_pred)
    return 1.0 - numpy.sum((y_true - y_pred) ** 2) / numpy.sum((y_true - y_true.mean()) ** 2)


def plot_predicted_vs_true(y_true, predictions, *, ax=None, title=None, units=""):
    """Each example as a point (true value, predicted value); perfect predictions lie on the
    diagonal. ``predictions``: one array, or ``{label: array}`` to overlay several models.
    The legend gives each model's MAE and R^2 on these points."""
    figure, ax = _axes(ax, figsize=(4.6, 4.4))
    y_true = numpy.ravel(to_numpy(y_true))
    if not isinstance(predictions, dict):
        predictions = {"model": predictions}
    everything = [y_true]
    for index, (label, y_pred) in enumerate(predictions.items()):
        y_pred = numpy.ravel(to_numpy(y_pred))
        everything.append(y_pred)
        mae = numpy.mean(numpy.abs(y_true - y_pred))
        ax.scatter(y_true, y_pred, s=16, alpha=0.7, color=f"C{index}",
                   label=f"{label}: MAE {mae:.3g}{units}, $R^2$ {_r2(y_true, y_pred):.2f}")
    low = min(v.min() for v in everything)
    high = max(v.max() for v in everything)
    ax.plot([low, high], [low, high], "k--", lw=1, label="perfect prediction")
    ax.set(xlabel="true value", ylabel="predicted value", aspect="equal")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def loss_curves(residual, delta=1.0):
    """Per-example loss and its derivative at each residual ``r = prediction - target``.

    Returns ``{name: (loss, derivative)}`` for ``MSE`` (r^2), ``MAE`` (|r|) and ``Huber``
    (r^2 / 2 for |r| <= delta, else delta (|r| - delta / 2)), the definitions of Chainer's
    ``F.mean_squared_error``, ``F.mean_absolute_error`` and ``F.huber_loss``.
    """
    r = to_numpy(residual).astype(float)
    inside = numpy.abs(r) <= delta
    huber = numpy.where(inside, 0.5 * r ** 2, delta * (numpy.abs(r) - 0.5 * delta))
    return {"MSE": (r ** 2, 2 * r),
            "MAE": (numpy.abs(r), numpy.sign(r)),
            "Huber": (huber, numpy.clip(r, -delta, delta))}


def plot_loss_functions(delta=1.0, limit=4.0, axes=None):
    """Two panels over the residual r: each loss, and its derivative, the pull that one
    example exerts on the fit. Squared error pulls in proportion to r (outliers pull hardest),
    absolute error with a constant force, Huber like squared error up to ``delta`` and
    like absolute error beyond."""
    import matplotlib.pyplot as plt
    if axes is None:
        figure, axes = plt.subplots(1, 2, figsize=(9.5, 3.5))
    else:
        figure = axes[0].figure
    r = numpy.linspace(-limit, limit, 401)
    for name, (loss, slope) in loss_curves(r, delta).items():
        label = f"Huber ($\\delta$={delta:g})" if name == "Huber" else name
        axes[0].plot(r, loss, color=LOSS_STYLES[name], lw=2, label=label)
        axes[1].plot(r, slope, color=LOSS_STYLES[name], lw=2, label=label)
    axes[0].set(xlabel="residual r = prediction - target", ylabel="loss of one example",
                title="loss", ylim=(-0.3, min(limit ** 2, 2 * limit + 2)))
    axes[1].set(xlabel="residual r = prediction - target", ylabel="d loss / d prediction",
                title="gradient: the pull of one example")
    for ax in axes:
        ax.axvline(-delta, color="C2", lw=0.8, ls=":")
        ax.axvline(delta, color="C2", lw=0.8, ls=":")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    figure.tight_layout()
    return figure


__all__ = ["loss_curves", "plot_fit", "plot_fits_side_by_side", "plot_loss_functions",
           "plot_predicted_vs_true", "predict_on"]
