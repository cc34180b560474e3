"""How good is the shipped upscaler: Y-PSNR / SSIM of nearest, bicubic and the model on the
held-out photos (:data:`mlkit.data.photos.EVAL_PHOTOS`), one row per photo plus the mean.

    nice -n 10 .venv/bin/python bench/sr_quality.py [--model FILE] [--scale 2]

Protocol (the SR papers'): each photo is cropped to a multiple of the scale, downscaled with
the anti-aliased bicubic filter of :func:`mlkit.data.photos.downscale`, upscaled back by each
method, and compared with the original on the BT.601 luma, ``scale`` border pixels removed.
Prints a Markdown table (paste it into bench/RESULTS.md).
"""
import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads OpenBLAS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlkit  # noqa: E402,F401  (before chainer: compatibility shims)
import numpy  # noqa: E402

from mlkit.data.photos import EVAL_PHOTOS, load_photo, pairs  # noqa: E402
from mlkit.metrics.super_resolution import (psnr, ssim, upscale_bicubic,  # noqa: E402
                                             upscale_nearest)
from mlkit.models import srgan, weights  # noqa: E402
from mlkit.upscale import upscale  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a generator file (default: the shipped one)")
    parser.add_argument("--scale", type=int, default=None,
                        help="default: the model's; 4 with an x2 model applies it twice")
    args = parser.parse_args(argv)
    model = (weights.load(args.model, kind=srgan.Generator) if args.model
             else srgan.shipped_generator())
    scale = args.scale or model.scale
    mlkit.to_device(model)
    methods = ("nearest", "bicubic", "model")
    scores = {m: [] for m in methods}
    print(f"model {model.weights_info['path']} {model.config}, x{scale}, "
          f"device {mlkit.device_name()}")
    print("\n| photo | size (HR) | nearest PSNR / SSIM | bicubic PSNR / SSIM | "
          "model PSNR / SSIM | model - bicubic |")
    print("|---|---|---|---|---|---|")
    started = time.time()
    for name in EVAL_PHOTOS:
        (lr, hr), = pairs([load_photo(name)], scale)
        outputs = dict(nearest=upscale_nearest(lr, scale), bicubic=upscale_bicubic(lr, scale),
                       model=upscale(model, lr, scale, progress=False))
        row = []
        for method in methods:
            value = (psnr(outputs[method], hr, border=scale),
                     ssim(outputs[method], hr, border=scale))
            scores[method].append(value)
            row.append(f"{value[0]:.2f} dB / {value[1]:.4f}")
        gain = scores["model"][-1][0] - scores["bicubic"][-1][0]
        print(f"| {name} | {hr.shape[2]} x {hr.shape[1]} | " + " | ".join(row)
              + f" | {gain:+.2f} dB |")
    means = {m: numpy.mean(scores[m], axis=0) for m in methods}
    print("| **mean** | | " + " | ".join(f"**{means[m][0]:.2f} dB / {means[m][1]:.4f}**"
                                         for m in methods)
          + f" | **{means['model'][0] - means['bicubic'][0]:+.2f} dB** |")
    print(f"\n{len(EVAL_PHOTOS)} photos in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
