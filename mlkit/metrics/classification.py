"""How good is a classifier: accuracy and the confusion matrix.

Both work on NumPy arrays; CuPy arrays and ``chainer.Variable`` objects are copied to the host
first, so a model's output can be passed as it comes::

    accuracy(model(x), t)                        # fraction of examples whose top score is right
    confusion_matrix(t, scores.argmax(axis=1))   # C[i, j]: examples of class i predicted as j
"""
import numpy

from mlkit.device import to_numpy


def _labels(values, what):
    values = to_numpy(values)
    if values.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array of class labels, got shape {values.shape}")
    if values.size and not numpy.issubdtype(values.dtype, numpy.integer):
        raise TypeError(f"{what} must hold integer class labels, got dtype {values.dtype}")
    return values


def accuracy(scores, labels):
    """The fraction of examples whose highest score is at their label.

    Args:
        scores: (N, K) class scores (logits or probabilities: only the order matters).
        labels: (N,) integer labels in 0..K-1.

    Returns:
        float in [0, 1]: ``mean(argmax_k scores[n, k] == labels[n])``. Ties go to the
        lowest class index, as ``argmax`` does.
    """
    scores = to_numpy(scores)
    labels = _labels(labels, "labels")
    if scores.ndim != 2 or len(scores) != len(labels):
        raise ValueError(f"scores must have shape (N, K) with N = {len(labels)} labels, "
                         f"got {scores.shape}")
    if len(labels) == 0:
        raise ValueError("accuracy of zero examples is undefined")
    return float(numpy.mean(scores.argmax(axis=1) == labels))


def confusion_matrix(true, predicted, n_classes=None):
    """Count how often each true class was predicted as each class.

    Args:
        true: (N,) integer labels.
        predicted: (N,) integer predicted labels.
        n_classes: K; default ``max(true, predicted) + 1``. Classes that never occur still get
            their (zero) row and column.

    Returns:
        int64 array C of shape (K, K): ``C[i, j]`` = number of examples of true class ``i``
        predicted as ``j``. Row sums are the class counts, the diagonal the correct answers,
        ``trace(C) / N`` the accuracy.
    """
    true = _labels(true, "true")
    predicted = _labels(predicted, "predicted")
    if true.shape != predicted.shape:
        raise ValueError(f"true and predicted differ in length: {len(true)} vs {len(predicted)}")
    if n_classes is None:
        n_classes = int(max(true.max(initial=-1), predicted.max(initial=-1))) + 1
    if true.size and (min(true.min(), predicted.min()) < 0
                      or max(true.max(), predicted.max()) >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    # Each (true, predicted) pair becomes one index of the flattened K x K matrix.
    flat = true.astype(numpy.int64) * n_classes + predicted
    counts = numpy.bincount(flat, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(numpy.int64)


__all__ = ["accuracy", "confusion_matrix"]
