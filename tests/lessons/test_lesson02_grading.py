"""Lesson 2's grader on the notebooks a learner really hands in.

* the untouched learner notebook scores 0, with a hint for every exercise;
* solutions carrying the typical mistakes of the lesson (float64 images, int64 labels, a count
  instead of a fraction, no ``cleargrads``, 9 class scores, evaluation in training mode, a
  transposed confusion matrix, a CNN without dropout) lose the points of exactly those
  exercises, each with the hint that names its mistake, and keep all the others.

Each ``grade_one`` runs the grader in a fresh process (several seconds), so the mistakes are
spread over two mutated notebooks, each graded once.
"""
from pathlib import Path

import pytest

from mlkit.grading.batch import grade_one
from mlkit.grading.checks.lesson02 import lesson
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, plant)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "02_mnist_classification.ipynb"
LEARNER = ROOT / "lessons" / "02_mnist_classification.ipynb"

# notebook -> [(exercise, solution text, typical wrong text, phrase its hint must contain)]
MISTAKES = {
    "a": [
        ("2.1", "x = images.astype(np.float32).reshape(len(images), 1, 28, 28) / np.float32(255)",
         "x = images.reshape(len(images), 1, 28, 28) / 255", "float64"),
        ("2.1", "t = labels.astype(np.int32)", "t = labels.astype(np.int64)",
         "softmax_cross_entropy wants int32"),
        ("2.3", "return float(np.mean(predicted == labels))",
         "return float(np.sum(predicted == labels))", "the count"),
        ("2.4", "        model.cleargrads()\n", "", "model.cleargrads() before loss.backward()"),
    ],
    "b": [
        ("2.2", "self.l3 = L.Linear(n_hidden, n_out)", "self.l3 = L.Linear(n_hidden, 9)",
         "needs n_out=10 outputs"),
        ("2.5", 'with chainer.using_config("train", False), chainer.no_backprop_mode():',
         "with chainer.no_backprop_mode():", "chainer.using_config('train', False)"),
        ("2.6", "np.add.at(matrix, (true, predicted), 1)",
         "np.add.at(matrix, (predicted, true), 1)", "transposed"),
        ("2.7", "        h = F.dropout(h, 0.25)\n", "", None),
        ("2.7", "return self.out(F.dropout(h, 0.5))", "return self.out(h)", "add dropout"),
    ],
}


@pytest.fixture(scope="module", params=sorted(MISTAKES))
def mutated(request, tmp_path_factory):
    """(mistakes, report) of a solution notebook carrying one group of typical mistakes."""
    mistakes = MISTAKES[request.param]
    path = plant(SOLUTION, mistakes, tmp_path_factory.mktemp(f"mutated_{request.param}"))
    return mistakes, grade_one(path)


@pytest.mark.slow
def test_untouched_learner_notebook_scores_zero_with_a_hint_everywhere():
    report = grade_one(LEARNER)
    assert_untouched_scores_zero(lesson, report)
    assert len(lesson.exercises) >= 6


@pytest.mark.slow
def test_typical_mistakes_cost_only_their_exercise_with_a_specific_hint(mutated):
    mistakes, report = mutated
    assert_mistakes_cost_only_their_exercise(lesson, report, mistakes, partial=False)
