"""The IDX file format of MNIST: read (with full validation) and write.

An IDX file is a header followed by raw big-endian numbers::

    bytes 0-1   zero
    byte  2     dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    d x 4 bytes each dimension, a big-endian uint32
    the data    prod(dims) * itemsize bytes, row-major, big-endian

MNIST's image files are ``uint8`` of shape (N, 28, 28); its label files ``uint8`` of shape (N,).
Files may be gzipped; the reader looks at the first bytes, not at the file name.
"""
import gzip
import zlib
from pathlib import Path

import numpy as np

# The dtype codes of the format, as big-endian NumPy dtypes.
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_FIX = ("delete it and download it again (run `mlkit data mnist`, "
        "or call mlkit.data.load_mnist())")


class MnistFileError(ValueError):
    """An MNIST/IDX file is corrupt, truncated or of the wrong kind, or could not be
    downloaded. The message names the file and says what to do about it."""


def read_idx(path):
    """Read one IDX file (gzipped or not) into a NumPy array.

    Returns an array of the file's shape and dtype in native byte order, e.g. ``uint8``
    (N, 28, 28) for MNIST images and ``uint8`` (N,) for MNIST labels.
    Raises :class:`MnistFileError`, naming the file, when the file is not valid IDX: a broken
    gzip stream, a bad magic number, an unknown dtype code, or a byte count that does not
    match the dimensions (truncated or padded).
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            # A download cut short ends the gzip stream early: EOFError or zlib.error.
            raise MnistFileError(
                f"{path}: the gzip data is damaged or cut short ({error}); {_FIX}.") from None
    return _parse(raw, path)


def _parse(raw, path):
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise MnistFileError(
            f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty file'}); {_FIX}.")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise MnistFileError(f"{path}: unknown IDX dtype code 0x{code:02x}; {_FIX}.")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise MnistFileError(
            f"{path}: the header is cut short ({len(raw)} bytes, {ndim} dimensions "
            f"need {header_size}); {_FIX}.")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        how = "truncated" if found < expected else "has extra bytes"
        raise MnistFileError(
            f"{path}: the file is {how}: shape {dims} of {dtype.newbyteorder('=').name} needs "
            f"{expected} data bytes, found {found}; {_FIX}.")
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(dims)
    # astype copies: the result is writable and in native byte order.
    return data.astype(dtype.newbyteorder("="))


def write_idx(path, array, *, gz=None):
    """Write ``array`` (any shape; dtype uint8, int8, int16, int32, float32 or float64) as an
    IDX file. Gzipped when ``gz`` is true, or when ``gz`` is None and the name ends in ".gz".

    The gzip header carries mtime 0 and no file name, so the same array always gives the
    same bytes (the shipped offline subset's checksums depend on it).
    """
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; use one of "
                        f"{sorted(d.name for d in _CODES)}")
    code = _CODES[native]
    if array.ndim > 255 or any(n >= 2 ** 32 for n in array.shape):
        raise ValueError(f"IDX cannot store shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if gz if gz is not None else path.name.endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=9, mtime=0)
    path.write_bytes(payload)
    return path
