"""Metrics, one family per file: ``classification`` (accuracy, confusion matrix), and the
families that later lessons add (video prediction, super-resolution, GAN quality)."""
from mlkit.metrics.classification import accuracy, confusion_matrix

__all__ = ["accuracy", "confusion_matrix"]
