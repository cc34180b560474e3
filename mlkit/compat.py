"""Make Chainer 7.8.1 (released 2020) import and run on today's Python, NumPy and setuptools.

``import mlkit`` calls :func:`apply` before anything imports Chainer. Every line below
answers one measured failure, and ``tests/compat/test_compat.py`` checks each patch (run on
NumPy 1.26 and on Python 3.10 to 3.13 by ``tests/compat/run_matrix.py``); nothing in
site-packages is edited, and each patch is a no-op where the environment does not need it.

=========================================  ===============================================
failure without the patch                   patch
=========================================  ===============================================
``import chainer`` imports                  a stand-in ``chainer._environment_check`` is
``numpy.distutils`` (gone on Python 3.12+)  registered first; chainer's own module only
and ``pkg_resources`` (gone in setuptools   runs start-up checks that don't apply here
82) in ``chainer/_environment_check.py``    (Python 3.5.0, macOS Accelerate, CuPy 7.x pins)
``np.sctypes`` removed in NumPy 2.0,        ``numpy.sctypes`` rebuilt from the scalar types
used at import by ``F.as_strided``
``numpy.float`` removed in NumPy 1.24,      ``numpy.float = float`` (the alias it always was)
used by ``F.resize_images``
Chainer warns that CuPy > 7 may not work    ``CHAINER_WARN_VERSION_MISMATCH=0`` unless set
with CuPy but no cuDNN (always so on CuPy   that one warning is ignored: Chainer's own CUDA
14, which dropped cuDNN) ``import chainer`` kernels are used, and the advice to reinstall
warns "cuDNN is not enabled. Please         CuPy with cuDNN cannot be followed on CuPy 14
reinstall CuPy after you install cudnn"
CuPy 14 warns "nccl library could not be    that one warning is ignored: NCCL is for
loaded" when ``chainer.training`` imports   training on several GPUs, which the course never
its multi-GPU updater (pip wheels ship no   does
NCCL)
=========================================  ===============================================

The two warnings were measured with cupy-cuda13x 14.2 on Python 3.12 and NumPy 2.5.
"""
import os
import sys
import types
import warnings

import numpy


def _sctypes():
    """The ``numpy.sctypes`` table of NumPy 1.x: scalar types grouped by kind."""
    def existing(*names):
        return [getattr(numpy, n) for n in names if hasattr(numpy, n)]
    return {
        "int": existing("int8", "int16", "int32", "int64"),
        "uint": existing("uint8", "uint16", "uint32", "uint64"),
        "float": existing("float16", "float32", "float64", "longdouble"),
        "complex": existing("complex64", "complex128", "clongdouble"),
        "others": [bool, object, bytes, str, numpy.void],
    }


def _environment_check_stand_in():
    module = types.ModuleType("chainer._environment_check")
    module.__doc__ = "Stand-in installed by mlkit.compat: chainer's checks need numpy.distutils."
    module.check = lambda: None
    return module


def apply():
    """Apply every patch; safe to call more than once."""
    os.environ.setdefault("CHAINER_WARN_VERSION_MISMATCH", "0")
    if "sctypes" not in numpy.__dict__:
        numpy.sctypes = _sctypes()
    if "float" not in numpy.__dict__:
        numpy.float = float
    if "chainer" not in sys.modules:
        sys.modules.setdefault("chainer._environment_check", _environment_check_stand_in())
    warnings.filterwarnings("ignore", message="cuDNN is not enabled", category=UserWarning,
                            module="chainer.backends.cuda")
    warnings.filterwarnings("ignore", message=r"\s*nccl library could not be loaded",
                            category=UserWarning, module=r"cupy\.")
