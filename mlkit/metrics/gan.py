"""How good are generated digits: the Frechet distance to real digits, and what the course's
reference classifier makes of them.

Frechet distance. Fit a Gaussian to each set's feature vectors (mean mu, covariance S); the
Frechet (2-Wasserstein) distance between the two Gaussians is

    d^2 = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

It is 0 for identical sets, symmetric, and grows both when the generated images look unlike
real ones (the means move apart) and when they lack variety (the covariances differ). With the
features of an ImageNet network it is the well-known FID; here the features are the
penultimate layer of the course's reference MNIST CNN (:mod:`mlkit.models.reference`, 128
numbers), so the number is only comparable with numbers computed the same way. Two finite
samples of the *same* distribution do not give 0: always report the distance between two real
sets of the same sizes as the floor (:func:`real_floor`).

Classifier views. A good generator draws digits the classifier names with confidence
(:func:`confident_share`); mode collapse (drawing only a few kinds of digit) shows as a skewed
:func:`class_histogram`.

::

    from mlkit.models.reference import reference_cnn
    from mlkit.metrics import frechet_distance_images, confident_share, class_histogram
    cnn = reference_cnn()
    frechet_distance_images(fake, real, cnn)      # images (N, 1, 28, 28) in [0, 1]
"""
import warnings

import numpy
import scipy.linalg

from mlkit.device import to_numpy


def _features(values, what):
    values = numpy.asarray(to_numpy(values), numpy.float64)
    if values.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (samples, features), got shape "
                         f"{values.shape}")
    if len(values) < 2:
        raise ValueError(f"{what} needs at least 2 samples for a covariance, got {len(values)}")
    if not numpy.isfinite(values).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    return values


def gaussian_stats(features):
    """``(mean, covariance)`` of feature vectors (N, D), in float64 (covariance with N - 1)."""
    features = _features(features, "features")
    return features.mean(axis=0), numpy.cov(features, rowvar=False)


def frechet_distance_gaussians(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """The Frechet distance d^2 between N(mu1, sigma1) and N(mu2, sigma2) (see the module).

    (S_1 S_2)^(1/2) is computed with ``scipy.linalg.sqrtm``. Rounding makes it come back with
    tiny imaginary parts (S_1 S_2 is not symmetric) or fail for singular covariances (fewer
    samples than features); then ``eps`` is added to both diagonals and it is tried again.
    Imaginary parts are dropped only when they are negligible; a large one raises ValueError.
    The result is clipped at 0 (rounding can make a true 0 slightly negative).
    """
    mu1, mu2 = numpy.atleast_1d(mu1).astype(numpy.float64), numpy.atleast_1d(mu2).astype(
        numpy.float64)
    sigma1, sigma2 = numpy.atleast_2d(sigma1).astype(numpy.float64), numpy.atleast_2d(
        sigma2).astype(numpy.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(f"mismatched statistics: means {mu1.shape}, {mu2.shape}, covariances "
                         f"{sigma1.shape}, {sigma2.shape}")
    covmean = _sqrtm(sigma1 @ sigma2, strict=True)
    if covmean is None:
        offset = numpy.eye(len(sigma1)) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset), strict=False)
        if covmean is None:
            raise ValueError("the covariance product has no usable square root even after "
                             f"adding eps={eps} to the diagonals; use more samples")
    if numpy.iscomplexobj(covmean):
        largest = numpy.abs(covmean.imag).max()
        scale = max(numpy.abs(covmean.real).max(), 1e-12)
        if largest > 1e-3 * scale:
            raise ValueError(f"the matrix square root has an imaginary part of {largest:.3g} "
                             f"(real part up to {scale:.3g}): the covariances are not valid")
        covmean = covmean.real
    diff = mu1 - mu2
    value = diff @ diff + numpy.trace(sigma1) + numpy.trace(sigma2) - 2 * numpy.trace(covmean)
    return float(max(value, 0.0))


def _sqrtm(matrix, strict):
    """scipy's matrix square root, or None when it failed: non-finite entries, or (``strict``)
    SciPy's warning that the matrix is singular and the root may be inaccurate."""
    with warnings.catch_warnings():
        warnings.simplefilter("error" if strict else "ignore", scipy.linalg.LinAlgWarning)
        try:
            root = scipy.linalg.sqrtm(matrix)
        except scipy.linalg.LinAlgWarning:
            return None
    if isinstance(root, tuple):   # SciPy versions that return (root, error estimate)
        root = root[0]
    return root if numpy.isfinite(root).all() else None


def frechet_distance(features1, features2, eps=1e-6):
    """The Frechet distance between two sets of feature vectors (N1, D) and (N2, D)."""
    features1 = _features(features1, "features1")
    features2 = _features(features2, "features2")
    if features1.shape[1] != features2.shape[1]:
        raise ValueError(f"the two sets have {features1.shape[1]} and {features2.shape[1]} "
                         "features per sample")
    return frechet_distance_gaussians(*gaussian_stats(features1), *gaussian_stats(features2),
                                      eps=eps)


def _check_images(x, what):
    x = numpy.asarray(to_numpy(x), numpy.float32)
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"{what} must be images (N, 1, 28, 28), got shape {x.shape}")
    if x.size and (x.min() < -1e-3 or x.max() > 1 + 1e-3):
        raise ValueError(f"{what} must be in [0, 1] like MNIST as loaded (the classifier was "
                         f"trained so), got values in [{x.min():.3g}, {x.max():.3g}]; a "
                         "generator's [-1, 1] output becomes (x + 1) / 2")
    return x


def frechet_distance_images(images1, images2, classifier):
    """The Frechet distance between two sets of images (N, 1, 28, 28) in [0, 1], on the
    features of ``classifier`` (the reference CNN: :func:`mlkit.models.reference.embed`)."""
    from mlkit.models.reference import embed
    return frechet_distance(embed(classifier, _check_images(images1, "images1")),
                            embed(classifier, _check_images(images2, "images2")))


def real_floor(real_images, classifier, n=None, seed=0):
    """The floor of :func:`frechet_distance_images`: the distance between two disjoint random
    halves of ``real_images`` (``n`` images each; default half of them). Compare a generator
    with real images using the same ``n``."""
    real_images = _check_images(real_images, "real_images")
    n = len(real_images) // 2 if n is None else n
    if not 2 <= n <= len(real_images) // 2:
        raise ValueError(f"need 2 <= n <= {len(real_images) // 2} (half the images), got {n}")
    order = numpy.random.default_rng(seed).permutation(len(real_images))
    return frechet_distance_images(real_images[order[:n]], real_images[order[n:2 * n]],
                                   classifier)


def class_probabilities(images, classifier, batch_size=500):
    """The classifier's softmax probabilities (N, 10) for images in [0, 1], in test mode."""
    from mlkit.training.loops import predict
    scores = predict(classifier, _check_images(images, "images"), batch_size).astype(
        numpy.float64)
    scores -= scores.max(axis=1, keepdims=True)
    probabilities = numpy.exp(scores)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def confident_share(probabilities, threshold=0.9):
    """The share of samples whose top class probability is at least ``threshold``."""
    probabilities = numpy.asarray(to_numpy(probabilities))
    if probabilities.ndim != 2 or probabilities.shape[0] == 0:
        raise ValueError(f"probabilities must be (N, classes) with N >= 1, got shape "
                         f"{probabilities.shape}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    return float((probabilities.max(axis=1) >= threshold).mean())


def class_histogram(labels, n_classes=10):
    """The share of samples per class: float (n_classes,) summing to 1. ``labels`` are integer
    labels (N,), or probabilities / scores (N, n_classes), whose argmax is taken."""
    labels = numpy.asarray(to_numpy(labels))
    if labels.ndim == 2:
        if labels.shape[1] != n_classes:
            raise ValueError(f"got scores for {labels.shape[1]} classes, expected {n_classes}")
        labels = labels.argmax(axis=1)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    if not numpy.issubdtype(labels.dtype, numpy.integer):
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must be in 0..{n_classes - 1}, got {labels.min()}.."
                         f"{labels.max()}")
    return numpy.bincount(labels, minlength=n_classes) / len(labels)


def gan_quality(fake_images, real_images, classifier, threshold=0.9):
    """The usual report on generated images (N, 1, 28, 28) in [0, 1] against held-out real ones,
    as a dict: ``frechet`` (fake vs real), ``confident_share``, ``histogram`` (N classes),
    ``real_confident_share`` (the same classifier on the real images, for comparison)."""
    fake_p = class_probabilities(fake_images, classifier)
    real_p = class_probabilities(real_images, classifier)
    return dict(frechet=frechet_distance_images(fake_images, real_images, classifier),
                confident_share=confident_share(fake_p, threshold),
                histogram=class_histogram(fake_p, fake_p.shape[1]),
                real_confident_share=confident_share(real_p, threshold))
