"""MNIST for the course: the full set from a mirror (cached), or the shipped offline subset.

::

    from mlkit.data import load_mnist
    mn = load_mnist()                       # full set if cached or downloadable, else offline
    x, t = mn.as_chainer("train", n=1000)   # float32 (1000, 1, 28, 28) in [0, 1], int32 (1000,)

Where files go: ``$MLKIT_DATA/mnist``; without ``MLKIT_DATA``, ``$XDG_CACHE_HOME/mlkit/mnist``,
else ``~/.cache/mlkit/mnist``. Mirrors are tried in order; ``MLKIT_MNIST_MIRROR`` (one base URL,
or several separated by commas) replaces the built-in list. Downloads go through pooch: every
file is streamed to a temporary file, checked against its MD5 and only then renamed into place,
so the cache never holds a half-written or wrong file.

The offline subset (``mlkit/data/mnist_offline``) is the first 4,000 images of the official
training set and the first 1,000 of the official test set, in the official file format and
names; ``build_offline_subset.py`` made it.
"""
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch

from mlkit.data.idx import MnistFileError, read_idx

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
# MD5 of the official files, as listed in torchvision/datasets/mnist.py.
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# Public copies of yann.lecun.com/exdb/mnist (which now often refuses downloads):
# PyTorch's S3 bucket (torchvision's mirror) and the CVDF bucket (TensorFlow's and JAX's).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MIRROR_ENV = "MLKIT_MNIST_MIRROR"
# Short, so that a machine without network falls back to the offline subset quickly.
TIMEOUT_S = 10

OFFLINE_DIR = Path(__file__).resolve().parent / "mnist_offline"
# MD5 of the shipped offline files (printed by build_offline_subset.py).
OFFLINE_MD5 = {
    "train-images-idx3-ubyte.gz": "1246cbfc2df91a27df1c02e54e904bb6",
    "train-labels-idx1-ubyte.gz": "2a54afdfeabe3d16ff61a1b3253f0b50",
    "t10k-images-idx3-ubyte.gz": "c3379f275b566375ab4528689c1795c4",
    "t10k-labels-idx1-ubyte.gz": "1d88dbe1fbee9022616057ede4463181",
}
OFFLINE_NOTICE = "mlkit: {why}, using the offline MNIST subset (4,000 train / 1,000 test images)"
SOURCES = ("auto", "full", "offline")


@dataclass(frozen=True, eq=False)
class Mnist:
    """MNIST as NumPy arrays.

    train_images: uint8 (N, 28, 28), 0 = background, 255 = ink
    train_labels: int32 (N,), digits 0-9
    test_images:  uint8 (M, 28, 28)
    test_labels:  int32 (M,)
    source:       "full" (N=60,000, M=10,000) or "offline" (N=4,000, M=1,000)
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str

    def as_chainer(self, split="train", n=None, flat=False):
        """The first ``n`` examples of ``split`` ("train" or "test"; all when ``n`` is None),
        ready for a Chainer model.

        Returns ``(x, t)``: x float32 in [0, 1] of shape (n, 1, 28, 28), or (n, 784) when
        ``flat``; t int32 of shape (n,). Fresh arrays: changing them leaves this object as is.
        """
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', not {split!r}")
        images, labels = ((self.train_images, self.train_labels) if split == "train"
                          else (self.test_images, self.test_labels))
        if n is None:
            n = len(images)
        if not 0 <= n <= len(images):
            # Silently returning fewer examples would make results hard to compare.
            raise ValueError(
                f"n={n} but the {self.source} MNIST {split} split has {len(images)} images"
                + (" (the offline subset; `mlkit data mnist` downloads the full set)"
                   if self.source == "offline" else ""))
        x = images[:n].astype(np.float32) / np.float32(255)
        x = x.reshape(n, 28 * 28) if flat else x.reshape(n, 1, 28, 28)
        return x, labels[:n].astype(np.int32)

    def __repr__(self):
        return (f"Mnist(source={self.source!r}, train={self.train_images.shape}, "
                f"test={self.test_images.shape})")


def default_cache_dir():
    """The root of mlkit's data cache (MNIST goes in its ``mnist`` folder): ``$MLKIT_DATA``,
    else ``$XDG_CACHE_HOME/mlkit``, else ``~/.cache/mlkit``."""
    configured = os.environ.get("MLKIT_DATA", "").strip()
    if configured:
        return Path(configured).expanduser()
    xdg_cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg_cache).expanduser() if xdg_cache else Path.home() / ".cache"
    return base / "mlkit"


def load_mnist(source="auto", cache_dir=None, mirrors=None, quiet=False, *, checksums=None):
    """Load MNIST as a :class:`Mnist` (uint8 images (N, 28, 28), int32 labels (N,)).

    source:    "auto"    the cached full set; else download it; else (no network) the offline
                         subset, saying so in one printed line.
               "full"    the cached full set, or download it; raise MnistFileError if impossible.
               "offline" the shipped 4,000 / 1,000 subset; never touches the network.
    cache_dir: the data cache root; the files go in its ``mnist`` folder.
               Default :func:`default_cache_dir`.
    mirrors:   base URLs tried in order; default ``$MLKIT_MNIST_MIRROR`` or :data:`MIRRORS`.
    quiet:     print nothing.
    checksums: {file name: MD5} of the full set's files; default :data:`MD5` (tests swap it).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    if source == "offline":
        return _read_set(OFFLINE_DIR, "offline")
    folder = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "mnist"
    try:
        download_mnist(folder, mirrors=mirrors, checksums=checksums, quiet=quiet)
    except _Unreachable as error:
        if source == "full":
            raise MnistFileError(
                f"could not download the full MNIST set into {folder}: {error}. Connect to "
                f"the network (or set {MIRROR_ENV} to a reachable mirror) and try again, "
                "or use load_mnist(source='offline') for the shipped subset.") from None
        if not quiet:
            print(OFFLINE_NOTICE.format(why=error.summary))
        return _read_set(OFFLINE_DIR, "offline")
    return _read_set(folder, "full")


def download_mnist(folder, mirrors=None, checksums=None, quiet=False):
    """Put the four full-set files in ``folder``, downloading those not there yet.

    Each file goes through :func:`fetch_file` (pooch: streamed to a temporary file in
    ``folder``, its MD5 checked, and only then renamed to its final name). Raises
    MnistFileError when a mirror serves a file with the wrong checksum (after trying the other
    mirrors), and ``_Unreachable`` (an OSError) when no mirror could be reached.
    Returns ``folder``.
    """
    folder = Path(folder)
    checksums = MD5 if checksums is None else checksums
    missing = [name for name in FILES.values() if not (folder / name).is_file()]
    if not missing:
        return folder
    # Made here rather than by pooch, so that an unwritable cache is reported as what it is
    # and not mistaken for "no network".
    folder.mkdir(parents=True, exist_ok=True)
    announced = quiet
    for name in missing:
        failures, mismatches = [], []
        for base in _mirror_list(mirrors):
            url = base + name

            def announce(base=base):
                nonlocal announced
                if not announced:
                    # Said only once a mirror answers, so that an offline run prints just
                    # its one fallback line.
                    print(f"mlkit: downloading MNIST (about 11 MB) from {base} into {folder}")
                    announced = True

            try:
                fetch_file(url, folder / name, "md5:" + checksums[name], on_response=announce)
                break
            except ChecksumMismatch as error:
                mismatches.append(str(error))
            except DownloadFailed as error:
                failures.append(str(error))
        else:
            if mismatches:
                raise MnistFileError(
                    f"{name}: " + "; ".join(mismatches + failures) + f". No copy of it was saved "
                    f"in {folder}. A mirror may be damaged: try again later, or set {MIRROR_ENV} "
                    "to another mirror.")
            raise _Unreachable(name, failures)
    return folder


def fetch_file(url, target, known_hash, *, timeout=TIMEOUT_S, on_response=None,
               progress=False):
    """Download ``url`` to ``target`` with pooch, keeping it only if it matches ``known_hash``.

    known_hash:  ``"md5:<hex>"`` or ``"sha256:<hex>"``.
    on_response: called (no arguments) once the server has answered with the file, before
                 the bytes arrive; used to announce a download only when one really starts.
    progress:    show a tqdm progress bar (for large files).

    Pooch streams the bytes into a temporary file next to ``target``, checks the hash, and
    renames the file into place, so ``target`` is either absent or the complete, verified
    file. Raises :class:`ChecksumMismatch` (nothing is kept) or :class:`DownloadFailed`
    (connection refused, timeout, HTTP error; message ``"<url>: <short reason>"``).
    """
    import requests  # pooch's own HTTP client; imported here to keep `import mlkit` quick
    target = Path(target)
    downloader = pooch.HTTPDownloader(timeout=timeout,
                                      progressbar=_ProgressHook(on_response, progress))
    logger = pooch.get_logger()
    level = logger.level
    # Pooch logs "Downloading data from ..." before it knows whether anything answers; the
    # course prints its own single line instead.
    logger.setLevel(logging.WARNING)
    try:
        pooch.retrieve(url, known_hash, fname=target.name, path=target.parent,
                       downloader=downloader)
    except ValueError as error:
        if "hash" not in str(error):
            raise
        raise ChecksumMismatch(
            f"checksum mismatch for the copy from {url} (expected {known_hash})") from None
    except requests.exceptions.RequestException as error:
        raise DownloadFailed(f"{url}: {_reason(error)}") from None
    finally:
        logger.setLevel(level)
    return target


def _mirror_list(mirrors):
    if mirrors is None:
        configured = os.environ.get(MIRROR_ENV, "").strip()
        mirrors = [m for m in configured.split(",") if m.strip()] if configured else MIRRORS
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    # A base URL without its final slash would otherwise lose its last path segment.
    return [m.strip().rstrip("/") + "/" for m in mirrors]


class _ProgressHook:
    """What pooch's HTTPDownloader accepts as a progress bar: it sets ``total`` once the
    server has answered, then calls ``update``, ``reset`` and ``close``. Used to learn that a
    download really started, and optionally to show a tqdm bar."""

    def __init__(self, on_response, show_bar):
        self._on_response, self._show_bar, self._bar = on_response, show_bar, None

    @property
    def total(self):
        return self._bar.total if self._bar is not None else None

    @total.setter
    def total(self, value):
        if self._on_response is not None:
            self._on_response()
        if self._show_bar:
            from tqdm.auto import tqdm
            self._bar = tqdm(total=value or None, unit="B", unit_scale=True, unit_divisor=1024)

    def update(self, n):
        if self._bar is not None:
            self._bar.update(n)

    def reset(self):
        if self._bar is not None:
            self._bar.reset()

    def close(self):
        if self._bar is not None:
            self._bar.close()


def _read_set(folder, source):
    arrays = {}
    for role, name in FILES.items():
        try:
            arrays[role] = read_idx(folder / name)
        except FileNotFoundError:
            raise MnistFileError(
                f"{folder / name} is missing" + (
                    "; the mlkit installation is incomplete: reinstall mlkit"
                    if source == "offline" else "; run `mlkit data mnist` to download it")
            ) from None
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise MnistFileError(
                f"{folder / FILES[split + '_images']} holds {images.dtype} {images.shape}, "
                "not MNIST images (uint8, N x 28 x 28); delete it and download it again.")
        if labels.shape != images.shape[:1]:
            raise MnistFileError(
                f"{folder / FILES[split + '_labels']} holds {labels.shape} labels for "
                f"{len(images)} images; delete both files and download them again.")
    arrays = {role: (a.astype(np.int32) if role.endswith("labels") else a)
              for role, a in arrays.items()}
    return Mnist(source=source, **arrays)


def _reason(error):
    """A short reason for a failed request: "HTTP 404", "timed out", "[Errno 111] Connection
    refused" rather than requests' nested exception text."""
    import requests
    response = getattr(error, "response", None)
    if isinstance(error, requests.exceptions.HTTPError) and response is not None:
        return f"HTTP {response.status_code}"
    if isinstance(error, requests.exceptions.Timeout):
        return "timed out"
    # ConnectionError wraps urllib3's MaxRetryError, whose ``reason`` ends in the OS message.
    wrapped = error.args[0] if error.args else error
    text = str(getattr(wrapped, "reason", None) or wrapped)
    reason = text.rsplit(": ", 1)[-1]
    # Drop the quotes and parentheses of the wrapping exceptions' reprs, not the reason's own.
    while reason and (reason[-1] in "'\"" and reason.count(reason[-1]) % 2 or
                      reason[-1] == ")" and reason.count(")") > reason.count("(")):
        reason = reason[:-1]
    return reason or type(error).__name__


class ChecksumMismatch(Exception):
    """A server sent bytes other than the expected file; nothing was kept."""


class DownloadFailed(OSError):
    """A server could not be reached, timed out, or answered with an HTTP error."""


class _Unreachable(OSError):
    """No mirror could be reached for a file (no network, or every mirror down)."""

    def __init__(self, name, failures):
        super().__init__(f"no mirror could be reached for {name} ({'; '.join(failures)})")
        everything_refused = all(": HTTP " not in failure for failure in failures)
        self.summary = "no network" if everything_refused else "no MNIST mirror answered"
