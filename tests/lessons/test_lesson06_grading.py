"""Lesson 6's grader on the notebooks a learner really hands in.

* the solution scores full marks; the untouched learner notebook scores 0, with a "not done yet"
  hint for every exercise;
* solutions carrying the typical mistakes of the lesson (a PSNR with a fixed peak of 255 or 1,
  20 log10 of the MSE, uint8 images subtracted without conversion; a residual block without its
  skip or with a ReLU for the PReLU; pixel shuffle in PyTorch's channel order or with the
  sub-pixel rows and columns swapped; a training step without cleargrads or without the update;
  a content loss on pixels or summed; an adversarial weight of 1, the label "fake", the
  saturating log(1 - D)) lose points in exactly those exercises, each with the hint that names
  its mistake, and keep all the others.

``grade_one`` grades in this process with a fresh sandboxed worker (a few seconds), so the
mistakes are spread over four mutated notebooks, each graded once.
"""
from pathlib import Path

import pytest

from mlkit.grading.batch import grade_one
from mlkit.grading.checks.lesson06 import lesson
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, plant_and_grade, rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "06_srgan.ipynb"
LEARNER = ROOT / "lessons" / "06_srgan.ipynb"

# notebook -> (exercise, solution text, typical wrong text, phrase its hint must contain)
PLANTED = {
    "a": [
        ("6.1", "return float(10 * np.log10(peak ** 2 / mse))",
         "return float(10 * np.log10(255 ** 2 / mse))", "you used a peak of 255"),
        ("6.2", "return x + self.bn2(self.conv2(h))", "return self.bn2(self.conv2(h))",
         "without the identity skip"),
        ("6.3", "h = F.transpose(h, (0, 3, 4, 1, 5, 2))", "h = F.transpose(h, (0, 3, 4, 2, 5, 1))",
         "rows and columns of each r x r block are swapped"),
        ("6.4", "    model.cleargrads()\n", "", "model.cleargrads()"),
        ("6.5", "return F.mean_squared_error(features(sr), features(hr))",
         "return F.mean_squared_error(sr, hr)", "this is the pixel MSE"),
        ("6.6", "def generator_loss(content, d_fake, weight=1e-3):",
         "def generator_loss(content, d_fake, weight=1.0):", "the adversarial term has weight 1"),
    ],
    "b": [
        ("6.1", "error = np.asarray(sr, np.float64) - np.asarray(hr, np.float64)",
         "error = (sr - hr).astype(np.float64)", "wraps around"),
        ("6.3", "h = F.reshape(x, (n, r, r, c, height, width))        # (n, i, j, c, y, x)\n"
                "    h = F.transpose(h, (0, 3, 4, 1, 5, 2))",
         "h = F.reshape(x, (n, c, r, r, height, width))\n"
         "    h = F.transpose(h, (0, 1, 4, 2, 5, 3))", "PyTorch's channel order"),
        ("6.4", "    optimizer.update()\n", "", "optimizer.update()"),
        ("6.6", "real = xp.ones(d_fake.shape, dtype=np.int32)",
         "real = xp.zeros(d_fake.shape, dtype=np.int32)", "calls its images fake"),
    ],
    "c": [
        ("6.1", "return float(10 * np.log10(peak ** 2 / mse))",
         "return float(20 * np.log10(peak / mse))", "20 log10(peak / MSE)"),
        ("6.2", "self.act = L.PReLU((channels,))", "self.act = F.relu", "L.PReLU"),
        ("6.5", "return F.mean_squared_error(features(sr), features(hr))",
         "return F.sum(F.squared_error(features(sr), features(hr)))",
         "sum of the squared feature differences"),
        ("6.6", "return content + weight * F.sigmoid_cross_entropy(d_fake, real)",
         "return content - weight * F.sigmoid_cross_entropy(d_fake, 1 - real)",
         "saturating form"),
    ],
    "d": [
        ("6.1", "return float(10 * np.log10(peak ** 2 / mse))",
         "return float(10 * np.log10(1 / mse))", "you used a peak of 1"),
    ],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return plant_and_grade(SOLUTION, PLANTED, tmp_path_factory)


@pytest.mark.slow
def test_untouched_learner_notebook_scores_zero_with_a_hint_everywhere():
    report = grade_one(LEARNER)
    assert_untouched_scores_zero(lesson, report)
    assert len(lesson.exercises) >= 6


@pytest.mark.slow
def test_the_solution_scores_full_marks():
    report = grade_one(SOLUTION)
    assert not report["error"], report["error"]
    assert report["earned"] == report["possible"] == lesson.total(), rows_by_id(report)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_typical_mistakes_cost_only_their_exercise_with_a_specific_hint(graded, name):
    assert_mistakes_cost_only_their_exercise(lesson, graded(name), PLANTED[name], partial=False)


@pytest.mark.slow
def test_a_fixed_peak_of_one_keeps_the_unit_range_check(graded):
    outcomes = graded("d")["outcomes"]
    assert outcomes["6.1/psnr_of_images_in_unit_range"]["passed"]
    assert not outcomes["6.1/psnr_with_another_peak_and_8_bit_images"]["passed"]
