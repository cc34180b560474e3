"""A grade as typed plain data, as a table a learner reads, and as CSV rows an instructor keeps.

A :class:`Report` holds the grade of one notebook::

    Report(notebook=path, lesson=1, title=..., earned=22, possible=24,
           exercises=[ExerciseGrade(id="1.1", title=..., earned=2, possible=2, hints=[]), ...],
           error="" or why it could not be graded, notes=[...], sandbox="bwrap" or "none",
           outcomes={check id: CheckResult(passed=bool, hint=str)})

``possible`` is always every check of the lesson, whatever the notebook did. Reports hold only
numbers, strings and lists of them, so they cross process boundaries as they are.
"""
import csv
import dataclasses
import textwrap
from pathlib import Path
from typing import Optional

from mlkit.atomic import atomic_write


@dataclasses.dataclass
class Outcome:
    """One check's verdict as the engine makes it (the check itself, not only its id)."""
    check: object          # registry.Check
    passed: bool
    hint: str = ""

    @property
    def earned(self):
        return self.check.points if self.passed else 0


@dataclasses.dataclass
class CheckResult:
    """One check's verdict in a report."""
    passed: bool
    hint: str = ""


@dataclasses.dataclass
class ExerciseGrade:
    """One exercise's row: points earned of possible, and one hint per distinct failure."""
    id: str
    title: str
    earned: float
    possible: float
    hints: list = dataclasses.field(default_factory=list)

    @property
    def full(self):
        return self.earned == self.possible


@dataclasses.dataclass
class Report:
    """The grade of one notebook (see the module's docstring)."""
    notebook: str
    lesson: Optional[int]
    title: str = ""
    exercises: list = dataclasses.field(default_factory=list)     # of ExerciseGrade
    earned: float = 0
    possible: float = 0
    error: str = ""
    notes: list = dataclasses.field(default_factory=list)         # of str
    sandbox: str = ""
    seed: Optional[int] = None    # the grading's seed: MLKIT_GRADE_SEED=<seed> draws the same
    outcomes: dict = dataclasses.field(default_factory=dict)      # check id -> CheckResult

    def exercise(self, exercise_id):
        """The :class:`ExerciseGrade` of ``exercise_id`` (KeyError when the lesson has none)."""
        for row in self.exercises:
            if row.id == exercise_id:
                return row
        raise KeyError(f"{self.notebook}: no exercise {exercise_id} in this report")


def summarize(lesson, outcomes):
    """Per-exercise :class:`ExerciseGrade` rows, in lesson order; every exercise of the lesson
    has one."""
    rows = []
    for exercise_id, title in lesson.exercises.items():
        mine = [o for o in outcomes if o.check.exercise == exercise_id]
        hints = []
        for outcome in mine:   # one load problem fails every check the same way: say it once
            if outcome.hint and outcome.hint not in hints:
                hints.append(outcome.hint)
        rows.append(ExerciseGrade(exercise_id, title, sum(o.earned for o in mine),
                                  lesson.possible(exercise_id), hints))
    return rows


def make_report(path, lesson, outcomes, notes=(), sandbox="", seed=None):
    rows = summarize(lesson, outcomes)
    return Report(notebook=str(path), lesson=lesson.number, title=lesson.title, exercises=rows,
                  earned=sum(r.earned for r in rows), possible=lesson.total(),
                  notes=list(notes), sandbox=sandbox, seed=seed,
                  outcomes={o.check.id: CheckResult(o.passed, o.hint) for o in outcomes})


ERROR_LENGTH = 1000     # characters of the sentence saying why a submission was not graded


def failed_report(path, lesson, error):
    """A submission that could not be graded: no points, the lesson's points possible when the
    lesson is known, and one sentence saying why."""
    rows = [] if lesson is None else [
        ExerciseGrade(i, t, 0, lesson.possible(i)) for i, t in lesson.exercises.items()]
    error = str(error)
    if len(error) > ERROR_LENGTH:
        error = error[:ERROR_LENGTH - 3] + "..."
    return Report(notebook=str(path), lesson=lesson.number if lesson else None,
                  title=lesson.title if lesson else "", exercises=rows,
                  possible=lesson.total() if lesson else 0, error=error)


def _points(value):
    return f"{value:g}"


def _wrapped_hint(hint, width=92):
    """A hint as lines of at most `width` characters (a notebook's output area wraps longer
    lines in the middle of a word), indented under the exercise's title."""
    first, indent = f"{'':<9} hint: ", " " * 16
    lines = []
    for paragraph in str(hint).splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, width, initial_indent=indent if lines else first,
                                   subsequent_indent=indent, break_long_words=False,
                                   break_on_hyphens=False) or [""])
    return lines


def format_table(report, heading=None):
    """The grade table: exercise, points earned / possible, one hint per failure."""
    lines = []
    if heading is None:
        heading = f"{report.notebook} (lesson {report.lesson})"
    if heading:
        lines.append(heading)
    if report.error:
        lines.append(f"NOT GRADED: {report.error}")
    rows = report.exercises
    width = max([len(r.title) for r in rows] + [5])
    if rows:
        lines.append(f"{'exercise':<9} {'title':<{width}}  points")
    for row in rows:
        mark = "ok " if row.full else "-- "
        lines.append(f"{row.id:<9} {row.title:<{width}}  {mark}"
                     f"{_points(row.earned)}/{_points(row.possible)}")
        for hint in row.hints:
            lines.extend(_wrapped_hint(hint))
    percent = 100 * report.earned / report.possible if report.possible else 0
    lines.append(f"{'total':<9} {'':<{width}}  {_points(report.earned)}/"
                 f"{_points(report.possible)} ({percent:.0f} %)")
    for note in report.notes:
        lines.append(f"note: {note}")
    if report.seed is not None and report.earned < report.possible:
        lines.append(f"the checks drew their inputs with seed {report.seed} "
                     f"(MLKIT_GRADE_SEED={report.seed} draws the same ones again)")
    return "\n".join(lines)


def _exercise_key(exercise_id):
    return tuple(int(part) if part.isdigit() else 0 for part in exercise_id.split("."))


CSV_FIXED = ["submission", "lesson"]
CSV_TAIL = ["total", "possible", "error", "notes", "seed"]
CSV_OPTIONAL = {"seed"}      # not in the CSVs of earlier versions, which merge all the same
CSV_TEXT = ("submission", "error", "notes")     # columns a submission can fill with any text
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_text(text):
    """``text`` as a CSV cell that a spreadsheet shows as text and never runs as a formula
    (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``): a cell whose first character, or first
    one after spaces, could start a formula gets a leading apostrophe."""
    text = str(text)
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_rows(reports):
    """The header and rows of the class's CSV (one row per submission)."""
    exercise_ids = sorted({row.id for r in reports for row in r.exercises}, key=_exercise_key)
    rows = []
    for report in reports:
        earned = {row.id: _points(row.earned) for row in report.exercises}
        rows.append([spreadsheet_text(report.notebook), report.lesson or "",
                     *(earned.get(i, "") for i in exercise_ids),
                     _points(report.earned), _points(report.possible),
                     spreadsheet_text(report.error), spreadsheet_text(" | ".join(report.notes)),
                     "" if report.seed is None else report.seed])
    return [*CSV_FIXED, *exercise_ids, *CSV_TAIL], rows


def write_csv(reports, destination):
    header, rows = csv_rows(reports)
    with atomic_write(destination, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


class MergeError(ValueError):
    pass


def merge_csv(sources, destination):
    """Join the CSVs of several shards into one (the union of their exercise columns).

    A submission that appears in two shards is refused: the shards overlap.
    """
    merged, exercise_ids = {}, set()
    for source in map(Path, sources):
        try:
            with open(source, newline="", encoding="utf-8") as file:
                reader = csv.DictReader(file)
                table = list(reader)
                header = list(reader.fieldnames or [])
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise MergeError(f"{source}: cannot be read as a grades CSV ({error})") from None
        if not set(CSV_FIXED + CSV_TAIL) - CSV_OPTIONAL <= set(header):
            raise MergeError(f"{source}: not a CSV written by `mlkit grade --csv` (its "
                             f"columns are {', '.join(header[:6])}...)")
        for row in table:
            if row["submission"] in merged:
                raise MergeError(f"{row['submission']} is in more than one CSV: the shards "
                                 "overlap (use the same N for every --shard I/N)")
            merged[row["submission"]] = row
            exercise_ids |= set(header) - set(CSV_FIXED + CSV_TAIL)
    ordered = sorted(exercise_ids, key=_exercise_key)
    with atomic_write(destination, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*CSV_FIXED, *ordered, *CSV_TAIL])
        for name in sorted(merged):
            row = merged[name]
            writer.writerow([spreadsheet_text(row.get(c) or "") if c in CSV_TEXT
                             else row.get(c, "") for c in [*CSV_FIXED, *ordered, *CSV_TAIL]])
    return len(merged)
