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
from mlkit.data.moving_mnist import (MovingMnist, MovingMnistDataset, MovingMnistError,
                                     load_moving_mnist, load_sequences, make_moving_mnist,
                                     save_sequences)

__all__ = ["Mnist", "MnistFileError", "MovingMnist", "MovingMnistDataset", "MovingMnistError",
           "load_mnist", "load_moving_mnist", "load_sequences", "make_moving_mnist", "read_idx",
           "save_sequences"]
