"""Device choice and run modes: the GPU when CuPy sees one, NumPy otherwise; env overrides."""
import random
import sys
import types

import chainer
import chainer.links as L
import numpy as np
import pytest

import mlkit
from mlkit import device, modes


@pytest.fixture
def fresh_probe(monkeypatch):
    """Forget the cached CuPy probe before and after a test that fakes CuPy, whose CUDA
    libraries load (a test that says otherwise patches ``_cuda_libraries_problem`` again)."""
    monkeypatch.setattr(device, "_cuda_libraries_problem", lambda cupy: None)
    device._probe.cache_clear()
    device._warn_unusable_gpu.cache_clear()
    yield
    device._probe.cache_clear()
    device._warn_unusable_gpu.cache_clear()


def fake_cupy(count):
    runtime = types.SimpleNamespace(getDeviceCount=lambda: count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime),
                                 random=types.SimpleNamespace(seed=lambda value: None))


@pytest.mark.parametrize("gpus, expected_device, expected_mode",
                         [(0, "@numpy", "cpu"), (1, "@cupy:0", "gpu")])
def test_gpu_is_chosen_only_when_cupy_sees_one(fresh_probe, monkeypatch, gpus, expected_device,
                                               expected_mode):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(gpus))
    monkeypatch.delenv("MLKIT_DEVICE", raising=False)
    monkeypatch.delenv("MLKIT_MODE", raising=False)
    assert mlkit.device_name() == expected_device
    assert mlkit.mode() == expected_mode


def test_the_mode_follows_the_device_actually_used(fresh_probe, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(1))
    monkeypatch.delenv("MLKIT_MODE", raising=False)
    monkeypatch.setenv("MLKIT_DEVICE", "@numpy")      # a GPU machine told to use the CPU
    assert mlkit.mode() == "cpu"
    monkeypatch.setenv("MLKIT_DEVICE", "@cupy:0")
    assert mlkit.mode() == "gpu"


def test_a_broken_cupy_means_numpy(fresh_probe, monkeypatch):
    broken = fake_cupy(1)
    broken.cuda.runtime.getDeviceCount = lambda: 1 / 0   # e.g. no driver
    monkeypatch.setitem(sys.modules, "cupy", broken)
    monkeypatch.delenv("MLKIT_DEVICE", raising=False)
    assert not mlkit.gpu_available() and mlkit.device_name() == "@numpy"


def test_a_gpu_without_its_cuda_libraries_means_numpy_with_a_warning_that_says_the_fix(
        fresh_probe, monkeypatch):
    # CuPy 14 installed without [ctk] on a machine with only the driver: it counts the GPU,
    # but cuBLAS is missing, so Chainer could not use it.
    def missing_cublas(cupy):
        raise ImportError("libcublas.so.13: cannot open shared object file")
    monkeypatch.setattr(device, "_cuda_libraries_problem", missing_cublas)
    monkeypatch.setattr(device, "driver_cuda_major", lambda: 13)
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(1))
    monkeypatch.delenv("MLKIT_DEVICE", raising=False)
    monkeypatch.delenv("MLKIT_MODE", raising=False)
    with pytest.warns(RuntimeWarning) as warned:
        assert mlkit.device_name() == "@numpy"
    message = str(warned[0].message)
    assert "libcublas.so.13" in message and ".[cuda13]" in message
    assert mlkit.mode() == "cpu" and not mlkit.gpu_available()
    assert "libcublas.so.13" in device.gpu_problem()


def test_a_gpu_that_works_is_not_a_problem(fresh_probe, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(1))
    assert mlkit.gpu_available() and device.gpu_problem() is None


def test_the_library_check_imports_what_chainer_needs_and_computes(monkeypatch):
    monkeypatch.setattr(device, "CHAINER_IMPORTS", ("json",))
    device._cuda_libraries_problem(np)                  # NumPy stands in for a working CuPy
    monkeypatch.setattr(device, "CHAINER_IMPORTS", ("no_such_cuda_library",))
    with pytest.raises(ImportError):
        device._cuda_libraries_problem(np)
    monkeypatch.setattr(device, "CHAINER_IMPORTS", ())
    wrong = types.SimpleNamespace(arange=lambda n, dtype: np.arange(n, dtype=dtype) + 1)
    with pytest.raises(RuntimeError, match="wrongly"):
        device._cuda_libraries_problem(wrong)


def test_environment_overrides_device_and_mode(monkeypatch):
    monkeypatch.setenv("MLKIT_DEVICE", "@numpy")
    monkeypatch.setenv("MLKIT_MODE", "GPU ")
    assert mlkit.device_name() == "@numpy" and mlkit.mode() == "gpu"


def test_a_bad_device_or_mode_says_what_to_do(monkeypatch):
    monkeypatch.setenv("MLKIT_DEVICE", "@tpu:7")
    with pytest.raises(RuntimeError, match="set it to '@numpy'"):
        mlkit.get_device()
    monkeypatch.setenv("MLKIT_MODE", "fast")
    with pytest.raises(modes.ModeError, match="use one of smoke, cpu, gpu"):
        mlkit.mode()


def test_sizes_read_as_attributes_and_name_what_is_missing(monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "cpu")
    size = mlkit.by_mode(smoke=dict(epochs=1), cpu=dict(epochs=10), gpu=dict(epochs=20))
    assert size.epochs == 10 and size["epochs"] == 10
    with pytest.raises(AttributeError, match="have \\['epochs'\\]"):
        size.batch_size


def test_one_call_moves_a_model_or_arrays(monkeypatch):
    monkeypatch.setenv("MLKIT_DEVICE", "@numpy")
    model = L.Linear(2, 3)
    assert mlkit.to_device(model) is model and model.device == chainer.get_device("@numpy")
    x, t = mlkit.to_device((np.ones((2, 2), np.float32), np.zeros(2, np.int32)))
    assert isinstance(x, np.ndarray) and x.shape == (2, 2) and t.dtype == np.int32
    np.testing.assert_array_equal(mlkit.to_numpy(chainer.Variable(x)), x)


def test_seed_makes_python_and_numpy_repeat():
    mlkit.seed(3)
    first = (random.random(), np.random.rand(), L.Linear(2, 2).W.array.copy())
    mlkit.seed(3)
    second = (random.random(), np.random.rand(), L.Linear(2, 2).W.array.copy())
    assert first[:2] == second[:2]
    np.testing.assert_array_equal(first[2], second[2])
