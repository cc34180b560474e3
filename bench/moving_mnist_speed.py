"""How fast and how lean is the Moving MNIST generator, against Python loops doing the same?

    nice -n 10 .venv/bin/python bench/moving_mnist_speed.py            # 10,000 sequences

Measures, for the standard settings (20 frames, 2 digits of 28x28 on 64x64, step 3.6 px):

1. ``MovingMnist.generate`` (vectorized, chunks of 256 sequences): wall time for 10,000
   sequences, best of ``--repeats``; peak traced memory (tracemalloc, which sees NumPy's
   buffers) minus the uint8 output itself; and ``MovingMnist.save`` streaming to a file.
2. Baseline "loop": the straightforward per-sequence, per-frame Python loop: scalar physics,
   each digit pasted with a slice ``maximum`` into the same uint8 (T, N, H, W) output.
3. Baseline "classic": the structure of the widely copied script: per sequence, trajectories in
   units of the free range, each frame built from full-size float32 canvases (one per digit,
   combined with ``maximum``), output float32 with a channel axis, as that script returns.
4. The floor: filling a fresh uint8 array of the output's size (the page faults and memory
   writes that any generator of this output pays).

Baselines run on fewer sequences (``--loop-sequences``, ``--classic-sequences``) and are scaled
linearly to 10,000 (their cost per sequence is constant); the output says so.
Also prints summary statistics of the default data (mean intensity, fraction of non-zero pixels,
mean displacement per frame) to compare with the public ``mnist_test_seq.npy`` where it is
available.
"""
import argparse
import math
import os
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import mlkit  # noqa: E402,F401  (before chainer)
import numpy as np  # noqa: E402

from mlkit.data import MovingMnist, load_mnist  # noqa: E402

FRAMES, DIGITS, SIZE, DIGIT = 20, 2, 64, 28


def loop_baseline(images, n_sequences, seed=0, step=3.6):
    """Per sequence, per digit, per frame: Python floats for the physics, a slice maximum for
    the picture. Same physics and output as MovingMnist (other random numbers)."""
    rng = random.Random(seed)
    free = SIZE - DIGIT
    out = np.zeros((FRAMES, n_sequences, SIZE, SIZE), np.uint8)
    for s in range(n_sequences):
        for _ in range(DIGITS):
            image = images[rng.randrange(len(images))]
            y, x = rng.uniform(0, free), rng.uniform(0, free)
            theta = rng.uniform(0, 2 * math.pi)
            vy, vx = step * math.sin(theta), step * math.cos(theta)
            for t in range(FRAMES):
                top, left = round(y), round(x)
                window = out[t, s, top:top + DIGIT, left:left + DIGIT]
                np.maximum(window, image, out=window)
                y, x = y + vy, x + vx
                if y < 0:
                    y, vy = 0.0, abs(vy)
                elif y > free:
                    y, vy = float(free), -abs(vy)
                if x < 0:
                    x, vx = 0.0, abs(vx)
                elif x > free:
                    x, vx = float(free), -abs(vx)
    return out


def classic_baseline(images, n_sequences, seed=0, step=0.1):
    """The widely copied script's structure: positions in [0, 1] units of the free range,
    per frame one full float32 canvas per digit, combined with maximum; float32 output with a
    channel axis, (N, T, 1, H, W) as that script returns it."""
    rng = np.random.RandomState(seed)
    free = SIZE - DIGIT
    out = np.zeros((n_sequences, FRAMES, 1, SIZE, SIZE), np.float32)
    for s in range(n_sequences):
        tracks = []
        for _ in range(DIGITS):
            y, x = rng.rand(), rng.rand()
            theta = rng.rand() * 2 * np.pi
            vy, vx = np.sin(theta), np.cos(theta)
            track = []
            for _ in range(FRAMES):
                y, x = y + vy * step, x + vx * step
                if y <= 0:
                    y, vy = 0.0, -vy
                if y >= 1:
                    y, vy = 1.0, -vy
                if x <= 0:
                    x, vx = 0.0, -vx
                if x >= 1:
                    x, vx = 1.0, -vx
                track.append((int(y * free), int(x * free)))
            tracks.append((images[rng.randint(len(images))].astype(np.float32) / 255, track))
        for t in range(FRAMES):
            frame = np.zeros((SIZE, SIZE), np.float32)
            for image, track in tracks:
                layer = np.zeros((SIZE, SIZE), np.float32)
                top, left = track[t]
                layer[top:top + DIGIT, left:left + DIGIT] = image
                frame = np.maximum(frame, layer)
            out[s, t, 0] = frame
    return out


def timed(function, *args, repeats=1, **kwargs):
    """(best wall time in seconds, last result)."""
    best, result = math.inf, None
    for _ in range(repeats):
        result = None  # free the previous output before making the next
        started = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - started)
    return best, result


def traced_peak(function, *args, **kwargs):
    """(peak bytes traced while ``function`` ran, its result)."""
    tracemalloc.start()
    try:
        result = function(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def fill_floor(n_sequences):
    out = np.empty((FRAMES, n_sequences, SIZE, SIZE), np.uint8)
    out.fill(0)
    return out


def summary(generator, data, seed):
    motion = generator.motion(data.shape[1], seed)
    step = np.linalg.norm(np.diff(motion.positions, axis=0), axis=-1)
    pixel_step = np.linalg.norm(np.diff(motion.corners, axis=0), axis=-1)
    return {
        "mean intensity (0-1)": float(data.mean(dtype=np.float64) / 255),
        "fraction of non-zero pixels": float(np.count_nonzero(data) / data.size),
        "mean displacement per frame, px (exact)": float(step.mean()),
        "mean displacement per frame, px (pasted, rounded)": float(pixel_step.mean()),
        "frames with a bounce (either digit)": float(
            (step < generator.step_length - 1e-9).any(axis=-1).mean()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=10_000)
    parser.add_argument("--loop-sequences", type=int, default=10_000)
    parser.add_argument("--classic-sequences", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = args.sequences
    output_bytes = FRAMES * n * SIZE * SIZE

    mn = load_mnist()
    generator = MovingMnist(mn.train_images)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}; digits: MNIST train "
          f"({mn.source}, {len(mn.train_images):,} images)")
    print(f"settings: {generator}, {n:,} sequences, seed {args.seed}")

    rows = []
    seconds, data = timed(generator.generate, n, args.seed, repeats=args.repeats)
    rows.append(("MovingMnist.generate (vectorized)", n, seconds, seconds))
    statistics = summary(generator, data, args.seed)
    data = None
    peak, _ = traced_peak(generator.generate, n, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "moving.npy"
        save_seconds, _ = timed(generator.save, path, n, args.seed)
        save_peak, _ = traced_peak(generator.save, path, n, args.seed)
        file_bytes = path.stat().st_size
    rows.append(("MovingMnist.save (streamed to a .npy file)", n, save_seconds, save_seconds))

    floor_seconds, _ = timed(fill_floor, n, repeats=args.repeats)
    rows.append(("floor: fill a fresh uint8 array of the output size", n, floor_seconds,
                 floor_seconds))
    loop_n = min(args.loop_sequences, n)
    loop_seconds, _ = timed(loop_baseline, mn.train_images, loop_n, args.seed)
    rows.append(("baseline loop (uint8, slice maximum)", loop_n, loop_seconds,
                 loop_seconds * n / loop_n))
    classic_n = min(args.classic_sequences, n)
    classic_seconds, _ = timed(classic_baseline, mn.train_images, classic_n, args.seed)
    rows.append(("baseline classic (full float32 canvases)", classic_n, classic_seconds,
                 classic_seconds * n / classic_n))

    vectorized = rows[0][3]
    print(f"\n| what | sequences timed | wall time | for {n:,} | vectorized is faster by |")
    print("|---|---|---|---|---|")
    for name, count, measured, scaled in rows:
        speedup = "-" if name.startswith(("MovingMnist", "floor")) else f"{scaled / vectorized:.1f}x"
        note = "" if count == n else " (scaled)"
        print(f"| {name} | {count:,} | {measured:.2f} s | {scaled:.2f} s{note} | {speedup} |")
    print(f"\nthroughput of MovingMnist.generate: {n / vectorized:,.0f} sequences/s "
          f"({os.cpu_count()} threads)")
    loop_scaled = rows[3][3]
    print(f"ceiling: filling the output alone is {loop_scaled / floor_seconds:.1f}x faster than "
          "the loop baseline, so no generator that writes this uint8 output can beat the loop "
          "by more on this machine")
    print(f"peak traced memory of generate: {peak / 1e6:.1f} MB = output {output_bytes / 1e6:.1f} "
          f"MB + {(peak - output_bytes) / 1e6:.1f} MB")
    print(f"peak traced memory of save: {save_peak / 1e6:.1f} MB for a {file_bytes / 1e6:.1f} "
          "MB file")
    print("\nsummary statistics of the default data:")
    for name, value in statistics.items():
        print(f"- {name}: {value:.4f}")


if __name__ == "__main__":
    main()
