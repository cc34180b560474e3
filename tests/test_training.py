"""mlkit.training: minibatches, prediction and evaluation in test mode, the wired-up Trainer,
random shifts; and the lesson-2 benchmark script in its smoke size."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlkit
import chainer
import chainer.functions as F
from chainer.datasets import TupleDataset

from mlkit.models import CNN, MLP
from mlkit.training import (RandomShift, evaluate, make_trainer, minibatches, predict,
                            shift_image, train_with_trainer)

ROOT = Path(__file__).resolve().parents[1]


def digits(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, n).astype(np.int32))


def small_cnn():
    mlkit.seed(0)
    model = CNN(channels=(4, 8), n_hidden=16)
    model(digits(16, seed=9)[0] * 3)   # running averages away from 0 and 1
    return model


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40), st.integers(1, 12), st.booleans(), st.integers(0, 99))
def test_minibatches_cover_every_example_once(n, batch_size, shuffle, seed):
    x, t = np.arange(n) * 10, np.arange(n)
    batches = list(minibatches(x, t, batch_size, shuffle=shuffle, seed=seed))
    assert all(len(xb) <= batch_size and np.array_equal(xb, tb * 10) for xb, tb in batches)
    seen = np.concatenate([tb for _, tb in batches]) if batches else np.array([], int)
    assert sorted(seen) == list(range(n))
    if not shuffle:
        assert list(seen) == list(range(n))


def test_predict_is_a_test_mode_forward_pass_in_batches():
    model = small_cnn()
    x, _ = digits(23)
    with chainer.using_config("train", False):
        expected = model(x).array
    got = predict(model, x, batch_size=5)
    assert isinstance(got, np.ndarray) and got.shape == (23, 10)
    assert np.allclose(got, expected, atol=1e-5)
    assert np.array_equal(got, predict(model, x, batch_size=5))   # no dropout
    assert chainer.config.train   # the switch is restored afterwards


def test_predict_takes_another_forward_a_dtype_and_plain_functions():
    model = small_cnn()
    x, _ = digits(11)
    with chainer.using_config("train", False):
        features = model.features(x).array
    got = predict(model, x.astype(np.float64), batch_size=4, forward=model.features,
                  dtype=np.float32)
    assert got.dtype == np.float32 and np.allclose(got, features, atol=1e-5)
    assert np.array_equal(predict(model, x, batch_size=None), predict(model, x, batch_size=11))
    seen = []

    def plain(batch):
        seen.append((type(batch), chainer.config.train, len(batch)))
        return batch[:, 0, 0, :3] * 2

    assert np.array_equal(predict(plain, x, batch_size=5), x[:, 0, 0, :3] * 2)
    assert seen == [(np.ndarray, False, 5), (np.ndarray, False, 5), (np.ndarray, False, 1)]
    empty = predict(model, x[:0], row_shape=(10,))
    assert empty.shape == (0, 10) and empty.dtype == np.float32
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, x, batch_size=0)


def test_evaluate_weights_the_smaller_last_batch_and_changes_nothing():
    model = small_cnn()
    x, t = digits(23)
    running_mean = model.bn1.avg_mean.copy()
    with chainer.using_config("train", False):
        y = model(x)
        expected = (float(F.softmax_cross_entropy(y, t).array),
                    float(np.mean(y.array.argmax(axis=1) == t)))
    loss, accuracy = evaluate(model, x, t, batch_size=10)   # batches of 10, 10, 3
    assert (loss, accuracy) == pytest.approx(expected, abs=1e-5)
    assert np.array_equal(model.bn1.avg_mean, running_mean)


@settings(max_examples=40, deadline=None)
@given(st.integers(-4, 4), st.integers(-4, 4))
def test_shift_image_moves_the_content(dy, dx):
    image = np.zeros((1, 12, 12), np.float32)
    image[0, 4:8, 4:8] = np.arange(16).reshape(4, 4) + 1   # content well inside the frame
    moved = shift_image(image, dy, dx)
    assert moved.shape == image.shape and moved.dtype == image.dtype
    assert np.array_equal(moved[0, 4 + dy:8 + dy, 4 + dx:8 + dx], image[0, 4:8, 4:8])
    assert moved.sum() == image.sum()
    assert np.array_equal(shift_image(moved, -dy, -dx), image)


def test_shift_image_far_out_of_the_frame_is_blank():
    assert not shift_image(np.ones((1, 5, 5), np.float32), 7, 0).any()


def test_random_shift_is_bounded_and_repeatable():
    x, t = digits(1)
    first = RandomShift(2, seed=3)((x[0], t[0]))[0]
    shifts = RandomShift(2, seed=3)
    outputs = [shifts((x[0], t[0])) for _ in range(20)]
    assert np.array_equal(outputs[0][0], first)   # same seed, same first shift
    assert all(label == t[0] for _, label in outputs)
    candidates = [shift_image(x[0], dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    assert all(any(np.array_equal(out, c) for c in candidates) for out, _ in outputs)
    assert len({out.tobytes() for out, _ in outputs}) > 3   # it does vary


def test_trainer_trains_logs_plots_snapshots_and_resumes(tmp_path):
    mlkit.seed(0)
    x, t = digits(120)
    t = (x.reshape(120, -1)[:, :392].mean(axis=1) > x.reshape(120, -1)[:, 392:].mean(axis=1))
    t = t.astype(np.int32)   # a learnable rule: is the top half brighter?
    train, validation = TupleDataset(x[:100], t[:100]), TupleDataset(x[100:], t[100:])
    model = MLP(n_hidden=16, n_out=2)
    trainer = train_with_trainer(model, train, validation, epochs=2, batch_size=20,
                                 out=tmp_path, lr_decay=0.5, progress=False, snapshot=True)
    log = trainer.get_extension("LogReport").log
    assert [entry["epoch"] for entry in log] == [1, 2]
    assert {"main/loss", "main/accuracy", "validation/main/loss",
            "validation/main/accuracy"} <= set(log[-1])
    names = {p.name for p in tmp_path.iterdir()}
    assert {"log", "loss.png", "accuracy.png", "snapshot_epoch_1", "snapshot_epoch_2"} <= names
    assert trainer.updater.get_optimizer("main").alpha == pytest.approx(0.001 * 0.5 ** 2)

    resumed_model = MLP(n_hidden=16, n_out=2)
    resumed = make_trainer(resumed_model, train, validation, epochs=3, batch_size=20,
                           out=tmp_path, lr_decay=0.5, progress=False, snapshot=True)
    chainer.serializers.load_npz(tmp_path / "snapshot_epoch_2", resumed)
    assert resumed.updater.epoch == 2
    assert np.array_equal(resumed_model.l1.W.array, model.l1.W.array)
    resumed.run()
    assert [e["epoch"] for e in resumed.get_extension("LogReport").log] == [1, 2, 3]


def test_bench_script_runs_in_smoke_mode(capsys):
    spec = importlib.util.spec_from_file_location("bench_lesson2",
                                                  ROOT / "bench" / "lesson2_cnn_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--mode", "smoke", "--epochs", "1", "--quiet"])
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "wall time" in printed
    assert result["n_train"] == 500 and result["epochs"] == 1
    assert 0.2 < result["test_accuracy"] <= 1.0   # above chance after one epoch on 500 images
