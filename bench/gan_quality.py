"""How good are the shipped DCGAN generator and vectorizer (or those of another training run).

    nice -n 10 .venv/bin/python bench/gan_quality.py                    # the shipped models
    nice -n 10 .venv/bin/python bench/gan_quality.py --weights DIR      # bench/train_dcgan.py --out DIR

Every number is computed with the course's reference MNIST CNN (mlkit.models.reference; the
cpu recipe: 4,000 offline training images, 8 epochs, seed 0; trained on first use, then cached),
on the 1,000 held-out images of the offline test split, which neither the GAN nor the CNN saw:

- Frechet distance (on the CNN's 128 features) of 500 generated digits vs 500 test digits
  (``real_b``); the floor: 500 other test digits (``real_a``) vs the same 500. For scale, an
  untrained generator of the same size and uniform noise images, against the same 500.
- the share of generated digits the CNN labels with probability >= 0.9 (and of real ones),
  and the class histogram of the generated digits (mode collapse shows as a skewed one).
- the vectorizer on all 1,000 test digits x: reconstructions G(V(x)); the per-pixel MSE in
  [0, 1] (for scale: the MSE between each test digit and the mean training digit); the share
  of reconstructions the CNN gives the true label (and its accuracy on the originals); and the
  code error ||V(G(z)) - z||^2 / n_latent on fresh codes.
"""
import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see bench/train_dcgan.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import mlkit  # noqa: E402  (before chainer)
import numpy as np  # noqa: E402

from mlkit.data import load_mnist  # noqa: E402
from mlkit.metrics import gan as metrics  # noqa: E402
from mlkit.models import dcgan  # noqa: E402
from mlkit.models.reference import reference_cnn  # noqa: E402


def measure(weights=None, n=500, seed=0):
    """All the numbers, as a dict."""
    gen, vec = dcgan.pretrained(weights)
    cnn = reference_cnn(source="offline", n_train=4000, epochs=8, seed=0)
    mnist = load_mnist("offline", quiet=True)
    x_test, t_test = mnist.as_chainer("test")
    order = np.random.default_rng(seed).permutation(len(x_test))
    real_a, real_b = x_test[order[:n]], x_test[order[n:2 * n]]

    fake = gen.sample(n, seed=seed)
    mlkit.seed(seed)
    untrained = dcgan.Generator(gen.n_latent, gen.width).sample(n, seed=seed)
    noise = np.random.default_rng(seed).random((n, 1, 28, 28)).astype(np.float32)
    fd = {name: metrics.frechet_distance_images(images, real_b, cnn) for name, images in
          (("generated", fake), ("real_floor", real_a), ("untrained", untrained),
           ("noise", noise))}

    fake_p = metrics.class_probabilities(fake, cnn)
    real_p = metrics.class_probabilities(real_b, cnn)

    z = vec.encode(x_test)
    again = gen.sample(len(z), z=z)
    mean_digit = mnist.as_chainer("train")[0].mean(axis=0, keepdims=True)
    original_labels = metrics.class_probabilities(x_test, cnn).argmax(axis=1)
    again_labels = metrics.class_probabilities(again, cnn).argmax(axis=1)
    z_fresh = gen.sample_z(1000, seed=seed + 1)
    z_hat = vec.encode(gen.sample(len(z_fresh), z=z_fresh))
    return dict(
        cnn_test_accuracy=cnn.reference_info["test_accuracy"],
        gen_info=gen.weights_info, vec_info=vec.weights_info, n=n, frechet=fd,
        confident_generated=metrics.confident_share(fake_p, 0.9),
        confident_real=metrics.confident_share(real_p, 0.9),
        histogram_generated=metrics.class_histogram(fake_p),
        histogram_real=metrics.class_histogram(real_p),
        reconstruction_mse=float(((again - x_test) ** 2).mean()),
        mean_digit_mse=float(((mean_digit - x_test) ** 2).mean()),
        kept_true_label=float((again_labels == t_test).mean()),
        kept_own_label=float((again_labels == original_labels).mean()),
        cnn_accuracy_originals=float((original_labels == t_test).mean()),
        code_mse=float(((z_hat - z_fresh) ** 2).mean()),
        samples=fake, originals=x_test, reconstructions=again)


def report(r):
    hist = lambda h: " ".join(f"{v:.2f}" for v in h)   # noqa: E731
    fd = r["frechet"]
    return "\n".join([
        f"generator: {r['gen_info']['recipe']}",
        f"reference CNN test accuracy (offline test split): {r['cnn_test_accuracy']:.3f}",
        f"Frechet distance vs {r['n']} held-out test digits (reference-CNN features):",
        f"  generated {fd['generated']:.2f} | real-vs-real floor {fd['real_floor']:.2f} | "
        f"untrained generator {fd['untrained']:.2f} | uniform noise {fd['noise']:.2f}",
        f"confidently labelled (max softmax >= 0.9): generated {r['confident_generated']:.3f}, "
        f"real {r['confident_real']:.3f}",
        f"class histogram, generated (0-9): {hist(r['histogram_generated'])}",
        f"class histogram, real      (0-9): {hist(r['histogram_real'])}",
        f"vectorizer on 1,000 test digits: reconstruction MSE {r['reconstruction_mse']:.4f} "
        f"per pixel in [0, 1] (mean training digit: {r['mean_digit_mse']:.4f})",
        f"  reconstructions with the true label {r['kept_true_label']:.3f} (CNN on the "
        f"originals {r['cnn_accuracy_originals']:.3f}); same label as the original "
        f"{r['kept_own_label']:.3f}",
        f"  code error on fresh codes ||V(G(z)) - z||^2 / n_latent: {r['code_mse']:.3f} "
        f"(1.0 for always answering z = 0)",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", help="folder with the two npz files (default: shipped)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", help="save a PNG of samples and reconstructions here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    r = measure(args.weights, seed=args.seed)
    print(report(r))
    print(f"wall time {time.perf_counter() - started:.0f} s")
    if args.grid:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        rows = [r["samples"][:16], r["originals"][:16], r["reconstructions"][:16]]
        fig, axes = plt.subplots(3, 16, figsize=(16, 3.3))
        for row, images, title in zip(axes, rows, ("samples", "test digits", "G(V(x))")):
            row[0].set_title(title, fontsize=8, loc="left")
            for ax, image in zip(row, images):
                ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
                ax.axis("off")
        fig.savefig(args.grid, dpi=80, bbox_inches="tight")
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    main()
