"""Metrics, one family per file: ``classification`` (accuracy, confusion matrix), and the
families that later lessons add (video prediction, super-resolution, GAN quality)."""
from mlkit.metrics.classification import accuracy, confusion_matrix
from mlkit.metrics.gan import (class_histogram, class_probabilities, confident_share,
                               frechet_distance, frechet_distance_images, gan_quality,
                               real_floor)
from mlkit.metrics.super_resolution import psnr, rgb_to_y, ssim
from mlkit.metrics.video import frame_mae, frame_mse, frame_ssim, per_step, video_metrics

__all__ = ["accuracy", "confusion_matrix"]
__all__ += ["class_histogram", "class_probabilities", "confident_share", "frechet_distance",
            "frechet_distance_images", "gan_quality", "real_floor"]
__all__ += ["frame_mae", "frame_mse", "frame_ssim", "per_step", "video_metrics"]
__all__ += ["psnr", "rgb_to_y", "ssim"]
