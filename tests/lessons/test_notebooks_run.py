"""Every solution notebook runs top to bottom in smoke mode, in a fresh kernel, with no error."""
import time

import nbformat
import pytest
from nbclient import NotebookClient

from mlkit.grading import course

SOLUTIONS = [folder / course.SOLUTION for folder in course.folders().values()]


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_solution_notebook_runs_in_smoke_mode(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    # Run in a scratch folder: whatever a lesson writes (Trainer logs, snapshots) stays out of git.
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    started = time.monotonic()
    client.execute()   # raises CellExecutionError naming the cell on any error
    seconds = time.monotonic() - started
    print(f"{path.parent.name}: {seconds:.1f} s in smoke mode")
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    # The instant checks ran in the live kernel, and the reference solution passes each one.
    checks = [c for c in notebook.cells
              if c.cell_type == "code" and c.source.startswith("mlkit.check(")]
    assert checks, "a lesson gives the learner instant checks"
    for cell in checks:
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "Well done" in printed, f"{cell.source}: {printed}"
