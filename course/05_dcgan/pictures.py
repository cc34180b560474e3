"""Make the README's Lesson 5 picture and GIF: morphs between real test digits, drawn by the
generator and vectorizer that ship with the course (the pair Lesson 5 uses in ``cpu`` mode).

    .venv/bin/python course/05_dcgan/pictures.py

Writes docs/img/lesson5.png (for three pairs of real digits: the first digit, G of the codes
on the slerp arc between their vectorizer codes, the second digit; and the straight-line lerp
for the first pair) and docs/img/lesson5.gif (the three slerp morphs, back and forth, side by
side). Each must stay under 300 KB. Takes a few seconds; needs no training.
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))   # run from a checkout

import mlkit  # noqa: E402,F401  (before chainer)
import numpy as np  # noqa: E402

from mlkit.data import load_mnist  # noqa: E402
from mlkit.models import dcgan  # noqa: E402
from mlkit.plots import save_gif  # noqa: E402
from mlkit.training.gan import lerp, slerp  # noqa: E402

OUT = REPO / "docs" / "img"
LIMIT = 300_000
PAIRS = ((2, 7), (0, 6), (4, 9))     # digit classes; the first test digit of each is used
STEPS = 9


def first_of(labels, digit):
    return int(np.flatnonzero(labels == digit)[0])


def main():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gen, vec = dcgan.pretrained()
    x, t = load_mnist("offline", quiet=True).as_chainer("test")
    pairs = [(first_of(t, a), first_of(t, b)) for a, b in PAIRS]
    codes = vec.encode(x)
    draw = lambda z: gen.sample(len(z), z=np.asarray(z, np.float32))  # noqa: E731

    rows = [("slerp", i, j, slerp(codes[i], codes[j], STEPS)) for i, j in pairs]
    rows.append(("lerp", *pairs[0], lerp(codes[pairs[0][0]], codes[pairs[0][1]], STEPS)))
    fig, axes = plt.subplots(len(rows), STEPS + 2, figsize=(7.2, 0.72 * len(rows) + 0.3))
    for row, (name, i, j, path) in zip(axes, rows):
        images = [x[i]] + list(draw(path)) + [x[j]]
        for col, (ax, image) in enumerate(zip(row, images)):
            ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            edge = "tab:orange" if col in (0, len(images) - 1) else "none"
            for spine in ax.spines.values():
                spine.set_color(edge)
                spine.set_linewidth(1.5)
        row[0].set_ylabel(name, fontsize=7)
    fig.suptitle("real digit (orange) -> G(codes between their vectorizer codes) -> real digit",
                 fontsize=7)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.01, top=0.9, wspace=0.05, hspace=0.08)
    png = OUT / "lesson5.png"
    fig.savefig(png, dpi=100)

    there_and_back = np.concatenate([np.linspace(0, 1, 16), np.linspace(1, 0, 16)])
    videos = [draw(slerp(codes[i], codes[j], there_and_back)) for i, j in pairs]
    gif = save_gif(OUT / "lesson5.gif", videos, fps=10, scale=3)
    for path in (png, gif):
        size = Path(path).stat().st_size
        print(f"{path}: {size / 1e3:.0f} kB")
        if size > LIMIT:
            raise SystemExit(f"{path} is over {LIMIT / 1e3:.0f} kB")
    print(f"generator: {gen.weights_info['recipe']}")


if __name__ == "__main__":
    main()
