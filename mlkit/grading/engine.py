"""The grading engine: one notebook in, one report out. ``mlkit grade`` (through
:mod:`mlkit.grading.batch`) and ``pytest --notebook`` (:mod:`mlkit.grading.pytest_plugin`) come
here; ``mlkit.check`` runs the same checks in the learner's kernel instead
(:mod:`mlkit.grading.instant`).

The engine (this process) owns the lesson's checks, the points possible (every check of the
lesson, always), the verdicts and the report. A learner's code runs only in a worker process
(:mod:`mlkit.grading.worker`), forked by a zygote that is sandboxed when the machine allows
(:mod:`mlkit.grading.sandbox`):

    1. start a zygote (or reuse the one kept for batch grading); it imports the course's
       libraries while this process reads the notebook (:mod:`mlkit.grading.submission`) and
       the lessons' checks (:mod:`mlkit.grading.registry`)
    2. fork a worker; run the setup cells, then each exercise cell, each with a time limit
    3. for each check: reset the worker's chainer.config and random state, run the check here
       with ``nb`` (a :class:`~mlkit.grading.remote.RemoteNotebook`) talking to the worker,
       under a wall-clock deadline and a CPU-time limit
    4. end the worker and everything it started (and the zygote, unless it is kept)

Whatever a learner's code does (raise SystemExit, call os._exit, hang in C, eat all memory,
swallow signals, tamper with the worker, kill the zygote) costs the exercise it happened in: the
engine ends that worker, forks a fresh one (from a fresh zygote when the old one is gone), runs
the cells again without the one that broke it, and goes on. What this process keeps of a
submission is bounded too: a few notes of bounded length, bounded hints, a bounded number of
fresh workers and zygotes, and the submission's wall-clock time.
"""
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

from mlkit.grading import course, protocol, registry, remote, sandbox
from mlkit.grading.hints import ExerciseTimeout, Hint, LearnerError, hint_for
from mlkit.grading.notebook_api import check_rng, grading_seed
from mlkit.grading.report import Outcome, failed_report, make_report
from mlkit.grading.submission import SubmissionError, read

CELL_TIMEOUT = 60          # seconds of wall and CPU time for one cell
MEMORY = 4 * 2**30         # bytes of address space for a worker
WORKER_CPU_TOTAL = 1800    # seconds of CPU for one worker, whatever happens
SUBMISSION_SECONDS = 900   # seconds of wall time for one whole submission
MAX_NOTES = 20             # notes shown for one submission; then one "N more notes not shown"
NOTE_LENGTH = 200          # characters of one note
HINT_LENGTH = 1000         # characters of one hint
MAX_WORKERS = 60           # workers forked for one submission (each lost one costs a fork)
MAX_ZYGOTE_RESTARTS = 3    # fresh zygotes for one submission, after its code ended the last one
_TRACKED_NOTES = 10_000    # distinct notes remembered to count the ones not shown


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, bytes of memory and seconds of CPU per
    worker, seconds of wall time for the whole submission."""

    cell_timeout: float = CELL_TIMEOUT
    memory: int = MEMORY
    cpu_total: int = WORKER_CPU_TOTAL
    submission_seconds: float = SUBMISSION_SECONDS


def worker_environment():
    """What the worker sees of the environment: no secrets, one thread, smoke sizes, CPU."""
    keep = ("PATH", "LANG", "LC_ALL", "MLKIT_DATA", "TZ", "MLKIT_GRADE_NAMESPACES")
    environment = {k: os.environ[k] for k in keep if k in os.environ}
    environment.update({
        "MLKIT_MODE": os.environ.get("MLKIT_GRADE_MODE", "smoke"),
        "MLKIT_DEVICE": "@numpy", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "CHAINER_WARN_VERSION_MISMATCH": "0",
        "MLKIT_QUIET": "1"})
    environment["MLKIT_COURSE"] = str(course.root())     # where the lessons' helpers are
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # this machine's BLAS needs them
        if name in os.environ:
            environment[name] = os.environ[name]
    return environment


def bounded(text, limit=HINT_LENGTH):
    """``text`` cut to ``limit`` characters (a learner's value can be any size)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class GaveUp(Exception):
    """A submission ended its workers (or their zygote) more often than grading allows: what
    is not checked yet is not checked at all; the message says why."""


class Session:
    """The worker for one submission, forked again (with the cells run again) when it is lost;
    the zygote started again (by ``new_zygote(dead_zygote)``) when the submission's code ended
    it."""

    def __init__(self, submission, zygote, limits, new_zygote=None, guards=None):
        self.submission, self.zygote, self.limits = submission, zygote, limits
        self.new_zygote = new_zygote
        self.guards = guards or {}      # exercise id -> registry.Guard
        self.seed = grading_seed()      # every check's inputs come from it; the report says it
        self.stand_ins = {}             # exercise id -> hint: its answer used what it forbids
        self.worker = None
        self.broken_cells = set()       # cell indexes that killed or hung a worker
        self.cell_problems = {}         # exercise id (or 'setup') -> hint
        self.notes = []                 # at most MAX_NOTES, each at most NOTE_LENGTH long
        self._seen_notes = set()
        self.notes_not_shown = 0
        self.deadline = None
        self.cpu = None
        self.restarts = 0
        self.forks = 0
        self.zygote_restarts = 0
        self.code_ran = False           # a learner's cell was sent to a worker
        self.out_of_time = time.monotonic() + limits.submission_seconds

    # -- the worker --------------------------------------------------------------------------
    def _start(self):
        """Fork a worker; start a fresh zygote first when the submission's code ended the
        last one. Raises GaveUp past the bounds, WorkerLost when no worker ever started."""
        while True:
            if self.forks >= MAX_WORKERS:
                raise GaveUp(f"not checked: your notebook stopped the grader's Python process "
                             f"{self.forks - 1} times, so the rest of it was not run")
            try:
                if not self.zygote.alive():
                    raise remote.WorkerLost("the grading worker's parent process is gone")
                self._prepare_guards()
                self.forks += 1
                self.worker = self.zygote.fork()
                return
            except remote.WorkerLost:
                if not self.code_ran or self.new_zygote is None:
                    raise                   # nothing of the submission ran: the grader's fault
                if self.zygote_restarts >= MAX_ZYGOTE_RESTARTS:
                    raise GaveUp("not checked: your notebook ended the grader's worker "
                                 f"processes {self.zygote_restarts + 1} times (did it kill "
                                 "their parent process?), so the rest of it was not run") \
                        from None
                self.zygote_restarts += 1
                self.zygote = self.new_zygote(self.zygote)

    def _prepare_guards(self):
        names = {n for guard in self.guards.values() for n in guard.names}
        try:
            self.zygote.prepare_guards(names)
        except ValueError as error:         # the course's fault: say it loudly
            raise remote.WorkerLost(f"a lesson's write_yourself list is wrong: {error}") \
                from None

    def close(self):
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    def lose(self, reason):
        self.close()
        raise remote.WorkerLost(reason)

    def ask(self, message):
        if self.worker is None:
            raise remote.WorkerLost("the worker is gone")
        reply = self.worker.request(message, self.deadline, cpu=self.cpu)
        notes = reply.get("notes")
        if isinstance(notes, list):
            for note in notes:
                self._note(note)
        return reply

    def _note(self, note):
        """Keep ``note`` (cut to NOTE_LENGTH) once, unless MAX_NOTES are kept: then count it."""
        if not isinstance(note, str):
            return
        note = note[:NOTE_LENGTH]
        if note in self._seen_notes:
            return
        if len(self._seen_notes) < _TRACKED_NOTES:
            self._seen_notes.add(note)
        if len(self.notes) < MAX_NOTES:
            self.notes.append(note)
        else:
            self.notes_not_shown += 1

    def all_notes(self):
        """The notes kept, and how many were not."""
        more = self.notes_not_shown
        return self.notes + ([f"{more} more note{'s' if more > 1 else ''} not shown"]
                             if more else [])

    def _run(self, message, seconds):
        self.deadline, self.cpu = self._deadline(seconds), seconds
        return self.ask(message)

    def _deadline(self, seconds):
        return min(time.monotonic() + seconds, self.out_of_time)

    def used_up(self):
        return time.monotonic() >= self.out_of_time

    def used_up_hint(self):
        return (f"not checked: this notebook used up the {self.limits.submission_seconds:g} s "
                "that grading one submission may take (endless loops in several cells?)")

    # -- loading the cells -------------------------------------------------------------------
    def load(self):
        """Start a worker and run every graded cell that has not broken a worker before; a
        cell that breaks the worker is left out and the others run again in a fresh one."""
        while True:
            self._start()
            if self._run_cells():
                return
            self.close()
            self.restarts += 1

    def _run_cells(self):
        """Run the cells in the worker; False when one of them broke it."""
        for cell in self.submission.cells:
            if cell.index in self.broken_cells:
                continue
            if self.used_up():
                self.cell_problems.setdefault(cell.exercise or "setup", self.used_up_hint())
                continue
            key = cell.exercise or "setup"
            if key == "setup" and "setup" in self.cell_problems:
                continue
            try:
                self.code_ran = True
                reply = self._run({"op": "run_cell", "source": cell.source,
                                   "filename": cell.filename}, self.limits.cell_timeout)
            except (remote.WorkerLost, ExerciseTimeout) as error:
                self.broken_cells.add(cell.index)
                self.cell_problems[key] = self._cell_hint(cell, error)
                return False
            if "error" in reply:
                self.cell_problems[key] = self._cell_hint(
                    cell, LearnerError.from_description(reply["error"]))
            elif cell.role == "exercise":
                self.cell_problems.pop(key, None)   # a later, working cell of the same exercise
        return True

    def _cell_hint(self, cell, error):
        if isinstance(error, ExerciseTimeout):
            what = (f"ran longer than {self.limits.cell_timeout:g} s and was stopped: a cell "
                    "should only define things (no endless loop, no long training)")
        elif isinstance(error, remote.WorkerLost):
            what = f"stopped the grader's Python process: {error.reason}"
        elif error.is_a("SyntaxError"):
            what = f"has a SyntaxError on line {error.syntax_line}: {error.message}"
        elif cell.role == "setup":
            what = f"failed with {error.type_name}: {error.message.strip()[:300]}"
        else:
            what = "failed: " + hint_for(error, cell.exercise or "setup")
        what = bounded(what)
        if cell.role == "setup":
            return (f"a setup cell (cell {cell.index + 1}) {what}; restore it from a fresh copy "
                    "of the lesson, setup cells are not exercises")
        return f"your exercise {cell.exercise} cell {what}"

    def problem_for(self, exercise_id):
        """Why exercise ``exercise_id`` cannot be checked at all, or None."""
        if "setup" in self.cell_problems:
            return self.cell_problems["setup"]
        if exercise_id not in self.submission.exercise_ids:
            return (f"no cell is marked '#| exercise: {exercise_id}'; put that line back at the "
                    "top of your answer cell (compare with a fresh copy of the lesson)")
        return self.cell_problems.get(exercise_id)

    # -- checks ------------------------------------------------------------------------------
    def run_check(self, check, lost):
        """One check's :class:`Outcome`; ``lost`` maps exercises whose code ended a worker."""
        problem = self.problem_for(check.exercise) or lost.get(check.exercise)
        if problem:
            return Outcome(check, False, problem)
        if self.worker is None or not self.worker.alive():
            self.close()
            self.load()
        notebook = remote.RemoteNotebook(self)
        notebook.rng = check_rng(self.seed, check.id)
        guard = self.guards.get(check.exercise)
        try:
            self._run({"op": "reset", "seed": 0}, 30)
            if guard is not None and "error" in self._run(
                    {"op": "guard", "names": list(guard.names)}, 30):
                self.stand_ins.setdefault(check.exercise, (
                    f"exercise {check.exercise} could not be checked: your notebook changed the "
                    "grader's own code (mlkit.grading), so it earns nothing"))
            self.deadline = self._deadline(check.timeout)
            self.cpu = check.timeout
            check.function(notebook)
        except ExerciseTimeout:
            self.close()
            hint = self.used_up_hint() if self.used_up() else \
                hint_for(ExerciseTimeout(), check.exercise, check.timeout)
            lost[check.exercise] = hint
            return Outcome(check, False, hint)
        except remote.WorkerLost as error:
            self.close()
            hint = (f"while checking exercise {check.exercise}, your code stopped the "
                    f"grader's Python process: {error.reason}")
            lost[check.exercise] = hint
            return Outcome(check, False, hint)
        except (Hint, LearnerError) as error:
            if guard is not None and isinstance(error, LearnerError) \
                    and error.is_a("WriteItYourself"):
                self.stand_ins.setdefault(check.exercise, guard.hint(
                    error.message.split(" does ")[0][:200]))
            return self._stand_in(check) or \
                Outcome(check, False, bounded(hint_for(error, check.exercise, check.timeout)))
        except Exception as error:  # noqa: BLE001 -- the check could not use the answer
            return Outcome(check, False, (
                f"the check could not use what your code returned ({type(error).__name__}: "
                f"{str(error)[:200]})"))
        finally:
            notebook.forget_handles()
            if self.worker is not None and self.worker.alive():
                try:
                    if guard is not None:
                        used = self._run({"op": "unguard"}, 10).get("ok")
                        used = protocol.decode(used, lambda handle: None) if used else None
                        if isinstance(used, list) and used and isinstance(used[0], str):
                            self.stand_ins.setdefault(check.exercise,
                                                      guard.hint(bounded(used[0], 200)))
                    self._run({"op": "release"}, 10)
                except (remote.WorkerLost, ExerciseTimeout):
                    self.close()
        return self._stand_in(check) or Outcome(check, True)

    def _stand_in(self, check):
        """A failed Outcome when the exercise's answer used what the exercise forbids."""
        hint = self.stand_ins.get(check.exercise)
        return Outcome(check, False, hint) if hint else None

    def judged(self, outcomes):
        """``outcomes`` with every check of an exercise whose answer used a library callable
        that the exercise asks the learner to write failed (its earlier checks too)."""
        return [Outcome(o.check, False, self.stand_ins[o.check.exercise])
                if o.check.exercise in self.stand_ins else o for o in outcomes]


def start_zygote(kind, limits, wait=True):
    """A :class:`~mlkit.grading.remote.ZygoteHandle` on a new zygote for sandbox ``kind``: the
    parent of every worker of one grading process."""
    scratch = None if kind == "bwrap" else tempfile.mkdtemp(prefix="mlkit-grade-")
    command = sandbox.wrap(remote.zygote_command(), kind,
                           extra_read_only=[os.environ.get("MLKIT_DATA")])
    zygote = remote.ZygoteHandle(command, worker_environment(), cpu_total=limits.cpu_total,
                                 memory=limits.memory, scratch=scratch, wait=wait,
                                 sandboxed=kind == "bwrap")
    zygote.scratch, zygote.kind = scratch, kind
    return zygote


def close_zygote(zygote):
    """End the zygote and its workers; remove its scratch folder."""
    zygote.close()
    if getattr(zygote, "scratch", None):
        shutil.rmtree(zygote.scratch, ignore_errors=True)


_kept = {}      # (sandbox kind, limits) -> a zygote kept between submissions (batch grading)


def _zygote_for(kind, limits, keep):
    """A zygote that may still be booting (its first fork waits for it)."""
    if not keep:
        return start_zygote(kind, limits, wait=False)
    key = (kind, limits)
    zygote = _kept.get(key)
    if zygote is None or not zygote.alive():
        zygote = _kept[key] = start_zygote(kind, limits, wait=False)
    return zygote


def _reusable(zygote):
    """Whether the next submission may use this zygote: where each worker has namespaces of
    its own, or (without the sandbox, where the machine allows none) its kill loop left
    nothing running. In the sandbox without them, each submission gets a fresh sandbox."""
    if zygote.isolation != "namespaces" and getattr(zygote, "kind", None) == "bwrap":
        return False
    try:
        return zygote.clean() == 0
    except remote.WorkerLost:
        return False


def _done_with(zygote, keep):
    """After a submission: every process it started is gone (its workers' namespaces ended,
    or the zygote with the sandbox) when this returns."""
    if keep and _reusable(zygote):
        return
    _kept.pop(next((k for k, z in _kept.items() if z is zygote), None), None)
    close_zygote(zygote)


def _isolation_note(kind, zygote):
    """What the report says when a submission was not graded as in a fresh sandbox."""
    if zygote.isolation == "namespaces" or not zygote.ready:
        return None
    why = zygote.isolation_problem or "not allowed here"
    if kind == "bwrap":
        return (f"namespaces inside the sandbox are not available ({why[:120]}): this "
                "submission got a sandbox of its own (slower)")
    return (f"no namespaces either ({why[:120]}): files it left in /tmp or /dev/shm stay "
            "visible, and processes it left were ended by a kill loop")


def grade(path, lesson=None, checks_dir=None, limits=None, lessons=None, keep_zygote=False):
    """Grade the notebook at ``path``: a report dict (see :mod:`mlkit.grading.report`).

    ``lesson`` overrides what the notebook says it is; ``checks_dir`` adds hidden checks;
    ``lessons`` ({number: Lesson}) replaces the course's own (for tests and other courses);
    ``keep_zygote`` keeps the worker's parent process for the next submission (batch grading).
    """
    limits = limits or Limits()
    try:
        kind, note = sandbox.choose()
    except sandbox.SandboxUnavailable as error:
        return failed_report(path, None, f"not graded: {error}")
    try:
        # The zygote boots (imports the course's libraries) while this process reads the
        # notebook and imports the checks.
        zygote = _zygote_for(kind, limits, keep_zygote)
    except remote.WorkerLost as error:
        return failed_report(path, None, f"the grading worker could not run: {error.reason}")
    try:
        known = lessons if lessons is not None else registry.lessons(checks_dir=checks_dir)
        submission = read(path, lesson=lesson)
    except KeyError as error:
        _done_with(zygote, keep_zygote)
        return failed_report(path, None, str(error.args[0]))
    except SubmissionError as error:
        _done_with(zygote, keep_zygote)
        return failed_report(path, known.get(error.lesson), str(error))
    chosen = known.get(submission.lesson)
    if chosen is None:
        _done_with(zygote, keep_zygote)
        return failed_report(path, None, (
            f"{Path(path).name} is lesson {submission.lesson}, which has no graded exercises; "
            f"graded lessons are {', '.join(map(str, known))}"))
    def new_zygote(dead):      # the submission's code ended the zygote: a fresh one
        close_zygote(dead)
        return _zygote_for(kind, limits, keep_zygote)

    outcomes, lost, gave_up = [], {}, None
    session = Session(submission, zygote, limits, new_zygote=new_zygote, guards=chosen.guards)
    try:
        try:
            session.load()
        except GaveUp as error:
            gave_up = str(error)
        for check in chosen.checks:
            if session.used_up():
                outcomes.append(Outcome(check, False, session.used_up_hint()))
                continue
            if gave_up is None:
                try:
                    outcomes.append(session.run_check(check, lost))
                    continue
                except GaveUp as error:
                    gave_up = str(error)
            outcomes.append(Outcome(check, False, gave_up))
    except remote.WorkerLost as error:     # no worker ever started: not the submission's doing
        return failed_report(path, chosen, f"the grading worker could not run: {error.reason}")
    finally:
        session.close()
        _done_with(session.zygote, keep_zygote)
    outcomes = session.judged(outcomes)
    isolation = _isolation_note(kind, session.zygote)
    notes = ([note] if note else []) + ([isolation] if isolation else []) + session.all_notes()
    return make_report(path, chosen, outcomes, notes=notes, sandbox=kind, seed=session.seed)
