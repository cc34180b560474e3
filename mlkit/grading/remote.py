"""The grader's side of the worker: start it, ask it things with a deadline, end it.

    ZygoteHandle     the grader's handle on the zygote: the process (sandboxed where the
                     machine allows) that imports the course's libraries once and forks the
                     workers; its side is :class:`mlkit.grading.worker.ZygoteServer`
    ForkedWorker     the grader's handle on one worker, the process that runs a learner's code;
                     its side is :class:`mlkit.grading.worker.Worker`
    RemoteNotebook   ``nb`` while grading (:mod:`mlkit.grading.notebook_api`)
    Remote           a handle to an object that stays in the worker

Checks see the learner's notebook as ``nb`` (a :class:`RemoteNotebook`): ``nb.make_model()``
asks the worker to call the learner's ``make_model``; what comes back is plain data (numbers,
strings, NumPy arrays, containers of them) or a :class:`Remote` handle to an object that stays
in the worker, whose attributes, items and calls are requests in turn. So a check reads as
ordinary Python and never holds, runs or unpickles anything the learner's code made.
"""
import collections
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy

from mlkit.grading import protocol
from mlkit.grading.hints import ExerciseTimeout, LearnerError
from mlkit.grading.notebook_api import MISSING, Notebook

START_TIMEOUT = 120      # seconds for the zygote to import the libraries, or a worker to start
STDERR_CHUNK = 1 << 16   # bytes read from the zygote's standard error at a time
STDERR_LINE = 500        # bytes kept of one line of it (a line may be gigabytes long)


class WorkerLost(Exception):
    """The worker ended (os._exit, a crash, a limit) or answered nonsense; ``reason`` says which."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class ZygoteHandle:
    """The grader's handle on the zygote: the process (``command``, sandboxed where the machine
    allows) that imports the course's libraries once and forks a fresh worker for each
    submission, and again after a worker is lost. It runs no learner code. Requests go as JSON
    over a control socket (the zygote's standard input); a worker's socket is passed along with
    the ``fork`` request."""

    def __init__(self, command, environment, cpu_total=None, memory=None, scratch=None,
                 wait=True, sandboxed=False):
        environment = dict(environment)
        if sandboxed:
            environment["MLKIT_GRADE_SANDBOXED"] = "1"
        if memory:
            environment["MLKIT_GRADE_MEMORY"] = str(int(memory))
        if cpu_total:
            environment["MLKIT_GRADE_CPU_TOTAL"] = str(int(cpu_total))
        if scratch:
            environment["MLKIT_GRADE_SCRATCH"] = str(scratch)
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            # Without the sandbox the zygote starts in the scratch folder: the folder on its
            # sys.path is then each worker's own scratch, never the grader's.
            self.process = subprocess.Popen(command, stdin=theirs.fileno(),
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                            env=environment, start_new_session=True,
                                            cwd=scratch or None)
        finally:
            theirs.close()
        self.stderr_tail = collections.deque(maxlen=40)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.ready = False
        self.isolation = None       # "namespaces": each worker gets its own; "shared": not
        self.isolation_problem = None
        self.guarded = set()        # names the zygote has resolved for write-it-yourself guards
        if wait:
            self.wait_ready()

    def wait_ready(self):
        """Wait until the zygote has imported the course's libraries (it boots meanwhile)."""
        if not self.ready:
            hello = self._receive(START_TIMEOUT)
            if not hello.get("ready"):
                self.close()
                raise WorkerLost("the grading worker did not start")
            self.isolation = hello.get("isolation", "shared")
            self.isolation_problem = hello.get("problem")
            self.ready = True

    def _drain_stderr(self):
        """Keep the last lines of the zygote's and its workers' standard error (a cell's
        prints), each cut to STDERR_LINE bytes; read in chunks, never a whole line at once, so
        gigabytes without a newline cost no memory here."""
        line = bytearray()

        def keep(piece):
            line.extend(piece[:max(0, STDERR_LINE - len(line))])

        with self.process.stderr as stream:
            while True:
                try:
                    chunk = os.read(stream.fileno(), STDERR_CHUNK)
                except OSError:
                    break
                if not chunk:
                    break
                *ended, rest = chunk.split(b"\n")
                for piece in ended:
                    keep(piece)
                    self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())
                    line.clear()
                keep(rest)
        if line:
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _receive(self, timeout):
        try:
            ready, _, _ = select.select([self.control], [], [], timeout)
            data = self.control.recv(65536) if ready else b""
        except (OSError, ValueError):        # reset, or closed here already
            data = b""
        message = None
        if data:
            try:
                message = json.loads(data)
            except ValueError:
                message = None
        if not isinstance(message, dict):
            tail = " / ".join(list(self.stderr_tail)[-3:])
            self.close()
            raise WorkerLost("the grading worker stopped" + (f" ({tail})" if tail else ""))
        return message

    def ask(self, message, fds=(), timeout=30):
        self.wait_ready()
        try:
            socket.send_fds(self.control, [json.dumps(message).encode()], list(fds))
        except OSError:
            self.close()
            raise WorkerLost("the grading worker is gone") from None
        reply = self._receive(timeout)
        if "error" in reply:
            raise WorkerLost(f"the grading worker failed: {reply['error']}")
        return reply

    def alive(self):
        return self.process.poll() is None

    def fork(self):
        """A fresh worker, as a :class:`ForkedWorker`."""
        self.wait_ready()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            pid = self.ask({"op": "fork"}, fds=[theirs.fileno()])["pid"]
        finally:
            theirs.close()
        worker = ForkedWorker(self, mine, pid)
        hello = worker.read_message(time.monotonic() + START_TIMEOUT)
        if not hello.get("ready"):
            worker.kill()
            raise WorkerLost("a grading worker did not start")
        return worker

    def prepare_guards(self, names):
        """Have the zygote resolve ``names`` (what exercises ask the learner to write) before
        it forks a worker; once per name. Raises ValueError for a name it cannot trap."""
        names = sorted(set(names) - self.guarded)
        if not names:
            return
        problems = self.ask({"op": "guards", "names": names}, timeout=START_TIMEOUT)["problems"]
        self.guarded.update(names)
        if problems:
            raise ValueError("; ".join(problems.values()))

    def clean(self):
        """End everything the last submission left running and empty its scratch folder;
        the number of processes left (0 unless they outran the zygote's kill loop)."""
        if not self.alive():
            raise WorkerLost("the grading worker is gone")
        return int(self.ask({"op": "clean"}, timeout=60).get("left") or 0)

    def close(self, grace=5):
        """End the zygote. Told to (its control socket closes), it ends every worker first,
        then itself, and the sandbox ends with it (bubblewrap's PID 1 ends every process
        left in the sandbox before it exits); only one that does not answer within ``grace``
        seconds is killed from here (or one still booting: no learner code has run in it)."""
        try:
            self.control.close()
        except OSError:
            pass
        if self.ready:
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.kill()
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


class ForkedWorker:
    """The grader's handle on one worker, the process that runs one learner's cells, forked by
    the zygote: requests and answers are :mod:`mlkit.grading.protocol` frames on ``channel``."""

    def __init__(self, zygote, channel, pid):
        self.zygote, self.channel, self.pid = zygote, channel, pid
        self.counter = 0
        self.cpu_seconds_asked = None
        self.closed = False

    # -- reading with a deadline -------------------------------------------------------------
    def _read_exactly(self, count, deadline):
        chunks, needed = [], count
        while needed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExerciseTimeout("deadline passed")
            ready, _, _ = select.select([self.channel], [], [], left)
            if not ready:
                continue
            try:
                chunk = self.channel.recv(min(needed, 1 << 20))
            except OSError:                  # the worker reset the connection
                chunk = b""
            if not chunk:
                raise WorkerLost(self._death_reason())
            chunks.append(chunk)
            needed -= len(chunk)
        return b"".join(chunks)

    def read_message(self, deadline):
        try:
            length = protocol.frame_length(self._read_exactly(protocol.HEADER.size, deadline))
            return protocol.parse_frame(self._read_exactly(length, deadline))
        except protocol.ProtocolError as error:
            self.kill()
            raise WorkerLost(f"the worker sent something that is not an answer ({error}); "
                             "does your code write to the grader's channel?") from None

    def _death_reason(self):
        status = None
        for _ in range(50):                  # the exit is seen a moment after the channel closes
            try:
                status = self.zygote.ask({"op": "status", "pid": self.pid}).get("status")
            except WorkerLost:
                break
            if status:
                break
            time.sleep(0.02)
        self.kill()
        if not status and not self.zygote.alive():
            return ("the worker and the process that started it ended (did your code kill its "
                    "parent process?)")
        if not status:
            return "the worker closed its channel"
        kind, number = status
        if kind == "memory":
            return (f"together, your code and the processes it started used more than "
                    f"{number / 2**30:g} GiB of memory, and all of them were stopped")
        if kind == "exit":
            return f"the Python process ended with exit code {number} (os._exit or exit?)"
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ \
            else str(number)
        if name == "SIGXCPU":
            return (f"it used more than its {self.cpu_seconds_asked or 0:g} s of CPU time and "
                    "was stopped (a loop that never ends?)")
        if name == "SIGSEGV":
            return "the Python process crashed (segmentation fault)"
        return f"the Python process was killed ({name}; out of memory?)"

    # -- requests ---------------------------------------------------------------------------
    def request(self, message, deadline, cpu=None):
        """Send ``message``; return the decoded reply, or raise WorkerLost / ExerciseTimeout."""
        if self.closed:
            raise WorkerLost("the worker is gone")
        self.counter += 1
        message = dict(message, n=self.counter)
        if cpu:
            message["cpu"] = max(1, int(cpu))
            self.cpu_seconds_asked = max(1, int(cpu))
        try:
            self.channel.sendall(protocol.frame(message))
        except OSError:
            raise WorkerLost(self._death_reason()) from None
        try:
            reply = self.read_message(deadline)
        except ExerciseTimeout:
            self.kill()
            raise
        if reply.get("n") != self.counter:
            self.kill()
            raise WorkerLost("the worker's answer did not match the question (tampering?)")
        return reply

    def alive(self):
        return not self.closed

    def kill(self):
        """End the worker and every process it started (the zygote does it: where each worker
        has namespaces of its own, it ends the namespace, and answers once it is empty)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.channel.close()
        except OSError:
            pass
        if self.zygote.alive():
            try:
                self.zygote.ask({"op": "kill", "pid": self.pid})
            except WorkerLost:
                pass


class Remote:
    """A handle to an object in the worker. Reading ``.name``, ``[key]``, ``len()``, iterating
    or calling it asks the worker; ``numpy.asarray(remote)`` fetches its numbers."""

    __slots__ = ("_notebook", "_number", "_type", "_repr")

    def __init__(self, notebook, description):
        self._notebook = notebook
        self._number = description["__handle__"]
        self._type = str(description.get("type", "?"))
        self._repr = str(description.get("repr", "?"))

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._notebook._ask("getattr", target=self, name=name)

    def __call__(self, *args, **kwargs):
        return self._notebook._ask("call", target=self, args=args, kwargs=kwargs)

    def __getitem__(self, key):
        return self._notebook._ask("getitem", target=self, key=key)

    def __len__(self):
        try:
            return self._notebook._ask("len", target=self)
        except LearnerError as error:   # list(remote) asks len() first and expects TypeError
            if error.is_a("TypeError"):
                raise TypeError(error.message) from None
            raise

    def __iter__(self):
        return iter(self._notebook._ask("list", target=self))

    def __array__(self, dtype=None, copy=None):
        array = self._notebook.array(self)
        return array.astype(dtype) if dtype is not None else array

    def __repr__(self):
        return self._repr

    @property
    def type_name(self):
        """The class of the object, as ``module.QualifiedName`` (the worker's word for it)."""
        return self._type


class RemoteNotebook(Notebook):
    """The notebook a check sees while grading: the learner's code runs in the worker of
    ``session`` (an :class:`mlkit.grading.engine.Session`); values that are not plain data
    stay there and come back as :class:`Remote` handles."""

    mode = "grader"

    def __init__(self, session):
        self._session = session
        self._interned = {}
        super().__init__()

    # -- the protocol --------------------------------------------------------------------------
    def _proxy(self, description):
        number = description["__handle__"]
        if number not in self._interned:
            self._interned[number] = Remote(self, description)
        return self._interned[number]

    def _reference(self, value):
        if isinstance(value, Remote):
            if value._notebook is not self:
                raise WorkerLost("a handle from another grading run")
            return {"__handle__": value._number}
        raise TypeError(f"cannot send a {type(value).__name__} to the worker; make it there "
                        "with nb.module(...)")

    def _ask(self, op, **fields):
        encoded = {key: protocol.encode(value, self._reference) for key, value in fields.items()}
        reply = self._session.ask(dict(encoded, op=op))
        if "error" in reply:
            raise LearnerError.from_description(reply["error"])
        try:
            return protocol.decode(reply.get("ok"), self._proxy)
        except protocol.ProtocolError as error:
            self._session.lose(f"the worker's answer could not be read ({error})")

    def forget_handles(self):
        """Drop this side's handles (the worker drops its objects on ``release``)."""
        self._interned.clear()

    # -- the Notebook interface: handles go to the worker, plain data is served here -----------
    def _global(self, name):
        try:
            return self._ask("global", name=name)
        except LearnerError as error:
            if error.is_a("NameError"):
                return MISSING
            raise

    def module(self, name):
        return self._ask("module", name=name)

    def isinstance(self, value, type_path):
        if not isinstance(value, Remote):
            return super().isinstance(value, type_path)
        return bool(self._ask("isinstance", target=value, type=type_path))

    def type_names(self, value):
        if not isinstance(value, Remote):
            return super().type_names(value)
        return list(self._ask("type", target=value))

    def deepcopy(self, value):
        if not isinstance(value, Remote):
            return super().deepcopy(value)
        return self._ask("deepcopy", target=value)

    def keep(self, value):
        """``value`` (an array, say) made in the worker and kept there, even plain data."""
        return self._ask("keep", target=value)

    def array(self, value):
        if isinstance(value, Remote):
            return self._ask("array", target=value)
        # plain data decoded from an answer belongs to the check already: no copy needed
        value = getattr(value, "array", value)
        return numpy.asarray(value)

    def seed(self, value):
        self.module("mlkit").seed(int(value))

    @contextlib.contextmanager
    def using_config(self, name, value):
        old = self._ask("config", name=name, value=value)
        try:
            yield
        finally:
            self._ask("config", name=name, value=old)


def zygote_command():
    """The command that starts the zygote (:func:`mlkit.grading.worker.zygote_main`)."""
    return [sys.executable, "-E", "-s", "-m", "mlkit.grading.worker"]
