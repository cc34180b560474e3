"""`mlkit selftest` and the GPU install advice, on a machine without a GPU (CI's)."""
import io

import chainer
import numpy as np
import pytest

from mlkit import selftest, throughput
from mlkit.doctor import gpu_install_advice


def test_without_a_gpu_it_says_so_and_runs_the_cpu_half():
    # What `mlkit selftest` runs on a machine without a GPU: every piece, then every lesson's
    # training at its gpu-mode sizes for one step (about 50 s on 2 cores).
    out = io.StringIO()
    rows = selftest.run(repeats=1, file=out)
    text = out.getvalue()
    assert text.splitlines()[0].startswith("mlkit selftest: no GPU here")
    pieces, trainings = rows[:len(selftest.PIECES)], rows[len(selftest.PIECES):]
    assert all(r["ok"] for r in rows), rows
    assert all(r["cpu_seconds"] > 0 and r["gpu_seconds"] is None for r in pieces)
    assert {r["lesson"] for r in pieces} >= {"1", "2", "3", "4", "5", "6"}
    assert [r["lesson"] for r in trainings] == ["1", "2", "3", "4", "5", "6"]
    assert all(r["cpu_rate"] > 0 and r["gpu_rate"] is None for r in trainings)
    assert "training at gpu-mode sizes" in text
    assert f"{len(rows)} passed, 0 failed" in text


def test_a_gpu_that_cannot_be_used_fails_the_selftest(monkeypatch):
    import mlkit.device
    monkeypatch.setattr(mlkit.device, "gpu_problem", lambda: "CuPy sees a GPU but: no cuBLAS")
    out = io.StringIO()
    rows = selftest.run(repeats=1, pieces=selftest.PIECES[:1], trainings=(), file=out)
    assert "no cuBLAS" in out.getvalue().splitlines()[0]
    assert [r["ok"] for r in rows] == [False, True] and "1 passed, 1 failed" in out.getvalue()


@pytest.fixture
def numpy_as_gpu(monkeypatch):
    """A second NumPy device standing in for the GPU: the comparison logic, checked here."""
    import mlkit.device
    monkeypatch.setattr(mlkit.device, "gpu_available", lambda: True)
    real = chainer.get_device
    monkeypatch.setattr(chainer, "get_device",
                        lambda name: real("@numpy") if str(name).startswith("@cupy") else real(name))


def test_the_same_computation_on_two_devices_agrees(numpy_as_gpu):
    rows = selftest.run(repeats=1, pieces=selftest.PIECES[:3], trainings=(), file=io.StringIO())
    assert all(r["ok"] and r["difference"] == 0 for r in rows), rows


def test_training_throughput_is_measured_on_both_devices(numpy_as_gpu):
    cheap = [t for t in throughput.TRAININGS if t.lesson in ("1", "3")]
    out = io.StringIO()
    rows = selftest.run(repeats=1, pieces=(), trainings=cheap, gpu_steps=3, file=out)
    assert [r["lesson"] for r in rows] == ["1", "3"]
    assert all(r["ok"] and r["cpu_rate"] > 0 and r["gpu_rate"] > 0 for r in rows), rows
    assert out.getvalue().count("x  yes") == 2          # the gpu/cpu column is filled in


def test_a_training_whose_loss_is_not_finite_fails():
    def diverging(device):
        return (lambda: chainer.Variable(np.array(np.nan, dtype=np.float32))), 4

    rows = throughput.run(trainings=[throughput.Training("x", "diverges", diverging)],
                          file=io.StringIO())
    assert not rows[0]["ok"] and "not finite" in rows[0]["error"]


def test_a_disagreement_beyond_the_tolerance_fails(numpy_as_gpu):
    calls = []

    def drifting(device, seed):
        calls.append(device)
        return {"loss": np.array([1.0 + 1e-3 * len(calls)])}

    piece = selftest.Piece("x", "drifts between runs", drifting, 1e-5, 1)
    out = io.StringIO()
    rows = selftest.run(repeats=1, pieces=[piece], trainings=(), file=out)
    assert not rows[0]["ok"] and rows[0]["difference"] > 1e-5
    assert "0 passed, 1 failed" in out.getvalue()


def test_a_piece_that_breaks_is_reported_not_raised():
    def broken(device, seed):
        raise RuntimeError("no kernel for this")

    out = io.StringIO()
    rows = selftest.run(repeats=1, pieces=[selftest.Piece("x", "broken", broken, 1e-5, 1)],
                        trainings=(), file=out)
    assert not rows[0]["ok"] and "no kernel for this" in out.getvalue()


@pytest.mark.parametrize("major, expected", [(12, "'.[cuda12]'"), (13, "'.[cuda13]'"),
                                             (14, "'.[cuda13]'"), (11, "update the NVIDIA")])
def test_the_doctor_names_the_install_command_for_the_drivers_cuda(major, expected):
    assert expected in gpu_install_advice(major)
