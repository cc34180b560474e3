"""DCGAN for 28 x 28 digits: a generator that draws images from random codes, and a
discriminator that tells drawn images from real ones (Radford, Metz and Chintala, 2015).

The generator G maps a code z ~ N(0, I) of ``n_latent`` numbers to an image in [-1, 1]
(-1 is the background, 1 the ink; a real MNIST image x in [0, 1] is compared as 2x - 1).
With ``width`` w (default 64)::

    z                                            (N, n_latent)
    linear -> BN -> ReLU -> reshape               (N, 2w, 7, 7)
    deconv 4x4 stride 2 pad 1 -> BN -> ReLU       (N, w, 14, 14)
    deconv 4x4 stride 2 pad 1 -> tanh             (N, 1, 28, 28)   in [-1, 1]

The discriminator D maps an image to one score (a logit: D says "real" with probability
sigmoid(score))::

    x                                             (N, 1, 28, 28)   in [-1, 1]
    conv 4x4 stride 2 pad 1 -> LeakyReLU(0.2)     (N, w, 14, 14)   no BN on the input layer
    conv 4x4 stride 2 pad 1 -> BN -> LeakyReLU    (N, 2w, 7, 7)
    linear                                        (N, 1)           the logit

Each deconvolution doubles the size: (7 - 1) * 2 - 2 * 1 + 4 = 14; each convolution halves it.
Every weight starts as N(0, 0.02^2) as in the paper; BN follows every layer except the
generator's output and the discriminator's input. The layers before a BN have no bias (BN's
beta takes its place).

::

    import mlkit
    from mlkit.models.dcgan import Generator, pretrained_generator
    gen = pretrained_generator()                     # the small model that ships with mlkit
    images = gen.sample(16, seed=0)                  # NumPy (16, 1, 28, 28) in [0, 1]

The shipped weights (``mlkit/models/weights/dcgan_generator.npz``, and the vectorizer's next to
it, in the format of :mod:`mlkit.models.weights`) were trained by the course's own code; to
reproduce them, from a checkout::

    nice -n 10 .venv/bin/python bench/train_dcgan.py --out mlkit/models/weights

The script prints the SHA-256 of each file; :data:`mlkit.models.weights.SHIPPED` holds the ones
that ship. The shipped generator is small (width 32, 100-number code; 3,000 steps on the 4,000
offline training digits, about 15 minutes on 2 shared CPU cores): it draws digits of which the
reference CNN names about a third with confidence (real digits: 88 %); see bench/RESULTS.md and
bench/gan_quality.py.
"""
from pathlib import Path

import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from mlkit.device import to_numpy
from mlkit.models import weights
from mlkit.training.loops import predict

INIT_STD = 0.02


def _check_sizes(n_latent, width):
    for name, value in (("n_latent", n_latent), ("width", width)):
        if not isinstance(value, (int, numpy.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_images(x, who):
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) != 4 or tuple(shape[1:]) != (1, 28, 28):
        raise ValueError(f"{who} takes images of shape (N, 1, 28, 28) in [-1, 1], got shape "
                         f"{shape}")


class Generator(chainer.Chain):
    """G: codes (N, n_latent) -> images (N, 1, 28, 28) in [-1, 1] (see the module's table).

    Args:
        n_latent (int): length of the code z (default 100).
        width (int): channels of the 14 x 14 layer; the 7 x 7 layer has twice as many.
    """

    def __init__(self, n_latent=100, width=64):
        super().__init__()
        _check_sizes(n_latent, width)
        self.n_latent, self.width = int(n_latent), int(width)
        w = chainer.initializers.Normal(INIT_STD)
        with self.init_scope():
            self.fc = L.Linear(self.n_latent, 2 * self.width * 7 * 7, initialW=w, nobias=True)
            self.bn0 = L.BatchNormalization(2 * self.width * 7 * 7)
            self.deconv1 = L.Deconvolution2D(2 * self.width, self.width, 4, 2, 1, initialW=w,
                                             nobias=True)
            self.bn1 = L.BatchNormalization(self.width)
            self.deconv2 = L.Deconvolution2D(self.width, 1, 4, 2, 1, initialW=w)

    @property
    def config(self):
        """The arguments that build this generator again (what a weights file stores)."""
        return dict(n_latent=self.n_latent, width=self.width)

    def forward(self, z):
        """``z`` (N, n_latent) float32 -> images (N, 1, 28, 28) in [-1, 1]."""
        shape = getattr(z, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != self.n_latent:
            raise ValueError(f"the generator takes codes of shape (N, {self.n_latent}), got "
                             f"shape {shape}")
        h = F.relu(self.bn0(self.fc(z)))
        h = F.reshape(h, (len(h), 2 * self.width, 7, 7))
        h = F.relu(self.bn1(self.deconv1(h)))
        return F.tanh(self.deconv2(h))

    def sample_z(self, n, seed=None):
        """``n`` codes z ~ N(0, I) as NumPy float32 (n, n_latent); ``seed`` fixes them."""
        return sample_z(n, self.n_latent, seed)

    def sample(self, n, seed=None, z=None, batch_size=500):
        """``n`` images (or one per row of ``z``) in test mode, as NumPy (n, 1, 28, 28) in
        [0, 1]: the range of :func:`mlkit.data.load_mnist` images, for plots and classifiers."""
        z = self.sample_z(n, seed) if z is None else to_numpy(z).astype(numpy.float32)
        return to_unit_range(generate(self, z, batch_size))


class Discriminator(chainer.Chain):
    """D: images (N, 1, 28, 28) in [-1, 1] -> logits (N, 1); sigmoid(logit) = P(real).

    Args:
        width (int): channels of the 14 x 14 layer; the 7 x 7 layer has twice as many.
        n_out (int): outputs of the head (1 for D; the vectorizer reuses this layout with
            ``n_out = n_latent``).
    """

    def __init__(self, width=64, n_out=1):
        super().__init__()
        _check_sizes(n_out, width)
        self.width, self.n_out = int(width), int(n_out)
        w = chainer.initializers.Normal(INIT_STD)
        with self.init_scope():
            self.conv1 = L.Convolution2D(1, self.width, 4, 2, 1, initialW=w)
            self.conv2 = L.Convolution2D(self.width, 2 * self.width, 4, 2, 1, initialW=w,
                                         nobias=True)
            self.bn2 = L.BatchNormalization(2 * self.width)
            self.out = L.Linear(2 * self.width * 7 * 7, self.n_out, initialW=w)

    @property
    def config(self):
        """The arguments that build this network again (what a weights file stores)."""
        return dict(width=self.width, n_out=self.n_out)

    def features(self, x):
        """``x`` (N, 1, 28, 28) -> the last hidden layer (N, 2w, 7, 7)."""
        _check_images(x, type(self).__name__)
        h = F.leaky_relu(self.conv1(x), slope=0.2)
        return F.leaky_relu(self.bn2(self.conv2(h)), slope=0.2)

    def forward(self, x):
        """``x`` (N, 1, 28, 28) in [-1, 1] -> (N, n_out) (logits for D)."""
        return self.out(self.features(x))


def sample_z(n, n_latent=100, seed=None):
    """``n`` codes z ~ N(0, I): NumPy float32 (n, n_latent). ``seed`` (int or a NumPy
    ``Generator``) makes them repeatable."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
    return rng.standard_normal((n, n_latent)).astype(numpy.float32)


def to_gan_range(x):
    """Images in [0, 1] (MNIST as loaded) -> [-1, 1] (what D reads and G draws): 2x - 1."""
    return x * 2 - 1


def to_unit_range(x):
    """Images in [-1, 1] -> [0, 1]: (x + 1) / 2, clipped against rounding."""
    xp = chainer.backend.get_array_module(x)
    return xp.clip((x + 1) / 2, 0, 1)


def generate(gen, z, batch_size=500):
    """G(z) in test mode without a graph: NumPy (N, 1, 28, 28) in [-1, 1]."""
    return predict(gen, z, batch_size, row_shape=(1, 28, 28))


# ---- the shipped models ---------------------------------------------------------------------

def _weights(name, folder):
    """The shipped file ``name`` (checksum verified), or ``name.npz`` in ``folder``."""
    return weights.load(name if folder is None else Path(folder) / f"{name}.npz")


def pretrained_generator(folder=None):
    """The generator that ships with mlkit, its checksum verified, on the CPU, in the
    sizes it was trained with (``gen.weights_info`` holds the training recipe).

    ``folder``: read ``dcgan_generator.npz`` from elsewhere instead (e.g. the output of
    ``bench/train_dcgan.py --out DIR``); such files are not checked against
    :data:`mlkit.models.weights.SHIPPED`.
    """
    return _weights("dcgan_generator", folder)


def pretrained_vectorizer(folder=None):
    """The :class:`mlkit.models.vectorizer.Vectorizer` that ships with mlkit (trained for the
    shipped generator), checksum verified, on the CPU; ``folder`` as in
    :func:`pretrained_generator`."""
    return _weights("dcgan_vectorizer", folder)


def pretrained(folder=None):
    """``(generator, vectorizer)``: both shipped models, checksums verified (see
    :func:`pretrained_generator` and :func:`pretrained_vectorizer`)."""
    return pretrained_generator(folder), pretrained_vectorizer(folder)
