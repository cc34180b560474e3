"""mlkit.models.weights: the one file format of trained models, and its loader's checks."""
import json
import shutil

import numpy
import pytest

import mlkit  # noqa: F401  (before chainer)
import chainer

from mlkit.checksum import sha256_file
from mlkit.models import dcgan, srgan, weights
from mlkit.models.vectorizer import Vectorizer


def _outputs(model, x):
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        return model(x).array


MODELS = {
    "dcgan generator": (lambda: dcgan.Generator(8, 4), (3, 8)),
    "vectorizer": (lambda: Vectorizer(8, 4), (3, 1, 28, 28)),
    "srresnet": (lambda: srgan.Generator(scale=2, n_blocks=1, channels=4, head_ksize=3,
                                         out_ksize=3, upsample="deconv"), (1, 3, 6, 5)),
}


@pytest.mark.parametrize("which", sorted(MODELS))
def test_a_saved_model_comes_back_from_the_file_alone(which, tmp_path):
    make, shape = MODELS[which]
    mlkit.seed(0)
    model = make()
    x = numpy.random.default_rng(0).uniform(0, 1, shape).astype(numpy.float32)
    path = tmp_path / "model.npz"
    digest = weights.save(model, path, iterations=12, source="test", lr=numpy.float64(0.5))
    assert digest == sha256_file(path)
    loaded = weights.load(path, sha256=digest)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert loaded.weights_info == dict(iterations=12, source="test", lr=0.5, path=str(path))
    numpy.testing.assert_array_equal(_outputs(loaded, x), _outputs(model, x))
    # Chainer's own loader reads the file too: the arrays have Chainer's names
    plain = make()
    chainer.serializers.load_npz(str(path), plain)
    numpy.testing.assert_array_equal(_outputs(plain, x), _outputs(model, x))
    # the same weights give the same bytes
    again = tmp_path / "again.npz"
    assert weights.save(loaded, again, iterations=12, source="test", lr=0.5) == digest


def test_the_metadata_is_one_json_entry(tmp_path):
    model = dcgan.Generator(8, 4)
    weights.save(model, tmp_path / "g.npz", note="x")
    with numpy.load(tmp_path / "g.npz", allow_pickle=False) as stored:
        meta = json.loads(str(stored[weights.META]))
        arrays = {key: stored[key] for key in stored.files if key != weights.META}
    assert meta == {"format": weights.FORMAT, "model": "mlkit.models.dcgan.Generator",
                    "config": {"n_latent": 8, "width": 4}, "info": {"note": "x"},
                    "params_sha256": weights.params_sha256(arrays)}
    assert set(arrays) == set(weights.arrays_of(model))


@pytest.mark.parametrize("name, kind", [("dcgan_generator", dcgan.Generator),
                                        ("dcgan_vectorizer", Vectorizer),
                                        ("srresnet_x2", srgan.Generator)])
def test_every_shipped_file_is_in_the_format_and_verified(name, kind):
    path = weights.shipped_path(name)
    assert sha256_file(path) == weights.SHIPPED[name].sha256
    model = weights.load(name, kind=kind)
    assert isinstance(model, kind) and model.weights_info["path"] == str(path)
    assert model.weights_info["iterations"] > 0
    assert type(weights.load(path)) is kind      # by path: the same checks


def _damage(path, key):
    with numpy.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays[key] = arrays[key] + 1
    numpy.savez(path, **arrays)


def test_changed_numbers_are_found_without_a_recorded_checksum(tmp_path):
    path = tmp_path / "g.npz"
    weights.save(dcgan.Generator(8, 4), path)
    _damage(path, "fc/W")
    with pytest.raises(weights.WeightsError, match="damaged.*params_sha256"):
        weights.load(path)


def test_a_replaced_shipped_file_is_refused_with_the_remedy(tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    shutil.copytree(weights.WEIGHTS_DIR, folder)
    monkeypatch.setattr(weights, "WEIGHTS_DIR", folder)
    weights.save(dcgan.Generator(8, 4), folder / "dcgan_generator.npz")
    with pytest.raises(weights.WeightsError, match="replaced.*bench/train_dcgan.py"):
        dcgan.pretrained_generator()
    (folder / "dcgan_generator.npz").unlink()
    with pytest.raises(FileNotFoundError, match="reinstall"):
        weights.load("dcgan_generator")


def test_wrong_files_get_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="shipped models are"):
        weights.load("no_such_model")
    (tmp_path / "text.npz").write_text("weights?")
    with pytest.raises(weights.WeightsError, match="not an .npz"):
        weights.load(tmp_path / "text.npz")
    numpy.savez(tmp_path / "older.npz", **{"_config/scale": 2, "head/W": numpy.zeros(3)})
    with pytest.raises(weights.WeightsError, match="older mlkit"):
        weights.load(tmp_path / "older.npz")
    gen = tmp_path / "gen.npz"
    weights.save(dcgan.Generator(8, 4), gen)
    with pytest.raises(weights.WeightsError, match="not a mlkit.models.srgan.Generator"):
        weights.load(gen, kind=srgan.Generator)

    class Mine(chainer.Chain):
        config = {}

        def __init__(self, n_in=2):
            super().__init__()
            with self.init_scope():
                self.fc = chainer.links.Linear(n_in, 3)
    weights.save(Mine(), tmp_path / "mine.npz")   # chainer.serializers.load_npz reads it
    with pytest.raises(weights.WeightsError, match="only models of mlkit.models"):
        weights.load(tmp_path / "mine.npz")
    with pytest.raises(TypeError, match="config"):
        weights.save(chainer.links.Linear(2, 3), tmp_path / "linear.npz")
    with pytest.raises(ValueError, match="not initialized"):
        weights.save(Mine(n_in=None), tmp_path / "lazy.npz")
