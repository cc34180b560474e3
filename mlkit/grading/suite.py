"""The grading test: one parametrized test, one case per check (see ``pytest_plugin``)."""


def test_exercise(graded_check, grade):
    grade(graded_check)
