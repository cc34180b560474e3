"""Moving MNIST: the physics, the pictures, the randomness, files, the public-file download
(against a local HTTP server on 127.0.0.1), the streaming dataset and ``mlkit moving-mnist``.

Most tests use small made-up digit images, so that what a frame must hold is known exactly.
No test reaches beyond 127.0.0.1 or touches the real data cache.
"""
import hashlib
import io
import math
import socket
import subprocess
import sys
import types
from contextlib import redirect_stderr, redirect_stdout

import mlkit  # noqa: F401  (first: it makes Chainer import on today's NumPy)
import chainer
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlkit.cli import main
from mlkit.data import (MovingMnist, MovingMnistDataset, MovingMnistError, load_mnist,
                        load_moving_mnist, load_sequences, save_sequences)
from mlkit.data import moving_mnist as mm
from mlkit.data.idx import write_idx
from tests.data.test_mnist import LocalMirror, refuse_beyond_localhost

FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def local_network_only(monkeypatch, tmp_path):
    refuse_beyond_localhost(monkeypatch)
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path / "default-cache"))
    monkeypatch.delenv(mm.URL_ENV, raising=False)
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)


def random_digits(count=10, shape=(28, 28), seed=0):
    """Digit-like images: every pixel inked (1-255), so a digit's full square shows up."""
    return np.random.default_rng(seed).integers(1, 256, (count,) + shape, dtype=np.uint8)


def reference_frames(generator, motion):
    """What the frames must be, pasted one digit at a time with plain slicing."""
    frames, count = motion.corners.shape[:2]
    h, w = generator.images.shape[1:]
    out = np.zeros((frames, count) + generator.canvas, np.uint8)
    for t in range(frames):
        for s in range(count):
            for k in range(generator.digits):
                y, x = motion.corners[t, s, k]
                window = out[t, s, y:y + h, x:x + w]
                np.maximum(window, generator.images[motion.image_index[s, k]], out=window)
    return out


def test_mnist_and_the_doctor_do_not_need_chainer():
    # `mlkit doctor` must still run, and report the problem, where Chainer does not import.
    code = ("import sys; sys.modules['chainer'] = None\n"
            "import mlkit, mlkit.data, mlkit.doctor\n"
            "mlkit.data.load_mnist(source='offline')\n"
            "try:\n    mlkit.data.MovingMnist\nexcept ImportError:\n    print('lazy')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lazy"  # and the Chainer part is only imported when used


# ---------------------------------------------------------------- layout and settings

def test_layout_dtype_and_defaults():
    generator = MovingMnist(random_digits())
    assert (generator.frames, generator.digits, generator.canvas) == (20, 2, (64, 64))
    assert generator.step_length == pytest.approx(3.6)  # a tenth of 64 - 28
    data = generator.generate(3, seed=1)
    assert data.shape == (20, 3, 64, 64) and data.dtype == np.uint8
    with_channel = generator.generate(3, seed=1, channel_axis=True)
    assert with_channel.shape == (20, 3, 1, 64, 64)
    np.testing.assert_array_equal(with_channel[:, :, 0], data)


def test_every_setting_is_adjustable():
    generator = MovingMnist(random_digits(5, (10, 12)), frames=7, digits=3, size=(40, 30),
                            step_length=1.5)
    assert generator.free == (30, 18)
    data = generator.generate(4, seed=2)
    assert data.shape == (7, 4, 40, 30)
    motion = generator.motion(4, seed=2)
    assert motion.positions.shape == (7, 4, 3, 2) and motion.image_index.shape == (4, 3)
    speeds = np.linalg.norm(motion.velocities, axis=-1)
    np.testing.assert_allclose(speeds, 1.5)


@pytest.mark.parametrize("settings_, match", [
    (dict(frames=0), "frames"), (dict(digits=-1), "digits"), (dict(size=0), "size"),
    (dict(size=(64, 64, 3)), "size"), (dict(size=20), "do not fit"),
    (dict(step_length=-1.0), "step_length"), (dict(step_length=float("nan")), "step_length"),
])
def test_bad_settings_are_refused_with_a_clear_message(settings_, match):
    with pytest.raises(MovingMnistError, match=match):
        MovingMnist(random_digits(), **settings_)


def test_bad_images_are_refused():
    with pytest.raises(MovingMnistError, match="uint8"):
        MovingMnist(random_digits().astype(np.float32) / 255)
    with pytest.raises(MovingMnistError, match=r"\(M, h, w\)"):
        MovingMnist(random_digits()[0])
    with pytest.raises(MovingMnistError, match="'train' or 'test'"):
        MovingMnist(split="valid")


# ---------------------------------------------------------------- the physics

@FEW
@given(seed=st.integers(0, 2**32), frames=st.integers(2, 40), canvas=st.integers(28, 80),
       step=st.floats(0.1, 30.0))
def test_bounces_keep_digits_on_the_canvas_and_the_speed_constant(seed, frames, canvas, step):
    generator = MovingMnist(random_digits(3), frames=frames, size=canvas, step_length=step)
    motion = generator.motion(16, seed=seed)
    free = np.array(generator.free, dtype=float)
    positions, velocities = motion.positions, motion.velocities
    assert (positions >= 0).all() and (positions <= free).all()
    assert (motion.corners >= 0).all() and (motion.corners <= free).all()
    np.testing.assert_allclose(np.linalg.norm(velocities, axis=-1), step, rtol=1e-12)

    free_flight = positions[:-1] + velocities[:-1]             # where a digit would go
    hit = (free_flight < 0) | (free_flight > free)             # per axis: a wall was hit
    # Away from walls: exactly one step of the velocity, which does not change.
    np.testing.assert_allclose(positions[1:][~hit], free_flight[~hit], atol=1e-9)
    np.testing.assert_array_equal(velocities[1:][~hit], velocities[:-1][~hit])
    # At a wall: clamped onto it, and only that component of the velocity flips.
    np.testing.assert_array_equal(positions[1:][hit],
                                  np.where(free_flight < 0, 0.0, free)[hit])
    np.testing.assert_array_equal(velocities[1:][hit], -velocities[:-1][hit])


def test_a_bounce_flips_only_the_component_normal_to_the_wall():
    # One digit moving right and a little down, starting next to the right wall.
    positions, velocities = mm.bounce(np.array([[10.0, 35.0]]), np.array([[1.0, 3.0]]), 3,
                                      np.array([36.0, 36.0]))
    np.testing.assert_array_equal(positions[:, 0], [[10, 35], [11, 36], [12, 33]])
    np.testing.assert_array_equal(velocities[:, 0], [[1, 3], [1, -3], [1, -3]])
    # Into a corner: both components flip.
    positions, velocities = mm.bounce(np.array([[1.0, 1.0]]), np.array([[-2.0, -3.0]]), 2,
                                      np.array([36.0, 36.0]))
    np.testing.assert_array_equal(positions[1, 0], [0, 0])
    np.testing.assert_array_equal(velocities[1, 0], [2, 3])


def test_start_positions_directions_and_digits_are_uniform():
    generator = MovingMnist(random_digits(10), frames=2)
    motion = generator.motion(4000, seed=0)
    start = motion.positions[0] / np.array(generator.free)       # in [0, 1]
    assert abs(start.mean() - 0.5) < 0.02 and abs(start.std() - 1 / math.sqrt(12)) < 0.02
    angles = np.arctan2(motion.velocities[0, ..., 0], motion.velocities[0, ..., 1])
    counts = np.histogram(angles, bins=8, range=(-math.pi, math.pi))[0]
    assert counts.min() > 0.8 * counts.mean()                    # 8,000 digits, 1,000 a bin
    digit_counts = np.bincount(motion.image_index.ravel(), minlength=10)
    assert digit_counts.min() > 0.8 * digit_counts.mean()


# ---------------------------------------------------------------- the pictures

@FEW
@given(seed=st.integers(0, 2**32), digits=st.integers(1, 4), canvas=st.integers(28, 50))
def test_frames_are_the_digits_pasted_at_their_corners(seed, digits, canvas):
    generator = MovingMnist(random_digits(6), frames=5, digits=digits, size=canvas)
    data = generator.generate(7, seed=seed, chunk=3)
    np.testing.assert_array_equal(data, reference_frames(generator, generator.motion(7, seed)))


def test_a_digit_stays_whole_inside_the_canvas():
    generator = MovingMnist(np.full((1, 28, 28), 255, np.uint8), digits=1, frames=30,
                            step_length=7.0)
    data = generator.generate(20, seed=3)
    corners = generator.motion(20, seed=3).corners[:, :, 0]
    for t in range(30):
        for s in range(20):
            rows, cols = np.nonzero(data[t, s])
            assert len(rows) == 28 * 28                           # never clipped or wrapped
            assert (rows.min(), cols.min()) == tuple(corners[t, s])


def test_overlapping_digits_combine_with_max():
    # A canvas as small as the digits: both digits always sit on top of each other.
    images = random_digits(2, (28, 28), seed=5)
    generator = MovingMnist(images, size=28, digits=2, frames=3)
    data = generator.generate(10, seed=0)
    index = generator.motion(10, seed=0).image_index
    for s in range(10):
        expected = np.maximum(images[index[s, 0]], images[index[s, 1]])
        for t in range(3):
            np.testing.assert_array_equal(data[t, s], expected)
    assert (index[:, 0] != index[:, 1]).any()  # the max was really between different images


# ---------------------------------------------------------------- randomness

def test_same_seed_same_data_other_seed_other_data():
    generator = MovingMnist(random_digits())
    a, b, c = (generator.generate(8, seed=s) for s in (4, 4, 5))
    np.testing.assert_array_equal(a, b)
    assert not any(np.array_equal(a[:, i], c[:, i]) for i in range(8))


def test_a_sequence_does_not_depend_on_its_batch_or_chunking():
    generator = MovingMnist(random_digits())
    everything = generator.generate(10, seed=9)
    np.testing.assert_array_equal(generator.generate(10, seed=9, chunk=3), everything)
    np.testing.assert_array_equal(generator.generate(4, seed=9, start=3), everything[:, 3:7])
    np.testing.assert_array_equal(generator.sequence(6, seed=9), everything[:, 6])
    assert not np.array_equal(everything[:, 0], everything[:, 1])


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_threads_render_the_same_sequences(workers, capsys):
    generator = MovingMnist(random_digits(), digits=3)
    one_thread = generator.generate(23, seed=2, chunk=23, workers=1)
    threaded = generator.generate(23, seed=2, chunk=4, workers=workers, progress=True)
    np.testing.assert_array_equal(threaded, one_thread)
    assert "6/6" in capsys.readouterr().err   # the bar counts every chunk


def test_digits_come_from_the_chosen_split():
    mn = load_mnist(source="offline")
    for split, images in (("train", mn.train_images), ("test", mn.test_images)):
        generator = MovingMnist(split=split, mnist="offline", digits=1, frames=1)
        np.testing.assert_array_equal(generator.images, images)
        data, motion = generator.generate(30, seed=1), generator.motion(30, seed=1)
        for s in range(30):
            y, x = motion.corners[0, s, 0]
            np.testing.assert_array_equal(data[0, s, y:y + 28, x:x + 28],
                                          images[motion.image_index[s, 0]])
    # Different splits hold different images: the train digits of a test sequence differ.
    train = MovingMnist(split="train", mnist="offline").generate(3, seed=1)
    test = MovingMnist(split="test", mnist="offline").generate(3, seed=1)
    assert not np.array_equal(train, test)


class TaggedArray(np.ndarray):
    """An ndarray that says it came from the fake array module below."""


def fake_array_module():
    """NumPy under another name whose allocations return TaggedArray: stands in for CuPy to
    check that the generator makes its arrays through ``xp`` and not through NumPy directly."""
    module = types.ModuleType("fake_xp")
    for name in dir(np):
        if not name.startswith("__"):
            setattr(module, name, getattr(np, name))
    for name in ("zeros", "empty", "arange", "asarray", "empty_like"):
        original = getattr(np, name)
        setattr(module, name, lambda *a, _f=original, **k: _f(*a, **k).view(TaggedArray))
    return module


def test_array_code_runs_through_the_xp_module():
    generator = MovingMnist(random_digits())
    fake = fake_array_module()
    data = generator.generate(5, seed=2, xp=fake)
    assert isinstance(data, TaggedArray)
    np.testing.assert_array_equal(data.view(np.ndarray), generator.generate(5, seed=2))
    assert isinstance(generator.motion(5, seed=2, xp=fake).positions, TaggedArray)


# ---------------------------------------------------------------- files

def test_save_and_load_round_trip(tmp_path):
    data = MovingMnist(random_digits()).generate(3, seed=0, channel_axis=True)
    path = save_sequences(tmp_path / "seq.npy", data)
    loaded = load_sequences(path)
    np.testing.assert_array_equal(loaded, data)
    np.testing.assert_array_equal(load_sequences(path, mmap=True)[:, 1], data[:, 1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq.npy"]


def test_streamed_save_equals_generate(tmp_path):
    generator = MovingMnist(random_digits(), frames=6)
    generator.save(tmp_path / "streamed.npy", 11, seed=4, chunk=4, channel_axis=True)
    np.testing.assert_array_equal(load_sequences(tmp_path / "streamed.npy"),
                                  generator.generate(11, seed=4, channel_axis=True))


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "seq.npy"
    generator = MovingMnist(random_digits(), frames=3)
    old = generator.generate(2, seed=0)
    save_sequences(target, old)

    def broken_generate(*args, **kwargs):
        raise RuntimeError("interrupted")
    monkeypatch.setattr(generator, "generate", broken_generate)
    with pytest.raises(RuntimeError):
        generator.save(target, 5, seed=1)
    np.testing.assert_array_equal(load_sequences(target), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq.npy"]  # no temporary left


def test_bad_files_are_named_in_the_error(tmp_path):
    with pytest.raises(MovingMnistError, match="does not exist"):
        load_sequences(tmp_path / "missing.npy")
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"not an npy file at all")
    with pytest.raises(MovingMnistError, match="garbage.npy"):
        load_sequences(garbage)
    floats = tmp_path / "floats.npy"
    np.save(floats, np.zeros((2, 3, 8, 8), np.float32))
    with pytest.raises(MovingMnistError, match="float32"):
        load_sequences(floats)
    with pytest.raises(MovingMnistError, match="uint8 sequences"):
        save_sequences(tmp_path / "x.npy", np.zeros((3, 8, 8), np.uint8))


# ---------------------------------------------------------------- the public file

def _fake_public_file():
    data = np.random.default_rng(0).integers(0, 256, (20, 6, 64, 64), dtype=np.uint8)
    buffer = io.BytesIO()
    np.save(buffer, data)
    return data, buffer.getvalue()


@pytest.fixture
def public_server():
    data, blob = _fake_public_file()
    bad = bytearray(blob)
    bad[-1] ^= 1
    server = LocalMirror({"/good/mnist_test_seq.npy": blob, "/bad/mnist_test_seq.npy": bytes(bad)})
    yield server, data, hashlib.sha256(blob).hexdigest()
    server.close()


def test_public_file_is_downloaded_checked_and_cached(tmp_path, public_server, capsys):
    server, data, sha256 = public_server
    url = server.url + "/good/mnist_test_seq.npy"
    loaded = load_moving_mnist(cache_dir=tmp_path, url=url, sha256=sha256)
    np.testing.assert_array_equal(loaded, data)
    assert isinstance(loaded, np.memmap) and not loaded.flags.writeable
    assert "downloading mnist_test_seq.npy" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "moving_mnist").iterdir()) == ["mnist_test_seq.npy"]
    # Cached now: no second request, and n picks the first sequences.
    again = load_moving_mnist(source="public", n=2, cache_dir=tmp_path, url=url, sha256=sha256)
    np.testing.assert_array_equal(again, data[:, :2])
    assert len(server.requests) == 1
    with pytest.raises(MovingMnistError, match="holds 6"):
        load_moving_mnist(n=7, cache_dir=tmp_path, url=url, sha256=sha256)


def test_public_file_with_a_wrong_checksum_is_not_kept(tmp_path, public_server):
    server, _, sha256 = public_server
    with pytest.raises(MovingMnistError, match="checksum mismatch"):
        load_moving_mnist(cache_dir=tmp_path, url=server.url + "/bad/mnist_test_seq.npy",
                          sha256=sha256, quiet=True)
    assert list((tmp_path / "moving_mnist").iterdir()) == []


def test_the_real_checksum_is_the_default(tmp_path, public_server):
    server, _, _ = public_server
    with pytest.raises(MovingMnistError, match=mm.PUBLIC_SHA256):
        load_moving_mnist(cache_dir=tmp_path, url=server.url + "/good/mnist_test_seq.npy",
                          quiet=True)


def test_offline_auto_generates_instead_with_one_line(tmp_path, capsys, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/mnist_test_seq.npy"
    monkeypatch.setattr(mm, "MovingMnist",
                        lambda **kw: MovingMnist(random_digits(), **kw))  # keep MNIST offline
    data = load_moving_mnist(n=3, cache_dir=tmp_path, url=closed)
    assert data.shape == (20, 3, 64, 64) and data.dtype == np.uint8 and data.any()
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    assert len(lines) == 1 and "generated" in lines[0] and "Connection refused" in lines[0]
    with pytest.raises(MovingMnistError, match="could not download"):
        load_moving_mnist(source="public", cache_dir=tmp_path, url=closed)
    assert not (tmp_path / "moving_mnist" / "mnist_test_seq.npy").exists()


def test_generated_source_never_touches_the_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("source='generated' must not download")
    monkeypatch.setattr(mm, "fetch_file", no_network)
    monkeypatch.setattr(mm, "MovingMnist", lambda **kw: MovingMnist(random_digits(), **kw))
    data = load_moving_mnist(source="generated", n=2, cache_dir=tmp_path)
    np.testing.assert_array_equal(data, MovingMnist(random_digits()).generate(2, seed=0))


# ---------------------------------------------------------------- the streaming dataset

def test_dataset_is_deterministic_per_index_and_seed():
    generator = MovingMnist(random_digits(), frames=6)
    dataset = MovingMnistDataset(50, seed=3, generator=generator)
    assert len(dataset) == 50
    first = dataset[7]
    assert first.shape == (6, 1, 64, 64) and first.dtype == np.float32
    assert 0 <= first.min() and first.max() <= 1 and first.max() > 0
    np.testing.assert_array_equal(dataset[7], first)
    np.testing.assert_array_equal(first[:, 0] * 255, generator.generate(50, seed=3)[:, 7])
    assert not np.array_equal(dataset[8], first)
    assert not np.array_equal(MovingMnistDataset(50, seed=4, generator=generator)[7], first)
    np.testing.assert_array_equal(dataset[-1], dataset[49])
    with pytest.raises(IndexError):
        dataset[50]


def test_dataset_pairs_and_batches_for_chainer():
    generator = MovingMnist(random_digits(), frames=20)
    dataset = MovingMnistDataset(9, generator=generator, input_frames=10, dtype=np.uint8)
    inputs, targets = dataset[0]
    assert inputs.shape == targets.shape == (10, 1, 64, 64) and inputs.dtype == np.uint8
    batch = next(chainer.iterators.SerialIterator(dataset, 4, shuffle=False))
    x, t = chainer.dataset.concat_examples(batch)
    assert x.shape == t.shape == (4, 10, 1, 64, 64)
    with pytest.raises(MovingMnistError, match="input_frames"):
        MovingMnistDataset(9, generator=generator, input_frames=20)


# ---------------------------------------------------------------- mlkit moving-mnist

def run_command(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(["moving-mnist", *argv])
        except SystemExit as exit_:  # argparse's own usage errors
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def digits_file(tmp_path):
    return write_idx(tmp_path / "digits-idx3-ubyte.gz", random_digits(20))


def test_command_writes_the_file(tmp_path, digits_file):
    target = tmp_path / "out.npy"
    code, out, err = run_command("--out", str(target), "--sequences", "5", "--frames", "4",
                                 "--digits", "3", "--size", "40", "--step-length", "2",
                                 "--seed", "7", "--source", str(digits_file), "--channel-axis")
    assert (code, err) == (0, "")
    assert "(4, 5, 1, 40, 40)" in out
    expected = MovingMnist(random_digits(20), frames=4, digits=3, size=40, step_length=2.0)
    np.testing.assert_array_equal(load_sequences(target),
                                  expected.generate(5, seed=7, channel_axis=True))


def test_command_uses_the_mnist_split(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a mirror that refuses: MNIST falls back to the subset
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("MLKIT_MNIST_MIRROR", f"http://127.0.0.1:{probe.getsockname()[1]}/")
    target = tmp_path / "out.npy"
    code, out, _ = run_command("--out", str(target), "--sequences", "2", "--split", "test")
    assert code == 0 and "MNIST test (offline" in out
    expected = MovingMnist(split="test", mnist="offline").generate(2, seed=0)
    np.testing.assert_array_equal(load_sequences(target), expected)


@pytest.mark.parametrize("arguments, code, message", [
    (["--sequences", "0"], 2, "--sequences must be a positive number"),
    (["--sequences", "3", "--frames", "-2"], 2, "--frames must be a positive number"),
    (["--sequences", "3", "--size", "0"], 2, "--size must be a positive number"),
    (["--sequences", "3", "--digits", "0"], 2, "--digits must be a positive number"),
    (["--sequences", "3", "--size", "20"], 2, "do not fit on a 20x20 canvas"),
    (["--sequences", "3", "--step-length", "-1"], 2, "step_length"),
    (["--sequences", "3", "--seed", "-1"], 2, "--seed"),
    (["--sequences", "3", "--source", "SOURCE", "--split", "test"], 2, "not both"),
    (["--sequences", "3", "--source", "MISSING"], 1, "cannot read digits"),
    (["--sequences", "3", "--source", "CORRUPT"], 1, "damaged or cut short"),
    (["--sequences", "3", "--source", "LABELS"], 1, "(M, h, w)"),
    (["--sequences", "3", "--out", "UNWRITABLE"], 1, "cannot write"),
])
def test_command_errors_are_one_line_and_leave_no_file(tmp_path, digits_file, arguments, code,
                                                       message):
    corrupt = tmp_path / "corrupt.gz"
    corrupt.write_bytes(digits_file.read_bytes()[:-40])
    labels = write_idx(tmp_path / "labels.gz", np.arange(10, dtype=np.uint8))
    (tmp_path / "a-file").write_text("")
    replacements = {"SOURCE": str(digits_file), "MISSING": str(tmp_path / "missing.gz"),
                    "CORRUPT": str(corrupt), "LABELS": str(labels),
                    "UNWRITABLE": str(tmp_path / "a-file" / "out.npy")}
    arguments = [replacements.get(a, a) for a in arguments]
    if "--out" not in arguments:
        arguments = ["--out", str(tmp_path / "out.npy")] + arguments
    if "--source" not in arguments and "--split" not in arguments:
        arguments += ["--source", str(digits_file)]
    before = sorted(p.name for p in tmp_path.iterdir())
    returned, out, err = run_command(*arguments)
    assert returned == code
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert err.startswith("mlkit moving-mnist: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no .part
