"""``mlkit.check("1.3")``: the grader's verdict on one exercise, inside the notebook, at once.

The very checks that grade a submission run here in the learner's own kernel, with ``nb`` a
:class:`LocalNotebook` over the notebook's names (the API a check uses:
:mod:`mlkit.grading.notebook_api`). Running in-process can only fool the person who runs it; the
grade that counts comes from ``mlkit grade``, where the learner's code runs in a sandboxed
worker and the verdicts are made outside it (:mod:`mlkit.grading.engine`).
"""
import contextlib
import importlib
import signal
import threading
import time
import warnings

import numpy

from mlkit.device import seed as seed_everything, to_numpy
from mlkit.grading import registry
from mlkit.grading.guard import Traps, WriteItYourself
from mlkit.grading.hints import ExerciseTimeout, hint_for
from mlkit.grading.notebook_api import MISSING, Notebook, check_rng, grading_seed
from mlkit.grading.report import Outcome, Report, format_table, summarize


class LocalNotebook(Notebook):
    """The notebook a check sees when it runs in the learner's kernel: the learner's own
    objects, from the namespace ``namespace`` (the notebook's globals)."""

    mode = "local"

    def __init__(self, namespace):
        self._namespace = namespace
        super().__init__()

    def _global(self, name):
        return self._namespace.get(name, MISSING)

    def module(self, name):
        return importlib.import_module(name)

    def array(self, value):
        # a snapshot, as the grader gets: later in-place changes must not show in it
        return numpy.array(to_numpy(getattr(value, "array", value)), copy=True)

    def seed(self, value):
        seed_everything(int(value))

    def using_config(self, name, value):
        import chainer
        return chainer.using_config(name, value)


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`ExerciseTimeout` in this thread after ``seconds`` (main thread, Unix)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise ExerciseTimeout(f"stopped after {seconds} s")

    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer_left - (time.monotonic() - started), 0.001))


@contextlib.contextmanager
def _fresh_state():
    """chainer.config and the random generators as the grader has them; the learner's own
    state comes back afterwards."""
    import random

    import chainer
    numpy_state, python_state = numpy.random.get_state(), random.getstate()
    try:
        with chainer.using_config("train", True), chainer.using_config("enable_backprop", True), \
                chainer.using_config("type_check", True), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seed_everything(0)
            yield
    finally:
        numpy.random.set_state(numpy_state)
        random.setstate(python_state)


def run_local(check, notebook, guard=None):
    """One check's :class:`Outcome` on a :class:`LocalNotebook`, in the grader's fresh state and
    under the check's time limit; with ``guard`` (a :class:`registry.Guard`), what the exercise
    asks the learner to write is trapped meanwhile, as when grading."""
    traps = Traps(guard.names if guard else ())
    used = []
    try:
        with _fresh_state(), time_limit(check.timeout):
            traps.set()
            try:
                check.function(notebook)
            finally:
                used = traps.unset()
    except Exception as error:  # noqa: BLE001 -- anything a learner's code raises is a verdict
        if guard is not None and (used or isinstance(error, WriteItYourself)):
            return Outcome(check, False, guard.hint((used or [error.name])[0]))
        return Outcome(check, False, hint_for(error, check.exercise, check.timeout))
    if guard is not None and used:
        return Outcome(check, False, guard.hint(used[0]))
    return Outcome(check, True)


class Verdict:
    """The rows of one exercise's grade; prints as the grade table."""

    def __init__(self, lesson, rows, seed=None):
        self.rows = rows
        self.earned = sum(r.earned for r in rows)
        self.possible = sum(r.possible for r in rows)
        self.report = Report(notebook="this notebook", lesson=lesson.number, exercises=rows,
                             earned=self.earned, possible=self.possible, seed=seed)

    def __bool__(self):
        return self.earned == self.possible

    def __repr__(self):
        return format_table(self.report, heading="")


KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "display"}


def _star_imports(source):
    """Whether ``source`` has a ``from module import *`` (it may bind any name)."""
    import ast
    return any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
               for node in ast.walk(ast.parse(source)))


def _free_names(table):
    """Global names the cell reads: at its top level without binding them, or in a function or
    class it defines."""
    names = {s.get_name() for s in table.get_symbols()
             if s.is_referenced() and not (s.is_assigned() or s.is_imported())}
    for child in table.get_children():
        todo = [child]
        while todo:
            scope = todo.pop()
            todo.extend(scope.get_children())
            names |= {s.get_name() for s in scope.get_symbols()
                      if s.is_referenced() and (s.is_global() or s.is_declared_global())}
    return names


def names_outside_graded_cells(namespace):
    """The names that the notebook's graded cells (setup and exercise cells, as the kernel's
    history ``In`` holds them) use but do not define, and that another cell of the kernel
    did: the grader runs only the graded cells, so it will not have them. Empty when the
    history is not there (not IPython) or a graded cell star-imports."""
    import builtins
    import symtable

    from mlkit.grading.submission import cell_role
    history = namespace.get("In")
    if not isinstance(history, list):
        return []
    setup, exercises = [], {}
    for source in history:
        if not isinstance(source, str):
            continue
        text = "\n".join(line for line in source.split("\n")
                         if not line.lstrip().startswith("get_ipython()"))
        role, exercise = cell_role(text)
        if role == "setup":
            setup.append(source)
        elif role == "exercise":
            exercises[exercise] = source        # the last run of each exercise cell counts
    bound, used = set(), set()
    for source in setup + list(exercises.values()):
        try:
            table = symtable.symtable(source, "<cell>", "exec")
            if _star_imports(source):
                return []
        except (SyntaxError, ValueError):
            continue
        bound |= {s.get_name() for s in table.get_symbols()
                  if s.is_assigned() or s.is_imported() or s.is_namespace()}
        used |= _free_names(table)
    lacking = used - bound - set(dir(builtins)) - KERNEL_NAMES
    return sorted(n for n in lacking if n in namespace and not n.startswith("_"))


@contextlib.contextmanager
def _as_the_grader_sees(namespace, names):
    """``namespace`` without ``names`` for the checks (put back afterwards)."""
    kept = {n: namespace.pop(n) for n in names if n in namespace}
    try:
        yield
    finally:
        namespace.update(kept)


def lacking_note(names):
    shown = ", ".join(f"`{n}`" for n in names[:5]) + (" ..." if len(names) > 5 else "")
    return (f"the grader runs only the setup and exercise cells, and they use {shown}, which "
            "another cell of your notebook defines: the grader will not have "
            f"{'it' if len(names) == 1 else 'them'}, so this check ran without "
            f"{'it' if len(names) == 1 else 'them'} too; define or import "
            f"{'it' if len(names) == 1 else 'them'} in the setup or exercise cell")


def check_now(exercise_id, namespace):
    """Run every check of exercise ``exercise_id`` on the notebook whose globals are
    ``namespace``; print the grade table and return it as a :class:`Verdict`."""
    exercise_id = str(exercise_id)
    try:
        lesson = registry.lesson(int(exercise_id.split(".")[0]))
    except (KeyError, ValueError):
        raise ValueError(f"{exercise_id!r} is not an exercise; write it like mlkit.check('1.3')") \
            from None
    if exercise_id not in lesson.exercises:
        raise ValueError(f"lesson {lesson.number} has no exercise {exercise_id}; it has "
                         f"{', '.join(lesson.exercises)}")
    notebook = LocalNotebook(namespace)
    guard = lesson.guards.get(exercise_id)
    seed = grading_seed()
    lacking = names_outside_graded_cells(namespace)
    outcomes = []
    with _as_the_grader_sees(namespace, lacking):
        for check in lesson.checks_for(exercise_id):
            notebook.rng = check_rng(seed, check.id)
            outcomes.append(run_local(check, notebook, guard))
    stand_in = next((o.hint for o in outcomes if guard and o.hint.startswith(
        f"exercise {exercise_id} asks you to write this yourself")), None)
    if stand_in:     # the whole exercise earns nothing, as when grading
        outcomes = [Outcome(o.check, False, stand_in) for o in outcomes]
    rows = [r for r in summarize(lesson, outcomes) if r.id == exercise_id]
    verdict = Verdict(lesson, rows, seed=seed)
    if lacking:
        verdict.report.notes.append(lacking_note(lacking))
    print(verdict)
    if verdict:
        print("Well done: this exercise passes every check.")
    return verdict
