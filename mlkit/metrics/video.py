"""Video-prediction metrics in the convention of the Moving MNIST literature (OpenSTL):
intensities in [0, 1]; MSE and MAE are **sums over the pixels of a frame**, averaged over the
frames and the sequences; SSIM is computed per frame and averaged.

Every function takes predicted and true frames of the same shape ``(..., H, W)`` - e.g.
(N, T, 1, H, W) batches or (T, N, H, W) files - as floats in [0, 1] or uint8 (divided by 255).
"""
import numpy


def as_unit_frames(frames):
    """``frames`` (NumPy, CuPy or a Variable) as float64 in [0, 1]; uint8 is divided by 255."""
    from mlkit.device import to_numpy
    frames = to_numpy(getattr(frames, "array", frames))
    if frames.dtype == numpy.uint8:
        return frames.astype(numpy.float64) / 255
    return frames.astype(numpy.float64)


def _pair(predicted, true):
    predicted, true = as_unit_frames(predicted), as_unit_frames(true)
    if predicted.shape != true.shape or predicted.ndim < 2:
        raise ValueError(f"predicted frames {predicted.shape} and true frames {true.shape} must "
                         "have the same shape (..., H, W)")
    return predicted, true


def frame_mse(predicted, true):
    """Squared error summed over each frame's pixels, averaged over all frames."""
    predicted, true = _pair(predicted, true)
    return float(((predicted - true) ** 2).sum(axis=(-2, -1)).mean())


def frame_mae(predicted, true):
    """Absolute error summed over each frame's pixels, averaged over all frames."""
    predicted, true = _pair(predicted, true)
    return float(numpy.abs(predicted - true).sum(axis=(-2, -1)).mean())


def frame_ssim(predicted, true):
    """The structural similarity (scikit-image, data range 1) of each frame, averaged."""
    from skimage.metrics import structural_similarity
    predicted, true = _pair(predicted, true)
    h, w = true.shape[-2:]
    a, b = predicted.reshape(-1, h, w), true.reshape(-1, h, w)
    return float(numpy.mean([structural_similarity(p, t, data_range=1.0)
                             for p, t in zip(a, b)]))


def per_step(predicted, true, metric="mse", time_axis=1):
    """The metric for each horizon step: an array of length T (``time_axis``), each entry the
    per-frame ``"mse"``, ``"mae"`` or ``"ssim"`` over the frames of that step."""
    function = {"mse": frame_mse, "mae": frame_mae, "ssim": frame_ssim}[metric]
    predicted, true = _pair(predicted, true)
    return numpy.array([function(p, t) for p, t in zip(numpy.moveaxis(predicted, time_axis, 0),
                                                       numpy.moveaxis(true, time_axis, 0))])


def video_metrics(predicted, true, ssim=True):
    """``{"mse": ..., "mae": ..., "ssim": ...}`` of predicted against true frames."""
    result = {"mse": frame_mse(predicted, true), "mae": frame_mae(predicted, true)}
    if ssim:
        result["ssim"] = frame_ssim(predicted, true)
    return result
