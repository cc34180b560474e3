"""`pytest tests/lessons/test_lessons.py --notebook X`: the same grade through plain pytest."""
import subprocess
import sys
from pathlib import Path

from mlkit.grading.registry import lesson

REPO = Path(__file__).resolve().parents[2]
LEARNER = REPO / "lessons" / "01_logic_gates.ipynb"


def run_pytest(*args):
    return subprocess.run([sys.executable, "-m", "pytest", "tests/lessons/test_lessons.py", "-q",
                           "-p", "no:cacheprovider", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)


def test_a_learner_notebook_fails_each_check_with_its_hint():
    from mlkit.grading import registry
    lesson = registry.lesson(1)
    result = run_pytest("--notebook", str(LEARNER))
    assert result.returncode == 1, result.stdout[-2000:]
    assert f"{len(lesson.checks)} failed" in result.stdout
    assert "exercise 1.3: not done yet" in result.stdout
    assert "grade of the notebook 01_logic_gates.ipynb (lesson 1)" in result.stdout
    assert f"0/{lesson.total():g} (0 %)" in result.stdout
    assert "Traceback" not in result.stdout


def test_exercises_can_be_selected_with_their_marker():
    result = run_pytest("--notebook", str(LEARNER), "-m", "exercise(id='1.3')")
    assert result.returncode in (1, 5)
    selected = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(selected) == len(lesson(1).checks_for("1.3")) >= 2, result.stdout[-2000:]
    assert all("/1.3/" in line for line in selected), \
        result.stdout[-2000:]


def test_a_file_that_is_not_a_notebook_is_a_usage_error(tmp_path):
    bad = tmp_path / "01_bad.ipynb"
    bad.write_text("nope")
    result = run_pytest("--notebook", str(bad))
    assert result.returncode == 4, result.stdout + result.stderr
    assert "JSON is broken" in result.stdout + result.stderr
