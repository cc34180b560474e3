"""Real photos for super-resolution, offline: the ones that ship inside scikit-image.

Every image is float32 in [0, 1], layout (3, H, W), RGB; grayscale photos are repeated into the
three channels. A fixed split keeps the evaluation photos out of training::

    from mlkit.data.photos import load_photos, random_crops, downscale
    train = load_photos("train")                  # 14 photos: rocket, retina, brick, ...
    lr, hr = random_crops(train, 16, patch=24, scale=2, seed=0)
    lr.shape, hr.shape                            # (16, 3, 24, 24), (16, 3, 48, 48)
    test = load_photos("eval")                    # astronaut, chelsea, coffee, camera

A low-resolution image is always made by :func:`downscale`: Pillow's bicubic filter (Keys'
cubic, a = -0.5) on float32 pixels. When it shrinks, Pillow widens the filter by the scale
factor, which anti-aliases it like MATLAB's ``imresize`` -- the usual way of making SR
benchmarks since SRCNN -- and the result is clipped to [0, 1]. :func:`upscale_bicubic` (the
bicubic baseline) uses the same filter. Pixels stay float32 throughout: no rounding to 8 bits.

``load_folder(path)`` reads your own images the same way (``random_crops`` takes any list).
"""
from pathlib import Path

import numpy

#: photos the models learn from (natural images, textures, microscopy, scans)
TRAIN_PHOTOS = ("rocket", "motorcycle_left", "motorcycle_right", "hubble_deep_field", "retina",
                "immunohistochemistry", "grass", "gravel", "brick", "moon", "coins", "cell",
                "page", "text")
#: held-out photos, used only to measure (a face, an animal, a still life, a gray portrait)
EVAL_PHOTOS = ("astronaut", "chelsea", "coffee", "camera")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def _skimage_image(name):
    import skimage.data
    if name in ("motorcycle_left", "motorcycle_right"):
        left, right, _ = skimage.data.stereo_motorcycle()
        return left if name == "motorcycle_left" else right
    return getattr(skimage.data, name)()


def to_chw(image):
    """An (H, W), (H, W, 3) or (H, W, 4) uint8/float image -> float32 (3, H, W) in [0, 1].
    Gray is repeated into three channels; an alpha channel is dropped."""
    image = numpy.asarray(image)
    if image.dtype == numpy.uint8:
        image = image.astype(numpy.float32) / 255
    elif image.dtype == numpy.uint16:
        image = image.astype(numpy.float32) / 65535
    elif image.dtype == bool:
        image = image.astype(numpy.float32)
    image = image.astype(numpy.float32)
    if image.ndim == 2:
        image = numpy.stack([image] * 3, axis=-1)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected a gray, RGB or RGBA image, got shape {image.shape}")
    return numpy.ascontiguousarray(numpy.clip(image[:, :, :3], 0, 1).transpose(2, 0, 1))


def load_photo(name):
    """One scikit-image photo by name (e.g. ``"astronaut"``): float32 (3, H, W) in [0, 1]."""
    if name not in TRAIN_PHOTOS + EVAL_PHOTOS:
        raise KeyError(f"no photo {name!r}; the photos are {TRAIN_PHOTOS + EVAL_PHOTOS}")
    return to_chw(_skimage_image(name))


def load_photos(split="train"):
    """The photos of one split, ``"train"`` or ``"eval"``, in the order of the name list."""
    names = {"train": TRAIN_PHOTOS, "eval": EVAL_PHOTOS}.get(split)
    if names is None:
        raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
    return [load_photo(name) for name in names]


def load_folder(path):
    """Your own images: every readable image file directly in ``path`` (sorted by name),
    float32 (3, H, W) in [0, 1]. Raises if the folder holds none."""
    from PIL import Image, UnidentifiedImageError
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    images = []
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            with Image.open(file) as image:
                image = image.convert("RGB")
                images.append(to_chw(numpy.asarray(image)))
        except (OSError, UnidentifiedImageError):
            continue   # a broken file among many should not stop the others
    if not images:
        raise ValueError(f"{folder} holds no readable image ({', '.join(IMAGE_SUFFIXES)})")
    return images


def _resize(image, height, width):
    from PIL import Image
    channels = [numpy.asarray(Image.fromarray(numpy.ascontiguousarray(channel), "F")
                              .resize((width, height), Image.BICUBIC)) for channel in image]
    return numpy.clip(numpy.stack(channels), 0, 1).astype(numpy.float32)


def modcrop(image, scale):
    """Crop (C, H, W) at the bottom and right so that H and W are multiples of ``scale``."""
    height, width = image.shape[-2:]
    return image[..., :height - height % scale, :width - width % scale]


def downscale(image, scale):
    """(3, H, W) -> (3, H/scale, W/scale) by anti-aliased bicubic filtering (see the module
    docstring); H and W must be multiples of ``scale`` (see :func:`modcrop`)."""
    height, width = image.shape[-2:]
    if height % scale or width % scale:
        raise ValueError(f"image size {height}x{width} is not a multiple of {scale}; "
                         "modcrop it first")
    return _resize(image, height // scale, width // scale)


def upscale_bicubic(image, scale):
    """(3, h, w) -> (3, scale*h, scale*w): the bicubic baseline, clipped to [0, 1]."""
    height, width = image.shape[-2:]
    return _resize(image, height * scale, width * scale)


def upscale_nearest(image, scale):
    """(3, h, w) -> (3, scale*h, scale*w): every pixel repeated into a scale x scale block."""
    return numpy.repeat(numpy.repeat(image, scale, axis=-2), scale, axis=-1)


def pairs(photos, scale):
    """Each photo as (low resolution, high resolution), the latter modcropped."""
    result = []
    for photo in photos:
        hr = modcrop(photo, scale)
        result.append((downscale(hr, scale), hr))
    return result


def random_crops(photos, n, patch=24, scale=2, seed=0, augment=True, prepared=None):
    """``n`` random aligned training crops: (lr (n, 3, patch, patch), hr (n, 3, scale*patch,
    scale*patch)), float32 in [0, 1].

    Each photo is downscaled whole once and the crops are cut at aligned positions, so a crop's
    LR patch is exactly the corresponding part of the downscaled photo (cropping first and
    downscaling the crop would treat the crop's edges differently). Photos are drawn uniformly,
    then a position uniformly within the photo; with ``augment`` each crop pair gets one of the
    eight flips/rotations. The same ``seed`` gives the same crops.

    Args:
        photos: (3, H, W) arrays (e.g. :func:`load_photos`, :func:`load_folder`).
        prepared: the result of ``pairs(photos, scale)``, to skip the downscaling when
            drawing many batches (``photos`` is then ignored).
    """
    rng = seed if isinstance(seed, numpy.random.RandomState) else numpy.random.RandomState(seed)
    pairs_ = prepared if prepared is not None else pairs(photos, scale)
    usable = [p for p in pairs_ if min(p[0].shape[1:]) >= patch]
    if not usable:
        raise ValueError(f"no photo is large enough for {patch}-pixel low-resolution crops")
    lr = numpy.empty((n, 3, patch, patch), numpy.float32)
    hr = numpy.empty((n, 3, patch * scale, patch * scale), numpy.float32)
    for i in range(n):
        small, large = usable[rng.randint(len(usable))]
        y = rng.randint(small.shape[1] - patch + 1)
        x = rng.randint(small.shape[2] - patch + 1)
        a = small[:, y:y + patch, x:x + patch]
        b = large[:, y * scale:(y + patch) * scale, x * scale:(x + patch) * scale]
        if augment:
            k, flip = rng.randint(4), rng.randint(2)
            a, b = numpy.rot90(a, k, axes=(1, 2)), numpy.rot90(b, k, axes=(1, 2))
            if flip:
                a, b = a[:, :, ::-1], b[:, :, ::-1]
        lr[i], hr[i] = a, b
    return lr, hr
