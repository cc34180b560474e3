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

from mlkit.grading import registry

lesson = registry.lesson(6)
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise, full_marks_test,
                                   plant_and_grade, reference_notebook_tests, replacing_blocks,
                                   rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "course" / "06_srgan" / "solution.ipynb"
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


(test_untouched_learner_notebook_scores_zero_with_a_hint_everywhere,
 test_the_solution_scores_full_marks) = reference_notebook_tests(lesson, SOLUTION, LEARNER)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_typical_mistakes_cost_only_their_exercise_with_a_specific_hint(graded, name):
    assert_mistakes_cost_only_their_exercise(lesson, graded(name), PLANTED[name], partial=False)


@pytest.mark.slow
def test_a_fixed_peak_of_one_keeps_the_unit_range_check(graded):
    outcomes = graded("d")["outcomes"]
    assert outcomes["6.1/psnr_of_images_in_unit_range"]["passed"]
    assert not outcomes["6.1/psnr_with_another_peak_and_8_bit_images"]["passed"]


# ---------------------------------------------------------------------------------------------
# Correct answers in other styles than the solution's: each must earn full marks.
# notebook -> (exercise, which solution block of its cell, the block written another way)

ALTERNATIVES = {
    "library_psnr_lazy_convolutions_and_methods": [
        ("6.1", 0, """
            from skimage.metrics import peak_signal_noise_ratio
            return peak_signal_noise_ratio(hr, sr, data_range=peak)
            """),
        ("6.2", 0, """
            with self.init_scope():
                self.conv1 = L.Convolution2D(None, channels, ksize=3, stride=1, pad=1)
                self.bn1 = L.BatchNormalization(channels)
                self.act = L.PReLU(shape=(channels,))
                self.conv2 = L.Convolution2D(None, channels, ksize=3, stride=1, pad=1)
                self.bn2 = L.BatchNormalization(channels)
            """),
        ("6.2", 1, """
            h = self.bn1(self.conv1(x))
            h = F.prelu(h, self.act.W)
            return self.bn2(self.conv2(h)) + x
            """),
        ("6.3", 0, """
            n, rrc, h, w = x.shape
            c = rrc // r // r
            y = x.reshape((n, r, r, c, h, w)).transpose((0, 3, 4, 1, 5, 2))
            return y.reshape((n, c, h * r, w * r))
            """),
        ("6.4", 0, """
            loss = F.mean_squared_error(model(lr), hr)
            optimizer.update(lambda: loss)        # clears the gradients, backward, step
            return loss.item()
            """),
        ("6.5", 0, """
            a = features(sr)
            with chainer.no_backprop_mode():
                target = features(hr)
            return F.mean(F.squared_difference(a, target.array))
            """),
        ("6.6", 0, """
            return content + weight * F.mean(F.softplus(-d_fake))
            """),
    ],
    "float32_sums_and_swapped_axes": [
        ("6.1", 0, """
            sr, hr = sr.astype(np.float32), hr.astype(np.float32)
            mse = ((sr - hr) ** 2).mean()
            return 20 * np.log10(peak / np.sqrt(mse)) if mse > 0 else np.inf
            """),
        ("6.2", 1, """
            return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
            """),
        ("6.3", 0, """
            n, ch, height, width = x.shape
            c = ch // (r * r)
            h = F.reshape(x, (n, r, r, c, height, width))
            h = F.swapaxes(h, 1, 3)                          # (n, c, j, i, y, x)
            h = F.transpose(h, (0, 1, 4, 3, 5, 2))
            h = F.reshape(h, (n, c, height * r, width, r))
            return F.reshape(h, (n, c, height * r, width * r))
            """),
        ("6.4", 0, """
            model.cleargrads()
            loss = F.mean(F.square(model(lr) - hr))
            loss.backward()
            optimizer.update()
            return float(loss.data)
            """),
        ("6.5", 0, """
            diff = features(sr) - features(hr)
            return F.sum(diff * diff) / diff.size
            """),
        ("6.6", 0, """
            import math
            return content - weight * F.mean(F.log(F.sigmoid(d_fake)))
            """),
    ],
    "math_module_psnr_and_the_logits_own_xp": [
        ("6.1", 0, """
            import math
            mse = float(np.mean((sr.astype(float) - hr.astype(float)) ** 2))
            if mse == 0:
                return math.inf
            return 10 * math.log10(peak * peak / mse)
            """),
        ("6.6", 0, """
            real = d_fake.xp.ones(d_fake.shape, dtype=d_fake.xp.int32)   # d_fake: a Variable
            return content + weight * F.sigmoid_cross_entropy(d_fake, real)
            """),
    ],
}


test_correct_answers_in_other_styles_earn_full_marks = full_marks_test(SOLUTION, ALTERNATIVES)


# Cheats: answers that fake what a check looks at, or call what the exercise asks to write.
CHEATS = {
    "depth2space_and_a_block_that_returns_its_input": [
        ("6.2", 1, """
            self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
            return x
            """),
        ("6.3", 0, """
            return F.depth2space(x, r)
            """),
    ],
    "the_librarys_pixel_shuffle": [
        ("6.3", 0, """
            from mlkit.models import srgan
            return srgan.pixel_shuffle(x, r)
            """),
    ],
    "pixel_shuffle_off_the_graph": [
        ("6.3", 0, """
            data = getattr(x, "array", x)
            n, ch, height, width = data.shape
            c = ch // (r * r)
            y = data.reshape(n, r, r, c, height, width).transpose(0, 3, 4, 1, 5, 2)
            return chainer.Variable(np.ascontiguousarray(y.reshape(n, c, height * r, width * r)))
            """),
    ],
}


@pytest.fixture(scope="module")
def graded_cheats(tmp_path_factory):
    return plant_and_grade(SOLUTION, replacing_blocks(SOLUTION, CHEATS), tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["depth2space_and_a_block_that_returns_its_input",
                                  "the_librarys_pixel_shuffle"])
def test_pixel_shuffle_by_a_library_call_earns_nothing(graded_cheats, name):
    row = rows_by_id(graded_cheats(name))["6.3"]
    assert row["earned"] == 0, row
    assert any("calls F.depth2space" in hint for hint in row["hints"]), row["hints"]


@pytest.mark.slow
def test_a_block_that_returns_its_input_earns_nothing(graded_cheats):
    row = rows_by_id(graded_cheats("depth2space_and_a_block_that_returns_its_input"))["6.2"]
    assert row["earned"] == 0, row
    assert any("returns its input unchanged" in hint for hint in row["hints"]), row["hints"]


@pytest.mark.slow
def test_pixel_shuffle_off_the_graph_loses_the_network_point(graded_cheats):
    outcomes = graded_cheats("pixel_shuffle_off_the_graph")["outcomes"]
    assert outcomes["6.3/pixel_shuffle_equals_depth2space"]["passed"]
    assert not outcomes["6.3/pixel_shuffle_works_inside_a_network"]["passed"]
    assert "no gradient flows back" in outcomes["6.3/pixel_shuffle_works_inside_a_network"]["hint"]
