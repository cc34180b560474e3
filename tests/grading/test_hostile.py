"""Submissions that once fooled, crashed or slowed the grader, and what they get now.

Each case is a learner's cell doing what a real submission did (see the grader issue): cheats
score zero with the points possible unchanged; an interruption costs only the exercise it
happened in; the sandbox keeps a learner's code away from other submissions; magics run as
JupyterLab runs them. The toy lesson (tests/grading/toy.py) keeps each grading run short.
"""
import os
import subprocess
import time

import pytest

from mlkit.grading import engine, protocol, remote, sandbox
from tests.grading import toy

TOTAL = toy.lesson.total()


def grade(path, **options):
    return engine.grade(path, lessons={9: toy.lesson}, **options)


def earned(report):
    assert not report.error, report.error
    assert report.possible == TOTAL, "the points possible never depend on what ran"
    return {row.id: row.earned for row in report.exercises}


def hints(report, exercise_id):
    return " | ".join(next(r.hints for r in report.exercises if r.id == exercise_id))


def learner(tmp_path, cell_9_1):
    """The untouched learner notebook with ``cell_9_1`` as the body of exercise 9.1's cell."""
    return toy.write_learner_notebook(tmp_path / "09_toy.ipynb", replace={
        "def double(x):": cell_9_1 + "\ndef double(x):"})


def solved(tmp_path, old, new):
    return toy.write_notebook(tmp_path / "09_toy.ipynb", replace={old: new})


# ---------------------------------------------------------------------------------------------
# Cheats: full marks without solving anything, once; zero now, out of the same total.

@pytest.mark.parametrize("cheat", [
    "NotImplementedError = SystemExit",
    "NotImplementedError = KeyboardInterrupt",
    "import builtins\nbuiltins.NotImplementedError = SystemExit",
])
def test_renaming_the_stub_exception_scores_nothing(tmp_path, cheat):
    report = grade(learner(tmp_path, cheat))
    assert earned(report) == {"9.1": 0, "9.2": 0, "9.3": 0}
    if cheat.startswith("import builtins"):     # the builtin is put back before each check
        assert "still raises NotImplementedError" in hints(report, "9.2")
    else:
        assert "raised SystemExit" in hints(report, "9.2") or \
            "raised KeyboardInterrupt" in hints(report, "9.2")


def test_rewriting_the_graders_code_in_the_notebook_changes_nothing(tmp_path):
    cheat = ("import mlkit.grading.hints as h, mlkit.grading.report as r\n"
             "h.expect = lambda *a, **k: None\n"
             "r.Outcome.earned = property(lambda self: self.check.points)\n"
             "r.summarize = lambda lesson, outcomes: []\n")
    report = grade(learner(tmp_path, cheat))
    assert earned(report) == {"9.1": 0, "9.2": 0, "9.3": 0}


def test_writing_a_report_and_exiting_costs_that_exercise(tmp_path):
    cheat = ("import json, os\n"
             "json.dump([{'earned': 4, 'possible': 4}], open('grade.json', 'w'))\n"
             "os._exit(0)")
    report = grade(learner(tmp_path, cheat))
    assert earned(report) == {"9.1": 0, "9.2": 0, "9.3": 0}
    assert "stopped the grader's Python process" in hints(report, "9.1")
    assert "exit code 0" in hints(report, "9.1")


def test_the_reference_answers_cannot_be_imported(tmp_path):
    cheat = ("from mlkit_course.lesson01 import checks\n"
             "double = lambda x: 2 * x")
    report = grade(learner(tmp_path, cheat))
    assert earned(report)["9.1"] == 0
    assert "ImportError" in hints(report, "9.1") or "ModuleNotFound" in hints(report, "9.1")


def test_forging_answers_on_the_workers_channel_loses_the_exercise(tmp_path):
    forge = ("import gc, struct\n"
             "worker = next(o for o in gc.get_objects() if type(o).__name__ == 'Worker')\n"
             "body = b'{\"ok\": true, \"n\": 99}'\n"
             "worker.channel_out.write(struct.pack('>I', len(body)) + body)\n"
             "worker.channel_out.flush()\n")
    report = grade(solved(tmp_path, "    return 2 * x\n", "    return 2 * x\n" + "\n" + forge))
    assert earned(report)["9.1"] == 0
    assert earned(report)["9.2"] == 1 and earned(report)["9.3"] == 1


def _asking_lesson():
    """The toy lesson, but 9.1's check asks the worker's Chainer about the answer, as the
    checks of Lessons 4-6 do (a gradient through the learner's graph, a Variable's .array)."""
    import numpy as np

    from mlkit.grading.hints import expect
    from mlkit.grading.registry import Lesson
    asking = Lesson(9, "Toy lesson whose check asks the worker's Chainer", notebook="09_toy")
    for exercise_id, title in toy.lesson.exercises.items():
        asking.exercise(exercise_id, title)

    @asking.check("9.1", points=2)
    def doubles_with_a_graph(nb):
        x = nb.module("chainer").Variable(np.array([1.0, -2.0, 3.0], np.float32))
        y = nb.double(x)
        expect(np.allclose(nb.array(y), [2, -4, 6]), "double(x) should be 2 x")
        nb.module("chainer.functions").sum(y).backward()
        expect(x.grad is not None and np.allclose(nb.array(x.grad), 2),
               "the gradient of sum(double(x)) should be 2")

    for check in toy.lesson.checks:
        if check.exercise != "9.1":
            asking.checks.append(check)
    return asking


@pytest.mark.parametrize("patch", [
    # in a cell: the library's functions, a class's method, or a whole module
    "chainer.Variable.backward = lambda self, *a, **k: setattr(self_x[0], 'grad', "
    "numpy.full(3, 2, numpy.float32))",
    "chainer.functions.sum = lambda y: (setattr(self_x[0], 'grad', numpy.full(3, 2, "
    "numpy.float32)), chainer.Variable(numpy.zeros((), numpy.float32)))[1]",
    "import sys, types\nfake = types.ModuleType('chainer.functions')\n"
    "fake.sum = lambda y: (setattr(self_x[0], 'grad', numpy.full(3, 2, numpy.float32)), "
    "chainer.Variable(numpy.zeros((), numpy.float32)))[1]\n"
    "sys.modules['chainer.functions'] = fake",
])
@pytest.mark.parametrize("where", ["cell", "function"])
def test_monkeypatching_the_workers_libraries_does_not_fool_a_check(tmp_path, patch, where):
    # double() computes off the graph (its answer's values are right, its gradient is not)
    # and patches Chainer so that the check's backward() seems to find the gradient.
    body = ("    self_x[0] = x\n"
            "    return chainer.Variable(2 * numpy.asarray(getattr(x, 'array', x)))\n")
    patch_lines = patch.replace("\n", "\n    ")
    if where == "cell":
        cell = f"import chainer, numpy\nself_x = [None]\n{patch}\ndef double(x):\n{body}"
    else:
        cell = (f"import chainer, numpy\nself_x = [None]\ndef double(x):\n    {patch_lines}\n"
                f"{body}")
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION": cell})
    report = engine.grade(path, lessons={9: _asking_lesson()})
    assert earned(report) == {"9.1": 0, "9.2": 1, "9.3": 1}, report.exercises
    assert "gradient of sum(double(x)) should be 2" in hints(report, "9.1")
    assert any("changed the course's libraries" in note for note in report.notes), \
        report.notes


def test_an_honest_answer_passes_the_check_that_asks_the_workers_chainer(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb")
    report = engine.grade(path, lessons={9: _asking_lesson()})
    assert earned(report) == {"9.1": 2, "9.2": 1, "9.3": 1}, report.exercises
    assert not any("changed the course's libraries" in note for note in report.notes)


# ---------------------------------------------------------------------------------------------
# Interruptions: each costs the exercise it happened in, and the report says why.

@pytest.mark.parametrize("body, phrase", [
    ("    raise SystemExit(0)", "raised SystemExit"),
    ("    raise KeyboardInterrupt", "raised KeyboardInterrupt"),
    ("    import os; os._exit(3)", "exit code 3"),
    ("    import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed"),
    ("    while True:\n        try:\n            while True: pass\n"
     "        except BaseException: pass", "ran longer than 1 s"),
    ("    import re; re.match(r'(a+)+$', 'a' * 64 + 'b')", "ran longer than 1 s"),
    ("    import sys; sys.setrecursionlimit(10**6)\n    f = lambda n: f(n + 1)\n    f(0)",
     ""),
    ("    import numpy; a = numpy.zeros((2**19, 2**19)); a += 1", "memory"),
    ("    open('big', 'wb').write(bytes(2**30))", ""),
])
def test_an_interruption_inside_a_graded_function_costs_one_exercise(tmp_path, body, phrase):
    path = solved(tmp_path, "    return sum(v * v for v in values)", body)
    started = time.monotonic()
    report = grade(path)
    assert time.monotonic() - started < 60
    assert earned(report) == {"9.1": 2, "9.2": 0, "9.3": 1}
    assert phrase in hints(report, "9.2"), hints(report, "9.2")


@pytest.mark.parametrize("top_level, phrase", [
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("import os; os._exit(0)", "stopped the grader's Python process"),
    ("import sys; sys.exit()", "SystemExit"),
    ("while True:\n    try:\n        while True: pass\n    except BaseException: pass",
     "ran longer than 3 s"),
])
def test_an_interruption_at_a_cells_top_level_costs_that_cell_only(tmp_path, top_level, phrase):
    path = solved(tmp_path, "def sum_of_squares(values):",
                  top_level + "\ndef sum_of_squares(values):")
    report = grade(path, limits=engine.Limits(cell_timeout=3))
    assert earned(report) == {"9.1": 2, "9.2": 0, "9.3": 1}
    assert phrase in hints(report, "9.2"), hints(report, "9.2")


def test_a_submission_that_hangs_everywhere_is_stopped_as_a_whole(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", replace={
        "    return 2 * x\n": "    while True: pass\n",
        "    return sum(v * v for v in values)": "    while True: pass"})
    started = time.monotonic()
    report = grade(path, limits=engine.Limits(submission_seconds=3))
    assert time.monotonic() - started < 30
    assert earned(report) == {"9.1": 0, "9.2": 0, "9.3": 0}
    assert "used up the 3 s" in hints(report, "9.3")


def test_a_process_started_by_a_learner_does_not_outlive_grading(tmp_path):
    marker = "987654.321"
    spawn = (f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'], "
             "start_new_session=True)")
    grade(solved(tmp_path, "import warnings", "import warnings\n" + spawn))
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    if left.stdout.strip():
        subprocess.run(["pkill", "-f", f"sleep {marker}"])
    assert not left.stdout.strip(), "a learner's process survived grading"


# ---------------------------------------------------------------------------------------------
# The sandbox: no view of other submissions, the notebook itself, or the checks.

def _in_worker(code, kind="bwrap"):
    """Run ``code`` in a fresh (sandboxed) worker and return its global ``seen``."""
    zygote = engine.start_zygote(kind, engine.Limits())
    worker = zygote.fork()
    try:
        deadline = time.monotonic() + 60
        reply = worker.request({"op": "run_cell", "source": code, "filename": "<probe>"},
                               deadline)
        assert "error" not in reply, reply["error"]
        reply = worker.request({"op": "global", "name": "seen"}, deadline)
        return protocol.decode(reply["ok"], lambda handle: handle)
    finally:
        worker.kill()
        engine.close_zygote(zygote)


def _sandbox_or_fail():
    kind, note = sandbox.choose()
    if kind != "bwrap":
        if os.environ.get("CI"):
            pytest.fail(f"CI must prove the sandbox: {note}")
        pytest.skip(note)


PROBE = """
import os
def attempt(action):
    try:
        action()
        return "allowed"
    except Exception as error:
        return type(error).__name__
seen = {
    "list submissions": attempt(lambda: os.listdir(SUBMISSIONS)),
    "read a submission": attempt(lambda: open(os.path.join(SUBMISSIONS, "bob.ipynb")).read()),
    "write a submission": attempt(lambda: open(os.path.join(SUBMISSIONS, "eve.ipynb"), "w")),
    "delete a submission": attempt(lambda: os.remove(os.path.join(SUBMISSIONS, "bob.ipynb"))),
    "read the checks": attempt(lambda: open(LESSON + "/checks.py").read()),
    "read the solutions": attempt(lambda: open(LESSON + "/solution.ipynb").read()),
    "read another lesson's checks": attempt(lambda: open(COURSE + "/05_dcgan/checks.py").read()),
    "write the library": attempt(lambda: open(LIBRARY + "/evil.py", "w")),
    "write scratch": attempt(lambda: open("scratch.txt", "w").write("mine")),
    "network": attempt(lambda: __import__("socket").create_connection(("127.0.0.1", 22), 2)),
}
"""


def test_the_sandbox_denies_other_submissions_checks_and_network(tmp_path):
    _sandbox_or_fail()
    import mlkit
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "bob.ipynb").write_text("{}")
    library = os.path.dirname(mlkit.__file__)
    course = os.path.join(os.path.dirname(library), "course")
    code = (f"SUBMISSIONS = {str(submissions)!r}\nLIBRARY = {library!r}\nCOURSE = {course!r}\n"
            f"LESSON = {os.path.join(course, '01_logic_gates')!r}\n" + PROBE)
    seen = _in_worker(code)
    allowed = {action for action, result in seen.items() if result == "allowed"}
    assert allowed == {"write scratch"}, seen
    assert (submissions / "bob.ipynb").read_text() == "{}"
    assert sorted(os.listdir(submissions)) == ["bob.ipynb"]


def test_a_learner_cannot_delete_or_change_their_own_notebook(tmp_path):
    _sandbox_or_fail()
    path = solved(tmp_path, "import warnings",
                  f"import warnings, os\ntry:\n    os.remove({str(tmp_path / '09_toy.ipynb')!r})\n"
                  "except OSError:\n    pass")
    before = path.read_bytes()
    assert earned(grade(path)) == {"9.1": 2, "9.2": 1, "9.3": 1}
    assert path.read_bytes() == before


def test_without_a_sandbox_grading_says_so_and_keeps_its_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("MLKIT_SANDBOX", "none")
    report = grade(solved(tmp_path, "    return sum(v * v for v in values)",
                          "    while True: pass"))
    assert earned(report) == {"9.1": 2, "9.2": 0, "9.3": 1}
    assert any("no sandbox" in note for note in report.notes)


def test_a_required_sandbox_that_is_missing_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MLKIT_SANDBOX", "bwrap")
    monkeypatch.setattr(sandbox, "_bwrap_works", lambda: "bubblewrap (bwrap) is not installed")
    report = grade(toy.write_notebook(tmp_path / "09_toy.ipynb"))
    assert "apt-get install bubblewrap" in report.error


# ---------------------------------------------------------------------------------------------
# Notebooks as JupyterLab runs them

def test_magics_and_shell_lines_grade_as_in_jupyterlab(tmp_path):
    path = toy.write_notebook(tmp_path / "09_toy.ipynb", cells=[
        (kind, source.replace("import warnings", "%matplotlib inline\n%config "
                              "InlineBackend.figure_format = 'png'\n!ls /\n"
                              "%pip install nothing-at-all\nimport warnings")
         if kind == "code" else source) for kind, source in toy.SOLUTION_CELLS] + [
        ("code", "#| exercise: 9.3\n%time zeros = np.zeros((4, 2), np.float32)\n"
                 "def make_data():\n    return zeros.copy()")])
    report = grade(path)
    assert earned(report) == {"9.1": 2, "9.2": 1, "9.3": 1}
    above = toy.write_notebook(tmp_path / "09_above.ipynb", replace={
        "#| setup": "%matplotlib inline\n#| setup"})       # the magic above the marker
    assert earned(grade(above)) == {"9.1": 2, "9.2": 1, "9.3": 1}
    assert any("skipped !ls" in note for note in report.notes), report.notes
    assert any("skipped %pip" in note for note in report.notes), report.notes
