"""The layout holds: the library and the grading engine import no lesson, and no module of
`mlkit` imports itself back through others (an import circle).

The import graph is read from the source (every `import`, also those inside functions), so
a lazy import counts as much as one at the top of a file.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "mlkit"


def module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    return {module_name(p): p for p in sorted(LIBRARY.rglob("*.py"))}


def imported_names(path, name):
    """Every module name that the file at ``path`` (module ``name``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def import_graph():
    """``{module: {mlkit modules it imports}}`` (a ``from a import b`` counts as importing
    ``a.b`` when that is a module, else ``a``)."""
    known = modules()
    graph = {}
    for name, path in known.items():
        graph[name] = {n for n in imported_names(path, name) if n in known and n != name}
    return graph


def circles(graph):
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_the_imports_it_must_see():
    graph = import_graph()
    assert len(graph) > 40
    assert "mlkit.grading.protocol" in graph["mlkit.grading.worker"]      # a top-level import
    assert "mlkit.grading.course" in graph["mlkit.grading.worker"]        # one in a function
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles_in_mlkit():
    found = circles(import_graph())
    assert not found, "modules that import each other (directly or round a circle): " + \
        "; ".join(" <-> ".join(group) for group in found)


def test_the_library_and_the_engine_import_no_lesson():
    """No module of mlkit imports a lesson module, names one or a path into a lesson folder
    in its code (docstrings may give examples): lessons are found through the course folder."""
    lessons = sorted(p.name for p in (REPO / "course").iterdir() if p.is_dir())
    assert len(lessons) >= 6
    offenders = {}
    for name, path in modules().items():
        imports = imported_names(path, name)
        bad = sorted(n for n in imports if n.startswith(("mlkit_course", "course")))
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings:
                bad += [lesson for lesson in lessons if f"{lesson}/" in node.value]
                if node.value.startswith("mlkit_course."):
                    bad.append(node.value)
        if bad:
            offenders[name] = bad
    assert not offenders, f"library modules that name a lesson: {offenders}"


def test_importing_every_library_module_loads_no_lesson():
    names = sorted(n for n in modules() if not n.endswith("__main__"))
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(n for n in sys.modules if n.startswith('mlkit_course')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("part", ["checks", "cases"])
def test_the_worker_may_import_only_a_lessons_helpers(part, tmp_path):
    """Where the grader's worker runs, a lesson's checks (its reference answers) and cases do
    not import; its helpers do."""
    from mlkit.grading import course
    code = ("from mlkit.grading import course\n"
            "course.install(only={course.WORKER_VISIBLE})\n"
            "import importlib\n"
            "importlib.import_module(course.module_name(1, 'helpers'))\n"
            "try:\n"
            f"    importlib.import_module(course.module_name(1, {part!r}))\n"
            "    print('imported')\n"
            "except ImportError as error:\n"
            "    print('refused:', error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("refused:"), result.stdout
    assert course.module_name(1, part) in result.stdout


def test_a_lesson_is_one_folder():
    """Each lesson folder holds its solution, checks and helpers; nothing of a lesson lives
    in the library, and every learner notebook comes from one folder."""
    from mlkit.grading import course, registry
    folders = course.folders()
    assert sorted(folders) == sorted(registry.lessons())
    for number, folder in folders.items():
        for part in ("solution.ipynb", "checks.py", "helpers.py", "cases.py", "pictures.py"):
            assert (folder / part).is_file(), f"{folder.name} has no {part}"
        assert (REPO / "lessons" / f"{folder.name}.ipynb").is_file()
    assert not (REPO / "solutions").exists()
    assert not list(LIBRARY.rglob("lesson[0-9]*.py")), "lesson modules inside mlkit"
