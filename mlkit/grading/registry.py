"""Which checks grade which exercise of which lesson.

A lesson's checks live in its folder of the course, ``course/NN_name/checks.py`` (see
:mod:`mlkit.grading.course`)::

    lesson = Lesson(1, "Logic gates and define-by-run", notebook="01_logic_gates")
    lesson.exercise("1.3", "A one-layer AND classifier")

    @lesson.check("1.3", points=1)
    def and_model_gives_two_scores(nb):
        y = nb.make_and_model()(nb.rng.normal(size=(4, 2)).astype(np.float32))
        expect(y.shape == (4, 2), f"expected scores of shape (4, 2), got {y.shape}")

``nb`` is the learner's notebook (all it offers: :mod:`mlkit.grading.notebook_api`): its names
read as attributes. A check passes by returning and fails by raising; ``expect`` fails with a
hint. Helpers that the checks of several lessons use are in :mod:`mlkit.grading.check_helpers`.

Instructors add hidden checks in the same form, in files ``lessonNN*.py`` of a folder given as
``mlkit grade --checks DIR``; such a file starts with ``lesson = extend(N)`` (``from
mlkit.grading.registry import extend``) and its checks count like the course's own.
"""
import dataclasses
import importlib.util
from pathlib import Path

from mlkit.grading import course


@dataclasses.dataclass
class Check:
    """One check: ``function(nb)`` passes by returning; it earns ``points`` for ``exercise``."""

    lesson: int
    exercise: str
    name: str
    points: float
    timeout: float
    function: object
    hidden: bool = False

    @property
    def id(self):
        return f"{self.exercise}/{self.name}"


@dataclasses.dataclass(frozen=True)
class Guard:
    """Exercise ``exercise`` asks the learner to write what ``names`` already do."""

    exercise: str
    names: tuple
    how: str = None

    def hint(self, used):
        """The hint for an answer that called ``used`` (a function's qualified name)."""
        return (f"exercise {self.exercise} asks you to write this yourself: your code used "
                f"{used}, which does the work for you (called directly, under another name, "
                "through a wrapper or a subclass)" + (f"; {self.how}" if self.how else ""))


class Lesson:
    """A lesson's exercises and their checks, as its ``checks.py`` declares them; ``notebook``
    is the name of its folder in the course (``01_logic_gates``)."""

    def __init__(self, number, title, notebook):
        self.number, self.title, self.notebook = number, title, notebook
        self.folder = None    # the lesson's folder in the course, set when the course is read
        self.exercises = {}   # id -> title, in notebook order
        self.checks = []
        self.guards = {}      # exercise id -> Guard: what may not stand in for the answer
        self.hidden = False

    def exercise(self, exercise_id, title, write_yourself=(), how=None):
        """Declare exercise ``exercise_id``. ``write_yourself`` names the library callables
        (functions, classes, modules) that may not stand in for the learner's code while its
        checks run (:mod:`mlkit.grading.guard`); ``how`` says what to write instead."""
        if not exercise_id.startswith(f"{self.number}."):
            raise ValueError(f"exercise {exercise_id} does not belong to lesson {self.number}")
        if isinstance(write_yourself, str):
            write_yourself = (write_yourself,)
        self.exercises[exercise_id] = title
        if write_yourself:
            self.guards[exercise_id] = Guard(exercise_id, tuple(write_yourself), how)

    def guarded_names(self):
        """Every name that some exercise's ``write_yourself`` declares."""
        return sorted({n for guard in self.guards.values() for n in guard.names})

    def check(self, exercise_id, points=1, timeout=30):
        if exercise_id not in self.exercises:
            raise ValueError(f"lesson {self.number} has no exercise {exercise_id}; declare it "
                             "with lesson.exercise() first")

        def register(function):
            self.checks.append(Check(self.number, exercise_id, function.__name__, points,
                                     timeout, function, hidden=self.hidden))
            return function
        return register

    def checks_for(self, exercise_id):
        return [c for c in self.checks if c.exercise == exercise_id]

    def possible(self, exercise_id):
        return sum(c.points for c in self.checks_for(exercise_id))

    def total(self):
        return sum(c.points for c in self.checks)

    def copy(self):
        twin = Lesson(self.number, self.title, self.notebook)
        twin.exercises, twin.checks = dict(self.exercises), list(self.checks)
        twin.guards = dict(self.guards)
        twin.folder = self.folder
        return twin

    @property
    def solution(self):
        """The reference solution notebook, or None for a lesson made outside a course."""
        return self.folder / course.SOLUTION if self.folder else None


def _course_lessons():
    found = {}
    for number, folder in course.folders().items():
        declared = course.import_part(number, "checks").lesson
        if declared.number != number or declared.notebook != folder.name:
            raise course.CourseError(
                f"{folder / 'checks.py'} declares lesson {declared.number} "
                f"({declared.notebook!r}); its folder says lesson {number} ({folder.name!r})")
        declared.folder = folder
        found[number] = declared
    return found


_extending = {}


def extend(number):
    """In a hidden-checks file: the lesson whose checks this file adds to."""
    if number not in _extending:
        raise KeyError(f"no graded lesson {number} to extend")
    return _extending[number]


def _add_hidden(found, folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise KeyError(f"--checks {folder}: no such folder")
    for path in sorted(folder.glob("lesson*.py")):
        extended = {n: lesson.copy() for n, lesson in found.items()}
        for lesson in extended.values():
            lesson.hidden = True
        _extending.clear()
        _extending.update(extended)
        spec = importlib.util.spec_from_file_location(f"mlkit_hidden_checks_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise KeyError(f"hidden checks {path} could not be loaded: "
                           f"{type(error).__name__}: {error}") from None
        finally:
            _extending.clear()
        for lesson in extended.values():
            lesson.hidden = False
        found.update(extended)
    return found


def lessons(checks_dir=None):
    """Every lesson that has checks, by number (with the hidden checks of ``checks_dir``)."""
    found = _course_lessons()
    if checks_dir:
        found = _add_hidden(dict(found), checks_dir)
    return dict(sorted(found.items()))


def lesson(number, checks_dir=None):
    all_lessons = lessons(checks_dir)
    if number not in all_lessons:
        raise KeyError(f"lesson {number} has no graded exercises; graded lessons are "
                       f"{', '.join(map(str, all_lessons))}")
    return all_lessons[number]
