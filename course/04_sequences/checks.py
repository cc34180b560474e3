"""Lesson 4, sequences: the checks of its eight exercises.

Each check draws its own inputs from ``nb.rng`` (sizes too, where the exercise allows), so an
answer tuned to one grading run does not fit the next, and compares the learner's answer with a
reference computed here. Models handed to a learner's function (the roll-out, the ConvLSTM step)
are built in the worker and here from the same numbers (:mod:`helpers`, the lesson's worker-side building blocks).
A typical mistake gets a hint of its own only when the answer equals what that mistake gives
(the mistaken variant is computed and compared); otherwise the hint says what was expected and
what came back.
"""
import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from mlkit.grading.check_helpers import (as_array, as_dict, as_pair, close, param_arrays,
                                         sigmoid, type_name)
from . import helpers as fx
from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

HELPERS = f"{__package__}.helpers"   # the worker imports this lesson's helpers by name

lesson = Lesson(4, "Sequences: rows, Moving MNIST and the next ten frames",
                notebook="04_sequences")
lesson.exercise("4.1", "(window, next row) pairs")
lesson.exercise("4.2", "A row predictor with an LSTM or a GRU")
lesson.exercise("4.3", "The roll-out")
lesson.exercise("4.4", "One motion step with bouncing")
lesson.exercise("4.5", "Composing a frame with max")
lesson.exercise("4.6", "Per-frame MSE and MAE")
lesson.exercise("4.7", "The trivial baselines")
lesson.exercise("4.8", "One ConvLSTM step")


# ---------------------------------------------------------------------------------------------
# 4.1 (window, next row) pairs

def _pairs(images, k, last=0):
    starts = range(images.shape[1] - k - last)
    windows = np.stack([images[:, s:s + k] for s in starts], axis=1).reshape(-1, k, 28)
    return windows, np.stack([images[:, s + k] for s in starts], axis=1).reshape(-1, 28)


@lesson.check("4.1", points=2, timeout=10)
def pairs_are_windows_and_the_row_after(nb):
    for n, k in ((int(nb.rng.integers(2, 5)), int(nb.rng.integers(3, 9))), (1, 20)):
        images = nb.rng.random((n, 28, 28)).astype(np.float32)
        result = as_pair(nb, nb.row_pairs(images.copy(), k),
                         "row_pairs should return a pair (windows, next_rows)")
        windows, next_rows = (as_array(nb, v, what) for v, what in
                              zip(result, ("windows", "next_rows")))
        expected_w, expected_t = _pairs(images, k)
        m = n * (28 - k)
        if windows.shape != expected_w.shape or next_rows.shape != expected_t.shape:
            hint = (f"for {n} images and k={k} expected windows of shape {expected_w.shape} and "
                    f"next rows of shape {expected_t.shape}, got {windows.shape} and "
                    f"{next_rows.shape}")
            if len(windows) == n * (27 - k):
                hint += (f": each image gives 28 - k = {28 - k} pairs, the starts s = 0, ..., "
                         f"27 - k (the last window ends just above the last row)")
            expect(False, hint)
        expect(windows.dtype == np.float32 and next_rows.dtype == np.float32,
               f"windows and next rows should be float32, got {windows.dtype} and "
               f"{next_rows.dtype}")
        if close(windows, expected_w):
            inside = _pairs(images, k - 1)[0] if k > 1 else None
            last_row = expected_w[:, -1]
            if not close(next_rows, expected_t) and close(next_rows, last_row):
                expect(False, "your next row is the last row of the window; the target is the "
                              "row after it, images[n, s + k]")
            del inside
        expect(close(windows, expected_w) and close(next_rows, expected_t),
               f"for {n} images and k={k} the pairs differ from (images[n, s:s + k], "
               f"images[n, s + k]) for s = 0, ..., {27 - k}, ordered image by image (all starts "
               f"of image 0 first): {int(np.sum(~np.isclose(next_rows, expected_t).all(-1)))} of "
               f"{m} next rows and "
               f"{int(np.sum(~np.isclose(windows, expected_w).all((-2, -1))))} windows differ")


# ---------------------------------------------------------------------------------------------
# 4.2 the row predictor

def _row_model(nb, kind, n_hidden):
    model = nb.RowPredictor(kind=kind, n_hidden=n_hidden)
    expect(nb.isinstance(model, "chainer.Link"),
           f"RowPredictor(...) should create a chainer.Chain, got {type_name(model)}")
    return model


def _initialize(nb, model):
    """Give links made with in_size None (``L.LSTM(None, n)``) their weights: two steps on
    zeros (a GRU's first step uses only some of its links), then ``reset_state()``; a model
    whose parameters all exist is not touched."""
    if any(p.array is None for _, p in model.namedparams()):
        for _ in range(2):
            model(np.zeros((1, 28), np.float32))
        model.reset_state()


@lesson.check("4.2", points=1, timeout=15)
def row_predictor_has_the_right_links(nb):
    n_hidden = int(nb.rng.integers(5, 20))
    batch = int(nb.rng.integers(2, 6))
    # L.GRU is L.StatefulGRU under another name (a subclass that adds nothing): both do.
    classes = {"LSTM": "chainer.links.LSTM", "GRU": "chainer.links.StatefulGRU"}
    for kind, link in (("lstm", "LSTM"), ("gru", "GRU")):
        model = _row_model(nb, kind, n_hidden)
        rnn = model.rnn
        other = "GRU" if link == "LSTM" else "LSTM"
        expect(not nb.isinstance(rnn, classes[other]),
               f"RowPredictor(kind={kind!r}) made self.rnn an L.{other}; kind={kind!r} asks for "
               f"L.{link}(28, n_hidden)")
        expect(nb.isinstance(rnn, classes[link]),
               f"RowPredictor(kind={kind!r}) should hold self.rnn = L.{link}(28, n_hidden), got "
               f"{type_name(rnn)}")
        y = as_array(nb, model(nb.rng.random((batch, 28)).astype(np.float32)), "forward(row)")
        expect(y.shape == (batch, 28),
               f"for {batch} rows forward should return {batch} predicted rows, shape "
               f"({batch}, 28); got {y.shape}")
        expect(((y >= 0) & (y <= 1)).all(),
               f"the predicted rows should lie in [0, 1] like the pixels: return "
               f"F.sigmoid(self.out(h)); yours range from {y.min():.3g} to {y.max():.3g}")
        expect(np.ptp(y, axis=0).max() > 1e-6,
               f"RowPredictor(kind={kind!r}) predicted the same row for {batch} different "
               "rows: the prediction should come from the row, F.sigmoid(self.out(self.rnn("
               "row)))")
        shapes = sorted(np.shape(v) for v in param_arrays(nb, model).values())
        expect((28, n_hidden) in shapes,
               f"RowPredictor(n_hidden={n_hidden}) should end with self.out = "
               f"L.Linear({n_hidden}, 28); its weights have shapes {shapes}")


@lesson.check("4.2", points=1, timeout=15)
def row_predictor_remembers_and_resets(nb):
    n_hidden = int(nb.rng.integers(5, 20))
    rows = nb.rng.random((4, 3, 28)).astype(np.float32)
    for kind in ("lstm", "gru"):
        model = _row_model(nb, kind, n_hidden)
        _initialize(nb, model)
        mine = param_arrays(nb, model)
        reference = fx.RowModel(kind, n_hidden)
        names = sorted(name for name, _ in reference.namedparams())
        expect(sorted(mine) == names,
               f"name the two links self.rnn and self.out (the lesson's cells use them): "
               f"expected the parameters {names}, found {sorted(mine)}")
        fx.set_params(reference, mine)
        raw = fx.RowModel(kind, n_hidden, mine)
        expected, logits = [], []
        for step in range(rows.shape[1]):
            expected.append(reference(rows[:, step]).array)
            logits.append(raw.out(raw.rnn(rows[:, step])).array)
        got = [as_array(nb, model(rows[:, step].copy()), "forward(row)")
               for step in range(rows.shape[1])]
        if not close(got[-1], expected[-1]) and close(got[-1], logits[-1]):
            expect(False, "forward returns the Linear layer's output; the predicted row is "
                          "F.sigmoid(self.out(h)), in [0, 1] like the pixels")
        expect(all(close(g, e) for g, e in zip(got, expected)),
               f"RowPredictor(kind={kind!r}) fed 3 rows one after another should return "
               f"sigmoid(out(rnn(row))) at each step, the recurrent layer keeping its state "
               f"between the calls; the third prediction differs by up to "
               f"{np.abs(got[-1] - expected[-1]).max() if got[-1].shape == expected[-1].shape else 'shape'}")
        model.reset_state()
        reference.reset_state()
        again = as_array(nb, model(rows[:, 0].copy()), "forward(row)")
        fresh = reference(rows[:, 0]).array
        if not close(again, fresh):
            expect(False, "after reset_state() the model should predict as at the start of a "
                          "new sequence, but it still remembered the previous rows: "
                          "reset_state() must call self.rnn.reset_state()")


# ---------------------------------------------------------------------------------------------
# 4.3 the roll-out

def _rollout(model, top, n_new, reset=True, cut=False, graph=False):
    """The roll-out's new rows (a Variable with ``graph``); ``cut`` feeds each prediction
    back as a plain array, so the gradient flows only through each step's own input rows."""
    import chainer.functions as F
    if reset:
        model.reset_state()
    for step in range(top.shape[1]):
        y = model(top[:, step])
    rows = [y]
    while len(rows) < n_new:
        rows.append(model(rows[-1].array if cut else rows[-1]))
    stacked = F.stack(rows, axis=1)
    return stacked if graph else stacked.array


def _rollout_gradients(reference, earlier, top, n_new):
    """d sum(roll-out) / d out.W of the reference model that read ``earlier`` first, for the
    roll-out as one graph and for one fed its predictions back as plain arrays."""
    import chainer.functions as F
    gradients = []
    for cut in (False, True):
        reference.reset_state()
        reference(earlier)
        result = _rollout(reference, top, n_new, cut=cut, graph=True)
        reference.cleargrads()
        F.sum(result).backward()
        gradients.append(reference.out.W.grad.astype(np.float64))
    return gradients


def _rollout_pair(nb):
    kind = str(nb.rng.choice(["lstm", "gru"]))
    n_hidden = int(nb.rng.integers(6, 16))
    params = fx.row_params(kind, n_hidden, int(nb.rng.integers(1 << 30)))
    return (kind, nb.module(HELPERS).row_model(kind, n_hidden, params),
            fx.row_model(kind, n_hidden, params))


@lesson.check("4.3", points=2, timeout=15)
def rollout_feeds_its_predictions_back(nb):
    batch, r = int(nb.rng.integers(2, 5)), int(nb.rng.integers(3, 9))
    for n_new in (int(nb.rng.integers(4, 9)), 1):
        kind, model, reference = _rollout_pair(nb)     # fresh: a missing reset costs elsewhere
        top = nb.rng.random((batch, r, 28)).astype(np.float32)
        result = nb.complete(model, top.copy(), n_new)
        expect(nb.isinstance(result, "chainer.Variable"),
               f"complete should return one chainer.Variable (F.stack of the new rows), so that "
               f"the roll-out stays one graph; got {type_name(result)}")
        got = np.asarray(nb.array(result))
        expected = _rollout(reference, top, n_new)
        if got.shape != expected.shape:
            hint = (f"for {batch} digits, {r} given rows and n_new={n_new} expected new rows of "
                    f"shape {expected.shape}, got {got.shape}")
            if got.ndim == 3 and got.shape[1] == n_new + 1:
                hint += (": the output after the last given row is already the first new row, "
                         "so n_new rows need n_new - 1 more steps")
            if got.ndim == 3 and got.shape[1] == r + n_new:
                hint += ": return only the new rows, not the given ones"
            expect(False, hint)
        expect(close(got, expected, atol=1e-4),
               f"with a {kind.upper()} row model, {r} given rows and n_new={n_new}, your new rows "
               f"differ from the roll-out's by up to {np.abs(got - expected).max():.3g}: reset "
               "the state, feed the given rows one by one, then feed each prediction back in "
               "as the next input")


@lesson.check("4.3", points=1, timeout=15)
def rollout_starts_fresh_and_keeps_the_graph(nb):
    kind, model, reference = _rollout_pair(nb)
    batch, r, n_new = 3, int(nb.rng.integers(3, 7)), int(nb.rng.integers(3, 7))
    earlier = nb.rng.random((batch, 28)).astype(np.float32)
    model(earlier)                    # a model that has already read a row of another digit
    reference(earlier)
    top = nb.rng.random((batch, r, 28)).astype(np.float32)
    result = nb.complete(model, top.copy(), n_new)
    got = np.asarray(nb.array(result))
    expected = _rollout(reference, top, n_new)
    if got.shape == expected.shape and not close(got, expected, atol=1e-4):
        reference.reset_state()
        reference(earlier)
        stale = _rollout(reference, top, n_new, reset=False)
        expect(not close(got, stale, atol=1e-4),
               "complete continued from the state the model had before: call "
               "model.reset_state() first, so that each digit starts from a fresh state")
    expect(close(got, expected, atol=1e-4),
           "called on a model that had read other rows before, complete should still give the "
           "roll-out of a fresh state (model.reset_state() first)")
    F = nb.module("chainer.functions")
    model.cleargrads()
    F.sum(result).backward()
    grad = model.out.W.grad
    expect(grad is not None and np.abs(nb.array(grad)).max() > 0,
           "no gradient reached the model's weights from your roll-out: build the result from "
           "the model's output Variables (F.stack), not from their .array")
    grad = np.asarray(nb.array(grad), np.float64)
    expect(any(grad.shape == g.shape and np.allclose(grad, g, atol=1e-4, rtol=1e-3)
               for g in _rollout_gradients(reference, earlier, top, n_new)),
           "the gradient of your roll-out with respect to the model's weights differs from "
           "the roll-out's own: build the result with F.stack from the Variables the model "
           "returned, feeding each new row back into the model")


# ---------------------------------------------------------------------------------------------
# 4.4 one step with bouncing

def _step(position, velocity, free, flip_both=False, clamp=True):
    q = position + velocity
    below, above = q < 0, q > free
    if clamp:
        q = np.clip(q, 0, free)
    if flip_both:
        hit = (below | above).any(axis=-1, keepdims=True)
        return q, np.where(hit, -velocity, velocity)
    return q, np.where(below, np.abs(velocity), np.where(above, -np.abs(velocity), velocity))


def _motion_case(rng):
    free = np.array([float(rng.integers(20, 40)), float(rng.integers(20, 40))])
    n = 12
    theta = rng.uniform(0, 2 * np.pi, n)
    speed = rng.uniform(2, 5, n)
    velocity = np.stack([np.sin(theta), np.cos(theta)], -1) * speed[:, None]
    position = rng.uniform(0, 1, (n, 2)) * free
    # Some digits right at a wall, moving into it: one axis, the other, both (a corner).
    position[0] = [0.5, free[1] / 2]
    velocity[0] = [-3.0, 1.5]
    position[1] = [free[0] / 2, free[1] - 0.5]
    velocity[1] = [2.0, 3.0]
    position[2] = [free[0] - 1, 0.8]
    velocity[2] = [3.0, -2.5]
    return position.reshape(3, 4, 2), velocity.reshape(3, 4, 2), free


@lesson.check("4.4", points=2, timeout=10)
def move_bounces_off_the_walls(nb):
    position, velocity, free = _motion_case(nb.rng)
    kept_p, kept_v = nb.keep(position.copy()), nb.keep(velocity.copy())
    result = as_pair(nb, nb.move(kept_p, kept_v, free.copy()),
                     "move should return a pair (position, velocity)")
    expect(np.array_equal(nb.array(kept_p), position) and np.array_equal(nb.array(kept_v),
                                                                          velocity),
           "move changed the arrays it was given; compute new arrays instead")
    got_p, got_v = (as_array(nb, v, what) for v, what in zip(result, ("position", "velocity")))
    expect(got_p.shape == position.shape and got_v.shape == velocity.shape,
           f"for positions and velocities of shape {position.shape} move should return arrays "
           f"of the same shape, got {got_p.shape} and {got_v.shape}")
    want_p, want_v = _step(position, velocity, free)
    if not np.allclose(got_p, want_p, atol=1e-9):
        free_p, _ = _step(position, velocity, free, clamp=False)
        expect(not np.allclose(got_p, free_p, atol=1e-9),
               "your positions leave the box: where a step goes past a wall, clamp the position "
               "to the wall (np.clip(q, 0, free))")
        expect(False, f"the new positions differ from position + velocity clamped into [0, free] "
                      f"(free = {free.tolist()}) by up to {np.abs(got_p - want_p).max():.3g} px")
    if not np.allclose(got_v, want_v, atol=1e-9):
        _, both = _step(position, velocity, free, flip_both=True)
        expect(not np.allclose(got_v, both, atol=1e-9),
               "at a wall you turned the whole velocity around; only the component of the axis "
               "that hit the wall turns (+|v| at 0, -|v| at free), the other keeps its value")
        expect(False, "the new velocities differ from the bounce rule: on each axis where "
                      "q < 0 the component becomes +|v|, where q > free it becomes -|v|, "
                      "elsewhere it stays")


# ---------------------------------------------------------------------------------------------
# 4.5 composing a frame

def _compose(digits, corners, size, how="max"):
    frame = np.zeros((size, size), np.int64)
    h, w = digits.shape[1:]
    for digit, (y, x) in zip(digits, corners):
        window = frame[y:y + h, x:x + w]
        if how == "max":
            np.maximum(window, digit, out=window)
        elif how == "sum":
            window += digit
        else:
            window[...] = digit
    return frame


@lesson.check("4.5", points=2, timeout=10)
def digits_combine_with_max(nb):
    rng = nb.rng
    size = int(rng.integers(24, 40))
    h, w = int(rng.integers(8, 14)), int(rng.integers(8, 14))
    k = 3
    digits = rng.integers(0, 256, (k, h, w)).astype(np.uint8)
    digits[:, 0, :] = 0                                     # some black, as real digits have
    # Corners that also fit when read as (x, y), so that mistake gets its hint, not an error.
    far = size - max(h, w)
    y0, x0 = int(rng.integers(0, far - 4)), int(rng.integers(0, far - 4))
    corners = np.array([[y0, x0], [y0 + 3, x0 + 2],          # two overlapping digits
                        [far, int(rng.integers(0, far))]], np.int64)
    frame = as_array(nb, nb.compose_frame(digits.copy(), corners.copy(), size=size),
                     "compose_frame's frame")
    expected = _compose(digits, corners, size)
    expect(frame.shape == (size, size),
           f"with size={size} the frame should have shape ({size}, {size}), got {frame.shape}")
    expect(frame.dtype == np.uint8, f"the frame should be uint8 like the digits, got "
                                    f"{frame.dtype}")
    if np.array_equal(frame, expected):
        return
    summed = _compose(digits, corners, size, "sum")
    if np.array_equal(frame, summed % 256) or np.array_equal(frame, np.minimum(summed, 255)):
        expect(False, "where digits overlap you added them; the brighter pixel wins: combine "
                      "with np.maximum")
    expect(not np.array_equal(frame, _compose(digits, corners, size, "set")),
           "where digits overlap the last digit covers the earlier one, black background and "
           "all; combine them with np.maximum instead of assigning")
    expect(not np.array_equal(frame, _compose(digits, corners[:, ::-1], size)),
           "your digits sit at (x, y) instead of (y, x): a corner is (row, column) = (y, x), "
           "the digit covers frame[y:y + h, x:x + w]")
    expect(not np.array_equal(frame, expected.T),
           "your frame is transposed: rows are y and columns x, the digit covers "
           "frame[y:y + h, x:x + w]")
    expect(False, f"the frame differs from the digits pasted at their corners and combined with "
                  f"np.maximum in {int(np.sum(frame != expected))} pixels")


# ---------------------------------------------------------------------------------------------
# 4.6 metrics

def _metric_cases(rng):
    a = rng.random((int(rng.integers(2, 5)), int(rng.integers(2, 5)), 1, 16, 16))
    b = rng.random(a.shape)
    c = rng.random((int(rng.integers(2, 4)), int(rng.integers(2, 4)), 12, 20))
    return [(a.astype(np.float32), b.astype(np.float32)), (c, rng.random(c.shape))]


def _expect_metric(nb, name, error):
    for predicted, true in _metric_cases(nb.rng):
        value = getattr(nb, name)(predicted.copy(), true.copy())
        expect(not nb.isinstance(value, "chainer.Variable"),
               f"{name} should return a float, got a chainer.Variable")
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        expect(isinstance(value, (float, np.floating)),
               f"{name} should return one float, got {type_name(value)}"
               + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
        e = error(predicted.astype(np.float64) - true)
        expected = float(e.sum(axis=(-2, -1)).mean())
        pixels = true.shape[-1] * true.shape[-2]
        if not np.isclose(value, expected, rtol=1e-4):
            expect(not np.isclose(value, e.mean(), rtol=1e-4),
                   f"{name} averaged over the pixels too ({value:.4g}, {pixels} times smaller "
                   f"than {expected:.4g}): sum over each frame's pixels (the last two axes), "
                   "then take the mean over the frames")
            expect(not np.isclose(value, e.sum(), rtol=1e-4),
                   f"{name} summed over everything ({value:.4g}); sum over each frame's pixels, "
                   f"then take the mean over the frames ({expected:.4g})")
            expect(False, f"for frames of shape {true.shape} expected {name} = {expected:.4g} "
                          f"(the error summed over each frame's pixels, averaged over the "
                          f"frames), got {value:.4g}")


@lesson.check("4.6", points=1, timeout=10)
def mse_sums_over_pixels_and_averages_over_frames(nb):
    _expect_metric(nb, "frame_mse", np.square)


@lesson.check("4.6", points=1, timeout=10)
def mae_sums_over_pixels_and_averages_over_frames(nb):
    _expect_metric(nb, "frame_mae", np.abs)


# ---------------------------------------------------------------------------------------------
# 4.7 baselines

@lesson.check("4.7", points=2, timeout=10)
def baselines_copy_black_and_mean(nb):
    rng = nb.rng
    n, t_in, n_out, m = (int(rng.integers(2, 5)), int(rng.integers(3, 6)),
                         int(rng.integers(2, 6)), int(rng.integers(3, 7)))
    h, w = 12, 10
    inputs = rng.random((n, t_in, 1, h, w)).astype(np.float32)
    train = rng.random((m, 7, 1, h, w)).astype(np.float32) * np.linspace(0, 1, w)
    train = train.astype(np.float32)
    result = as_dict(nb, nb.baselines(inputs.copy(), n_out, train.copy()),
                     "baselines should return a dict of three predictions")
    names = ("copy last", "all black", "mean frame")
    expect(set(result) == set(names), f"baselines should return the keys {list(names)}, got "
                                      f"{sorted(result)}")
    shape = (n, n_out, 1, h, w)
    mean = train.astype(np.float64).mean(axis=(0, 1))
    expected = {"copy last": np.broadcast_to(inputs[:, -1:], shape),
                "all black": np.zeros(shape),
                "mean frame": np.broadcast_to(mean, shape)}
    for name in names:
        got = as_array(nb, result[name], f"the {name!r} prediction")
        expect(got.shape == shape,
               f"for {n} sequences and n_out={n_out} the {name!r} prediction should have shape "
               f"{shape} (sequences, steps, channel, height, width), got {got.shape}")
        expect(got.dtype == np.float32, f"the {name!r} prediction should be float32, got "
                                        f"{got.dtype}")
        if close(got, expected[name]):
            continue
        if name == "copy last":
            expect(not close(got, np.broadcast_to(inputs[:, :1], shape)),
                   "'copy last' repeats the first input frame; repeat the last one, "
                   "inputs[:, -1]")
        if name == "mean frame":
            expect(not close(got, np.full(shape, train.mean())),
                   "'mean frame' is one number; average over sequences and time only "
                   "(axis=(0, 1)), one value per pixel")
            expect(not close(got, np.broadcast_to(inputs.mean(axis=(0, 1)), shape)),
                   "'mean frame' averages the inputs it predicts for; average the training "
                   "frames (train_frames), or test data leaks into the baseline")
        expect(False, f"the {name!r} prediction differs from the expected one by up to "
                      f"{np.abs(got - expected[name]).max():.3g}")


# ---------------------------------------------------------------------------------------------
# 4.8 one ConvLSTM step

def _convlstm(conv_out, c, variant="right"):
    i, f, o, g = np.split(conv_out, 4, axis=1)
    if variant == "swapped":
        i, f, g, o = np.split(conv_out, 4, axis=1)
    c_new = sigmoid(i) * np.tanh(g) + (0 if variant == "no forget" else sigmoid(f) * c)
    h_new = sigmoid(o) * (c_new if variant == "no tanh" else np.tanh(c_new))
    return h_new, c_new


@lesson.check("4.8", points=2, timeout=15)
def convlstm_step_matches_the_equations(nb):
    import chainer.functions as F
    rng = nb.rng
    b, c_in, hidden, size = int(rng.integers(2, 4)), int(rng.integers(2, 5)), \
        int(rng.integers(2, 5)), int(rng.integers(5, 9))
    W = rng.normal(0, 0.5, (4 * hidden, c_in + hidden, 3, 3)).astype(np.float32)
    bias = rng.normal(0, 0.5, 4 * hidden).astype(np.float32)
    x = rng.normal(0, 1, (b, c_in, size, size)).astype(np.float32)
    h = rng.normal(0, 1, (b, hidden, size, size)).astype(np.float32)
    c = rng.normal(0, 1, (b, hidden, size, size)).astype(np.float32)
    conv = nb.module(HELPERS).convolution(W, bias)
    result = as_pair(nb, nb.convlstm_step(conv, x.copy(), h.copy(), c.copy()),
                     "convlstm_step should return a pair (h_new, c_new)")
    got_h, got_c = (as_array(nb, v, what).astype(np.float64)
                    for v, what in zip(result, ("h_new", "c_new")))
    shape = (b, hidden, size, size)
    expect(got_h.shape == shape and got_c.shape == shape,
           f"h_new and c_new should have the state's shape {shape}, got {got_h.shape} and "
           f"{got_c.shape}")
    gates = fx.convolution(W, bias)(F.concat((x, h), axis=1)).array.astype(np.float64)
    want_h, want_c = _convlstm(gates, c)
    if close(got_h, want_h, atol=1e-4) and close(got_c, want_c, atol=1e-4):
        return
    for variant, hint in (
            ("no forget", "your new cell state forgets everything: c_new = sigmoid(f) * c + "
                          "sigmoid(i) * tanh(g) keeps sigmoid(f) of the old cell c"),
            ("no tanh", "h_new = sigmoid(o) * tanh(c_new): the cell state goes through tanh "
                        "before the output gate"),
            ("swapped", "the gates come in the order i, f, o, g from "
                        "F.split_axis(gates, 4, axis=1); yours took o and g the other way "
                        "round")):
        v_h, v_c = _convlstm(gates, c, variant)
        expect(not (close(got_h, v_h, atol=1e-4) and close(got_c, v_c, atol=1e-4)), hint)
    expect(close(got_c, want_c, atol=1e-4),
           f"c_new differs from sigmoid(f) * c + sigmoid(i) * tanh(g) by up to "
           f"{np.abs(got_c - want_c).max():.3g}, with [i, f, o, g] = "
           "F.split_axis(conv(F.concat((x, h), axis=1)), 4, axis=1)")
    expect(False, f"h_new differs from sigmoid(o) * tanh(c_new) by up to "
                  f"{np.abs(got_h - want_h).max():.3g}")
