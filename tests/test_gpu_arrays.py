"""Every function a learner may hand GPU arrays to copies them to the host explicitly.

CuPy refuses an implicit copy (``numpy.asarray(gpu_array)`` raises TypeError), so a plotting or
metric function that calls ``numpy.asarray`` on its input works in ``cpu`` mode and breaks in
``gpu`` mode, the one mode CI cannot run. ``OnGpu`` behaves like a CuPy array in that one
respect, so these tests find that class of bug on a machine without a GPU. (Code written for
either array module, ``xp = get_array_module(x)``, keeps GPU arrays on the GPU: `mlkit selftest`
checks that on a GPU.)
"""
import matplotlib

matplotlib.use("Agg")

import chainer  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402
import pytest  # noqa: E402

import mlkit  # noqa: E402
from mlkit.data import regression as regression_data  # noqa: E402
from mlkit.metrics import classification, gan as gan_metrics, super_resolution, video  # noqa: E402
from mlkit.plots import curves, decision_boundary, images, regression as regression_plots  # noqa: E402,E501
from mlkit.plots import video as video_plots  # noqa: E402
from mlkit.models import dcgan, reference  # noqa: E402
from mlkit.models.convlstm import predict_frames  # noqa: E402
from mlkit.training import gan as gan_training, loops  # noqa: E402


class OnGpu:
    """An array that, like CuPy's, copies to the host only through ``.get()``."""

    def __init__(self, values):
        self._values = numpy.array(values)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._values.shape, "typestr": self._values.dtype.str, "version": 3,
                "data": (0, True)}

    shape = property(lambda self: self._values.shape)
    dtype = property(lambda self: self._values.dtype)
    ndim = property(lambda self: self._values.ndim)
    size = property(lambda self: self._values.size)

    def __len__(self):
        return len(self._values)

    def __getitem__(self, key):
        return OnGpu(self._values[key])

    def get(self):
        return self._values.copy()

    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")


def test_the_stand_in_refuses_what_cupy_refuses():
    with pytest.raises(TypeError, match="Implicit conversion"):
        numpy.asarray(OnGpu([1.0, 2.0]))
    numpy.testing.assert_array_equal(mlkit.to_numpy(OnGpu([1.0, 2.0])), [1.0, 2.0])
    numpy.testing.assert_array_equal(mlkit.to_numpy(chainer.Variable(numpy.ones(2))), [1, 1])
    numpy.testing.assert_array_equal(mlkit.to_numpy([[1], [2]]), [[1], [2]])


rng = numpy.random.default_rng(0)
frames = rng.uniform(0, 1, (2, 3, 8, 8)).astype(numpy.float32)
photo = rng.uniform(0, 1, (3, 16, 16)).astype(numpy.float32)
digits = rng.uniform(0, 1, (6, 1, 28, 28)).astype(numpy.float32)
scores, labels = rng.normal(size=(20, 10)).astype(numpy.float32), rng.integers(0, 10, 20)
codes = rng.normal(size=(2, 16))


def _classifier():
    mlkit.seed(0)
    return chainer.links.Linear(28 * 28, 10)


def _made(make):
    mlkit.seed(0)
    return make()


def _generator():
    from mlkit.models.dcgan import Generator
    return _made(lambda: Generator(n_latent=16, width=8))


def _vectorizer():
    from mlkit.models.vectorizer import Vectorizer
    return _made(lambda: Vectorizer(n_latent=16, width=8))


def _forecaster():
    from mlkit.models.convlstm import EncoderForecaster
    return _made(lambda: EncoderForecaster(hidden=(4,), patch=4))


def _cnn():
    from mlkit.models.cnn import CNN
    return _made(lambda: CNN(channels=(2, 2), n_hidden=8))


CALLS = {
    "accuracy": lambda g: classification.accuracy(g(scores), g(labels)),
    "confusion_matrix": lambda g: classification.confusion_matrix(g(labels), g(labels[::-1])),
    "frame_mse": lambda g: video.frame_mse(g(frames), g(frames[::-1])),
    "per_step": lambda g: video.per_step(g(frames), g(frames[::-1])),
    "video_metrics": lambda g: video.video_metrics(g(frames), g(frames[::-1])),
    "psnr": lambda g: super_resolution.psnr(g(photo), g(photo[:, ::-1])),
    "ssim": lambda g: super_resolution.ssim(g(photo), g(photo[:, ::-1])),
    "rgb_to_y": lambda g: super_resolution.rgb_to_y(g(photo)),
    "upscale_bicubic": lambda g: super_resolution.upscale_bicubic(g(photo), 2),
    "upscale_nearest": lambda g: super_resolution.upscale_nearest(g(photo), 2),
    "frechet_distance": lambda g: gan_metrics.frechet_distance(g(codes.repeat(5, 0)),
                                                               g(codes.repeat(5, 0) + 1)),
    "confident_share": lambda g: gan_metrics.confident_share(g(numpy.eye(10)[labels])),
    "class_histogram": lambda g: gan_metrics.class_histogram(g(labels)),
    "class_probabilities": lambda g: gan_metrics.class_probabilities(g(digits), _classifier()),
    "show_images": lambda g: images.show_images(g(digits), labels=g(labels[:6])),
    "show_misclassified": lambda g: images.show_misclassified(g(digits), g(labels[:6]),
                                                              g(labels[6:12])),
    "plot_confusion_matrix": lambda g: images.plot_confusion_matrix(g(numpy.eye(3))),
    "video_frames": lambda g: video_plots.video_frames(g(frames[0])),
    "plot_curves": lambda g: curves.plot_curves({"loss": [g(numpy.float32(v)) for v in (3, 2)]}),
    "plot_decision_boundary": lambda g: decision_boundary.plot_decision_boundary(
        lambda x: x[:, :1] + x[:, 1:], g(numpy.eye(2, dtype=numpy.float32)), g([0, 1])),
    "plot_predicted_vs_true": lambda g: regression_plots.plot_predicted_vs_true(
        g(numpy.arange(4.0)), {"model": g(numpy.arange(4.0))}),
    "loss_curves": lambda g: regression_plots.loss_curves(g(numpy.linspace(-2, 2, 5))),
    "standardizer": lambda g: regression_data.Standardizer().fit(g(codes)).inverse_transform(
        regression_data.Standardizer().fit(g(codes)).transform(g(codes))),
    "predict": lambda g: loops.predict(_classifier(), g(digits), batch_size=4),
    "predict_on": lambda g: regression_plots.predict_on(_made(lambda: chainer.links.Linear(2, 1)),
                                                        g(numpy.eye(2, dtype=numpy.float32))),
    "predict_frames": lambda g: predict_frames(_forecaster(), g(frames[:, :, None]), n_out=2),
    "embed": lambda g: reference.embed(_cnn(), g(digits), batch_size=4),
    "dcgan_generate": lambda g: dcgan.generate(_generator(), g(codes.astype(numpy.float32))),
    "dcgan_sample": lambda g: _generator().sample(2, z=g(codes)),
    "vectorizer_encode": lambda g: _vectorizer().encode(g(digits), batch_size=4),
    "lerp": lambda g: gan_training.lerp(g(codes[0]), g(codes[1])),
    "slerp": lambda g: gan_training.slerp(g(codes[0]), g(codes[1])),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_gpu_arrays_give_what_host_arrays_give(name):
    on_host = CALLS[name](lambda values: numpy.array(values))
    on_gpu = CALLS[name](OnGpu)
    if isinstance(on_host, (dict, tuple)) or hasattr(on_host, "shape") or numpy.isscalar(on_host):
        flat = (lambda v: [numpy.asarray(x, float) for x in (v.values() if isinstance(v, dict)
                                                               else v)]
                if isinstance(v, (dict, tuple)) else [numpy.asarray(v, float)])
        for a, b in zip(flat(on_host), flat(on_gpu)):
            numpy.testing.assert_allclose(a, b)
    plt.close("all")
