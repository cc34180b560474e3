"""Loops the lessons share: minibatches, prediction and evaluation in test mode, and a Chainer
``Trainer`` wired up with the usual extensions.

The lessons write these loops themselves first; the library's versions serve the benchmark
scripts, the reference models and the later lessons. Arrays go in as NumPy; each minibatch is
sent to the model's device (``model.device``), so the same code runs on a GPU.
"""
import chainer
import chainer.functions as F
import numpy

from mlkit.device import to_numpy


def minibatches(x, t, batch_size, shuffle=False, seed=None):
    """Yield ``(x[i], t[i])`` for consecutive index blocks ``i`` of at most ``batch_size``.

    With ``shuffle`` the blocks come from a random permutation (``seed`` fixes it); the last
    block may be smaller. Every example appears exactly once.
    """
    if len(x) != len(t):
        raise ValueError(f"x and t differ in length: {len(x)} vs {len(t)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = (numpy.random.default_rng(seed).permutation(len(x)) if shuffle
             else numpy.arange(len(x)))
    for start in range(0, len(x), batch_size):
        index = order[start:start + batch_size]
        yield x[index], t[index]


def predict(model, x, batch_size=500, device=None, *, forward=None, dtype=None,
            row_shape=(0,)):
    """``model(x)`` in test mode, batch by batch, without a graph: a NumPy array.

    Test mode (``chainer.config.train = False``) switches dropout off and makes batch
    normalization use its running averages; ``no_backprop_mode`` skips building the graph.

    Args:
        model: a ``chainer.Link``, or a plain function of an array (run in test mode too).
        x: N inputs, shape (N, ...): NumPy, CuPy or anything NumPy reads.
        batch_size: rows per forward pass; None: all N at once.
        device: where each batch is sent before the call (default: the model's own device;
            for a plain function, NumPy).
        forward: what to call on each batch instead of ``model`` (e.g. ``model.features``,
            or ``lambda b: F.sigmoid(model(b))``).
        dtype: cast each batch to this first (e.g. ``numpy.float32``); default as it is.
        row_shape: the shape of one output row, used only when ``x`` is empty.

    Returns:
        NumPy (N, ...): the outputs stacked along the first axis (a ``Variable`` is read
        through its ``.array``); (0, *row_shape) float32 for an empty ``x``.
    """
    forward = model if forward is None else forward
    if device is not None:
        device = chainer.get_device(device)
    elif isinstance(model, chainer.Link):
        device = model.device
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    step = max(len(x), 1) if batch_size is None else batch_size
    outputs = []
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for start in range(0, len(x), step):
            batch = to_numpy(x[start:start + step])
            if dtype is not None:
                batch = batch.astype(dtype)
            outputs.append(to_numpy(forward(batch if device is None else device.send(batch))))
    if not outputs:
        return numpy.zeros((0, *row_shape), numpy.float32)
    return numpy.concatenate(outputs)


def evaluate(model, x, t, batch_size=500):
    """``(mean softmax cross-entropy, accuracy)`` of ``model`` on ``(x, t)``, in test mode.

    Both are means over examples (a smaller last batch counts by its size), as Python floats.
    """
    if len(x) != len(t) or len(x) == 0:
        raise ValueError(f"need as many labels as inputs, and at least one: {len(x)}, {len(t)}")
    total_loss, correct = 0.0, 0
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for xb, tb in minibatches(x, t, batch_size):
            scores = model(model.device.send(xb))
            labels = model.device.send(tb)
            total_loss += float(F.softmax_cross_entropy(scores, labels).array) * len(xb)
            correct += int((scores.array.argmax(axis=1) == labels).sum())
    return total_loss / len(x), correct / len(x)


def make_trainer(model, train, validation=None, *, epochs, batch_size=64, optimizer=None,
                 out="result", device=None, lr_decay=None, progress=True, plots=True,
                 snapshot=False):
    """A ``chainer.training.Trainer`` that trains ``model`` to classify; not run yet.

    Args:
        model: a Chain returning class scores; it is wrapped in ``L.Classifier`` (softmax
            cross-entropy loss, accuracy reported as ``main/loss``, ``main/accuracy``).
        train, validation: datasets of ``(x, t)`` examples (``TupleDataset``, ...).
        epochs: length of the run.
        optimizer: default ``Adam()``.
        out: folder for the log, plots and snapshots.
        device: default :func:`mlkit.get_device`.
        lr_decay: multiply the learning rate by this after every epoch (``ExponentialShift``).
        progress: show a progress bar (:class:`mlkit.training.progress.TrainingProgress`, which
            renders in JupyterLab and in a terminal).
        plots: write ``loss.png`` and ``accuracy.png`` with ``PlotReport``.
        snapshot: save the whole trainer every epoch (``snapshot_epoch_N``; the last two kept).

    Returns the trainer; ``trainer.run()`` trains, and
    ``trainer.get_extension('LogReport').log`` holds the per-epoch numbers afterwards.
    """
    import chainer.links as L
    from chainer import training
    from chainer.training import extensions

    from mlkit.device import get_device

    device = get_device() if device is None else chainer.get_device(device)
    classifier = L.Classifier(model)
    classifier.to_device(device)
    optimizer = chainer.optimizers.Adam() if optimizer is None else optimizer
    optimizer.setup(classifier)
    train_iter = chainer.iterators.SerialIterator(train, batch_size)
    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (epochs, "epoch"), out=str(out))
    keys = ["main/loss"], ["main/accuracy"]
    if validation is not None:
        validation_iter = chainer.iterators.SerialIterator(validation, 500, repeat=False,
                                                           shuffle=False)
        trainer.extend(extensions.Evaluator(validation_iter, classifier, device=device))
        keys = ["main/loss", "validation/main/loss"], ["main/accuracy", "validation/main/accuracy"]
    if lr_decay is not None:
        rate = "alpha" if isinstance(optimizer, chainer.optimizers.Adam) else "lr"
        trainer.extend(extensions.ExponentialShift(rate, lr_decay), trigger=(1, "epoch"))
    trainer.extend(extensions.LogReport())
    if plots:
        trainer.extend(extensions.PlotReport(keys[0], "epoch", filename="loss.png"))
        trainer.extend(extensions.PlotReport(keys[1], "epoch", filename="accuracy.png"))
    if snapshot:
        trainer.extend(extensions.snapshot(filename="snapshot_epoch_{.updater.epoch}",
                                           n_retains=2), trigger=(1, "epoch"))
    if progress:
        from mlkit.training.progress import TrainingProgress
        trainer.extend(TrainingProgress())
    return trainer


def train_with_trainer(model, train, validation=None, **options):
    """:func:`make_trainer` with the same arguments, run to the end; returns the trainer."""
    trainer = make_trainer(model, train, validation, **options)
    trainer.run()
    return trainer
