"""Where arrays live: CuPy's first GPU when there is one, NumPy otherwise.

Chainer names devices by strings: ``'@numpy'`` for the CPU and ``'@cupy:0'`` for the first GPU.
``MLKIT_DEVICE`` overrides the choice (for example ``MLKIT_DEVICE=@numpy`` on a GPU machine).
"""
import functools
import importlib
import os
import random
import warnings

import numpy


@functools.lru_cache(maxsize=1)
def _probe():
    """``(cupy, problem)``: CuPy when it imports, sees a GPU and can compute on it, else None;
    ``problem`` says why a GPU that is there cannot be used (None when there is no GPU at all)."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, None
    except Exception:  # no CuPy, no driver, no device: all mean "use NumPy"
        return None, None
    try:
        _cuda_libraries_problem(cupy)
    except Exception as error:  # noqa: BLE001 -- any failure here means the GPU is unusable
        return None, f"{type(error).__name__}: {error}"
    return cupy, None


# What chainer.backends.cuda imports: if one fails, Chainer says CUDA is not available.
CHAINER_IMPORTS = ("cupy.cuda.cublas", "cupyx.scipy.linalg", "cupyx.scipy.special")


def _cuda_libraries_problem(cupy):
    """Raise unless Chainer can compute on the GPU.

    CuPy's wheels (14 and later) bring no CUDA libraries: with only a driver installed, CuPy
    imports and counts the GPUs, but Chainer, which needs cuBLAS, quietly reports no CUDA, and
    the first kernel needs NVRTC. The extras ``.[cuda12]``/``.[cuda13]`` install both.
    """
    for name in CHAINER_IMPORTS:
        importlib.import_module(name)
    doubled = cupy.arange(4, dtype="float32") * 2  # compiles a kernel: needs NVRTC
    if float(doubled.sum()) != 12.0:
        raise RuntimeError("the GPU computed 2 * (0 + 1 + 2 + 3) wrongly")


def _cupy():
    """CuPy if it imports and can compute on a GPU, else None (never raises)."""
    return _probe()[0]


def gpu_problem():
    """Why the GPU this machine has cannot be used, with the fix; None when all is well or
    there is no GPU."""
    problem = _probe()[1]
    if problem is None:
        return None
    return (f"CuPy sees a GPU but cannot compute on it ({problem}). Install the CUDA "
            f"libraries with CuPy: {pip_gpu_command()}, or conda env update -f "
            "environment-gpu.yml")


def driver_cuda_major():
    """The CUDA major version this machine's NVIDIA driver supports, from ``nvidia-smi``
    (None without one)."""
    import re
    import subprocess
    try:
        shown = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"CUDA Version:\s*(\d+)\.", shown)
    return int(found.group(1)) if found else None


def pip_gpu_command(major=None):
    """The pip command that installs CuPy and its CUDA libraries for this machine's driver
    (``major``: the driver's CUDA major version; default :func:`driver_cuda_major`)."""
    if major is None:
        major = driver_cuda_major()
    extra = "cuda13" if major is not None and major >= 13 else "cuda12"
    return f".venv/bin/pip install -e '.[{extra}]'"


def gpu_available():
    """True when CuPy imports, sees a GPU and can compute on it."""
    return _cupy() is not None


@functools.lru_cache(maxsize=1)
def _warn_unusable_gpu():
    problem = gpu_problem()
    if problem:
        warnings.warn(f"mlkit: running on the CPU. {problem}", RuntimeWarning, stacklevel=3)


def device_name():
    """The Chainer device specifier this course uses: ``MLKIT_DEVICE``, else GPU 0, else NumPy."""
    override = os.environ.get("MLKIT_DEVICE", "").strip()
    if override:
        return override
    if gpu_available():
        return "@cupy:0"
    _warn_unusable_gpu()
    return "@numpy"


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
    """An array on any device (NumPy, CuPy, a ``chainer.Variable``), or anything NumPy reads
    (a list, a number), as a NumPy array on the host.

    CuPy refuses ``numpy.asarray(gpu_array)`` (an implicit copy from the GPU is a TypeError),
    so every function that takes arrays a learner may have on the GPU reads them through here.
    """
    array = getattr(array, "array", array) if _is_variable(array) else array
    if hasattr(array, "__cuda_array_interface__") and hasattr(array, "get"):
        return array.get()                         # CuPy: an explicit copy to the host
    return numpy.asarray(array)


def _is_variable(value):
    import chainer
    return isinstance(value, chainer.Variable)


def seed(value=0):
    """Seed Python's, NumPy's and (when present) CuPy's random generators."""
    random.seed(value)
    numpy.random.seed(value)
    cupy = _cupy()
    if cupy is not None:
        cupy.random.seed(value)
