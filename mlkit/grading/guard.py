"""Exercises that ask the learner to write what a library already has.

An exercise names the callables that may not stand in for the learner's own code::

    lesson.exercise("1.3", "SGD by hand",
                    write_yourself=("chainer.optimizer", "chainer.optimizers"),
                    how="update each p.array from p.grad yourself")

A name is a function, a class (every method the class itself defines; a subclass inherits
them) or a module (every function and class defined in it and in its submodules). While the
exercise's checks run, the code of each such function is swapped for a trap (:class:`Traps`):
a call by any name (an alias made in an earlier cell, a wrapper, a subclass, a helper that
hides the call) runs the trap, which raises :class:`WriteItYourself` and records the name.
The function objects stay the same, so nothing else changes; the code goes back when the checks
are done, and the cells and the other exercises use the library freely.

The grader resolves the names in the zygote (:func:`resolve`), before any learner's code runs,
so a cell that rebinds ``chainer.functions.sigmoid`` cannot make the trap miss the real one.
What it does not catch: code written out again (that is the learner's own code, and the checks
judge it), and code objects taken out of the library's functions by hand
(``types.FunctionType(F.sigmoid.__code__, ...)``).
"""
import builtins
import importlib
import inspect
import sys
import types

HOOK = "__mlkit_write_it_yourself__"     # the builtin a trap calls: it records the name


class WriteItYourself(Exception):
    """A library callable that the exercise asks the learner to write was called."""

    def __init__(self, name):
        super().__init__(f"{name} does what this exercise asks you to write yourself")
        self.name = name


class GuardError(Exception):
    """A name in a lesson's ``write_yourself`` that names nothing the guard can trap."""


def _import(name):
    """The object at dotted path ``name``: the longest importable module, then attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(name)


def _functions_of_class(kind):
    for value in list(vars(kind).values()):
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            yield from (f for f in (value.fget, value.fset, value.fdel) if f is not None)
        elif callable(value) and not isinstance(value, type):
            yield value


def _import_submodules(package):
    """Import every submodule of ``package`` (those that import: an optional one may not)."""
    import pkgutil
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), package.__name__ + "."):
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 -- an optional part (a GPU one, say) is left out
            continue


def _module_members(module):
    prefix = module.__name__
    if prefix.split(".")[0] == "mlkit":      # the course's library: all of it, imported or not
        _import_submodules(module)
    modules = [m for n, m in list(sys.modules.items())
               if isinstance(m, types.ModuleType) and (n == prefix or n.startswith(prefix + "."))]
    for member in modules:
        for value in list(vars(member).values()):
            owner = getattr(value, "__module__", None) or ""
            if owner.startswith("mlkit.grading"):       # the grader's own worker: never
                continue
            if owner == prefix or owner.startswith(prefix + "."):
                yield value


def _unwrapped(function):
    """``function`` and what it wraps (functools.wraps' ``__wrapped__``), Python code only."""
    seen = []
    while function is not None and len(seen) < 20:
        if isinstance(function, types.MethodType):
            function = function.__func__
        if isinstance(function, types.FunctionType) and function not in seen:
            seen.append(function)
        function = getattr(function, "__wrapped__", None)
    return seen


def functions_named(name):
    """The Python functions that ``name`` (a function, class or module) stands for."""
    try:
        value = _import(name)
    except (ImportError, AttributeError) as error:
        raise GuardError(f"write_yourself names {name!r}, which cannot be imported "
                         f"({type(error).__name__}: {error})") from None
    if inspect.ismodule(value):
        members = list(_module_members(value))
    else:
        members = [value]
    found, seen = [], set()
    for member in members:
        candidates = _functions_of_class(member) if isinstance(member, type) else [member]
        for candidate in candidates:
            for function in _unwrapped(candidate):
                if id(function) not in seen:
                    seen.add(id(function))
                    found.append(function)
    if not found:
        raise GuardError(f"write_yourself names {name!r}, which has no Python code to trap "
                         "(a builtin or a C extension); name the Python functions around it")
    return found


TABLE = {}      # name -> ((function, its trap code), ...), made before any learner's code ran


def resolve(names):
    """Resolve ``names`` into :data:`TABLE` (those not resolved yet) and make the builtin that
    the traps call; the problems, by name."""
    setattr(builtins, HOOK, _make_exception)
    problems = {}
    for name in names:
        if name in TABLE:
            continue
        try:
            TABLE[name] = tuple((f, _trap_code(f, f"{f.__module__}.{f.__qualname__}"))
                                for f in functions_named(name))
        except GuardError as error:
            problems[name] = str(error)
    return problems


def _trap_code(function, name):
    """A code object for ``function`` (same number of free variables, same name) whose every
    call raises: ``HOOK(name)`` records the name and makes the exception."""
    free = function.__code__.co_freevars
    cells = "".join(f"    {v} = None\n" for v in free)
    touch = f"        ({', '.join(free)},)\n" if free else ""
    source = (f"def _outer():\n{cells}"
              f"    def _trap(*args, **kwargs):\n{touch}"
              f"        raise {HOOK}({name!r})\n"
              f"    return _trap\n")
    scope = {}
    exec(compile(source, f"<write it yourself: {name}>", "exec"), scope)
    code = scope["_outer"]().__code__
    return code.replace(co_name=function.__code__.co_name,
                        **({"co_qualname": function.__code__.co_qualname}
                           if hasattr(code, "co_qualname") else {}))


def _make_exception(name):
    Traps.used.append(name)
    return WriteItYourself(name)


class Traps:
    """The trapped code of ``names`` while a guarded exercise's checks run; ``used`` lists
    the names whose code was called meanwhile."""

    used = []

    def __init__(self, names):
        self.names = tuple(names)
        self.swapped = []

    def set(self):
        problems = resolve(self.names)
        if problems:
            raise GuardError("; ".join(problems.values()))
        Traps.used = []
        done = set()
        for name in self.names:
            for function, trap in TABLE[name]:
                if id(function) in done:
                    continue
                done.add(id(function))
                self.swapped.append((function, function.__code__))
                function.__code__ = trap
        return self

    def unset(self):
        """Put the code back; the names whose code was called while it was trapped."""
        for function, code in reversed(self.swapped):
            function.__code__ = code
        self.swapped = []
        used = list(dict.fromkeys(n for n in Traps.used if isinstance(n, str)))
        Traps.used = []
        return used

    def __enter__(self):
        return self.set()

    def __exit__(self, *exc):
        self.unset()
