"""Logic gates as the smallest data sets there are: the four corners of the unit square.

A two-input gate maps each corner ``(a, b)`` with ``a, b`` in {0, 1} to one bit::

    a b | and or xor nand nor xnor
    0 0 |  0   0  0   1    1   1
    0 1 |  0   1  1   1    0   0
    1 0 |  0   1  1   1    0   0
    1 1 |  1   1  0   0    0   1

Arrays come back the way Chainer wants them: inputs float32 of shape ``(N, 2)`` (the dtype of
``L.Linear``'s parameters) and class labels int32 of shape ``(N,)`` (Chainer's convention for
labels, what ``F.softmax_cross_entropy`` and ``F.accuracy`` read)::

    from mlkit.data.logic import truth_table, noisy_samples
    x, t = truth_table("xor")                      # (4, 2) float32, (4,) int32
    x, t = noisy_samples("xor", 200, noise=0.1)    # corners blurred by Gaussian noise
"""
import numpy

CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))

# The gate's output bit for each corner, in the order of CORNERS.
GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xnor": (1, 0, 0, 1),
}


def _outputs(gate):
    name = str(gate).strip().lower()
    if name not in GATES:
        raise ValueError(f"unknown gate {gate!r}; choose one of {', '.join(GATES)}")
    return GATES[name]


def truth_table(gate):
    """The gate's four rows: inputs ``x`` float32 (4, 2) in the order of :data:`CORNERS`,
    labels ``t`` int32 (4,)."""
    x = numpy.array(CORNERS, dtype=numpy.float32)
    t = numpy.array(_outputs(gate), dtype=numpy.int32)
    return x, t


def noisy_samples(gate, n, noise=0.1, seed=0):
    """``n`` points near the corners, labelled by the gate: ``x = corner + noise * eps``.

    The corners are used in turn (so every corner gets ``n // 4`` or one more points),
    ``eps ~ N(0, I)``, and the rows are shuffled. Returns ``x`` float32 (n, 2) and ``t`` int32
    (n,); the same ``seed`` gives the same numbers.
    """
    if n < 0:
        raise ValueError(f"n must be at least 0, got {n}")
    x_corners, t_corners = truth_table(gate)
    random = numpy.random.default_rng(seed)
    which = random.permutation(numpy.arange(n) % len(CORNERS))
    x = x_corners[which] + noise * random.standard_normal((n, 2))
    return x.astype(numpy.float32), t_corners[which]


__all__ = ["CORNERS", "GATES", "noisy_samples", "truth_table"]
