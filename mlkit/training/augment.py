"""Data augmentation: small random shifts of training images.

A digit moved by a pixel or two is still the same digit, but to a network it is a new input;
shifting every training image by a fresh random offset each epoch makes the network learn that
position does not matter, which helps most when there are few training images.
"""
import numpy


def shift_image(image, dy, dx):
    """``image`` (C, H, W) moved ``dy`` pixels down and ``dx`` right; uncovered pixels are 0."""
    shifted = numpy.zeros_like(image)
    height, width = image.shape[-2:]
    if abs(dy) >= height or abs(dx) >= width:
        return shifted   # moved out of the frame entirely
    target_y, source_y = _windows(dy, height)
    target_x, source_x = _windows(dx, width)
    shifted[..., target_y, target_x] = image[..., source_y, source_x]
    return shifted


def _windows(shift, size):
    """Where the part that stays inside the frame lands, and where it comes from."""
    return slice(max(shift, 0), size + min(shift, 0)), slice(max(-shift, 0), size - max(shift, 0))


class RandomShift:
    """A transform for ``chainer.datasets.TransformDataset``: ``(x, t) -> (shifted x, t)``.

    Each call draws ``dy, dx`` uniformly from ``-max_shift .. max_shift``. ``seed`` makes the
    sequence of shifts repeatable::

        train = TransformDataset(TupleDataset(x, t), RandomShift(2, seed=0))
    """

    def __init__(self, max_shift=2, seed=None):
        self.max_shift = int(max_shift)
        self.random = numpy.random.default_rng(seed)

    def __call__(self, example):
        x, t = example
        if self.max_shift == 0:
            return x, t
        dy, dx = self.random.integers(-self.max_shift, self.max_shift + 1, size=2)
        return shift_image(x, int(dy), int(dx)), t
