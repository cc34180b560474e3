"""The grade table wraps long hints between words: a notebook's output area would otherwise
break them in the middle of a word ("your co" / "de")."""
from mlkit.grading.report import ExerciseGrade, Report, format_table


def test_long_hint_wraps_between_words_under_its_exercise():
    hint = ("not done yet: exercise 1.3 still raises NotImplementedError; replace that line "
            "with your code")
    report = Report(notebook="x.ipynb", lesson=1, earned=0, possible=5, exercises=[
        ExerciseGrade("1.3", "Training AND by hand", 0, 5, [hint, "short"])])
    lines = format_table(report, heading="").splitlines()
    hint_lines = lines[2:-1]
    assert all(len(line) <= 92 for line in lines)
    assert hint_lines[0].startswith(" " * 10 + "hint: not done yet")
    assert all(line.startswith(" " * 16) and line[16] != " " for line in hint_lines[1:-1])
    assert " ".join(line.strip() for line in hint_lines[:-1]) == "hint: " + hint
    assert hint_lines[-1] == " " * 10 + "hint: short"
