"""Train the small x2 SRResNet that ships with mlkit (``mlkit upscale``'s default model).

    nice -n 10 .venv/bin/python bench/train_upscaler.py

writes ``mlkit/models/weights/srresnet_x2.npz`` atomically (the format of
:mod:`mlkit.models.weights`) and prints its sha256 (copy it into
``mlkit.models.weights.SHIPPED``) and the mean PSNR on the held-out photos.

Recipe: :class:`mlkit.models.srgan.Generator` (x2, 4 blocks of 32 channels, 9x9 head, 3x3
output convolution, sub-pixel upsampling, ``image_skip``: it learns a correction to the blocky
upscaling) trained for 1,200 minibatches of 16 crops (24 x 24 -> 48 x 48) with the pixel
MSE only -- the paper's "SRResNet" stage, before any adversarial training -- on random aligned
crops of :data:`mlkit.data.photos.TRAIN_PHOTOS` (bicubic-downscaled, flips and rotations), Adam
with a learning rate that shrinks 10-fold over the run. Everything random is seeded, and
OpenBLAS is kept to one thread (on a shared 2-core machine two threads were no faster, and a
fixed thread count keeps the floating-point sums, hence the file, the same from run to run).
"""
import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads OpenBLAS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlkit  # noqa: E402  (before chainer: compatibility shims)
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import numpy  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from mlkit.data.photos import load_photos, pairs, random_crops  # noqa: E402
from mlkit.metrics.super_resolution import psnr, upscale_bicubic  # noqa: E402
from mlkit.models import weights  # noqa: E402
from mlkit.models.srgan import Generator  # noqa: E402
from mlkit.training import predict  # noqa: E402


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "mlkit/models/weights/srresnet_x2.npz"))
    parser.add_argument("--iterations", type=int, default=1200)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--head-ksize", type=int, default=9)
    parser.add_argument("--out-ksize", type=int, default=3)
    parser.add_argument("--no-image-skip", action="store_true",
                        help="the paper's generator, without the added upscaled input")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=24, help="low-resolution crop size")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's initial alpha")
    parser.add_argument("--decay", type=float, default=0.1,
                        help="final alpha / initial alpha (exponential schedule)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=2)
    return parser.parse_args(argv)


def evaluate(model, photo_pairs, scale):
    """Mean Y-PSNR (border = scale) of the model and of bicubic on whole photos."""
    ours, bicubic = [], []
    for lr, hr in photo_pairs:
        ours.append(psnr(predict(model, lr[None])[0], hr, border=scale))
        bicubic.append(psnr(upscale_bicubic(lr, scale), hr, border=scale))
    return float(numpy.mean(ours)), float(numpy.mean(bicubic))


def main(argv=None):
    args = arguments(argv)
    mlkit.seed(args.seed)
    model = Generator(scale=args.scale, n_blocks=args.blocks, channels=args.channels,
                      head_ksize=args.head_ksize, out_ksize=args.out_ksize,
                      image_skip=not args.no_image_skip)
    device = mlkit.get_device()
    model.to_device(device)
    optimizer = chainer.optimizers.Adam(alpha=args.lr)
    optimizer.setup(model)
    prepared = pairs(load_photos("train"), args.scale)
    rng = numpy.random.RandomState(args.seed)
    gamma = args.decay ** (1 / max(args.iterations, 1))
    started = time.time()
    bar = tqdm(range(args.iterations), desc="training SRResNet", mininterval=5)
    recent = []   # the last 50 losses: an average over the run would be ruled by the start
    for _ in bar:
        lr, hr = random_crops(None, args.batch, args.patch, args.scale, seed=rng,
                              prepared=prepared)
        loss = F.mean_squared_error(model(device.send(lr)), device.send(hr))
        model.cleargrads()
        loss.backward()
        optimizer.update()
        optimizer.alpha *= gamma
        recent = recent[-49:] + [float(loss.array)]
        bar.set_postfix(train_psnr=f"{10 * numpy.log10(1 / numpy.mean(recent)):.2f}")
    seconds = time.time() - started
    model.to_device("@numpy")
    held_out = pairs(load_photos("eval"), args.scale)
    ours, bicubic = evaluate(model, held_out, args.scale)
    info = dict(iterations=args.iterations,
                batch=args.batch, patch=args.patch, lr=args.lr, decay=args.decay,
                seed=args.seed, eval_psnr=ours, eval_psnr_bicubic=bicubic)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    digest = weights.save(model, args.out, **info)
    print(f"trained in {seconds:.0f} s; held-out mean Y-PSNR {ours:.3f} dB vs bicubic "
          f"{bicubic:.3f} dB ({ours - bicubic:+.3f} dB)")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")
    print(f"sha256 {digest}")


if __name__ == "__main__":
    main()
