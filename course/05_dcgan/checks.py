"""Lesson 5, DCGAN, the vectorizer and morphing: the checks of its six exercises.

Each check draws its own sizes, codes and images from ``nb.rng`` and compares the learner's
answer with a reference computed here, so one exercise never depends on another being right:
the updater's check hands the learner's class the course's own models
(:mod:`helpers`, the lesson's worker-side building blocks, made in the worker and here from the same numbers) and
the course's own losses, so a mistake in exercise 5.1 or 5.2 costs nothing in 5.3. A typical
mistake gets a hint of its own only when the answer really shows that mistake (the mistaken
answer is computed and compared); otherwise the hint says what was expected and what came back.
"""
import numpy as np
import scipy.linalg

import mlkit  # noqa: F401  (before chainer: makes it import on this NumPy)
from mlkit.grading.check_helpers import (as_pair, make_chain, real_number, sigmoid,
                                         softplus, type_name)
from . import helpers as fx
from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

HELPERS = f"{__package__}.helpers"   # the worker imports this lesson's helpers by name

lesson = Lesson(5, "DCGAN, the vectorizer, and morphing between real images",
                notebook="05_dcgan")
# What each exercise asks the learner to write, and the library callables that may not stand
# in for it while its checks run (mlkit.grading.guard). Nothing a check of that exercise calls
# (in the worker or here) is among them: 5.3's checks hand the updater the library's losses and
# the course's models, so 5.3 names only the library's updater; 5.4's checks make the course's
# generator and compare with warp(), so 5.4 names only the ways to draw codes and images.
lesson.exercise("5.1", "The generator and the discriminator",
                write_yourself=("mlkit.models.dcgan", "mlkit.models.vectorizer"),
                how="build the layers of the table with chainer.links in init_scope and write "
                    "forward with chainer.functions")
lesson.exercise("5.2", "The two GAN losses",
                write_yourself=("mlkit.training.gan.discriminator_loss",
                                "mlkit.training.gan.generator_loss"),
                how="write each loss with F.softplus and F.mean on the logits")
lesson.exercise("5.3", "One step of the GAN updater",
                write_yourself=("mlkit.training.gan.GANUpdater",),
                how="write both steps in update_core: each loss, cleargrads(), backward() and "
                    "its own optimizer's update()")
lesson.exercise("5.4", "The vectorizer's training pair",
                write_yourself=("mlkit.models.dcgan.sample_z", "mlkit.models.dcgan.generate",
                                "mlkit.training.loops.predict",
                                "mlkit.training.gan.VectorizerUpdater",
                                "mlkit.training.gan.LatentIterator"),
                how="draw z with rng.standard_normal, then gen(z).array inside "
                    "chainer.using_config('train', False), then shift_and_scale")
lesson.exercise("5.5", "Linear and spherical interpolation",
                write_yourself=("mlkit.training.gan.lerp", "mlkit.training.gan.slerp",
                                "scipy.interpolate.interp1d"),
                how="compute the codes from the formulas with NumPy")
lesson.exercise("5.6", "The Frechet distance",
                write_yourself=("mlkit.metrics.gan",),
                how="means, np.cov(f, rowvar=False) and scipy.linalg.sqrtm, then the formula")


def _scalar(nb, value, what):
    """A loss as a float: it must be a chainer.Variable holding one number."""
    expect(nb.isinstance(value, "chainer.Variable"),
           f"{what} should return a chainer.Variable (so that loss.backward() works), got "
           f"{type_name(value)}: compute it with chainer.functions (F.softplus, F.mean)")
    array = np.asarray(nb.array(value), np.float64)
    expect(array.size == 1, f"{what} should return one number (a mean over the batch), got "
                            f"shape {array.shape}")
    return float(array.reshape(()))


def _close(a, b, tol=1e-4):
    return np.isfinite(a) and abs(a - b) <= tol * max(1.0, abs(b))


# ---------------------------------------------------------------------------------------------
# 5.1 the models

def _variable_array(nb, value, what):
    expect(nb.isinstance(value, "chainer.Variable"),
           f"{what} should return a chainer.Variable (the output of its last layer), got "
           f"{type_name(value)}")
    return np.asarray(nb.array(value))


# The layers of the lesson's table, from the input to the output, as the functions of Chainer's
# graph name them (reshapes left out; batch normalization in test mode counts as batch
# normalization). The checks read the learner's graph in the worker as plain labels and decide
# here.
GENERATOR_LAYERS = ("Linear", "BN", "ReLU", "Deconvolution", "BN", "ReLU", "Deconvolution",
                    "Tanh")
DISCRIMINATOR_LAYERS = ("Convolution", "LeakyReLU", "Convolution", "BN", "LeakyReLU", "Linear")
_LAYER_NAMES = {"LinearFunction": "Linear", "Convolution2DFunction": "Convolution",
                "Deconvolution2DFunction": "Deconvolution", "BatchNormalization": "BN",
                "FixedBatchNormalization": "BN"}
_NEUTRAL = {"Reshape", "Copy", "Cast", "Squeeze", "ExpandDims"}
_ACTIVATIONS = {"ReLU", "LeakyReLU", "Tanh", "Sigmoid", "ELU", "ClippedReLU", "Softplus",
                "Swish", "HardSigmoid", "Maximum", "Clip", "PReLUFunction", "SELU"}
_READABLE = {"BN": "batch normalization", "Linear": "Linear", "Deconvolution": "deconv",
             "Convolution": "conv"}


def _layer_path(nb, value, limit=40):
    """``[(name, slope)]``: the functions on the graph's one path from the input to ``value``
    (read in the worker as plain strings and numbers), input first, reshapes left out.
    ``slope`` is LeakyReLU's negative slope (else None). The walk follows the one input of each
    function that came from another function; where there is none or several, it stops."""
    path, node = [], value.creator
    while node is not None and len(path) < limit:
        label = str(node.label)
        name = _LAYER_NAMES.get(label, label)
        if name not in _NEUTRAL:
            slope = real_number(node.slope) if name == "LeakyReLU" else None
            path.append((name, slope))
        following = [v for v in node.inputs if v.creator is not None]
        node = following[0].creator if len(following) == 1 else None
    return path[::-1]


def _readable(names):
    return " -> ".join(_READABLE.get(n, n) for n in names)


def _expect_layers(path, expected, who):
    """The hint for the first way ``path`` departs from the lesson's table ``expected``."""
    names = tuple(name for name, _ in path)
    table = _readable(expected)
    expect(names, f"your {who}'s output was not computed from its input by Chainer functions "
                  f"(it has no graph): follow the table, {table}")
    if who == "generator":
        last = names[-1] if names else None
        expect(last != "Sigmoid",
               "your generator ends with a sigmoid: end with F.tanh; the GAN works with images "
               "in [-1, 1] (background -1)")
        expect(last != "BN",
               "your generator applies batch normalization at its output: the table has none "
               "there (deconv2 -> tanh); DCGAN normalizes every layer except G's output and D's "
               "input")
        expect(last == "Tanh",
               f"your generator's last layer is {_READABLE.get(last, last)} without the tanh "
               "after it: the table ends with deconv2 -> tanh, so that the images lie in "
               "[-1, 1] (return F.tanh(self.deconv2(h)))")
        expect(len(names) < 2 or names[-2] != "BN",
               "your generator applies batch normalization at its output (before the tanh): "
               "the table has none there (deconv2 -> tanh); DCGAN normalizes every layer "
               "except G's output and D's input")
        hidden = [n for n in names[:-1] if n in _ACTIVATIONS and n != "ReLU"]
        expect(not hidden,
               f"your generator uses {hidden[0] if hidden else ''} after a hidden layer: the "
               "table has ReLU (F.relu) after fc and deconv1 in G (LeakyReLU is D's)")
    else:
        last = names[-1] if names else None
        expect(last != "Sigmoid",
               "your discriminator ends with a sigmoid: return the logit of its last Linear "
               "layer. The losses apply the sigmoid themselves (F.softplus works on logits), "
               "so a sigmoid inside D applies it twice")
        expect(len(names) < 2 or names[:2] != ("Convolution", "BN"),
               "your discriminator applies batch normalization right after its first "
               "convolution: the table has none at D's input (conv1 -> LeakyReLU); DCGAN "
               "normalizes every layer except G's output and D's input")
        wrong = [n for n in names if n in _ACTIVATIONS and n != "LeakyReLU"]
        expect(not wrong,
               f"your discriminator uses {wrong[0] if wrong else ''} where the table has "
               "LeakyReLU: F.leaky_relu(h, slope=0.2) after conv1 and after conv2's batch "
               "normalization (ReLU is G's)")
        slopes = sorted({s for n, s in path if n == "LeakyReLU" and s is not None
                         and abs(s - 0.2) > 1e-6})
        expect(not slopes,
               f"your discriminator's LeakyReLU has slope {slopes[0] if slopes else ''}; the "
               "table (DCGAN) uses 0.2: F.leaky_relu(h, slope=0.2)")
    expect(names == tuple(expected),
           f"the {who}'s layers, from its input to its output, should be those of the table: "
           f"{table}; yours are: {_readable(names) or 'no Chainer functions'}")


@lesson.check("5.1", points=1, timeout=20)
def generator_draws_28x28_images_in_minus_one_to_one(nb):
    n, n_latent, width = (int(nb.rng.integers(2, 6)), int(nb.rng.integers(8, 24)),
                          int(nb.rng.integers(4, 9)))
    gen = make_chain(nb, "Generator", n_latent=n_latent, width=width)
    z = nb.rng.standard_normal((n, n_latent)).astype(np.float32)
    what = f"Generator(n_latent={n_latent}, width={width})"
    x_remote = gen(z)
    x = _variable_array(nb, x_remote, what)
    if x.shape != (n, 1, 28, 28):
        hint = (f"for {n} codes {what} should draw images of shape ({n}, 1, 28, 28), got "
                f"{x.shape}")
        if len(x.shape) == 4 and x.shape[2] in (7, 14):
            hint += (": a 4x4 deconvolution with stride 2 and pad 1 doubles the size, so two of "
                     "them take the 7 x 7 maps to 28 x 28")
        expect(False, hint)
    expect(x.dtype == np.float32, f"the images should be float32, got {x.dtype}")
    expect(np.ptp(x.reshape(n, -1), axis=0).max() > 1e-6,
           f"{what} drew the same image for {n} different codes: each image should be drawn "
           "from its code z by the layers of the table")
    _expect_layers(_layer_path(nb, x_remote), GENERATOR_LAYERS, "generator")
    expect(np.isfinite(x).all() and x.min() >= -1 - 1e-6 and x.max() <= 1 + 1e-6,
           f"the generator's images should lie in [-1, 1] (end with F.tanh); got values in "
           f"[{x.min():.3g}, {x.max():.3g}]")
    expect(x.min() < -1e-3,
           "all the generated pixels are >= 0: end with F.tanh, not F.sigmoid; the GAN works "
           "with images in [-1, 1] (background -1)")
    with nb.using_config("train", False):
        again = np.asarray(nb.array(gen(z)))
    expect(again.shape == x.shape and np.allclose(again[:1], np.asarray(nb.array(
        _test_mode_single(nb, gen, z))), atol=1e-4),
        "in test mode an image should not depend on the other codes in its batch: use "
        "L.BatchNormalization (it uses its running averages in test mode)")


def _test_mode_single(nb, gen, z):
    with nb.using_config("train", False):
        return gen(z[:1])


@lesson.check("5.1", points=1, timeout=20)
def discriminator_gives_one_logit_per_image(nb):
    n, width = int(nb.rng.integers(3, 8)), int(nb.rng.integers(4, 9))
    dis = make_chain(nb, "Discriminator", width=width)
    x = (nb.rng.random((n, 1, 28, 28)) * 2 - 1).astype(np.float32)
    y_remote = dis(x)
    y = _variable_array(nb, y_remote, f"Discriminator(width={width})")
    expect(y.shape == (n, 1), f"for {n} images the discriminator should give one score each, "
                              f"shape ({n}, 1), got {y.shape}")
    expect(np.ptp(y) > 1e-7,
           f"the discriminator gave the same score to {n} different images: each logit should "
           "be computed from its image by the layers of the table")
    _expect_layers(_layer_path(nb, y_remote), DISCRIMINATOR_LAYERS, "discriminator")


def _weights(nb, model):
    """``{name: array}`` of the parameters named ``W``."""
    out = {}
    for name, p in model.namedparams():
        if name.endswith("/W"):
            array = p.array
            out[name] = None if array is None else np.asarray(nb.array(array))
    return out


@lesson.check("5.1", points=1, timeout=20)
def every_layer_learns_and_starts_as_in_the_paper(nb):
    n_latent, width = int(nb.rng.integers(8, 24)), int(nb.rng.integers(4, 9))
    gen = make_chain(nb, "Generator", n_latent=n_latent, width=width)
    dis = make_chain(nb, "Discriminator", width=width)
    z = nb.rng.standard_normal((4, n_latent)).astype(np.float32)
    F = nb.module("chainer.functions")
    loss = F.mean(dis(gen(z)))
    gen.cleargrads()
    dis.cleargrads()
    loss.backward()
    for model, name in ((gen, "Generator"), (dis, "Discriminator")):
        stuck = []
        for pname, p in model.namedparams():
            # None: no backward reached it (a link never used, or used behind .array). A
            # gradient of zeros is not "stuck": a bias followed by batch normalization gets
            # exactly 0 in exact arithmetic, and rounding noise would make that a draw
            if p.grad is None:
                stuck.append(pname)
        expect(not stuck, f"no gradient reaches {', '.join(stuck)} of the {name}: every layer "
                          "must be registered inside `with self.init_scope():` and used in "
                          "forward")
        weights = _weights(nb, model)
        expect(weights, f"the {name} has no weights named W (no L.Linear / convolution links?)")
        for pname, w in weights.items():
            if w is not None and w.size >= 64:
                # N(0, 0.02^2) drawn w.size times: the sample's standard deviation is within
                # 5 standard errors (0.02 * 5 / sqrt(2 n)) of 0.02; Chainer's default
                # initializer (1 / sqrt(fan in)) never is, whatever the sizes drawn
                std = float(np.sqrt(np.mean(np.square(w, dtype=np.float64))))
                expect(abs(std / 0.02 - 1) <= 5 / np.sqrt(2 * w.size),
                       f"{name}'s weights {pname} have standard deviation {std:.3g}; the DCGAN "
                       "paper starts every weight from N(0, 0.02^2): pass initialW=w "
                       "(chainer.initializers.Normal(0.02)) to every Linear and (de)convolution")


# ---------------------------------------------------------------------------------------------
# 5.2 the losses

def _logits(rng, n, scale=2.0):
    return rng.normal(0, scale, (n, 1)).astype(np.float32)


def _v(nb, array):
    """``array`` as a chainer.Variable in the worker: D's logits are Variables in the lesson
    (``y_real.xp`` and ``y_real.array`` must work)."""
    return nb.module("chainer").Variable(np.array(array, np.float32))


def _gradients(nb, function, what, *logits):
    """The gradients of ``function(*logits)`` with respect to its logits, through the
    learner's graph: a loss computed off the graph (NumPy, then wrapped in a Variable) gets
    none."""
    variables = [nb.module("chainer").Variable(y.copy()) for y in logits]
    loss = function(*variables)
    _scalar(nb, loss, what)
    loss.backward()
    grads = [v.grad for v in variables]
    expect(all(g is not None for g in grads),
           f"{what}(...).backward() sent no gradient to the logits: compute the loss with "
           "chainer.functions (F.softplus, F.mean) on the logits themselves, so that the "
           "networks learn from it")
    return [np.asarray(nb.array(g), np.float64) for g in grads]


@lesson.check("5.2", points=1, timeout=10)
def discriminator_loss_is_the_cross_entropy_on_logits(nb):
    for _ in range(2):
        n, m = int(nb.rng.integers(3, 9)), int(nb.rng.integers(10, 16))   # n != m
        y_real, y_fake = _logits(nb.rng, n), _logits(nb.rng, m)
        got = _scalar(nb, nb.discriminator_loss(_v(nb, y_real), _v(nb, y_fake)),
                      "discriminator_loss")
        expected = softplus(-y_real).mean() + softplus(y_fake).mean()
        if _close(got, expected):
            continue
        swapped = softplus(y_real).mean() + softplus(-y_fake).mean()
        expect(not _close(got, swapped),
               f"your loss is {got:.4f}, the loss with real and fake swapped: D should call "
               "real images real (label 1, -log sigmoid(y_real) = softplus(-y_real)) and fakes "
               "fake (label 0, -log(1 - sigmoid(y_fake)) = softplus(y_fake))")
        twice = (softplus(-sigmoid(y_real)).mean() + softplus(sigmoid(y_fake)).mean())
        expect(not _close(got, twice),
               "your loss applies the sigmoid twice: y_real and y_fake are already D's logits, "
               "so use F.softplus(-y_real) and F.softplus(y_fake) on them directly")
        pooled = np.concatenate([softplus(-y_real), softplus(y_fake)]).mean()
        expect(not _close(got, pooled),
               f"with {n} real and {m} fake logits your loss {got:.4f} is the mean over all "
               f"{n + m} together; average each set on its own and add the two means")
        expect(False, f"for {n} real and {m} fake logits the discriminator's loss is "
                      f"{expected:.4f} = mean softplus(-y_real) + mean softplus(y_fake); "
                      f"yours is {got:.4f}")
    g_real, g_fake = _gradients(nb, nb.discriminator_loss, "discriminator_loss", y_real, y_fake)
    expect(np.allclose(g_real, -sigmoid(-y_real) / n, atol=1e-6)
           and np.allclose(g_fake, sigmoid(y_fake) / m, atol=1e-6),
           "the gradient of your discriminator_loss with respect to the logits differs from "
           "that of mean softplus(-y_real) + mean softplus(y_fake)")


@lesson.check("5.2", points=1, timeout=10)
def generator_loss_is_non_saturating(nb):
    for _ in range(2):
        m = int(nb.rng.integers(4, 12))
        y_fake = _logits(nb.rng, m)
        got = _scalar(nb, nb.generator_loss(_v(nb, y_fake)), "generator_loss")
        expected = softplus(-y_fake).mean()
        if _close(got, expected):
            continue
        saturating = -softplus(y_fake).mean()      # mean log(1 - sigmoid(y))
        expect(not _close(got, saturating),
               "this is the saturating loss, minimising log(1 - D(G(z))): when D rejects the "
               "fakes (the start of every training run) its gradient vanishes and G learns "
               "nothing. Use the non-saturating loss, -log D(G(z)) = mean softplus(-y_fake)")
        expect(not _close(got, softplus(y_fake).mean()),
               "your generator loss is D's loss on the fakes (mean softplus(y_fake)): minimising "
               "it helps D. G wants D to call its images real: mean softplus(-y_fake)")
        expect(not _close(got, softplus(-sigmoid(y_fake)).mean()),
               "your loss applies the sigmoid twice: y_fake are already logits, use "
               "F.softplus(-y_fake)")
        expect(False, f"for these {m} logits G's loss is {expected:.4f} = mean softplus(-y_fake)"
                      f"; yours is {got:.4f}")
    g_fake, = _gradients(nb, nb.generator_loss, "generator_loss", y_fake)
    expect(np.allclose(g_fake, -sigmoid(-y_fake) / m, atol=1e-6),
           "the gradient of your generator_loss with respect to the logits differs from that of "
           "mean softplus(-y_fake)")


@lesson.check("5.2", points=1, timeout=10)
def losses_stay_finite_for_confident_logits(nb):
    n = int(nb.rng.integers(3, 8))
    y_real = (30 + nb.rng.random((n, 1)) * 5).astype(np.float32)      # D is sure: real
    y_fake = (30 + nb.rng.random((n, 1)) * 5).astype(np.float32)      # ... and fooled
    d = _scalar(nb, nb.discriminator_loss(_v(nb, y_real), _v(nb, y_fake)), "discriminator_loss")
    g = _scalar(nb, nb.generator_loss(_v(nb, -y_fake)), "generator_loss")
    expect(np.isfinite(d) and np.isfinite(g),
           f"for logits around +-30 your losses are {d} and {g}: sigmoid(30) rounds to 1 in "
           "float32, so log(1 - sigmoid(y)) is log(0). Write them with F.softplus "
           "(-log sigmoid(y) = softplus(-y), -log(1 - sigmoid(y)) = softplus(y))")
    expected_d = softplus(-y_real).mean() + softplus(y_fake).mean()
    expected_g = softplus(y_fake).mean()
    expect(_close(d, expected_d, 1e-3) and _close(g, expected_g, 1e-3),
           f"for confident logits (around +-30) expected D's loss {expected_d:.3f} and G's "
           f"{expected_g:.3f}, got {d:.3f} and {g:.3f}")
    g_real, g_fake = _gradients(nb, nb.discriminator_loss, "discriminator_loss", y_real, y_fake)
    g_gen, = _gradients(nb, nb.generator_loss, "generator_loss", -y_fake)
    expect(np.allclose(g_real, -sigmoid(-y_real) / n, atol=1e-6)
           and np.allclose(g_fake, sigmoid(y_fake) / n, atol=1e-6)
           and np.allclose(g_gen, -sigmoid(y_fake) / n, atol=1e-6),
           "for confident logits (around +-30) the gradients of your losses with respect to the "
           "logits are not those of the softplus forms (NaN, or no graph?): write them with "
           "F.softplus and F.mean on the logits")


# ---------------------------------------------------------------------------------------------
# 5.3 one step of the updater

def _gan_problem(nb):
    n, n_latent, width = (int(nb.rng.integers(6, 12)), int(nb.rng.integers(6, 12)),
                          int(nb.rng.integers(3, 6)))
    model_seed, z_seed = (int(s) for s in nb.rng.integers(0, 2 ** 31, 2))
    x = np.where(nb.rng.random((n, 1, 28, 28)) < 0.2, 1.0, -1.0).astype(np.float32)
    return n, n_latent, width, model_seed, z_seed, x


def _one_update(nb):
    """Run one ``update()`` of the learner's updater on the course's tiny GAN; return the
    problem, the parameters before (built here) and after (read from the worker)."""
    n, n_latent, width, model_seed, z_seed, x = _gan_problem(nb)
    remote = nb.module(HELPERS)
    losses = nb.module("mlkit.training.gan")
    gen, dis = remote.tiny_gan(n_latent, width, model_seed)
    updater = nb.DCGANUpdater(remote.batch_iterator(x), remote.adam(gen), remote.adam(dis),
                              seed=z_seed, d_loss=losses.discriminator_loss,
                              g_loss=losses.generator_loss)
    remote.repeat_codes(updater)     # G's step on fresh codes or on D's: the same step here
    updater.update()
    after = remote.params(gen), remote.params(dis)
    z = np.random.default_rng(z_seed).standard_normal((n, n_latent)).astype(np.float32)
    return x, z, (n_latent, width, model_seed), after


def _local_pair(sizes, after=None):
    gen, dis = fx.tiny_gan(*sizes)
    if after is not None:
        fx.set_params(gen, after[0])
        fx.set_params(dis, after[1])
    return gen, dis


def _losses_here(gen, dis, x, z):
    """(D's loss, G's loss) of the course's losses, in training mode, without a graph."""
    import chainer
    with chainer.using_config("train", True), chainer.no_backprop_mode():
        fake = gen(z).array
        y_real, y_fake = dis(x).array, dis(fake).array
    return (float(softplus(-y_real).mean() + softplus(y_fake).mean()),
            float(softplus(-y_fake).mean()))


def _changed(before, after):
    return any(not np.array_equal(before[k], after[k]) for k in before)


def _expect_finite(params, who):
    broken = sorted(k for k, v in params.items() if not np.isfinite(v).all())
    expect(not broken,
           f"after one update {who}'s parameters {', '.join(broken)} are NaN: an optimizer "
           "stepped on gradients no backward() had filled (Chainer starts them as NaN). Each "
           "optimizer must update right after the backward of its own model's loss: "
           "self.get_optimizer('dis') after D's, self.get_optimizer('gen') after G's")


@lesson.check("5.3", points=1, timeout=30)
def discriminator_step_lowers_its_loss(nb):
    x, z, sizes, after = _one_update(nb)
    gen0, dis0 = _local_pair(sizes)
    _expect_finite(after[1], "D")
    _, dis1 = _local_pair(sizes, after)
    expect(_changed(fx.params(dis0), after[1]),
           "after one update the discriminator's parameters did not change: after D's "
           "loss.backward() call self.get_optimizer('dis').update() (the optimizer of D, not "
           "of G)")
    before_loss, _ = _losses_here(gen0, dis0, x, z)
    after_loss, _ = _losses_here(gen0, dis1, x, z)
    expect(after_loss < before_loss,
           f"on a fixed batch D's loss went from {before_loss:.5f} to {after_loss:.5f} with "
           "D's step; it should go down: D's loss on D(x_real) and D(G(z)) (the z from "
           "self.sample_z), self.dis.cleargrads(), backward, then D's optimizer")


@lesson.check("5.3", points=1, timeout=30)
def generator_step_lowers_its_loss(nb):
    x, z, sizes, after = _one_update(nb)
    gen0, _ = _local_pair(sizes)
    _expect_finite(after[0], "G")
    gen1, dis1 = _local_pair(sizes, after)
    expect(_changed(fx.params(gen0), after[0]),
           "after one update the generator's parameters did not change: G's loss must be "
           "computed from D's logits on G(z) with G's graph attached (self.dis(x_fake), not "
           "self.dis(x_fake.array)), then self.gen.cleargrads(), loss.backward() and "
           "self.get_optimizer('gen').update()")
    _, before_loss = _losses_here(gen0, dis1, x, z)
    _, after_loss = _losses_here(gen1, dis1, x, z)
    expect(after_loss < before_loss,
           f"against the updated D, G's loss went from {before_loss:.5f} to {after_loss:.5f} "
           "with G's step; it should go down. Does G's step use G's loss, G's optimizer and "
           "cleared gradients (self.gen.cleargrads() before backward)?")


# ---------------------------------------------------------------------------------------------
# 5.4 the vectorizer's training pair

def _pair(nb, gen, n, **kwargs):
    x, z = as_pair(nb, nb.vectorizer_pair(gen, n, **kwargs),
                   "vectorizer_pair should return a pair (x, z)")
    for value, name in ((x, "x"), (z, "z")):
        expect(not nb.isinstance(value, "chainer.Variable"),
               f"{name} is a chainer.Variable; return plain arrays (x = gen(z).array): the "
               "vectorizer's inputs and targets carry no graph into G")
        expect(isinstance(value, np.ndarray),
               f"{name} should be an array, got {type_name(value)}")
    n_latent = gen.n_latent
    expect(z.shape == (n, n_latent) and z.dtype == np.float32,
           f"z should be float32 codes of shape ({n}, {n_latent}), got {z.dtype} {z.shape}")
    expect(x.shape == (n, 1, 28, 28) and x.dtype == np.float32,
           f"x should be float32 images of shape ({n}, 1, 28, 28), got {x.dtype} {x.shape}")
    return x, z


def _lively_sizes(nb, n_latent_range=(6, 14), width_range=(3, 6)):
    """``(n_latent, width, model_seed)`` of a tiny generator whose test-mode images have
    structure. Some random weights saturate tanh to a flat image, which no shift or zoom
    changes; a check of augmentation must not draw one of those."""
    for _ in range(50):
        sizes = (int(nb.rng.integers(*n_latent_range)), int(nb.rng.integers(*width_range)),
                 int(nb.rng.integers(0, 2 ** 31)))
        probe = np.random.default_rng(sizes[2]).standard_normal((16, sizes[0]))
        images = _generated(sizes, probe.astype(np.float32), train=False)
        if np.median(images.reshape(16, -1).std(axis=1)) > 0.1:
            return sizes
    raise AssertionError("no tiny generator with structured images in 50 draws")


def _generated(sizes, z, train):
    import chainer
    gen, _ = fx.tiny_gan(*sizes)
    with chainer.using_config("train", train), chainer.no_backprop_mode():
        return gen(z).array


@lesson.check("5.4", points=1, timeout=20)
def pair_is_codes_and_their_images_in_test_mode(nb):
    n, seed = int(nb.rng.integers(5, 10)), int(nb.rng.integers(0, 2 ** 31))
    sizes = _lively_sizes(nb)
    gen, _ = nb.module(HELPERS).tiny_gan(*sizes)
    x, z = _pair(nb, gen, n, max_shift=0.0, scale_range=(1.0, 1.0), seed=seed)
    expected = _generated(sizes, z, train=False)
    if np.allclose(x, expected, atol=1e-4):
        return
    expect(not np.allclose(x, _generated(sizes, z, train=True), atol=1e-4),
           "x was drawn with the generator in training mode (batch normalization used the "
           "batch's statistics): draw inside chainer.using_config('train', False), as the "
           "generator draws for a learner")
    expect(not np.allclose(x, (expected + 1) / 2, atol=1e-4),
           "x is in [0, 1]; the vectorizer reads images as the GAN does, in [-1, 1]: use "
           "gen(z).array, not gen.sample")
    expect(False, "with no augmentation (max_shift=0, scale_range=(1, 1)) x should be G(z) "
                  "of the very codes z you return, in test mode; yours differs by up to "
                  f"{np.abs(x - expected).max():.3g}")


@lesson.check("5.4", points=1, timeout=20)
def codes_are_standard_normal_and_images_are_moved(nb):
    from mlkit.training.gan import warp
    n, seed = 1000, int(nb.rng.integers(0, 2 ** 31))
    sizes = _lively_sizes(nb)
    gen, _ = nb.module(HELPERS).tiny_gan(*sizes)
    x, z = _pair(nb, gen, n, seed=seed)
    mean, std = float(z.mean()), float(z.std())
    expect(abs(mean) < 5 / np.sqrt(z.size) and abs(std - 1) < 5 / np.sqrt(2 * z.size),
           f"the codes should be drawn from N(0, I) (rng.standard_normal); yours have mean "
           f"{mean:.3f} and standard deviation {std:.3f}")
    # the fourth moment too: codes of mean 0 and deviation 1 from another distribution (say
    # uniform on [-sqrt 3, sqrt 3], E z^4 = 1.8) are not N(0, I) (E z^4 = 3, Var z^4 = 96)
    fourth = float(np.mean(np.asarray(z, np.float64) ** 4))
    expect(abs(fourth - 3) < 6 * np.sqrt(96 / z.size),
           f"the codes should be drawn from N(0, I) (rng.standard_normal); yours have mean "
           f"{mean:.3f} and standard deviation {std:.3f}, but a mean fourth power of "
           f"{fourth:.2f} where a normal distribution has 3")
    x_again, z_again = _pair(nb, gen, n, seed=seed)
    expect(np.array_equal(z, z_again) and np.allclose(x, x_again),
           "two calls with the same seed gave different pairs: draw everything from "
           "rng = np.random.default_rng(seed)")
    expect(x.min() >= -1 - 1e-4 and x.max() <= 1 + 1e-4,
           f"x should stay in [-1, 1], got values in [{x.min():.3g}, {x.max():.3g}]")
    plain = _generated(sizes, z, train=False)
    moved = np.abs(x - plain).reshape(n, -1).max(axis=1) > 1e-3
    expect(moved.mean() > 0.5,
           f"only {moved.mean():.0%} of the images were moved or zoomed: apply "
           "shift_and_scale(x, max_shift, scale_range, rng) to G(z), so that the vectorizer "
           "also learns digits that are not centred the way G centres them")
    # A zoom without shifts leaves nothing to chance: every image is G(z) zoomed by `factor`.
    factor = float(nb.rng.uniform(1.1, 1.25))
    x, z = _pair(nb, gen, 8, max_shift=0.0, scale_range=(factor, factor), seed=seed)
    plain = _generated(sizes, z, train=False)
    expected = warp(plain, np.zeros((8, 2), np.float32), np.full(8, factor, np.float32))
    expect(np.allclose(x, expected, atol=1e-4),
           f"with max_shift=0 and scale_range=({factor:.3f}, {factor:.3f}) every x should be "
           f"G(z) of its own code zoomed by {factor:.3f}; yours differs by up to "
           f"{np.abs(x - expected).max():.3g}: pass max_shift and scale_range on to "
           "shift_and_scale(x, max_shift, scale_range, rng)")


# ---------------------------------------------------------------------------------------------
# 5.5 interpolation

def _codes(rng, d):
    z0 = rng.standard_normal(d) * rng.uniform(0.7, 1.3)
    z1 = rng.standard_normal(d) * rng.uniform(0.7, 1.3)
    return z0.astype(np.float32), z1.astype(np.float32)


def _path(nb, name, z0, z1, t):
    got = nb.array(getattr(nb, name)(z0.copy(), z1.copy(), t.copy()))
    got = np.asarray(got, np.float64)
    expect(got.shape == (len(t), len(z0)),
           f"{name}(z0, z1, t) with {len(t)} fractions t and codes of {len(z0)} numbers should "
           f"return an array ({len(t)}, {len(z0)}), one code per row; got {got.shape}")
    return got


@lesson.check("5.5", points=1, timeout=10)
def lerp_walks_the_straight_line(nb):
    d = int(nb.rng.integers(5, 30))
    z0, z1 = _codes(nb.rng, d)
    t = np.concatenate([[0.0, 1.0], nb.rng.random(4)]).astype(np.float32)
    got = _path(nb, "lerp", z0, z1, t)
    expected = (1 - t[:, None]) * z0.astype(np.float64) + t[:, None] * z1
    if np.allclose(got, expected, atol=1e-5):
        return
    swapped = (1 - t[:, None]) * z1.astype(np.float64) + t[:, None] * z0
    expect(not np.allclose(got, swapped, atol=1e-5),
           "your path runs from z1 to z0: the ends are swapped. t = 0 should give z0 and "
           "t = 1 give z1: (1 - t) z0 + t z1")
    expect(False, "lerp(z0, z1, t) should give (1 - t) z0 + t z1 for each fraction t; yours "
                  f"differs by up to {np.abs(got - expected).max():.3g}")


def _slerp(z0, z1, t, normalise=True, clip=True):
    z0, z1 = z0.astype(np.float64), z1.astype(np.float64)
    cos = z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)) if normalise else z0 @ z1
    with np.errstate(all="ignore"):
        omega = np.arccos(np.clip(cos, -1, 1) if clip else cos)
        return (np.sin((1 - t[:, None]) * omega) * z0 + np.sin(t[:, None] * omega) * z1) \
            / np.sin(omega)


@lesson.check("5.5", points=1, timeout=10)
def slerp_walks_the_great_circle(nb):
    d = int(nb.rng.integers(8, 30))
    z0, z1 = _codes(nb.rng, d)
    t = np.concatenate([[0.0, 1.0], nb.rng.random(4)])
    with np.errstate(all="ignore"):
        got = _path(nb, "slerp", z0, z1, t)
    expected = _slerp(z0, z1, t)
    if np.allclose(got, expected, atol=1e-4, rtol=1e-4):
        same_length = z1 / np.linalg.norm(z1) * np.linalg.norm(z0)
        lengths = np.linalg.norm(_path(nb, "slerp", z0, same_length.astype(np.float32), t),
                                 axis=1)
        expect(np.allclose(lengths, np.linalg.norm(z0), rtol=1e-3),
               "between two codes of equal length every point of the arc should keep that "
               f"length; yours has lengths {np.round(lengths, 3).tolist()}")
        return
    raw = float(z0.astype(np.float64) @ z1)
    degenerate = abs(raw) > 1 and (not np.isfinite(got).all() or np.abs(got).max() > 100 * max(
        np.linalg.norm(z0), np.linalg.norm(z1)))
    for clip in (True, False):
        mistaken = _slerp(z0, z1, t, normalise=False, clip=clip)
        expect(not (degenerate or np.allclose(got, mistaken, atol=1e-4, rtol=1e-4,
                                              equal_nan=True)),
               "the angle between the codes needs unit vectors: cos(omega) = z0 . z1 / "
               "(|z0| |z1|) (np.linalg.norm); z0 . z1 alone is far outside [-1, 1] for codes of "
               "length ~sqrt(n_latent)")
    expect(np.isfinite(got).all(), "your slerp returned NaN or infinite values; sin(omega) "
                                   "must not be 0 for two codes that are not parallel")
    expect(False, "slerp(z0, z1, t) should give (sin((1 - t) w) z0 + sin(t w) z1) / sin(w) "
                  "with cos(w) = z0 . z1 / (|z0| |z1|); yours differs by up to "
                  f"{np.abs(got - expected).max():.3g}")


# ---------------------------------------------------------------------------------------------
# 5.6 the Frechet distance

def _features(rng, n, d, shift=0.0):
    mixing = rng.normal(0, 1, (d, d))
    return (rng.normal(0, 1, (n, d)) @ mixing + shift).astype(np.float64)


def _reference_fd(f1, f2, ddof=1):
    mu1, mu2 = f1.mean(axis=0), f2.mean(axis=0)
    s1, s2 = np.cov(f1, rowvar=False, ddof=ddof), np.cov(f2, rowvar=False, ddof=ddof)
    root = scipy.linalg.sqrtm(s1 @ s2)
    root = root[0] if isinstance(root, tuple) else root
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * np.real(root))), \
        (mu1, mu2, s1, s2)


def _number(value, what):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    number = real_number(value)
    expect(number is not None,
           f"{what} should return one real number (a float), got {type_name(value)}"
           + (" (take the real part of scipy.linalg.sqrtm's result: rounding leaves tiny "
              "imaginary parts)" if isinstance(value, (complex, np.complexfloating)) else ""))
    return number


@lesson.check("5.6", points=2, timeout=20)
def frechet_distance_matches_scipy(nb):
    for _ in range(2):
        d = int(nb.rng.integers(4, 9))
        n1, n2 = int(nb.rng.integers(150, 300)), int(nb.rng.integers(150, 300))
        f1 = _features(nb.rng, n1, d)
        f2 = _features(nb.rng, n2, d, shift=nb.rng.normal(0, 0.5, d))
        expected, (mu1, mu2, s1, s2) = _reference_fd(f1, f2)
        got = _number(nb.frechet_distance(f1.copy(), f2.copy()), "frechet_distance")
        if _close(got, expected, 1e-4):
            continue
        no_cross = float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2))
        expect(not _close(got, no_cross, 1e-4),
               f"your distance {got:.4f} lacks the cross term -2 tr((S1 S2)^(1/2)): without it "
               "two identical sets are far apart. Add it, with the matrix square root "
               "scipy.linalg.sqrtm(S1 @ S2)")
        with np.errstate(invalid="ignore"):
            elementwise = float(((mu1 - mu2) ** 2).sum()
                                + np.trace(s1 + s2 - 2 * np.sqrt(s1 @ s2)))
        expect(not (_close(got, elementwise, 1e-4) or (np.isnan(got) and np.isnan(elementwise))),
               "np.sqrt takes the square root of each entry; the distance needs the matrix "
               "square root M with M @ M = S1 @ S2: scipy.linalg.sqrtm(S1 @ S2)")
        expect(not _close(got, _reference_fd(f1, f2, ddof=0)[0], 1e-4),
               f"your distance {got:.4f} uses covariances divided by N; np.cov(f, "
               "rowvar=False) divides by N - 1 (the unbiased estimate), as the lesson does")
        expect(False, f"for two sets of {n1} and {n2} feature vectors of {d} numbers the "
                      f"Frechet distance is {expected:.4f} (scipy.linalg.sqrtm); yours is "
                      f"{got:.4f}. Means and covariances over the samples (np.cov(f, "
                      "rowvar=False)), then |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))")


@lesson.check("5.6", points=1, timeout=20)
def frechet_distance_is_zero_for_the_same_set_and_symmetric(nb):
    d, n = int(nb.rng.integers(4, 9)), int(nb.rng.integers(100, 200))
    f1 = _features(nb.rng, n, d)
    f2 = _features(nb.rng, n + 17, d, shift=1.0)
    same = _number(nb.frechet_distance(f1.copy(), f1.copy()), "frechet_distance")
    expect(abs(same) < 1e-3 * max(1.0, float(np.trace(np.cov(f1, rowvar=False)))),
           f"a set against itself should be at distance 0, yours gives {same:.4g}")
    ab = _number(nb.frechet_distance(f1.copy(), f2.copy()), "frechet_distance")
    ba = _number(nb.frechet_distance(f2.copy(), f1.copy()), "frechet_distance")
    # Exact, not "about right": a made-up formula must not fall into a window by luck. The
    # covariances divided by N instead of N - 1 (a slip the first check names) still count here.
    reference = _reference_fd(f1, f2)[0]
    expect(_close(ab, reference, 1e-4) or _close(ab, _reference_fd(f1, f2, ddof=0)[0], 1e-4),
           f"two different sets (their means {np.linalg.norm(f1.mean(0) - f2.mean(0)):.2f} "
           f"apart) should be at a distance of about {reference:.4g}; yours gives {ab:.4g}")
    expect(_close(ab, ba, 1e-4), f"the distance should be symmetric; d(a, b) = {ab:.4f} but "
                                 f"d(b, a) = {ba:.4f}")
