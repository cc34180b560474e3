"""Lesson 5's grader on the notebooks a learner really hands in.

* the solution scores full marks; the untouched learner notebook scores 0, with a "not done yet"
  hint for every exercise;
* solutions carrying the typical mistakes of the lesson (a sigmoid at the end of D, the
  saturating generator loss, real and fake swapped in D's loss, the sigmoid applied twice in the
  loss, D's optimizer not stepped, G's loss computed without G's graph, the vectorizer's images
  drawn in training mode, lerp's ends swapped, slerp's angle from codes that are not normalised,
  a Frechet distance without its cross term or with an element-wise square root) lose points of
  exactly those exercises, each with the hint that names its mistake, and keep all the others.

``grade_one`` grades in this process with a fresh sandboxed worker, so the mistakes are spread
over three mutated notebooks, each graded once.
"""
from pathlib import Path

import pytest

from mlkit.grading.batch import grade_one
from mlkit.grading.checks.lesson05 import lesson
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, plant_and_grade, rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "05_dcgan.ipynb"
LEARNER = ROOT / "lessons" / "05_dcgan.ipynb"

# (exercise, solution text, typical wrong text, phrase its hint must contain)
PLANTED = {
    "a": [
        ("5.2", "    return F.mean(F.softplus(-y_fake))",
         "    return -F.mean(F.softplus(y_fake))", "saturating loss"),
        ('5.3', 'self.get_optimizer("dis").update()', 'self.get_optimizer("gen").update()',
         "discriminator's parameters did not change"),
        ("5.5", "return (1 - t) * z0 + t * z1", "return (1 - t) * z1 + t * z0",
         "the ends are swapped"),
        ("5.6", "np.trace(s1 + s2 - 2 * root)", "np.trace(s1 + s2)", "cross term"),
    ],
    "b": [
        ("5.1", "return self.out(h)", "return F.sigmoid(self.out(h))", "ends with a sigmoid"),
        ("5.2", "return F.mean(F.softplus(-y_real)) + F.mean(F.softplus(y_fake))",
         "return F.mean(F.softplus(y_real)) + F.mean(F.softplus(-y_fake))",
         "real and fake swapped"),
        ("5.3", "loss_gen = self.g_loss(self.dis(x_fake))",
         "loss_gen = self.g_loss(self.dis(x_fake.array))", "with G's graph attached"),
        ("5.4", 'with chainer.using_config("train", False), chainer.no_backprop_mode():',
         "with chainer.no_backprop_mode():", "in training mode"),
        ("5.5", "cos = np.dot(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1))",
         "cos = np.dot(z0, z1)", "needs unit vectors"),
    ],
    "c": [
        ("5.2", "return F.mean(F.softplus(-y_real)) + F.mean(F.softplus(y_fake))",
         "return F.mean(F.softplus(-F.sigmoid(y_real))) + F.mean(F.softplus(F.sigmoid(y_fake)))",
         "applies the sigmoid twice"),
        ("5.6", "root = np.real(scipy.linalg.sqrtm(s1 @ s2))", "root = np.sqrt(s1 @ s2)",
         "scipy.linalg.sqrtm(S1 @ S2)"),
    ],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return plant_and_grade(SOLUTION, PLANTED, tmp_path_factory)


@pytest.mark.slow
def test_the_solution_scores_full_marks():
    report = grade_one(SOLUTION)
    assert not report["error"], report["error"]
    assert report["earned"] == report["possible"] == lesson.total(), rows_by_id(report)


@pytest.mark.slow
def test_untouched_learner_notebook_scores_zero_with_a_hint_everywhere():
    report = grade_one(LEARNER)
    assert_untouched_scores_zero(lesson, report)
    assert len(lesson.exercises) >= 6


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_typical_mistakes_cost_only_their_exercise_with_a_specific_hint(graded, name):
    assert_mistakes_cost_only_their_exercise(lesson, graded(name), PLANTED[name], partial=False)


@pytest.mark.slow
def test_each_updater_mistake_costs_only_its_own_check(graded):
    """D's step and G's step are graded apart: G's step without G's graph keeps D's point; the
    wrong optimizer after D's loss fails both, G's with the NaN it leaves in G."""
    for name, failing in (("b", ["5.3/generator_step_lowers_its_loss"]),
                          ("a", ["5.3/discriminator_step_lowers_its_loss",
                                 "5.3/generator_step_lowers_its_loss"])):
        outcomes = {k: v for k, v in graded(name)["outcomes"].items() if k.startswith("5.3/")}
        assert [k for k, v in outcomes.items() if not v["passed"]] == failing, outcomes
    assert "are NaN" in graded("a")["outcomes"]["5.3/generator_step_lowers_its_loss"]["hint"]


@pytest.mark.slow
def test_a_saturating_generator_loss_keeps_the_discriminator_loss_point(graded):
    outcomes = graded("a")["outcomes"]
    assert outcomes["5.2/discriminator_loss_is_the_cross_entropy_on_logits"]["passed"]
    assert not outcomes["5.2/generator_loss_is_non_saturating"]["passed"]
