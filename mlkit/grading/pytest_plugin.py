"""pytest plugin: grade a notebook with plain pytest, and print the grade table at the end.

    pytest tests/lessons/test_lessons.py              # grades the reference solutions
    pytest tests/lessons/test_lessons.py --notebook my_copy.ipynb     # grades yours

Every check is one test, marked ``@pytest.mark.exercise("1.2")``, so ``-m`` and ``-k`` select
exercises. A failing check reports its hint, not a traceback.
"""
import json
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import registry
from mlkit.grading.notebook import lesson_number, load
from mlkit.grading.runner import format_table, run_check, summarize


def pytest_addoption(parser):
    group = parser.getgroup("mlkit grading")
    group.addoption("--notebook", action="append", default=[],
                    help="grade this notebook (repeatable; default: the reference solutions)")
    group.addoption("--lesson", type=int, default=None,
                    help="the lesson the --notebook belongs to, when its name does not say")
    group.addoption("--grade-json", default=None, help="also write the grade as JSON to this file")


class GradedCheck:
    """One check of one notebook: what a single pytest item runs."""

    def __init__(self, path, check):
        self.path, self.check = Path(path), check

    def __repr__(self):
        return f"{self.path.name}:{self.check.id}"


def _targets(config):
    """(notebook path, lesson) pairs to grade."""
    lessons = registry.lessons()
    chosen = config.getoption("notebook")
    if chosen:
        targets = []
        for path in chosen:
            number = config.getoption("lesson")
            if number is None:
                number = lesson_number(path, nbformat.read(path, as_version=4))
            if number not in lessons:
                raise pytest.UsageError(f"{path}: lesson {number} has no graded exercises")
            targets.append((Path(path), lessons[number]))
        return targets
    solutions = Path(str(config.rootpath)) / "solutions"
    return [(solutions / f"{lesson.notebook}.ipynb", lesson) for lesson in lessons.values()
            if (solutions / f"{lesson.notebook}.ipynb").exists()]


def pytest_configure(config):
    config._mlkit_submissions = {}
    config._mlkit_outcomes = {}


def pytest_generate_tests(metafunc):
    if "graded_check" not in metafunc.fixturenames:
        return
    params = [pytest.param(GradedCheck(path, check), id=f"{path.stem}/{check.id}",
                           marks=pytest.mark.exercise(check.exercise))
              for path, lesson in _targets(metafunc.config) for check in lesson.checks]
    metafunc.parametrize("graded_check", params)


@pytest.fixture
def grade(request):
    """Run a :class:`GradedCheck`; a failure becomes a one-line hint."""
    config = request.config

    def run(graded):
        key = str(graded.path)
        if key not in config._mlkit_submissions:
            config._mlkit_submissions[key] = load(graded.path, lesson=graded.check.lesson)
        outcome = run_check(graded.check, config._mlkit_submissions[key])
        config._mlkit_outcomes.setdefault(key, []).append(outcome)
        if not outcome.passed:
            pytest.fail(f"exercise {graded.check.exercise}: {outcome.hint}", pytrace=False)
    return run


def grade_reports(config):
    """``[{'notebook', 'lesson', 'exercises': rows, 'earned', 'possible'}]`` for what ran."""
    reports = []
    for path, outcomes in config._mlkit_outcomes.items():
        lesson = registry.lesson(outcomes[0].check.lesson)
        rows = summarize(lesson, outcomes)
        reports.append({"notebook": path, "lesson": lesson.number, "title": lesson.title,
                        "exercises": rows, "earned": sum(r["earned"] for r in rows),
                        "possible": sum(r["possible"] for r in rows)})
    return reports


def pytest_terminal_summary(terminalreporter, config):
    reports = grade_reports(config)
    for report in reports:
        terminalreporter.write_sep("=", f"grade: lesson {report['lesson']}, "
                                        f"{Path(report['notebook']).name}")
        terminalreporter.write_line(format_table(report["exercises"]))
    path = config.getoption("grade_json")
    if path:
        Path(path).write_text(json.dumps(reports, indent=1))
