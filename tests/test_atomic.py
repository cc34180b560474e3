"""mlkit.atomic: an interrupted write leaves the old file whole and no temporary behind."""
import os
import stat

import pytest

from mlkit.atomic import atomic_write, write_text


def test_write_replaces_the_file_with_normal_permissions(tmp_path):
    target = tmp_path / "grades.csv"
    target.write_text("old")
    write_text(target, "new")
    assert target.read_text() == "new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_an_error_midway_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "weights.npz"
    target.write_bytes(b"old weights")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target, "wb") as file:
            file.write(b"half of the new wei")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old weights"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]
