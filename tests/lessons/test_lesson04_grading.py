"""Lesson 4's grader on the notebooks a learner really hands in.

* the solution scores full marks; the untouched learner notebook scores 0, with a "not done yet"
  hint for every exercise;
* solutions carrying the typical mistakes of the lesson (the last row of the window as its
  target, too few windows, a ``reset_state`` that resets nothing, one kind of recurrent layer
  for both kinds, no sigmoid, a roll-out without ``reset_state`` or one row too many, a bounce
  that flips the whole velocity or never clamps, digits overwritten or added instead of
  max-combined or placed at (x, y), a metric averaged over the pixels, the first frame copied, a scalar mean frame,
  a ConvLSTM without the forget gate, the output tanh or its gates in order) lose points in exactly those exercises,
  each with the hint that names its mistake, and keep all the others.

``grade_one`` grades in this process with a fresh sandboxed worker (a few seconds), so the
mistakes are spread over four mutated notebooks, each graded once.
"""
from pathlib import Path

import pytest

from mlkit.grading.batch import grade_one
from mlkit.grading.checks.lesson04 import lesson
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, plant_and_grade, rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "04_sequences.ipynb"
LEARNER = ROOT / "lessons" / "04_sequences.ipynb"

# notebook -> (exercise, solution text, typical wrong text, phrase its hint must contain)
PLANTED = {
    "a": [
        ("4.1", "next_rows = np.stack([images[:, s + k] for s in starts], axis=1)",
         "next_rows = np.stack([images[:, s + k - 1] for s in starts], axis=1)",
         "the row after it"),
        ("4.2", "        self.rnn.reset_state()\n", "        pass\n",
         "reset_state() must call self.rnn.reset_state()"),
        ("4.4", "velocity = np.where(below, np.abs(velocity), np.where(above, -np.abs(velocity), "
                "velocity))",
         "velocity = np.where((below | above).any(axis=-1, keepdims=True), -velocity, velocity)",
         "turned the whole velocity around"),
        ("4.6", "** 2\n    return float(error.sum(axis=(-2, -1)).mean())",
         "** 2\n    return float(error.mean())", "averaged over the pixels too"),
    ],
    "b": [
        ("4.2", 'self.rnn = L.LSTM(28, n_hidden) if kind == "lstm" else L.GRU(28, n_hidden)',
         "self.rnn = L.LSTM(28, n_hidden)", "asks for L.GRU"),
        ("4.3", "    model.reset_state()\n", "", "call model.reset_state() first"),
        ("4.5", "np.maximum(window, digit, out=window)", "window[...] = digit",
         "covers the earlier one"),
        ("4.7", "last = inputs[:, -1:]", "last = inputs[:, :1]", "repeats the first input frame"),
        ("4.8", "h_new = F.sigmoid(o) * F.tanh(c_new)", "h_new = F.sigmoid(o) * c_new",
         "goes through tanh"),
    ],
    "d": [
        ("4.5", "for digit, (y, x) in zip(digits, corners):",
         "for digit, (x, y) in zip(digits, corners):", "instead of (y, x)"),
        ("4.8", "i, f, o, g = F.split_axis(", "i, f, g, o = F.split_axis(", "order i, f, o, g"),
    ],
    "c": [
        ("4.1", "starts = range(height - k)", "starts = range(height - k - 1)", "28 - k ="),
        ("4.2", "return F.sigmoid(self.out(self.rnn(row)))", "return self.out(self.rnn(row))",
         "F.sigmoid(self.out(h))"),
        ("4.3", "while len(new_rows) < n_new:", "while len(new_rows) <= n_new:",
         "already the first new row"),
        ("4.4", "    q = np.clip(q, 0, free)\n", "", "clamp the position"),
        ("4.5", "np.maximum(window, digit, out=window)", "window += digit", "you added them"),
        ("4.7", "mean = train_frames.mean(axis=(0, 1), dtype=np.float64)",
         "mean = train_frames.mean(dtype=np.float64)", "is one number"),
        ("4.8", "c_new = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)",
         "c_new = F.sigmoid(i) * F.tanh(g)", "forgets everything"),
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
def test_a_missing_reset_in_the_roll_out_keeps_the_values_check(graded):
    outcomes = graded("b")["outcomes"]
    assert outcomes["4.3/rollout_feeds_its_predictions_back"]["passed"]
    assert not outcomes["4.3/rollout_starts_fresh_and_keeps_the_graph"]["passed"]
