"""Training a GAN and its vectorizer the Chainer way: losses, updaters, augmentation, and
walks through the latent space.

The two losses (D outputs logits y; sigmoid(y) = P(real)), written with
softplus(a) = log(1 + e^a), so that no sigmoid is ever rounded to 0 or 1 inside a log:

    D's loss:  E_real[-log sigmoid(y)] + E_fake[-log(1 - sigmoid(y))]
             = mean softplus(-y_real) + mean softplus(y_fake)
    G's loss:  E_fake[-log sigmoid(y)] = mean softplus(-y_fake)      ("non-saturating")

G's loss is the non-saturating one of Goodfellow et al.: minimising log(1 - sigmoid(y_fake))
instead would give G almost no gradient early on, when D rejects every fake with confidence.

:class:`GANUpdater` is a ``chainer.training.StandardUpdater`` with two optimizers, ``'gen'``
and ``'dis'``, so a ``Trainer`` with ``LogReport``, ``PrintReport``, ``ProgressBar`` and
``snapshot`` (and resuming from one) works as for any classifier::

    gen, dis = Generator(), Discriminator()
    updater = GANUpdater(SerialIterator(images, 64), adam(gen), adam(dis), seed=0)
    trainer = chainer.training.Trainer(updater, (20, "epoch"))
    trainer.extend(extensions.LogReport(trigger=(100, "iteration")))
    trainer.extend(extensions.PrintReport(["iteration", "gen/loss", "dis/loss",
                                           "dis/real", "dis/fake"]))
    trainer.run()

It reports ``gen/loss``, ``dis/loss``, and ``dis/real`` / ``dis/fake``: the mean of
sigmoid(D(x)) over the real and the fake images of the batch (D's confidence that they are
real; 0.5 for both is the equilibrium of the game).

:class:`VectorizerUpdater` trains :class:`mlkit.models.vectorizer.Vectorizer` on a fixed
generator (reports ``vec/loss``), drawing fresh codes from a :class:`LatentIterator`.
"""
import json

import chainer
import chainer.functions as F
import numpy

from mlkit.device import to_numpy
from chainer.dataset import concat_examples
from chainer.training import StandardUpdater

# ---- losses ---------------------------------------------------------------------------------


def discriminator_loss(y_real, y_fake):
    """D's loss: mean softplus(-y_real) + mean softplus(y_fake), a scalar Variable.

    ``y_real`` (N, 1) and ``y_fake`` (M, 1) are D's logits. It is the cross-entropy of D's
    answers with the labels real = 1 and fake = 0, averaged over each set separately.
    """
    return F.mean(F.softplus(-y_real)) + F.mean(F.softplus(y_fake))


def generator_loss(y_fake):
    """G's non-saturating loss: mean softplus(-y_fake) = mean -log sigmoid(D(G(z))), a scalar
    Variable; small when D takes G's images for real."""
    return F.mean(F.softplus(-y_fake))


def vectorizer_loss(z_hat, z):
    """Mean squared error between the vectorizer's codes and the true ones (per number)."""
    if z_hat.shape != z.shape:
        raise ValueError(f"codes differ in shape: {z_hat.shape} (vectorizer) vs {z.shape}")
    return F.mean_squared_error(z_hat, z)


def adam(model, alpha=2e-4, beta1=0.5):
    """``chainer.optimizers.Adam(alpha, beta1)`` set up on ``model``: the DCGAN paper's
    settings (the default beta1 = 0.9 makes GAN training oscillate more)."""
    return chainer.optimizers.Adam(alpha=alpha, beta1=beta1).setup(model)


# ---- random numbers that survive a snapshot -------------------------------------------------

def _serialize_rng(serializer, key, rng):
    """Save or restore a NumPy ``Generator``'s state, so a resumed run draws the same codes as
    an uninterrupted one. The state is stored as the bytes of its JSON text."""
    if isinstance(serializer, chainer.serializer.Serializer):
        text = json.dumps(rng.bit_generator.state)
        serializer(key, numpy.frombuffer(text.encode("ascii"), numpy.uint8))
    else:
        stored = serializer(key, None)
        rng.bit_generator.state = json.loads(bytes(numpy.asarray(stored, numpy.uint8)))


class GANUpdater(StandardUpdater):
    """One iteration = one step of D, then one step of G, on one minibatch of real images.

    Args:
        iterator: yields minibatches of real images (1, 28, 28) float32 in [-1, 1]
            (:func:`mlkit.models.dcgan.to_gan_range` of MNIST); examples that are tuples
            ``(x, label, ...)`` are fine, only ``x`` is used.
        gen_optimizer, dis_optimizer: optimizers set up on the generator and discriminator
            (:func:`adam`); their names in reports and snapshots are ``gen`` and ``dis``.
        device: where the models are moved and the batches are sent (default: leave the
            models where they are and send batches to the models' device).
        seed: seeds the codes z ~ N(0, I) (their generator is saved in snapshots).
    """

    def __init__(self, iterator, gen_optimizer, dis_optimizer, *, device=None, seed=None,
                 converter=concat_examples):
        super().__init__(iterator, {"gen": gen_optimizer, "dis": dis_optimizer},
                         converter=converter, device=device)
        self.gen, self.dis = gen_optimizer.target, dis_optimizer.target
        if getattr(self.gen, "n_latent", None) is None:
            raise TypeError(f"the 'gen' optimizer's target must be a generator with an "
                            f"n_latent attribute, got {type(self.gen).__name__}")
        self.rng = numpy.random.default_rng(seed)
        self._checked_range = False

    def sample_z(self, n):
        """``n`` fresh codes z ~ N(0, I) on the generator's device."""
        z = self.rng.standard_normal((n, self.gen.n_latent)).astype(numpy.float32)
        return self.gen.device.send(z)

    def real_batch(self):
        """The next minibatch of real images, on the discriminator's device."""
        batch = self.converter(self.get_iterator("main").next(), self.input_device)
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        x = self.dis.device.send(x)
        if not self._checked_range:
            # Images in [0, 1] train a GAN that looks fine but draws in the wrong range; the
            # check costs a device sync, so it runs on the first batch only.
            low = float(x.min())
            if low > -0.5:
                raise ValueError(
                    f"real images should be in [-1, 1] (background -1), but the smallest value "
                    f"in the first batch is {low:.3g}: convert MNIST images with "
                    "mlkit.models.dcgan.to_gan_range(x)")
            self._checked_range = True
        return x

    def update_discriminator(self, x_real, z):
        """One step of D on real images ``x_real`` and fakes G(z); returns
        ``(loss, x_fake)``, where ``x_fake`` is the fake Variable with G's graph attached."""
        x_fake = self.gen(z)
        # D's step must not change G: D reads the fake as a plain array, without G's graph.
        y_real, y_fake = self.dis(x_real), self.dis(x_fake.array)
        loss = discriminator_loss(y_real, y_fake)
        self.dis.cleargrads()
        loss.backward()
        self.get_optimizer("dis").update()
        chainer.report({"loss": loss, "real": F.mean(F.sigmoid(y_real)),
                        "fake": F.mean(F.sigmoid(y_fake))}, self.dis)
        return loss, x_fake

    def update_generator(self, z=None, x_fake=None):
        """One step of G against the current D, on G(z) (or on ``x_fake`` = G(z) made
        earlier, whose graph is reused); returns the loss."""
        if x_fake is None:
            x_fake = self.gen(z)
        loss = generator_loss(self.dis(x_fake))
        self.gen.cleargrads()
        loss.backward()   # also fills D's gradients; D's next step clears them first
        self.get_optimizer("gen").update()
        chainer.report({"loss": loss}, self.gen)
        return loss

    def update_core(self):
        x_real = self.real_batch()
        _, x_fake = self.update_discriminator(x_real, self.sample_z(len(x_real)))
        self.update_generator(x_fake=x_fake)

    def serialize(self, serializer):
        super().serialize(serializer)
        _serialize_rng(serializer, "z_rng", self.rng)


# ---- the vectorizer -------------------------------------------------------------------------

class LatentIterator(chainer.dataset.Iterator):
    """An endless supply of fresh codes z ~ N(0, I): minibatches of ``batch_size`` rows
    (n_latent,) float32. An "epoch" is ``epoch_size`` codes, only so that triggers such as
    ``(1, 'epoch')`` have a meaning; no code is ever drawn twice."""

    def __init__(self, batch_size, n_latent=100, epoch_size=10_000, seed=None):
        if batch_size < 1 or epoch_size < batch_size:
            raise ValueError(f"need 1 <= batch_size <= epoch_size, got {batch_size}, "
                             f"{epoch_size}")
        self.batch_size, self.n_latent, self.epoch_size = batch_size, n_latent, epoch_size
        self.rng = numpy.random.default_rng(seed)
        self.iteration, self.epoch, self.is_new_epoch = 0, 0, False

    def __next__(self):
        self.iteration += 1
        epoch = self.iteration * self.batch_size // self.epoch_size
        self.is_new_epoch, self.epoch = epoch > self.epoch, epoch
        z = self.rng.standard_normal((self.batch_size, self.n_latent)).astype(numpy.float32)
        return list(z)

    next = __next__

    @property
    def epoch_detail(self):
        return self.iteration * self.batch_size / self.epoch_size

    @property
    def previous_epoch_detail(self):
        return max(self.iteration - 1, 0) * self.batch_size / self.epoch_size

    def serialize(self, serializer):
        self.iteration = serializer("iteration", self.iteration)
        self.epoch = serializer("epoch", self.epoch)
        self.is_new_epoch = serializer("is_new_epoch", self.is_new_epoch)
        _serialize_rng(serializer, "rng", self.rng)


def shift_and_scale(x, max_shift=2.0, scale_range=(0.9, 1.1), rng=None, background=-1.0):
    """Each image of ``x`` (N, C, H, W) moved by its own random (dy, dx), uniform in
    [-max_shift, max_shift] pixels, and zoomed about its centre by its own factor s, uniform
    in ``scale_range``; bilinear interpolation, uncovered pixels set to ``background``.

    Output pixel (i, j) reads the input at ((i - c - dy) / s + c, (j - c - dx) / s + c), with
    c the image centre. Array code only (NumPy or CuPy, the array's own module), no loops over
    images. ``rng``: a NumPy ``Generator`` (or seed) for the random draws.
    """
    xp = chainer.backend.get_array_module(x)
    if x.ndim != 4:
        raise ValueError(f"expected images (N, C, H, W), got shape {x.shape}")
    low, high = scale_range
    if not 0 < low <= high:
        raise ValueError(f"scale_range must satisfy 0 < low <= high, got {scale_range}")
    rng = rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)
    n, channels, height, width = x.shape
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    scale = rng.uniform(low, high, n)
    return warp(x, xp.asarray(shift, x.dtype), xp.asarray(scale, x.dtype), background)


def warp(x, shift, scale, background=-1.0):
    """``x`` (N, C, H, W) moved by ``shift`` (N, 2) = (dy, dx) pixels and zoomed by ``scale``
    (N,) about the centre, bilinearly; see :func:`shift_and_scale`."""
    xp = chainer.backend.get_array_module(x)
    n, channels, height, width = x.shape
    # A one-pixel frame of background: samples that fall outside the image are clipped onto it.
    padded = xp.full((n, channels, height + 2, width + 2), background, x.dtype)
    padded[:, :, 1:-1, 1:-1] = x

    def source(size, offset):
        centre = (size - 1) / 2
        grid = xp.arange(size, dtype=x.dtype)[None, :]
        where = (grid - centre - offset[:, None]) / scale[:, None] + centre + 1   # +1: frame
        where = xp.clip(where, 0, size + 1)
        first = xp.clip(xp.floor(where).astype(numpy.int64), 0, size)
        return first, (where - first).astype(x.dtype)

    y0, wy = source(height, shift[:, 0])     # (N, H)
    x0, wx = source(width, shift[:, 1])      # (N, W)
    image = xp.arange(n)[:, None, None]
    out = xp.empty_like(x)
    for c in range(channels):
        p = padded[:, c]
        top = (p[image, y0[:, :, None], x0[:, None, :]] * (1 - wx[:, None, :])
               + p[image, y0[:, :, None], x0[:, None, :] + 1] * wx[:, None, :])
        bottom = (p[image, y0[:, :, None] + 1, x0[:, None, :]] * (1 - wx[:, None, :])
                  + p[image, y0[:, :, None] + 1, x0[:, None, :] + 1] * wx[:, None, :])
        out[:, c] = top * (1 - wy[:, :, None]) + bottom * wy[:, :, None]
    return out


class VectorizerUpdater(StandardUpdater):
    """One iteration = one step of the vectorizer V on fresh codes, against a fixed G.

    Each step draws z from the iterator, makes x = G(z) in test mode (G is not trained and its
    batch normalization uses its running averages, as when it draws for a learner), moves and
    zooms each x at random (:func:`shift_and_scale`) and lowers the loss
    :func:`vectorizer_loss` (V(x), z). Reports ``vec/loss``.

    Args:
        iterator: a :class:`LatentIterator` (codes of the generator's length).
        optimizer: set up on the vectorizer (its name is ``vec``).
        generator: the trained generator.
        max_shift, scale_range: the augmentation (``max_shift=0, scale_range=(1, 1)``: none).
        seed: seeds the augmentation.
    """

    def __init__(self, iterator, optimizer, generator, *, device=None, max_shift=2.0,
                 scale_range=(0.9, 1.1), seed=None):
        super().__init__(iterator, {"vec": optimizer}, device=device)
        self.vec, self.gen = optimizer.target, generator
        if self.vec.n_latent != generator.n_latent:
            raise ValueError(f"the vectorizer's codes have {self.vec.n_latent} numbers, the "
                             f"generator's {generator.n_latent}")
        self.max_shift, self.scale_range = max_shift, tuple(scale_range)
        self.rng = numpy.random.default_rng(seed)

    def step(self, z):
        """One step on codes ``z`` (on the device); returns the loss."""
        with chainer.using_config("train", False), chainer.no_backprop_mode():
            x = self.gen(z).array
        x = shift_and_scale(x, self.max_shift, self.scale_range, self.rng)
        loss = vectorizer_loss(self.vec(x), z)
        self.vec.cleargrads()
        loss.backward()
        self.get_optimizer("vec").update()
        chainer.report({"loss": loss}, self.vec)
        return loss

    def update_core(self):
        z = self.vec.device.send(concat_examples(self.get_iterator("main").next()))
        self.step(z)

    def serialize(self, serializer):
        super().serialize(serializer)
        _serialize_rng(serializer, "augment_rng", self.rng)


# ---- walking through the latent space -------------------------------------------------------

def _endpoints(z0, z1):
    z0, z1 = to_numpy(z0).astype(numpy.float64), to_numpy(z1).astype(numpy.float64)
    if z0.ndim != 1 or z0.shape != z1.shape:
        raise ValueError(f"need two codes of the same length (1-D), got shapes {z0.shape} and "
                         f"{z1.shape}")
    return z0, z1


def _steps(t):
    t = to_numpy(t).astype(numpy.float64)
    return numpy.linspace(0, 1, int(t)) if t.ndim == 0 else t


def lerp(z0, z1, t=8):
    """Codes on the straight line from ``z0`` to ``z1``: (1 - t) z0 + t z1.

    ``t``: the fractions (a 1-D array), or a number of evenly spaced steps including both ends.
    Returns float32 (len(t), n_latent). For z ~ N(0, I) the midpoint is shorter than either end
    (by about 1/sqrt(2) for independent codes): a region the generator rarely saw in training.
    """
    z0, z1 = _endpoints(z0, z1)
    t = _steps(t)[:, None]
    return ((1 - t) * z0 + t * z1).astype(numpy.float32)


def slerp(z0, z1, t=8):
    """Spherical interpolation: the great-circle arc from ``z0`` to ``z1``,

        slerp(t) = sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1,  cos(w) = z0.z1 / |z0||z1|

    ``t`` as in :func:`lerp`. For two codes of equal length every point keeps that length
    (the shell where N(0, I) codes live in high dimensions); otherwise the length changes
    smoothly between the two. Nearly parallel codes fall back to :func:`lerp`; exactly opposite
    ones have no unique arc and raise ValueError.
    """
    z0, z1 = _endpoints(z0, z1)
    t = _steps(t)[:, None]
    n0, n1 = numpy.linalg.norm(z0), numpy.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        raise ValueError("slerp needs two non-zero codes (the angle to 0 is undefined)")
    cos = numpy.clip(z0 @ z1 / (n0 * n1), -1.0, 1.0)
    omega = numpy.arccos(cos)
    if omega < 1e-6:
        return lerp(z0, z1, t[:, 0])
    if numpy.pi - omega < 1e-6:
        raise ValueError("z0 and z1 point in opposite directions: every great circle through "
                         "them is as short as any other, so the arc is not defined")
    out = (numpy.sin((1 - t) * omega) * z0 + numpy.sin(t * omega) * z1) / numpy.sin(omega)
    return out.astype(numpy.float32)
