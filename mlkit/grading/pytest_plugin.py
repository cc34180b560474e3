"""pytest plugin: grade a notebook with plain pytest, and print the grade table at the end.

    pytest tests/lessons/test_lessons.py              # grades the reference solutions
    pytest tests/lessons/test_lessons.py --notebook my_copy.ipynb     # grades yours

Installing mlkit registers it (the ``pytest11`` entry point ``mlkit_grading``); the test that
grades is :func:`mlkit.grading.suite.test_exercise`, which a test file imports to collect it.
The notebook is graded once by the grading engine (learner code in a sandboxed worker, see
:mod:`mlkit.grading.engine`); every check is then one test, marked
``@pytest.mark.exercise("1.2")``, so ``-m`` and ``-k`` select exercises. A failing check reports
its hint, not a traceback.
"""
from pathlib import Path

import pytest

from mlkit.grading import engine, registry
from mlkit.grading.report import format_table
from mlkit.grading.submission import SubmissionError, lesson_number, read_json

REPORTS = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("mlkit grading")
    group.addoption("--notebook", action="append", default=[],
                    help="grade this notebook (repeatable; default: the reference solutions)")
    group.addoption("--lesson", type=int, default=None,
                    help="the lesson the --notebook belongs to, when its name does not say")
    group.addoption("--checks", default=None, metavar="DIR",
                    help="add the hidden checks in DIR (files lessonNN*.py)")


TARGETS = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[REPORTS] = {}
    if config.getoption("notebook"):      # a bad --notebook is a usage error, said at once
        config.stash[TARGETS] = _targets(config)
    config.addinivalue_line("markers", "exercise(id): a graded check of one lesson exercise")


class GradedCheck:
    """One check of one notebook: what a single pytest item looks up."""

    def __init__(self, path, lesson, check):
        self.path, self.lesson, self.check = Path(path), lesson, check

    def __repr__(self):
        return f"{self.path.name}:{self.check.id}"


def _targets(config):
    """(notebook path, lesson) pairs to grade."""
    checks_dir = config.getoption("checks")
    try:
        lessons = registry.lessons(checks_dir=checks_dir)
    except KeyError as error:
        raise pytest.UsageError(str(error.args[0])) from None
    chosen = config.getoption("notebook")
    if chosen:
        targets = []
        for path in chosen:
            try:
                number = lesson_number(path, read_json(path), override=config.getoption("lesson"))
            except SubmissionError as error:
                raise pytest.UsageError(str(error)) from None
            if number not in lessons:
                raise pytest.UsageError(f"{path}: lesson {number} has no graded exercises; "
                                        f"graded lessons are {', '.join(map(str, lessons))}")
            targets.append((Path(path), lessons[number]))
        return targets
    return [(lesson.solution, lesson) for lesson in lessons.values()
            if lesson.solution is not None and lesson.solution.exists()]


def pytest_generate_tests(metafunc):
    if "graded_check" not in metafunc.fixturenames:
        return
    config = metafunc.config
    targets = config.stash[TARGETS] if TARGETS in config.stash else _targets(config)
    params = [pytest.param(GradedCheck(path, lesson, check), id=f"{path.stem}/{check.id}",
                           marks=pytest.mark.exercise(id=check.exercise))
              for path, lesson in targets for check in lesson.checks]
    metafunc.parametrize("graded_check", params)


def report_for(config, path, lesson):
    """The engine's report for ``path``, graded on first use."""
    reports = config.stash[REPORTS]
    key = str(path)
    if key not in reports:
        reports[key] = engine.grade(path, lesson=lesson.number,
                                    checks_dir=config.getoption("checks"))
    return reports[key]


@pytest.fixture
def grade(request):
    """Look up a :class:`GradedCheck`'s verdict; a failure becomes a one-line hint."""
    def run(graded):
        report = report_for(request.config, graded.path, graded.lesson)
        if report.error:
            pytest.fail(f"not graded: {report.error}", pytrace=False)
        outcome = report.outcomes.get(graded.check.id)
        if outcome is None:
            pytest.fail(f"check {graded.check.id} did not run", pytrace=False)
        if not outcome.passed:
            pytest.fail(f"exercise {graded.check.exercise}: {outcome.hint}", pytrace=False)
    return run


def pytest_terminal_summary(terminalreporter, config):
    graded_solutions = not config.getoption("notebook")
    for path, report in config.stash[REPORTS].items():
        what = "reference solution" if graded_solutions else "notebook"
        name = Path(path).parent.name if graded_solutions else Path(path).name
        terminalreporter.write_sep("=", f"grade of the {what} {name} "
                                        f"(lesson {report.lesson})")
        terminalreporter.write_line(format_table(report, heading=""))
