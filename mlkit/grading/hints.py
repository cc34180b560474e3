"""Turning a failed check into one sentence a learner can act on."""
import traceback


class Hint(AssertionError):
    """A check failed; the message says what was expected and what came back."""


class ExerciseTimeout(Exception):
    """The learner's code ran longer than the check allows (an endless loop?)."""


def expect(condition, hint):
    """Fail the check with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise Hint(hint)


def _line_in_exercise(error):
    """'line N of exercise X' for the innermost frame that is the learner's own cell."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith("<exercise "):
            return f" (line {frame.lineno} of your exercise {frame.filename[10:-1]} cell)"
    return ""


def hint_for(error, exercise_id, timeout=None):
    """The one-line hint a learner sees for ``error`` raised while checking ``exercise_id``."""
    if isinstance(error, Hint):
        return str(error)
    if isinstance(error, NotImplementedError):
        return (f"not done yet: exercise {exercise_id} still raises NotImplementedError; "
                "replace that line with your code")
    if isinstance(error, ExerciseTimeout):
        return (f"your code ran longer than {timeout} s and was stopped: look for a loop "
                "that never ends, or a much larger computation than asked")
    if isinstance(error, RecursionError):
        return "your code called itself without end (RecursionError)" + _line_in_exercise(error)
    message = str(error).strip().splitlines()
    if type(error).__name__ == "InvalidType":  # chainer.utils.type_check.InvalidType
        detail = " ".join(line.strip() for line in message[:4])
        return ("Chainer's type check rejected an input: " + detail +
                ". Inputs must be float32 and class labels int32" + _line_in_exercise(error))
    first = message[0] if message else ""
    if "Expr instance cannot be evaluated as bool" in first:   # Chainer's reply to float labels
        return ("Chainer's type check failed on the labels: class labels must be int32 "
                "(yours are floats?); use t.astype(np.int32)" + _line_in_exercise(error))
    return f"your code raised {type(error).__name__}: {first}{_line_in_exercise(error)}"
