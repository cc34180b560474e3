"""The worker, the only process that runs a learner's code, and the zygote that forks it.

``python -m mlkit.grading.worker`` starts the zygote (:func:`zygote_main`), inside the sandbox
when there is one (see :mod:`mlkit.grading.sandbox`). It imports the course's libraries and each
lesson's helpers once, records them (:class:`Libraries`), then serves the grader's requests on
the control socket it has as standard input (:class:`ZygoteServer`: fork a worker, report how a
worker ended, kill one, clean up after a submission). It runs no learner code.

Each worker (:class:`Worker`) is forked from the zygote with a socket of its own and answers the
grader's requests on it, one at a time, as :mod:`mlkit.grading.protocol` frames: run this cell,
look up that name, call this function with these arguments, read that attribute. Results go
back as plain data or as handles to objects that stay here. It decides nothing: every verdict
is made by the grader from what it answers, so a learner's code that tampers with this process
can only change its own answers, never the points; and the course's libraries are put back
before each of the grader's requests but a cell (:class:`Libraries`), so a monkeypatch cannot
make the worker's Chainer lie about them. Standard output goes to standard error, so a cell's
``print`` never reaches a channel.
"""
import copy
import importlib
import itertools
import operator
import os
import re
import resource
import sys
import traceback
import types
import warnings

from mlkit.grading import protocol

MAX_ITEMS = 100_000
SKIPPED_MAGICS = {"pip", "conda", "mamba", "micromamba", "uv", "system", "sx", "sc", "bash",
                  "sh", "script", "perl", "ruby", "writefile", "run", "load", "cd", "env",
                  "store", "bookmark", "save"}


PROTECTED = ("builtins", "chainer", "mlkit", "mlkit_course", "cupy")   # top-level package names
_MISSING = object()
_IMMUTABLE_TYPE = 1 << 8         # Py_TPFLAGS_IMMUTABLETYPE: a C type nobody can patch


def _restorable(value):
    """Whether a library's attribute is code (a function, class, module, descriptor), which
    is put back, rather than state (a cache, a counter, a setting), which is left alone."""
    return callable(value) or isinstance(value, (types.ModuleType, property, staticmethod,
                                                 classmethod))


class Libraries:
    """The course's libraries as they were before any learner's code ran, put back before
    each request of the grader but a cell's.

    Checks compare answers in the grader; but some ask the worker's libraries to do something
    with an answer (``F.sum(result).backward()``, ``model.cleargrads()``, a lesson helper's
    ``params(model)``, ``isinstance``). A learner's code that monkeypatches
    ``chainer.Variable.backward``, ``chainer.functions.sum``, a lesson helper, a builtin or
    ``sys.modules['chainer']`` (in a cell, or inside a function the check calls) would make
    those answers lie; so every function, class, module and descriptor of the modules of
    :data:`PROTECTED` (and of their classes) is put back before the next request runs.
    NumPy is not among them: the worker's NumPy only carries numbers to the grader, which
    compares them with its own. A learner's own names and the libraries' state (caches,
    settings) are left alone.
    """

    def __init__(self):
        self.groups = []         # (owner, its live namespace, names, original values)
        self.modules = {}        # name -> module

    def snapshot(self):
        seen = set()

        def add(owner, namespace):
            names = [k for k, v in list(namespace.items()) if _restorable(v)]
            self.groups.append((owner, namespace, tuple(names),
                                tuple(namespace[k] for k in names)))

        for name, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType) or name.split(".")[0] not in PROTECTED:
                continue
            self.modules[name] = module
            add(None, vars(module))
            for value in list(vars(module).values()):
                if isinstance(value, type) and id(value) not in seen \
                        and not value.__flags__ & _IMMUTABLE_TYPE \
                        and str(getattr(value, "__module__", "")).split(".")[0] in PROTECTED:
                    seen.add(id(value))
                    add(value, vars(value))        # a mappingproxy: a live view
        return self

    def restore(self):
        """Put back what was changed; return the names put back."""
        changed = []
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(name)
        same = operator.is_
        for owner, namespace, names, values in self.groups:
            if all(map(same, map(namespace.get, names), values)):
                continue                                     # the fast path, in C
            for name, value in zip(names, values):
                if namespace.get(name, _MISSING) is value:
                    continue
                try:
                    if owner is None:
                        namespace[name] = value
                    else:
                        setattr(owner, name, value)
                    changed.append(name if owner is None else f"{owner.__name__}.{name}")
                except (TypeError, AttributeError):
                    pass
        return changed


LIBRARIES = Libraries()      # filled by the zygote, before any worker exists


class Worker:
    """Serves the grader's requests (``op_<name>`` methods) on ``channel_in`` and
    ``channel_out`` (binary files over the worker's socket); the learner's cells run in a
    fresh ``__main__`` whose namespace is :attr:`namespace`."""

    def __init__(self, channel_in, channel_out):
        self.channel_in, self.channel_out = channel_in, channel_out
        self.main = types.ModuleType("__main__")
        self.main.__dict__["__builtins__"] = __builtins__
        sys.modules["__main__"] = self.main
        self.namespace = self.main.__dict__
        self.namespace["get_ipython"] = self.get_ipython
        self.handles, self.handle_of = {}, {}
        self.counter = itertools.count(1)
        self.notes = []
        self._shell = None
        self.config_snapshot = None

    # -- values ------------------------------------------------------------------------------
    def handle(self, value):
        module = type(value).__module__ or ""
        if module.startswith("cupy") and hasattr(value, "get"):
            return protocol.encode(value.get(), self.handle)
        key = id(value)
        number = self.handle_of.get(key)
        if number is None or self.handles.get(number) is not value:
            number = next(self.counter)
            self.handles[number], self.handle_of[key] = value, number
        return {"__handle__": number, "type": _type_name(value), "repr": _short_repr(value)}

    def resolve(self, description):
        number = description.get("__handle__")
        if number not in self.handles:
            raise LookupError(f"stale handle {number}")
        return self.handles[number]

    def encode(self, value):
        return protocol.encode(value, self.handle)

    def decode(self, data):
        return protocol.decode(data, self.resolve)

    # -- IPython, only when a cell uses a magic ----------------------------------------------
    def get_ipython(self):
        return _GraderShell(self)

    def real_shell(self):
        if self._shell is None:
            from IPython.core.interactiveshell import InteractiveShell

            class HeadlessShell(InteractiveShell):
                def enable_gui(self, gui=None):     # no event loop here: figures stay in memory
                    pass

            self._shell = HeadlessShell.instance(user_module=self.main)
            self.namespace["get_ipython"] = self.get_ipython   # IPython put its own there
        return self._shell

    # -- requests ----------------------------------------------------------------------------
    def set_cpu_budget(self, seconds):
        if not seconds:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = usage.ru_utime + usage.ru_stime
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(used + seconds) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))

    def op_run_cell(self, request):
        code = compile(request["source"], request["filename"], "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, self.namespace)
        return None

    def op_global(self, request):
        name = request["name"]
        if name not in self.namespace:
            raise NameError(f"name {name!r} is not defined")
        return self.namespace[name]

    def op_module(self, request):
        return importlib.import_module(request["name"])

    def op_call(self, request):
        target = self.decode(request["target"])
        args = self.decode(request["args"])
        kwargs = self.decode(request["kwargs"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return target(*args, **kwargs)

    def op_getattr(self, request):
        return getattr(self.decode(request["target"]), request["name"])

    def op_getitem(self, request):
        return self.decode(request["target"])[self.decode(request["key"])]

    def op_len(self, request):
        return len(self.decode(request["target"]))

    def op_list(self, request):
        items = list(itertools.islice(iter(self.decode(request["target"])), MAX_ITEMS + 1))
        if len(items) > MAX_ITEMS:
            raise ValueError(f"more than {MAX_ITEMS} items")
        return items

    def op_isinstance(self, request):
        module, _, name = request["type"].rpartition(".")
        kind = getattr(importlib.import_module(module), name)
        return isinstance(self.decode(request["target"]), kind)

    def op_type(self, request):
        value = self.decode(request["target"])
        return [_qualified(k) for k in type(value).__mro__]

    def op_keep(self, request):
        return self.decode(request["target"])

    def op_deepcopy(self, request):
        return copy.deepcopy(self.decode(request["target"]))

    def op_array(self, request):
        import numpy
        value = self.decode(request["target"])
        value = getattr(value, "array", value)        # a chainer.Variable's data
        if type(value).__module__.startswith("cupy"):
            value = value.get()
        array = numpy.asarray(value)
        if array.dtype == object:
            raise TypeError("this is not an array of numbers")
        return array

    def op_reset(self, request):
        """Before each check: the same chainer.config, random state and warnings for everyone."""
        import chainer
        import mlkit
        if self.config_snapshot is None:
            self.config_snapshot = dict(vars(chainer.global_config))
        vars(chainer.global_config).clear()
        vars(chainer.global_config).update(self.config_snapshot)
        local = getattr(chainer.config, "_local", None)
        if local is not None:
            vars(local).clear()
        mlkit.seed(request.get("seed", 0))
        return None

    def op_config(self, request):
        """Set one chainer.config entry for what follows; answer the value it had."""
        import chainer
        name = request["name"]
        old = getattr(chainer.config, name, None)
        setattr(chainer.config, name, self.decode(request["value"]))
        return old

    def op_guard(self, request):
        """Swap the code of what the exercise asks the learner to write for traps
        (:mod:`mlkit.grading.guard`), until ``unguard``."""
        from mlkit.grading import guard
        self.op_unguard(request)
        missing = [n for n in request["names"] if n not in guard.TABLE]
        if missing:      # the zygote resolved them all: a learner's code took them out
            raise guard.GuardError(f"the grader's table of {missing[0]} is gone")
        self.traps = guard.Traps(request["names"]).set()
        return None

    def op_unguard(self, request):
        """Put the trapped code back; the names whose trap ran meanwhile."""
        traps, self.traps = getattr(self, "traps", None), None
        return traps.unset() if traps is not None else []

    def op_release(self, request):
        self.handles.clear()
        self.handle_of.clear()
        return None

    def serve(self):
        restore = LIBRARIES.restore         # bound now: a learner's cell cannot swap it later
        while True:
            try:
                request = protocol.read_frame(self.channel_in)
            except protocol.ProtocolError:
                return
            if request is None or request.get("op") == "exit":
                return
            self.notes = []
            self.set_cpu_budget(request.get("cpu"))
            if request.get("op") != "run_cell":    # a cell may patch; nothing after it may
                changed = restore()
                if changed:
                    self.notes.append("your code changed the course's libraries ("
                                      + ", ".join(sorted(set(changed))[:3])
                                      + "); they were put back before checking")
            try:
                result = getattr(self, "op_" + request["op"])(request)
                if request["op"] == "keep":      # stays here even when it is plain data
                    reply = {"ok": self.handle(result)}
                else:
                    reply = {"ok": self.encode(result)}
            except BaseException as error:  # noqa: BLE001 -- SystemExit, KeyboardInterrupt too
                reply = {"error": describe(error)}
            reply["n"] = request.get("n")
            if self.notes:
                reply["notes"] = self.notes
            try:
                protocol.write_frame(self.channel_out, reply)
            except BaseException as error:  # noqa: BLE001 -- e.g. a value that will not encode
                protocol.write_frame(self.channel_out, {"error": describe(error),
                                                        "n": request.get("n")})


class _GraderShell:
    """``get_ipython()`` for a graded cell: IPython's own shell, except shell commands and
    package installs, which are skipped with a note (the grader runs none)."""

    def __init__(self, worker):
        self._worker = worker

    def _skip(self, what):
        self._worker.notes.append(f"skipped {what[:80]}: the grader runs no shell commands "
                                  "or installs")

    def system(self, command):
        self._skip(f"!{command}")

    def getoutput(self, command, split=True, depth=0):
        self._skip(f"!{command}")
        return []

    def run_line_magic(self, name, line, _stack_depth=1):
        if name in SKIPPED_MAGICS:
            return self._skip(f"%{name} {line}".strip())
        return self._worker.real_shell().run_line_magic(name, line, _stack_depth + 1)

    def run_cell_magic(self, name, line, cell):
        if name in SKIPPED_MAGICS:
            return self._skip(f"%%{name}")
        return self._worker.real_shell().run_cell_magic(name, line, cell)

    def __getattr__(self, name):
        return getattr(self._worker.real_shell(), name)


def _qualified(kind):
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"


def _type_name(value):
    try:
        return _qualified(type(value))
    except Exception:  # noqa: BLE001
        return "?"


def _short_repr(value, limit=120):
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001 -- a learner's __repr__ may do anything
        return "<unprintable>"
    return text if len(text) <= limit else text[:limit] + "..."


def describe(error):
    """A learner's exception as plain data: its type and bases, message, and where it was."""
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001
        message = "<unprintable message>"
    frames = [[f.filename, f.lineno, f.name]
              for f in traceback.extract_tb(error.__traceback__)[-30:]]
    return {"type": type(error).__name__, "mro": [_qualified(k) for k in type(error).__mro__],
            "message": message[:4000], "frames": frames,
            "syntax_line": getattr(error, "lineno", None) if isinstance(error, SyntaxError)
            else None}


# ------------------------------------------------------------------------------------------
# The zygote: imports everything once, then forks one fresh worker per request

PRELOADED = ("mlkit", "chainer", "chainer.functions", "chainer.links", "numpy",
             "matplotlib.pyplot", "tqdm.auto", "mlkit.plots", "mlkit.data", "mlkit.models",
             "mlkit.training", "mlkit.grading.blocks")
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
MAX_FILE_BYTES = 512 * 2**20
MAX_PROCESSES = 4096      # counted per user, and the sandbox user may map to a busy one

# A submission's own namespaces (see ZygoteServer)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 0x1, 0x2, 0x4, 0x8, 0x20
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE = 0x400, 0x800, 0x1000, 0x4000, 0x40000
MS_RELATIME, MS_STRICTATIME = 0x200000, 0x1000000
SCRATCH_BYTES = 512 * 2**20    # a submission's scratch folder (in the sandbox: all of its /tmp)
SHM_BYTES = 64 * 2**20         # its /dev/shm
MEMORY_POLL = 0.05             # seconds between two looks at a submission's memory
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _prctl(option, value):
    import ctypes
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        return -1


def _libc():
    import ctypes
    return ctypes.CDLL(None, use_errno=True)


def _checked(result, what):
    if result != 0:
        import ctypes
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source, target, kind, flags, options=None):
    def text(value):
        return value.encode() if isinstance(value, str) else value
    _checked(_libc().mount(text(source), text(target), text(kind), flags, text(options)),
             f"mount {target}")


def _write(path, text):
    with open(path, "w") as file:
        file.write(text)


def _read_only_again(folder):
    """Remount ``folder`` (a mount point) read-only in this mount namespace, keeping the flags
    that its mount has (the kernel refuses to drop those it locked)."""
    flags = os.statvfs(folder).f_flag
    keep = MS_REMOUNT | MS_BIND | MS_RDONLY
    for statvfs_flag, mount_flag in ((2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC),
                                     (1024, MS_NOATIME), (2048, MS_NODIRATIME),
                                     (4096, MS_RELATIME)):
        if flags & statvfs_flag:
            keep |= mount_flag
    if not flags & (1024 | 4096):
        keep |= MS_STRICTATIME
    _mount(None, folder, None, keep)


def _writable_mounts():
    """The mount points of this mount namespace that are writable folders (not /proc's)."""
    found = []
    with open("/proc/self/mountinfo") as file:
        for line in file:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if "rw" in fields[5].split(",") and not point.startswith(("/proc", "/sys")) \
                    and os.path.isdir(point):
                found.append(point)
    return found


def enter_namespaces(fresh, scratch, sandboxed):
    """In a child of the zygote: new user, mount, PID, IPC and UTS namespaces (its next child
    is PID 1 of the new PID namespace), and in the new mount namespace a fresh, size-limited
    tmpfs on ``fresh`` (the scratch folder, or in the sandbox all of /tmp, which holds it)
    and on /dev/shm. In the sandbox every other writable mount (its root, /dev) becomes
    read-only: what a worker writes anywhere is in its own tmpfs. Nothing of this is seen
    outside, and all of it goes with the last process of the namespaces."""
    uid, gid = os.getuid(), os.getgid()
    _checked(_libc().unshare(NAMESPACES), "unshare")
    try:
        _write("/proc/self/setgroups", "deny")
    except FileNotFoundError:
        pass
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    if sandboxed:
        for point in _writable_mounts():
            if point not in (fresh, "/dev/shm", "/dev/pts"):
                _read_only_again(point)
    _mount("tmpfs", fresh, "tmpfs", MS_NOSUID | MS_NODEV, f"size={SCRATCH_BYTES},mode=1777")
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={SHM_BYTES},mode=1777")
    os.makedirs(scratch, exist_ok=True)


def _drop_privileges():
    """The worker keeps no capability of its user namespace (none to mount, unmount or
    remount with), and no execve gives it one."""
    import ctypes
    libc = _libc()
    for capability in range(64):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)     # _LINUX_CAPABILITY_VERSION_3, this one
    _checked(libc.capset(header, (ctypes.c_uint32 * 6)()), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def tree_memory(root):
    """Bytes of memory held by the processes below ``root`` (a process number as /proc
    counts) in pages of their own (resident, not backed by a file), plus the System V shared
    memory of this IPC namespace. Pages a forked child still shares with its parent count for
    both: an estimate that errs on the side of too much."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                parent = int(file.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, todo = 0, list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as file:
                values = file.read().split()
            total += (int(values[1]) - int(values[2])) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    try:
        with open("/proc/sysvipc/shm", "rb") as file:
            lines = file.read().splitlines()
        column = lines[0].split().index(b"rss")
        total += sum(int(line.split()[column]) for line in lines[1:] if line.strip())
    except (OSError, IndexError, ValueError):
        pass
    return total


def _exit_status(code):
    return ["signal", os.WTERMSIG(code)] if os.WIFSIGNALED(code) \
        else ["exit", os.WEXITSTATUS(code)]


def _submission_init(link, channel, scratch):
    """PID 1 of one worker's namespaces. It forks the worker, reaps every process the
    learner's code orphans, and watches the memory of all of them together; it ends when the
    worker ends, when they use more than ``MLKIT_GRADE_MEMORY`` together, or when the zygote
    is gone, saying how the worker ended on ``link``. Its end is the namespace's: the kernel
    ends every process left in it (in their own sessions, double-forked, stopped: all)."""
    import json
    import select
    try:     # a /proc of this namespace where the kernel allows it (not inside bubblewrap)
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass
    worker = os.fork()
    if worker == 0:
        try:
            link.close()
            _serve_child(channel, scratch, isolated=True)
        finally:
            os._exit(70)
    channel.close()
    limit = int(os.environ.get("MLKIT_GRADE_MEMORY") or 0)
    me = int(os.readlink("/proc/self"))
    watched = [link]
    try:
        watched.append(os.pidfd_open(worker))
    except (AttributeError, OSError):
        pass
    status = None
    while status is None:
        ready, _, _ = select.select(watched, [], [], MEMORY_POLL)
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == worker:
                status = _exit_status(code)
        if status is None and link in ready:
            os._exit(0)                    # the zygote is gone
        if status is None and limit and tree_memory(me) > limit:
            status = ["memory", limit]
    try:
        link.send(json.dumps({"status": status}).encode())
    except OSError:
        pass
    os._exit(0)


def _serve_child(channel, scratch, isolated=False):
    """In a freshly forked worker: its own session, scratch folder and limits, then serve."""
    os.setsid()
    os.makedirs(scratch, exist_ok=True)
    os.chdir(scratch)
    os.environ["HOME"] = scratch
    os.environ["MPLCONFIGDIR"] = scratch
    os.environ["TMPDIR"] = scratch
    import tempfile
    tempfile.tempdir = None
    importlib.invalidate_caches()       # the scratch folder is new: forget what was there
    limit = os.environ.get("MLKIT_GRADE_MEMORY")
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    # No file larger than the scratch folder, and no fork bomb (where the user is not root).
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu_total = int(os.environ.get("MLKIT_GRADE_CPU_TOTAL", "0"))
    if cpu_total:
        used = resource.getrusage(resource.RUSAGE_SELF)
        total = int(used.ru_utime + used.ru_stime) + cpu_total
        resource.setrlimit(resource.RLIMIT_CPU, (total, total + 5))
    if isolated:
        _drop_privileges()
    worker = Worker(channel.makefile("rb"), channel.makefile("wb"))
    worker.op_reset({"seed": 0})
    protocol.write_frame(worker.channel_out, {"ready": True, "pid": os.getpid()})
    worker.serve()
    os._exit(0)   # no interpreter shutdown: a learner's atexit or __del__ gets no last word


class ZygoteServer:
    """The zygote's request loop, on ``control`` (a SEQPACKET socket; one JSON message a
    request, file descriptors alongside): ``fork`` a worker, its ``status``, ``kill`` it,
    ``clean`` up after a submission. The grader's side is
    :class:`mlkit.grading.remote.ZygoteHandle`.

    Where the machine allows (``isolated``), each worker gets namespaces of its own, as if it
    had a fresh sandbox: a child of the zygote enters new user, mount, PID, IPC and UTS
    namespaces (:func:`enter_namespaces`: a fresh tmpfs for scratch and /dev/shm) and forks
    their PID 1 (:func:`_submission_init`), which forks the worker. The worker's number here
    is that of its PID 1: killing it ends every process of the namespace, and once it is
    reaped none is left. Elsewhere each worker gets a scratch folder under ``scratch_root``
    and ``clean`` ends what is left with a kill loop (which a learner's code can outrun)."""

    def __init__(self, control, scratch_root, isolated=False, fresh=None, sandboxed=False):
        self.control, self.scratch_root = control, scratch_root
        self.isolated, self.fresh, self.sandboxed = isolated, fresh, sandboxed
        self.status = {}          # pid -> None while running, then ["exit", code] / ["signal", n]
        self.links = {}           # pid of a worker's PID 1 -> the socket it reports on
        self.counter = itertools.count(1)

    def reap(self):
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.links:
                self._read_report(pid)
            if pid in self.status and self.status[pid] is None:
                self.status[pid] = _exit_status(code)

    def _read_report(self, pid):
        """Take what the PID 1 of ``pid`` said about its worker's end, if it said it."""
        import json
        import select
        link = self.links.get(pid)
        if link is None or self.status.get(pid) is not None:
            return
        if select.select([link], [], [], 0)[0]:
            try:
                data = link.recv(65536)
                status = json.loads(data).get("status") if data else None
            except (OSError, ValueError, AttributeError):
                status = None
            if status:
                self.status[pid] = status

    def op_fork(self, message, fds):
        if not self.isolated:
            return self._fork_plain(fds)
        import json
        import select
        import socket
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        middle = os.fork()
        if middle == 0:
            try:
                self.control.close()
                mine.close()
                for link in self.links.values():
                    link.close()
                scratch = self.scratch_root
                enter_namespaces(self.fresh, scratch, self.sandboxed)
                init = os.fork()
                if init == 0:
                    _submission_init(theirs, socket.socket(fileno=fds[0]), scratch)
                theirs.send(json.dumps({"init": init}).encode())
                os._exit(0)
            except BaseException as error:  # noqa: BLE001 -- say it, then go
                try:
                    theirs.send(json.dumps({"error": f"{type(error).__name__}: "
                                                     f"{error}"}).encode())
                finally:
                    os._exit(71)
        theirs.close()
        os.close(fds[0])
        os.waitpid(middle, 0)
        init, early = None, None
        while init is None:
            if not select.select([mine], [], [], 10)[0]:
                break
            data = mine.recv(65536)
            if not data:
                break
            said = json.loads(data)
            if "error" in said:
                mine.close()
                raise OSError(said["error"])
            if "status" in said:
                early = said["status"]
            init = said.get("init", init)
        if init is None:
            mine.close()
            raise OSError("a worker's namespaces could not be made")
        self.links[init] = mine
        self.status[init] = early
        return {"pid": init}

    def _fork_plain(self, fds):
        import socket
        scratch = os.path.join(self.scratch_root, str(next(self.counter)))
        pid = os.fork()
        if pid == 0:
            try:
                self.control.close()
                _serve_child(socket.socket(fileno=fds[0]), scratch)
            finally:
                os._exit(70)
        os.close(fds[0])
        self.status[pid] = None
        return {"pid": pid}

    def op_status(self, message, fds):
        pid = message.get("pid")
        self._read_report(pid)
        self.reap()
        return {"status": self.status.get(pid)}

    def op_kill(self, message, fds):
        import signal
        pid = message.get("pid")
        if pid in self.links:
            # Its PID 1: SIGKILL from here cannot be refused, and the kernel ends every other
            # process of the namespace before the PID 1 can be reaped.
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                _, code = os.waitpid(pid, 0)
                ended = _exit_status(code)
            except ChildProcessError:       # reaped already: the namespace is gone
                ended = ["signal", signal.SIGKILL]
            self._read_report(pid)
            self.links.pop(pid).close()
            if self.status.get(pid) is None:
                self.status[pid] = ended if ended[0] == "signal" else ["signal", signal.SIGKILL]
            return {"status": self.status[pid]}
        if pid in self.status and self.status[pid] is None:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.waitpid(pid, 0)
                self.status[pid] = ["signal", signal.SIGKILL]
            except ChildProcessError:
                pass
        return {"status": self.status.get(pid)}

    def _descendants(self):
        """Processes whose parent is this one: workers, and (as child subreaper) every
        orphan a learner's code left behind."""
        mine, found = str(os.getpid()), []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as file:
                    fields = file.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == mine:
                found.append(int(entry))
        return found

    def op_guards(self, message, fds):
        """Resolve what the lessons' exercises ask the learner to write themselves, here, before
        any learner's code runs (:func:`mlkit.grading.guard.resolve`); then take the snapshot
        of the libraries again, with what that imported."""
        from mlkit.grading import guard
        problems = guard.resolve(message.get("names") or [])
        LIBRARIES.__init__()
        LIBRARIES.snapshot()
        return {"problems": problems}

    def op_clean(self, message, fds):
        """End every process a submission left and empty the scratch folders; answer how
        many processes are left (then the grader starts a fresh zygote)."""
        import shutil
        import signal
        for pid in list(self.links):
            self.op_kill({"pid": pid}, fds)
        for _ in range(50):
            left = self._descendants()
            if not left:
                break
            for pid in left:
                for kill in (os.killpg, os.kill):
                    try:
                        kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            self.reap()
            for pid in left:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        self.status.clear()

        def unlock(function, path, error):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700) if os.path.isdir(path) else None
            function(path)

        if not self.isolated:
            for entry in os.listdir(self.scratch_root):
                target = os.path.join(self.scratch_root, entry)
                try:
                    if os.path.isdir(target) and not os.path.islink(target):
                        shutil.rmtree(target, onerror=unlock)
                    else:
                        os.remove(target)
                except OSError:
                    pass
        return {"left": len(self._descendants())}

    def serve(self):
        import json
        import socket
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.control, 65536, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                self.op_clean({}, [])
                return
            try:
                message = json.loads(data)
                reply = getattr(self, "op_" + message["op"])(message, fds)
            except Exception as error:  # noqa: BLE001 -- say it; the grader decides
                reply = {"error": f"{type(error).__name__}: {error}"}
            self.control.send(json.dumps(reply).encode())


def probe_namespaces(fresh, scratch, sandboxed):
    """None when this process may give each worker namespaces of its own (tried in a child),
    else why not."""
    if os.environ.get("MLKIT_GRADE_NAMESPACES", "1") == "0":
        return "turned off (MLKIT_GRADE_NAMESPACES=0)"
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(readable)
        try:
            enter_namespaces(fresh, scratch, sandboxed)
            child = os.fork()
            if child == 0:
                os._exit(0)
            os.waitpid(child, 0)
            os._exit(0)
        except BaseException as error:  # noqa: BLE001
            os.write(writable, f"{type(error).__name__}: {error}".encode()[:500])
        finally:
            os._exit(1)
    os.close(writable)
    said = b""
    while True:
        chunk = os.read(readable, 1000)
        if not chunk:
            break
        said += chunk
    os.close(readable)
    _, code = os.waitpid(pid, 0)
    if said or code:
        return said.decode("utf-8", "replace") or f"the probe ended with {code}"
    return None


def zygote_main():
    """The zygote: control socket on standard input, imports, then :class:`ZygoteServer`."""
    import socket
    control = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    # A lesson's checks hold its reference answers: the worker may import only the lessons'
    # helpers (in the sandbox the other files are not even there).
    from mlkit.grading import course
    course.install(only={course.WORKER_VISIBLE})
    try:
        lesson_helpers = [course.module_name(number, course.WORKER_VISIBLE)
                          for number, folder in course.folders(holding=None).items()
                          if (folder / f"{course.WORKER_VISIBLE}.py").is_file()]
    except course.CourseError:
        lesson_helpers = []
    for name in PRELOADED + tuple(lesson_helpers):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 -- a missing extra only costs its import later
            pass
    LIBRARIES.snapshot()
    # Workers are forked from here: none may read or trace this process (or each other),
    # and every process they leave behind becomes this one's child, to be ended.
    _prctl(PR_SET_DUMPABLE, 0)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    scratch_root = os.environ.get("MLKIT_GRADE_SCRATCH") or os.getcwd()
    os.makedirs(scratch_root, exist_ok=True)
    # In the sandbox the scratch folder is in /tmp, which only the workers write to: each
    # gets a fresh /tmp. Without it, each gets a fresh scratch folder.
    sandboxed = os.environ.get("MLKIT_GRADE_SANDBOXED") == "1"
    fresh = "/tmp" if sandboxed and scratch_root.startswith("/tmp/") else scratch_root
    problem = probe_namespaces(fresh, scratch_root, sandboxed)
    import json
    control.send(json.dumps({"ready": True,
                             "isolation": "shared" if problem else "namespaces",
                             "problem": problem}).encode())
    ZygoteServer(control, scratch_root, isolated=problem is None, fresh=fresh,
                 sandboxed=sandboxed).serve()
    os._exit(0)


if __name__ == "__main__":
    zygote_main()
