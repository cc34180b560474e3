"""Reading a learner's notebook the way the grader sees it.

Two markers on the first line of a code cell matter to the grader::

    #| setup                 imports and data that the exercises need
    #| exercise: 1.2         the learner's answer to exercise 1.2

Everything else (demos, long training runs, plots, ``mlkit.check`` cells) is skipped, so
grading takes seconds. Setup cells run first, then each exercise cell in notebook order, in one
namespace; an exercise cell that fails or hangs costs only that exercise. The notebook file is
only ever read.
"""
import contextlib
import os
import re
import signal
import threading
import time
import warnings
from pathlib import Path

import nbformat

from mlkit.grading.hints import ExerciseTimeout, Hint, hint_for

SETUP = re.compile(r"^#\|\s*setup\b")
EXERCISE = re.compile(r"^#\|\s*exercise:?\s*(\d+\.\d+)\b")
CELL_TIMEOUT = 60


def cell_role(source):
    """``('setup', None)``, ``('exercise', '1.2')`` or ``(None, None)`` for a cell's source."""
    first = source.lstrip("\n").split("\n", 1)[0]
    if SETUP.match(first):
        return "setup", None
    match = EXERCISE.match(first)
    if match:
        return "exercise", match.group(1)
    return None, None


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`ExerciseTimeout` in this thread after ``seconds`` (main thread, Unix only).

    Nests: an outer timer (pytest-timeout's, say) is restarted with what it had left.
    """
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise ExerciseTimeout(f"stopped after {seconds} s")

    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer_left - (time.monotonic() - started), 0.001))


def lesson_number(path, notebook=None):
    """The lesson a notebook belongs to: its ``mlkit.lesson`` metadata, else a leading ``NN_``."""
    if notebook is not None:
        number = notebook.metadata.get("mlkit", {}).get("lesson")
        if number is not None:
            return int(number)
    match = re.match(r"(\d+)[_-]", Path(path).name)
    if match:
        return int(match.group(1))
    raise ValueError(
        f"cannot tell which lesson {path} is: its metadata has no mlkit.lesson and its name "
        "does not start with the lesson number (like 01_logic_gates.ipynb); pass --lesson N")


class Submission:
    """A loaded notebook: its names read as attributes, plus what went wrong while loading."""

    def __init__(self, path, lesson, namespace, setup_error, cell_errors, exercise_ids):
        self.path, self.lesson = Path(path), lesson
        self.namespace = namespace
        self.setup_error = setup_error      # hint text, or None
        self.cell_errors = cell_errors      # exercise id -> hint text
        self.exercise_ids = exercise_ids    # exercises that have a marked cell

    @classmethod
    def from_namespace(cls, namespace, lesson=None):
        """A live notebook (``mlkit.check`` in a kernel): nothing to load, nothing failed."""
        return cls("<this notebook>", lesson, namespace, None, {}, None)

    def load_problem(self, exercise_id):
        """Why exercise ``exercise_id`` cannot be graded at all, or None."""
        if self.setup_error:
            return self.setup_error
        if self.exercise_ids is not None and exercise_id not in self.exercise_ids:
            return (f"no cell is marked '#| exercise: {exercise_id}'; put that line back at the "
                    "top of your answer cell (compare with a fresh copy of the lesson)")
        return self.cell_errors.get(exercise_id)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.namespace[name]
        except KeyError:
            raise Hint(f"`{name}` is not defined in your notebook; define it in its exercise "
                       "cell (keep the name exactly as given)") from None


def _run_cell(source, filename, namespace, timeout):
    code = compile(source, filename, "exec")
    with time_limit(timeout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, namespace)


def load(path, lesson=None, cell_timeout=CELL_TIMEOUT):
    """Run a notebook's setup and exercise cells; return a :class:`Submission`.

    Sizes come from smoke mode unless ``MLKIT_MODE`` is already set: grading checks
    correctness on small data.
    """
    path = Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:
        raise ValueError(f"{path} is not a readable notebook ({error}); "
                         "submit the .ipynb file saved by Jupyter") from error
    lesson = lesson if lesson is not None else lesson_number(path, notebook)
    os.environ.setdefault("MLKIT_MODE", "smoke")
    namespace = {"__name__": "__submission__"}
    setup_error, cell_errors, exercise_ids = None, {}, []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        role, exercise_id = cell_role(cell.source)
        if role == "setup" and setup_error is None:
            try:
                _run_cell(cell.source, f"<setup cell {index}>", namespace, cell_timeout)
            except BaseException as error:  # noqa: BLE001 -- a learner's cell may raise anything
                if isinstance(error, KeyboardInterrupt):
                    raise
                setup_error = (f"a setup cell (cell {index + 1}) failed with "
                               f"{type(error).__name__}: {error}; restore it from a fresh copy "
                               "of the lesson, setup cells are not exercises")
        elif role == "exercise":
            exercise_ids.append(exercise_id)
            cell_errors.pop(exercise_id, None)
            try:
                _run_cell(cell.source, f"<exercise {exercise_id}>", namespace, cell_timeout)
            except SyntaxError as error:
                cell_errors[exercise_id] = (f"your exercise {exercise_id} cell has a "
                                            f"SyntaxError on line {error.lineno}: {error.msg}")
            except BaseException as error:  # noqa: BLE001
                if isinstance(error, KeyboardInterrupt):
                    raise
                cell_errors[exercise_id] = ("running your cell failed: " +
                                            hint_for(error, exercise_id, cell_timeout))
    return Submission(path, lesson, namespace, setup_error, cell_errors, exercise_ids)
