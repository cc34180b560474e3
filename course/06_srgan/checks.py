"""Lesson 6, super-resolution with SRGAN: the checks of its six exercises.

Each check draws its own inputs from ``nb.rng`` (sizes too, where the exercise allows), so an
answer tuned to one grading run does not fit the next, and compares the learner's answer with a
reference computed here. Networks handed to a learner's function (a feature extractor, a tiny
upscaler and its optimizer) are built in the worker and here from the same numbers
(:mod:`helpers`, the lesson's worker-side building blocks). A typical mistake gets a hint of its own only when the
answer equals what that mistake gives (the mistaken variant is computed and compared); otherwise
the hint says what was expected and what came back.
"""
import math

import numpy as np

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from . import helpers as fx
from mlkit.grading.check_helpers import (as_array, close, param_arrays, real_number,
                                         same_params, softplus, type_name)
from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

HELPERS = f"{__package__}.helpers"   # the worker imports this lesson's helpers by name

lesson = Lesson(6, "Super-resolution: SRResNet and SRGAN", notebook="06_srgan")
# What each exercise asks the learner to write, and the library callables that may not stand
# in for it while its checks run (mlkit.grading.guard). Nothing a check of that exercise calls
# (in the worker or here) is among them: the PSNR and depth2space references are NumPy here;
# 6.4's tiny upscaler uses F.depth2space, which only 6.3 names.
lesson.exercise("6.1", "PSNR",
                write_yourself=("skimage.metrics.peak_signal_noise_ratio",
                                "mlkit.metrics.super_resolution.psnr"),
                how="the mean squared error in float64, then 10 log10(peak**2 / MSE) with NumPy")
lesson.exercise("6.2", "A residual block with an identity skip",
                write_yourself=("mlkit.models.srgan.ResidualBlock",),
                how="make conv1, bn1, act, conv2, bn2 in init_scope and write forward")
lesson.exercise("6.3", "Pixel shuffle by hand",
                write_yourself=("chainer.functions.array.depth2space",
                                "mlkit.models.srgan.pixel_shuffle",
                                "mlkit.models.srgan.upscale_nearest",
                                "mlkit.models.srgan.SubpixelUpsampler"),
                how="rearrange the values with F.reshape and F.transpose only")
lesson.exercise("6.4", "One training step of the SRResNet",
                write_yourself=("chainer.training.updaters.StandardUpdater",),
                how="forward, F.mean_squared_error, model.cleargrads(), loss.backward(), "
                    "optimizer.update()")
lesson.exercise("6.5", "The content loss",
                write_yourself=("mlkit.models.srgan.content_loss",),
                how="F.mean_squared_error of features(sr) and features(hr)")
lesson.exercise("6.6", "The generator's loss: content plus adversarial",
                write_yourself=("mlkit.training.gan.generator_loss",
                                "mlkit.training.gan.discriminator_loss"),
                how="content + weight * F.sigmoid_cross_entropy(d_fake, ones)")


def _number(nb, value, what):
    """``value`` (a number, a 0-d array or a scalar Variable) as a float, or a hint."""
    number = real_number(value)
    if number is not None:
        return number
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.reshape(()))
    expect(nb.isinstance(value, "chainer.Variable"),
           f"{what} should return a number, got {type_name(value)}")
    array = np.asarray(nb.array(value))
    expect(array.size == 1, f"{what} should return one number, got an array of shape "
                            f"{array.shape}: take the mean")
    return float(array.reshape(()))


def _plain_number(nb, value, what, how):
    """``value`` as a float when it is a plain number (a Python or NumPy scalar, not an array
    and not a Variable), or a hint: the exercise asks for a float."""
    number = None if isinstance(value, np.ndarray) else real_number(value)
    if number is not None:
        return number
    expect(not nb.isinstance(value, "chainer.Variable"),
           f"{what} should return a number (a Python float), got a chainer.Variable: {how}")
    expect(not isinstance(value, np.ndarray),
           f"{what} should return a number (a Python float), got an array of shape "
           f"{value.shape}: {how}")
    expect(False, f"{what} should return a number (a Python float), got {type_name(value)}")


# ---------------------------------------------------------------------------------------------
# 6.1 PSNR

def _reference_psnr(sr, hr, peak):
    """skimage.metrics.peak_signal_noise_ratio(hr, sr, data_range=peak), in float64 here
    (exercise 6.1 may not use scikit-image's, and nothing the check calls may either)."""
    mse = _mse(sr, hr)
    return float("inf") if mse == 0 else 10 * math.log10(peak ** 2 / mse)


def _mse(sr, hr):
    return float(np.mean((np.asarray(sr, np.float64) - np.asarray(hr, np.float64)) ** 2))


def _noisy_pair(rng, peak, dtype):
    shape = [(12, 15), (3, 10, 14), (2, 3, 9, 11)][int(rng.integers(3))]
    hr = rng.uniform(0.1, 0.9, shape) * peak
    sr = np.clip(hr + rng.normal(0, rng.uniform(0.02, 0.1) * peak, shape), 0, peak)
    if dtype == np.uint8:
        return np.round(sr).astype(np.uint8), np.round(hr).astype(np.uint8)
    return sr.astype(dtype), hr.astype(dtype)


def _psnr_mistakes(sr, hr, peak):
    """{hint: the value that mistake gives} for the typical slips of 6.1."""
    mse = _mse(sr, hr)
    mistakes = {
        "you used 20 log10(peak / MSE): the MSE is already a squared error, so PSNR is "
        "10 log10(peak**2 / MSE) (or 20 log10(peak / sqrt(MSE)))": 20 * math.log10(peak / mse),
        "the peak must be squared like the error: PSNR = 10 log10(peak**2 / MSE)":
            10 * math.log10(peak / mse),
    }
    if peak != 255:
        mistakes[f"you used a peak of 255, but these images lie in [0, {peak:g}]: the peak is "
                 "the largest value a pixel can take, the `peak` argument (1 for images in "
                 "[0, 1])"] = 10 * math.log10(255 ** 2 / mse)
    if peak != 1:
        mistakes[f"you used a peak of 1, but these images lie in [0, {peak:g}]: use the `peak` "
                 "argument (255 for 8-bit images), not a fixed 1"] = 10 * math.log10(1 / mse)
    if sr.dtype == np.uint8:
        wrapped = np.mean(((sr - hr).astype(np.float64)) ** 2)   # uint8 arithmetic wraps around
        if wrapped > 0:
            mistakes["sr - hr on uint8 images wraps around (3 - 5 is 254): convert to float "
                      "(e.g. np.asarray(sr, np.float64)) before subtracting"] = \
                10 * math.log10(peak ** 2 / wrapped)
    return mistakes


def _check_psnr(nb, peak, dtype, call):
    sr, hr = _noisy_pair(nb.rng, peak, dtype)
    expected = _reference_psnr(sr, hr, peak)
    got = _plain_number(nb, call(sr.copy(), hr.copy()), "psnr", "return float(...)")
    if abs(got - expected) < 1e-3:
        return
    for hint, wrong in _psnr_mistakes(sr, hr, peak).items():
        if abs(got - wrong) < 1e-3:
            expect(False, hint)
    expect(False, f"for two {sr.dtype} images in [0, {peak:g}] with MSE {_mse(sr, hr):.4g} "
                  f"expected PSNR = 10 log10({peak:g}**2 / MSE) = {expected:.3f} dB "
                  f"(skimage.metrics.peak_signal_noise_ratio), got {got:.3f}")


@lesson.check("6.1", points=1, timeout=10)
def psnr_of_images_in_unit_range(nb):
    for _ in range(2):
        _check_psnr(nb, 1.0, np.float32, lambda sr, hr: nb.psnr(sr, hr))   # the default peak
    _check_psnr(nb, 1.0, np.float64, lambda sr, hr: nb.psnr(sr, hr, peak=1.0))


@lesson.check("6.1", points=1, timeout=10)
def psnr_with_another_peak_and_8_bit_images(nb):
    _check_psnr(nb, 255.0, np.float32, lambda sr, hr: nb.psnr(sr, hr, peak=255.0))
    _check_psnr(nb, 255.0, np.uint8, lambda sr, hr: nb.psnr(sr, hr, peak=255))
    _check_psnr(nb, 2.0, np.float64, lambda sr, hr: nb.psnr(sr, hr, 2.0))
    sr, _ = _noisy_pair(nb.rng, 1.0, np.float32)
    same = _plain_number(nb, nb.psnr(sr.copy(), sr.copy()), "psnr", "return float(...)")
    expect(same == float("inf"), f"two identical images have an MSE of 0 and a PSNR of "
                                 f"+infinity (return float('inf')), got {same}")


# ---------------------------------------------------------------------------------------------
# 6.2 the residual block

BLOCK_PARAMS = ("/act/W", "/bn1/beta", "/bn1/gamma", "/bn2/beta", "/bn2/gamma", "/conv1/W",
                "/conv2/W")
OPTIONAL_PARAMS = ("/conv1/b", "/conv2/b")


def _block(nb, channels):
    block = nb.ResidualBlock(channels)
    expect(nb.isinstance(block, "chainer.Link"),
           f"ResidualBlock({channels}) should create a chainer.Chain, got {type_name(block)}")
    if any(p.array is None for _, p in block.namedparams()):
        # Links made with in_channels None (L.Convolution2D(None, C, 3, pad=1)) get their
        # weights at the first call.
        block(np.zeros((2, channels, 4, 4), np.float32))
    return block


def _reference_block(p, x, skip=True):
    import chainer.functions as F

    def conv_bn(h, k):
        h = F.convolution_2d(h, p[f"/conv{k}/W"], p.get(f"/conv{k}/b"), pad=1)
        return F.batch_normalization(h, p[f"/bn{k}/gamma"], p[f"/bn{k}/beta"], eps=2e-5)
    h = F.prelu(conv_bn(x, 1), p["/act/W"])
    out = conv_bn(h, 2)
    return (out + x).array if skip else out.array


@lesson.check("6.2", points=1, timeout=15)
def residual_block_has_the_layers_and_keeps_the_shape(nb):
    channels = int(nb.rng.integers(3, 9))
    block = _block(nb, channels)
    names = sorted(param_arrays(nb, block))
    missing = [n for n in BLOCK_PARAMS if n not in names]
    if "/act/W" in missing and not [n for n in missing if n != "/act/W"]:
        expect(False, "self.act should be a learned activation, L.PReLU((channels,)); with "
                      "F.relu (or no activation) the block has no parameter act/W")
    expect(not missing and set(names) <= set(BLOCK_PARAMS + OPTIONAL_PARAMS),
           f"name the layers conv1, bn1, act, conv2, bn2 as the exercise says (the lesson's "
           f"cells and this check use them): expected the parameters {list(BLOCK_PARAMS)}, "
           f"found {names}")
    params = param_arrays(nb, block)
    expect(params["/conv1/W"].shape == (channels, channels, 3, 3)
           and params["/conv2/W"].shape == (channels, channels, 3, 3),
           f"ResidualBlock({channels}) needs two 3x3 convolutions from {channels} to {channels} "
           f"channels, weights of shape {(channels, channels, 3, 3)}; got "
           f"{params['/conv1/W'].shape} and {params['/conv2/W'].shape}")
    x = nb.rng.normal(size=(2, channels, 7, 6)).astype(np.float32)
    y = as_array(nb, block(x), "ResidualBlock(...)(x)",
                 expected="an array or a chainer.Variable")
    expect(y.shape == x.shape, f"a residual block keeps the shape: (2, {channels}, 7, 6) in, "
                               f"the same out (use pad=1 with the 3x3 kernels); got {y.shape}")
    expect(not np.allclose(y, x, atol=1e-4),
           "your block returns its input unchanged: return x + self.bn2(self.conv2(h)), the "
           "input plus the correction its layers compute")


@lesson.check("6.2", points=1, timeout=15)
def residual_block_adds_its_input(nb):
    channels = int(nb.rng.integers(3, 9))
    block = _block(nb, channels)
    shapes = {name: value.shape for name, value in param_arrays(nb, block).items()}
    rng = nb.rng
    params = {}
    for name, shape in shapes.items():
        if name.endswith("/W") and "conv" in name:
            params[name] = rng.normal(0, math.sqrt(2 / (9 * channels)), shape)
        elif name.endswith("/gamma"):
            params[name] = rng.uniform(0.5, 1.5, shape)
        elif name == "/act/W":
            params[name] = rng.uniform(0.05, 0.5, shape)
        else:
            params[name] = rng.normal(0, 0.2, shape)
    params = {k: np.asarray(v, np.float32) for k, v in params.items()}
    expect(all(n in params for n in BLOCK_PARAMS),
           f"name the layers conv1, bn1, act (L.PReLU), conv2, bn2; found {sorted(params)}")
    nb.module(HELPERS).set_params(block, params)
    x = rng.normal(size=(3, channels, 6, 5)).astype(np.float32)
    y = as_array(nb, block(x.copy()), "ResidualBlock(...)(x)",
                 expected="an array or a chainer.Variable")
    expected = _reference_block(params, x)
    if close(y, expected, atol=1e-4):
        return
    if close(y, _reference_block(params, x, skip=False), atol=1e-4):
        expect(False, "your block returns bn2(conv2(...)) without the identity skip: return "
                      "x + self.bn2(self.conv2(h)), so the block learns only a correction to "
                      "its input")
    expect(False, "with the same weights, ResidualBlock should return x + bn2(conv2(act(bn1("
                  "conv1(x))))) (batch statistics in training mode); yours differs by up to "
                  + (f"{np.abs(y - expected).max():.3g}" if y.shape == expected.shape
                     else f"its shape {y.shape}"))


# ---------------------------------------------------------------------------------------------
# 6.3 pixel shuffle

def _depth2space(x, r):
    """``F.depth2space(x, r)`` in NumPy: output pixel (c, r*y + i, r*x + j) is input channel
    (i*r + j)*C + c at (y, x). (Not Chainer's own: while exercise 6.3's checks run,
    F.depth2space is off limits, in mlkit.check too.)"""
    n, rrc, h, w = x.shape
    c = rrc // (r * r)
    return x.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r)


def _pytorch_order(x, r):
    n, rrc, h, w = x.shape
    c = rrc // (r * r)
    return x.reshape(n, c, r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c, h * r, w * r)


def _swapped_order(x, r):
    n, rrc, h, w = x.shape
    c = rrc // (r * r)
    return x.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 2, 5, 1).reshape(n, c, h * r, w * r)


@lesson.check("6.3", points=1, timeout=10)
def pixel_shuffle_equals_depth2space(nb):
    for r, c in ((2, int(nb.rng.integers(2, 4))), (int(nb.rng.integers(3, 5)), 1)):
        h, w = int(nb.rng.integers(2, 6)), int(nb.rng.integers(2, 6))
        n = int(nb.rng.integers(1, 3))
        x = nb.rng.normal(size=(n, r * r * c, h, w)).astype(np.float32)
        result = nb.pixel_shuffle(x.copy(), r)
        got = as_array(nb, result, "pixel_shuffle(x, r)",
                       expected="an array or a chainer.Variable")
        expected = _depth2space(x, r)
        if close(got, expected):
            continue
        expect(got.shape == expected.shape,
               f"pixel_shuffle of shape {x.shape} with r={r} should have shape "
               f"{expected.shape} (N, C, r*H, r*W); got {got.shape}")
        if c > 1 and close(got, _pytorch_order(x, r)):
            expect(False, "you used PyTorch's channel order (channel c*r*r + i*r + j): Chainer's "
                          "F.depth2space puts channel (i*r + j)*C + c at output pixel "
                          "(c, r*y + i, r*x + j), so reshape to (N, r, r, C, H, W) first")
        if close(got, _swapped_order(x, r)):
            expect(False, "rows and columns of each r x r block are swapped: after reshaping "
                          "to (N, r, r, C, H, W) = (n, i, j, c, y, x), order the axes as "
                          "(n, c, y, i, x, j): the row offset i goes next to y, the column "
                          "offset j next to x")
        expect(False, f"for x of shape {x.shape} and r={r} your result differs from "
                      f"F.depth2space(x, {r}) at {int(np.sum(~np.isclose(got, expected)))} of "
                      f"{got.size} values: output pixel (c, r*y + i, r*x + j) is input channel "
                      "(i*r + j)*C + c at (y, x)")


@lesson.check("6.3", points=1, timeout=10)
def pixel_shuffle_works_inside_a_network(nb):
    r, c = 2, int(nb.rng.integers(1, 4))
    x = nb.rng.normal(size=(2, 4 * c, 3, 4)).astype(np.float32)
    v = nb.module(HELPERS).variable(x)
    y = nb.pixel_shuffle(v, r)
    expect(nb.isinstance(y, "chainer.Variable"),
           "given a chainer.Variable, pixel_shuffle should return a Variable so that gradients "
           f"flow through it (use F.reshape and F.transpose); got {type_name(y)}")
    expect(close(np.asarray(nb.array(y)), _depth2space(x, r)),
           "given a chainer.Variable, pixel_shuffle should return the same values as "
           "F.depth2space")
    F = nb.module("chainer.functions")
    F.sum(F.square(y)).backward()         # pixel shuffle only moves values: d/dx = 2 x
    grad = v.grad
    expect(grad is not None and close(np.asarray(nb.array(grad)), 2 * x),
           "no gradient flows back through your pixel_shuffle to its input: build the result "
           "from the Variable with F.reshape and F.transpose, not from its .array")


# ---------------------------------------------------------------------------------------------
# 6.4 one training step

def _step_case(rng):
    return {"W": rng.normal(0, 0.3, (12, 3, 3, 3)).astype(np.float32),
            "b": rng.normal(0, 0.05, 12).astype(np.float32),
            "lr_images": rng.uniform(0, 1, (4, 3, 5, 6)).astype(np.float32),
            "hr_images": rng.uniform(0, 1, (4, 3, 10, 12)).astype(np.float32),
            "step": float(rng.uniform(0.5, 2.0))}


def _reference_steps(case, steps, clear=True):
    import chainer.functions as F
    model = fx.tiny_upscaler(case["W"], case["b"])
    optimizer = fx.sgd(model, case["step"])
    losses = []
    for _ in range(steps):
        loss = F.mean_squared_error(model(case["lr_images"]), case["hr_images"])
        if clear:
            model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.array))
    return fx.params(model), losses


def _learner_steps(nb, case, steps):
    fixtures = nb.module(HELPERS)
    model = fixtures.tiny_upscaler(case["W"], case["b"])
    optimizer = fixtures.sgd(model, case["step"])
    losses = [_plain_number(nb, nb.train_step(model, optimizer, case["lr_images"].copy(),
                                              case["hr_images"].copy()), "train_step",
                            "return float(loss.array), the loss before the update; a Variable "
                            "kept in a list of losses keeps its whole graph alive")
              for _ in range(steps)]
    return fixtures.params(model), losses


@lesson.check("6.4", points=1, timeout=15)
def train_step_returns_the_loss_and_lowers_it(nb):
    case = _step_case(nb.rng)
    _, losses = _learner_steps(nb, case, 3)
    _, expected = _reference_steps(case, 3)
    expect(not any(math.isnan(v) for v in losses),
           "the loss became NaN: Chainer adds new gradients to the old ones (and a fresh "
           "parameter's gradient is NaN until cleared), so call model.cleargrads() before "
           "loss.backward()")
    expect(abs(losses[0] - expected[0]) <= 1e-4 * max(1, expected[0]),
           f"train_step should return the pixel MSE of this batch before the update, "
           f"F.mean_squared_error(model(lr), hr) = {expected[0]:.5g}, as a float; got "
           f"{losses[0]:.5g}")
    expect(losses[2] < losses[0],
           f"three steps on the same batch should lower the loss; yours went {losses[0]:.5g}, "
           f"{losses[1]:.5g}, {losses[2]:.5g}: after loss.backward() call optimizer.update()")


@lesson.check("6.4", points=1, timeout=15)
def train_step_updates_like_sgd(nb):
    case = _step_case(nb.rng)
    got, _ = _learner_steps(nb, case, 2)
    expected, _ = _reference_steps(case, 2)
    if same_params(got, expected):
        return
    nan = any(np.isnan(v).any() for v in got.values())
    if nan:
        expect(False, "the weights became NaN: call model.cleargrads() before "
                      "loss.backward() on every step (Chainer accumulates gradients, and a "
                      "fresh parameter's gradient is NaN until it is cleared)")
    expect(not same_params(got, fx.params(fx.tiny_upscaler(case["W"], case["b"]))),
           "the weights did not change: after loss.backward() call optimizer.update()")
    expect(False, "after two steps the weights differ from two SGD steps on the pixel MSE "
                  "(forward, F.mean_squared_error, model.cleargrads(), loss.backward(), "
                  "optimizer.update())")


# ---------------------------------------------------------------------------------------------
# 6.5 the content loss

def _content_case(rng):
    n, h, w = int(rng.integers(2, 4)), 2 * int(rng.integers(3, 6)), 2 * int(rng.integers(3, 6))
    return {"weights": fx.feature_weights(int(rng.integers(1 << 30))),
            "sr": rng.uniform(0, 1, (n, 3, h, w)).astype(np.float32),
            "hr": rng.uniform(0, 1, (n, 3, h, w)).astype(np.float32)}


def _reference_content(case, sr=None):
    import chainer
    import chainer.functions as F
    features = fx.features(*case["weights"])
    sr = chainer.Variable(case["sr"].copy()) if sr is None else sr
    return F.mean_squared_error(features(sr), features(case["hr"])), sr


def _content_mistakes(case):
    import chainer.functions as F
    features = fx.features(*case["weights"])
    a, b = features(case["sr"]).array, features(case["hr"]).array
    return {
        "this is the pixel MSE: the content loss compares the *features* of the two images, "
        "F.mean_squared_error(features(sr), features(hr))":
            float(F.mean_squared_error(case["sr"], case["hr"]).array),
        "this is the sum of the squared feature differences; take their mean "
        "(F.mean_squared_error), so the loss does not grow with the image size":
            float(((a - b) ** 2).sum()),
        "this is the mean absolute difference of the features; the content loss is their mean "
        "*squared* difference (F.mean_squared_error)": float(np.abs(a - b).mean()),
    }


@lesson.check("6.5", points=1, timeout=15)
def content_loss_is_the_feature_mse(nb):
    case = _content_case(nb.rng)
    features = nb.module(HELPERS).features(*case["weights"])
    got = _number(nb, nb.content_loss(features, case["sr"].copy(), case["hr"].copy()),
                  "content_loss")
    expected = float(_reference_content(case)[0].array)
    if abs(got - expected) <= 1e-5 + 1e-4 * expected:
        return
    for hint, wrong in _content_mistakes(case).items():
        if abs(got - wrong) <= 1e-5 + 1e-4 * abs(wrong):
            expect(False, hint)
    expect(False, f"expected the mean squared difference of the features of sr and hr, "
                  f"{expected:.5g}; got {got:.5g}")


@lesson.check("6.5", points=1, timeout=15)
def content_loss_sends_gradients_to_the_generator(nb):
    case = _content_case(nb.rng)
    fixtures = nb.module(HELPERS)
    sr = fixtures.variable(case["sr"])
    loss = nb.content_loss(fixtures.features(*case["weights"]), sr, case["hr"].copy())
    expect(nb.isinstance(loss, "chainer.Variable"),
           "content_loss should return a chainer.Variable (the generator is trained through "
           f"it), got {type_name(loss)}: do not convert it with float() or .array")
    loss.backward()
    grad = sr.grad
    expect(grad is not None, "after content_loss(...).backward() the super-resolved images got "
                             "no gradient: compute the loss with Chainer functions on features(sr)")
    reference, variable = _reference_content(case)
    reference.backward()
    expect(close(np.asarray(nb.array(grad)), variable.grad, atol=1e-6),
           "the gradient of your content loss with respect to sr differs from that of "
           "F.mean_squared_error(features(sr), features(hr))")


# ---------------------------------------------------------------------------------------------
# 6.6 the generator's combined loss

def _generator_case(rng):
    n = int(rng.integers(3, 9))
    return (np.float32(rng.uniform(0.002, 0.05)),
            rng.normal(0, 2, n).astype(np.float32))


def _variable(nb, array):
    """``array`` as a chainer.Variable in the worker: in the lesson the content loss and D's
    logits are Variables (``d_fake.xp`` and ``d_fake.array`` must work)."""
    return nb.module(HELPERS).variable(np.array(array, np.float32))


def _combined(content, logits, weight, kind="real"):
    adversarial = {"real": softplus(-logits).mean(),      # -log D(G(x)): the paper's
                   "fake": softplus(logits).mean(),       # -log(1 - D(G(x))): labels 0
                   "saturating": -softplus(logits).mean()}[kind]   # log(1 - D(G(x)))
    return float(content) + weight * float(adversarial)


def _check_generator_loss(nb, content, logits, weight, call):
    got = _number(nb, call(), "generator_loss")
    expected = _combined(content, logits, weight)
    if abs(got - expected) <= 1e-6 + 1e-5 * abs(expected):
        return
    near = lambda value: abs(got - value) <= 1e-6 + 1e-5 * abs(value)   # noqa: E731
    if weight != 1 and near(_combined(content, logits, 1.0)):
        expect(False, f"the adversarial term has weight 1 here; it should be {weight:g} (the "
                      "`weight` argument, 1e-3 by default as in the paper): at weight 1 the "
                      "discriminator's opinion outweighs the content by far")
    if near(_combined(content, logits, weight, "fake")):
        expect(False, "your adversarial term rewards the generator when the discriminator "
                      "calls its images fake: use the label 1 ('real') for D's logits on "
                      "the super-resolved images, F.sigmoid_cross_entropy(d_fake, ones)")
    if near(_combined(content, logits, weight, "saturating")):
        expect(False, "this is the saturating form log(1 - D(G(x))), whose gradient vanishes "
                      "while D still wins easily; the paper minimizes -log D(G(x)) = "
                      "F.sigmoid_cross_entropy(d_fake, ones)")
    if weight != 1:
        expect(False, f"expected content + {weight:g} x mean(-log sigmoid(d_fake)) = "
                      f"{expected:.6g}; got {got:.6g}")
    expect(False, f"with weight=1 expected content + mean(-log sigmoid(d_fake)) = "
                  f"{expected:.6g}; got {got:.6g}")


@lesson.check("6.6", points=1, timeout=10)
def generator_loss_weighs_the_adversarial_term(nb):
    content, logits = _generator_case(nb.rng)
    _check_generator_loss(nb, content, logits, 1e-3,
                          lambda: nb.generator_loss(_variable(nb, content), _variable(nb, logits)))
    content, logits = _generator_case(nb.rng)
    weight = float(nb.rng.choice([0.01, 0.1]))
    _check_generator_loss(nb, content, logits, weight,
                          lambda: nb.generator_loss(_variable(nb, content),
                                                    _variable(nb, logits), weight=weight))


@lesson.check("6.6", points=1, timeout=10)
def generator_loss_uses_the_real_label(nb):
    content, logits = _generator_case(nb.rng)
    _check_generator_loss(nb, content, logits, 1.0,
                          lambda: nb.generator_loss(_variable(nb, content),
                                                    _variable(nb, logits), 1.0))
    fixtures = nb.module(HELPERS)
    d_fake = fixtures.variable(logits)
    loss = nb.generator_loss(fixtures.variable(np.array(content)), d_fake, 1.0)
    expect(nb.isinstance(loss, "chainer.Variable"),
           f"generator_loss should return a chainer.Variable, got {type_name(loss)}")
    loss.backward()
    grad = np.asarray(nb.array(d_fake.grad))
    expected = -(1 / (1 + np.exp(logits.astype(np.float64)))) / len(logits)
    expect(close(grad, expected, atol=1e-6),
           "the gradient with respect to the discriminator's logits differs from that of "
           "F.sigmoid_cross_entropy(d_fake, ones)")
