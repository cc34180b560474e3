"""mlkit.models: the MLP and CNN classifiers, and the cached reference CNN.

The reference CNN is trained here in its tiny form (a few hundred images, one epoch) into a
temporary cache, never into the user's cache.
"""
import os

import numpy as np
import pytest

import mlkit
import chainer
import chainer.functions as F
import chainer.links as L

from mlkit.models import CNN, MLP
from mlkit.models import reference


def images(n, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28)).astype(np.float32)


@pytest.mark.parametrize("make", [lambda: MLP(n_hidden=32), lambda: CNN(channels=(4, 8),
                                                                         n_hidden=16)])
def test_models_give_one_score_per_class_and_learn(make):
    mlkit.seed(0)
    model = make()
    x, t = images(16), np.arange(16, dtype=np.int32) % 10
    assert model(x).shape == (16, 10)
    optimizer = chainer.optimizers.Adam(alpha=1e-2).setup(model)
    first = None
    for _ in range(30):
        loss = F.softmax_cross_entropy(model(x), t)
        first = float(loss.array) if first is None else first
        model.cleargrads()
        loss.backward()
        optimizer.update()
    with chainer.using_config("train", False):
        final = float(F.softmax_cross_entropy(model(x), t).array)
    assert final < 0.5 * first, (first, final)   # it can fit 16 images


def test_mlp_reads_flat_and_image_input_alike():
    mlkit.seed(0)
    model = MLP(n_hidden=8, n_out=3)
    x = images(5)
    assert np.allclose(model(x).array, model(x.reshape(5, 784)).array)
    assert model.l1.W.shape == (8, 784)


def test_cnn_shapes_features_and_parameters():
    mlkit.seed(0)
    model = CNN(n_out=7, channels=(6, 12), n_hidden=20)
    x = images(3)
    with chainer.using_config("train", False):
        assert model.features(x).shape == (3, 20)
        assert model(x).shape == (3, 7)
    assert model.conv1.W.shape == (6, 1, 3, 3)
    assert model.fc.W.shape == (20, 12 * 7 * 7)   # two 2x2 poolings: 28 -> 14 -> 7
    assert isinstance(model.bn1, L.BatchNormalization)


def test_cnn_differs_between_training_and_test_mode():
    mlkit.seed(0)
    model = CNN(channels=(4, 8), n_hidden=16)
    x = images(6)
    with chainer.using_config("train", False):
        a, b, alone = model(x).array, model(x).array, model(x[:2]).array
    assert np.array_equal(a, b)                    # dropout off
    assert np.allclose(a[:2], alone, atol=1e-5)    # batch norm uses its running averages
    assert not np.allclose(model(x).array, model(x).array)   # dropout on while training


def test_cnn_save_and_load_round_trip(tmp_path):
    mlkit.seed(0)
    model = CNN(channels=(4, 8), n_hidden=16)
    model(images(8))   # moves the batch-normalization averages away from 0 and 1
    chainer.serializers.save_npz(tmp_path / "cnn.npz", model)
    restored = CNN(channels=(4, 8), n_hidden=16)   # lazily sized layers not created yet
    chainer.serializers.load_npz(tmp_path / "cnn.npz", restored)
    with chainer.using_config("train", False):
        assert np.array_equal(model(images(3)).array, restored(images(3)).array)


# --- the reference CNN ----------------------------------------------------------------------

TINY = dict(source="offline", n_train=300, epochs=1, quiet=True)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache; MLKIT_DATA points there too, so nothing reaches the user's cache."""
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path))
    return tmp_path


def test_reference_cnn_trains_once_then_loads_from_the_cache(cache, monkeypatch):
    model = reference.reference_cnn(cache_dir=cache, **TINY)
    info = model.reference_info
    path = reference.weights_path("offline", 300, 1, 0, cache)
    assert info["path"] == str(path) and path.exists()
    assert (info["source"], info["n_train"], info["epochs"]) == ("offline", 300, 1)
    assert 0.2 < info["test_accuracy"] <= 1.0   # 300 images, 1 epoch: well above chance
    assert [p.name for p in path.parent.iterdir()] == [path.name]   # no temporary file left

    def no_training(*args, **kwargs):
        raise AssertionError("the cached weights should have been loaded")
    monkeypatch.setattr(reference, "_train", no_training)
    again = reference.reference_cnn(cache_dir=cache, **TINY)
    x = images(4)
    assert np.array_equal(reference.embed(model, x), reference.embed(again, x))
    assert again.reference_info["test_accuracy"] == info["test_accuracy"]


def test_reference_cnn_is_reproducible_and_recipes_do_not_share_a_file(cache):
    first = reference.reference_cnn(cache_dir=cache, **TINY)
    os.remove(first.reference_info["path"])
    second = reference.reference_cnn(cache_dir=cache, **TINY)   # trained again, same seed
    x = images(5)
    assert np.allclose(reference.embed(first, x), reference.embed(second, x), atol=1e-5)
    other = reference.reference_cnn(cache_dir=cache, **dict(TINY, n_train=200))
    assert other.reference_info["path"] != second.reference_info["path"]


def test_a_damaged_cache_file_is_trained_again(cache):
    path = reference.weights_path("offline", 300, 1, 0, cache)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz file")
    model = reference.reference_cnn(cache_dir=cache, **TINY)
    assert model.reference_info["n_train"] == 300
    assert path.stat().st_size > 100_000


def test_embed_gives_deterministic_penultimate_features(cache):
    model = reference.reference_cnn(cache_dir=cache, **TINY)
    x = images(7)
    features = reference.embed(model, x, batch_size=3)
    assert features.shape == (7, reference.FEATURES) and features.dtype == np.float32
    assert np.allclose(features, reference.embed(model, x, batch_size=7), atol=1e-5)
    assert np.array_equal(features, reference.embed(model, x, batch_size=3))
    assert (features >= 0).all()   # after the ReLU
    with chainer.using_config("train", False):
        assert np.allclose(features, model.features(x).array, atol=1e-5)


def test_reference_sizes_follow_the_run_mode(monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "smoke")
    smoke = reference._default_sizes()
    monkeypatch.setenv("MLKIT_MODE", "gpu")
    gpu = reference._default_sizes()
    assert smoke.n_train * smoke.epochs <= 2000   # seconds in CI
    assert gpu.n_train is None and gpu.epochs >= smoke.epochs
