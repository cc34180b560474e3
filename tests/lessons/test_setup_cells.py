"""No setup cell hands out an answer: the setup cells (which the grader runs before the learner's
exercises) neither import nor define a name that an exercise defines, and no function or class
of the course's library that they bring in passes an exercise's checks in place of the
learner's answer (as `truth_table` once did for exercise 1.1)."""
import ast
import inspect

import nbformat
import pytest

import mlkit  # noqa: F401  (before chainer)
from mlkit.grading import registry
from mlkit.grading.instant import LocalNotebook, run_local
from mlkit.grading.submission import cell_role

LESSONS = registry.lessons()
SOLUTIONS = [lesson.solution for lesson in LESSONS.values()]


def cells(path, role):
    notebook = nbformat.read(path, as_version=4)
    return [(cell_role(c.source), c.source) for c in notebook.cells
            if c.cell_type == "code" and cell_role(c.source)[0] == role]


def bound_names(source):
    """Names a cell binds at its top level: imports, functions, classes, assignments."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def exercise_names(path):
    """{exercise id: names its cells define}."""
    found = {}
    for (role, exercise), source in cells(path, "exercise"):
        found.setdefault(exercise, set()).update(bound_names(source))
    return found


def setup_namespace(path):
    namespace = {"__name__": "__main__"}
    for _, source in cells(path, "setup"):
        exec(compile(source, f"<setup of {path.parent.name}>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_setup_cells_bind_no_name_an_exercise_defines(path):
    setup = set().union(*(bound_names(source) for _, source in cells(path, "setup")))
    for exercise, names in exercise_names(path).items():
        assert not setup & names, f"the setup cells bind {sorted(setup & names)}, " \
                                  f"what exercise {exercise} asks the learner to write"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_no_library_function_of_the_setup_passes_an_exercise(path, monkeypatch):
    monkeypatch.setenv("MLKIT_MODE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = setup_namespace(path)
    offered = {name: value for name, value in namespace.items()
               if (inspect.isfunction(value) or inspect.isclass(value))
               and (getattr(value, "__module__", "") or "").startswith("mlkit")}
    lesson = next(lesson for lesson in LESSONS.values() if lesson.solution == path)
    handed_out = []
    for exercise, names in exercise_names(path).items():
        checks = lesson.checks_for(exercise)
        for name in sorted(names):
            for offered_name, value in offered.items():
                trial = dict(namespace, **{name: value})
                notebook = LocalNotebook(trial)
                passed = [c.id for c in checks if run_local(c, notebook).passed]
                if passed:
                    handed_out.append(f"`{offered_name}` as `{name}` passes {passed} of "
                                      f"exercise {exercise}")
    assert not handed_out, "the setup cells hand out answers:\n" + "\n".join(handed_out)
