"""What several lessons' checks share (not a lesson: the registry reads only ``lessonNN``)."""
import numpy as np

from mlkit.grading.hints import expect


def expect_raw_scores(scores, what):
    """Class scores are unnormalised: the softmax belongs to the loss, not to the model."""
    scores = np.asarray(scores, np.float64)
    probabilities = (scores.ndim == 2 and scores.shape[1] > 1 and (scores >= 0).all()
                     and np.allclose(scores.sum(axis=1), 1, atol=1e-4))
    expect(not probabilities,
           f"{what} returns probabilities (each row is positive and sums to 1): return the raw "
           "class scores (logits) of the last Linear layer; F.softmax_cross_entropy applies the "
           "softmax itself, so a softmax inside the model applies it twice")
