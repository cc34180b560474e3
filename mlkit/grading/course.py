"""Where the lessons come from: a course folder holding one folder per lesson.

    course/                          (MLKIT_COURSE, default: the course/ beside mlkit/)
        04_sequences/                one lesson, all of it
            solution.ipynb           the reference solution; `mlkit release` makes the learner's copy
            checks.py                `lesson = Lesson(4, ...)` and its checks (run in the grader only)
            helpers.py               building blocks its checks make in the worker (no answers)
            cases.py                 planted mistakes, correct alternatives and cheats, as data
            pictures.py              the README's picture of the lesson

The grading engine imports nothing from here by name: it finds the folders, and their Python
files import as ``mlkit_course.lessonNN.<file>`` (``mlkit_course.lesson04.checks``), so a
lesson's checks can say ``from . import helpers``. The worker that runs a learner's code may
import only the ``helpers`` of a lesson; everything else is refused there (and, in the
sandbox, not even on its disk).
"""
import importlib.abc
import importlib.machinery
import os
import re
import sys
import types
from pathlib import Path

PACKAGE = "mlkit_course"
FOLDER_NAME = re.compile(r"^(\d\d)_[A-Za-z0-9_]+$")
SOLUTION = "solution.ipynb"
WORKER_VISIBLE = "helpers"           # the one module of a lesson that the worker may import


class CourseError(KeyError):
    """The course folder is missing or malformed; the message says what to do."""

    def __str__(self):
        return str(self.args[0])


def root():
    """The course folder: ``MLKIT_COURSE``, else ``course/`` next to the ``mlkit`` package."""
    chosen = os.environ.get("MLKIT_COURSE")
    if chosen:
        return Path(chosen).resolve()
    return Path(__file__).resolve().parents[2] / "course"


def folders(course_root=None, holding="checks.py"):
    """``{lesson number: folder}`` of every lesson folder (``NN_name/`` with the file
    ``holding``; None: any such folder, as the worker sees them, without their checks)."""
    base = Path(course_root) if course_root else root()
    if not base.is_dir():
        raise CourseError(f"no course folder at {base}: set MLKIT_COURSE to the folder that holds "
                          "the lesson folders (NN_name/checks.py)")
    found = {}
    for folder in sorted(base.iterdir()):
        match = FOLDER_NAME.match(folder.name)
        if match and folder.is_dir() and (holding is None or (folder / holding).is_file()):
            number = int(match.group(1))
            if number in found:
                raise CourseError(f"two folders for lesson {number}: {found[number].name} and "
                                  f"{folder.name}")
            found[number] = folder
    return found


def module_name(number, part):
    """The import name of ``part`` (``'checks'``, ``'helpers'``, ...) of lesson ``number``."""
    return f"{PACKAGE}.lesson{int(number):02d}.{part}"


class CourseFinder(importlib.abc.MetaPathFinder):
    """Makes ``mlkit_course`` and ``mlkit_course.lessonNN`` packages over the lesson folders,
    so that the files inside import by the ordinary machinery. ``only`` limits which files of a
    lesson may be imported (the worker: ``{"helpers"}``)."""

    def __init__(self, course_root, only=None):
        self.course_root = Path(course_root)
        self.only = set(only) if only is not None else None

    def find_spec(self, name, path=None, target=None):
        parts = name.split(".")
        if parts[0] != PACKAGE:
            return None
        if len(parts) == 1:
            return importlib.machinery.ModuleSpec(name, _PackageLoader([]), is_package=True)
        match = re.fullmatch(r"lesson(\d+)", parts[1])
        if not match:
            raise ImportError(f"{name}: the course has lessons, not {parts[1]!r}")
        if len(parts) == 2:
            folder = folders(self.course_root, holding=None).get(int(match.group(1)))
            if folder is None:
                raise ImportError(f"{name}: the course has no lesson {int(match.group(1))}")
            return importlib.machinery.ModuleSpec(name, _PackageLoader([str(folder)]),
                                                  is_package=True)
        if self.only is not None and parts[2] not in self.only:
            raise ImportError(f"{name} is part of the grader and cannot be imported here")
        return None            # the lesson package's __path__ finds the file


class _PackageLoader(importlib.abc.Loader):
    def __init__(self, search_path):
        self.search_path = search_path

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = list(self.search_path)
        return module

    def exec_module(self, module):
        module.__path__ = list(self.search_path)


def install(course_root=None, only=None):
    """Put a :class:`CourseFinder` first on ``sys.meta_path`` (replacing an earlier one)."""
    finder = CourseFinder(course_root or root(), only=only)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, CourseFinder)]
    sys.meta_path.insert(0, finder)
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    return finder


def ensure_installed():
    if not any(isinstance(f, CourseFinder) for f in sys.meta_path):
        install()


def import_part(number, part):
    """Lesson ``number``'s module ``part`` (``'checks'``, ``'cases'``, ...)."""
    import importlib
    ensure_installed()
    return importlib.import_module(module_name(number, part))
