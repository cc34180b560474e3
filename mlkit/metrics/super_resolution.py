"""How close is a super-resolved image to the real one: PSNR and SSIM, as the SR papers measure.

Both compare the luma Y of ITU-R BT.601 (the "Y" of YCbCr, studio range 16-235), computed from
RGB in [0, 1], and ignore a border of ``border`` pixels on every side (by convention
``border = scale``: pixels near the edge lack the context a network needs). This is the protocol
behind the published Set5/Set14 numbers (SRCNN, SRResNet/SRGAN, EDSR)::

    y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255   # R, G, B in [0, 1]; y in [16, 235] / 255
    psnr = 10 log10(1 / mean((y_sr - y_hr)^2))               # data range 1
    ssim : Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03 (Wang et al., 2004)

Images are (3, H, W) or (H, W, 3) RGB float arrays in [0, 1], or (H, W) / (1, H, W) already
gray (then used as Y as they are). The super-resolved image is clipped to [0, 1] first, as it
would be when saved. The baselines :func:`upscale_nearest` and :func:`upscale_bicubic` come
from :mod:`mlkit.data.photos`, where the low-resolution images are made with the same filter.
"""
import numpy

from mlkit.device import to_numpy

_SSIM_SIGMA, _SSIM_TRUNCATE = 1.5, 3.5   # scikit-image's truncation for Gaussian weights
_Y_WEIGHTS = numpy.array([65.481, 128.553, 24.966]) / 255.0


def rgb_to_y(image):
    """BT.601 luma of an RGB image in [0, 1]: (3, H, W) or (H, W, 3) -> (H, W) float64 in
    [16/255, 235/255]. A 2-D (or one-channel) image is returned as it is (as float64)."""
    image = numpy.asarray(to_numpy(image), numpy.float64)
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[0] == 3:
        return numpy.tensordot(_Y_WEIGHTS, image, axes=(0, 0)) + 16 / 255
    if image.ndim == 3 and image.shape[2] == 3:
        return image @ _Y_WEIGHTS + 16 / 255
    raise ValueError(f"expected an RGB image (3, H, W) or (H, W, 3), or a gray (H, W) one, "
                     f"got shape {image.shape}")


def _prepare(sr, hr, border):
    sr = numpy.clip(to_numpy(sr).astype(numpy.float64), 0, 1)
    hr = to_numpy(hr)
    if sr.shape != numpy.shape(hr):
        raise ValueError(f"the two images differ in shape: {sr.shape} vs {numpy.shape(hr)}")
    y_sr, y_hr = rgb_to_y(sr), rgb_to_y(hr)
    if border < 0 or 2 * border >= min(y_sr.shape):
        raise ValueError(f"border {border} leaves nothing of a {y_sr.shape} image")
    if border:
        y_sr = y_sr[border:-border, border:-border]
        y_hr = y_hr[border:-border, border:-border]
    return y_sr, y_hr


def psnr(sr, hr, border=0):
    """Peak signal-to-noise ratio in dB on Y, ``border`` pixels removed on every side.

    ``10 log10(1 / MSE)`` with pixel values in [0, 1]; +inf for identical images. One dB more
    means about 21 % less squared error.
    """
    y_sr, y_hr = _prepare(sr, hr, border)
    mse = numpy.mean((y_sr - y_hr) ** 2)
    return float("inf") if mse == 0 else float(10 * numpy.log10(1.0 / mse))


def ssim(sr, hr, border=0):
    """Structural similarity on Y, ``border`` pixels removed (1 for identical images).

    Local means, variances and covariance under a Gaussian window (sigma 1.5), combined as
    ``(2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))`` with
    C1 = (0.01)^2, C2 = (0.03)^2 for data range 1, averaged where the window (radius 5) lies
    inside the image (Wang et al., 2004): scikit-image's ``structural_similarity(...,
    data_range=1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``.
    """
    from skimage.metrics import structural_similarity
    y_sr, y_hr = _prepare(sr, hr, border)
    radius = int(_SSIM_TRUNCATE * _SSIM_SIGMA + 0.5)   # the window reaches 5 pixels out
    if min(y_sr.shape) <= 2 * radius:
        raise ValueError(f"SSIM needs images larger than {2 * radius + 1} pixels after the "
                         f"border is removed, got {y_sr.shape}")
    return float(structural_similarity(y_sr, y_hr, data_range=1.0, gaussian_weights=True,
                                       sigma=_SSIM_SIGMA, use_sample_covariance=False))


def upscale_nearest(image, scale):
    """Nearest-neighbour upscaling, (3, h, w) -> (3, scale*h, scale*w) (a baseline)."""
    from mlkit.data.photos import upscale_nearest as nearest
    return nearest(to_numpy(image), scale)


def upscale_bicubic(image, scale):
    """Bicubic upscaling, (3, h, w) -> (3, scale*h, scale*w), clipped to [0, 1] (the baseline
    every SR method is compared with)."""
    from mlkit.data.photos import upscale_bicubic as bicubic
    return bicubic(to_numpy(image), scale)
