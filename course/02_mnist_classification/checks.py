"""Lesson 2, classifying handwritten digits: the checks of its eight exercises.

Each check builds its own data and models and compares the learner's answer with a reference
computed here, so one exercise never depends on another one being right: the training-epoch
and evaluation checks run the learner's loop on models of the grader's own
(:mod:`helpers`, the lesson's worker-side building blocks), made in the worker and here from the same numbers.
Inputs, weights and sizes are drawn fresh for every grading run (``nb.rng``), so an answer
tuned to one run does not fit the next. A typical mistake gets a hint of its own only when the
answer really shows that mistake; otherwise the hint says what was expected and what came back.
"""
import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from mlkit.grading import blocks as fixtures
from . import helpers as fx
from mlkit.grading.check_helpers import (as_pair, expect_raw_scores, make_chain,
                                         param_arrays, real_number, same_params,
                                         type_name)
from mlkit.grading.hints import ExerciseTimeout, Hint, LearnerError, expect, is_a
from mlkit.grading.registry import Lesson

HELPERS = f"{__package__}.helpers"   # the worker imports this lesson's helpers by name

lesson = Lesson(2, "Classifying handwritten digits", notebook="02_mnist_classification")
lesson.exercise("2.1", "Pixels to float32 inputs, int32 labels")
lesson.exercise("2.2", "An MLP as a chainer.Chain")
lesson.exercise("2.3", "Accuracy")
lesson.exercise("2.4", "One training epoch")
lesson.exercise("2.5", "Evaluation in test mode")
lesson.exercise("2.6", "The confusion matrix")
lesson.exercise("2.7", "A small CNN")
lesson.exercise("2.8", "The Trainer, wired by hand")

BLOCKS = "mlkit.grading.blocks"


# ---------------------------------------------------------------------------------------------
# Shared helpers

def _raised_by_learner(nb, error):
    """Whether ``error`` came out of the learner's code (not a hint, a deadline or a lost
    worker): remotely those arrive as LearnerError, locally as themselves."""
    if nb.mode == "local":
        return not isinstance(error, (Hint, ExerciseTimeout))
    return isinstance(error, LearnerError)


def _number(nb, value, what, how):
    """``value`` as a float, or a hint: ``what`` returned it, ``how`` says what to return."""
    expect(not nb.isinstance(value, "chainer.Variable"),
           f"{what} returned a chainer.Variable; return {how} as a Python float, "
           "float(variable.array)")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    number = real_number(value)
    expect(number is not None,
           f"{what} should return {how} as one number (a float), got {type_name(value)}"
           + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
    return number


def _images(rng, n):
    return rng.random((n, 1, 28, 28)).astype(np.float32)


def _linear_weights(rng, n_in, n_out):
    return (rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32),
            rng.normal(0, 0.1, n_out).astype(np.float32))


def _scores_shape_hint(what, shape, n, n_out):
    hint = f"for {n} images {what} should return class scores of shape ({n}, {n_out}), got {shape}"
    if len(shape) == 2 and shape[0] == n and shape[1] != n_out:
        hint += f": the last layer needs n_out={n_out} outputs, one per class (use n_out)"
    return hint


def _train_mode_scores(nb, model, x):
    """The model's output in the default configuration, training mode (the engine resets
    chainer.config before each check, whatever a learner's cell set at its top level).
    ``x`` is copied: in the learner's kernel the model gets the check's own array."""
    return nb.array(model(x.copy()))


def _test_mode_scores(nb, model, x):
    """The model's output in test mode, by the course library's own ``predict``."""
    return nb.array(nb.module("mlkit.training").predict(model, x.copy()))


def _stuck_parameters(nb, model, x, t, what):
    """Names of the parameters that get no gradient from a softmax cross-entropy loss."""
    y = model(x)
    expect(nb.isinstance(y, "chainer.Variable"),
           f"{what} returned {type_name(y)}, not a chainer.Variable: return the Variable that "
           "the last layer computes (not its .array), or no gradient can flow back")
    shape = nb.array(y).shape
    expect(len(shape) == 2 and shape[0] == len(t),
           f"for {len(t)} inputs {what} should return class scores of shape ({len(t)}, n_out), "
           f"got {shape}")
    F = nb.module("chainer.functions")
    loss = F.softmax_cross_entropy(y, t)
    model.cleargrads()
    loss.backward()
    stuck = []
    for name, p in model.namedparams():
        grad = p.grad
        if grad is None or not np.any(nb.array(grad)):
            stuck.append(name)
    return stuck


# ---------------------------------------------------------------------------------------------
# 2.1 prepare

def _raw_digits(rng, label_dtype=np.uint8):
    n = int(rng.integers(4, 10))
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255        # both ends of the range are there
    labels = rng.integers(0, 10, n).astype(label_dtype)
    return images, labels


def _prepared(nb, images, labels):
    """The learner's ``prepare(images, labels)``, checked to be a pair and to leave its inputs
    alone (they stay in the worker, so a change in place shows)."""
    kept_images, kept_labels = nb.keep(images.copy()), nb.keep(labels.copy())
    result = as_pair(nb, nb.prepare(kept_images, kept_labels),
                     "prepare should return a pair (x, t)")
    expect(np.array_equal(nb.array(kept_images), images)
           and np.array_equal(nb.array(kept_labels), labels),
           "prepare changed the arrays it was given; compute new arrays instead")
    return result


@lesson.check("2.1", points=2, timeout=10)
def images_become_float32_in_unit_range(nb):
    images, labels = _raw_digits(nb.rng)
    n = len(images)
    x, _ = _prepared(nb, images, labels)
    expect(isinstance(x, np.ndarray), f"x should be a NumPy array, got {type_name(x)}")
    expect(x.dtype == np.float32,
           f"x has dtype {x.dtype}, but Chainer's layers hold float32 weights and need float32 "
           "inputs: convert with .astype(np.float32)"
           + (" (images / 255 is float64 in NumPy)" if x.dtype == np.float64 else ""))
    if x.shape != (n, 1, 28, 28):
        hint = (f"for {n} images x should have shape ({n}, 1, 28, 28) (examples, channels, "
                f"height, width), got {x.shape}")
        if x.shape == (n, 28, 28):
            hint += ": add the channel axis, reshape(len(images), 1, 28, 28)"
        expect(False, hint)
    expected = images.reshape(n, 1, 28, 28).astype(np.float64) / 255
    if np.array_equal(x, images.reshape(n, 1, 28, 28)):
        expect(False, f"x holds the pixel values 0 to 255; scale them into [0, 1] by dividing "
                      "by 255")
    expect(np.allclose(x, expected, atol=1e-6),
           f"x should be the pixels divided by 255, in the same order; yours differ by up to "
           f"{np.abs(x - expected).max():.3g}")


@lesson.check("2.1", points=1, timeout=10)
def labels_become_int32(nb):
    for label_dtype in (np.uint8, np.int64):          # "labels of any integer type"
        images, labels = _raw_digits(nb.rng, label_dtype)
        _, t = _prepared(nb, images, labels)
        expect(isinstance(t, np.ndarray), f"t should be a NumPy array, got {type_name(t)}")
        expect(t.dtype == np.int32,
               f"for {np.dtype(label_dtype).name} labels t has dtype {t.dtype}; "
               "F.softmax_cross_entropy wants int32 class labels: convert with "
               ".astype(np.int32)"
               + (" (astype(int) gives int64)" if t.dtype == np.int64 else ""))
        expect(t.shape == labels.shape,
               f"for {len(labels)} labels t should have shape {labels.shape}, got {t.shape}")
        expect(np.array_equal(t, labels),
               f"t should hold the same labels {labels.tolist()}, got {t.tolist()}")


# ---------------------------------------------------------------------------------------------
# 2.2 the MLP

@lesson.check("2.2", points=1, timeout=10)
def mlp_returns_ten_scores(nb):
    n, n_hidden = int(nb.rng.integers(3, 9)), int(nb.rng.integers(12, 40))
    model = make_chain(nb, "MLP", n_hidden=n_hidden)
    images = _images(nb.rng, n)
    what = f"MLP(n_hidden={n_hidden})"
    for x in (images, images.reshape(n, 784)):
        y = _train_mode_scores(nb, model, x)
        expect(y.shape == (n, 10), _scores_shape_hint(what, y.shape, n, 10))
        expect_raw_scores(y, what)
    n_out = int(nb.rng.integers(2, 10))
    what = f"MLP(n_hidden={n_hidden}, n_out={n_out})"
    y = _train_mode_scores(nb, make_chain(nb, "MLP", n_hidden=n_hidden, n_out=n_out), images)
    expect(y.shape == (n, n_out), _scores_shape_hint(what, y.shape, n, n_out))


@lesson.check("2.2", points=1, timeout=10)
def mlp_hidden_layer_has_n_hidden_units(nb):
    n_hidden = int(nb.rng.integers(12, 40))
    model = make_chain(nb, "MLP", n_hidden=n_hidden)
    _train_mode_scores(nb, model, _images(nb.rng, 2))   # lazily sized layers get weights here
    params = param_arrays(nb, model, uninitialized=True)
    unused = sorted(name for name, array in params.items() if array is None)
    expect(not unused, f"the parameters {', '.join(unused)} were never created: every layer "
                       "registered in __init__ must be used in forward")
    shapes = sorted(array.shape for array in params.values() if array.ndim == 2)
    expect((n_hidden, 784) in shapes and (n_hidden, n_hidden) in shapes,
           f"MLP(n_hidden={n_hidden}) should have two hidden layers of {n_hidden} units, with "
           f"weights of shapes ({n_hidden}, 784) and ({n_hidden}, {n_hidden}), then the output "
           f"layer; its weights have shapes {shapes}")


@lesson.check("2.2", points=1, timeout=10)
def mlp_is_nonlinear_and_trainable(nb):
    n_hidden = int(nb.rng.integers(12, 40))
    model = make_chain(nb, "MLP", n_hidden=n_hidden)
    x = nb.rng.normal(size=(8, 784)).astype(np.float32)
    f = lambda v: _train_mode_scores(nb, model, v).astype(np.float64)  # noqa: E731
    twisted = f(x) + f(-x) - 2 * f(np.zeros_like(x))   # zero for a linear (affine) model
    expect(np.abs(twisted).max() > 1e-4,
           "your MLP is a linear function of its input (f(x) + f(-x) = 2 f(0)): stacked "
           "linear layers collapse into one; apply F.relu to each hidden layer's output")
    t = nb.rng.integers(0, 10, 8).astype(np.int32)
    stuck = _stuck_parameters(nb, model, x, t, f"MLP(n_hidden={n_hidden})")
    expect(not stuck, f"no gradient reaches {', '.join(stuck)}: every layer must be used in "
                      "forward, and registered inside `with self.init_scope():`")


# ---------------------------------------------------------------------------------------------
# 2.3 accuracy

@lesson.check("2.3", points=2, timeout=10)
def accuracy_is_fraction_of_correct_argmax(nb):
    rng = nb.rng
    for n, k in ((int(rng.integers(8, 13)), 10), (int(rng.integers(5, 9)), 3), (1, 10),
                 (int(rng.integers(40, 60)), 10)):
        scores = rng.normal(size=(n, k)).astype(np.float32)
        labels = rng.integers(0, k, n).astype(np.int32)
        right = rng.random(n) < 0.5
        labels[right] = scores[right].argmax(axis=1)          # some right, some wrong
        expected = float(np.mean(scores.argmax(axis=1) == labels))
        correct = int(round(expected * n))
        got = _number(nb, nb.accuracy(scores.copy(), labels.copy()),
                      f"accuracy(scores of shape {scores.shape}, labels)", "the accuracy")
        if n > 1 and got == correct and correct != expected:
            expect(False, f"for {n} examples with {correct} right you returned {got:g}, the "
                          "count: return the fraction of correct predictions (divide by N)")
        expect(abs(got - expected) < 1e-6,
               f"for {n} examples with {correct} right the accuracy is {expected:g}, you "
               f"returned {got:g}: the fraction of rows whose highest score (argmax over the "
               "classes, axis=1) is at the label")


# ---------------------------------------------------------------------------------------------
# 2.4 one training epoch

def _loss_error_hint(nb, error, what):
    """A hint for a type-check error raised inside a Chainer loss while ``what`` ran: which loss
    refused, worked out from where the error came from. None when there is nothing specific."""
    if not _raised_by_learner(nb, error):
        return None
    if isinstance(error, LearnerError):
        frames, message = error.frames, error.message
    else:
        import traceback
        frames = [(f.filename, f.lineno, f.name)
                  for f in traceback.extract_tb(error.__traceback__)]
        message = str(error)
    type_check = is_a(error, "InvalidType") or "Expr instance cannot be evaluated" in message
    losses = [name for filename, _, name in frames
              if "chainer/functions/loss/" in str(filename).replace("\\", "/")]
    if not type_check or not losses:
        return None
    loss = losses[0]
    if loss == "softmax_cross_entropy":
        # Its type check fails the same way for labels of a float type, of another length or
        # another shape, and the message does not say which: state what it takes.
        return (f"in {what}, Chainer's type check refused the inputs of "
                "F.softmax_cross_entropy: it takes the model's class scores, shape (N, K), and "
                "the minibatch's labels, shape (N,), exactly as concat_examples(batch, device) "
                "returns them (the labels are class indices already); do not convert, reshape "
                "or slice them")
    return (f"{what} computes its loss with F.{loss}, which wants targets shaped like the "
            "model's output; here the labels are class indices, one per example, and the loss "
            "of a classifier is F.softmax_cross_entropy(model(x), t)")


def _call_loop(nb, name, *args):
    """The learner's ``name(*args)`` (train_epoch or evaluate), with the loss diagnosed when
    Chainer's type check refuses it."""
    try:
        return getattr(nb, name)(*args)
    except Exception as error:
        hint = _loss_error_hint(nb, error, name)
        if hint:
            raise Hint(hint) from None
        raise


def _epoch_case(rng):
    batch, n_batches = int(rng.choice([8, 10])), int(rng.integers(3, 6))
    n = batch * n_batches
    x = rng.normal(size=(n, 8)).astype(np.float32)
    t = rng.integers(0, 3, n).astype(np.int32)
    weights = (*_linear_weights(rng, 8, 6), *_linear_weights(rng, 6, 3))
    return {"x": x, "t": t, "batch": batch, "weights": weights,
            "lr": float(rng.uniform(0.05, 0.3))}


def _learner_epoch(nb, case):
    """The learner's train_epoch, once, on a fresh two-layer model with plain SGD."""
    model = nb.module(BLOCKS).two_layer(*case["weights"])
    optimizer = nb.module("chainer.optimizers").SGD(lr=case["lr"])
    optimizer.setup(model)
    iterator = nb.module(HELPERS).iterator(case["x"], case["t"], case["batch"], True)
    device = nb.module("chainer").get_device("@numpy")
    loss = _call_loop(nb, "train_epoch", model, optimizer, iterator, device)
    return model, iterator, loss


def _reference_epoch(case, clear=True, update=True):
    """(parameters, minibatch losses) after one epoch as the lesson teaches it; ``clear`` and
    ``update`` off are the two typical slips."""
    import chainer
    import chainer.functions as F
    model = fixtures.two_layer(*case["weights"])
    optimizer = chainer.optimizers.SGD(lr=case["lr"])
    optimizer.setup(model)
    x, t, batch = case["x"], case["t"], case["batch"]
    losses = []
    for start in range(0, len(x), batch):
        loss = F.softmax_cross_entropy(model(x[start:start + batch]), t[start:start + batch])
        if clear:
            model.cleargrads()
        loss.backward()
        if update:
            optimizer.update()
        losses.append(float(loss.array))
    return fixtures.params(model), losses


@lesson.check("2.4", points=2, timeout=15)
def epoch_updates_like_sgd_on_each_minibatch(nb):
    case = _epoch_case(nb.rng)
    model, iterator, _ = _learner_epoch(nb, case)
    n_batches = len(case["x"]) // case["batch"]
    epoch = iterator.epoch_detail
    expect(epoch == 1,
           f"after one call the iterator should have finished exactly one epoch ({n_batches} "
           f"minibatches of {case['batch']}), but it is at epoch {epoch:g}: stop right after "
           "the minibatch on which iterator.is_new_epoch becomes True")
    got = param_arrays(nb, model, uninitialized=True)
    if same_params(got, _reference_epoch(case)[0], equal_nan=True):
        return
    expect(not same_params(got, fixtures.params(fixtures.two_layer(*case["weights"])),
                           exact=True),
           "the parameters did not change: after loss.backward() call optimizer.update() (and "
           "call model.cleargrads() before loss.backward(), not between it and the update)")
    expect(not same_params(got, _reference_epoch(case, clear=False)[0], equal_nan=True),
           "your updates use gradients that pile up from one minibatch to the next (and "
           "Chainer fills new gradients with NaN until they are cleared): call "
           "model.cleargrads() before loss.backward() on every minibatch")
    expect(False, "after one epoch the parameters differ from one SGD step per minibatch "
                  "(forward, F.softmax_cross_entropy, model.cleargrads(), loss.backward(), "
                  "optimizer.update())")


@lesson.check("2.4", points=1, timeout=15)
def epoch_returns_mean_minibatch_loss(nb):
    case = _epoch_case(nb.rng)
    _, _, loss = _learner_epoch(nb, case)
    loss = _number(nb, loss, "train_epoch", "the mean of the minibatch losses")
    losses = _reference_epoch(case)[1]
    expected = float(np.mean(losses))
    if np.isnan(loss):
        stale = _reference_epoch(case, clear=False)[1]
        expect(not np.isnan(np.mean(stale)),
               "train_epoch returned nan: Chainer fills new gradients with NaN until they are "
               "cleared, so without model.cleargrads() before loss.backward() the first update "
               "breaks the model")
    if abs(loss - expected) >= 1e-4:
        if abs(loss - sum(losses)) < 1e-4:
            expect(False, f"train_epoch returned {loss:.4f}, the sum of the {len(losses)} "
                          f"minibatch losses: return their mean, {expected:.4f}")
        if abs(loss - losses[-1]) < 1e-5:
            expect(False, f"train_epoch returned {loss:.4f}, the loss of the last minibatch: "
                          f"return the mean over all {len(losses)} minibatches, {expected:.4f}")
        expect(False, f"train_epoch should return the mean of the {len(losses)} minibatch losses "
                      f"(each taken before its update), {expected:.4f}; got {loss:.4f}")


# ---------------------------------------------------------------------------------------------
# 2.5 evaluation in test mode

def _pair(nb, result):
    result = as_pair(nb, result, "evaluate should return a pair (mean loss, accuracy)")
    return (_number(nb, result[0], "evaluate", "the mean loss"),
            _number(nb, result[1], "evaluate", "the accuracy"))


def _reference_scores(model, x):
    import chainer
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        return np.asarray(model(x).array)


def _mean_loss_and_accuracy(scores, t):
    """Softmax cross-entropy and accuracy over the rows of ``scores``, in float64."""
    scores = np.asarray(scores, np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(t)), t].mean()), float(np.mean(scores.argmax(1) == t))


def _labels_half_right(rng, scores, k):
    """Labels that the model gets about half right: an accuracy that is not trivially 0.1."""
    t = rng.integers(0, k, len(scores)).astype(np.int32)
    right = rng.random(len(scores)) < 0.5
    t[right] = scores[right].argmax(axis=1)
    return t


@lesson.check("2.5", points=2, timeout=15)
def evaluation_runs_in_test_mode(nb):
    rng = nb.rng
    hidden, k, n, batch = 16, 10, 30, 10
    W1, b1 = _linear_weights(rng, 784, hidden)
    W2, b2 = _linear_weights(rng, hidden, k)
    norm = (rng.uniform(0.5, 1.5, hidden), rng.normal(0, 0.3, hidden),      # gamma, beta
            rng.normal(0, 0.3, hidden), rng.uniform(0.2, 0.6, hidden))      # running averages
    weights = (W1, b1, *[v.astype(np.float32) for v in norm], W2, b2)
    model = nb.module(HELPERS).normalized_dropout(*weights)
    reference = fx.normalized_dropout(*weights)
    x = _images(rng, n)
    scores = _reference_scores(reference, x)
    t = _labels_half_right(rng, scores, k)
    expected = _mean_loss_and_accuracy(scores, t)
    make_iterator, device = (nb.module(HELPERS).iterator,
                             nb.module("chainer").get_device("@numpy"))
    first = _pair(nb, _call_loop(nb, "evaluate", model, make_iterator(x, t, batch, False), device))
    second = _pair(nb, _call_loop(nb, "evaluate", model, make_iterator(x, t, batch, False),
                                  device))
    expect(np.allclose(first, second, atol=1e-6),
           f"two evaluations of the same model gave different results ({first[0]:.4f}, "
           f"{first[1]:.4f}) and ({second[0]:.4f}, {second[1]:.4f}): dropout is still on; "
           "evaluate inside `with chainer.using_config('train', False):`")
    expect(np.allclose(nb.array(model.bn.avg_mean), reference.bn.avg_mean)
           and np.allclose(nb.array(model.bn.avg_var), reference.bn.avg_var),
           "evaluation changed the running averages of batch normalization, which happens in "
           "training mode only; evaluate inside `with chainer.using_config('train', False):`")
    expect(np.allclose(first, expected, atol=1e-5),
           f"expected (loss, accuracy) = ({expected[0]:.4f}, {expected[1]:.4f}) from a test-mode "
           f"forward pass, got ({first[0]:.4f}, {first[1]:.4f}): evaluate the model's output "
           "on every batch with F.softmax_cross_entropy and count the argmax hits, inside "
           "`with chainer.using_config('train', False):`")


@lesson.check("2.5", points=1, timeout=15)
def evaluation_weights_batches_and_can_repeat(nb):
    # A model without dropout or batch normalization: this check is about the averaging and
    # the reset (the one above is about test mode), so each mistake costs points once.
    rng = nb.rng
    batch = 7
    n = int(rng.choice([n for n in range(23, 38) if n % batch]))
    weights = (*_linear_weights(rng, 784, 12), *_linear_weights(rng, 12, 10))
    model = nb.module(BLOCKS).two_layer(*weights)
    x = _images(rng, n)
    scores = _reference_scores(fixtures.two_layer(*weights), x)
    t = _labels_half_right(rng, scores, 10)
    expected = _mean_loss_and_accuracy(scores, t)
    iterator = nb.module(HELPERS).iterator(x, t, batch, False)
    device = nb.module("chainer").get_device("@numpy")
    got = _pair(nb, _call_loop(nb, "evaluate", model, iterator, device))
    last = n % batch
    if not np.allclose(got, expected, atol=1e-5):
        batch_means = [_mean_loss_and_accuracy(scores[i:i + batch], t[i:i + batch])
                       for i in range(0, n, batch)]
        unweighted = tuple(np.mean(batch_means, axis=0))
        expect(not np.allclose(got, unweighted, atol=1e-5),
               f"with {n} examples in batches of {batch} (the last holds {last}) expected "
               f"({expected[0]:.4f}, {expected[1]:.4f}), got ({got[0]:.4f}, {got[1]:.4f}), the "
               "mean of the batch means: weight each batch by its size (sum over examples, "
               "then divide by their number)")
        expect(False, f"with {n} examples in batches of {batch} expected ({expected[0]:.4f}, "
                      f"{expected[1]:.4f}), got ({got[0]:.4f}, {got[1]:.4f}): every example "
                      f"must count once, the last, smaller batch of {last} too")
    # The same, exhausted iterator again: only a reset at the start makes it see the whole set.
    try:
        again = _pair(nb, nb.evaluate(model, iterator, device))
        problem = None if np.allclose(again, expected, atol=1e-5) else \
            f"gave ({again[0]:.4f}, {again[1]:.4f}) instead of the same result"
    except Exception as error:
        if not _raised_by_learner(nb, error):
            raise
        name = error.type_name if isinstance(error, LearnerError) else type(error).__name__
        problem = f"raised {name}"
    expect(problem is None,
           f"a second call with the same iterator {problem}: call iterator.reset() at the "
           "start, so that every evaluation sees the whole set")


# ---------------------------------------------------------------------------------------------
# 2.6 confusion matrix

@lesson.check("2.6", points=2, timeout=10)
def confusion_matrix_counts_true_rows_predicted_columns(nb):
    rng = nb.rng
    for n, k in ((int(rng.integers(50, 80)), int(rng.integers(3, 6))),
                 (int(rng.integers(20, 30)), 10), (5, 10)):
        true = rng.integers(0, k, n).astype(np.int32)
        predicted = np.where(rng.random(n) < 0.6, true, rng.integers(0, k, n)).astype(np.int32)
        predicted[0], true[0] = 0, k - 1   # at least one error that a transpose shows
        expected = np.zeros((k, k), np.int64)
        np.add.at(expected, (true, predicted), 1)
        got = nb.array(nb.confusion_matrix(true.copy(), predicted.copy(), n_classes=k))
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


# ---------------------------------------------------------------------------------------------
# 2.7 the CNN

@lesson.check("2.7", points=1, timeout=15)
def cnn_returns_ten_scores(nb):
    n = int(nb.rng.integers(3, 9))
    x = _images(nb.rng, n)
    y = _test_mode_scores(nb, make_chain(nb, "CNN"), x)
    expect(y.shape == (n, 10), _scores_shape_hint("CNN()", y.shape, n, 10))
    expect_raw_scores(y, "CNN()")
    n_out = int(nb.rng.integers(2, 10))
    y = _test_mode_scores(nb, make_chain(nb, "CNN", n_out=n_out), x)
    expect(y.shape == (n, n_out), _scores_shape_hint(f"CNN(n_out={n_out})", y.shape, n, n_out))


def _links_of_kind(nb, model, kind):
    """``{name: shape of W (None when never created)}`` of the model's links of ``kind``."""
    import chainer.links as L
    qualified = f"{getattr(L, kind).__module__}.{getattr(L, kind).__qualname__}"
    found = {}
    for name, link in model.namedlinks(skipself=True):
        if qualified in nb.type_names(link):
            found[name.lstrip("/")] = _weight_shape(nb, link)
    return found


def _weight_shape(nb, link):
    """A link's weight shape without fetching the weights (None: not created yet)."""
    try:
        return tuple(link.W.shape)
    except Exception as error:
        if _raised_by_learner(nb, error) and is_a(error, "AttributeError"):
            return None
        raise


@lesson.check("2.7", points=1, timeout=15)
def cnn_has_convolution_batchnorm_and_pooling(nb):
    model = make_chain(nb, "CNN")
    _test_mode_scores(nb, model, _images(nb.rng, 2))   # lazily sized layers get weights here
    convolutions = _links_of_kind(nb, model, "Convolution2D")
    expect(convolutions, "your CNN has no convolution layer: add L.Convolution2D links (and "
                         "use them in forward)")
    expect(_links_of_kind(nb, model, "BatchNormalization"),
           "your CNN has no batch normalization: add L.BatchNormalization after each "
           "convolution")
    expect("conv1" in convolutions,
           f"name the first convolution conv1 (self.conv1 = L.Convolution2D(...)): a cell of the "
           f"lesson shows its filters; your convolutions are {sorted(convolutions)}")
    expect(convolutions["conv1"] == (32, 1, 3, 3),
           f"conv1 should have 32 filters of 3x3 on the 1 grey channel, weights of shape "
           f"(32, 1, 3, 3); yours has {convolutions['conv1']}")
    expect((64, 32, 3, 3) in convolutions.values(),
           f"the second convolution should have 64 filters of 3x3 over conv1's 32 channels, "
           f"weights of shape (64, 32, 3, 3); your convolutions have "
           f"{sorted(map(str, convolutions.values()))}")
    dense = {name: shape for name, shape in _links_of_kind(nb, model, "Linear").items()
             if shape is not None and shape[0] == 128}
    expect(dense, "your CNN has no dense layer of 128 units (L.Linear(64 * 7 * 7, 128)) after "
                  "the convolutions")
    inputs = {shape[1] for shape in dense.values()}
    if 64 * 7 * 7 not in inputs:
        hint = (f"the dense layer of 128 reads {sorted(inputs)} numbers per image, but the two "
                "conv blocks should hand it (N, 64, 7, 7) feature maps, 3136 numbers: 3x3 "
                "convolutions with pad=1 keep the size, and each F.max_pooling_2d(h, 2) halves it")
        if 64 * 28 * 28 in inputs:
            hint += "; your feature maps are never pooled"
        elif 64 * 14 * 14 in inputs:
            hint += "; pool after each conv block, not only once"
        expect(False, hint)


@lesson.check("2.7", points=1, timeout=15)
def cnn_dropout_only_in_training(nb):
    model = make_chain(nb, "CNN")
    x = _images(nb.rng, 8)
    test_a, test_b = _test_mode_scores(nb, model, x), _test_mode_scores(nb, model, x)
    alone = _test_mode_scores(nb, model, x[:3])
    expect(np.allclose(test_a, test_b),
           "in test mode two forward passes over the same images gave different scores: use "
           "F.dropout (it does nothing in test mode), not your own random masks")
    expect(np.allclose(test_a[:3], alone, atol=1e-4),
           "in test mode an image's scores changed with the other images in its batch: use "
           "L.BatchNormalization, which uses its running averages in test mode")
    train_a, train_b = _train_mode_scores(nb, model, x), _train_mode_scores(nb, model, x)
    expect(not np.allclose(train_a, train_b),
           "in training mode two forward passes over the same batch gave the same scores: add "
           "dropout (F.dropout) before the dense layers")


@lesson.check("2.7", points=1, timeout=15)
def cnn_gradients_reach_every_layer(nb):
    model = make_chain(nb, "CNN")
    x = _images(nb.rng, 8)
    t = nb.rng.integers(0, 10, 8).astype(np.int32)
    stuck = _stuck_parameters(nb, model, x, t, "CNN()")
    expect(not stuck, f"no gradient reaches {', '.join(stuck)}: every layer must be used in "
                      "forward, and registered inside `with self.init_scope():`")


# ---------------------------------------------------------------------------------------------
# 2.8 The Trainer, wired by hand

def _trainer_case(nb, epochs=None, batch_size=None):
    """The learner's ``make_trainer`` on a small problem of the grader's own (a linear
    classifier of 12 features into 4 classes): ``(trainer, facts, case)``, where ``facts`` is
    what :func:`describe_trainer` says about it and ``case`` the numbers it was made from."""
    rng = nb.rng
    W_true = rng.normal(0, 1, (4, 12))
    n_train = int(rng.integers(64, 81))
    x = rng.normal(0, 1, (n_train + 32, 12)).astype(np.float32)   # 32 to validate on: whole
    t = (x @ W_true.T).argmax(axis=1).astype(np.int32)             # batches of 8, 16 or 32
    W, b = _linear_weights(rng, 12, 4)
    case = {"x_train": x[:n_train], "t_train": t[:n_train], "x_val": x[n_train:],
            "t_val": t[n_train:], "W": W, "b": b,
            "epochs": int(epochs or rng.integers(2, 4)),
            "batch_size": int(batch_size or rng.choice([8, 16])),
            "alpha": float(rng.choice([1e-3, 5e-3, 2e-2]))}
    fixtures_there = nb.module(HELPERS)
    case["out"] = str(fixtures_there.scratch_folder())
    model = nb.module(BLOCKS).linear(W, b)
    train = fixtures_there.dataset(case["x_train"], case["t_train"])
    val = fixtures_there.dataset(case["x_val"], case["t_val"])
    trainer = nb.make_trainer(model, train, val, case["epochs"], case["batch_size"], case["out"],
                              "@numpy", alpha=case["alpha"])
    facts = fixtures_there.describe_trainer(trainer, model, train, val)
    expect(facts["trainer"] == "Trainer",
           f"make_trainer should return the chainer.training.Trainer it built, got "
           f"{facts['trainer']}")
    return trainer, facts, dict(case, model=model)


def _call(case):
    return (f"make_trainer(model, train, val, epochs={case['epochs']}, "
            f"batch_size={case['batch_size']}, out={case['out']!r}, device, "
            f"alpha={case['alpha']:g})")


def _expect_stop_trigger(facts, case):
    stop = facts["stop"]
    expect(stop["type"] == "IntervalTrigger" and stop["unit"] == "epoch"
           and stop["period"] == case["epochs"],
           f"{_call(case)}: the trainer should stop after {case['epochs']} epochs, "
           f"training.Trainer(updater, ({case['epochs']}, 'epoch'), out=out); its stop trigger "
           f"is {stop['type']} every {stop['period']} {stop['unit']}"
           + (" (iterations are minibatches, not passes over the data)"
              if stop["unit"] == "iteration" else ""))


def _expect_evaluator(facts, case):
    evaluators = [e for e in facts["extensions"] if e["type"] == "Evaluator"]
    expect(evaluators, f"{_call(case)}: the trainer has no Evaluator (its extensions: "
                       f"{[e['type'] for e in facts['extensions']]}); add "
                       "trainer.extend(extensions.Evaluator(val_iter, classifier, device=device))")
    evaluator = evaluators[0]
    iterator = evaluator["iterator"]
    expect(iterator is not None and iterator["dataset"] == "val",
           "the Evaluator should read the validation set val (an iterator over it), got one "
           f"over {iterator and iterator['dataset']}")
    expect(iterator["repeat"] is False,
           "the Evaluator's iterator must make one pass and stop: "
           "SerialIterator(val, batch_size, repeat=False, shuffle=False); a repeating one never "
           "ends, and the evaluation with it")
    expect(evaluator["target_is_optimizers"] or evaluator["target_classifies_the_model"],
           "the Evaluator should measure the same L.Classifier that the optimizer trains (it "
           "computes and reports the loss and the accuracy); it got "
           + ("the bare model, which computes neither" if evaluator["target_is_model"]
              else f"a {evaluator['target']} other than the one the optimizer trains"))
    return evaluator


@lesson.check("2.8", points=1, timeout=15)
def trainer_stops_after_epochs_and_writes_to_out(nb):
    _, facts, case = _trainer_case(nb)
    expect(facts["updater"] == "StandardUpdater",
           f"{_call(case)}: the trainer's updater should be a "
           f"training.updaters.StandardUpdater(train_iter, optimizer, device=device), got "
           f"{facts['updater']}")
    _expect_stop_trigger(facts, case)
    expect(facts["out"] == case["out"],
           f"{_call(case)}: the trainer should write to the folder out ({case['out']!r}), "
           f"training.Trainer(..., out=out); it writes to {facts['out']!r}")


@lesson.check("2.8", points=1, timeout=15)
def updater_trains_a_classifier_of_the_model_on_shuffled_batches(nb):
    _, facts, case = _trainer_case(nb)
    expect(facts["updater"] == "StandardUpdater",
           f"the trainer's updater should be a training.updaters.StandardUpdater, got "
           f"{facts['updater']}")
    target, optimizer = facts["target"], facts["optimizer"]
    expect(not target["is_model"],
           "the optimizer trains the bare model: wrap it, classifier = L.Classifier(model), and "
           "set the optimizer up on the classifier; the updater calls optimizer.target(x, t) "
           "and needs the loss that L.Classifier computes")
    expect(target["type"] == "Classifier" and target["predictor_is_model"],
           f"the optimizer should train L.Classifier(model), the model given to make_trainer "
           f"wrapped with its loss; it trains a {target['type']}"
           + ("" if target["type"] != "Classifier" else " of another model"))
    expect(optimizer["type"] == "Adam" and optimizer["alpha"] is not None
           and abs(optimizer["alpha"] - case["alpha"]) < 1e-12,
           f"the optimizer should be chainer.optimizers.Adam(alpha=alpha) with "
           f"alpha={case['alpha']:g}; it is {optimizer['type']} with alpha {optimizer['alpha']}")
    iterator = facts["iterator"]
    expect(iterator["dataset"] == "train",
           f"the updater's iterator should hand out the training set train, not "
           f"{iterator['dataset']}")
    expect(iterator["batch_size"] == case["batch_size"],
           f"the training iterator should hand out minibatches of batch_size="
           f"{case['batch_size']}, not {iterator['batch_size']}")
    expect(iterator["repeat"] is not False,
           "the training iterator must repeat (SerialIterator(train, batch_size), its default): "
           "the trainer, not the iterator, decides when training stops")
    expect(iterator["shuffle"] is not False,
           "the training iterator should shuffle the examples every epoch (the default of "
           "SerialIterator); in a fixed order every epoch sees the same minibatches")


@lesson.check("2.8", points=1, timeout=15)
def evaluator_and_log_report_are_extensions(nb):
    _, facts, case = _trainer_case(nb)
    _expect_evaluator(facts, case)
    expect(any(e["type"] == "LogReport" for e in facts["extensions"]),
           f"the trainer has no LogReport (its extensions: "
           f"{[e['type'] for e in facts['extensions']]}); add "
           "trainer.extend(extensions.LogReport()): it collects what is reported, epoch by epoch")


def _log(nb, trainer):
    try:
        report = trainer.get_extension("LogReport")
    except Exception as error:    # noqa: BLE001  (a LearnerError here, itself when local)
        if is_a(error, "ValueError"):
            expect(False, "the trainer has no extension called 'LogReport': add "
                          "trainer.extend(extensions.LogReport())")
        raise
    return report.log


@lesson.check("2.8", points=2, timeout=30)
def a_short_run_reports_loss_and_accuracy(nb):
    trainer, facts, case = _trainer_case(nb, epochs=2, batch_size=16)
    _expect_stop_trigger(facts, case)      # a run that would not end, or not in epochs: say so
    _expect_evaluator(facts, case)
    before = param_arrays(nb, case["model"], uninitialized=True)
    trainer.run()
    log = _log(nb, trainer)
    expect(isinstance(log, list) and len(log) == case["epochs"],
           f"after trainer.run() the LogReport should hold one entry per epoch, "
           f"{case['epochs']}; it holds {len(log) if isinstance(log, list) else log!r}")
    last = log[-1]
    wanted = ["main/loss", "main/accuracy", "validation/main/loss", "validation/main/accuracy"]
    missing = [key for key in wanted if key not in last]
    expect(not missing, f"the log of a short run lacks {missing} (it has {sorted(last)}): "
                        "L.Classifier reports main/loss and main/accuracy while training, and "
                        "the Evaluator the same values on val as validation/main/...")
    after = param_arrays(nb, case["model"], uninitialized=True)
    expect(not same_params(before, after, exact=True),
           "trainer.run() did not change the model's weights: the optimizer must be set up on "
           "L.Classifier(model), the same object the updater trains")
    import chainer.functions as F
    scores = case["x_val"] @ after["/W"].T + after["/b"]
    accuracy = float((scores.argmax(axis=1) == case["t_val"]).mean())
    loss = float(F.softmax_cross_entropy(scores.astype(np.float32), case["t_val"]).array)
    # the Evaluator averages its batches' means, so a batch size that does not divide 32
    # moves the numbers a little
    expect(abs(last["validation/main/accuracy"] - accuracy) < 0.07
           and abs(last["validation/main/loss"] - loss) < 0.1 * loss + 0.03,
           f"after the run the log's validation/main/accuracy is "
           f"{last['validation/main/accuracy']:.3f} and validation/main/loss "
           f"{last['validation/main/loss']:.3f}; the trained model has {accuracy:.3f} and "
           f"{loss:.3f} on val: the Evaluator should read val and measure the trained "
           "classifier")
