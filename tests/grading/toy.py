"""A toy lesson (number 9) for testing the grader's mechanics without a real lesson."""
import nbformat
import numpy as np

from mlkit.grading.hints import expect
from mlkit.grading.registry import Lesson

lesson = Lesson(9, "Toy lesson", notebook="09_toy")
lesson.exercise("9.1", "double a number")
lesson.exercise("9.2", "sum of squares")
lesson.exercise("9.3", "float32 data")


@lesson.check("9.1", points=2)
def doubles(nb):
    for x in (0, 1, -3, 2.5):
        expect(nb.double(x) == 2 * x, f"double({x}) should be {2 * x}, got {nb.double(x)}")


@lesson.check("9.2", points=1, timeout=1)
def sums_squares(nb):
    expect(nb.sum_of_squares([1, 2, 3]) == 14, "sum_of_squares([1, 2, 3]) should be 14")


@lesson.check("9.3", points=1)
def data_is_float32(nb):
    x = nb.make_data()
    expect(x.dtype == np.float32, f"expected float32 inputs, got {x.dtype}")


SOLUTION_CELLS = [
    ("markdown", "# Toy lesson"),
    ("code", "#| setup\nimport numpy as np\nimport warnings"),
    ("code", "#| exercise: 9.1\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
             "    ### END SOLUTION"),
    ("code", "mlkit.check('9.1')   # skipped by the grader"),
    ("code", "#| exercise: 9.2\ndef sum_of_squares(values):\n    ### BEGIN SOLUTION\n"
             "    return sum(v * v for v in values)\n    ### END SOLUTION"),
    ("code", "#| exercise: 9.3\ndef make_data():\n    ### BEGIN SOLUTION\n"
             "    return np.zeros((4, 2), np.float32)\n    ### END SOLUTION"),
    ("code", "raise RuntimeError('a long training cell: the grader never runs it')"),
]


def write_notebook(path, cells=SOLUTION_CELLS, replace=None):
    """Write a toy notebook; ``replace`` maps an old snippet to a new one in every code cell."""
    notebook = nbformat.v4.new_notebook()
    for kind, source in cells:
        for old, new in (replace or {}).items():
            source = source.replace(old, new)
        notebook.cells.append(nbformat.v4.new_code_cell(source) if kind == "code"
                              else nbformat.v4.new_markdown_cell(source))
    nbformat.write(notebook, path)
    return path


def write_learner_notebook(path, replace=None):
    """The learner's copy of the toy lesson: every solution region replaced by its stub."""
    from mlkit.grading.release import strip_solutions
    cells = [(kind, strip_solutions(source, "toy") if kind == "code" else source)
             for kind, source in SOLUTION_CELLS]
    return write_notebook(path, cells=cells, replace=replace)
