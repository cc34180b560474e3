"""``mlkit upscale`` and the tiling behind it, run in-process through ``mlkit.cli.main``."""
import shutil

import numpy
import pytest
from PIL import Image

import mlkit  # noqa: F401  (before chainer)
import chainer

from mlkit.cli import main
from mlkit.data import photos
from mlkit.metrics.super_resolution import psnr, upscale_bicubic
from mlkit.checksum import sha256_file
from mlkit.models import srgan, weights
from mlkit.upscale import UpscaleError, passes_for, upscale, upscale_once


def _random_generator(scale=2, **kwargs):
    # image_skip would zero the network's part at initialisation and hide any tiling error
    model = srgan.Generator(scale=scale, n_blocks=2, channels=8, head_ksize=5, out_ksize=3,
                            **kwargs)
    rng = numpy.random.RandomState(0)
    for link in model.links():   # non-trivial running statistics, as after training
        if isinstance(link, chainer.links.BatchNormalization):
            link.avg_mean[:] = rng.normal(0, 0.1, link.avg_mean.shape)
            link.avg_var[:] = rng.uniform(0.5, 2, link.avg_var.shape)
    return model


@pytest.mark.parametrize("upsample", ["subpixel", "deconv"])
def test_tiled_output_equals_the_whole_image_pass(upsample):
    model = _random_generator(upsample=upsample)
    image = numpy.random.RandomState(1).rand(3, 37, 45).astype(numpy.float32)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        whole = model(image[None]).array[0]
    tiled = upscale_once(model, image, tile=16, progress=False)   # 3 x 3 tiles
    assert tiled.shape == (3, 74, 90)
    numpy.testing.assert_allclose(tiled, whole, atol=1e-5)
    # without context around the tiles the seams show: the margin is what makes them vanish
    seamed = upscale_once(model, image, tile=16, margin=0, progress=False)
    assert numpy.abs(seamed - whole).max() > 1e-2


def test_x4_with_an_x2_model_is_two_passes():
    model = _random_generator()
    image = numpy.random.RandomState(2).rand(3, 10, 12).astype(numpy.float32)
    once = upscale(model, image, 2, progress=False)
    twice = upscale(model, image, 4, progress=False)
    assert twice.shape == (3, 40, 48)
    numpy.testing.assert_allclose(twice, upscale(model, once, 2, progress=False), atol=1e-6)
    assert passes_for(2, 2) == 1 and passes_for(2, 4) == 2 and passes_for(4, 4) == 1
    for model_scale, scale in [(2, 3), (2, 8), (4, 2)]:
        with pytest.raises(UpscaleError) as caught:
            passes_for(model_scale, scale)
        assert caught.value.exit_code == 2


# --- the shipped model ---------------------------------------------------------------------

def test_the_shipped_model_verifies_and_beats_bicubic_on_a_held_out_crop(tmp_path):
    shipped, path = weights.SHIPPED["srresnet_x2"].sha256, weights.shipped_path("srresnet_x2")
    assert shipped and sha256_file(path) == shipped
    model = srgan.shipped_generator()
    assert model.scale == 2
    hr = photos.load_photo("astronaut")[:, 100:196, 180:276]   # face and helmet edges
    lr = photos.downscale(hr, 2)
    ours = psnr(upscale(model, lr, progress=False), hr, border=2)
    bicubic = psnr(upscale_bicubic(lr, 2), hr, border=2)
    assert ours > bicubic + 0.3, (ours, bicubic)
    tampered = tmp_path / "srresnet_x2.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    tampered.write_bytes(bytes(data))
    with pytest.raises(weights.WeightsError, match="damaged"):
        weights.load(tampered, sha256=shipped)


# --- the command ----------------------------------------------------------------------------

@pytest.fixture
def photo(tmp_path):
    """A small real photo (a 30 x 40 crop of the cat) as a PNG."""
    path = tmp_path / "cat.png"
    pixels = (photos.load_photo("chelsea")[:, 100:130, 200:240] * 255).round().astype(numpy.uint8)
    Image.fromarray(pixels.transpose(1, 2, 0)).save(path)
    return path


def _run(capsys, *argv):
    code = main(["upscale", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_upscale_writes_an_image_twice_the_size(photo, tmp_path, capsys):
    target = tmp_path / "cat_x2.png"
    code, out, err = _run(capsys, photo, target)
    assert code == 0, err
    with Image.open(target) as result:
        assert result.size == (80, 60) and result.mode == "RGB"
        pixels = numpy.asarray(result, numpy.float32) / 255
    assert "80 x 60" in out
    # it is the cat, upscaled: close to bicubic, not noise
    with Image.open(photo) as source:
        small = numpy.asarray(source, numpy.float32).transpose(2, 0, 1) / 255
    assert psnr(pixels.transpose(2, 0, 1), upscale_bicubic(small, 2), border=2) > 28


def test_scale_4_and_small_tiles(photo, tmp_path, capsys):
    target = tmp_path / "cat_x4.jpg"
    code, _, err = _run(capsys, photo, target, "--scale", "4", "--tile", "16")
    assert code == 0, err
    with Image.open(target) as result:
        assert result.size == (160, 120)


def test_gray_and_transparent_images_keep_their_kind(tmp_path, capsys):
    gray = tmp_path / "gray.png"
    pixels = (photos.load_photo("camera")[0, :20, :24] * 255).astype(numpy.uint8)
    Image.fromarray(pixels).save(gray)
    code, _, err = _run(capsys, gray, tmp_path / "gray_x2.png")
    assert code == 0, err
    with Image.open(tmp_path / "gray_x2.png") as result:
        assert result.mode == "L" and result.size == (48, 40)

    rgba = numpy.zeros((20, 24, 4), numpy.uint8)
    rgba[..., :3] = 200
    rgba[:, 12:, 3] = 255   # right half opaque, left half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "logo.png")
    code, _, err = _run(capsys, tmp_path / "logo.png", tmp_path / "logo_x2.png")
    assert code == 0, err
    with Image.open(tmp_path / "logo_x2.png") as result:
        assert result.mode == "RGBA" and result.size == (48, 40)
        alpha = numpy.asarray(result)[..., 3]
    assert alpha[:, :20].max() == 0 and alpha[:, 28:].min() == 255


def _assert_clean_failure(code, err, expected_code, words, folder):
    assert code == expected_code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("mlkit upscale: ") and words in err, err
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith((".out", "out"))]
    assert leftovers == [], leftovers


def test_unreadable_input_fails_cleanly(tmp_path, capsys):
    target = tmp_path / "out.png"
    code, _, err = _run(capsys, tmp_path / "missing.png", target)
    _assert_clean_failure(code, err, 1, "cannot read", tmp_path)
    fake = tmp_path / "fake.png"
    fake.write_text("this is not a picture")
    code, _, err = _run(capsys, fake, target)
    _assert_clean_failure(code, err, 1, "not an image file", tmp_path)


def test_a_model_file_of_the_wrong_kind_fails_cleanly(photo, tmp_path, capsys):
    target = tmp_path / "out.png"
    text = tmp_path / "model.npz"
    text.write_text("weights?")
    code, _, err = _run(capsys, photo, target, "--model", text)
    _assert_clean_failure(code, err, 1, "not an .npz", tmp_path)

    numpy.savez(tmp_path / "other.npz", W=numpy.zeros(3))
    code, _, err = _run(capsys, photo, target, "--model", tmp_path / "other.npz")
    _assert_clean_failure(code, err, 1, "not an mlkit upscaler", tmp_path)

    # a real generator file whose weights were cut to another width
    model = srgan.Generator(scale=2, n_blocks=1, channels=8)
    good = tmp_path / "good.npz"
    srgan.save_generator(model, good)
    with numpy.load(good) as stored:
        arrays = dict(stored)
    arrays["head/W"] = arrays["head/W"][:4]
    numpy.savez(tmp_path / "cut.npz", **arrays)
    code, _, err = _run(capsys, photo, target, "--model", tmp_path / "cut.npz")
    _assert_clean_failure(code, err, 1, "head/W has shape", tmp_path)

    code, _, err = _run(capsys, photo, target, "--model", tmp_path / "nowhere.npz")
    _assert_clean_failure(code, err, 1, "no model file", tmp_path)


def test_an_unwritable_output_fails_cleanly(photo, tmp_path, capsys):
    code, _, err = _run(capsys, photo, tmp_path / "no_such_folder" / "out.png")
    _assert_clean_failure(code, err, 1, "no folder", tmp_path)
    code, _, err = _run(capsys, photo, tmp_path / "out.xyz")
    _assert_clean_failure(code, err, 1, "unknown image extension", tmp_path)
    # the format refuses the image only at the end: still nothing half-written
    Image.new("RGBA", (8, 8)).save(tmp_path / "alpha.png")
    code, _, err = _run(capsys, tmp_path / "alpha.png", tmp_path / "out.jpg")
    _assert_clean_failure(code, err, 1, "cannot write", tmp_path)


def test_an_unsupported_scale_is_a_usage_error(photo, tmp_path, capsys):
    code, _, err = _run(capsys, photo, tmp_path / "out.png", "--scale", "3")
    _assert_clean_failure(code, err, 2, "--scale 3 is not supported", tmp_path)
    code, _, err = _run(capsys, photo, tmp_path / "out.png", "--tile", "0")
    _assert_clean_failure(code, err, 2, "--tile", tmp_path)


def test_an_existing_output_survives_a_failure(photo, tmp_path, capsys):
    target = tmp_path / "keep.png"
    shutil.copy(photo, target)
    before = target.read_bytes()
    code, _, _ = _run(capsys, photo, target, "--scale", "3")
    assert code == 2 and target.read_bytes() == before
