"""Turning a failed check into one sentence a learner can act on."""
import traceback


class Hint(AssertionError):
    """A check failed; the message says what was expected and what came back."""


class ExerciseTimeout(Exception):
    """The learner's code ran longer than the check allows (an endless loop?)."""


class LearnerError(Exception):
    """An exception that a learner's code raised in the worker, as plain data: its class name,
    the names of its classes (``mro``), its message and where it happened."""

    def __init__(self, type_name, mro, message, frames=(), syntax_line=None):
        super().__init__(message)
        self.type_name, self.mro, self.message = type_name, list(mro), message
        self.frames, self.syntax_line = [tuple(f) for f in frames], syntax_line

    @classmethod
    def from_description(cls, data):
        """The error a worker described; every part bounded (a worker may send anything)."""
        data = data if isinstance(data, dict) else {}

        def listed(name, part):
            value = data.get(name)
            return value[part] if isinstance(value, list) else []

        frames = [[str(f[0])[:300], f[1] if type(f[1]) is int else 0, str(f[2])[:200]]
                  for f in listed("frames", slice(-30, None))
                  if isinstance(f, list) and len(f) == 3]
        line = data.get("syntax_line")
        return cls(str(data.get("type", "Exception"))[:200],
                   [str(m)[:300] for m in listed("mro", slice(50))],
                   str(data.get("message", ""))[:4000], frames,
                   line if type(line) is int else None)

    def is_a(self, name):
        return is_a(self, name)


def type_names(error):
    """The qualified names of ``error``'s classes, for a local or a worker's exception."""
    if isinstance(error, LearnerError):
        return error.mro or [error.type_name]
    return [f"{k.__module__}.{k.__qualname__}" for k in type(error).__mro__]


def is_a(error, name):
    """Whether ``error`` is an instance of a class called ``name`` (``'InvalidType'`` or a
    qualified ``'chainer.utils.type_check.InvalidType'``), wherever it was raised."""
    return any(n == name or n.endswith("." + name) for n in type_names(error))


def _type_name(error):
    return error.type_name if isinstance(error, LearnerError) else type(error).__name__


def _message(error):
    return error.message if isinstance(error, LearnerError) else str(error)


def _frames(error):
    if isinstance(error, LearnerError):
        return error.frames
    return [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(error.__traceback__)]


def expect(condition, hint):
    """Fail the check with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise Hint(hint)


def line_in_exercise(error):
    """' (line N of your exercise X cell)' for the innermost frame in a learner's own cell."""
    for filename, lineno, _ in reversed(_frames(error)):
        if str(filename).startswith("<exercise "):
            return f" (line {lineno} of your exercise {str(filename)[10:-1]} cell)"
    return ""


def hint_for(error, exercise_id, timeout=None):
    """The one-line hint a learner sees for ``error`` raised while checking ``exercise_id``."""
    if isinstance(error, Hint):
        return str(error)
    if isinstance(error, ExerciseTimeout):
        return (f"your code ran longer than {timeout:g} s and was stopped: look for a loop "
                "that never ends, or a much larger computation than asked")
    if is_a(error, "NotImplementedError") and not is_a(error, "mlkit.grading.hints.Hint"):
        return (f"not done yet: exercise {exercise_id} still raises NotImplementedError; "
                "replace that line with your code")
    where = line_in_exercise(error)
    if is_a(error, "RecursionError"):
        return "your code called itself without end (RecursionError)" + where
    if is_a(error, "SystemExit") or is_a(error, "KeyboardInterrupt"):
        return (f"your code raised {_type_name(error)}, which stops a program: a graded "
                "function must return its answer" + where)
    if is_a(error, "MemoryError"):
        return "your code ran out of memory (MemoryError): is an array far larger than asked?" \
            + where
    message = _message(error).strip().splitlines()
    if is_a(error, "InvalidType"):  # chainer.utils.type_check.InvalidType
        detail = " ".join(line.strip() for line in message[:4])
        return "Chainer's type check rejected an input: " + detail + where
    first = message[0][:300] if message else ""
    if "Expr instance cannot be evaluated as bool" in first:
        # Chainer says this for any failed check of its inputs (dtype, length or rank alike)
        return ("Chainer's type check refused the inputs of a function: check their shapes and "
                "types (F.softmax_cross_entropy takes float32 scores of shape (N, K) and int32 "
                "labels of shape (N,))" + where)
    return f"your code raised {_type_name(error)}: {first}{where}"
