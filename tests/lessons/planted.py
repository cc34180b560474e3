"""Shared by the lessons' grading tests: plant typical mistakes in a copy of a solution
notebook, grade it in its own process, and assert what a learner would be told."""
import nbformat

from mlkit.grading.notebook import cell_role


def exercise_cell(notebook, exercise_id):
    """The one code cell marked ``#| exercise: <exercise_id>``."""
    cells = [c for c in notebook.cells
             if c.cell_type == "code" and cell_role(c.source) == ("exercise", exercise_id)]
    assert len(cells) == 1, f"expected one cell for exercise {exercise_id}, found {len(cells)}"
    return cells[0]


def plant(solution, mistakes, directory):
    """A copy of ``solution`` (same file name, so the same lesson) with each
    ``(exercise_id, right, wrong, ...)`` of ``mistakes`` applied to its exercise cell."""
    notebook = nbformat.read(solution, as_version=4)
    for exercise_id, right, wrong, *_ in mistakes:
        cell = exercise_cell(notebook, exercise_id)
        assert cell.source.count(right) == 1, \
            f"exercise {exercise_id}: the solution no longer holds {right!r} exactly once"
        cell.source = cell.source.replace(right, wrong)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / solution.name
    nbformat.write(notebook, path)
    return path


def plant_and_grade(solution, planted, tmp_path_factory):
    """``report(name)``: the grade of ``solution`` carrying the mistakes ``planted[name]``,
    planted and graded once per test module (grading takes seconds)."""
    from mlkit.grading.batch import grade_one
    reports = {}

    def report(name):
        if name not in reports:
            path = plant(solution, planted[name], tmp_path_factory.mktemp(f"mutated_{name}"))
            reports[name] = grade_one(path)
        return reports[name]
    return report


def rows_by_id(report):
    assert not report.get("error"), report.get("error")
    return {row["id"]: row for row in report["exercises"]}


def assert_untouched_scores_zero(lesson, report):
    """Every exercise graded, no point earned, and a 'not done yet' hint for each."""
    rows = rows_by_id(report)
    assert list(rows) == list(lesson.exercises), "every exercise of the lesson is graded"
    assert report["earned"] == 0
    assert report["possible"] == sum(lesson.possible(i) for i in lesson.exercises) > 0
    for exercise_id, row in rows.items():
        assert any(f"exercise {exercise_id} still raises NotImplementedError" in hint
                   for hint in row["hints"]), (exercise_id, row["hints"])


def assert_mistakes_cost_only_their_exercise(lesson, report, mistakes, partial=True):
    """Each mistaken exercise loses points (keeps some when ``partial``) with a hint holding its
    phrase (None: any hint); every other exercise keeps full marks and has no hint."""
    rows = rows_by_id(report)
    assert set(rows) == set(lesson.exercises)
    broken = {}
    for exercise_id, _, _, phrase in mistakes:
        broken.setdefault(exercise_id, []).append(phrase)
    for exercise_id, row in rows.items():
        if exercise_id not in broken:
            assert row["earned"] == row["possible"] and not row["hints"], (exercise_id, row)
            continue
        assert row["earned"] < row["possible"], f"{exercise_id} kept all its points: {row}"
        if partial:
            assert row["earned"] > 0, f"{exercise_id}: expected partial marks: {row}"
        assert not any("NotImplementedError" in hint for hint in row["hints"]), row["hints"]
        for phrase in filter(None, broken[exercise_id]):
            assert any(phrase in hint for hint in row["hints"]), \
                f"{exercise_id}: no hint mentions {phrase!r}: {row['hints']}"


def solution_block(solution, exercise_id, index=0):
    """The text between the ``index``-th ``### BEGIN SOLUTION`` / ``### END SOLUTION`` pair of
    exercise ``exercise_id``'s cell (the marker lines themselves excluded)."""
    import re
    notebook = nbformat.read(solution, as_version=4)
    blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION",
                        exercise_cell(notebook, exercise_id).source, re.S | re.M)
    return blocks[index]


def replacing_blocks(solution, table):
    """``{name: [(exercise, right, wrong, None)]}`` for ``plant`` from a table
    ``{name: [(exercise, block index, new block text)]}`` that replaces whole solution blocks."""
    import textwrap
    planted = {}
    for name, rows in table.items():
        planted[name] = []
        for exercise_id, index, text in rows:
            right = solution_block(solution, exercise_id, index)
            indent = right[:len(right) - len(right.lstrip())]
            planted[name].append((exercise_id, right,
                                  textwrap.indent(textwrap.dedent(text).strip("\n"), indent) + "\n",
                                  None))
    return planted


def assert_full_marks(report, name=""):
    rows = rows_by_id(report)
    lost = {i: row["hints"] for i, row in rows.items() if row["earned"] != row["possible"]}
    assert not lost, f"{name}: a correct answer lost points: {lost}"
    assert report["earned"] == report["possible"] > 0


def full_marks_test(solution, alternatives):
    """A test, parametrized over the notebooks of ``alternatives`` (a :func:`replacing_blocks`
    table of correct answers in other styles), that each earns full marks; each notebook is
    planted and graded once. Assign it to a ``test_...`` name in the lesson's test module."""
    import pytest

    @pytest.mark.slow
    @pytest.mark.parametrize("name", sorted(alternatives))
    def test(name, tmp_path_factory):
        from mlkit.grading.batch import grade_one
        answers = replacing_blocks(solution, {name: alternatives[name]})[name]
        assert_full_marks(grade_one(plant(solution, answers, tmp_path_factory.mktemp(name))),
                          name)
    return test


def reference_notebook_tests(lesson, solution, learner):
    """The two tests every lesson needs, as ``(untouched_test, solution_test)``: the released
    learner notebook scores 0 with a "not done yet" hint for every exercise, and the solution
    scores full marks. Assign them to ``test_...`` names in the lesson's test module."""
    import pytest

    @pytest.mark.slow
    def untouched_test():
        from mlkit.grading.batch import grade_one
        assert_untouched_scores_zero(lesson, grade_one(learner))
        assert len(lesson.exercises) >= 6

    @pytest.mark.slow
    def solution_test():
        from mlkit.grading.batch import grade_one
        report = grade_one(solution)
        assert not report["error"], report["error"]
        assert report["earned"] == report["possible"] == lesson.total(), rows_by_id(report)
    return untouched_test, solution_test
