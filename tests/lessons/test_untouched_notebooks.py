"""An untouched learner notebook, run cell by cell as a new learner would (smoke mode): every
cell that needs an unfinished exercise says so in one line, every other cell runs. No traceback
outside the exercise cells, and never a NameError."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlkit.grading import course

REPO = Path(__file__).resolve().parents[2]

# The learner notebook (made by `mlkit release`) of every lesson of the course: each guards its
# demo cells with `mlkit.needs(`, so Run All on an untouched lesson shows no traceback.
LESSONS = [REPO / "lessons" / f"{folder.name}.ipynb" for folder in course.folders().values()]


def run_cell_by_cell(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return notebook


def errors_of(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_untouched_notebook_cell_by_cell(path, tmp_path, monkeypatch):
    notebook = run_cell_by_cell(path, tmp_path, monkeypatch)
    problems, waiting = [], 0
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        for error in errors_of(cell):
            if error.ename == "NameError" or not cell.source.startswith("#| exercise"):
                problems.append(f"cell {number} ({cell.source.splitlines()[0][:50]!r}): "
                                f"{error.ename}: {error.evalue}")
        lines = [line for line in text_of(cell).splitlines() if line.startswith("(waiting) ")]
        if lines:
            # a cell that uses an exercise's answer names the exercise; a cell that uses only
            # what such a cell would have made (a trained model, a table of results) says that
            # the name is not defined yet (unfinished in mlkit/needs.py): both are one line
            assert len(lines) == 1 and ("finish exercise" in lines[0]
                                        or "is not defined yet" in lines[0]), (number, lines)
            waiting += "finish exercise" in lines[0]
    assert not problems, "\n".join(problems)
    assert waiting, "the demo cells that need an exercise say so"
