"""The course's reference digit classifier: a :class:`~mlkit.models.cnn.CNN` trained once by
mlkit itself, never by a learner's code.

Later lessons use it to judge generated digits: its penultimate layer (:func:`embed`) turns
images into feature vectors, and the Frechet distance between the features of two sets of
images measures how alike the sets are.

::

    from mlkit.models.reference import reference_cnn, embed
    cnn = reference_cnn()              # trains on first use (minutes), then loads in a blink
    f = embed(cnn, x)                  # (N, 128) float32 features, test mode

The weights are cached as ``$MLKIT_DATA/models/reference_cnn-<source>-n<N>-e<E>-s<seed>-v<V>.npz``
(see :func:`mlkit.data.mnist.default_cache_dir`); the name holds everything the training depends on,
so a different recipe never loads another recipe's weights. The file is written to a temporary
name and renamed, so a run that is interrupted leaves no half-written cache behind.
"""
import tempfile
from pathlib import Path

import numpy

from mlkit.atomic import atomic_write

VERSION = 1   # bump when the architecture or the recipe changes: old caches are then ignored
FEATURES = 128


def _default_sizes():
    from mlkit.modes import by_mode
    # smoke: seconds, for CI; cpu: a few minutes on 2 cores; gpu: all of MNIST.
    return by_mode(smoke=dict(n_train=1000, epochs=1), cpu=dict(n_train=4000, epochs=8),
                   gpu=dict(n_train=None, epochs=10))


def weights_path(source, n_train, epochs, seed, cache_dir=None):
    """Where the weights of one recipe are cached."""
    from mlkit.data.mnist import default_cache_dir
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    name = f"reference_cnn-{source}-n{n_train}-e{epochs}-s{seed}-v{VERSION}.npz"
    return root / "models" / name


def reference_cnn(source="auto", cache_dir=None, *, n_train=None, epochs=None, seed=0,
                  quiet=False):
    """The trained reference CNN: trained on first use, loaded from the cache afterwards.

    Use it in test mode (:func:`embed` does), so that dropout is off and batch normalization
    uses its running averages.

    Args:
        source: MNIST to train on, as in :func:`mlkit.data.load_mnist` ("auto", "full",
            "offline"); "auto" uses the full set when it is cached or downloadable.
        cache_dir: mlkit's cache root (default ``$MLKIT_DATA`` or ``~/.cache/mlkit``);
            MNIST is read from its ``mnist`` folder, weights go to its ``models`` folder.
        n_train: train on the first ``n_train`` training images (None: all of them).
        epochs: passes over them.
            Both default by run mode: smoke 1,000 images x 1 epoch, cpu 4,000 x 8, gpu all x 10.
        seed: fixes the initial weights, the order of the minibatches and the augmentation.
        quiet: print nothing (no progress bar).

    Returns:
        a :class:`~mlkit.models.cnn.CNN` on the CPU (``mlkit.to_device(model)`` moves it),
        with ``model.reference_info``: a dict with ``source``, ``n_train``, ``epochs``,
        ``seed``, ``test_accuracy`` (on the whole test split of that source) and ``path``.
    """
    from mlkit.data import load_mnist

    sizes = _default_sizes()
    n_train = sizes.n_train if n_train is None else n_train
    epochs = sizes.epochs if epochs is None else epochs
    mnist = load_mnist(source, cache_dir=cache_dir, quiet=quiet)
    available = len(mnist.train_images)
    n_train = available if n_train is None else min(n_train, available)
    path = weights_path(mnist.source, n_train, epochs, seed, cache_dir)
    if path.exists():
        try:
            return _load(path)
        except Exception as error:  # a damaged cache file is retrained, not fatal
            if not quiet:
                print(f"mlkit: {path} could not be read ({error}); training again")
    if not quiet:
        print(f"mlkit: training the reference CNN on {n_train:,} {mnist.source} MNIST images "
              f"for {epochs} epoch(s); the weights will be cached in {path}")
    model, test_accuracy = _train(mnist, n_train, epochs, seed, progress=not quiet)
    _save(model, path, dict(source=mnist.source, n_train=n_train, epochs=epochs, seed=seed,
                            test_accuracy=test_accuracy))
    return _load(path)


def embed(model, x, batch_size=500):
    """The features of ``model`` (``model.features``) for images ``x`` (N, 1, 28, 28) float32
    in [0, 1], in test mode and without a graph: a NumPy array (N, n_features)."""
    from mlkit.training.loops import predict
    return predict(model, x, batch_size, forward=model.features, dtype=numpy.float32,
                   row_shape=(FEATURES,))


def _new_model():
    from mlkit.models.cnn import CNN
    return CNN(n_out=10, n_hidden=FEATURES)   # load_npz also fills lazily sized layers


def _train(mnist, n_train, epochs, seed, progress):
    import chainer
    from chainer.datasets import TransformDataset, TupleDataset

    from mlkit.device import get_device, seed as seed_everything
    from mlkit.training.augment import RandomShift
    from mlkit.training.loops import evaluate, make_trainer

    seed_everything(seed)
    model = _new_model()
    x, t = mnist.as_chainer("train", n=n_train)
    train = TransformDataset(TupleDataset(x, t), RandomShift(2, seed=seed))
    with tempfile.TemporaryDirectory(prefix="mlkit-reference-") as out:
        # The recipe of lesson 2: Adam, learning rate shrinking 20-fold over the run.
        trainer = make_trainer(model, train, epochs=epochs, batch_size=64, out=out,
                               optimizer=chainer.optimizers.Adam(alpha=2e-3),
                               device=get_device(), lr_decay=0.05 ** (1 / max(epochs, 1)),
                               progress=progress, plots=False)
        trainer.run()
    x_test, t_test = mnist.as_chainer("test")
    test_accuracy = evaluate(model, x_test, t_test)[1]   # still on the (fast) training device
    model.to_device("@numpy")
    return model, test_accuracy


def _save(model, path, info):
    """Write the weights and ``info`` to ``path`` atomically (temporary file, then rename)."""
    import chainer
    serializer = chainer.serializers.DictionarySerializer()
    serializer.save(model)
    arrays = dict(serializer.target)
    for key, value in info.items():
        arrays[f"_info/{key}"] = numpy.asarray(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as file:
        numpy.savez(file, **arrays)


def _load(path):
    import chainer
    model = _new_model()
    chainer.serializers.load_npz(str(path), model)
    with numpy.load(path) as stored:
        info = {key[len("_info/"):]: stored[key].item() for key in stored.files
                if key.startswith("_info/")}
    info["path"] = str(path)
    model.reference_info = info
    return model
