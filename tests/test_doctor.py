"""``mlkit doctor`` and the ``mlkit`` command line: every row, every mode, never a crash."""
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mlkit
from mlkit import cli
from mlkit.data.mnist import FILES
from mlkit.doctor import KEYS, report

MNIST_FILES = tuple(FILES.values())

ROW_LABELS = ("Python", "NumPy", "Chainer", "CuPy", "CUDA", "GPU", "run mode", "device",
              "data cache", "full MNIST")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Each test starts from no course variables, with a data cache of its own."""
    for name in ("MLKIT_MODE", "MLKIT_DEVICE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path / "data"))


def run_doctor():
    """The doctor's table and returned values."""
    out = io.StringIO()
    values = report(file=out)
    return out.getvalue(), values


def table_line(table, label):
    """The table's line for ``label`` (the first column)."""
    lines = [line for line in table.splitlines() if line.startswith(label + " ")]
    assert lines, f"no {label!r} row in:\n{table}"
    return lines[0]


def test_table_has_every_row_and_is_fast():
    # Importing Chainer (1-2 s) is every lesson's cost, so it is paid before timing; what
    # is timed is the doctor's own probing, which must stay quick.
    import chainer
    import numpy
    started = time.perf_counter()
    table, values = run_doctor()
    assert time.perf_counter() - started < 2
    for label in ROW_LABELS:
        table_line(table, label)
    assert table.splitlines()[0].split() == ["item", "value", "advice"]
    assert set(values) == set(KEYS) | {"advice"}
    assert values["chainer"] == chainer.__version__
    assert values["numpy"] == numpy.__version__
    assert values["device"] == mlkit.device_name()


def test_doctor_prints_to_stdout_by_default(capsys):
    # Returns nothing: a notebook cell ending in mlkit.doctor() shows the table once.
    assert mlkit.doctor() is None
    first = capsys.readouterr().out
    assert "run mode" in first
    # A second call in the same session works (a learner re-running the first cell).
    mlkit.doctor()
    assert capsys.readouterr().out == first
    values = report(file=io.StringIO())
    assert values["mode"] in ("cpu", "gpu")
    assert values["mode_source"].startswith("automatic: the device is @")


def test_smoke_mode_from_environment(monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "smoke")
    table, values = run_doctor()
    assert values["mode"] == "smoke"
    assert values["mode_source"] == "MLKIT_MODE"
    assert "smoke" in table_line(table, "run mode")


def test_invalid_mode_is_advice_not_a_crash(monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "bogus")
    table, values = run_doctor()
    assert values["mode"] is None
    assert "not a run mode" in values["advice"]["mode"]
    assert "not a run mode" in table_line(table, "run mode")


def test_no_gpu_advice(monkeypatch):
    monkeypatch.setattr(mlkit.device, "_cupy", lambda: None)
    table, values = run_doctor()
    assert values["gpu"] is None and values["cuda"] is None
    assert "MLKIT_MODE=smoke" in table_line(table, "GPU")


def test_a_gpu_cupy_cannot_use_is_shown_with_the_fix(monkeypatch):
    monkeypatch.setattr(mlkit.device, "_probe",
                        lambda: (None, "ImportError: libcublas.so.12: cannot open shared object"))
    monkeypatch.setattr(mlkit.device, "driver_cuda_major", lambda: 12)
    monkeypatch.setattr(mlkit.device, "_warn_unusable_gpu", lambda: None)
    table, values = run_doctor()
    line = table_line(table, "GPU")
    assert values["gpu"] is None and "cannot use it" in line
    assert "libcublas.so.12" in values["advice"]["gpu"]
    assert "pip install -e '.[cuda12]'" in values["advice"]["gpu"]
    assert values["mode"] == "cpu" and "@numpy" in values["mode_source"]


def test_chainer_import_failure_says_to_reinstall(monkeypatch):
    monkeypatch.setitem(sys.modules, "chainer", None)  # makes `import chainer` raise
    table, values = run_doctor()
    assert values["chainer"] is None
    assert "make lab" in table_line(table, "Chainer")


def test_a_failing_probe_shows_a_question_mark(monkeypatch):
    def broken():
        raise OSError("probe exploded")
    monkeypatch.setattr(mlkit.device, "device_name", broken)
    table, values = run_doctor()
    assert "probe exploded" in table_line(table, "device")
    table_line(table, "full MNIST")  # the rows after the broken one are still there


def test_mnist_cached_in_mlkit_data(tmp_path):
    cache = tmp_path / "data"
    table, values = run_doctor()
    assert Path(values["data_cache"]) == cache
    assert values["mnist_cached"] is False
    assert "mlkit data mnist" in table_line(table, "full MNIST")

    (cache / "mnist").mkdir(parents=True)
    for name in MNIST_FILES:
        (cache / "mnist" / name).write_bytes(b"")
    table, values = run_doctor()
    assert values["mnist_cached"] is True
    assert "mnist_cached" not in values["advice"]
    assert table_line(table, "full MNIST").split()[2:] == ["yes"]


def test_data_cache_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.delenv("MLKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _, values = run_doctor()
    assert Path(values["data_cache"]) == tmp_path / "xdg" / "mlkit"


def test_cli_doctor_and_usage_errors(capsys):
    assert cli.main(["doctor"]) == 0
    assert "run mode" in capsys.readouterr().out
    assert cli.main([]) == 2
    with pytest.raises(SystemExit) as usage_error:
        cli.main(["no-such-command"])
    assert usage_error.value.code == 2


def cli_environment(tmp_path):
    env = dict(os.environ, MLKIT_MODE="smoke", MLKIT_DATA=str(tmp_path / "data"))
    env.pop("MLKIT_DEVICE", None)
    return env


def test_python_dash_m_cli_doctor(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mlkit.cli", "doctor"], capture_output=True,
                          text=True, timeout=60, env=cli_environment(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "smoke" in table_line(done.stdout, "run mode")


def test_console_script_doctor(tmp_path):
    script = Path(sys.executable).with_name("mlkit")
    if not script.exists():
        pytest.skip("the mlkit console script is not installed (pip install -e .)")
    done = subprocess.run([str(script), "doctor"], capture_output=True, text=True, timeout=60,
                          env=cli_environment(tmp_path))
    assert done.returncode == 0, done.stderr
    for label in ROW_LABELS:
        table_line(done.stdout, label)
