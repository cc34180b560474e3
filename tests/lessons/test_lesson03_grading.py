"""Lesson 3 grading: the untouched learner notebook scores 0 with a hint per exercise, and
typical mistakes, planted in copies of the solution notebook, cost their exercise points with
a hint that names the mistake while every other exercise keeps full marks (among them, in the
early-stopping loop of 3.3: an alias instead of a copy, the training loss fed to the stopper,
no break, no restore; in reading learning curves, 3.8: a nan that is no divergence, a noisiness
in the loss's units, the noisiest and smoothest swapped). A line magic in the setup cell changes
nothing: the grader runs cells as Jupyter does."""
import concurrent.futures
from pathlib import Path

import nbformat
import pytest

from mlkit.grading.batch import grade_one
from mlkit.grading.checks.lesson03 import lesson
from mlkit.grading.notebook import cell_role
from tests.lessons.planted import (assert_mistakes_cost_only_their_exercise,
                                   assert_untouched_scores_zero, plant, rows_by_id)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "03_regression.ipynb"
LEARNER = ROOT / "lessons" / "03_regression.ipynb"

# exercise -> (text in the solution cell, the typical wrong version, phrase the hint must hold)
MISTAKES = {
    "hidden layers without activation and mean squares as MAE": {
        "3.1": ("h = F.relu(layer(h))", "h = layer(h)", "collapse into one Linear layer"),
        "3.3": ('best = model.copy(mode="copy")', "best = model", "keep a real copy"),
        "3.8": ("if not np.isfinite(losses).all() or losses[-1] > losses[0]:",
                "if losses[-1] > losses[0]:", "turns inf or nan"),
        "3.5": ("return float(np.mean(np.abs(y_true - y_pred)))",
                "return float(np.mean((y_true - y_pred) ** 2))", "mean of SQUARED errors"),
        "3.6": ("    A = np.hstack([X, np.ones((len(X), 1))])      # the column of ones carries "
                "the intercept\n    theta, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
                "    return theta[:-1], float(theta[-1])",
                "    theta, *_ = np.linalg.lstsq(X, y, rcond=None)\n    return theta, 0.0",
                "column of ones"),
    },
    "test rows with their own statistics and a late stop": {
        "3.2": ("return self.epoch - self.best_epoch >= self.patience",
                "return self.epoch - self.best_epoch > self.patience", "one epoch late"),
        "3.3": ("stop = stopper.step(val_loss)", "stop = stopper.step(float(loss.array))",
                "gave the stopper the training MSE"),
        "3.8": ("return float(np.mean(np.abs(np.diff(losses))) / np.mean(losses))",
                "return float(np.mean(np.abs(np.diff(losses))))",
                "relative to the size of the loss"),
        "3.4": ("z_test = (x_test - mean) / std",
                "z_test = (x_test - x_test.mean(axis=0)) / x_test.std(axis=0)",
                "their own mean and std"),
        "3.7": ("squared = 0.5 * r ** 2", "squared = r ** 2", "lacks its 1/2"),
    },
    "ReLU on the output, broadcasting, in-place, per-row Huber, previous-loss stopper": {
        "3.1": ("return self.out(h)", "return F.relu(self.out(h))", "negative value"),
        "3.2": ("        self.epoch += 1\n        if loss < self.best_loss:\n"
                "            self.best_loss, self.best_epoch = loss, self.epoch\n"
                "        return self.epoch - self.best_epoch >= self.patience",
                "        self.epoch += 1\n        self.waited = 0 if loss < getattr(self, "
                "'previous', float('inf')) else getattr(self, 'waited', 0) + 1\n"
                "        self.previous = loss\n        if loss < self.best_loss:\n"
                "            self.best_loss, self.best_epoch = loss, self.epoch\n"
                "        return self.waited >= self.patience",
                "since the loss last went down"),
        "3.4": ("    z_train = (x_train - mean) / std\n",
                "    x_train -= mean\n    x_train /= std\n    z_train = x_train\n",
                "changed the arrays it was given"),
        "3.5": ("    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)\n"
                "    return float(np.mean((y_true - y_pred) ** 2))",
                "    return float(np.mean((y_true - y_pred) ** 2))", "broadcasts"),
        "3.7": ("return F.mean(F.where(size.array <= delta, squared, linear))",
                "return F.sum(F.where(size.array <= delta, squared, linear), axis=1)",
                "expected a scalar"),
    },
    "noisiest and smoothest swapped": {
        "3.8": ('"noisiest": max(noise, key=noise.get)', '"noisiest": min(noise, key=noise.get)',
                "noisiest: yours"),
    },
    "no stop, no restore": {
        "3.3": ("        if stop:\n            break\n", "", "break out of the loop"),
    },
    "best weights never put back": {
        "3.3": ("    model.copyparams(best)\n", "", "model.copyparams(best)"),
    },
    "normal equations with y as a column: w of shape (D, 1)": {
        "3.6": ("    theta, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
                "    return theta[:-1], float(theta[-1])",
                "    theta = np.linalg.solve(A.T @ A, A.T @ y.reshape(-1, 1))\n"
                "    return theta[:-1], float(theta[-1, 0])",
                "a column"),
    },
}


def with_setup_magic(solution, magic, directory):
    """A copy of ``solution`` whose setup cell starts with the line ``magic``, right under its
    ``#| setup`` marker (the marker must stay the cell's first line)."""
    notebook = nbformat.read(solution, as_version=4)
    cells = [c for c in notebook.cells
             if c.cell_type == "code" and cell_role(c.source) == ("setup", None)]
    assert len(cells) == 1, "expected one setup cell"
    marker, _, rest = cells[0].source.partition("\n")
    cells[0].source = f"{marker}\n{magic}\n{rest}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / solution.name
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Grade the learner notebook and every changed copy, two at a time (each its own worker)."""
    base = tmp_path_factory.mktemp("lesson03")
    paths = {"learner": LEARNER}
    for index, (name, mistakes) in enumerate(MISTAKES.items()):
        planted = [(exercise_id, *change) for exercise_id, change in mistakes.items()]
        paths[name] = plant(SOLUTION, planted, base / f"mutant{index}")
    paths["magic"] = with_setup_magic(SOLUTION, "%matplotlib inline", base / "magic")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(grade_one, path) for name, path in paths.items()}
        return {name: future.result() for name, future in futures.items()}


def test_untouched_learner_notebook_scores_zero_with_a_hint_per_exercise(reports):
    assert_untouched_scores_zero(lesson, reports["learner"])
    assert reports["learner"]["possible"] >= 6


@pytest.mark.parametrize("name", list(MISTAKES))
def test_typical_mistakes_get_their_specific_hint(reports, name):
    planted = [(exercise_id, *change) for exercise_id, change in MISTAKES[name].items()]
    assert_mistakes_cost_only_their_exercise(lesson, reports[name], planted, partial=False)


def test_a_line_magic_in_the_setup_cell_keeps_full_marks(reports):
    report = reports["magic"]
    rows = rows_by_id(report)
    assert report["earned"] == report["possible"], rows
    assert not any(row["hints"] for row in rows.values()), rows
