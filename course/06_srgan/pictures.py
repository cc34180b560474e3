"""Make the README's Lesson 6 picture: details of the held-out photos upscaled x2 by nearest,
bicubic and the shipped SRResNet, next to the original, each with its Y-PSNR on the whole photo
and a zoomed inset.

    .venv/bin/python course/06_srgan/pictures.py [--out docs/img/lesson6.png]

It uses the shipped model (``mlkit.models.srgan.shipped_generator``), so it needs no training
and runs in well under a minute on a CPU. The protocol is the lesson's (Y channel, border = 2).
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import mlkit  # noqa: E402  (before chainer)
import numpy as np  # noqa: E402

from mlkit.data.photos import load_photo, pairs  # noqa: E402
from mlkit.metrics.super_resolution import psnr, upscale_bicubic, upscale_nearest  # noqa: E402
from mlkit.models.srgan import shipped_generator  # noqa: E402
from mlkit.upscale import upscale  # noqa: E402

SCALE = 2
DETAILS = {"astronaut": (90, 190), "chelsea": (110, 110)}   # top-left corner of each 96 x 96 crop
BOX, ZOOM = 96, 24


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "lesson6.png"))
    args = parser.parse_args(argv)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    model = shipped_generator()
    fig, axes = plt.subplots(len(DETAILS), 4, figsize=(8.4, 4.4))
    for row, (name, (y, x)) in enumerate(DETAILS.items()):
        (lr, hr), = pairs([load_photo(name)], SCALE)
        images = {"original": hr, "nearest": upscale_nearest(lr, SCALE),
                  "bicubic": upscale_bicubic(lr, SCALE),
                  "SRResNet (shipped)": upscale(model, lr, SCALE, progress=False)}
        for col, (title, image) in enumerate(images.items()):
            ax = axes[row, col]
            crop = np.clip(image[:, y:y + BOX, x:x + BOX], 0, 1).transpose(1, 2, 0)
            ax.imshow(crop, interpolation="nearest")
            z = (BOX - ZOOM) // 2
            ax.add_patch(Rectangle((z - .5, z - .5), ZOOM, ZOOM, fill=False, color="yellow", lw=1))
            inset = ax.inset_axes([0.55, 0.0, 0.45, 0.45])
            inset.imshow(crop[z:z + ZOOM, z:z + ZOOM], interpolation="nearest")
            inset.set_xticks([])
            inset.set_yticks([])
            for spine in inset.spines.values():
                spine.set_color("yellow")
            score = "" if col == 0 else f" {psnr(image, hr, border=SCALE):.2f} dB"
            ax.set_title(f"{title}{score}", fontsize=8)
            ax.set_axis_off()
    fig.suptitle("x2 super-resolution of held-out photos (Y-PSNR of the whole photo)",
                 fontsize=9)
    plt.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e3:.0f} KB)")


if __name__ == "__main__":
    main()
