"""One hostile submission in a class cannot touch the others.

In a folder run one grading process grades many notebooks, one after the other, with one zygote
(one sandbox). Each case grades a folder whose FIRST notebook is hostile and whose next ones are
honest, and asserts that the honest ones get exactly the grade they get alone, and that nothing
the hostile one started is left when its grade is written. The toy lesson (tests/grading/toy.py)
keeps each run short; it is put in a course folder of its own (``MLKIT_COURSE``) so that
``grade_many`` finds it in every grading process, as it finds a real course.
"""
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from mlkit.grading import batch, course, engine, sandbox
from tests.grading import toy


def _bwrap_or_skip():
    kind, note = sandbox.choose()
    if kind != "bwrap":
        if os.environ.get("CI"):
            pytest.fail(f"CI must prove the sandbox: {note}")
        pytest.skip(note)


def _namespaces_refused():
    """Why this process may not make user, mount and PID namespaces (tried in a child), or
    None."""
    import ctypes
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(readable)
        if ctypes.CDLL(None, use_errno=True).unshare(0x10000000 | 0x00020000 | 0x20000000):
            os.write(writable, os.strerror(ctypes.get_errno()).encode())
        os._exit(0)
    os.close(writable)
    said = os.read(readable, 1000).decode()
    os.close(readable)
    os.waitpid(pid, 0)
    return said or None


def _close_kept():
    for zygote in list(engine._kept.values()):
        engine.close_zygote(zygote)
    engine._kept.clear()


@pytest.fixture(scope="module")
def toy_course(tmp_path_factory):
    """A course with the toy lesson only, for this process and the grading processes it
    starts."""
    root = tmp_path_factory.mktemp("course")
    (root / "09_toy").mkdir()
    (root / "09_toy" / "checks.py").write_text("from tests.grading.toy import lesson  # noqa\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLKIT_COURSE", str(root))
        course.install()
        _close_kept()
        yield root
        _close_kept()
    course.install(Path(course.__file__).resolve().parents[2] / "course")


@pytest.fixture
def marker(toy_course):
    """A word that names the hostile notebook's processes and files; what isolation failed
    to end is ended afterwards. No zygote is kept from an earlier test."""
    _close_kept()
    marker = f"mlkit-hostile-{uuid.uuid4().hex[:12]}"
    yield marker
    _close_kept()
    for pid in survivors(marker):        # only when the isolation failed
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for folder in ("/dev/shm", "/tmp"):
        for name in os.listdir(folder):
            if marker in name:
                try:
                    os.remove(os.path.join(folder, name))
                except OSError:
                    pass


def survivors(marker):
    """Processes of this machine whose command line or environment holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{part}", "rb") as file:
                    if marker.encode() in file.read():
                        found.append(int(entry))
                        break
            except OSError:
                pass
    return found


def earned(report):
    assert not report.error, report.error
    return {row.id: row.earned for row in report.exercises}


def hints(report, exercise_id):
    return " | ".join(next(r.hints for r in report.exercises if r.id == exercise_id))


def with_setup(extra):
    """The toy solution with ``extra`` appended to its setup cell."""
    return [(kind, source + "\n" + extra if source.startswith("#| setup") else source)
            for kind, source in toy.SOLUTION_CELLS]


def replacing(cells, exercise_id, source):
    """``cells`` with the cell of exercise ``exercise_id`` made ``source``."""
    head = f"#| exercise: {exercise_id}\n"
    return [(kind, head + source if text.startswith(head) else text) for kind, text in cells]


# -- honest notebooks: each one scores the same alone and after a hostile one -----------------

HONEST_SOLVED = toy.SOLUTION_CELLS

HONEST_IMPORTER = with_setup("import statistics, colorsys, glob   # modules not preloaded")

HONEST_LOOKER = replacing(replacing(toy.SOLUTION_CELLS, "9.1", """\
import os
def double(x):
    strangers = [name for name in os.listdir('/dev/shm') + os.listdir('/tmp')
                 + os.listdir('.') if 'hostile' in name]
    return -1 if strangers else 2 * x"""), "9.3", """\
import os
CACHES = ['/dev/shm/toy_cache.npy', '/tmp/toy_cache.npy', '/tmp/work/toy_cache.npy',
          'toy_cache.npy', os.path.expanduser('~/toy_cache.npy')]
def make_data():
    for cache in CACHES:
        if os.path.exists(cache):
            return np.load(cache)
    return np.zeros((4, 2), np.float32)""")

HONEST_LEARNER = None        # the untouched learner notebook (every exercise still a stub)


# -- hostile notebooks -------------------------------------------------------------------------

PLANT_MODULES = """
import os, sys
EVIL = "import os\\nos._exit(3)\\n"
places = {os.getcwd(), os.path.dirname(os.getcwd()), os.path.expanduser('~'), '/tmp',
          '/tmp/work', '/dev/shm', *[entry or '.' for entry in sys.path]}
for place in places:
    for name in ('statistics', 'colorsys', 'glob', 'numpy', 'double', 'warnings'):
        try:
            with open(os.path.join(place, name + '.py'), 'w') as file:
                file.write(EVIL)
        except OSError:
            pass
"""

PLANT_FILES = """
import os
import numpy
bad = numpy.ones((4, 2), numpy.float64)
for path in ['/dev/shm/toy_cache.npy', '/tmp/toy_cache.npy', '/tmp/work/toy_cache.npy',
             '../toy_cache.npy', os.path.expanduser('~/toy_cache.npy')]:
    try:
        numpy.save(path, bad)
    except OSError:
        pass
for folder in ('/dev/shm', '/tmp', '/tmp/work', '.', '..'):
    try:
        open(os.path.join(folder, 'hostile-was-here-MARKER'), 'w').write('boo')
    except OSError:
        pass
"""

# A chain of processes, each in a session of its own and the parent of the next (a kill loop
# that ends one generation a round never reaches the end of it); after a moment its last one
# ends every grading worker it can see and plants a module, for a few seconds.
CHAIN = r'''
import os, signal, sys, time
started = time.time()
for depth in range(80):
    if os.fork():
        time.sleep(8)
        os._exit(0)
    os.setsid()
time.sleep(0.3)
while time.time() - started < 8:
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) in (os.getpid(), 1):
            continue
        try:
            command = open('/proc/%s/cmdline' % entry, 'rb').read()
            parent = open('/proc/%s/stat' % entry).read().rsplit(')', 1)[1].split()[1]
        except OSError:
            continue
        if b'mlkit.grading.worker' in command and parent != '1':
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
    for folder in ('/tmp/work', '/tmp', '/dev/shm'):
        try:
            open(os.path.join(folder, 'statistics.py'), 'w').write('import os\nos._exit(3)\n')
        except OSError:
            pass
    time.sleep(0.02)
'''



def start(chain):
    """A cell that starts ``chain`` (its command line names the marker) and lets it grow."""
    return f"""
import subprocess, sys, time
subprocess.Popen([sys.executable, '-S', '-c', {chain!r}, 'MARKER'], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
"""


START_CHAIN = start(CHAIN)

# Without the sandbox the grader's machine is not walled off: this chain only stays and writes.
QUIET_CHAIN = r'''
import os, sys, time
started = time.time()
for depth in range(80):
    if os.fork():
        time.sleep(8)
        os._exit(0)
    os.setsid()
while time.time() - started < 8:
    try:
        open('/dev/shm/hostile-was-here-' + sys.argv[1], 'w').write('boo')
    except OSError:
        pass
    time.sleep(0.1)
'''

START_QUIET_CHAIN = start(QUIET_CHAIN)

MEMORY_HOG = """
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b'x' * (350 * 2**20)      # well under the limit for each process
        time.sleep(10)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
"""


def write(folder, name, cells, marker):
    if cells is None:
        return toy.write_learner_notebook(folder / name)
    cells = [(kind, source.replace("MARKER", marker)) for kind, source in cells]
    return toy.write_notebook(folder / name, cells=cells)


HONEST = {"09_b_solved.ipynb": HONEST_SOLVED, "09_c_importer.ipynb": HONEST_IMPORTER,
          "09_d_looker.ipynb": HONEST_LOOKER, "09_e_learner.ipynb": HONEST_LEARNER}


@pytest.fixture(scope="module")
def expected(toy_course, tmp_path_factory):
    """The honest notebooks' grades, each graded alone (a zygote of its own)."""
    folder = tmp_path_factory.mktemp("alone")
    grades = {name: earned(engine.grade(write(folder, name, cells, "-")))
              for name, cells in HONEST.items()}
    assert grades["09_b_solved.ipynb"] == {"9.1": 2, "9.2": 1, "9.3": 1}
    assert grades["09_c_importer.ipynb"] == grades["09_d_looker.ipynb"] == \
        grades["09_b_solved.ipynb"]
    assert grades["09_e_learner.ipynb"] == {"9.1": 0, "9.2": 0, "9.3": 0}
    return grades


def class_run(tmp_path, marker, hostile_cells, jobs):
    """Grade the hostile notebook then the honest ones as one folder with ``jobs`` processes;
    after the hostile one's grade, list what it left running."""
    folder = tmp_path / "class"
    folder.mkdir()
    paths = [write(folder, "09_a_hostile.ipynb", hostile_cells, marker)]
    paths += [write(folder, name, cells, marker) for name, cells in HONEST.items()]
    left_at_grade = {}

    def on_report(report):
        if Path(report.notebook).name == "09_a_hostile.ipynb":
            left_at_grade["hostile"] = survivors(marker)

    reports = batch.grade_many(paths, jobs=jobs, on_report=on_report)
    return {Path(r.notebook).name: r for r in reports}, left_at_grade["hostile"]


def assert_unaffected(reports, expected):
    for name, grade in expected.items():
        assert earned(reports[name]) == grade, (name, reports[name].exercises)


@pytest.mark.parametrize("hostile", ["modules", "files", "chain"])
def test_a_hostile_notebook_does_not_change_the_next_ones_grades(tmp_path, marker, expected,
                                                                 hostile):
    _bwrap_or_skip()
    cells = with_setup({"modules": PLANT_MODULES, "files": PLANT_FILES,
                        "chain": START_CHAIN}[hostile])
    reports, left = class_run(tmp_path, marker, cells, jobs=1)
    assert left == [], "a process the hostile notebook started outlived its grade"
    assert_unaffected(reports, expected)
    assert survivors(marker) == []


def test_a_hostile_notebook_does_not_touch_the_others_with_two_grading_processes(tmp_path,
                                                                               marker,
                                                                               expected):
    _bwrap_or_skip()
    cells = with_setup(PLANT_MODULES + PLANT_FILES + START_CHAIN)
    reports, left = class_run(tmp_path, marker, cells, jobs=2)
    assert left == [], "a process the hostile notebook started outlived its grade"
    assert_unaffected(reports, expected)
    assert survivors(marker) == []


def test_where_namespaces_are_refused_each_submission_gets_a_sandbox_of_its_own(
        tmp_path, marker, expected, monkeypatch):
    """As on a machine that refuses user namespaces inside bubblewrap: the grading process
    then starts a fresh sandbox (a fresh zygote) for each notebook, and says so."""
    _bwrap_or_skip()
    monkeypatch.setenv("MLKIT_GRADE_NAMESPACES", "0")
    cells = with_setup(PLANT_MODULES + PLANT_FILES + START_CHAIN)
    reports, left = class_run(tmp_path, marker, cells, jobs=1)
    assert left == [], "a process the hostile notebook started outlived its grade"
    assert_unaffected(reports, expected)
    assert any("sandbox of its own" in note for note in reports["09_b_solved.ipynb"].notes), \
        reports["09_b_solved.ipynb"].notes


def test_memory_is_limited_for_all_the_processes_of_a_submission_together(tmp_path, marker):
    """Four children of 350 MiB each: every one is under the 1 GiB limit of a process, all of
    them together are not; the next submission of the same grading process is unaffected."""
    _bwrap_or_skip()
    limits = engine.Limits(memory=2**30)
    hog = replacing(toy.SOLUTION_CELLS, "9.1", MEMORY_HOG + "def double(x):\n    return 2 * x")
    hostile = toy.write_notebook(tmp_path / "09_b_hog.ipynb", cells=hog)
    honest = toy.write_notebook(tmp_path / "09_a_solved.ipynb")
    full = {"9.1": 2, "9.2": 1, "9.3": 1}
    assert earned(engine.grade(honest, limits=limits, keep_zygote=True)) == full
    started = time.monotonic()
    report = engine.grade(hostile, limits=limits, keep_zygote=True)
    assert time.monotonic() - started < 6, "the limit should stop it long before its sleep ends"
    assert earned(report) == {"9.1": 0, "9.2": 1, "9.3": 1}
    assert "memory" in hints(report, "9.1"), hints(report, "9.1")
    assert earned(engine.grade(honest, limits=limits, keep_zygote=True)) == full


def test_without_bubblewrap_processes_scratch_and_shared_memory_are_still_per_submission(
        tmp_path, marker, monkeypatch):
    """MLKIT_SANDBOX=none where this machine allows namespaces (root, or user namespaces):
    a chain of processes and files in /dev/shm and the scratch folder end with their
    submission (the rest of the disk is not isolated without the sandbox)."""
    monkeypatch.setenv("MLKIT_SANDBOX", "none")
    problem = _namespaces_refused()
    if problem:
        pytest.skip(f"this machine allows no namespaces without the sandbox ({problem})")
    plant = f"""
import os
for folder in ('/dev/shm', '.', os.path.expanduser('~')):
    open(os.path.join(folder, 'hostile-was-here-{marker}'), 'w').write('boo')
""" + START_QUIET_CHAIN
    looker = replacing(toy.SOLUTION_CELLS, "9.1", f"""\
import os
def double(x):
    strangers = [name for name in os.listdir('/dev/shm') + os.listdir('.')
                 + os.listdir(os.path.expanduser('~')) if {marker!r} in name]
    return -1 if strangers else 2 * x""")
    folder = tmp_path / "class"
    folder.mkdir()
    paths = [toy.write_notebook(folder / "09_a_hostile.ipynb",
                                cells=with_setup(plant.replace("MARKER", marker))),
             toy.write_notebook(folder / "09_b_looker.ipynb", cells=looker),
             toy.write_notebook(folder / "09_c_solved.ipynb")]
    left = {}
    reports = batch.grade_many(paths, jobs=1, on_report=lambda r: left.setdefault(
        Path(r.notebook).name, survivors(marker)))
    assert left["09_a_hostile.ipynb"] == []
    for report in reports[1:]:
        assert earned(report) == {"9.1": 2, "9.2": 1, "9.3": 1}, report.exercises
    assert not [n for n in os.listdir("/dev/shm") if marker in n]
