"""``mlkit.check("1.3")``: the grader's verdict on one exercise, inside the notebook, at once."""
from mlkit.grading import registry
from mlkit.grading.notebook import Submission
from mlkit.grading.runner import format_table, run_check, summarize


class Verdict:
    """The rows of one exercise's grade; prints as the grade table."""

    def __init__(self, rows):
        self.rows = rows
        self.earned = sum(r["earned"] for r in rows)
        self.possible = sum(r["possible"] for r in rows)

    def __bool__(self):
        return self.earned == self.possible

    def __repr__(self):
        return format_table(self.rows)


def check_now(exercise_id, namespace):
    exercise_id = str(exercise_id)
    try:
        lesson = registry.lesson(int(exercise_id.split(".")[0]))
    except (KeyError, ValueError):
        raise ValueError(f"{exercise_id!r} is not an exercise; write it like mlkit.check('1.3')") \
            from None
    if exercise_id not in lesson.exercises:
        raise ValueError(f"lesson {lesson.number} has no exercise {exercise_id}; it has "
                         f"{', '.join(lesson.exercises)}")
    submission = Submission.from_namespace(namespace, lesson.number)
    outcomes = [run_check(c, submission) for c in lesson.checks_for(exercise_id)]
    verdict = Verdict(summarize(lesson, outcomes))
    print(verdict)
    if verdict:
        print("Well done: this exercise passes every check.")
    return verdict
