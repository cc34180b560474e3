"""Reference models of the course, written as ``chainer.Chain`` s (one model per file).

The lessons build their own versions of these; the library's copies serve the benchmarks, the
grading checks and the later lessons (e.g. :func:`mlkit.models.reference.reference_cnn`).
Trained models are saved and loaded in the one file format of :mod:`mlkit.models.weights`.
"""
from mlkit.models.mlp import MLP  # noqa: F401
from mlkit.models.cnn import CNN  # noqa: F401
from mlkit.models.regression import MLPRegressor  # noqa: F401
