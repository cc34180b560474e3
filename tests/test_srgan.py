"""SRGAN models, the photo data and the super-resolution metrics (Lesson 6's library part)."""
import numpy
import pytest

import mlkit  # noqa: F401  (before chainer)
import chainer

from mlkit.data import photos
from mlkit.metrics import super_resolution as sr_metrics
from mlkit.models import srgan, weights


def _rand(*shape, seed=0):
    return numpy.random.RandomState(seed).rand(*shape).astype(numpy.float32)


# --- models ------------------------------------------------------------------------------

def test_residual_block_keeps_the_shape_and_adds_its_input():
    block = srgan.ResidualBlock(8)
    x = _rand(2, 8, 10, 12)
    assert block(x).shape == x.shape
    # with the last batch norm scaled to zero the branch vanishes: the skip is an identity
    block.bn2.gamma.array[:] = 0
    block.bn2.beta.array[:] = 0
    numpy.testing.assert_allclose(block(x).array, x, atol=1e-6)


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("upsample", ["subpixel", "deconv"])
def test_generator_upscales_by_its_scale(scale, upsample):
    model = srgan.Generator(scale=scale, n_blocks=2, channels=8, upsample=upsample)
    assert len(model.blocks) == 2 and len(model.upsamplers) == {2: 1, 4: 2}[scale]
    y = model(_rand(2, 3, 7, 9))
    assert y.shape == (2, 3, 7 * scale, 9 * scale) and y.dtype == numpy.float32


def test_generator_refuses_other_scales():
    with pytest.raises(ValueError, match="scale"):
        srgan.Generator(scale=3)
    with pytest.raises(ValueError, match="upsample"):
        srgan.Generator(scale=2, upsample="bilinear")


def test_image_skip_starts_as_the_blocky_upscaling():
    model = srgan.Generator(scale=2, n_blocks=1, channels=8, image_skip=True)
    x = _rand(1, 3, 5, 6)
    expected = numpy.repeat(numpy.repeat(x, 2, axis=2), 2, axis=3)
    numpy.testing.assert_allclose(model(x).array, expected, atol=1e-6)


def _pixel_shuffle_by_hand(x, r):
    # Chainer's (TensorFlow's) order: channel (i*r + j)*C + c goes to pixel (r*y + i, r*x + j)
    n, rrc, h, w = x.shape
    c = rrc // (r * r)
    return x.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r)


def test_depth2space_upsampler_is_a_pixel_shuffle():
    x = _rand(2, 4 * 5, 3, 4)
    numpy.testing.assert_array_equal(srgan.pixel_shuffle(x, 2).array, _pixel_shuffle_by_hand(x, 2))
    upsampler = srgan.SubpixelUpsampler(5)
    h = _rand(2, 5, 3, 4, seed=1)
    expected = _pixel_shuffle_by_hand(upsampler.conv(h).array, 2)
    expected = numpy.where(expected > 0, expected, upsampler.act.W.array[:, None, None] * expected)
    numpy.testing.assert_allclose(upsampler(h).array, expected, rtol=1e-6)


def test_deconv_upsampler_doubles_the_size():
    assert srgan.DeconvUpsampler(4)(_rand(1, 4, 5, 7)).shape == (1, 4, 10, 14)


def test_discriminator_has_the_papers_layout():
    d = srgan.Discriminator()
    widths = [conv.W.shape[0] for conv in d.convs]
    assert widths == [64, 64, 128, 128, 256, 256, 512, 512]
    assert d.strides == [1, 2, 1, 2, 1, 2, 1, 2]
    assert all(conv.W.shape[2:] == (3, 3) for conv in d.convs)
    assert len(d.bns) == 7 and d.fc2.W.shape == (1, 1024)


@pytest.mark.parametrize("size", [32, 48])
def test_small_discriminator_scores_each_patch(size):
    d = srgan.Discriminator(width=8, dense=16)
    assert d(_rand(3, 3, size, size)).shape == (3,)
    assert d.fc1.W.shape[1] == 64 * (size // 16) ** 2   # four halvings, 8 * 8 channels


def test_random_features_are_fixed_and_shaped():
    features = srgan.content_features()
    assert isinstance(features, srgan.RandomFeatures)
    x = _rand(2, 3, 16, 20)
    assert features(x).shape == (2, 64, 4, 5)
    numpy.testing.assert_array_equal(features(x).array, srgan.RandomFeatures()(x).array)
    assert not any(p.update_rule.enabled for p in features.params() if p.update_rule)
    assert float(srgan.content_loss(features, x, x).array) == 0
    assert float(srgan.content_loss(features, x, _rand(2, 3, 16, 20, seed=1)).array) > 0


def test_vgg_input_is_what_chainers_prepare_makes():
    from chainer.links.model.vision.vgg import prepare
    pixels = numpy.random.RandomState(0).randint(0, 256, (3, 5, 6)).astype(numpy.float32)
    expected = prepare(pixels, size=None)
    ours = chainer.as_array(srgan.vgg_input(pixels[None] / 255))[0]
    numpy.testing.assert_allclose(ours, expected, atol=1e-3)


def test_vgg_features_need_a_real_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="VGG19"):
        srgan.content_features(tmp_path / "VGG_ILSVRC_19_layers.npz")


def test_a_saved_generator_loads_back_identical(tmp_path):
    model = srgan.Generator(scale=4, n_blocks=1, channels=8, upsample="deconv")
    x = _rand(1, 3, 6, 6)
    path = tmp_path / "g.npz"
    digest = srgan.save_generator(model, path, dict(note="test"))
    loaded = weights.load(path, sha256=digest)
    assert loaded.config == model.config and loaded.weights_info["note"] == "test"
    with chainer.using_config("train", False):
        numpy.testing.assert_array_equal(loaded(x).array, model(x).array)
    with pytest.raises(weights.WeightsError, match="sha256"):
        weights.load(path, sha256="0" * 64)


# --- data --------------------------------------------------------------------------------

def test_photo_splits_are_disjoint_and_real():
    assert not set(photos.TRAIN_PHOTOS) & set(photos.EVAL_PHOTOS)
    cat = photos.load_photo("chelsea")
    assert cat.shape == (3, 300, 451) and cat.dtype == numpy.float32
    assert 0 <= cat.min() and cat.max() <= 1 and cat.std() > 0.1
    gray = photos.load_photo("camera")
    numpy.testing.assert_array_equal(gray[0], gray[2])
    with pytest.raises(KeyError):
        photos.load_photo("lena")


def test_random_crops_are_aligned_and_seeded():
    images = [photos.load_photo("coins")]
    lr, hr = photos.random_crops(images, 4, patch=8, scale=2, seed=3, augment=False)
    assert lr.shape == (4, 3, 8, 8) and hr.shape == (4, 3, 16, 16)
    large = photos.modcrop(images[0], 2)
    small = photos.downscale(large, 2)
    for a, b in zip(lr, hr):   # each LR crop is the downscaled photo where the HR crop is
        ys, xs = numpy.nonzero(small[0, :-7, :-7] == a[0, 0, 0])
        found = [(y, x) for y, x in zip(ys, xs)
                 if numpy.array_equal(small[:, y:y + 8, x:x + 8], a)]
        assert found, "an LR crop that is nowhere in the downscaled photo"
        y, x = found[0]
        numpy.testing.assert_array_equal(large[:, 2 * y:2 * y + 16, 2 * x:2 * x + 16], b)
    again = photos.random_crops(images, 4, patch=8, scale=2, seed=3, augment=False)
    numpy.testing.assert_array_equal(again[1], hr)
    other = photos.random_crops(images, 4, patch=8, scale=2, seed=4, augment=False)
    assert not numpy.array_equal(other[1], hr)


def test_downscale_is_antialiased_bicubic_and_needs_a_multiple():
    flat = numpy.full((3, 8, 8), 0.25, numpy.float32)
    numpy.testing.assert_allclose(photos.downscale(flat, 2), 0.25, atol=1e-6)
    stripes = numpy.zeros((3, 8, 8), numpy.float32)
    stripes[:, :, ::2] = 1   # finest possible detail: anti-aliasing averages it to gray
    numpy.testing.assert_allclose(photos.downscale(stripes, 2)[:, 2:-2, 2:-2], 0.5, atol=0.02)
    with pytest.raises(ValueError, match="multiple"):
        photos.downscale(numpy.zeros((3, 7, 8), numpy.float32), 2)


def test_load_folder_reads_your_own_images(tmp_path):
    from PIL import Image
    (tmp_path / "notes.txt").write_text("not an image")
    Image.fromarray(numpy.full((6, 5, 3), 255, numpy.uint8)).save(tmp_path / "a.png")
    Image.fromarray(numpy.zeros((4, 4), numpy.uint8)).save(tmp_path / "b.jpg")
    images = photos.load_folder(tmp_path)
    assert [im.shape for im in images] == [(3, 6, 5), (3, 4, 4)]
    assert images[0].max() == 1 and images[1].max() == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no readable image"):
        photos.load_folder(empty)


# --- metrics -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cat_pair():
    hr = photos.modcrop(photos.load_photo("chelsea")[:, :120, :160], 2)
    return photos.downscale(hr, 2), hr


def test_luma_is_bt601(cat_pair):
    from skimage.color import rgb2ycbcr
    hr = cat_pair[1]
    expected = rgb2ycbcr(hr.transpose(1, 2, 0))[..., 0] / 255
    numpy.testing.assert_allclose(sr_metrics.rgb_to_y(hr), expected, atol=1e-6)


def test_psnr_and_ssim_match_skimage_on_y_without_border(cat_pair):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    lr, hr = cat_pair
    up = sr_metrics.upscale_bicubic(lr, 2)
    y_up = sr_metrics.rgb_to_y(up)[2:-2, 2:-2]
    y_hr = sr_metrics.rgb_to_y(hr)[2:-2, 2:-2]
    assert sr_metrics.psnr(up, hr, border=2) == pytest.approx(
        peak_signal_noise_ratio(y_hr, y_up, data_range=1), abs=1e-9)
    assert sr_metrics.ssim(up, hr, border=2) == pytest.approx(
        structural_similarity(y_hr, y_up, data_range=1, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False), abs=1e-9)
    assert sr_metrics.psnr(hr, hr) == float("inf") and sr_metrics.ssim(hr, hr) == pytest.approx(1)


def _ssim_by_hand(y_sr, y_hr, sigma=1.5, truncate=3.5):
    """The SSIM mlkit computed itself before it used scikit-image's (Wang et al., 2004)."""
    from scipy.ndimage import gaussian_filter
    radius = int(truncate * sigma + 0.5)

    def local_mean(z):
        return gaussian_filter(z, sigma, truncate=truncate, mode="reflect")

    mu_x, mu_y = local_mean(y_sr), local_mean(y_hr)
    var_x = local_mean(y_sr * y_sr) - mu_x ** 2
    var_y = local_mean(y_hr * y_hr) - mu_y ** 2
    cov = local_mean(y_sr * y_hr) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)
             / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)))
    return float(index[radius:-radius, radius:-radius].mean())


@pytest.mark.parametrize("shape, border", [((3, 40, 33), 0), ((3, 31, 47), 2), ((25, 19), 4),
                                           ((1, 12, 60), 0)])
def test_ssim_gives_the_numbers_of_the_hand_written_formula(shape, border):
    rng = numpy.random.default_rng(sum(shape) + border)
    hr = rng.uniform(0, 1, shape)
    sr = numpy.clip(hr + rng.normal(0, 0.1, shape), -0.1, 1.1)   # clipped to [0, 1] by ssim
    y_sr, y_hr = (sr_metrics.rgb_to_y(numpy.clip(a, 0, 1)) for a in (sr, hr))
    if border:
        y_sr, y_hr = y_sr[border:-border, border:-border], y_hr[border:-border, border:-border]
    assert sr_metrics.ssim(sr, hr, border) == pytest.approx(_ssim_by_hand(y_sr, y_hr),
                                                            rel=1e-12, abs=1e-14)
    with pytest.raises(ValueError, match="larger than 11"):
        sr_metrics.ssim(hr[..., :10], hr[..., :10])


def test_the_border_is_ignored_and_bicubic_beats_nearest(cat_pair):
    lr, hr = cat_pair
    damaged = hr.copy()
    damaged[:, :2] = 0   # only the top border
    assert sr_metrics.psnr(damaged, hr, border=2) == float("inf")
    assert sr_metrics.psnr(damaged, hr, border=1) < 40
    nearest = sr_metrics.upscale_nearest(lr, 2)
    bicubic = sr_metrics.upscale_bicubic(lr, 2)
    assert nearest.shape == bicubic.shape == hr.shape
    assert sr_metrics.psnr(bicubic, hr, 2) > sr_metrics.psnr(nearest, hr, 2) + 1
    assert sr_metrics.ssim(bicubic, hr, 2) > sr_metrics.ssim(nearest, hr, 2)
    with pytest.raises(ValueError, match="shape"):
        sr_metrics.psnr(lr, hr)
