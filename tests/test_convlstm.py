"""The Lesson 4 library: the ConvLSTM cell against its equations, the encoder-forecaster and the
per-frame model's shapes and gradients, and the video metrics against their definitions."""
import numpy as np
import pytest

import mlkit  # noqa: F401
import chainer
import chainer.functions as F

from mlkit.metrics import frame_mae, frame_mse, frame_ssim, per_step, video_metrics
from mlkit.models.convlstm import (ConvLSTMCell, EncoderForecaster, FrameEncoderDecoder,
                                   count_parameters, move_frame, predict_frames)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_cell_step_follows_the_lstm_equations():
    rng = np.random.default_rng(0)
    cell = ConvLSTMCell(3, 4, ksize=3)
    x = rng.normal(size=(2, 3, 6, 6)).astype(np.float32)
    h, c = (rng.normal(size=(2, 4, 6, 6)).astype(np.float32) for _ in range(2))
    h_new, c_new = cell(x, (h, c))
    gates = cell.conv(F.concat((x, h), axis=1)).array.astype(np.float64)
    i, f, o, g = np.split(gates, 4, axis=1)
    want_c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    np.testing.assert_allclose(c_new.array, want_c, atol=1e-5)
    np.testing.assert_allclose(h_new.array, _sigmoid(o) * np.tanh(want_c), atol=1e-5)


def test_cell_starts_from_zeros_and_remembers_with_forget_bias_one():
    cell = ConvLSTMCell(2, 3)
    b = cell.conv.b.array
    assert (b[3:6] == 1).all() and (b[:3] == 0).all() and (b[6:] == 0).all()
    x = np.ones((1, 2, 5, 5), np.float32)
    h, c = cell(x)
    assert h.shape == c.shape == (1, 3, 5, 5)


@pytest.mark.parametrize("model", [EncoderForecaster(hidden=(4, 4), patch=4),
                                   EncoderForecaster(hidden=(4,), patch=8, embed=6),
                                   EncoderForecaster(hidden=(4,), patch=8, embed=6, motion=5),
                                   FrameEncoderDecoder(width=4, patch=4)],
                         ids=["two-layers", "embedded-patches", "motion-head", "per-frame"])
def test_models_predict_frames_and_train(model):
    rng = np.random.default_rng(1)
    x = rng.random((2, 3, 1, 32, 32)).astype(np.float32)
    t = (rng.random((2, 4, 1, 32, 32)) > 0.9).astype(np.float32)
    logits = model(x, n_out=4)
    assert logits.shape == (2, 4, 1, 32, 32)
    loss = F.bernoulli_nll(t, logits)
    model.cleargrads()
    loss.backward()
    stuck = [name for name, p in model.namedparams() if p.grad is None or not p.grad.any()]
    assert not stuck
    frames = predict_frames(model, x, n_out=4, batch_size=1)
    assert frames.shape == (2, 4, 1, 32, 32) and frames.dtype == np.float32
    assert 0 <= frames.min() and frames.max() <= 1
    assert count_parameters(model) > 0


def _one_hot_logits(batch, k, shift, grid):
    """Displacement logits (batch, k, grid, grid) that put (almost) all weight on ``shift``."""
    logits = np.full((batch, k, grid, grid), -50.0, np.float32)
    logits[:, k // 2 + shift] = 50.0
    return logits


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -1), (-3, 3)])
def test_move_frame_with_one_hot_weights_pulls_pixels_by_whole_shifts(dy, dx):
    rng = np.random.default_rng(4)
    frame = rng.random((2, 3, 16, 16)).astype(np.float32)
    k, patch = 7, 4
    moved = move_frame(frame, _one_hot_logits(2, k, dy, 4), _one_hot_logits(2, k, dx, 4),
                       patch).array
    want = np.zeros_like(frame)           # out[y, x] = frame[y + dy, x + dx], zero outside
    ys, xs = slice(max(0, -dy), 16 - max(0, dy)), slice(max(0, -dx), 16 - max(0, dx))
    want[..., ys, xs] = frame[..., ys.start + dy:ys.stop + dy, xs.start + dx:xs.stop + dx]
    np.testing.assert_allclose(moved, want, atol=1e-5)


def test_move_frame_uses_each_patch_own_displacement_and_averages_when_unsure():
    frame = np.zeros((1, 1, 8, 8), np.float32)
    frame[0, 0, 1, 1] = frame[0, 0, 5, 5] = 1.0
    k = 3
    logits_y = np.zeros((1, k, 2, 2), np.float32)           # uniform: unsure vertically
    logits_x = _one_hot_logits(1, k, 0, 2)
    logits_x[0, :, 1, 1] = [50.0, -50.0, -50.0]              # bottom-right patch pulls from x - 1
    moved = move_frame(frame, logits_y, logits_x, 4).array[0, 0]
    assert moved.sum() == pytest.approx(2.0, abs=1e-4)       # nothing falls off the frame here
    np.testing.assert_allclose(moved[0:3, 1], 1 / 3, atol=1e-5)   # spread over three rows
    np.testing.assert_allclose(moved[4:7, 6], 1 / 3, atol=1e-5)   # and moved one column right
    assert moved[5, 5] == pytest.approx(0.0, abs=1e-5)


def test_motion_head_starts_near_a_copy_and_rejects_even_kernels():
    model = EncoderForecaster(hidden=(3,), patch=8, embed=4, motion=9)
    x = np.zeros((1, 2, 1, 32, 32), np.float32)
    x[0, -1, 0, 8:16, 8:16] = 1.0
    frames = predict_frames(model, x, n_out=1)[0, 0, 0]
    assert frames[12, 12] > 0.2 and frames[0, 0] < 0.01      # mostly where the square was
    assert frames.sum() == pytest.approx(64.0, rel=0.05)      # the ink is moved, not made
    with pytest.raises(ValueError, match="odd"):
        EncoderForecaster(hidden=(3,), patch=8, motion=4)


def test_snapshot_of_a_model_restores_its_predictions(tmp_path):
    model = EncoderForecaster(hidden=(3,), patch=4)
    x = np.random.default_rng(2).random((1, 2, 1, 16, 16)).astype(np.float32)
    chainer.serializers.save_npz(tmp_path / "m.npz", model)
    twin = EncoderForecaster(hidden=(3,), patch=4)
    chainer.serializers.load_npz(tmp_path / "m.npz", twin)
    np.testing.assert_allclose(predict_frames(twin, x, 2), predict_frames(model, x, 2))


def test_metrics_sum_over_pixels_and_average_over_frames():
    rng = np.random.default_rng(3)
    a, b = rng.random((3, 5, 1, 8, 8)), rng.random((3, 5, 1, 8, 8))
    assert frame_mse(a, b) == pytest.approx(((a - b) ** 2).sum((-2, -1)).mean())
    assert frame_mae(a, b) == pytest.approx(np.abs(a - b).sum((-2, -1)).mean())
    steps = per_step(a, b)
    assert steps.shape == (5,) and steps.mean() == pytest.approx(frame_mse(a, b))
    assert frame_ssim(a, a) == pytest.approx(1.0)
    assert set(video_metrics(a, b)) == {"mse", "mae", "ssim"}


def test_metrics_read_uint8_as_unit_intensities_and_check_shapes():
    a = np.full((2, 4, 4), 255, np.uint8)
    assert frame_mse(a, np.zeros((2, 4, 4))) == pytest.approx(16.0)
    with pytest.raises(ValueError, match="same shape"):
        frame_mse(np.zeros((2, 4, 4)), np.zeros((2, 4, 5)))
