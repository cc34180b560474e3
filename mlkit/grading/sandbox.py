"""Where the workers run: inside bubblewrap when this machine has it, else as plain processes.

The zygote (:mod:`mlkit.grading.worker`) is started inside the sandbox, and the workers it forks
stay there. The sandbox (``bwrap``) gives a learner's code::

    a read-only view of the system, Python and the course's library   (nothing else of the disk)
    of the course, only each lesson's helpers.py                       (no checks, no answers)
    the data folder MLKIT_DATA, read-only, when it is set
    an empty, writable scratch folder as HOME and working folder       (gone afterwards)
    no network, its own process tree (killed with the zygote), an unprivileged user

so it cannot read or write other submissions, the notebook file itself, the solutions, or the
instructor's hidden checks. Inside it the zygote gives each worker namespaces of its own
(:class:`mlkit.grading.worker.ZygoteServer`): a fresh /tmp (its scratch folder, HOME and
working folder) and /dev/shm, everything else read-only, and a PID namespace that ends with it.
``MLKIT_SANDBOX`` chooses: ``auto`` (the default: bubblewrap when it works here), ``bwrap``
(required: refuse to grade without it) or ``none``. Without a sandbox the workers still get
their process limits (CPU time, memory, file size, a wall-clock backstop) and, where the
machine allows, namespaces of their own (their processes, a fresh scratch folder and /dev/shm);
the rest of the disk is the grading user's.
"""
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path


class SandboxUnavailable(RuntimeError):
    pass


def _mlkit_folder():
    """The ``mlkit`` package folder (this file is ``mlkit/grading/sandbox.py``)."""
    return Path(__file__).resolve().parents[1]


def _course_helpers():
    """The files of the course the worker may read: each lesson's helpers, nothing else."""
    from mlkit.grading import course
    try:
        lesson_folders = course.folders(holding=None).values()
    except course.CourseError:
        return []
    visible = (folder / f"{course.WORKER_VISIBLE}.py" for folder in lesson_folders)
    return [path.resolve() for path in visible if path.is_file()]


def _python_folders():
    """The folders the worker's Python needs: its prefixes and its import path."""
    folders = {Path(p).resolve() for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if path.name in ("site-packages", "dist-packages") and path.is_dir():
            folders.add(path)
    folders.add(Path(sys.executable).resolve().parent)
    # A folder inside another one is mounted with it.
    return sorted(f for f in folders if not any(o != f and o in f.parents for o in folders))


def _system_binds():
    binds = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "libx32", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            binds += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            binds += ["--ro-bind", str(path), str(path)]
    return binds + ["--ro-bind", "/etc", "/etc"]


SCRATCH = "/tmp/work"
SCRATCH_BYTES = 512 * 2**20


def bwrap_prefix(extra_read_only=()):
    """The ``bwrap ...`` arguments that put a command in the sandbox."""
    mlkit_folder = _mlkit_folder()
    arguments = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all",
                 "--unshare-user", "--uid", "65534", "--gid", "65534", *_system_binds(),
                 "--proc", "/proc", "--dev", "/dev",
                 "--size", str(SCRATCH_BYTES), "--tmpfs", "/tmp"]   # a tmpfs lives in memory
    for folder in _python_folders():
        arguments += ["--ro-bind", str(folder), str(folder)]
    arguments += ["--ro-bind", str(mlkit_folder), str(mlkit_folder)]
    for helpers in _course_helpers():
        arguments += ["--ro-bind", str(helpers), str(helpers)]
    for folder in extra_read_only:
        if folder and Path(folder).is_dir():
            arguments += ["--ro-bind", str(Path(folder).resolve()), str(Path(folder).resolve())]
    arguments += ["--dir", SCRATCH, "--chdir", SCRATCH, "--setenv", "HOME", SCRATCH]
    return arguments


@functools.lru_cache(maxsize=None)
def _bwrap_works():
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        probe = subprocess.run(bwrap_prefix() + [sys.executable, "-S", "-c", "print('ok')"],
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap did not start ({error})"
    if probe.returncode != 0 or probe.stdout.strip() != "ok":
        return f"bwrap failed here ({(probe.stderr.strip() or 'no message')[:200]})"
    return None


def choose():
    """``'bwrap'`` or ``'none'``, as ``MLKIT_SANDBOX`` and this machine allow, and a note (or
    None) to show once when grading runs without a sandbox."""
    wanted = os.environ.get("MLKIT_SANDBOX", "auto").strip().lower() or "auto"
    if wanted not in ("auto", "bwrap", "none"):
        raise SandboxUnavailable(f"MLKIT_SANDBOX={wanted!r}: use auto, bwrap or none")
    if wanted == "none":
        return "none", "no sandbox (MLKIT_SANDBOX=none): learner code runs with process " \
                       "limits, and can read and write what the grading user can"
    problem = _bwrap_works()
    if problem is None:
        return "bwrap", None
    if wanted == "bwrap":
        raise SandboxUnavailable(f"MLKIT_SANDBOX=bwrap but {problem}; install it with "
                                 "`apt-get install bubblewrap` (Debian, Ubuntu)")
    return "none", (f"no sandbox: {problem}, so learner code runs with process limits, and "
                    "can read and write what the grading user can (install bubblewrap to "
                    "isolate it: `apt-get install bubblewrap`)")


def wrap(command, kind, extra_read_only=()):
    """``command`` as the worker should be started for sandbox ``kind``."""
    if kind == "bwrap":
        return bwrap_prefix(extra_read_only) + list(command)
    return list(command)
