"""Reading a learner's notebook the way the grader sees it (text only: nothing is run here).

Two markers on the first line of a code cell matter to the grader::

    #| setup                 imports and data that the exercises need
    #| exercise: 1.2         the learner's answer to exercise 1.2

Everything else (demos, long training runs, plots, ``mlkit.check`` cells) is skipped. Cell
source goes through IPython's own input transformation, as in JupyterLab, so ``%matplotlib
inline`` or ``!ls`` lines become the calls Jupyter would make. A file that cannot be graded
(empty, not UTF-8, not a notebook, an unknown lesson, a lesson that its name and metadata
disagree on) raises :class:`SubmissionError` with one complete sentence.
"""
import dataclasses
import json
import re
from pathlib import Path

SETUP = re.compile(r"^#\|\s*setup\b")
EXERCISE = re.compile(r"^#\|\s*exercise:?\s*(\d+\.\d+)\b")
NAME_NUMBER = re.compile(r"^(\d+)[_\-. ]")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


class SubmissionError(ValueError):
    """A notebook that cannot be graded; ``lesson`` is its lesson when that is known."""

    def __init__(self, message, lesson=None):
        super().__init__(message)
        self.lesson = lesson


def _marker_line(source):
    """The line that may hold a marker: the first one that is not blank, a magic, a shell line
    or a plain comment (a learner may type ``%matplotlib inline`` above ``#| setup``)."""
    for line in source.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith(("%", "!")) or \
                (stripped.startswith("#") and not stripped.startswith("#|")):
            continue
        return line
    return ""


def cell_role(source):
    """``('setup', None)``, ``('exercise', '1.2')`` or ``(None, None)`` for a cell's source."""
    first = _marker_line(source)
    if SETUP.match(first):
        return "setup", None
    match = EXERCISE.match(first)
    if match:
        return "exercise", match.group(1)
    return None, None


def _metadata_lesson(notebook, path):
    metadata = notebook.get("metadata", {}) if isinstance(notebook, dict) else {}
    mlkit_metadata = metadata.get("mlkit") if isinstance(metadata, dict) else None
    if not isinstance(mlkit_metadata, dict) or mlkit_metadata.get("lesson") is None:
        return None
    value = mlkit_metadata["lesson"]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SubmissionError(f"{Path(path).name}: its metadata names lesson {value!r}, which "
                              "is not a lesson number; pass --lesson N") from None
    return number


def _name_lesson(path):
    match = NAME_NUMBER.match(Path(path).name)
    return int(match.group(1)) if match else None


def lesson_number(path, notebook=None, override=None):
    """The lesson a notebook belongs to: ``override``, else its ``mlkit.lesson`` metadata and
    its file name's leading ``NN_``, which must agree when both are there."""
    if override is not None:
        return int(override)
    from_metadata = _metadata_lesson(notebook or {}, path)
    from_name = _name_lesson(path)
    if from_metadata is not None and from_name is not None and from_metadata != from_name:
        raise SubmissionError(
            f"{Path(path).name}: its metadata says lesson {from_metadata} but its file name "
            f"says lesson {from_name}; rename the file or pass --lesson N")
    number = from_metadata if from_metadata is not None else from_name
    if number is None:
        raise SubmissionError(
            f"cannot tell which lesson {Path(path).name} is: its metadata has no mlkit.lesson "
            "and its name does not start with the lesson number (like 01_logic_gates.ipynb); "
            "pass --lesson N")
    return number


def read_json(path):
    """The notebook file as JSON, or a :class:`SubmissionError` that says what is wrong."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"{name} is {size / 2**20:.0f} MB, too large for a notebook; "
                                  "clear its outputs and save it again")
        data = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"{name} cannot be read ({error.strerror or error})") from None
    if not data.strip():
        raise SubmissionError(f"{name} is empty; submit the .ipynb file that Jupyter saved")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"{name} is not UTF-8 text (byte {data[error.start]:#04x} at "
                              f"position {error.start}); save it again from Jupyter") from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"{name} is not a notebook: its JSON is broken at line "
                              f"{error.lineno}, column {error.colno} ({error.msg}); "
                              "save it again from Jupyter") from None
    except RecursionError:
        raise SubmissionError(f"{name} is not a notebook (its JSON is nested too deeply)") \
            from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{name} is JSON but not a Jupyter notebook (it has no list of "
                              "cells); submit the .ipynb file that Jupyter saved")
    return notebook


def _source(cell):
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def as_python(source):
    """A cell's source as Jupyter would run it: magics and ``!`` lines become IPython calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:      # no IPython: comment out what only IPython understands
        lines = [("# (skipped) " + line if line.lstrip().startswith(("%", "!")) else line)
                 for line in source.split("\n")]
        return "\n".join(lines)
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 -- IPython could not parse it; compiling will say why
        return source


@dataclasses.dataclass
class GradedCell:
    role: str                 # 'setup' or 'exercise'
    exercise: str             # '1.2' for an exercise cell, '' for setup
    index: int                # the cell's position among all cells (from 0)
    source: str               # as Jupyter runs it

    @property
    def filename(self):
        """The name tracebacks show: ``<exercise 1.2>`` or ``<setup cell 3>``."""
        if self.role == "exercise":
            return f"<exercise {self.exercise}>"
        return f"<setup cell {self.index + 1}>"


@dataclasses.dataclass
class Submission:
    path: Path
    lesson: int
    cells: list               # GradedCell, in notebook order

    @property
    def exercise_ids(self):
        return {c.exercise for c in self.cells if c.role == "exercise"}


def read(path, lesson=None):
    """The graded cells of the notebook at ``path``, or :class:`SubmissionError`."""
    path = Path(path)
    try:
        from_name = lesson if lesson is not None else _name_lesson(path)
    except ValueError:
        from_name = None
    try:
        notebook = read_json(path)
    except SubmissionError as error:
        error.lesson = from_name
        raise
    number = lesson_number(path, notebook, override=lesson)
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        role, exercise = cell_role(source)
        if role:
            cells.append(GradedCell(role, exercise or "", index, as_python(source)))
    return Submission(path, number, cells)
