"""Chainer building blocks that checks of any lesson make on both sides from the same numbers:
in the worker, to hand to a learner's function, and in the grader, as the reference it is
compared with (``nb.module("mlkit.grading.blocks").linear(W, b)`` there, ``blocks.linear(W, b)``
here). Nothing here is an answer to an exercise.
"""
import numpy as np

import mlkit  # noqa: F401  (Chainer on this NumPy)
import chainer
import chainer.functions as F
import chainer.links as L


def linear(W, b):
    """An ``L.Linear`` holding exactly ``W`` (out, in) and ``b`` (out,)."""
    # copies: a Parameter adopts the array it is given, and the twin must not share it
    W, b = np.array(W, np.float32), np.array(b, np.float32)
    return L.Linear(W.shape[1], W.shape[0], initialW=W, initial_bias=b)


class TwoLayer(chainer.Chain):
    """``l2(tanh(l1(x)))`` with the given weights: an MLP that is not the learner's."""

    def __init__(self, W1, b1, W2, b2):
        super().__init__()
        with self.init_scope():
            self.l1 = linear(W1, b1)
            self.l2 = linear(W2, b2)

    def forward(self, x):
        return self.l2(F.tanh(self.l1(x)))


def two_layer(W1, b1, W2, b2):
    return TwoLayer(W1, b1, W2, b2)


def params(model):
    """``{name: array}`` of a link's parameters (copies)."""
    return {name: np.array(p.array, copy=True) for name, p in sorted(model.namedparams())}


def set_params(model, params, missing_ok=False):
    """Copy ``params`` ({name: array}, the names of ``model.namedparams()``) into ``model``; a
    name that ``params`` lacks is a KeyError, or, with ``missing_ok``, left as it is."""
    for name, param in model.namedparams():
        if missing_ok and name not in params:
            continue
        param.array[...] = np.asarray(params[name], param.dtype)
    return model
