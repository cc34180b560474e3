"""Moving MNIST (Srivastava, Mansimov & Salakhutdinov, 2015): handwritten digits that drift and
bounce around a canvas, the first data set of video prediction.

::

    from mlkit.data import MovingMnist, MovingMnistDataset, load_moving_mnist
    frames = MovingMnist().generate(1000, seed=0)    # uint8 (20, 1000, 64, 64)
    train = MovingMnistDataset(10_000, seed=1, input_frames=10)   # made on the fly
    test = load_moving_mnist(n=1000)                  # the public mnist_test_seq.npy

The physics. Each of ``K`` digits (images of ``h x w`` pixels) on an ``H x W`` canvas has a
top-left corner ``p_t = (y_t, x_t)`` and a velocity ``v_t``, in pixels::

    free range     F = (H - h, W - w)                          the corner stays in [0, F]
    start          p_0 ~ Uniform([0, F_y] x [0, F_x])
    direction      theta ~ Uniform[0, 2 pi)
    velocity       v_0 = L (sin theta, cos theta)               |v| = L pixels per frame,
                                                                default L = 0.1 min(F) = 3.6
    step           q = p_t + v_t
    bounce         on each axis where q < 0:  q = 0, v = +|v|   (clamped to the border; only
                   on each axis where q > F:  q = F, v = -|v|    the normal component flips)
                   p_{t+1} = q,  v_{t+1} = v
    frame          X_t[i, j] = max over the digits k of digit_k[i - round(y_t), j - round(x_t)]

so overlapping digits combine with ``max``, as in the original code. Between bounces a digit
moves exactly ``L`` per frame; a bounce frame moves less (the clamp eats the overshoot). Two
details differ from the original code without changing the statistics: frame 0 shows the start
position (the original moves once before its first frame), and corners are rounded to pixels
(the original truncates).

Shapes and layout: sequences come out as uint8 ``(T, N, H, W)`` = (time, sequence, height,
width), the layout of the public file ``mnist_test_seq.npy`` (20, 10000, 64, 64); with
``channel_axis=True``, ``(T, N, 1, H, W)``. The streaming dataset gives one sequence per example,
``(T, 1, H, W)`` float32 in [0, 1], so Chainer's converter stacks a batch to (B, T, 1, H, W).

Randomness is counter-based: every random number of sequence ``i`` is a hash of (seed, i, what
it is for), never a draw from a shared stream. So sequence ``i`` is the same whether it is made
alone (the dataset), in a batch of 10,000 or in chunks; and two seeds give unrelated data.

All array code takes an ``xp`` module (NumPy or CuPy, as ``chainer.backend.get_array_module``
returns) and uses only functions both provide; only the digit images and the output move
between them. The CuPy path has not been run on a GPU yet (the tests check, with NumPy standing
in, that every array is made through ``xp``).
"""
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import chainer
import numpy

from mlkit.atomic import atomic_write
from mlkit.data.mnist import (ChecksumMismatch, DownloadFailed, default_cache_dir, fetch_file,
                              load_mnist)

DEFAULT_FRAMES, DEFAULT_DIGITS, DEFAULT_SIZE = 20, 2, 64
# The classic step: a tenth of the free range per frame (Srivastava et al.'s 0.1 in units of
# the free range), i.e. 3.6 px for 28 px digits on a 64 px canvas.
STEP_FRACTION = 0.1
# Sequences rendered at once: the temporary arrays stay a few MB whatever the total.
DEFAULT_CHUNK = 256
SPLITS = ("train", "test")

PUBLIC_FILE = "mnist_test_seq.npy"
PUBLIC_URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"
# SHA-256 of the public file (819,200,096 bytes) as recorded by TensorFlow Datasets in
# tensorflow_datasets/url_checksums/moving_mnist.txt. torchvision's MovingMNIST records the
# MD5 be083ec986bfe91a449d63653c411eb2 for the same URL.
PUBLIC_SHA256 = "c2a3e8d3939c001ab77bf543f130157424efa486bb4d0974d2cebb773b13f8b3"
PUBLIC_SHAPE = (20, 10000, 64, 64)
URL_ENV = "MLKIT_MOVING_MNIST_URL"
# Long enough for a slow university server to start answering an 800 MB download.
DOWNLOAD_TIMEOUT_S = 30
LOAD_SOURCES = ("auto", "public", "generated")

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
# Random numbers drawn per digit: which image, start y, start x, direction.
_DRAWS_PER_DIGIT = 4


class MovingMnistError(ValueError):
    """Bad settings, or a sequence file or digit source that cannot be used. The message says
    what is wrong and what to do."""


class Motion(NamedTuple):
    """The motion of every digit of a batch of sequences (``T`` frames, ``n`` sequences, ``K``
    digits; the last axis is (y, x) in pixels).

    positions:   float64 (T, n, K, 2), top-left corners, in [0, F]
    velocities:  float64 (T, n, K, 2), the velocity that moves frame t to frame t + 1
    corners:     int64 (T, n, K, 2), ``round(positions)``: where the digits are pasted
    image_index: int64 (n, K), which image of the digit set each digit is
    """
    positions: object
    velocities: object
    corners: object
    image_index: object


def check_images(images):
    """``images`` as uint8 digit images (M, h, w) on the host; :class:`MovingMnistError` says
    what is wrong otherwise."""
    images = _to_host(images)
    if not isinstance(images, numpy.ndarray) or images.ndim != 3 or min(images.shape) == 0:
        shape = getattr(images, "shape", type(images).__name__)
        raise MovingMnistError(f"images must be an array of digit images (M, h, w), not {shape}")
    if images.dtype != numpy.uint8:
        raise MovingMnistError(
            f"images must be uint8 (0-255), not {images.dtype}; for floats in [0, 1] pass "
            "(images * 255).round().astype(numpy.uint8)")
    return images


class MovingMnist:
    """A Moving MNIST generator: the digit images plus the physics settings.

    images:      uint8 (M, h, w) digit images to draw from; default the MNIST ``split``
                 (60,000 train images when the full set is cached or downloadable, else the
                 shipped 4,000-image subset; see :func:`mlkit.data.load_mnist`).
    split:       "train" (default, as the public file) or "test", when ``images`` is None.
    frames:      T, frames per sequence (default 20).
    digits:      K, digits per sequence (default 2).
    size:        the canvas, H = W = size, or a pair (H, W) (default 64).
    step_length: L, pixels per frame (default 0.1 of the smaller free range: 3.6 for 64/28).
    mnist:       the ``source`` passed to load_mnist ("auto", "full" or "offline").
    quiet:       print nothing (load_mnist's one-line offline notice).
    """

    def __init__(self, images=None, *, split="train", frames=DEFAULT_FRAMES,
                 digits=DEFAULT_DIGITS, size=DEFAULT_SIZE, step_length=None, mnist="auto",
                 quiet=False):
        self.frames = _positive_int("frames", frames)
        self.digits = _positive_int("digits", digits)
        if isinstance(size, (tuple, list)):
            if len(size) != 2:
                raise MovingMnistError(f"size must be one number or a pair (height, width), "
                                       f"not {size!r}")
            self.canvas = (_positive_int("size", size[0]), _positive_int("size", size[1]))
        else:
            self.canvas = (_positive_int("size", size),) * 2
        source = None
        if images is None:
            if split not in SPLITS:
                raise MovingMnistError(f"split must be 'train' or 'test', not {split!r}")
            mn = load_mnist(source=mnist, quiet=quiet)
            images = mn.train_images if split == "train" else mn.test_images
            source = f"MNIST {split} ({mn.source}, {len(images):,} images)"
        self.images = check_images(images)
        self.source = source or f"{len(self.images):,} given images"
        digit_shape = self.images.shape[1:]
        if digit_shape[0] > self.canvas[0] or digit_shape[1] > self.canvas[1]:
            raise MovingMnistError(
                f"digits of {digit_shape[0]}x{digit_shape[1]} pixels do not fit on a "
                f"{self.canvas[0]}x{self.canvas[1]} canvas; use a canvas at least as large "
                "as the digits")
        self.free = (self.canvas[0] - digit_shape[0], self.canvas[1] - digit_shape[1])
        if step_length is None:
            step_length = STEP_FRACTION * min(self.free)
        if (isinstance(step_length, bool)
                or not isinstance(step_length, (int, float, numpy.integer, numpy.floating))
                or not math.isfinite(step_length) or step_length < 0):
            raise MovingMnistError(
                f"step_length must be a finite number of pixels >= 0, not {step_length!r}")
        self.step_length = float(step_length)
        self._device_images = {}

    def __repr__(self):
        return (f"MovingMnist(frames={self.frames}, digits={self.digits}, "
                f"canvas={self.canvas[0]}x{self.canvas[1]}, step_length={self.step_length:g}, "
                f"images={self.source or self.images.shape})")

    # ------------------------------------------------------------------ the physics

    def motion(self, n_sequences, seed=0, *, start=0, xp=numpy):
        """The :class:`Motion` of sequences ``start, ..., start + n_sequences - 1``."""
        n_sequences = _positive_int("n_sequences", n_sequences)
        seed, start = _seed(seed), _index("start", start)
        indices = xp.arange(start, start + n_sequences, dtype=xp.uint64)
        count = len(self.images)

        def draw(digit, what):
            return _uniform(seed, indices, digit * _DRAWS_PER_DIGIT + what, xp)

        free = xp.asarray(self.free, dtype=xp.float64)
        image_index, start_pos, velocity = [], [], []
        for digit in range(self.digits):
            image_index.append(xp.minimum(
                xp.floor(draw(digit, 0) * count).astype(xp.int64), count - 1))
            start_pos.append(xp.stack([draw(digit, 1), draw(digit, 2)], axis=-1) * free)
            theta = 2 * math.pi * draw(digit, 3)
            velocity.append(self.step_length * xp.stack([xp.sin(theta), xp.cos(theta)], axis=-1))
        positions, velocities = bounce(xp.stack(start_pos, axis=1), xp.stack(velocity, axis=1),
                                       self.frames, free, xp=xp)
        corners = xp.rint(positions).astype(xp.int64)
        return Motion(positions, velocities, corners, xp.stack(image_index, axis=1))

    # ------------------------------------------------------------------ the pictures

    def generate(self, n_sequences, seed=0, *, start=0, channel_axis=False, xp=numpy,
                 chunk=DEFAULT_CHUNK, progress=False, workers=None):
        """Sequences ``start, ..., start + n_sequences - 1`` as uint8 (T, N, H, W), or
        (T, N, 1, H, W) with ``channel_axis``; an ``xp`` array (NumPy or CuPy).

        Made ``chunk`` sequences at a time, so beyond the output only a few MB per worker are
        used; ``progress`` shows a tqdm bar over the chunks. On NumPy, ``workers`` threads
        (default: one per CPU core) render chunks side by side: NumPy's indexed copies release
        the GIL, and chunks write disjoint canvases, so the result does not depend on them.
        """
        n_sequences = _positive_int("n_sequences", n_sequences)
        chunk = _positive_int("chunk", chunk)
        workers = (os.cpu_count() or 1) if workers is None else _positive_int("workers", workers)
        out = xp.zeros((self.frames, n_sequences) + self.canvas, dtype=xp.uint8)

        def make(first):
            count = min(chunk, n_sequences - first)
            self.render(out, first, self.motion(count, seed, start=start + first, xp=xp), xp=xp)

        firsts = _chunks(n_sequences, chunk, progress)
        if xp is not numpy or workers == 1 or n_sequences <= chunk:
            for first in firsts:
                make(first)
        else:
            with ThreadPoolExecutor(workers) as pool:
                jobs = [pool.submit(make, first) for first in range(0, n_sequences, chunk)]
                bar = iter(firsts)
                for job in jobs:
                    job.result()   # in order, so the bar moves as chunks finish
                    next(bar)
                for _ in bar:      # lets a tqdm bar close itself
                    pass
        return out[:, :, None] if channel_axis else out

    def render(self, out, first, motion, *, xp=numpy):
        """Paste the digits of ``motion`` into ``out[:, first:first + n]`` in place.

        out: uint8 (T, N, H, W), C-contiguous and zero where the digits go.

        Every (frame, sequence) pair is one canvas, so for a fixed digit ``k`` no two pastes
        touch the same pixel: digit ``k`` of all frames and sequences goes in with one indexed
        read-max-write on a view of ``out`` whose element ``s`` is the h x w window starting
        at flat offset ``s``. Digits are pasted one after another, combining with max.
        """
        frames, total, height, width = out.shape
        if out.dtype != xp.uint8 or not out.flags.c_contiguous:
            raise MovingMnistError("render needs a C-contiguous uint8 output array")
        count = motion.image_index.shape[0]
        h, w = self.images.shape[1:]
        flat = out.reshape(-1)
        windows = xp.lib.stride_tricks.as_strided(
            flat, shape=(flat.size - (h - 1) * width - w + 1, h, w),
            strides=(flat.itemsize, width * flat.itemsize, flat.itemsize))
        canvas_index = (xp.arange(frames, dtype=xp.int64)[:, None] * total
                        + xp.arange(first, first + count, dtype=xp.int64)[None, :])
        images = self._images_on(xp)[motion.image_index]          # (n, K, h, w)
        for digit in range(self.digits):
            corner = motion.corners[:, :, digit]                     # (T, n, 2)
            offset = (canvas_index * height + corner[..., 0]) * width + corner[..., 1]
            ink = images[None, :, digit]                             # (1, n, h, w)
            if digit == 0:
                windows[offset] = ink   # an empty canvas: max with zeros is the digit itself
            else:
                pasted = windows[offset]                             # (T, n, h, w)
                xp.maximum(pasted, ink, out=pasted)
                windows[offset] = pasted
        return out

    def sequence(self, index, seed=0, *, xp=numpy):
        """Sequence ``index`` alone: uint8 (T, H, W); equal to ``generate(N, seed)[:, index]``."""
        return self.generate(1, seed, start=index, xp=xp)[:, 0]

    def save(self, path, n_sequences, seed=0, *, channel_axis=False, xp=numpy,
             chunk=DEFAULT_CHUNK, progress=False):
        """Write ``generate(n_sequences, seed)`` to the ``.npy`` file ``path`` without holding
        it in memory: each chunk goes straight to its place in the file. The file appears
        only when complete (a temporary file is renamed), so an interrupted or failed run
        leaves no half-written file. Returns ``path``."""
        n_sequences = _positive_int("n_sequences", n_sequences)
        chunk = _positive_int("chunk", chunk)
        shape = (self.frames, n_sequences) + ((1,) if channel_axis else ()) + self.canvas
        frame_bytes = self.canvas[0] * self.canvas[1]
        with atomic_write(path, "wb") as file:
            numpy.lib.format.write_array_header_1_0(
                file, {"descr": "|u1", "fortran_order": False, "shape": shape})
            data_start = file.tell()
            for first in _chunks(n_sequences, chunk, progress):
                count = min(chunk, n_sequences - first)
                block = _to_host(self.generate(count, seed, start=first, xp=xp, chunk=chunk))
                for frame in range(self.frames):
                    # Frame t of sequences first..first+count-1 is one contiguous run.
                    file.seek(data_start + (frame * n_sequences + first) * frame_bytes)
                    file.write(numpy.ascontiguousarray(block[frame]).data)
                block = None  # else the next chunk is made while this one is still held
        return path

    def _images_on(self, xp):
        key = xp.__name__
        if key not in self._device_images:
            self._device_images[key] = xp.asarray(self.images)
        return self._device_images[key]


def bounce(start, velocity, frames, free, *, xp=numpy):
    """Move points with constant speed inside the box [0, free], bouncing off its walls.

    start, velocity: float (..., 2); free: (2,) the box. Returns ``(positions, velocities)``,
    float (frames, ..., 2): frame 0 is ``start``; each step adds the velocity, and on each axis
    that left the box clamps the position to the wall and turns the velocity component back
    inside (the other component keeps its value). Vectorized over everything but time, whose
    loop is inherent: where a digit is depends on where it bounced.
    """
    positions = xp.empty((frames,) + start.shape, dtype=xp.float64)
    velocities = xp.empty_like(positions)
    position = xp.asarray(start, dtype=xp.float64)
    speed = xp.asarray(velocity, dtype=xp.float64)
    for frame in range(frames):
        positions[frame], velocities[frame] = position, speed
        position = position + speed
        below, above = position < 0, position > free
        position = xp.minimum(xp.maximum(position, 0.0), free)
        speed = xp.where(below, xp.abs(speed), xp.where(above, -xp.abs(speed), speed))
    return positions, velocities


def make_moving_mnist(n_sequences, seed=0, *, channel_axis=False, xp=numpy, progress=False,
                      **settings):
    """``n_sequences`` sequences, uint8 (T, N, H, W): ``MovingMnist(**settings).generate``.
    ``settings`` are those of :class:`MovingMnist` (frames, digits, size, step_length, split,
    images, ...)."""
    return MovingMnist(**settings).generate(n_sequences, seed, channel_axis=channel_axis,
                                            xp=xp, progress=progress)


class MovingMnistDataset(chainer.dataset.DatasetMixin):
    """``length`` Moving MNIST sequences made on the fly: no file, no memory.

    Example ``i`` is sequence ``i`` of ``generator.generate(length, seed)``, so for a given digit
    set it depends only on ``(i, seed)``: the same every epoch, in every worker, on every run;
    other indices or seeds give other sequences. (The full MNIST and the offline subset are
    different digit sets: the same ``(i, seed)`` draws other digits from each.) Each example is float32 (T, 1, H, W) in [0, 1] (``dtype=numpy.uint8``: 0-255;
    ``channel_axis=False``: (T, H, W)); with ``input_frames=k`` a pair (first k frames, the
    rest), ready for ``chainer.dataset.concat_examples``.

    generator: a :class:`MovingMnist` (default: the classic settings on MNIST train).
    """

    def __init__(self, length, seed=0, generator=None, *, input_frames=None,
                 dtype=numpy.float32, channel_axis=True):
        self.length = _positive_int("length", length)
        self.seed = _seed(seed)
        self.generator = MovingMnist() if generator is None else generator
        if input_frames is not None and not 0 < input_frames < self.generator.frames:
            raise MovingMnistError(
                f"input_frames must be between 1 and {self.generator.frames - 1} (the frames "
                f"per sequence less one), not {input_frames!r}")
        self.input_frames = input_frames
        self.dtype = numpy.dtype(dtype)
        self.channel_axis = channel_axis

    def __len__(self):
        return self.length

    def get_example(self, i):
        if isinstance(i, bool) or not isinstance(i, (int, numpy.integer)):
            raise TypeError(f"a sequence index must be a whole number, not {i!r}")
        if not -self.length <= i < self.length:
            raise IndexError(f"index {i} is out of range for {self.length} sequences")
        i = int(i) % self.length
        frames = self.generator.sequence(i, self.seed)
        if self.dtype != numpy.uint8:
            frames = frames.astype(self.dtype) / self.dtype.type(255)
        if self.channel_axis:
            frames = frames[:, None]
        if self.input_frames is None:
            return frames
        return frames[:self.input_frames], frames[self.input_frames:]


# ---------------------------------------------------------------------- files

def save_sequences(path, sequences):
    """Save uint8 sequences ((T, N, H, W) or (T, N, 1, H, W), NumPy or CuPy) as a ``.npy``
    file, atomically: ``path`` holds the old file or the whole new one. Returns ``path``."""
    array = _check_sequences(_to_host(sequences), f"the array to save in {path}")
    with atomic_write(path, "wb") as file:
        numpy.save(file, array, allow_pickle=False)
    return path


def load_sequences(path, *, mmap=False):
    """Load a ``.npy`` file of uint8 sequences (T, N, H, W) or (T, N, 1, H, W).

    mmap: memory-map instead of reading (read-only; for files larger than memory).
    Raises :class:`MovingMnistError` naming the file when it is missing, unreadable, not a
    ``.npy`` file, or holds something other than uint8 sequences.
    """
    path = Path(path)
    try:
        array = numpy.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise MovingMnistError(f"{path} does not exist") from None
    except (OSError, ValueError, EOFError) as error:
        raise MovingMnistError(
            f"{path} is not a readable .npy file ({error}); make it again or delete it") from None
    return _check_sequences(array, str(path))


def load_moving_mnist(source="auto", n=None, cache_dir=None, quiet=False, *, url=None,
                      sha256=PUBLIC_SHA256, seed=0):
    """The public Moving MNIST test set ``mnist_test_seq.npy``: uint8 (20, n, 64, 64).

    source:    "auto"      the cached file; else download it (819 MB, checked against its
                           SHA-256, with a progress bar); else (no network) ``n`` sequences
                           made by :class:`MovingMnist` with the classic settings and
                           ``seed``, saying so in one printed line.
               "public"    the cached or downloaded file, or :class:`MovingMnistError`.
               "generated" generated sequences; never touches the network.
    n:         the first ``n`` sequences (default all 10,000).
    cache_dir: the data cache root (default :func:`mlkit.data.mnist.default_cache_dir`); the
               file goes in its ``moving_mnist`` folder.
    url:       where to download from; default ``$MLKIT_MOVING_MNIST_URL`` or
               :data:`PUBLIC_URL`. ``sha256``: the file's checksum (tests swap both).

    The file is memory-mapped (read-only): only the frames you touch are read from disk.
    """
    if source not in LOAD_SOURCES:
        raise MovingMnistError(f"source must be one of {LOAD_SOURCES}, not {source!r}")
    if n is not None:
        n = _positive_int("n", n)
    if source != "generated":
        folder = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "moving_mnist"
        try:
            array = _public_file(folder, url or os.environ.get(URL_ENV, "").strip() or PUBLIC_URL,
                                 sha256, quiet)
        except DownloadFailed as error:
            if source == "public":
                raise MovingMnistError(
                    f"could not download {PUBLIC_FILE} into {folder} ({error}); connect to the "
                    "network and try again, or use load_moving_mnist(source='generated')"
                ) from None
            why = f"{PUBLIC_FILE} is not cached and could not be downloaded ({error})"
        else:
            if n is not None and n > array.shape[1]:
                raise MovingMnistError(f"n={n} but {PUBLIC_FILE} holds {array.shape[1]} sequences")
            return array if n is None else array[:, :n]
    generator = MovingMnist(quiet=True)
    count = PUBLIC_SHAPE[1] if n is None else n
    if source == "auto" and not quiet:
        print(f"mlkit: {why}; using {count:,} generated sequences instead (seed {seed}, digits "
              f"from {generator.source})")
    return generator.generate(count, seed)


def _public_file(folder, url, sha256, quiet):
    target = folder / PUBLIC_FILE
    if not target.is_file():
        # Checked once, at download; hashing 800 MB on every load would take seconds.
        folder.mkdir(parents=True, exist_ok=True)

        def announce():  # only once the server answers: offline, the caller prints one line
            if not quiet:
                print(f"mlkit: downloading {PUBLIC_FILE} (819 MB) from {url} into {folder}")

        try:
            fetch_file(url, target, f"sha256:{sha256}", timeout=DOWNLOAD_TIMEOUT_S,
                       on_response=announce, progress=not quiet)
        except ChecksumMismatch as error:
            raise MovingMnistError(f"{error}; nothing was saved. Try again later.") from None
    return load_sequences(target, mmap=True)


# ---------------------------------------------------------------------- helpers

def _uniform(seed, indices, stream, xp):
    """Uniform [0, 1) float64 numbers, one per entry of ``indices`` (uint64), each a hash of
    (seed, index, stream): SplitMix64's finalizer applied twice. Integer overflow wraps
    modulo 2^64 on purpose (array arithmetic does not warn about it)."""
    seed_key = _mix_int((seed * _GOLDEN + 1) & _MASK64)
    z = indices * xp.uint64(_GOLDEN) + xp.uint64(seed_key)
    z = _mix(z, xp) + xp.uint64(((stream + 1) * _GOLDEN) & _MASK64)
    z = _mix(z, xp)
    return (z >> xp.uint64(11)).astype(xp.float64) * (1.0 / (1 << 53))


def _mix(z, xp):
    z = (z ^ (z >> xp.uint64(30))) * xp.uint64(_MIX1)
    z = (z ^ (z >> xp.uint64(27))) * xp.uint64(_MIX2)
    return z ^ (z >> xp.uint64(31))


def _mix_int(z):
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def _chunks(total, size, progress):
    starts = range(0, total, size)
    if not progress:
        return starts
    from tqdm.auto import tqdm
    return tqdm(starts, total=len(starts), unit="chunk", desc=f"{total:,} sequences")


def _to_host(array):
    return array if isinstance(array, numpy.ndarray) else chainer.backend.CpuDevice().send(array)


def _check_sequences(array, what):
    if array.dtype != numpy.uint8 or array.ndim not in (4, 5) or (
            array.ndim == 5 and array.shape[2] != 1):
        raise MovingMnistError(
            f"{what} holds {array.dtype} {array.shape}, not uint8 sequences of shape "
            "(frames, sequences, height, width) or (frames, sequences, 1, height, width)")
    return array


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value <= 0:
        raise MovingMnistError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def _index(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 0:
        raise MovingMnistError(f"{name} must be a whole number >= 0, not {value!r}")
    return int(value)


def _seed(value):
    value = _index("seed", value)
    if value > _MASK64:
        raise MovingMnistError(f"seed must be below 2**64, not {value}")
    return value
