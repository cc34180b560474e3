"""load_mnist: the shipped subset, and downloads against a local HTTP server on 127.0.0.1.

No test here reaches beyond 127.0.0.1 (an autouse fixture refuses any other connection) or
touches the real user cache (MLKIT_DATA points into tmp_path).
"""
import dataclasses
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from mlkit.data import Mnist, MnistFileError, load_mnist, read_idx
from mlkit.data import mnist as mnist_module
from mlkit.data.idx import write_idx
from mlkit.data.mnist import FILES, OFFLINE_DIR, OFFLINE_MD5

FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def refuse_beyond_localhost(monkeypatch):
    """Make every socket refuse to connect anywhere but 127.0.0.1.

    Patched at ``socket.socket.connect``, below both urllib and requests/urllib3 (which
    pooch uses and which does not go through ``socket.create_connection``).
    """
    real_connect = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to reach {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(autouse=True)
def local_network_only(monkeypatch, tmp_path):
    """Refuse connections beyond 127.0.0.1; keep the real cache and mirror settings out."""
    refuse_beyond_localhost(monkeypatch)
    monkeypatch.delenv("MLKIT_MNIST_MIRROR", raising=False)
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path / "default-cache"))
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)  # the local mirror must be reached directly


def test_the_guard_refuses_the_internet():
    # The guard must hold for pooch's HTTP client too, or a test could download for real.
    with pytest.raises(AssertionError, match="tried to reach"):
        mnist_module.fetch_file("http://192.0.2.1/x.gz", "unused", "md5:0")


# ---------------------------------------------------------------- the shipped offline subset

def test_shipped_files_have_the_recorded_checksums():
    for name in FILES.values():
        digest = hashlib.md5((OFFLINE_DIR / name).read_bytes()).hexdigest()
        assert digest == OFFLINE_MD5[name], name


def test_offline_subset_shapes_dtypes_and_labels(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("source='offline' must not touch the network")
    monkeypatch.setattr(mnist_module.pooch, "retrieve", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)

    mn = load_mnist(source="offline")
    assert mn.source == "offline"
    assert mn.train_images.shape == (4000, 28, 28) and mn.train_images.dtype == np.uint8
    assert mn.test_images.shape == (1000, 28, 28) and mn.test_images.dtype == np.uint8
    assert mn.train_labels.shape == (4000,) and mn.train_labels.dtype == np.int32
    assert mn.test_labels.shape == (1000,) and mn.test_labels.dtype == np.int32
    assert mn.train_labels[:10].tolist() == FIRST_TRAIN_LABELS
    assert mn.test_labels[:10].tolist() == FIRST_TEST_LABELS
    for labels in (mn.train_labels, mn.test_labels):
        assert set(labels.tolist()) == set(range(10))
    # Real digits: black background, full-ink strokes, about 19 % of pixels inked.
    assert mn.train_images.min() == 0 and mn.train_images.max() == 255
    assert 0.10 < mn.train_images.mean() / 255 < 0.16
    assert (mn.train_images[:, 0, :] == 0).all()  # the top row is always empty in MNIST


def test_offline_files_read_with_the_same_reader():
    labels = read_idx(OFFLINE_DIR / "t10k-labels-idx1-ubyte.gz")
    assert labels.dtype == np.uint8 and labels.shape == (1000,)


def test_as_chainer_shapes_dtypes_and_scale():
    mn = load_mnist(source="offline")
    x, t = mn.as_chainer()
    assert x.shape == (4000, 1, 28, 28) and x.dtype == np.float32
    assert t.shape == (4000,) and t.dtype == np.int32
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_allclose(x[7, 0] * 255, mn.train_images[7], atol=1e-4)

    x, t = mn.as_chainer("test", n=10, flat=True)
    assert x.shape == (10, 784) and x.dtype == np.float32
    assert t.tolist() == FIRST_TEST_LABELS

    x[:] = 0  # a fresh copy: the data set itself is untouched
    assert mn.test_images[:10].any()


def test_as_chainer_refuses_bad_arguments():
    mn = load_mnist(source="offline")
    with pytest.raises(ValueError, match="split"):
        mn.as_chainer("valid")
    with pytest.raises(ValueError, match="4000"):
        mn.as_chainer("train", n=5000)


def test_mnist_is_frozen():
    mn = load_mnist(source="offline")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mn.source = "full"
    assert "offline" in repr(mn) and "(4000, 28, 28)" in repr(mn)


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source"):
        load_mnist(source="internet")


# ---------------------------------------------------------------- a local mirror

def _fake_full_set(folder):
    """Small valid MNIST-format files: {file name: gz bytes} and the arrays they hold."""
    rng = np.random.default_rng(1)
    arrays = {
        "train_images": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 30, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 7, dtype=np.uint8),
    }
    folder.mkdir()
    blobs = {name: write_idx(folder / name, arrays[role]).read_bytes()
             for role, name in FILES.items()}
    return blobs, arrays


class LocalMirror:
    """An HTTP server on 127.0.0.1 (ephemeral port, own thread) serving ``routes``:
    {url path: bytes}. Other paths answer 404. ``requests`` logs the paths asked for."""

    def __init__(self, routes):
        self.routes, self.requests = routes, []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.requests.append(self.path)
                body = mirror.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the server's log out of captured output
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def full_set(tmp_path):
    blobs, arrays = _fake_full_set(tmp_path / "served")
    checksums = {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}
    return blobs, arrays, checksums


@pytest.fixture
def mirror(full_set):
    """/good/ serves the right files; /bad/ serves the same names with other bytes."""
    blobs, _, _ = full_set
    routes = {f"/good/{name}": blob for name, blob in blobs.items()}
    routes.update({f"/bad/{name}": blob[:-1] + bytes([blob[-1] ^ 1])
                   for name, blob in blobs.items()})
    server = LocalMirror(routes)
    yield server
    server.close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connections are refused, like no network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def _cache_files(cache):
    folder = cache / "mnist"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_checks_and_caches_the_files(tmp_path, mirror, full_set, capsys):
    _, arrays, checksums = full_set
    cache = tmp_path / "cache"
    mn = load_mnist(source="full", cache_dir=cache, mirrors=[mirror.url + "/good"],
                    checksums=checksums)
    assert mn.source == "full"
    for role, array in arrays.items():
        np.testing.assert_array_equal(getattr(mn, role), array)
    assert mn.train_labels.dtype == np.int32
    assert _cache_files(cache) == sorted(FILES.values())  # and no temporary file left over
    assert len(capsys.readouterr().out.splitlines()) == 1  # "downloading ..."

    # Cached now: neither "full" nor "auto" asks the mirror again, and nothing is printed.
    asked = len(mirror.requests)
    assert load_mnist(source="auto", cache_dir=cache, mirrors=[mirror.url + "/good"],
                      checksums=checksums).source == "full"
    assert len(mirror.requests) == asked == 4
    assert capsys.readouterr().out == ""


def test_checksum_mismatch_leaves_nothing_in_the_cache(tmp_path, mirror, full_set):
    _, _, checksums = full_set
    cache = tmp_path / "cache"
    with pytest.raises(MnistFileError) as caught:
        load_mnist(source="auto", cache_dir=cache, mirrors=[mirror.url + "/bad/"],
                   checksums=checksums, quiet=True)
    message = str(caught.value)
    assert "checksum mismatch" in message
    assert "train-images-idx3-ubyte.gz" in message and mirror.url + "/bad/" in message
    assert _cache_files(cache) == []  # not even a temporary file


def test_checksum_mismatch_on_one_mirror_falls_through_to_a_good_one(tmp_path, mirror, full_set):
    _, _, checksums = full_set
    mn = load_mnist(source="full", cache_dir=tmp_path, quiet=True, checksums=checksums,
                    mirrors=[mirror.url + "/bad/", mirror.url + "/good/"])
    assert mn.source == "full"
    assert _cache_files(tmp_path) == sorted(FILES.values())


def test_official_checksums_are_the_default(tmp_path, mirror):
    # The fake files are not the official ones, so the built-in MD5 table must reject them.
    with pytest.raises(MnistFileError, match="checksum mismatch"):
        load_mnist(source="full", cache_dir=tmp_path, mirrors=[mirror.url + "/good/"], quiet=True)
    assert _cache_files(tmp_path) == []


@pytest.mark.parametrize("first", ["closed port", "404"])
def test_first_mirror_failing_uses_the_second(tmp_path, mirror, full_set, closed_port_url, first):
    _, _, checksums = full_set
    failing = closed_port_url if first == "closed port" else mirror.url + "/missing/"
    mn = load_mnist(source="full", cache_dir=tmp_path, mirrors=[failing, mirror.url + "/good/"],
                    checksums=checksums, quiet=True)
    assert mn.source == "full"
    assert sum(path.startswith("/good/") for path in mirror.requests) == 4


def test_every_mirror_answering_404_is_reported_as_such(tmp_path, mirror, full_set, capsys):
    _, _, checksums = full_set
    with pytest.raises(MnistFileError, match="HTTP 404"):
        load_mnist(source="full", cache_dir=tmp_path, mirrors=[mirror.url + "/missing/"],
                   checksums=checksums, quiet=True)
    # With network but no answering mirror, "auto" says so rather than "no network".
    assert load_mnist(source="auto", cache_dir=tmp_path, mirrors=[mirror.url + "/missing/"],
                      checksums=checksums).source == "offline"
    assert "no MNIST mirror answered" in capsys.readouterr().out
    assert _cache_files(tmp_path) == []


def test_mirror_from_the_environment(tmp_path, monkeypatch, mirror, full_set, closed_port_url):
    _, _, checksums = full_set
    monkeypatch.setenv("MLKIT_MNIST_MIRROR", f"{closed_port_url}, {mirror.url}/good/")
    mn = load_mnist(source="full", cache_dir=tmp_path, checksums=checksums, quiet=True)
    assert mn.source == "full"


def test_default_cache_folder_comes_from_the_environment(tmp_path, monkeypatch, mirror, full_set):
    _, _, checksums = full_set
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path / "data"))
    load_mnist(source="full", mirrors=[mirror.url + "/good/"], checksums=checksums, quiet=True)
    assert _cache_files(tmp_path / "data") == sorted(FILES.values())


def test_default_cache_dir_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path / "x"))
    assert mnist_module.default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("MLKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_module.default_cache_dir() == tmp_path / "xdg" / "mlkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_module.default_cache_dir() == tmp_path / "home" / ".cache" / "mlkit"


def test_no_network_auto_falls_back_with_one_line(tmp_path, closed_port_url, capsys):
    mn = load_mnist(source="auto", cache_dir=tmp_path, mirrors=[closed_port_url])
    assert mn.source == "offline" and mn.train_images.shape == (4000, 28, 28)
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    assert len(lines) == 1
    assert "offline MNIST subset" in lines[0] and "no network" in lines[0]
    assert _cache_files(tmp_path) == []


def test_no_network_auto_quiet_prints_nothing(tmp_path, closed_port_url, capsys):
    assert load_mnist(cache_dir=tmp_path, mirrors=[closed_port_url], quiet=True).source == "offline"
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_no_network_full_raises_a_clear_error(tmp_path, closed_port_url):
    with pytest.raises(MnistFileError) as caught:
        load_mnist(source="full", cache_dir=tmp_path, mirrors=[closed_port_url], quiet=True)
    message = str(caught.value)
    assert "could not download" in message and closed_port_url in message
    assert "Connection refused" in message and "Max retries" not in message  # the short reason
    assert "source='offline'" in message
    assert _cache_files(tmp_path) == []


def test_corrupt_cached_file_names_the_file(tmp_path, full_set, mirror):
    _, _, checksums = full_set
    load_mnist(source="full", cache_dir=tmp_path, mirrors=[mirror.url + "/good/"],
               checksums=checksums, quiet=True)
    damaged = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-20])
    with pytest.raises(MnistFileError, match="t10k-images-idx3-ubyte.gz") as caught:
        load_mnist(source="auto", cache_dir=tmp_path, mirrors=[mirror.url + "/good/"],
                   checksums=checksums, quiet=True)
    assert "delete" in str(caught.value)


def test_public_api():
    import mlkit.data
    assert sorted(mlkit.data.__all__) == [
        "Mnist", "MnistFileError", "MovingMnist", "MovingMnistDataset", "MovingMnistError",
        "load_mnist", "load_moving_mnist", "load_sequences", "make_moving_mnist", "read_idx",
        "save_sequences"]
    assert all(hasattr(mlkit.data, name) for name in mlkit.data.__all__)
    assert dataclasses.is_dataclass(Mnist)
