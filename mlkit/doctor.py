"""``mlkit doctor``: one short table of what this machine has for the course, with advice.

Each row comes from one probe. A probe that fails shows ``?`` and the error as advice instead
of raising, so the doctor still answers on the broken machines it exists for. It is also
cheap (well under 2 s): CuPy is imported once, through :func:`mlkit.device._cupy`.

``mlkit.doctor()`` prints the table in a notebook; :func:`report` also returns its values.
"""
import importlib.util
import os
import platform
import shutil
import sys
from dataclasses import dataclass

import mlkit.device as device
import mlkit.modes as modes

NO_GPU_ADVICE = "lessons run in cpu mode; set MLKIT_MODE=smoke for a quick run"
REINSTALL_ADVICE = "run `make lab`, or reinstall: pip install -e '.[lab]'"
KEYS = ("python", "numpy", "chainer", "cupy", "cuda", "gpu", "mode", "mode_source", "device",
        "data_cache", "mnist_cached")
MNIST_ADVICE = ("the lessons use the offline 5,000-image subset; "
                "`mlkit data mnist` downloads the full set")


@dataclass
class _Row:
    """One line of the table. ``value`` is what :func:`report` returns; ``shown`` is printed."""
    key: str
    item: str
    value: object
    shown: str = None
    advice: str = ""

    def __post_init__(self):
        if self.shown is None:
            self.shown = "-" if self.value is None else str(self.value)


def report(file=None):
    """Print the doctor's table to ``file`` (standard output by default); no probe raises.

    Returns a dict of the values, keyed by :data:`KEYS`, plus ``advice``: a dict from those
    keys to the advice printed for them (only rows with advice). A value that could not be
    found (no GPU, a probe that failed) is ``None``.
    """
    rows = []
    for probe in _PROBES:
        try:
            found = probe()
        except Exception as error:  # a broken probe must not hide the other rows
            found = [_Row(probe.__name__.lstrip("_"), probe.__name__.strip("_"), None, "?",
                          f"could not check: {type(error).__name__}: {error}")]
        rows.extend(found)
    print(_format_table(rows), file=sys.stdout if file is None else file)
    values = dict.fromkeys(KEYS)
    values.update((row.key, row.value) for row in rows)
    values["advice"] = {row.key: row.advice for row in rows if row.advice}
    return values


def _format_table(rows):
    # Advice becomes one line (error texts can hold newlines) so the columns stay aligned.
    lines = [("item", "value", "advice")] + [
        (row.item, row.shown, " ".join(row.advice.split())) for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(3)]
    widths[2] = min(widths[2], 40)  # the rule under "advice" need not span the longest advice
    text = [f"{item:<{widths[0]}}  {value:<{widths[1]}}  {advice}".rstrip()
            for item, value, advice in lines]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text)


# --- probes: each returns a list of rows ------------------------------------------------------

def _python():
    return [_Row("python", "Python", platform.python_version())]


def _numpy():
    import numpy
    return [_Row("numpy", "NumPy", numpy.__version__)]


def _chainer():
    try:
        import chainer
    except Exception as error:
        return [_Row("chainer", "Chainer", None, "cannot import",
                     f"{type(error).__name__}: {error}; {REINSTALL_ADVICE}")]
    return [_Row("chainer", "Chainer", chainer.__version__)]


def _gpu():
    """The CuPy, CUDA and GPU rows, which all come from the one CuPy import."""
    cupy_with_gpu = device._cupy()
    # _cupy() imported CuPy if it can be imported; a second import attempt would be slow.
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        cupy_row = _Row("cupy", "CuPy", getattr(cupy, "__version__", "?"))
    elif importlib.util.find_spec("cupy") is not None:
        cupy_row = _Row("cupy", "CuPy", None, "fails to import",
                        "reinstall the cupy-cuda package that matches this machine's CUDA")
    elif shutil.which("nvidia-smi"):
        cupy_row = _Row("cupy", "CuPy", None, "not installed", gpu_install_advice())
    else:
        cupy_row = _Row("cupy", "CuPy", None, "not installed")

    if cupy_with_gpu is None:
        problem = device.gpu_problem()
        if problem:
            return [cupy_row, _Row("cuda", "CUDA", None),
                    _Row("gpu", "GPU", None, "present, but CuPy cannot use it", problem)]
        automatic = not os.environ.get("MLKIT_MODE", "").strip()
        return [cupy_row, _Row("cuda", "CUDA", None),
                _Row("gpu", "GPU", None, "none", NO_GPU_ADVICE if automatic else "")]

    runtime = cupy_with_gpu.cuda.runtime
    version = runtime.runtimeGetVersion()  # e.g. 12020 for CUDA 12.2
    name = runtime.getDeviceProperties(0)["name"]
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    return [cupy_row, _Row("cuda", "CUDA", f"{version // 1000}.{version % 1000 // 10}"),
            _Row("gpu", "GPU", name)]


def gpu_install_advice(major=None):
    """The one command that gives this machine's GPU to the course."""
    major = device.driver_cuda_major() if major is None else major
    if major is None:
        return ("this machine has an NVIDIA driver: install CuPy and its CUDA libraries, "
                f"e.g. {device.pip_gpu_command(12)}")
    if major < 12:
        return (f"the driver supports CUDA {major}, older than CuPy's wheels need (12 or 13): "
                f"update the NVIDIA driver, then {device.pip_gpu_command(12)}")
    return (f"the driver supports CUDA {major}: {device.pip_gpu_command(major)} "
            "(conda: conda env update -f environment-gpu.yml)")


def _mode():
    chosen = os.environ.get("MLKIT_MODE", "").strip()
    if chosen:
        source = "MLKIT_MODE"
    else:
        used = device.device_name()
        why = " (MLKIT_DEVICE)" if os.environ.get("MLKIT_DEVICE", "").strip() else ""
        source = f"automatic: the device is {used}{why}"
    try:
        current = modes.mode()
    except modes.ModeError as error:
        return [_Row("mode", "run mode", None, f"invalid (MLKIT_MODE={chosen!r})", str(error)),
                _Row("mode_source", "mode set by", source)]
    advice = ""
    if current == "gpu" and not modes.uses_gpu():
        advice = "gpu sizes on a CPU take hours; set MLKIT_MODE=cpu or unset it"
    return [_Row("mode", "run mode", current, advice=advice),
            _Row("mode_source", "mode set by", source)]


def _device():
    name = device.device_name()
    overridden = bool(os.environ.get("MLKIT_DEVICE", "").strip())
    shown = f"{name} (MLKIT_DEVICE)" if overridden else name
    advice = ""
    if overridden:
        try:
            device.get_device()
        except Exception:  # Chainer's own message is long; what to do is short
            advice = f"this machine cannot use {name}; unset MLKIT_DEVICE or set it to @numpy"
    return [_Row("device", "device", name, shown, advice)]


def _data():
    # imported here: mlkit.data brings pooch, and `import mlkit` loads this module
    from mlkit.data.mnist import FILES, default_cache_dir
    cache = default_cache_dir()
    mnist = cache / "mnist"
    present = [name for name in FILES.values() if (mnist / name).is_file()]
    cached = len(present) == len(FILES)
    shown = "yes" if cached else f"no ({len(present)} of {len(FILES)} files)"
    return [_Row("data_cache", "data cache", str(cache)),
            _Row("mnist_cached", "full MNIST", cached, shown, "" if cached else MNIST_ADVICE)]


_PROBES = (_python, _numpy, _chainer, _gpu, _mode, _device, _data)
