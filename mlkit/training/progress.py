"""Progress bars that look right in JupyterLab and in a terminal.

Chainer's ``extensions.ProgressBar`` was written for terminals: it redraws itself with cursor
control codes, which a notebook shows as a growing pile of text ("inf iters/sec", a total that
stops at 92 % when training ends between two redraws). The two helpers here use ``tqdm.auto``
instead: a widget in JupyterLab (ipywidgets), a plain one-line bar in a terminal.

    from mlkit.training.progress import progress, TrainingProgress

    for step in progress(range(steps), desc="SGD"):      # any loop
        ...
    trainer.extend(TrainingProgress())                   # a Chainer Trainer

``TrainingProgress`` counts iterations, knows its total from the trainer's stop trigger (an
epoch or iteration limit, or an ``EarlyStoppingTrigger``'s ``max_trigger``), starts where a
resumed trainer stands, shows the latest reported values next to the bar, and ends at 100 %
also when early stopping ends training before its limit.
"""
import math
import sys

import chainer
from chainer.training import extension

__all__ = ["TrainingProgress", "progress", "planned_iterations"]

# A redraw at most twice a second: enough to watch, and cheap for the kernel's output channel.
MIN_INTERVAL_S = 0.5


def progress(iterable=None, desc=None, total=None, **options):
    """``tqdm.auto.tqdm`` with the course's defaults: a widget in a notebook, a plain bar in a
    terminal, at most two redraws a second. Any tqdm option may be given."""
    from tqdm.auto import tqdm
    options.setdefault("mininterval", MIN_INTERVAL_S)
    options.setdefault("dynamic_ncols", True)
    return tqdm(iterable, desc=desc, total=total, **options)


def _limit(trigger):
    """(period, unit) of an interval trigger, of an EarlyStoppingTrigger's ``max_trigger``, or
    None when the trigger does not say how long training lasts."""
    for candidate in (trigger, getattr(trigger, "_max_trigger", None)):
        period, unit = getattr(candidate, "period", None), getattr(candidate, "unit", None)
        if period and unit in ("epoch", "iteration"):
            return period, unit
    return None


def planned_iterations(trainer):
    """How many iterations the trainer's stop trigger allows in all (None when unknown)."""
    limit = _limit(trainer.stop_trigger)
    if limit is None:
        return None
    period, unit = limit
    if unit == "iteration":
        return int(period)
    iterator = trainer.updater.get_iterator("main")
    dataset, batch_size = getattr(iterator, "dataset", None), getattr(iterator, "batch_size", None)
    if dataset is None or not batch_size:
        return None
    # A repeating iterator fills its batches across epoch borders, so E epochs of N examples
    # take ceil(E * N / B) updates: the update that crosses the last border ends training.
    return math.ceil(period * len(dataset) / batch_size - 1e-9)


def short_label(key):
    """A reported name as the bar shows it: ``main/loss`` -> ``loss``, ``validation/main/
    accuracy`` -> ``val/accuracy`` (other names unchanged), so that four values fit beside a
    bar in a notebook's width."""
    if key.startswith("validation/main/"):
        return "val/" + key[len("validation/main/"):]
    return key[len("main/"):] if key.startswith("main/") else key


class TrainingProgress(extension.Extension):
    """A ``Trainer`` extension: one progress bar over all iterations of the run.

    Args:
        keys: reported values to show next to the bar, e.g. ``["main/loss",
            "validation/main/accuracy"]``; by default every reported value whose name ends in
            ``loss`` or ``accuracy``. An empty list shows none.
        desc: the bar's title.
    """

    trigger = (1, "iteration")
    priority = extension.PRIORITY_READER      # after the reports of the iteration are in
    name = "TrainingProgress"

    def __init__(self, keys=None, desc="training"):
        self.keys = keys
        self.desc = desc
        self._bar = None
        self._shown = {}
        self._failed = False

    def initialize(self, trainer):
        total = planned_iterations(trainer)
        start = trainer.updater.iteration
        self._close()
        self._bar = progress(desc=self.desc, total=total, initial=start, unit="it")
        self._shown = {}

    def _wanted(self, key):
        if self.keys is not None:
            return key in self.keys
        return key.endswith("loss") or key.endswith("accuracy")

    def __call__(self, trainer):
        if self._bar is None:
            self.initialize(trainer)
        for key, value in trainer.observation.items():
            if self._wanted(key):
                try:
                    self._shown[key] = float(chainer.backend.CpuDevice().send(
                        getattr(value, "array", value)))
                except (TypeError, ValueError):
                    continue
        self._bar.set_postfix({"epoch": trainer.updater.epoch,
                               **{short_label(k): f"{v:.4g}" for k, v in self._shown.items()}},
                              refresh=False)
        self._bar.update(trainer.updater.iteration - self._bar.n)

    def on_error(self, trainer, exc, tb):
        self._failed = True          # a failed run keeps its bar short of 100 %

    def finalize(self, trainer=None):
        """Training ended: an early stop ends the bar at 100 % of what actually ran."""
        bar = self._bar
        # the trainer calls finalize in a `finally`: an exception on its way (a failure, the
        # stop button's KeyboardInterrupt) is visible here, and the bar stays where it stopped
        interrupted = self._failed or sys.exc_info()[0] is not None
        if (bar is not None and not interrupted and bar.total is not None
                and bar.n < bar.total):
            bar.total = bar.n
            bar.set_description(f"{self.desc} (stopped early)", refresh=False)
        self._close()

    def _close(self):
        if self._bar is not None:
            self._bar.refresh()
            self._bar.close()
            self._bar = None
