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


def as_pair(nb, value, what):
    """``value`` as a tuple of two: a tuple or a list (a namedtuple, or another subclass, is
    read in the worker), or a hint naming ``what``, e.g. 'move should return a pair (a, b)'."""
    if isinstance(value, list):
        value = tuple(value)
    elif not isinstance(value, tuple) and (nb.isinstance(value, "builtins.tuple")
                                           or nb.isinstance(value, "builtins.list")):
        value = nb.module("builtins").tuple(value)
    expect(isinstance(value, tuple) and len(value) == 2,
           f"{what}, got {getattr(value, 'type_name', type(value).__name__)}"
           + (f" of {len(value)} items" if isinstance(value, tuple) else ""))
    return value


def as_dict(nb, value, what):
    """``value`` as a dict (an OrderedDict or another dict subclass is read in the worker), or
    a hint naming ``what``."""
    if not isinstance(value, dict) and nb.isinstance(value, "builtins.dict"):
        value = nb.module("builtins").dict(value)
    expect(isinstance(value, dict),
           f"{what}, got {getattr(value, 'type_name', type(value).__name__)}")
    return value
