"""Auto-grading of the lessons.

With no option this grades every reference solution in ``solutions/`` and must score 100 %;
``--notebook PATH`` grades a learner's notebook with the very same checks.
"""
from mlkit.grading.suite import test_exercise  # noqa: F401  (collected here by pytest)
