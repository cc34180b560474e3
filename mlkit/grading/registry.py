"""Which checks grade which exercise of which lesson.

A lesson's checks live in ``mlkit/grading/checks/lessonNN.py``::

    lesson = Lesson(1, "Logic gates and define-by-run", notebook="01_logic_gates")
    lesson.exercise("1.2", "A one-layer AND classifier")

    @lesson.check("1.2", points=2)
    def and_model_has_two_outputs(nb):
        y = nb.make_and_model()(np.zeros((4, 2), np.float32))
        expect(y.shape == (4, 2), f"expected scores of shape (4, 2), got {y.shape}")

``nb`` is the learner's notebook (a :class:`mlkit.grading.notebook.Submission`): its names
read as attributes. A check passes by returning and fails by raising; ``expect`` fails with a hint.
"""
import dataclasses
import importlib
import pkgutil


@dataclasses.dataclass
class Check:
    lesson: int
    exercise: str
    name: str
    points: float
    timeout: float
    function: object

    @property
    def id(self):
        return f"{self.exercise}/{self.name}"


class Lesson:
    def __init__(self, number, title, notebook):
        self.number, self.title, self.notebook = number, title, notebook
        self.exercises = {}   # id -> title, in notebook order
        self.checks = []

    def exercise(self, exercise_id, title):
        if not exercise_id.startswith(f"{self.number}."):
            raise ValueError(f"exercise {exercise_id} does not belong to lesson {self.number}")
        self.exercises[exercise_id] = title

    def check(self, exercise_id, points=1, timeout=30):
        if exercise_id not in self.exercises:
            raise ValueError(f"declare exercise {exercise_id} with lesson.exercise() first")

        def register(function):
            self.checks.append(Check(self.number, exercise_id, function.__name__, points,
                                     timeout, function))
            return function
        return register

    def checks_for(self, exercise_id):
        return [c for c in self.checks if c.exercise == exercise_id]

    def possible(self, exercise_id):
        return sum(c.points for c in self.checks_for(exercise_id))


def lessons():
    """Every lesson that has checks, by number."""
    import mlkit.grading.checks as package
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("lesson"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found[module.lesson.number] = module.lesson
    return dict(sorted(found.items()))


def lesson(number):
    all_lessons = lessons()
    if number not in all_lessons:
        raise KeyError(f"no graded lesson {number}; graded lessons: {sorted(all_lessons)}")
    return all_lessons[number]
