"""Running checks against a submission and adding up the points."""
import dataclasses
import warnings

from mlkit.grading.hints import hint_for
from mlkit.grading.notebook import time_limit


@dataclasses.dataclass
class Outcome:
    check: object          # registry.Check
    passed: bool
    hint: str = ""

    @property
    def earned(self):
        return self.check.points if self.passed else 0


def run_check(check, submission):
    """Run one check; never raises for a learner's mistake, returns an :class:`Outcome`."""
    problem = submission.load_problem(check.exercise)
    if problem:
        return Outcome(check, False, problem)
    try:
        with time_limit(check.timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")   # warnings never cost points
            check.function(submission)
    except Exception as error:  # noqa: BLE001 -- anything a learner's code raises is a verdict
        return Outcome(check, False, hint_for(error, check.exercise, check.timeout))
    return Outcome(check, True)


def summarize(lesson, outcomes):
    """Per-exercise rows: ``{'id', 'title', 'earned', 'possible', 'hints'}``, in lesson order."""
    rows = []
    for exercise_id, title in lesson.exercises.items():
        mine = [o for o in outcomes if o.check.exercise == exercise_id]
        if not mine:
            continue
        hints = []
        for outcome in mine:   # one load problem fails every check the same way: say it once
            if outcome.hint and outcome.hint not in hints:
                hints.append(outcome.hint)
        rows.append({"id": exercise_id, "title": title,
                     "earned": sum(o.earned for o in mine),
                     "possible": sum(o.check.points for o in mine), "hints": hints})
    return rows


def _points(value):
    return f"{value:g}"


def format_table(rows, heading=""):
    """The grade table a learner reads: exercise, points earned / possible, one hint per failure."""
    width = max([len(r["title"]) for r in rows] + [5])
    lines = [heading] if heading else []
    lines.append(f"{'exercise':<9} {'title':<{width}}  points")
    for row in rows:
        mark = "ok " if row["earned"] == row["possible"] else "-- "
        lines.append(f"{row['id']:<9} {row['title']:<{width}}  {mark}"
                     f"{_points(row['earned'])}/{_points(row['possible'])}")
        for hint in row["hints"]:
            lines.append(f"{'':<9} hint: {hint}")
    earned = sum(r["earned"] for r in rows)
    possible = sum(r["possible"] for r in rows)
    percent = 100 * earned / possible if possible else 0
    lines.append(f"{'total':<9} {'':<{width}}  {_points(earned)}/{_points(possible)} "
                 f"({percent:.0f} %)")
    return "\n".join(lines)
