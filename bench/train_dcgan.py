"""Train the small DCGAN and its vectorizer that ship with mlkit, with the course's own code.

    nice -n 10 .venv/bin/python bench/train_dcgan.py --out mlkit/models/weights

writes ``dcgan_generator.npz`` and ``dcgan_vectorizer.npz`` into ``--out`` (atomically) and
prints their SHA-256 (copy them into ``mlkit.models.weights.SHIPPED`` when shipping new files).
Everything is seeded: the same command on the same software gives the same weights (the npz
files carry no time stamps); a different BLAS or thread count may change the last bits.

The recipe: the offline MNIST subset (4,000 training images, [-1, 1]), generator and
discriminator of width 32 and a 100-number code, Adam 2e-4 / beta1 0.5 for both, minibatches
of 64, one D step then one G step per iteration (:class:`mlkit.training.gan.GANUpdater`);
then the vectorizer (width 32) on fresh codes with shifts of up to 2 pixels and zooms of
0.9-1.1 (:class:`mlkit.training.gan.VectorizerUpdater`), Adam 1e-3.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# OpenBLAS's threads fight over a shared 2-core machine: one thread was ~4x faster per step here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import mlkit  # noqa: E402  (before chainer)
import chainer  # noqa: E402
from chainer.training import extensions  # noqa: E402

from mlkit.data import load_mnist  # noqa: E402
from mlkit.models import weights  # noqa: E402
from mlkit.models.dcgan import Discriminator, Generator, to_gan_range  # noqa: E402
from mlkit.models.vectorizer import Vectorizer  # noqa: E402
from mlkit.training.gan import GANUpdater, LatentIterator, VectorizerUpdater, adam  # noqa: E402


def train_gan(x, *, n_latent, width, iterations, batch_size, seed, out, log_every=200):
    """The generator and discriminator after ``iterations`` steps on images ``x`` in [-1, 1]."""
    mlkit.seed(seed)
    gen, dis = Generator(n_latent, width), Discriminator(width)
    iterator = chainer.iterators.SerialIterator(list(x), batch_size, shuffle=True)
    updater = GANUpdater(iterator, adam(gen), adam(dis), seed=seed)
    trainer = chainer.training.Trainer(updater, (iterations, "iteration"), out=out)
    trainer.extend(extensions.LogReport(trigger=(log_every, "iteration")))
    trainer.extend(extensions.PrintReport(["iteration", "epoch", "gen/loss", "dis/loss",
                                           "dis/real", "dis/fake", "elapsed_time"]))
    trainer.run()
    return gen, dis


def train_vectorizer(gen, *, width, iterations, batch_size, seed, out, lr, log_every=200):
    """A vectorizer for ``gen`` after ``iterations`` steps on fresh codes."""
    mlkit.seed(seed)
    vec = Vectorizer(gen.n_latent, width)
    iterator = LatentIterator(batch_size, gen.n_latent, seed=seed)
    updater = VectorizerUpdater(iterator, adam(vec, alpha=lr, beta1=0.9), gen, seed=seed)
    trainer = chainer.training.Trainer(updater, (iterations, "iteration"), out=out)
    trainer.extend(extensions.LogReport(trigger=(log_every, "iteration")))
    trainer.extend(extensions.PrintReport(["iteration", "vec/loss", "elapsed_time"]))
    trainer.run()
    return vec


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for the two npz files")
    parser.add_argument("--source", default="offline", choices=("offline", "full", "auto"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-latent", type=int, default=100)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--gan-iterations", type=int, default=3000)
    parser.add_argument("--vec-iterations", type=int, default=2000)
    parser.add_argument("--vec-lr", type=float, default=1e-3)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    mnist = load_mnist(args.source)
    x, _ = mnist.as_chainer("train")
    x = to_gan_range(x)
    print(f"training the DCGAN on {len(x):,} {mnist.source} MNIST images", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlkit-dcgan-") as scratch:
        gen, _ = train_gan(x, n_latent=args.n_latent, width=args.width,
                           iterations=args.gan_iterations, batch_size=args.batch,
                           seed=args.seed, out=scratch)
        gan_seconds = time.perf_counter() - started
        print(f"DCGAN: {gan_seconds:.0f} s", flush=True)
        vec = train_vectorizer(gen, width=args.width, iterations=args.vec_iterations,
                               batch_size=args.batch, seed=args.seed + 1, out=scratch,
                               lr=args.vec_lr)
    total = time.perf_counter() - started
    print(f"vectorizer: {total - gan_seconds:.0f} s; total {total:.0f} s", flush=True)

    # The settings, not the command line: where the files were written must not change them.
    recipe = " ".join(f"--{key.replace('_', '-')} {value}"
                      for key, value in sorted(vars(args).items()) if key != "out")
    common = dict(seed=args.seed, source=mnist.source, n_train=len(x), batch=args.batch,
                  recipe=recipe)   # the sizes are the models' own config, stored by save
    out = Path(args.out)
    for name, model, info in (
            ("dcgan_generator.npz", gen, dict(common, iterations=args.gan_iterations)),
            ("dcgan_vectorizer.npz", vec, dict(common, iterations=args.vec_iterations,
                                               lr=args.vec_lr))):
        digest = weights.save(model, out / name, **info)
        print(f"{out / name}  sha256 {digest}  {(out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
