"""The notebooks a learner really hands in, planted into copies of a lesson's solution, and what
their grades must say. A lesson states them as data in ``course/NN_name/cases.py``; one test,
``tests/lessons/test_lesson_cases.py``, grades them all (and ``bench/check_stability.py``
reuses them).

The case format
===============

``cases.py`` holds three dicts, each of named notebooks (a name is free text, unique in the
lesson; it becomes the test's id)::

    MISTAKES = {                         # typical mistakes: each costs exactly its exercise
        "a": {
            "edits": [("1.3", "model = L.Linear(2, 2)", "model = L.Linear(2, 1)",
                       "2 class scores")],
            "lost": {"1.3": 3},                   # optional expectations, see below
        },
    }
    ALTERNATIVES = {                     # correct answers in other styles: full marks
        "loops_and_lists": {"edits": [("1.1", 0, '''
            x = np.array([[a, b] for a in (0, 1) for b in (0, 1)], np.float32)
            return x, np.array(table[gate], np.int32)
            ''')]},
    }
    CHEATS = {                           # answers that fake what a check looks at
        "a_hard_coded_table": {"edits": [...], "zero": ["1.5"]},
    }

A notebook is a dict with

``"edits"``
    the changes that make it, applied in order to a copy of the solution, each either

    * ``(cell, solution text, new text, hint phrase)``: replace the text, which must occur
      exactly once in the cell; the exercise's hints must hold ``hint phrase`` (None: any
      hint will do), or
    * ``(cell, block index, new text)``: replace the ``block index``-th (from 0)
      ``### BEGIN SOLUTION`` / ``### END SOLUTION`` block of the cell with ``new text``
      (written at any indentation: it is dedented, then indented as the block was).

    ``cell`` is an exercise id (the cell marked ``#| exercise: 1.3``) or ``"setup"`` (the cell
    marked ``#| setup``). The exercises an edit changes are *the case's exercises*; an edit of
    the setup cell names none (a cheat's alias made there counts for the exercise that uses it).
``"costless"`` (optional)
    edits in the same form (a hint phrase of None), applied first, that must cost nothing (a
    ``chainer.config.train = False`` left at the top level of a cell; a line magic in the setup
    cell). A notebook with only costless edits must keep full marks with no hint anywhere.

``"stability": False`` (optional)
    ``bench/check_stability.py`` leaves the notebook out (one that loops forever would wait out
    its checks' time limits on every seed).

and, for MISTAKES and CHEATS, any of these expectations of its grade:

===================  ====================================================================
``"zero"``           ``[exercise, ...]``: they earn nothing
``"partial"``        ``[exercise, ...]``: they keep part of their points (0 < earned < possible)
``"lost"``           ``{exercise: points}``: it loses exactly these points
``"hints"``          ``{exercise: [phrase, ...]}``: each phrase is in one of its hints
``"not_hinted"``     ``{exercise: [phrase, ...]}``: no hint of it holds any of them (a hint that
                     names a mistake the notebook did not make)
``"passed"``         ``[check id, ...]``: these checks pass (``"5.2/generator_loss_is_..."``)
``"failed"``         ``[check id, ...]``: these checks fail
``"only_failing"``   ``{exercise: [check id, ...]}``: exactly these checks of it fail, in the
                     lesson's order
``"check_hints"``    ``{check id: phrase}``: that check's hint holds the phrase
``"full_marks"``     ``[exercise, ...]``: they keep all their points (for CHEATS, where the
                     other exercises are not judged; for MISTAKES, to say which exercises a
                     costless edit must not hurt)
===================  ====================================================================

What is asserted of each notebook's grade (besides its expectations):

* MISTAKES: each of the case's exercises loses points, with no "still raises
  NotImplementedError" hint and with every hint phrase of its edits; every other exercise keeps
  full marks with no hint at all;
* CHEATS: each of the case's exercises loses points; the other exercises are judged only by
  ``"full_marks"`` (a cheat may break more than its own exercise, as a patched
  ``chainer.Variable.backward`` does);
* ALTERNATIVES: full marks (they take no expectations).

Every lesson, with or without ``cases.py``, is also graded untouched (``lessons/NN_name.ipynb``
scores 0 with "exercise N.M still raises NotImplementedError" for every exercise) and as its
solution (full marks). Each notebook is planted and graded once per test session.
"""
import re
import textwrap

import nbformat

from mlkit.grading.submission import cell_role

TABLES = ("MISTAKES", "ALTERNATIVES", "CHEATS")
EXPECTATIONS = ("zero", "partial", "lost", "hints", "not_hinted", "passed", "failed",
                "only_failing", "check_hints", "full_marks")
KEYS = ("edits", "costless", "stability") + EXPECTATIONS


# ---------------------------------------------------------------------------------------------
# Reading a lesson's cases

def lesson_cases(number):
    """``{table: {name: notebook}}`` of lesson ``number``'s ``cases.py`` (empty tables for
    a table it leaves out); None when the lesson has no ``cases.py``."""
    from mlkit.grading import course
    folder = course.folders().get(number)
    if folder is None or not (folder / "cases.py").is_file():
        return None
    module = course.import_part(number, "cases")
    return {table: dict(getattr(module, table, {})) for table in TABLES}


def is_block(edit):
    """A ``(cell, block index, new text)`` edit (else ``(cell, old, new, phrase)``)."""
    return len(edit) == 3 and isinstance(edit[1], int)


def exercises_of(case):
    """The exercises the case's (costing) edits change, in the order they first appear."""
    return list(dict.fromkeys(edit[0] for edit in case.get("edits", []) if edit[0] != "setup"))


def edit_phrases(case):
    """``{exercise: [the hint phrase, or None, of each of its edits]}`` for the case's
    exercises (what ``bench/check_stability.py`` also requires of a mistake on every seed)."""
    broken = {}
    for edit in case.get("edits", []):
        if edit[0] != "setup":
            broken.setdefault(edit[0], []).append(None if is_block(edit) else edit[3])
    return broken


def problems(lesson, table, name, case):
    """What is wrong with the case as data (unknown keys, exercises or checks), as sentences."""
    found = []
    where = f"lesson {lesson.number} {table}[{name!r}]"
    if not isinstance(case, dict):
        return [f"{where}: a notebook is a dict with 'edits', got {type(case).__name__}"]
    allowed = ("edits", "costless", "stability") if table == "ALTERNATIVES" else KEYS
    found += [f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})"
              for key in case if key not in allowed]
    if not case.get("edits") and not case.get("costless"):
        found.append(f"{where}: no edits")
    if table == "CHEATS" and not any(case.get(key) for key in EXPECTATIONS):
        found.append(f"{where}: a cheat says what it must not earn (zero, failed, ...)")
    for edit in list(case.get("costless", [])) + list(case.get("edits", [])):
        if not (is_block(edit) or (len(edit) == 4 and isinstance(edit[1], str)
                                   and isinstance(edit[2], str))):
            found.append(f"{where}: an edit is (cell, old, new, phrase) or (cell, block, new), "
                         f"got {edit!r:.80}")
        elif edit[0] != "setup" and edit[0] not in lesson.exercises:
            found.append(f"{where}: no exercise {edit[0]!r} in lesson {lesson.number}")
    found += [f"{where}: a costless edit expects no hint (its phrase is None): {edit!r:.80}"
              for edit in case.get("costless", [])
              if not is_block(edit) and edit[-1] is not None]
    exercises = set(lesson.exercises)
    named = (list(case.get("zero", [])) + list(case.get("partial", []))
             + list(case.get("full_marks", [])) + list(case.get("lost", {}))
             + list(case.get("hints", {})) + list(case.get("not_hinted", {}))
             + list(case.get("only_failing", {})))
    found += [f"{where}: no exercise {e!r} in lesson {lesson.number}"
              for e in named if e not in exercises]
    checks = {check.id for check in lesson.checks}
    ids = (list(case.get("passed", [])) + list(case.get("failed", []))
           + list(case.get("check_hints", {}))
           + [i for ids in case.get("only_failing", {}).values() for i in ids])
    found += [f"{where}: lesson {lesson.number} has no check {i!r}" for i in ids
              if i not in checks]
    changed = set(exercises_of(case))
    found += [f"{where}: {e} is to keep full marks, but an edit changes it"
              for e in case.get("full_marks", []) if e in changed]
    if table == "MISTAKES":      # every other exercise keeps full marks with no hint
        losing = (list(case.get("zero", [])) + list(case.get("partial", []))
                  + list(case.get("lost", {})) + list(case.get("hints", {})))
        found += [f"{where}: {e} is expected to lose points, but no edit changes it"
                  for e in losing if e not in changed]
    return found


# ---------------------------------------------------------------------------------------------
# Planting

def cell_of(notebook, cell):
    """The one code cell marked ``#| exercise: <cell>`` (or ``#| setup`` for ``"setup"``)."""
    role = ("setup", None) if cell == "setup" else ("exercise", cell)
    cells = [c for c in notebook.cells if c.cell_type == "code" and cell_role(c.source) == role]
    assert len(cells) == 1, f"expected one cell for {cell}, found {len(cells)}"
    return cells[0]


def solution_block(solution, exercise_id, index=0):
    """The text between the ``index``-th ``### BEGIN SOLUTION`` / ``### END SOLUTION`` pair of
    exercise ``exercise_id``'s cell (the marker lines themselves excluded)."""
    notebook = nbformat.read(solution, as_version=4)
    return _blocks(cell_of(notebook, exercise_id).source)[index]


def _blocks(source):
    return re.findall(r"### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION", source, re.S | re.M)


def _apply(cell, edit):
    if is_block(edit):
        blocks = _blocks(cell.source)
        exercise_id, index, text = edit
        assert index < len(blocks), \
            f"{exercise_id}: the solution has {len(blocks)} blocks, no block {index}"
        right = blocks[index]
        indent = right[:len(right) - len(right.lstrip())]
        wrong = textwrap.indent(textwrap.dedent(text).strip("\n"), indent) + "\n"
    else:
        exercise_id, right, wrong, _ = edit
    assert cell.source.count(right) == 1, \
        f"{exercise_id}: the solution no longer holds {right!r} exactly once"
    cell.source = cell.source.replace(right, wrong)


def plant(solution, edits, directory):
    """A copy of ``solution`` (same file name, so the same lesson) with ``edits`` (a list of
    edits, or a case: its costless edits, then its edits) applied, in ``directory``."""
    if isinstance(edits, dict):
        edits = list(edits.get("costless", [])) + list(edits.get("edits", []))
    notebook = nbformat.read(solution, as_version=4)
    for edit in edits:
        _apply(cell_of(notebook, edit[0]), edit)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / solution.name
    nbformat.write(notebook, path)
    return path


# ---------------------------------------------------------------------------------------------
# What a grade must say

def rows_by_id(report):
    assert not report.error, report.error
    return {row.id: row for row in report.exercises}


def assert_untouched_scores_zero(lesson, report):
    """Every exercise graded, no point earned, and a 'not done yet' hint for each."""
    rows = rows_by_id(report)
    assert list(rows) == list(lesson.exercises), "every exercise of the lesson is graded"
    assert report.earned == 0
    assert report.possible == sum(lesson.possible(i) for i in lesson.exercises) > 0
    for exercise_id, row in rows.items():
        assert any(f"exercise {exercise_id} still raises NotImplementedError" in hint
                   for hint in row.hints), (exercise_id, row.hints)


def assert_solution_scores_full_marks(lesson, report):
    assert not report.error, report.error
    assert report.earned == report.possible == lesson.total(), rows_by_id(report)


def assert_full_marks(report, name=""):
    rows = rows_by_id(report)
    lost = {i: row.hints for i, row in rows.items() if row.earned != row.possible}
    assert not lost, f"{name}: a correct answer lost points: {lost}"
    assert report.earned == report.possible > 0


def assert_loses_points(row, name, phrases):
    """The exercise's ``row`` lost points, not for being unfinished, with every phrase."""
    exercise_id = row.id
    assert row.earned < row.possible, f"{name}: {exercise_id} kept all its points: {row}"
    assert not any("NotImplementedError" in hint for hint in row.hints), \
        f"{name}: {exercise_id}: {row.hints}"
    for phrase in filter(None, phrases):
        assert any(phrase in hint for hint in row.hints), \
            f"{name}: {exercise_id}: no hint mentions {phrase!r}: {row.hints}"


def assert_mistake(lesson, report, name, case):
    """A MISTAKES notebook: its exercises lose points with their hints, every other exercise
    keeps full marks with no hint; then its expectations."""
    rows = rows_by_id(report)
    assert set(rows) == set(lesson.exercises), f"{name}: not every exercise was graded"
    phrases = edit_phrases(case)
    for exercise_id, row in rows.items():
        if exercise_id in phrases:
            assert_loses_points(row, name, phrases[exercise_id])
        else:
            assert row.earned == row.possible and not row.hints, \
                f"{name}: {exercise_id} was not changed, yet: {row}"
    assert_expectations(report, name, case)


def assert_cheat(lesson, report, name, case):
    """A CHEATS notebook: its exercises lose points; then its expectations."""
    rows = rows_by_id(report)
    assert set(rows) == set(lesson.exercises), f"{name}: not every exercise was graded"
    for exercise_id, found in edit_phrases(case).items():
        assert_loses_points(rows[exercise_id], name, found)
    assert_expectations(report, name, case)


def assert_expectations(report, name, case):
    rows = rows_by_id(report)
    outcomes = report.outcomes
    for exercise_id in case.get("zero", []):
        assert rows[exercise_id].earned == 0, \
            f"{name}: {exercise_id} should earn nothing: {rows[exercise_id]}"
    for exercise_id in case.get("partial", []):
        row = rows[exercise_id]
        assert 0 < row.earned < row.possible, \
            f"{name}: {exercise_id} should keep part of its points: {row}"
    for exercise_id, lost in case.get("lost", {}).items():
        row = rows[exercise_id]
        assert row.earned == row.possible - lost, \
            f"{name}: {exercise_id} should lose exactly {lost}: {row}"
    for exercise_id in case.get("full_marks", []):
        row = rows[exercise_id]
        assert row.earned == row.possible, f"{name}: {exercise_id} lost points: {row}"
    for exercise_id, phrases in case.get("hints", {}).items():
        for phrase in phrases:
            assert any(phrase in hint for hint in rows[exercise_id].hints), \
                f"{name}: {exercise_id}: no hint mentions {phrase!r}: {rows[exercise_id].hints}"
    for exercise_id, phrases in case.get("not_hinted", {}).items():
        for phrase in phrases:
            assert not any(phrase in hint for hint in rows[exercise_id].hints), \
                f"{name}: {exercise_id}: a hint names {phrase!r}, a mistake not made: " \
                f"{rows[exercise_id].hints}"
    for check_id in case.get("passed", []):
        assert outcomes[check_id].passed, f"{name}: {check_id} failed: {outcomes[check_id]}"
    for check_id in case.get("failed", []):
        assert not outcomes[check_id].passed, f"{name}: {check_id} passed"
    for exercise_id, failing in case.get("only_failing", {}).items():
        mine = {k: v for k, v in outcomes.items() if k.startswith(f"{exercise_id}/")}
        assert [k for k, v in mine.items() if not v.passed] == list(failing), \
            f"{name}: expected exactly {failing} of {exercise_id} to fail: {mine}"
    for check_id, phrase in case.get("check_hints", {}).items():
        assert phrase in outcomes[check_id].hint, \
            f"{name}: {check_id}'s hint does not mention {phrase!r}: {outcomes[check_id]}"
