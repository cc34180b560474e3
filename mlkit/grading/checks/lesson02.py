"""Checks of lesson 2, "Classifying handwritten digits".

Every check builds its own small inputs with a fixed seed and compares the learner's function
with a reference computed here. Checks of one exercise never call another exercise's answer:
the training-loop and evaluation checks run on mlkit's own models (``mlkit.models``), so a
mistake in the learner's MLP costs points only in the MLP exercise.
"""
import numpy as np

from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

lesson = Lesson(2, "Classifying handwritten digits", notebook="02_mnist_classification")
lesson.exercise("2.1", "Pixels to float32 inputs, int32 labels")
lesson.exercise("2.2", "An MLP as a chainer.Chain")
lesson.exercise("2.3", "Accuracy")
lesson.exercise("2.4", "One training epoch")
lesson.exercise("2.5", "Evaluation in test mode")
lesson.exercise("2.6", "The confusion matrix")
lesson.exercise("2.7", "A small CNN")


def _chainer():
    import mlkit  # noqa: F401  (makes Chainer importable on today's NumPy)
    import chainer
    return chainer


def mlkit_seed(value):
    import mlkit
    mlkit.seed(value)


def _array(value):
    """A Variable's array, or the value itself."""
    return getattr(value, "array", value)


def _is_float(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return np.ndim(value) == 0


# --- 2.1 prepare ----------------------------------------------------------------------------

def _raw_digits(n=6, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, n).astype(np.uint8)   # the MNIST file stores uint8 labels
    return images, labels


def _prepared(nb):
    images, labels = _raw_digits()
    kept = images.copy(), labels.copy()
    result = nb.prepare(images, labels)
    expect(isinstance(result, tuple) and len(result) == 2,
           f"prepare should return a pair (x, t), got {type(result).__name__}")
    expect(np.array_equal(images, kept[0]) and np.array_equal(labels, kept[1]),
           "prepare changed the arrays it was given; compute new arrays instead")
    return images, labels, result


@lesson.check("2.1", points=2)
def images_become_float32_in_unit_range(nb):
    images, _, (x, _) = _prepared(nb)
    expect(isinstance(x, np.ndarray), f"x should be a NumPy array, got {type(x).__name__}")
    expect(x.dtype == np.float32,
           f"x has dtype {x.dtype}, but Chainer's layers hold float32 weights and need float32 "
           "inputs (images / 255 gives float64): convert with .astype(np.float32)")
    expect(x.shape == (6, 1, 28, 28),
           f"for 6 images x should have shape (6, 1, 28, 28) (examples, channels, height, "
           f"width), got {x.shape}: reshape to add the single color channel")
    expect(x.max() <= 1.0 and x.min() >= 0.0,
           f"x holds values from {x.min():g} to {x.max():g}; scale the pixels 0..255 into "
           "[0, 1] by dividing by 255")
    expected = images.reshape(6, 1, 28, 28) / 255.0
    expect(np.allclose(x, expected, atol=1e-6),
           "x should be the pixels divided by 255, in the same order; yours differ by up to "
           f"{np.abs(x - expected).max():.3g}")


@lesson.check("2.1", points=1)
def labels_become_int32(nb):
    _, labels, (_, t) = _prepared(nb)
    expect(isinstance(t, np.ndarray), f"t should be a NumPy array, got {type(t).__name__}")
    expect(t.dtype == np.int32,
           f"t has dtype {t.dtype}; F.softmax_cross_entropy wants int32 class labels: "
           "convert with .astype(np.int32)")
    expect(t.shape == labels.shape and np.array_equal(t, labels),
           f"t should hold the same labels {labels.tolist()}, got {t.tolist()}")


# --- 2.2 MLP --------------------------------------------------------------------------------

def _images(n, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28)).astype(np.float32)


def _build(nb, name, *args, **kwargs):
    chainer = _chainer()
    model = getattr(nb, name)(*args, **kwargs)
    expect(isinstance(model, chainer.Link),
           f"{name}(...) should create a chainer.Chain, got {type(model).__name__}: write "
           f"`class {name}(chainer.Chain):`")
    return model


def _scores_shape_hint(name, y, n, n_out):
    shape = tuple(_array(y).shape)
    hint = f"{name} should return class scores of shape ({n}, {n_out}), got {shape}"
    if len(shape) == 2 and shape[0] == n and shape[1] != n_out:
        hint += f": the last layer needs n_out={n_out} outputs, one per class (use n_out)"
    return hint


@lesson.check("2.2", points=1)
def mlp_returns_ten_scores(nb):
    mlkit_seed(0)
    model = _build(nb, "MLP", n_hidden=20)
    for x in (_images(4), _images(4).reshape(4, 784)):
        y = model(x)
        expect(tuple(_array(y).shape) == (4, 10), _scores_shape_hint("MLP(n_hidden=20)", y, 4, 10))
    y = _build(nb, "MLP", n_hidden=20, n_out=3)(_images(4))
    expect(tuple(_array(y).shape) == (4, 3), _scores_shape_hint("MLP(n_hidden=20, n_out=3)",
                                                                y, 4, 3))


@lesson.check("2.2", points=1)
def mlp_hidden_layer_has_n_hidden_units(nb):
    mlkit_seed(0)
    model = _build(nb, "MLP", n_hidden=20)
    model(_images(2))
    shapes = sorted({tuple(p.shape) for p in model.params() if p.array is not None})
    expect((20, 784) in shapes,
           f"MLP(n_hidden=20) should start with a layer of 20 units, whose weights have shape "
           f"(20, 784); its weights have shapes {shapes}")


@lesson.check("2.2", points=1)
def mlp_is_nonlinear_and_trainable(nb):
    _chainer()
    import chainer.functions as F
    mlkit_seed(0)
    model = _build(nb, "MLP", n_hidden=20)
    x = np.random.default_rng(1).normal(size=(8, 784)).astype(np.float32)
    zero = _array(model(np.zeros_like(x)))
    twisted = _array(model(x)) + _array(model(-x)) - 2 * zero   # zero for a linear model
    expect(np.abs(twisted).max() > 1e-4,
           "your MLP is a linear function of its input (f(x) + f(-x) = 2 f(0)): stacked "
           "linear layers collapse into one; apply F.relu to each hidden layer's output")
    model.cleargrads()
    loss = F.softmax_cross_entropy(model(x), np.arange(8, dtype=np.int32) % 10)
    loss.backward()
    stuck = [name for name, p in model.namedparams() if p.grad is None or not np.any(p.grad)]
    expect(not stuck, f"no gradient reaches {', '.join(stuck)}: every layer must be used in "
                      "forward, and registered inside `with self.init_scope():`")


# --- 2.3 accuracy ---------------------------------------------------------------------------

@lesson.check("2.3", points=2)
def accuracy_is_fraction_of_correct_argmax(nb):
    rng = np.random.default_rng(3)
    for n, k in ((10, 10), (7, 3), (1, 10), (50, 10)):
        scores = rng.normal(size=(n, k)).astype(np.float32)
        labels = rng.integers(0, k, n).astype(np.int32)
        labels[: n // 2] = scores[: n // 2].argmax(axis=1)   # some right, some wrong
        expected = float(np.mean(scores.argmax(axis=1) == labels))
        got = nb.accuracy(scores, labels)
        got = _array(got)
        expect(_is_float(got), f"accuracy should return one number, got {type(got).__name__} "
                               f"of shape {np.shape(got)}")
        got = float(got)
        correct = int(round(expected * n))
        if n > 1 and got == correct and correct != expected:
            expect(False, f"for {n} examples with {correct} right you returned {got:g}, the "
                          "count: return the fraction of correct predictions (divide by N)")
        expect(abs(got - expected) < 1e-6,
               f"for {n} examples with {correct} right the accuracy is {expected:g}, you "
               f"returned {got:g}; the prediction is the argmax over the classes (axis=1)")


# --- 2.4 one training epoch -----------------------------------------------------------------

def _epoch_setup(seed=0):
    chainer = _chainer()
    from chainer.datasets import TupleDataset
    from chainer.iterators import SerialIterator

    from mlkit.models import MLP
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 8)).astype(np.float32)
    t = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0.5).astype(np.int32)
    mlkit_seed(seed)
    model = MLP(n_hidden=6, n_out=3)
    model(x[:1])   # create the lazily sized weights now, so that copies start equal
    optimizer = chainer.optimizers.SGD(lr=0.1)
    optimizer.setup(model)
    iterator = SerialIterator(TupleDataset(x, t), 10, shuffle=False)
    return model, optimizer, iterator, (x, t)


def _reference_epoch(model, optimizer, data, clear=True, update=True, n_batches=4):
    import chainer.functions as F
    x, t = data
    losses = []
    for start in range(0, 10 * n_batches, 10):
        loss = F.softmax_cross_entropy(model(x[start:start + 10]), t[start:start + 10])
        if clear:
            model.cleargrads()
        loss.backward()
        if update:
            optimizer.update()
        losses.append(float(loss.array))
    return float(np.mean(losses))


def _params(model):
    return {name: p.array.copy() for name, p in model.namedparams()}


def _same(a, b):
    return all(np.allclose(a[k], b[k], atol=1e-5, equal_nan=True) for k in a)


def _learner_epoch(nb):
    chainer = _chainer()
    model, optimizer, iterator, _ = _epoch_setup()
    loss = nb.train_epoch(model, optimizer, iterator, chainer.get_device("@numpy"))
    return model, iterator, loss


@lesson.check("2.4", points=2, timeout=20)
def epoch_updates_like_sgd_on_each_minibatch(nb):
    model, iterator, _ = _learner_epoch(nb)
    got = _params(model)
    expect(iterator.epoch_detail == 1,
           f"after one call the iterator should have finished exactly one epoch (4 minibatches "
           f"of 10), but it is at epoch {iterator.epoch_detail:g}: stop right after the "
           "minibatch on which iterator.is_new_epoch becomes True")
    variants = {}
    for name, options in {"right": {}, "no_clear": {"clear": False},
                          "no_update": {"update": False}}.items():
        reference, optimizer, _, data = _epoch_setup()
        _reference_epoch(reference, optimizer, data, **options)
        variants[name] = _params(reference)
    if _same(got, variants["right"]):
        return
    expect(not _same(got, variants["no_update"]),
           "the parameters did not change: call optimizer.update() after loss.backward()")
    expect(not _same(got, variants["no_clear"]),
           "your updates use gradients that pile up from one minibatch to the next (and "
           "Chainer fills new gradients with NaN until they are cleared): call "
           "model.cleargrads() before loss.backward() on every minibatch")
    expect(False, "after one epoch the parameters differ from one SGD step per minibatch "
                  "(forward, F.softmax_cross_entropy, cleargrads, backward, optimizer.update)")


@lesson.check("2.4", points=1, timeout=20)
def epoch_returns_mean_minibatch_loss(nb):
    _, _, loss = _learner_epoch(nb)
    reference, optimizer, _, data = _epoch_setup()
    expected = _reference_epoch(reference, optimizer, data)
    loss = _array(loss)
    expect(_is_float(loss), f"train_epoch should return the mean loss as one number, got "
                            f"{type(loss).__name__}")
    expect(not np.isnan(float(loss)),
           "train_epoch returned nan: Chainer fills new gradients with NaN until they are "
           "cleared, so without model.cleargrads() before loss.backward() the first update "
           "breaks the model")
    expect(abs(float(loss) - expected) < 1e-4,
           f"train_epoch should return the mean of the 4 minibatch losses, {expected:.4f}; "
           f"got {float(loss):.4f}")


# --- 2.5 evaluation in test mode ------------------------------------------------------------

def _evaluation_setup(n=30, batch_size=10):
    chainer = _chainer()
    from mlkit.models import CNN
    mlkit_seed(2)
    model = CNN(n_out=10, channels=(4, 8), n_hidden=16)
    x = _images(n, seed=5)
    t = np.random.default_rng(5).integers(0, 10, n).astype(np.int32)
    for _ in range(3):   # give batch normalization running averages that differ from 0 and 1
        model(_images(16, seed=6) * 2)
    return model, _iterator(x, t, batch_size), (x, t), chainer.get_device("@numpy")


def _iterator(x, t, batch_size):
    from chainer.datasets import TupleDataset
    from chainer.iterators import SerialIterator
    return SerialIterator(TupleDataset(x, t), batch_size, repeat=False, shuffle=False)


def _test_mode_reference(model, x, t):
    chainer = _chainer()
    import chainer.functions as F
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = model(x)
        return float(F.softmax_cross_entropy(y, t).array), float(np.mean(y.array.argmax(1) == t))


def _pair(result):
    expect(isinstance(result, tuple) and len(result) == 2,
           f"evaluate should return a pair (mean loss, accuracy), got {type(result).__name__}")
    loss, acc = (_array(v) for v in result)
    expect(_is_float(loss) and _is_float(acc),
           "evaluate should return two numbers (mean loss, accuracy)")
    return float(loss), float(acc)


@lesson.check("2.5", points=2, timeout=20)
def evaluation_runs_in_test_mode(nb):
    model, iterator, (x, t), device = _evaluation_setup()
    running_mean = model.bn1.avg_mean.copy()
    expected = _test_mode_reference(model, x, t)
    first = _pair(nb.evaluate(model, iterator, device))
    second = _pair(nb.evaluate(model, _iterator(x, t, 10), device))
    expect(np.allclose(first, second, atol=1e-6),
           f"two evaluations of the same model gave different results ({first[0]:.4f}, "
           f"{first[1]:.4f}) and ({second[0]:.4f}, {second[1]:.4f}): dropout is still on; "
           "evaluate inside `with chainer.using_config('train', False):`")
    expect(np.array_equal(model.bn1.avg_mean, running_mean),
           "evaluation changed the running averages of batch normalization, which happens in "
           "training mode only; evaluate inside `with chainer.using_config('train', False):`")
    expect(np.allclose(first, expected, atol=1e-5),
           f"expected (loss, accuracy) = ({expected[0]:.4f}, {expected[1]:.4f}) from a test-mode "
           f"forward pass, got ({first[0]:.4f}, {first[1]:.4f}): evaluate the model's output "
           "on every batch with F.softmax_cross_entropy, inside "
           "`with chainer.using_config('train', False):`")


def _mean_of_batch_means(model, x, t, batch_size):
    """What an evaluation that averages the batch means (ignoring their sizes) returns."""
    results = [_test_mode_reference(model, x[i:i + batch_size], t[i:i + batch_size])
               for i in range(0, len(x), batch_size)]
    return tuple(float(v) for v in np.mean(results, axis=0))


@lesson.check("2.5", points=1, timeout=20)
def evaluation_weights_batches_and_can_repeat(nb):
    chainer = _chainer()
    model, iterator, (x, t), device = _evaluation_setup(n=30, batch_size=7)
    expected = _test_mode_reference(model, x, t)
    # Test mode is set from outside: this check is about the averaging (the one above is
    # about test mode), so each mistake costs points once.
    with chainer.using_config("train", False):
        got = _pair(nb.evaluate(model, iterator, device))
    if not np.allclose(got, expected, atol=1e-5):
        unweighted = _mean_of_batch_means(model, x, t, 7)
        expect(not np.allclose(got, unweighted, atol=1e-5),
               f"with 30 examples in batches of 7 (the last holds 2) expected "
               f"({expected[0]:.4f}, {expected[1]:.4f}), got ({got[0]:.4f}, {got[1]:.4f}), the "
               "mean of the batch means: weight each batch by its size (sum over examples, "
               "then divide by their number)")
        expect(False, f"with 30 examples in batches of 7 expected ({expected[0]:.4f}, "
                      f"{expected[1]:.4f}), got ({got[0]:.4f}, {got[1]:.4f}): every example "
                      "must count once, the last, smaller batch too")
    with chainer.using_config("train", False):
        again = _pair(nb.evaluate(model, iterator, device))
    expect(np.allclose(again, expected, atol=1e-5),
           f"a second call with the same iterator gave ({again[0]:.4f}, {again[1]:.4f}) instead "
           "of the same result: call iterator.reset() at the start, so that every "
           "evaluation sees the whole set")


# --- 2.6 confusion matrix -------------------------------------------------------------------

@lesson.check("2.6", points=2)
def confusion_matrix_counts_true_rows_predicted_columns(nb):
    rng = np.random.default_rng(4)
    for n, k in ((60, 4), (25, 10), (5, 10)):
        true = rng.integers(0, k, n).astype(np.int32)
        predicted = np.where(rng.random(n) < 0.6, true, rng.integers(0, k, n)).astype(np.int32)
        predicted[0], true[0] = 0, k - 1   # at least one asymmetric error
        expected = np.zeros((k, k), np.int64)
        np.add.at(expected, (true, predicted), 1)
        got = np.asarray(_array(nb.confusion_matrix(true, predicted, n_classes=k)))
        expect(got.shape == (k, k),
               f"with n_classes={k} the matrix should have shape ({k}, {k}), got {got.shape}"
               " (classes that never occur still get a row and a column)")
        expect(np.issubdtype(got.dtype, np.integer),
               f"the matrix holds counts: use an integer dtype, got {got.dtype}")
        if np.array_equal(got, expected.T) and not np.array_equal(got, expected):
            expect(False, "your matrix is transposed: rows are the true classes and columns "
                          "the predicted ones, M[true, predicted] += 1")
        expect(np.array_equal(got, expected),
               f"for {n} examples the matrix should count M[i, j] = examples of true class i "
               f"predicted as j; yours differs in {int(np.sum(got != expected))} cells "
               f"(its total is {int(got.sum())}, expected {n})")


# --- 2.7 CNN --------------------------------------------------------------------------------

@lesson.check("2.7", points=1, timeout=20)
def cnn_returns_ten_scores(nb):
    chainer = _chainer()
    mlkit_seed(0)
    model = _build(nb, "CNN")
    x = _images(6)
    with chainer.using_config("train", False):
        y = model(x)
    expect(tuple(_array(y).shape) == (6, 10), _scores_shape_hint("CNN()", y, 6, 10))
    y = _build(nb, "CNN", n_out=3)(x)
    expect(tuple(_array(y).shape) == (6, 3), _scores_shape_hint("CNN(n_out=3)", y, 6, 3))


@lesson.check("2.7", points=1, timeout=20)
def cnn_has_convolution_batchnorm_and_pooling(nb):
    chainer = _chainer()
    import chainer.links as L
    mlkit_seed(0)
    model = _build(nb, "CNN")
    with chainer.using_config("train", False):
        model(_images(2))
    kinds = {type(link) for link in model.links()}
    expect(L.Convolution2D in kinds,
           "your CNN has no convolution layer: add L.Convolution2D links (and use them)")
    expect(L.BatchNormalization in kinds,
           "your CNN has no batch normalization: add L.BatchNormalization after a convolution")
    size = sum(p.size for p in model.params())
    expect(size < 2_000_000,
           f"your CNN has {size:,} parameters, almost all in the dense layer that reads full "
           "28x28 feature maps: shrink them with F.max_pooling_2d(h, 2) after each conv block")


@lesson.check("2.7", points=1, timeout=20)
def cnn_dropout_only_in_training(nb):
    chainer = _chainer()
    mlkit_seed(0)
    model = _build(nb, "CNN")
    x = _images(8)
    with chainer.using_config("train", False):
        test_a, test_b = _array(model(x)), _array(model(x))
        alone = _array(model(x[:3]))
    expect(np.allclose(test_a, test_b),
           "in test mode two forward passes over the same images gave different scores: use "
           "F.dropout (it does nothing in test mode), not your own random masks")
    expect(np.allclose(test_a[:3], alone, atol=1e-4),
           "in test mode an image's scores changed with the other images in its batch: use "
           "L.BatchNormalization, which uses its running averages in test mode")
    train_a, train_b = _array(model(x)), _array(model(x))
    expect(not np.allclose(train_a, train_b),
           "in training mode two forward passes over the same batch gave the same scores: add "
           "dropout (F.dropout) before the dense layers")


@lesson.check("2.7", points=1, timeout=20)
def cnn_gradients_reach_every_layer(nb):
    import chainer.functions as F
    mlkit_seed(0)
    model = _build(nb, "CNN")
    model.cleargrads()
    loss = F.softmax_cross_entropy(model(_images(8)), np.arange(8, dtype=np.int32))
    loss.backward()
    stuck = [name for name, p in model.namedparams() if p.grad is None or not np.any(p.grad)]
    expect(not stuck, f"no gradient reaches {', '.join(stuck)}: every layer must be used in "
                      "forward, and registered inside `with self.init_scope():`")
