"""What is committed: lesson notebooks are exactly what `mlkit release` makes, and no notebook
carries outputs (a learner must start from a clean notebook; diffs stay readable)."""
import subprocess
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import registry
from mlkit.grading.release import learner_version

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "course").glob("[0-9]*/solution.ipynb"))


def tracked_notebooks():
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True,
                            text=True).stdout.split()
    return [REPO / name for name in listed] or sorted(REPO.glob("*/*.ipynb"))


def test_there_are_lessons():
    assert SOLUTIONS, "no solution notebooks found in course/NN_name/solution.ipynb"


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: p.parent.name if p.name == "solution.ipynb" else p.name)
def test_notebook_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(notebook.cells, 1)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name if p.name == "solution.ipynb" else p.name)
def test_learner_notebook_is_what_release_makes(solution):
    name = f"{solution.parent.name}.ipynb"
    lesson = REPO / "lessons" / name
    assert lesson.exists(), f"lessons/{name} is missing: run `mlkit release`"
    assert lesson.read_text() == learner_version(solution), (
        f"lessons/{name} differs from its solution notebook: run `mlkit release`")


def test_every_lesson_comes_from_a_solution_and_is_graded():
    lessons = {p.name for p in (REPO / "lessons").glob("*.ipynb")}
    assert lessons == {f"{p.parent.name}.ipynb" for p in SOLUTIONS}
    graded = {f"{lesson.notebook}.ipynb" for lesson in registry.lessons().values()}
    assert graded == lessons, "every lesson folder of the course has checks.py, and only those"
