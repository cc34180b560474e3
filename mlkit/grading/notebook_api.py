"""``nb``: the learner's notebook as a check sees it, wherever the check runs.

A check is a function of one argument, ``nb``; it passes by returning and fails by raising
(``expect(condition, hint)``). All it may use of ``nb``::

    nb.make_model            the notebook's global ``make_model`` (a Hint "`make_model` is not
                             defined in your notebook ..." when it has none)
    nb.rng                   a NumPy Generator for this check and this grading's seed (the
                             report says it; MLKIT_GRADE_SEED=<seed> draws the same again)
    nb.mode                  "local" (mlkit.check) or "grader" (mlkit grade, pytest)
    nb.module("chainer.links")        a module where the learner's code runs: build inputs there
    nb.isinstance(v, "chainer.Link")  isinstance, asked where ``v`` lives
    nb.type_names(v)         the qualified names of v's classes (its MRO), asked where it lives
    nb.deepcopy(v)           copy.deepcopy(v), made where ``v`` lives
    nb.keep(v)               ``v`` kept where the learner's code runs, so that a learner's
                             function can change it in place and the check can look afterwards
    nb.array(v)              v (an array, a Variable, a CuPy array) as a NumPy array: a snapshot
    nb.seed(n)               mlkit.seed(n) where the learner's code runs
    with nb.using_config("train", False): ...    chainer.using_config there, for the calls inside

What those return is used as ordinary Python: attributes, items, calls, ``len``, iteration.

Two runners implement it:

* :class:`mlkit.grading.instant.LocalNotebook` (``mlkit.check`` in the learner's kernel) hands
  out the learner's own objects;
* :class:`mlkit.grading.remote.RemoteNotebook` (``mlkit grade``, pytest) runs the learner's code
  in a sandboxed worker: plain data (numbers, strings, NumPy arrays, containers of them) comes
  back as itself, anything else as a :class:`mlkit.grading.remote.Remote` handle, whose every
  use is a request to the worker.

The methods of :class:`Notebook` serve values that live in this process; ``RemoteNotebook``
sends the handles to the worker.
"""
import abc
import copy
import importlib
import os
import secrets
import zlib

import numpy

from mlkit.grading.hints import Hint

MISSING = object()      # what Notebook._global answers for a name the notebook does not define


def not_defined(name):
    """The hint for a name the learner's notebook does not define."""
    return Hint(f"`{name}` is not defined in your notebook; define it in its exercise cell "
                "(keep the name exactly as given)")


def qualified_names(value):
    """``module.QualifiedName`` of each class of ``value`` (a value in this process), MRO order."""
    return [f"{k.__module__}.{k.__qualname__}" for k in type(value).__mro__]


def local_isinstance(value, type_path):
    """``isinstance(value, <type_path>)`` for a value in this process (``'chainer.Link'``)."""
    module, _, name = type_path.rpartition(".")
    return isinstance(value, getattr(importlib.import_module(module), name))


def grading_seed():
    """The seed of one grading: ``MLKIT_GRADE_SEED`` when set (to repeat a grading), else a
    fresh one. Every check draws its inputs from it (:func:`check_rng`) and the report says it."""
    given = os.environ.get("MLKIT_GRADE_SEED", "").strip()
    if given:
        try:
            return int(given) % 2**32
        except ValueError:
            raise ValueError(f"MLKIT_GRADE_SEED={given!r} is not a whole number; set it to the "
                             "seed a grade report shows") from None
    return secrets.randbits(32)


def check_rng(seed, check_id):
    """The inputs of check ``check_id`` in the grading with ``seed``: the same seed draws the
    same inputs for the same check, whichever checks ran before it."""
    return numpy.random.default_rng([int(seed), zlib.crc32(str(check_id).encode())])


class Notebook(abc.ABC):
    """The learner's notebook as checks see it: its global names read as attributes."""

    mode = None             # "local" or "grader"

    def __init__(self):
        self.rng = numpy.random.default_rng(secrets.randbits(64))

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = self._global(name)
        if value is MISSING:
            raise not_defined(name)
        return value

    @abc.abstractmethod
    def _global(self, name):
        """The notebook's global ``name``, or :data:`MISSING`."""

    @abc.abstractmethod
    def module(self, name):
        """The module ``name`` where the learner's code runs (``nb.module('chainer.links')``)."""

    def isinstance(self, value, type_path):
        """``isinstance(value, <type_path>)``, asked where the value lives."""
        return local_isinstance(value, type_path)

    def type_names(self, value):
        """The qualified names of ``value``'s classes (MRO order), asked where it lives."""
        return qualified_names(value)

    def deepcopy(self, value):
        """``copy.deepcopy(value)``, made where the value lives."""
        return copy.deepcopy(value)

    def keep(self, value):
        """``value`` kept where the learner's code runs (in the learner's kernel: itself)."""
        return value

    @abc.abstractmethod
    def array(self, value):
        """``value`` as a NumPy array (a Variable's data, a CuPy array copied to the host)."""

    @abc.abstractmethod
    def seed(self, value):
        """``mlkit.seed(value)`` where the learner's code runs."""

    @abc.abstractmethod
    def using_config(self, name, value):
        """A context manager: ``chainer.using_config(name, value)`` where the learner's code
        runs, for the calls inside."""
