"""Data sets for the course. MNIST::

    from mlkit.data import load_mnist
    mn = load_mnist()          # uint8 images (N, 28, 28), int32 labels (N,)
    x, t = mn.as_chainer()     # float32 (N, 1, 28, 28) in [0, 1], int32 (N,)

See :mod:`mlkit.data.mnist` for the cache, the mirrors and the offline subset, and
:mod:`mlkit.data.idx` for the file format. Moving MNIST (:mod:`mlkit.data.moving_mnist`)::

    from mlkit.data import MovingMnist, MovingMnistDataset, load_moving_mnist
    frames = MovingMnist().generate(1000, seed=0)   # uint8 (20, 1000, 64, 64)
"""
from mlkit.data.idx import MnistFileError, read_idx
from mlkit.data.mnist import Mnist, load_mnist

_MOVING_MNIST = ("MovingMnist", "MovingMnistDataset", "MovingMnistError", "load_moving_mnist",
                 "load_sequences", "make_moving_mnist", "save_sequences")


def __getattr__(name):
    # Moving MNIST imports Chainer (its dataset is a Chainer dataset), so it is imported on first
    # use: `mlkit doctor`, which reads mlkit.data.mnist, must still run where Chainer does not.
    if name in _MOVING_MNIST:
        from mlkit.data import moving_mnist
        return getattr(moving_mnist, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Mnist", "MnistFileError", "load_mnist", "read_idx", *_MOVING_MNIST]
