"""``mlkit.needs(...)``: a cell that uses a learner's answer waits, politely, until it exists.

A demo cell of a lesson starts with the names it uses from earlier cells::

    mlkit.needs("sgd_step", "losses_by_hand")
    fig, axes = plt.subplots(1, 2)
    ...

When every name is defined and none of them is (or calls) an exercise's unfinished stub, the
cell runs as if the line were not there. Otherwise it prints one line, for example::

    (waiting) finish exercise 1.4 first: this cell uses `sgd_step`, which still waits for your code

and the rest of the cell does not run: no traceback, no half-drawn figure, and "Run All" goes
on to the next cell (the demos that need no exercise still run).

How it works: an exercise's stub (what ``mlkit release`` puts in the learner's copy) raises
``NotImplementedError("exercise 1.4: replace this line with your code")``. That message is a
constant in the function's compiled code, so a function is unfinished when its code, a nested
function's, a method of its class or a function of the notebook it calls holds such a constant.
In IPython (Jupyter), importing mlkit registers an AST transformer that turns a top-level
``mlkit.needs(...)`` line into ``if <ready>: <rest of the cell>``; the last expression of the
cell is still displayed when the cell runs. Anywhere else (a script, inside a function)
``needs`` raises :class:`ExerciseNotDone`, whose message IPython shows as that one line.
"""
import ast
import builtins
import re
import sys
import types

__all__ = ["ExerciseNotDone", "install", "needs", "ready", "unfinished"]

STUB_MESSAGE = re.compile(r"^exercise (\S+): replace this line with your code$")
_FLAG = "__mlkit_ready__"


class ExerciseNotDone(Exception):
    """A cell needs an exercise (or an earlier cell) first. IPython shows only the message."""

    def _render_traceback_(self):
        return [str(self)]


def _stub_in_code(code):
    """The exercise number whose stub message is a constant of ``code`` (or nested code)."""
    for constant in code.co_consts:
        if isinstance(constant, str):
            match = STUB_MESSAGE.match(constant)
            if match:
                return match.group(1)
        elif isinstance(constant, types.CodeType):
            found = _stub_in_code(constant)
            if found:
                return found
    return None


def _global_names(code):
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names


def _stub_of(value, namespace, seen):
    """The unfinished exercise that ``value`` is or calls, following the notebook's own
    functions and classes; None when there is none."""
    if id(value) in seen:
        return None
    seen.add(id(value))
    home = namespace.get("__name__", "__main__")
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        parts = [value.fget, value.fset, value.fdel]
        return next((found for part in parts if part is not None
                     for found in [_stub_of(part, namespace, seen)] if found), None)
    if isinstance(value, types.MethodType):
        value = value.__func__
    if isinstance(value, types.FunctionType):
        found = _stub_in_code(value.__code__)
        if found:
            return found
        for name in sorted(_global_names(value.__code__)):
            other = value.__globals__.get(name)
            if other is not None and getattr(other, "__module__", None) == home \
                    and isinstance(other, (type, types.FunctionType)):
                found = _stub_of(other, namespace, seen)
                if found:
                    return found
        return None
    if isinstance(value, type) and value.__module__ == home:
        for klass in value.__mro__:
            if klass.__module__ != home:
                continue
            for member in vars(klass).values():
                found = _stub_of(member, namespace, seen)
                if found:
                    return found
    return None


def unfinished(names, namespace):
    """The one-line reason why a cell that uses ``names`` cannot run yet, or None. An
    unfinished exercise is named first (in the order of ``names``); a name that is not defined
    at all only after that, since it usually comes from a cell that waited for an exercise."""
    for name in names:
        exercise = _stub_of(namespace[name], namespace, set()) if name in namespace else None
        if exercise:
            return (f"(waiting) finish exercise {exercise} first: this cell uses `{name}`, which "
                    "still waits for your code")
    for name in names:
        if name not in namespace and not hasattr(builtins, name):
            return (f"(waiting) `{name}` is not defined yet: run the cells above this one first "
                    "(and finish their exercises)")
    return None


def _names(names):
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"mlkit.needs takes the names a cell uses, as strings; got {name!r}")
    return names


def ready(*names, namespace=None):
    """True when a cell that uses ``names`` can run; otherwise print why (one line), False."""
    namespace = sys._getframe(1).f_globals if namespace is None else namespace
    reason = unfinished(_names(names), namespace)
    if reason:
        print(reason)
        return False
    return True


def needs(*names, namespace=None):
    """Stop here, with one line that says what to do first, unless every name in ``names`` is
    defined and finished. At the top of a notebook cell the rest of the cell is skipped
    quietly; see the module's doc."""
    namespace = sys._getframe(1).f_globals if namespace is None else namespace
    reason = unfinished(_names(names), namespace)
    if reason:
        raise ExerciseNotDone(reason)


def _is_needs_call(statement):
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return False
    function = statement.value.func
    return (isinstance(function, ast.Attribute) and function.attr == "needs"
            and isinstance(function.value, ast.Name) and function.value.id == "mlkit")


class NeedsTransformer(ast.NodeTransformer):
    """``mlkit.needs(*names)`` at the top level of a cell, then the rest::

        __mlkit_ready__ = __import__("mlkit.needs", fromlist=["ready"]).ready(*names)
        if __mlkit_ready__:
            <the rest, but its last expression>
        <last expression> if __mlkit_ready__ else None     # IPython displays it as before

    (``mlkit.needs`` is the function; ``__import__`` with a ``fromlist`` gives this module.)
    """

    def visit_Module(self, module):
        body = module.body
        where = next((i for i, s in enumerate(body) if _is_needs_call(s)), None)
        if where is None:
            return module
        call = body[where].value
        this_module = ast.Call(func=ast.Name("__import__", ast.Load()),
                               args=[ast.Constant(__name__)],
                               keywords=[ast.keyword("fromlist", ast.List([ast.Constant("ready")],
                                                                          ast.Load()))])
        ready_call = ast.Call(func=ast.Attribute(value=this_module, attr="ready", ctx=ast.Load()),
                              args=call.args, keywords=call.keywords)
        check = ast.Assign(targets=[ast.Name(_FLAG, ast.Store())], value=ready_call)
        rest, last = body[where + 1:], []
        if rest and isinstance(rest[-1], ast.Expr):
            expression = rest.pop()
            last = [ast.Expr(ast.IfExp(test=ast.Name(_FLAG, ast.Load()), body=expression.value,
                                       orelse=ast.Constant(None)))]
            ast.copy_location(last[0], expression)
            ast.copy_location(last[0].value, expression)
        guarded = [ast.If(test=ast.Name(_FLAG, ast.Load()), body=rest, orelse=[])] if rest else []
        for node in [check, *guarded]:
            ast.copy_location(node, body[where])
        module.body = body[:where] + [check] + guarded + last
        return ast.fix_missing_locations(module)


def install(shell=None):
    """Register the transformer with IPython (idempotent; nothing happens outside IPython)."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        get = getattr(ipython, "get_ipython", None)
        shell = get() if get else None
    if shell is None or not hasattr(shell, "ast_transformers"):
        return False
    if not any(isinstance(t, NeedsTransformer) for t in shell.ast_transformers):
        shell.ast_transformers.append(NeedsTransformer())
    return True


install()
