"""Pictures of images: a labelled gallery, the misclassified examples, a confusion matrix and
the filters of a convolution.

Images may come as (N, 28, 28), (N, 1, 28, 28) or flat (N, 784), as NumPy or CuPy arrays or
``chainer.Variable`` s, with pixels in [0, 1] or 0..255; square flat images are unflattened.
Every function returns its matplotlib Figure.
"""
import math

import numpy

from mlkit.device import to_numpy


def as_image_grid(images):
    """``images`` as a NumPy array (N, H, W) (single channel) or (N, H, W, 3)."""
    images = to_numpy(images)
    if images.ndim == 2:                       # flat rows: assume square images
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"cannot unflatten images of {images.shape[1]} pixels into a square")
        images = images.reshape(-1, side, side)
    elif images.ndim == 4:
        if images.shape[1] == 1:
            images = images[:, 0]
        elif images.shape[1] == 3:
            images = images.transpose(0, 2, 3, 1)
        else:
            raise ValueError(f"images of shape {images.shape}: expected 1 or 3 channels")
    elif images.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), (N, C, H, W) or (N, H*W), "
                         f"got {images.shape}")
    return images


def show_images(images, labels=None, predicted=None, *, n_cols=10, size=1.1, title=None,
                class_names=None):
    """A grid of images, each titled with its label, or "predicted (true)" when ``predicted``
    is given (red where the two differ).

    Args:
        images: see the module docstring.
        labels: (N,) true labels, or None.
        predicted: (N,) predicted labels, or None.
        n_cols: images per row.
        size: inches per image.
        class_names: names to show instead of the label numbers.
    """
    import matplotlib.pyplot as plt

    images = as_image_grid(images)
    n = len(images)
    labels = None if labels is None else to_numpy(labels)
    predicted = None if predicted is None else to_numpy(predicted)

    def name(k):
        return str(class_names[int(k)]) if class_names is not None else str(int(k))

    n_cols = max(1, min(n_cols, n))
    n_rows = max(1, math.ceil(n / n_cols))
    with_titles = labels is not None or predicted is not None
    figure, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                                figsize=(size * n_cols, size * n_rows * (1.25 if with_titles
                                                                         else 1.0)))
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= n:
            continue
        axis.imshow(images[index], cmap="gray_r" if images.ndim == 3 else None)
        if predicted is not None:
            wrong = labels is not None and predicted[index] != labels[index]
            text = name(predicted[index]) + (f" ({name(labels[index])})" if labels is not None
                                             else "")
            axis.set_title(text, fontsize=9, color="tab:red" if wrong else "black")
        elif labels is not None:
            axis.set_title(name(labels[index]), fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def show_misclassified(images, labels, predicted, *, max_images=30, n_cols=10, title=None,
                       class_names=None):
    """The images whose prediction is wrong (the first ``max_images``), titled
    "predicted (true)". Says so in the title when there are none."""
    labels, predicted = to_numpy(labels), to_numpy(predicted)
    wrong = numpy.flatnonzero(predicted != labels)
    if title is None:
        title = (f"{len(wrong)} of {len(labels)} misclassified: predicted (true)"
                 + (f", first {max_images} shown" if len(wrong) > max_images else ""))
    if len(wrong) == 0:
        import matplotlib.pyplot as plt
        figure, axis = plt.subplots(figsize=(4, 1))
        axis.axis("off")
        axis.text(0.5, 0.5, f"no misclassified images among {len(labels)}", ha="center")
        return figure
    chosen = wrong[:max_images]
    return show_images(to_numpy(images)[chosen], labels[chosen], predicted[chosen],
                       n_cols=n_cols, title=title, class_names=class_names)


def plot_confusion_matrix(matrix, *, class_names=None, ax=None, title=None, normalize=False):
    """A heat map of a confusion matrix (rows: true class, columns: predicted class), with the
    count in every cell; the diagonal holds the correct answers.

    Args:
        matrix: (K, K) counts, e.g. from :func:`mlkit.metrics.confusion_matrix`.
        normalize: colour by the fraction of each row (each true class) instead of the count,
            so that rare classes are as visible as common ones.
    """
    import matplotlib.pyplot as plt

    matrix = to_numpy(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square (K, K), got shape {matrix.shape}")
    k = len(matrix)
    names = [str(c) for c in (class_names if class_names is not None else range(k))]
    shown = matrix.astype(float)
    if normalize:
        shown = shown / numpy.maximum(shown.sum(axis=1, keepdims=True), 1)
    if ax is None:
        figure, ax = plt.subplots(figsize=(0.45 * k + 1.8, 0.45 * k + 1.2))
    else:
        figure = ax.figure
    # Off-diagonal cells are the interesting ones; a square-root colour scale keeps small counts
    # visible. The norm does the scaling, so the colour bar is labelled in counts and ends at the
    # largest one (no tick above it, no empty band).
    from matplotlib.colors import PowerNorm
    from matplotlib.ticker import MaxNLocator
    top = float(shown.max()) if shown.size and shown.max() > 0 else 1.0
    norm = PowerNorm(gamma=0.5, vmin=0.0, vmax=top)
    image = ax.imshow(shown, cmap="Blues", norm=norm)
    threshold = numpy.sqrt(top) / 2
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                ax.text(j, i, f"{matrix[i, j]:g}", ha="center", va="center", fontsize=8,
                        color="white" if numpy.sqrt(shown[i, j]) > threshold else "black")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    colorbar = figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label(("fraction of the row" if normalize else "count") + " (square-root scale)")
    ticks = [t for t in MaxNLocator(nbins=5, integer=not normalize).tick_values(0, top)
             if 0 <= t <= top]
    colorbar.set_ticks(ticks, labels=[f"{t:.2g}" if normalize else f"{t:g}" for t in ticks])
    ax.set_title(title or f"confusion matrix ({int(matrix.sum())} examples)")
    figure.tight_layout()
    return figure


def show_filters(filters, *, n_cols=8, size=0.9, title=None):
    """The kernels of a convolution layer as small images: blue negative, red positive, white 0.

    Args:
        filters: a ``L.Convolution2D`` link, or its weights ``W`` (out, in, kh, kw). For several
            input channels each kernel is averaged over them.
    """
    import matplotlib.pyplot as plt

    weights = getattr(filters, "W", filters)
    weights = to_numpy(weights)
    if weights is None or weights.ndim != 4:
        raise ValueError("expected convolution weights (out, in, kh, kw) or a Convolution2D "
                         "link that has been called once (its W is created lazily)")
    kernels = weights.mean(axis=1)
    limit = float(numpy.abs(kernels).max()) or 1.0
    n = len(kernels)
    n_cols = max(1, min(n_cols, n))
    n_rows = math.ceil(n / n_cols)
    figure, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                                figsize=(size * n_cols, size * n_rows + 0.4))
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < n:
            axis.imshow(kernels[index], cmap="bwr", vmin=-limit, vmax=limit)
    figure.suptitle(title or f"{n} first-layer filters ({kernels.shape[1]}x{kernels.shape[2]})")
    figure.tight_layout()
    return figure


__all__ = ["as_image_grid", "plot_confusion_matrix", "show_filters", "show_images",
           "show_misclassified"]
