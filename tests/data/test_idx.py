"""The IDX reader: exact round trips, and a clear MnistFileError for every kind of bad file."""
import gzip

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlkit.data import MnistFileError, read_idx
from mlkit.data.idx import write_idx

IDX_DTYPES = ["u1", "i1", ">i2", "<i2", "i4", ">f4", "f4", "f8"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=hnp.arrays(dtype=st.sampled_from(IDX_DTYPES).map(np.dtype),
                        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6)),
       gz=st.booleans())
def test_write_then_read_gives_back_the_same_array(tmp_path, array, gz):
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)  # NaNs compare equal here
    assert back.flags.writeable


def test_data_is_big_endian_with_the_documented_header(tmp_path):
    path = write_idx(tmp_path / "x.idx", np.array([[1, 256]], dtype=np.int32))
    assert path.read_bytes() == (bytes([0, 0, 0x0C, 2]) + (1).to_bytes(4, "big")
                                 + (2).to_bytes(4, "big") + (1).to_bytes(4, "big")
                                 + (256).to_bytes(4, "big"))


def test_gzip_is_recognized_by_content_not_by_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = write_idx(tmp_path / "no-suffix", array, gz=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(path), array)


def test_gzip_output_is_deterministic(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    first = write_idx(tmp_path / "a.gz", array).read_bytes()
    second = write_idx(tmp_path / "b.gz", array).read_bytes()
    assert first == second


def test_unsupported_dtype_is_refused(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))


@pytest.fixture
def images_file(tmp_path):
    """A valid raw IDX file of uint8 (5, 28, 28) and its bytes."""
    array = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "train-images-idx3-ubyte", array)
    return path, path.read_bytes()


def _expect_file_error(path, match):
    with pytest.raises(MnistFileError, match=match) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message  # names the file
    assert "delete" in message and "mlkit data mnist" in message  # says what to do
    return message


def test_truncated_raw_file(images_file):
    path, raw = images_file
    path.write_bytes(raw[:-100])
    _expect_file_error(path, "truncated")


def test_file_with_extra_bytes(images_file):
    path, raw = images_file
    path.write_bytes(raw + b"\0")
    _expect_file_error(path, "extra bytes")


def test_truncated_gzip_file(images_file, tmp_path):
    _, raw = images_file
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(raw)[:-50])
    _expect_file_error(path, "gzip")


def test_gzip_with_a_damaged_byte(images_file, tmp_path):
    _, raw = images_file
    damaged = bytearray(gzip.compress(raw))
    damaged[len(damaged) // 2] ^= 0xFF
    path = tmp_path / "damaged.gz"
    path.write_bytes(bytes(damaged))
    _expect_file_error(path, "gzip")


def test_gzipped_file_truncated_inside(images_file, tmp_path):
    _, raw = images_file
    path = tmp_path / "short-inside.gz"
    path.write_bytes(gzip.compress(raw[:1000]))  # a valid gzip of a truncated IDX file
    _expect_file_error(path, "truncated")


@pytest.mark.parametrize("start", [b"\x01\x00\x08\x03", b"PK\x03\x04", b"<htm"])
def test_bad_magic_number(images_file, start):
    path, raw = images_file
    path.write_bytes(start + raw[4:])
    _expect_file_error(path, "magic number")


def test_empty_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    _expect_file_error(path, "magic number")


def test_unknown_dtype_code(images_file):
    path, raw = images_file
    path.write_bytes(raw[:2] + b"\x07" + raw[3:])
    _expect_file_error(path, "dtype code 0x07")


def test_header_cut_short(tmp_path):
    path = tmp_path / "header"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + (5).to_bytes(4, "big"))
    _expect_file_error(path, "header")


def test_the_error_is_a_value_error():
    assert issubclass(MnistFileError, ValueError)
