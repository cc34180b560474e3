"""``mlkit release``: make the learner's notebooks from the solution notebooks.

A lesson's solution notebook (``course/NN_name/solution.ipynb``) marks what the learner writes::

    def make_and_model():
        ### BEGIN SOLUTION
        return L.Linear(2, 2)
        ### END SOLUTION

and its learner copy (``lessons/NN_name.ipynb``) gets, at the same indentation::

    def make_and_model():
        # YOUR CODE HERE
        raise NotImplementedError("exercise 1.2: replace this line with your code")

Outputs and execution counts are dropped, and the file is written in the form a Jupyter save
writes, with the kernel metadata JupyterLab sets on opening: opening and saving a fresh lesson
leaves it unchanged. A learner's work is never overwritten: a lesson
notebook that differs from the last release (``lessons/.release.json`` keeps its hash) is left
alone unless ``force=True``.
"""
import hashlib
import json
import re
from pathlib import Path

import nbformat

from mlkit.atomic import write_text
from mlkit.grading import course
from mlkit.grading.submission import cell_role, lesson_number

# The notebook metadata JupyterLab's Python kernel reports when it starts, less the Python
# version (which differs between machines; mlkit.lab fills it in for the course's own server).
# With it in the file, opening a lesson changes nothing, so JupyterLab does not mark it modified.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}

BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
MANIFEST = ".release.json"


class ReleaseError(ValueError):
    pass


def strip_solutions(source, where):
    """Replace every BEGIN/END SOLUTION region in a cell's source with a stub."""
    out, indent, exercise = [], None, cell_role(source)[1] or "this"
    for number, line in enumerate(source.split("\n"), 1):
        begin = BEGIN.match(line)
        if begin:
            if indent is not None:
                raise ReleaseError(f"{where}, line {number}: BEGIN SOLUTION inside another region")
            indent = begin.group(1)
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f'{indent}raise NotImplementedError("exercise {exercise}: '
                       'replace this line with your code")')
        elif END.match(line):
            if indent is None:
                raise ReleaseError(f"{where}, line {number}: END SOLUTION without BEGIN")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ReleaseError(f"{where}: BEGIN SOLUTION is never closed with ### END SOLUTION")
    return "\n".join(out)


def clear_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def learner_version(solution_path, name=None):
    """The learner notebook's text for one solution notebook; ``name`` is the learner's file
    name (``04_sequences.ipynb``: the lesson folder's name), which also says the lesson."""
    solution_path = Path(solution_path)
    if name is None and solution_path.name == course.SOLUTION:
        name = f"{solution_path.parent.name}.ipynb"
    notebook = clear_outputs(nbformat.read(solution_path, as_version=4))
    notebook.metadata.setdefault("mlkit", {})["lesson"] = lesson_number(name or solution_path,
                                                                        notebook)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = json.loads(json.dumps(LANGUAGE_INFO))
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{solution_path.name}, cell {index + 1}")
    # exactly what nbformat.write, and so Jupyter's save, writes: sorted keys, indent 1, nbformat
    # 4.5 with cell ids, a final newline
    return nbformat.writes(notebook, version=4) + "\n"


def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def release(course_folder="course", lessons="lessons", force=False, log=print):
    """Write every learner notebook ``lessons/NN_name.ipynb`` from its lesson's
    ``course/NN_name/solution.ipynb``; return the paths written. Refuses to lose a learner's
    work."""
    course_folder, lessons = Path(course_folder), Path(lessons)
    try:
        folders = course.folders(course_folder, holding=course.SOLUTION)
    except course.CourseError as error:
        raise ReleaseError(str(error)) from None
    if not folders:
        raise ReleaseError(f"no lesson folders with a {course.SOLUTION} (NN_name/{course.SOLUTION}) "
                           f"in {course_folder}/")
    manifest_path = lessons / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    texts = {f"{folder.name}.ipynb": learner_version(folder / course.SOLUTION)
             for folder in folders.values()}
    planned, refused = {}, []
    for name, text in texts.items():
        target = lessons / name
        if target.exists():
            current = target.read_text(encoding="utf-8")
            if current == text:
                continue
            if _sha(current) != manifest.get(name) and not force:
                refused.append(target)
                continue
        planned[target] = text
    if refused:
        names = ", ".join(str(p) for p in refused)
        raise ReleaseError(f"{names}: changed since the last release (your own work?). Nothing "
                           "was written. Save a copy elsewhere, or run `mlkit release --force`.")
    lessons.mkdir(parents=True, exist_ok=True)
    for target, text in planned.items():
        write_text(target, text)
        log(f"released {target}")
    manifest = {name: _sha(text) for name, text in texts.items()}
    write_text(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return list(planned)
