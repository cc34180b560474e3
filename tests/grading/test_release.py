"""`mlkit release`: learner notebooks from solution notebooks, never losing a learner's work."""
import json

import nbformat
import pytest

from mlkit.grading.release import ReleaseError, learner_version, release, strip_solutions
from tests.grading import toy


def test_regions_become_stubs_at_their_indentation():
    source = ("#| exercise: 3.2\ndef f(x):\n    y = x\n    ### BEGIN SOLUTION\n    y = 2 * y\n"
              "    ### END SOLUTION\n    return y\n### BEGIN SOLUTION\nz = 1\n### END SOLUTION")
    assert strip_solutions(source, "cell").split("\n") == [
        "#| exercise: 3.2", "def f(x):", "    y = x", "    # YOUR CODE HERE",
        '    raise NotImplementedError("exercise 3.2: replace this line with your code")',
        "    return y", "# YOUR CODE HERE",
        'raise NotImplementedError("exercise 3.2: replace this line with your code")']


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "END SOLUTION without BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another region"),
])
def test_unbalanced_regions_are_refused(source, problem):
    with pytest.raises(ReleaseError, match=problem):
        strip_solutions(source, "some cell")


def make_course(tmp_path):
    solutions, lessons = tmp_path / "course", tmp_path / "lessons"
    (solutions / "09_toy").mkdir(parents=True)
    path = toy.write_notebook(solutions / "09_toy" / "solution.ipynb")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[2].outputs = [nbformat.v4.new_output("stream", text="42\n")]
    notebook.cells[2].execution_count = 7
    nbformat.write(notebook, path)
    return solutions, lessons


def test_release_writes_learner_notebooks_without_solutions_or_outputs(tmp_path):
    solutions, lessons = make_course(tmp_path)
    assert release(solutions, lessons, log=lambda _: None) == [lessons / "09_toy.ipynb"]
    notebook = nbformat.read(lessons / "09_toy.ipynb", as_version=4)
    text = (lessons / "09_toy.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "return 2 * x" not in text
    assert text.count("raise NotImplementedError") == 3
    assert notebook.metadata["mlkit"]["lesson"] == 9
    assert all(not c.outputs and c.execution_count is None
               for c in notebook.cells if c.cell_type == "code")
    assert release(solutions, lessons, log=lambda _: None) == []   # nothing changed


def test_release_refuses_to_overwrite_a_learners_work(tmp_path):
    solutions, lessons = make_course(tmp_path)
    release(solutions, lessons, log=lambda _: None)
    mine = (lessons / "09_toy.ipynb").read_text().replace("# YOUR CODE HERE", "# my notes")
    (lessons / "09_toy.ipynb").write_text(mine)
    toy.write_notebook(solutions / "09_toy" / "solution.ipynb", replace={"2 * x": "x + x"})  # a new release
    with pytest.raises(ReleaseError, match="changed since the last release"):
        release(solutions, lessons, log=lambda _: None)
    assert (lessons / "09_toy.ipynb").read_text() == mine
    release(solutions, lessons, force=True, log=lambda _: None)
    assert "# my notes" not in (lessons / "09_toy.ipynb").read_text()
    manifest = json.loads((lessons / ".release.json").read_text())
    assert set(manifest) == {"09_toy.ipynb"}


def test_a_notebook_updated_only_by_release_is_updated_again(tmp_path):
    solutions, lessons = make_course(tmp_path)
    release(solutions, lessons, log=lambda _: None)
    toy.write_notebook(solutions / "09_toy" / "solution.ipynb", cells=toy.SOLUTION_CELLS + [("code", "1 + 1")])
    assert release(solutions, lessons, log=lambda _: None) == [lessons / "09_toy.ipynb"]
    assert learner_version(solutions / "09_toy" / "solution.ipynb") == (lessons / "09_toy.ipynb").read_text()
