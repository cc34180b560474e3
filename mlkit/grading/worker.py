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
MAX_FILE_BYTES = 512 * 2**20
MAX_PROCESSES = 4096      # counted per user, and the sandbox user may map to a busy one


def _prctl(option, value):
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _serve_child(channel, scratch):
    """In a freshly forked worker: its own session, scratch folder and limits, then serve."""
    os.setsid()
    os.makedirs(scratch, exist_ok=True)
    os.chdir(scratch)
    os.environ["HOME"] = scratch
    os.environ["MPLCONFIGDIR"] = scratch
    limit = os.environ.get("MLKIT_GRADE_MEMORY")
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    # No file larger than the scratch folder, and no fork bomb (where the user is not root).
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    cpu_total = int(os.environ.get("MLKIT_GRADE_CPU_TOTAL", "0"))
    if cpu_total:
        used = resource.getrusage(resource.RUSAGE_SELF)
        total = int(used.ru_utime + used.ru_stime) + cpu_total
        resource.setrlimit(resource.RLIMIT_CPU, (total, total + 5))
    worker = Worker(channel.makefile("rb"), channel.makefile("wb"))
    worker.op_reset({"seed": 0})
    protocol.write_frame(worker.channel_out, {"ready": True, "pid": os.getpid()})
    worker.serve()
    os._exit(0)   # no interpreter shutdown: a learner's atexit or __del__ gets no last word


class ZygoteServer:
    """The zygote's request loop, on ``control`` (a SEQPACKET socket; one JSON message a
    request, file descriptors alongside): ``fork`` a worker, its ``status``, ``kill`` it,
    ``clean`` up after a submission. Each worker gets a scratch folder under
    ``scratch_root``. The grader's side is :class:`mlkit.grading.remote.ZygoteHandle`."""

    def __init__(self, control, scratch_root):
        self.control, self.scratch_root = control, scratch_root
        self.status = {}          # pid -> None while running, then ["exit", code] / ["signal", n]
        self.counter = itertools.count(1)

    def reap(self):
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.status:
                self.status[pid] = (["signal", os.WTERMSIG(code)] if os.WIFSIGNALED(code)
                                    else ["exit", os.WEXITSTATUS(code)])

    def op_fork(self, message, fds):
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
        self.reap()
        return {"status": self.status.get(message.get("pid"))}

    def op_kill(self, message, fds):
        import signal
        pid = message.get("pid")
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

    def op_clean(self, message, fds):
        """End every process a submission left and empty the scratch folders."""
        import shutil
        import signal
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

        for entry in os.listdir(self.scratch_root):
            target = os.path.join(self.scratch_root, entry)
            try:
                shutil.rmtree(target, onerror=unlock)
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
    control.send(b'{"ready": true}')
    ZygoteServer(control, scratch_root).serve()
    os._exit(0)


if __name__ == "__main__":
    zygote_main()
