"""Run modes: one switch that sizes every lesson for the machine it runs on.

============  ==========================================================================
``smoke``     CI: each lesson runs top to bottom in at most 60 s on 2 CPU cores.
``cpu``       a learner without a GPU: at most 15 minutes a lesson, results that still teach.
``gpu``       the real sizes.
============  ==========================================================================

``MLKIT_MODE`` chooses; without it the mode follows the device the lessons will use: ``gpu``
when that is a GPU (CuPy sees one and ``MLKIT_DEVICE`` does not say ``@numpy``), else ``cpu``.
A lesson states its sizes once::

    size = mlkit.by_mode(smoke=dict(epochs=1, n=500), cpu=dict(epochs=10, n=4000),
                         gpu=dict(epochs=20, n=60000))
"""
import os

MODES = ("smoke", "cpu", "gpu")


class ModeError(ValueError):
    """MLKIT_MODE names no mode."""


def mode():
    """The current run mode: ``'smoke'``, ``'cpu'`` or ``'gpu'``."""
    chosen = os.environ.get("MLKIT_MODE", "").strip().lower()
    if chosen:
        if chosen not in MODES:
            raise ModeError(
                f"MLKIT_MODE={chosen!r} is not a run mode; use one of {', '.join(MODES)} "
                "(or unset it to choose automatically).")
        return chosen
    return "gpu" if uses_gpu() else "cpu"


def uses_gpu():
    """Whether the lessons will compute on a GPU: the device chosen is CuPy's, and usable."""
    from mlkit.device import device_name, gpu_available
    return device_name().startswith("@cupy") and gpu_available()


class Sizes(dict):
    """A dict whose keys also read as attributes: ``size.epochs``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"this mode's sizes have no {name!r}; they have {sorted(self)}") from None


def by_mode(*, smoke, cpu, gpu):
    """Pick the value for the current mode (dicts come back as :class:`Sizes`)."""
    value = {"smoke": smoke, "cpu": cpu, "gpu": gpu}[mode()]
    return Sizes(value) if isinstance(value, dict) else value
