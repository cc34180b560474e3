"""mlkit.training.progress: a bar that reaches 100 %, knows its total and prints plain text."""
import io
import math

import mlkit  # noqa: F401  (before chainer)
import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
import pytest
from chainer import training
from chainer.datasets import TupleDataset
from chainer.iterators import SerialIterator
from chainer.training import extensions, triggers

from mlkit.training import progress as progress_module
from mlkit.training.progress import TrainingProgress, planned_iterations, progress, short_label


@pytest.fixture
def captured(monkeypatch):
    """Everything the bars print, as a terminal (not a tty) would receive it."""
    stream = io.StringIO()
    real = progress_module.progress

    def into_stream(*args, **options):
        options.setdefault("file", stream)
        return real(*args, **options)

    monkeypatch.setattr(progress_module, "progress", into_stream)
    return stream


def make_trainer(stop, n=50, batch=8, extra=()):
    mlkit.seed(0)
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    t = (x[:, 0] > 0).astype(np.int32)
    classifier = L.Classifier(L.Linear(3, 2))
    optimizer = chainer.optimizers.SGD(lr=0.1)
    optimizer.setup(classifier)
    train_iter = SerialIterator(TupleDataset(x, t), batch)
    updater = training.updaters.StandardUpdater(train_iter, optimizer)
    trainer = training.Trainer(updater, stop, out="/tmp/mlkit-progress-test")
    for extra_extension in extra:
        trainer.extend(extra_extension)
    bar = TrainingProgress()
    trainer.extend(bar)
    return trainer, bar, (x, t)


def final_line(text):
    return [part for part in text.replace("\n", "\r").split("\r") if part.strip()][-1]


def test_epochs_give_the_exact_number_of_iterations_and_end_at_100_percent(captured):
    trainer, bar, _ = make_trainer((3, "epoch"))
    assert planned_iterations(trainer) == math.ceil(3 * 50 / 8) == 19
    trainer.run()
    assert trainer.updater.iteration == 19
    text = captured.getvalue()
    last = final_line(text)
    assert "100%" in last and "19/19" in last, last
    assert "loss=" in last and "epoch=3" in last and "main/" not in last, last
    assert "\x1b" not in text, "no terminal control codes"
    assert "inf" not in text


def test_iteration_limit_and_resume_start_where_the_trainer_stands(captured):
    trainer, bar, _ = make_trainer((12, "iteration"))
    trainer.updater.iteration = 5          # as after loading a snapshot
    assert planned_iterations(trainer) == 12
    trainer.run()
    last = final_line(captured.getvalue())
    assert "12/12" in last and "100%" in last, last


def test_early_stopping_ends_the_bar_at_100_percent_of_what_ran(captured):
    n = 40
    x = np.random.default_rng(1).normal(size=(n, 3)).astype(np.float32)
    t = np.zeros(n, np.int32)   # nothing to learn after the first epochs: the stopper fires
    stop = triggers.EarlyStoppingTrigger(monitor="main/loss", patience=1, check_trigger=(1, "epoch"),
                                         max_trigger=(500, "epoch"), mode="min")
    trainer, bar, _ = make_trainer(stop, n=n, batch=40)
    trainer.updater.get_iterator("main").dataset = TupleDataset(x, t)
    # a loss that stops improving at once: learning rate 0
    trainer.updater.get_optimizer("main").lr = 0.0
    trainer.extend(extensions.LogReport(log_name=None), trigger=(1, "epoch"))
    trainer.run()
    ran = trainer.updater.iteration
    assert ran < 500
    last = final_line(captured.getvalue())
    assert f"{ran}/{ran}" in last and "100%" in last and "stopped early" in last, last


def test_an_interrupted_run_is_not_shown_as_complete(captured):
    def interrupt(trainer):
        if trainer.updater.iteration == 3:
            raise KeyboardInterrupt

    trainer, bar, _ = make_trainer((10, "iteration"), extra=[interrupt])
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    assert "100%" not in final_line(captured.getvalue())


def test_progress_helper_is_a_plain_tqdm_outside_a_notebook():
    stream = io.StringIO()
    assert sum(progress(range(7), desc="demo", file=stream)) == 21
    last = final_line(stream.getvalue())
    assert "demo" in last and "7/7" in last and "100%" in last


@pytest.mark.parametrize("key, label", [("main/loss", "loss"),
                                        ("validation/main/accuracy", "val/accuracy"),
                                        ("gen/loss", "gen/loss"), ("lr", "lr")])
def test_the_bar_shows_short_names(key, label):
    assert short_label(key) == label
