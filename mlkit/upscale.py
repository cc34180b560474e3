"""Upscale an image with a trained SRResNet generator: the tool behind ``mlkit upscale``.

::

    mlkit upscale photo.png photo_x2.png              # the shipped x2 model
    mlkit upscale photo.png photo_x4.png --scale 4    # the x2 model applied twice
    mlkit upscale photo.png big.png --model my_generator.npz

From Python: ``upscale_file("in.png", "out.png")``, or ``upscale(model, image)`` on a
float32 (3, H, W) array in [0, 1].

How it works:

- The model runs on the GPU when there is one (:func:`mlkit.get_device`; ``MLKIT_DEVICE=@numpy``
  forces the CPU), in test mode.
- Large images go through in tiles of ``tile`` x ``tile`` low-resolution pixels. Each tile is
  run with a margin of real neighbouring pixels at least as wide as the generator's receptive
  radius, and only the tile's own part of the output is kept, so every output pixel sees exactly
  the input it would see in one whole-image pass: the tiled result equals the untiled one up to
  float rounding, without seams.
- ``--scale 4`` with an x2 model applies the model twice (the second pass sees the first pass's
  output, not a real photo, so it is less sharp than a true x4 model would be). Other scales are
  refused.
- Gray images are upscaled as gray (the three output channels are averaged); transparency (an
  alpha channel) is upscaled bicubically and kept; palette and CMYK images are converted to RGB
  (or RGBA); 16-bit gray stays 16-bit. The EXIF orientation of photos is applied first.
- The output is written atomically (a temporary file, then a rename): a failure leaves no file.
  Its format comes from its extension (``.png``, ``.jpg``, ...).

The shipped model is ``mlkit/models/weights/srresnet_x2.npz``, checked against its sha256 when
loaded; it is reproduced by ``nice -n 10 .venv/bin/python bench/train_upscaler.py`` (see
:mod:`mlkit.models.srgan`). ``--model FILE`` takes any generator saved in the format of
:mod:`mlkit.models.weights` (``srgan.save_generator`` writes one).
"""
import os
from pathlib import Path

import numpy

EXIT_FAILED, EXIT_USAGE = 1, 2
SUPPORTED_SCALES = (2, 4)


class UpscaleError(Exception):
    """A problem to report in one line; ``exit_code`` is 1 (failed) or 2 (usage)."""

    def __init__(self, message, exit_code=EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


def default_tile():
    """Low-resolution pixels per tile side: 512 on a GPU, 128 on the CPU (about 150 MB of
    working memory for the shipped model)."""
    from mlkit.device import device_name
    return 128 if device_name() == "@numpy" else 512


def load_model(path=None):
    """The generator stored in ``path``, or the shipped x2 model (checksum-verified); raises
    :class:`UpscaleError` with the reason when the file does not fit."""
    from mlkit.models import srgan, weights
    try:
        return weights.load(path, kind=srgan.Generator) if path else srgan.shipped_generator()
    except FileNotFoundError as error:
        raise UpscaleError(str(error)) from None
    except weights.WeightsError as error:
        raise UpscaleError(f"not an mlkit upscaler: {error}") from None


def passes_for(model_scale, scale):
    """How many times an x``model_scale`` model runs to reach ``scale``; raises
    :class:`UpscaleError` (usage) for a scale it cannot reach."""
    reachable = {model_scale ** k: k for k in (1, 2) if model_scale ** k in SUPPORTED_SCALES}
    if scale not in reachable:
        choices = " or ".join(str(s) for s in reachable)
        raise UpscaleError(f"--scale {scale} is not supported with this x{model_scale} model; "
                           f"use {choices}", EXIT_USAGE)
    return reachable[scale]


def upscale_once(model, image, tile=None, margin=None, progress=True, description="upscaling"):
    """One pass of ``model``: float32 (3, h, w) -> (3, s*h, s*w), not clipped.

    Args:
        tile: low-resolution pixels per tile side (default :func:`default_tile`).
        margin: context pixels around each tile (default ``model.receptive_radius()``; less
            gives visible seams).
        progress: show a tqdm bar over the tiles.
    """
    from tqdm.auto import tqdm

    from mlkit.training.loops import predict
    tile = tile or default_tile()
    margin = model.receptive_radius() if margin is None else margin
    scale = model.scale
    _, height, width = image.shape
    out = numpy.empty((3, height * scale, width * scale), numpy.float32)
    corners = [(y, x) for y in range(0, height, tile) for x in range(0, width, tile)]
    bar = tqdm(corners, desc=description, unit="tile", disable=not progress or len(corners) < 2)
    for y0, x0 in bar:
        y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
        # the tile plus its margin, clipped to the image: at the image's edge the network
        # pads with zeros exactly as it does for the whole image
        top, left = max(y0 - margin, 0), max(x0 - margin, 0)
        bottom, right = min(y1 + margin, height), min(x1 + margin, width)
        window = numpy.ascontiguousarray(image[None, :, top:bottom, left:right])
        result = predict(model, window)[0]
        out[:, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = result[
            :, (y0 - top) * scale:(y1 - top) * scale, (x0 - left) * scale:(x1 - left) * scale]
    return out


def upscale(model, image, scale=None, tile=None, progress=True):
    """Upscale float32 (3, h, w) in [0, 1] by ``scale`` (default: the model's) -> (3, S*h, S*w)
    in [0, 1]. An x2 model reaches x4 in two passes. ``model`` stays where it is; put it on
    the GPU first with ``mlkit.to_device(model)``."""
    scale = model.scale if scale is None else scale
    passes = passes_for(model.scale, scale)
    result = numpy.asarray(image, numpy.float32)
    for k in range(passes):
        description = f"x{model.scale} pass {k + 1}/{passes}" if passes > 1 else "upscaling"
        result = upscale_once(model, result, tile=tile, progress=progress,
                              description=description)
        result = numpy.clip(result, 0, 1)   # the next pass, and the file, expect [0, 1]
    return result


# --- files -------------------------------------------------------------------------------

def _output_format(path):
    from PIL import Image
    extension = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(extension)
    if fmt is None or fmt not in Image.SAVE:
        raise UpscaleError(f"cannot write {path}: unknown image extension {extension!r} "
                           "(use .png, .jpg, .tif, ...)")
    return fmt


def check_output(path):
    """Fail early, before any computing, when ``path`` cannot be written."""
    path = Path(path)
    fmt = _output_format(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UpscaleError(f"cannot write {path}: no folder {parent}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UpscaleError(f"cannot write {path}: permission denied")
    if path.is_dir():
        raise UpscaleError(f"cannot write {path}: it is a folder")
    return fmt


def read_image(path):
    """Read an image file as ``(rgb, alpha, kind)``: float32 (3, H, W) in [0, 1], float32
    (H, W) or None, and ``"rgb"``, ``"gray"`` or ``"gray16"`` (how to write the result)."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    path = Path(path)
    if not path.is_file():
        raise UpscaleError(f"cannot read {path}: no such file")
    try:
        with Image.open(path) as opened:
            opened.seek(0)   # the first frame of an animation
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise UpscaleError(f"cannot read {path}: not an image file this tool can open "
                           f"({type(error).__name__}: {error})") from None
    mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "PA":
        image = image.convert("RGBA")
    elif mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = numpy.asarray(image, numpy.float32)
        peak = 1.0 if mode == "F" else 65535.0
        gray = numpy.clip(values / peak, 0, 1)
        return numpy.stack([gray] * 3), None, "gray16"
    elif mode not in ("1", "L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in mode or "a" in mode else "RGB")
    mode = image.mode
    if mode == "1":
        image, mode = image.convert("L"), "L"
    pixels = numpy.asarray(image, numpy.float32) / 255
    if mode == "L":
        return numpy.stack([pixels] * 3), None, "gray"
    if mode == "LA":
        return numpy.stack([pixels[..., 0]] * 3), pixels[..., 1], "gray"
    alpha = pixels[..., 3] if mode == "RGBA" else None
    return numpy.ascontiguousarray(pixels[..., :3].transpose(2, 0, 1)), alpha, "rgb"


def _to_pil(rgb, alpha, kind):
    from PIL import Image
    if kind == "gray16":
        gray = numpy.round(rgb.mean(axis=0) * 65535).astype(numpy.uint16)
        return Image.fromarray(gray)
    if kind == "gray":
        channels = [rgb.mean(axis=0)]
    else:
        channels = list(rgb)
    if alpha is not None:
        channels.append(alpha)
    pixels = numpy.round(numpy.clip(numpy.stack(channels, axis=-1), 0, 1) * 255)
    pixels = pixels.astype(numpy.uint8)
    mode = {(1, "gray"): "L", (2, "gray"): "LA", (3, "rgb"): "RGB", (4, "rgb"): "RGBA"}
    return Image.fromarray(pixels[..., 0] if len(channels) == 1 else pixels,
                           mode[len(channels), kind])


def write_image(image, path, fmt):
    """Save a PIL image to ``path`` in format ``fmt``, atomically."""
    from mlkit.atomic import atomic_write
    try:
        with atomic_write(path, "wb") as file:
            image.save(file, format=fmt)
    except (OSError, ValueError, KeyError) as error:
        raise UpscaleError(f"cannot write {path}: {error}") from None


def upscale_file(source, target, model_path=None, scale=None, tile=None, progress=True):
    """Upscale the image file ``source`` into ``target``; returns ``(width, height, scale)``
    of the written image. Raises :class:`UpscaleError` (nothing written) on any problem."""
    from mlkit.data.photos import upscale_bicubic
    from mlkit.device import get_device, to_device
    if tile is not None and tile < 1:
        raise UpscaleError(f"--tile must be a positive number of pixels, got {tile}", EXIT_USAGE)
    fmt = check_output(target)
    model = load_model(model_path)
    scale = model.scale if scale is None else scale
    passes = passes_for(model.scale, scale)
    rgb, alpha, kind = read_image(source)
    try:
        to_device(model, get_device())
    except RuntimeError as error:
        raise UpscaleError(str(error)) from None
    try:
        result = upscale(model, rgb, scale, tile=tile, progress=progress)
    except MemoryError:
        raise UpscaleError("out of memory; try a smaller --tile (e.g. 64)") from None
    if alpha is not None:
        alpha = upscale_bicubic(alpha[None], model.scale ** passes)[0]
    write_image(_to_pil(result, alpha, kind), target, fmt)
    return result.shape[2], result.shape[1], scale
