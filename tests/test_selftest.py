"""`mlkit selftest` and the GPU install advice, on a machine without a GPU (CI's)."""
import io

import chainer
import numpy as np
import pytest

from mlkit import checkup, selftest


def test_without_a_gpu_it_says_so_and_runs_the_cpu_half():
    out = io.StringIO()
    rows = selftest.run(repeats=1, file=out)
    text = out.getvalue()
    assert text.splitlines()[0].startswith("mlkit selftest: no GPU here")
    assert len(rows) == len(selftest.PIECES) and all(r["ok"] for r in rows), rows
    assert all(r["cpu_seconds"] > 0 and r["gpu_seconds"] is None for r in rows)
    assert {r["lesson"] for r in rows} >= {"1", "2", "3", "4", "5", "6"}
    assert f"{len(rows)} passed, 0 failed" in text


@pytest.fixture
def numpy_as_gpu(monkeypatch):
    """A second NumPy device standing in for the GPU: the comparison logic, checked here."""
    import mlkit.device
    monkeypatch.setattr(mlkit.device, "gpu_available", lambda: True)
    real = chainer.get_device
    monkeypatch.setattr(chainer, "get_device",
                        lambda name: real("@numpy") if str(name).startswith("@cupy") else real(name))


def test_the_same_computation_on_two_devices_agrees(numpy_as_gpu):
    rows = selftest.run(repeats=1, pieces=selftest.PIECES[:3], file=io.StringIO())
    assert all(r["ok"] and r["difference"] == 0 for r in rows), rows


def test_a_disagreement_beyond_the_tolerance_fails(numpy_as_gpu):
    calls = []

    def drifting(device, seed):
        calls.append(device)
        return {"loss": np.array([1.0 + 1e-3 * len(calls)])}

    piece = selftest.Piece("x", "drifts between runs", drifting, 1e-5, 1)
    out = io.StringIO()
    rows = selftest.run(repeats=1, pieces=[piece], file=out)
    assert not rows[0]["ok"] and rows[0]["difference"] > 1e-5
    assert "0 passed, 1 failed" in out.getvalue()


def test_a_piece_that_breaks_is_reported_not_raised():
    def broken(device, seed):
        raise RuntimeError("no kernel for this")

    out = io.StringIO()
    rows = selftest.run(repeats=1, pieces=[selftest.Piece("x", "broken", broken, 1e-5, 1)],
                        file=out)
    assert not rows[0]["ok"] and "no kernel for this" in out.getvalue()


@pytest.mark.parametrize("major, expected", [(12, "'.[cuda12]'"), (13, "'.[cuda13]'"),
                                             (14, "'.[cuda13]'"), (11, "update the NVIDIA")])
def test_the_doctor_names_the_install_command_for_the_drivers_cuda(major, expected):
    assert expected in checkup.gpu_install_advice(major)
