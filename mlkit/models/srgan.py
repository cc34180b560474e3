"""SRGAN (Ledig et al., 2017): the SRResNet generator, the discriminator, and content features.

Images are float32 in [0, 1], layout (N, 3, H, W), RGB. With ``scale`` s the generator maps a
low-resolution batch (N, 3, h, w) to a high-resolution one (N, 3, s*h, s*w)::

    x                                          (N,   3,    h,    w)   low resolution
    conv 9x9 -> PReLU                          (N,   C,    h,    w)   = h0   (head)
    B x ResidualBlock                          (N,   C,    h,    w)
    conv 3x3 -> BN, + h0  (long skip)          (N,   C,    h,    w)
    log2(s) x [conv 3x3 to 4C, depth2space 2, PReLU]   ... (N, C, s*h, s*w)
    conv 9x9 to 3                              (N,   3,  s*h,  s*w)   super-resolved

With ``image_skip=True`` the input, upscaled by pixel repetition, is added to the last line's
output (not in the paper; see :class:`Generator`). The output has no squashing activation: it is
trained to match [0, 1] pixels with a mean squared error and is clipped to [0, 1] only when an
image is written (:mod:`mlkit.upscale`).

The paper's sizes are B = 16 blocks of C = 64 channels at s = 4 with 9x9 head and output
convolutions, trained for 10^6 minibatches on ImageNet. The course ships a model sized for a
CPU (:func:`shipped_generator`): s = 2, B = 4, C = 32, a 3x3 output convolution (a 9x9 one at
the high resolution cost more than the whole rest of the network), ``image_skip``, trained with
the pixel MSE only (the paper's SRResNet stage, no adversarial fine-tuning) for 1,200
minibatches of 16 crops on the 14 training photos of :mod:`mlkit.data.photos`.

The discriminator (:class:`Discriminator`) scores high-resolution patches as real or generated;
:func:`content_features` gives the feature map the perceptual (content) loss compares: VGG19's
``conv5_4`` when you have its weights, otherwise a small fixed network (:class:`RandomFeatures`).

Weights files are those of :mod:`mlkit.models.weights` (:func:`save_generator` writes one;
``weights.load(path)`` rebuilds the generator from the file alone). The shipped x2 model,
``mlkit/models/weights/srresnet_x2.npz`` (:func:`shipped_generator`), is checked against the
SHA-256 in :data:`mlkit.models.weights.SHIPPED` when it is loaded. It was made, from the
course's own code, by::

    nice -n 10 .venv/bin/python bench/train_upscaler.py

(seeded, 1,200 minibatches, about 15 minutes on 2 busy cores; it prints the file's sha256;
bench/RESULTS.md, section "Super-resolution (shipped upscaler)", has its measured quality).
The file is written byte-for-byte reproducibly (sorted members, fixed zip timestamps), so the
same run on the same machine gives the same checksum; another BLAS library or CPU may round
differently, and the retrained file then differs in its last bits and in its checksum.
"""
import math
from pathlib import Path

import numpy

import chainer
import chainer.functions as F
import chainer.links as L

from mlkit.atomic import atomic_write
from mlkit.models import weights

SCALES = (2, 4)
UPSAMPLERS = ("subpixel", "deconv")


def _conv(in_channels, out_channels, ksize, stride=1, nobias=False):
    # "same" padding for odd kernels; He initialisation suits the (P/Leaky)ReLUs that follow.
    return L.Convolution2D(in_channels, out_channels, ksize, stride, ksize // 2, nobias=nobias,
                           initialW=chainer.initializers.HeNormal())


class ResidualBlock(chainer.Chain):
    """``y = x + BN(conv3x3(PReLU(BN(conv3x3(x)))))``; shape (N, C, H, W) -> (N, C, H, W).

    The identity skip lets each block learn only a correction to its input, which is what makes
    a deep stack of them trainable. The convolutions have no bias: the batch normalization right
    after each adds its own shift. PReLU learns one negative slope per channel.
    """

    def __init__(self, channels=64):
        super().__init__()
        with self.init_scope():
            self.conv1 = _conv(channels, channels, 3, nobias=True)
            self.bn1 = L.BatchNormalization(channels)
            self.act = L.PReLU((channels,))
            self.conv2 = _conv(channels, channels, 3, nobias=True)
            self.bn2 = L.BatchNormalization(channels)

    def forward(self, x):
        h = self.act(self.bn1(self.conv1(x)))
        return x + self.bn2(self.conv2(h))


def pixel_shuffle(x, r):
    """Sub-pixel rearrangement, ``F.depth2space(x, r)``: (N, r*r*C, H, W) -> (N, C, r*H, r*W).

    Chainer follows TensorFlow's channel order: output pixel ``(c, r*y + i, r*x + j)`` is input
    channel ``(i*r + j)*C + c`` at ``(y, x)`` (PyTorch's ``pixel_shuffle`` uses ``c*r*r + i*r + j``
    instead, which matters only when weights are converted between the two).
    """
    return F.depth2space(x, r)


def upscale_nearest(x, r):
    """(N, C, H, W) -> (N, C, r*H, r*W), each pixel repeated into an r x r block: r*r copies of
    the channels put through :func:`pixel_shuffle` (every sub-pixel slot gets the same value)."""
    return F.depth2space(F.concat([x] * (r * r), axis=1), r)


class SubpixelUpsampler(chainer.Chain):
    """x2 upsampling: conv3x3 C -> 4C, :func:`pixel_shuffle` by 2, PReLU.

    (N, C, H, W) -> (N, 4C, H, W) -> (N, C, 2H, 2W). Every output pixel is computed by the same
    number of weights, so it avoids the uneven overlap that gives :class:`DeconvUpsampler` its
    checkerboard; its four sub-pixel filters start out different all the same, so a briefly
    trained one can still show a (weaker) checkerboard unless they start equal (ICNR
    initialisation) or the input is added back (the generator's ``image_skip``).
    """

    def __init__(self, channels):
        super().__init__()
        with self.init_scope():
            self.conv = _conv(channels, 4 * channels, 3)
            self.act = L.PReLU((channels,))

    def forward(self, x):
        return self.act(pixel_shuffle(self.conv(x), 2))


class DeconvUpsampler(chainer.Chain):
    """x2 upsampling by a transposed convolution (kernel 3, stride 2, pad 1), then PReLU.

    (N, C, H, W) -> (N, C, 2H, 2W). With a kernel of 3 and a stride of 2 the kernel footprints
    overlap unevenly: even output rows/columns receive one tap per input pixel, odd ones two, so
    an untrained or briefly trained network prints a checkerboard (Odena et al., 2016). Kept
    for the lesson's comparison with :class:`SubpixelUpsampler`.
    """

    def __init__(self, channels):
        super().__init__()
        with self.init_scope():
            self.deconv = L.Deconvolution2D(channels, channels, 3, stride=2, pad=1,
                                            initialW=chainer.initializers.HeNormal())
            self.act = L.PReLU((channels,))

    def forward(self, x):
        # The output size is ambiguous for a stride of 2 (2H - 1 or 2H); ask for 2H explicitly.
        height, width = x.shape[2:]
        h = F.deconvolution_2d(x, self.deconv.W, self.deconv.b, stride=2, pad=1,
                               outsize=(2 * height, 2 * width))
        return self.act(h)


class Generator(chainer.Chain):
    """SRResNet: (N, 3, h, w) in [0, 1] -> (N, 3, scale*h, scale*w) (see the module docstring).

    Args:
        scale: 2 or 4 (one or two x2 upsamplers).
        n_blocks: residual blocks (the paper: 16).
        channels: feature maps C (the paper: 64).
        upsample: ``"subpixel"`` (the paper) or ``"deconv"`` (transposed convolutions).
        head_ksize, out_ksize: kernel sizes of the first and last convolutions (the paper: 9).
        image_skip: add the input, upscaled by pixel repetition, to the output, so the network
            only learns the correction to a blocky upscaling (residual learning as in VDSR,
            Kim et al. 2016). Not in the paper; it makes a small model useful after minutes of
            CPU training instead of days (the shipped model uses it).
    """

    def __init__(self, scale=4, n_blocks=16, channels=64, upsample="subpixel", head_ksize=9,
                 out_ksize=9, image_skip=False):
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        if upsample not in UPSAMPLERS:
            raise ValueError(f"upsample must be one of {UPSAMPLERS}, got {upsample!r}")
        if head_ksize % 2 == 0 or out_ksize % 2 == 0:
            raise ValueError("head_ksize and out_ksize must be odd (so that the size is kept)")
        self.config = dict(scale=int(scale), n_blocks=int(n_blocks), channels=int(channels),
                           upsample=upsample, head_ksize=int(head_ksize),
                           out_ksize=int(out_ksize), image_skip=bool(image_skip))
        self.scale = int(scale)
        upsampler = SubpixelUpsampler if upsample == "subpixel" else DeconvUpsampler
        with self.init_scope():
            self.head = _conv(3, channels, head_ksize)
            self.head_act = L.PReLU((channels,))
            self.blocks = chainer.ChainList(*[ResidualBlock(channels) for _ in range(n_blocks)])
            self.body_conv = _conv(channels, channels, 3, nobias=True)
            self.body_bn = L.BatchNormalization(channels)
            self.upsamplers = chainer.ChainList(
                *[upsampler(channels) for _ in range(int(math.log2(scale)))])
            # Started at zero when the input is added back, so that the untrained model already
            # returns the blocky upscaling instead of noise (a loss of about 30 dB instead of 20).
            out_init = 0 if image_skip else chainer.initializers.HeNormal()
            self.out = L.Convolution2D(channels, 3, out_ksize, 1, out_ksize // 2,
                                       initialW=out_init)

    def forward(self, x):
        h0 = self.head_act(self.head(x))
        h = h0
        for block in self.blocks:
            h = block(h)
        h = self.body_bn(self.body_conv(h)) + h0   # the long skip over all blocks
        for upsampler in self.upsamplers:
            h = upsampler(h)
        y = self.out(h)
        if self.config["image_skip"]:
            y = y + upscale_nearest(x, self.scale)
        return y

    def receptive_radius(self):
        """How many low-resolution pixels on each side one output pixel depends on (an upper
        bound). Tiles need at least this much real context for seamless tiling."""
        c = self.config
        radius = c["head_ksize"] // 2 + 2 * c["n_blocks"] + 1
        # each x2 upsampler sees one pixel around at its own input resolution
        radius += sum(0.5 ** stage for stage in range(len(self.upsamplers)))
        radius += (c["out_ksize"] // 2) / self.scale
        return int(math.ceil(radius))


class Discriminator(chainer.Chain):
    """The paper's discriminator: (N, 3, H, W) high-resolution patches -> (N,) logits.

    Eight conv3x3 layers with LeakyReLU(0.2), batch norm on all but the first; widths
    w, w, 2w, 2w, 4w, 4w, 8w, 8w (the paper: w = 64, so 64 -> 512) and strides 1, 2, 1, 2, ...
    so the map halves four times (96 x 96 -> 6 x 6) while the channels double three times.
    Then dense ``dense`` (the paper: 1024) -> LeakyReLU -> dense 1. The output is the logit;
    the sigmoid is applied by the loss (``F.sigmoid_cross_entropy``), which is numerically safer
    than a sigmoid layer followed by a log.

    The first dense layer is sized from the first batch it sees, so one discriminator serves one
    patch size. ``Discriminator(width=16, dense=128)`` is the sized-down option for CPUs
    (about 1/16 of the paper's convolution work).
    """

    def __init__(self, width=64, dense=1024):
        super().__init__()
        widths = [width, width, 2 * width, 2 * width, 4 * width, 4 * width, 8 * width, 8 * width]
        self.strides = [1, 2] * 4
        with self.init_scope():
            self.convs = chainer.ChainList(*[
                _conv(3 if i == 0 else widths[i - 1], widths[i], 3, stride=self.strides[i],
                      nobias=i > 0) for i in range(8)])
            self.bns = chainer.ChainList(*[L.BatchNormalization(c) for c in widths[1:]])
            self.fc1 = L.Linear(None, dense)
            self.fc2 = L.Linear(dense, 1)

    def forward(self, x):
        h = F.leaky_relu(self.convs[0](x), 0.2)
        for conv, bn in zip(self.convs[1:], self.bns):
            h = F.leaky_relu(bn(conv(h)), 0.2)
        h = F.leaky_relu(self.fc1(h), 0.2)
        return F.reshape(self.fc2(h), (-1,))


# --- content (perceptual) features -------------------------------------------------------

VGG_MEAN_BGR = (103.939, 116.779, 123.68)


class VGGFeatures(chainer.Chain):
    """VGG19 ``conv5_4`` features (after its ReLU) of (N, 3, H, W) RGB images in [0, 1].

    (N, 3, H, W) -> (N, 512, H/16, W/16), multiplied by ``1/12.75`` as in the paper so that the
    content loss is of the order of a pixel MSE. The images are converted to what the Caffe VGG
    expects: 0-255, BGR, ImageNet mean subtracted.

    Args:
        path: the weights, as Chainer's converted ``VGG_ILSVRC_19_layers.npz`` or the original
            ``.caffemodel`` (converted once into mlkit's cache; needs ``protobuf``). Nothing is
            downloaded.
        layer: any name of ``chainer.links.VGG19Layers().available_layers``.
    """

    def __init__(self, path, layer="conv5_4", rescale=1 / 12.75):
        super().__init__()
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no VGG19 weights at {path} (give the path of "
                                    "VGG_ILSVRC_19_layers.npz or .caffemodel)")
        if path.suffix == ".caffemodel":
            path = _caffemodel_as_npz(path)
        self.layer = layer
        self.rescale = rescale
        with self.init_scope():
            self.vgg = L.VGG19Layers(pretrained_model=str(path))
        self.vgg.disable_update()

    def forward(self, x):
        return self.vgg(vgg_input(x), layers=[self.layer])[self.layer] * self.rescale


def vgg_input(x):
    """RGB (N, 3, H, W) in [0, 1] -> what the Caffe VGG was trained on: BGR, 0-255, ImageNet
    mean subtracted (as ``chainer.links.model.vision.vgg.prepare`` does for one image)."""
    xp = chainer.backend.get_array_module(x)
    mean = xp.asarray(VGG_MEAN_BGR, numpy.float32).reshape(1, 3, 1, 1)
    # F.flip, not x[:, ::-1]: the slice's backward on a GPU goes through CuPy's deprecated
    # ndarray.scatter_add; a flip's backward is another flip.
    return F.flip(x, axis=1) * 255.0 - mean


def _caffemodel_as_npz(path):
    from mlkit.data.mnist import default_cache_dir
    target = default_cache_dir() / "models" / f"{path.stem}-from-caffemodel.npz"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target, "wb") as file:
            # Chainer's converter writes wherever it is told; a temporary file keeps it atomic.
            L.VGG19Layers.convert_caffemodel_to_npz(str(path), file)
    return target


class RandomFeatures(chainer.Chain):
    """The course's stand-in for VGG19 when its weights are absent: a small fixed network.

    (N, 3, H, W) -> (N, 64, H/4, W/4): conv3x3 3->32, ReLU, conv3x3 32->32 stride 2, ReLU,
    conv3x3 32->64, ReLU, conv3x3 64->64 stride 2, ReLU. Its weights are drawn once from a
    seeded He-normal distribution and never trained (random convolutional features already
    respond to edges and textures; see He, Wang and Hopcroft, 2016, and Ulyanov et al., 2018).

    What changes versus VGG19 ``conv5_4``: the features know nothing about objects (no ImageNet
    training), they look at 15 x 15 pixels instead of most of the image, and there are 64 of
    them at 1/4 resolution instead of 512 at 1/16. A content loss on them is a multi-scale
    edge-and-texture loss: it still prefers sharp textures to the MSE's blur, but it cannot
    tell a plausible fur texture from any other texture of the same local statistics. It is
    cheap (about 0.3 % of VGG19's work) and needs no download.
    """

    def __init__(self, seed=0):
        super().__init__()
        specs = [(3, 32, 1), (32, 32, 2), (32, 64, 1), (64, 64, 2)]
        rng = numpy.random.RandomState(seed)
        with self.init_scope():
            self.convs = chainer.ChainList(*[
                L.Convolution2D(cin, cout, 3, stride, 1, nobias=True,
                                initialW=rng.normal(0, math.sqrt(2 / (cin * 9)),
                                                    (cout, cin, 3, 3)).astype(numpy.float32))
                for cin, cout, stride in specs])
        self.disable_update()

    def forward(self, x):
        h = x * 2.0 - 1.0   # centred input, as VGG's mean subtraction does
        for conv in self.convs:
            h = F.relu(conv(h))
        return h


def content_features(vgg19_path=None):
    """The feature extractor of the content loss: :class:`VGGFeatures` when ``vgg19_path`` is
    given, else :class:`RandomFeatures`. Both map RGB [0, 1] batches to feature maps."""
    return VGGFeatures(vgg19_path) if vgg19_path else RandomFeatures()


def content_loss(features, sr, hr):
    """Mean squared distance between the features of super-resolved and real images."""
    return F.mean_squared_error(features(sr), features(hr))


# --- weights files -----------------------------------------------------------------------

def save_generator(model, path, info=None):
    """Write ``model``'s weights, its architecture and ``info`` (a dict of plain values) to
    ``path`` atomically (:func:`mlkit.models.weights.save`); returns the file's sha256."""
    return weights.save(model, path, **(info or {}))


def shipped_generator():
    """The small x2 SRResNet that ships with mlkit, checksum-verified (see the module
    docstring for how it was trained and how to reproduce it)."""
    return weights.load("srresnet_x2", kind=Generator)
