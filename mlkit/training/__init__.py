"""Training helpers the lessons share: loops over minibatches, evaluation in test mode, a
ready-wired Chainer ``Trainer``, and data augmentation.

    from mlkit.training import evaluate, predict, train_with_trainer
"""
from mlkit.training.augment import RandomShift, shift_image
from mlkit.training.loops import evaluate, make_trainer, minibatches, predict, train_with_trainer

__all__ = ["RandomShift", "evaluate", "make_trainer", "minibatches", "predict", "shift_image",
           "train_with_trainer"]
