"""Where arrays live: CuPy's first GPU when there is one, NumPy otherwise.

Chainer names devices by strings: ``'@numpy'`` for the CPU and ``'@cupy:0'`` for the first GPU.
``MLKIT_DEVICE`` overrides the choice (for example ``MLKIT_DEVICE=@numpy`` on a GPU machine).
"""
import functools
import os
import random

import numpy


@functools.lru_cache(maxsize=1)
def _cupy():
    """CuPy if it imports and sees at least one GPU, else None (never raises)."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception:  # no CuPy, no driver, no device: all mean "use NumPy"
        pass
    return None


def gpu_available():
    """True when CuPy imports and sees a GPU."""
    return _cupy() is not None


def device_name():
    """The Chainer device specifier this course uses: ``MLKIT_DEVICE``, else GPU 0, else NumPy."""
    override = os.environ.get("MLKIT_DEVICE", "").strip()
    if override:
        return override
    return "@cupy:0" if gpu_available() else "@numpy"


def get_device():
    """The :class:`chainer.backend.Device` to train on (see :func:`device_name`)."""
    import chainer
    name = device_name()
    try:
        return chainer.get_device(name)
    except Exception as error:
        raise RuntimeError(
            f"cannot use device {name!r}: {error}. Unset MLKIT_DEVICE, or set it to "
            "'@numpy' (CPU) or '@cupy:0' (first GPU, needs CuPy).") from error


def to_device(obj, device=None):
    """Move a model (a ``chainer.Link``) or an array (or a tuple/list of arrays) to ``device``.

    Links move in place and are returned; arrays come back as new arrays on the device.
    """
    import chainer
    device = get_device() if device is None else chainer.get_device(device)
    if isinstance(obj, chainer.Link):
        obj.to_device(device)
        return obj
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(item, device) for item in obj)
    return device.send(obj)


def to_numpy(array):
    """An array (NumPy, CuPy or ``chainer.Variable``) as a NumPy array on the host."""
    import chainer
    if isinstance(array, chainer.Variable):
        array = array.array
    return chainer.backend.CpuDevice().send(array)


def seed(value=0):
    """Seed Python's, NumPy's and (when present) CuPy's random generators."""
    random.seed(value)
    numpy.random.seed(value)
    cupy = _cupy()
    if cupy is not None:
        cupy.random.seed(value)
