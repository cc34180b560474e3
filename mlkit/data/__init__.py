"""Data sets for the course. MNIST::

    from mlkit.data import load_mnist
    mn = load_mnist()          # uint8 images (N, 28, 28), int32 labels (N,)
    x, t = mn.as_chainer()     # float32 (N, 1, 28, 28) in [0, 1], int32 (N,)

See :mod:`mlkit.data.mnist` for the cache, the mirrors and the offline subset, and
:mod:`mlkit.data.idx` for the file format.
"""
from mlkit.data.idx import MnistFileError, read_idx
from mlkit.data.mnist import Mnist, load_mnist

__all__ = ["Mnist", "MnistFileError", "load_mnist", "read_idx"]
