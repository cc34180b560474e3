"""Every lesson's grader on the notebooks a learner really hands in.

For every lesson of the course: the untouched learner notebook scores 0 with a "still raises
NotImplementedError" hint for every exercise, and the solution scores full marks. For every
lesson with a ``cases.py`` (its format: ``tests/lessons/planted.py``): each planted mistake
costs exactly its exercises, with its hints; each correct alternative earns full marks; each
cheat earns nothing for what it fakes; and the cases themselves are well-formed (fast, no
grading).

Grading takes seconds per notebook, so every notebook that the selected tests need is planted
and graded once per session, two at a time, in the order the tests come: each test waits only
for its own notebook (``graded``).
"""
import concurrent.futures
import dataclasses
import multiprocessing
import re
from pathlib import Path

import pytest

from mlkit.grading import registry
from tests.lessons.planted import (assert_cheat, assert_full_marks, assert_mistake,
                                   assert_solution_scores_full_marks,
                                   assert_untouched_scores_zero, lesson_cases, plant, problems)

REPO = Path(__file__).resolve().parents[2]
JOBS = 2

LESSONS = registry.lessons()
CASES = {number: cases for number in LESSONS
         if (cases := lesson_cases(number)) is not None}


@dataclasses.dataclass(frozen=True)
class Notebook:
    """One notebook to grade: lesson ``number``'s learner notebook, its solution, or the case
    ``name`` of its ``table`` (MISTAKES, ALTERNATIVES, CHEATS) planted into its solution."""
    number: int
    table: str
    name: str = ""

    def __str__(self):
        return f"lesson{self.number:02d}-{self.name or self.table}"

    @property
    def lesson(self):
        return LESSONS[self.number]

    @property
    def case(self):
        return CASES[self.number][self.table][self.name]

    def path(self, tmp_path_factory):
        if self.table == "learner":
            return REPO / "lessons" / f"{self.lesson.folder.name}.ipynb"
        if self.table == "solution":
            return self.lesson.solution
        folder = re.sub(r"[^A-Za-z0-9_]+", "_", f"{self}_{self.table}")[:60]
        return plant(self.lesson.solution, self.case, tmp_path_factory.mktemp(folder))


def notebooks(table):
    found = [Notebook(number, table, name)
             for number, cases in CASES.items() for name in sorted(cases[table])]
    return pytest.mark.parametrize("notebook", found, ids=str)


@pytest.fixture(scope="session")
def graded(request, tmp_path_factory):
    """``graded(notebook)``: its report. At the session's start every notebook the selected
    tests need goes to a pool of ``JOBS`` grading processes (each grading drives its own
    sandboxed worker), in test order."""
    from mlkit.grading.batch import grade_one
    wanted = [item.callspec.params.get("notebook") for item in request.session.items
              if hasattr(item, "callspec")]
    pool = concurrent.futures.ProcessPoolExecutor(
        JOBS, mp_context=multiprocessing.get_context("spawn"))
    futures = {}

    def submit(notebook):
        if notebook not in futures:
            try:
                path = str(notebook.path(tmp_path_factory))
            except Exception as error:    # a case that no longer plants fails its own test
                futures[notebook] = concurrent.futures.Future()
                futures[notebook].set_exception(error)
            else:
                # keep: the process keeps its zygote for the next notebook
                futures[notebook] = pool.submit(grade_one, path, keep=True)
        return futures[notebook]

    for notebook in wanted:
        if isinstance(notebook, Notebook):
            submit(notebook)
    yield lambda notebook: submit(notebook).result()
    pool.shutdown(wait=True, cancel_futures=True)


every_lesson = pytest.mark.parametrize(
    "notebook", [Notebook(number, "learner") for number in LESSONS], ids=str)


@pytest.mark.slow
@every_lesson
def test_untouched_learner_notebook_scores_zero_with_a_hint_everywhere(notebook, graded):
    assert_untouched_scores_zero(notebook.lesson, graded(notebook))
    assert len(notebook.lesson.exercises) >= 6
    assert graded(notebook).possible >= 6


@pytest.mark.slow
@pytest.mark.parametrize("notebook", [Notebook(number, "solution") for number in LESSONS],
                         ids=str)
def test_the_solution_scores_full_marks(notebook, graded):
    assert_solution_scores_full_marks(notebook.lesson, graded(notebook))


@pytest.mark.slow
@notebooks("MISTAKES")
def test_a_mistake_costs_only_its_exercises_with_their_hints(notebook, graded):
    assert_mistake(notebook.lesson, graded(notebook), str(notebook), notebook.case)


@pytest.mark.slow
@notebooks("ALTERNATIVES")
def test_a_correct_answer_in_another_style_earns_full_marks(notebook, graded):
    assert_full_marks(graded(notebook), str(notebook))


@pytest.mark.slow
@notebooks("CHEATS")
def test_a_cheat_earns_nothing_for_what_it_fakes(notebook, graded):
    assert_cheat(notebook.lesson, graded(notebook), str(notebook), notebook.case)


@pytest.mark.parametrize("number", CASES, ids=lambda n: f"lesson{n:02d}")
def test_the_cases_are_well_formed_and_plant(number, tmp_path):
    lesson, found, names = LESSONS[number], [], {}
    for table, cases in CASES[number].items():
        for index, (name, case) in enumerate(cases.items()):
            names.setdefault(name, []).append(table)
            wrong = problems(lesson, table, name, case)
            found += wrong
            if not wrong:
                try:
                    plant(lesson.solution, case, tmp_path / f"{table}{index}")
                except AssertionError as error:
                    found.append(f"lesson {number} {table}[{name!r}]: {error}")
    found += [f"lesson {number}: {name!r} names a notebook in {tables}"
              for name, tables in names.items() if len(tables) > 1]
    assert not found, "\n".join(found)
    assert CASES[number]["MISTAKES"], "a lesson's cases plant at least one mistake"
