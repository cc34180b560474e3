"""Small helpers that the checks of several lessons share (``course/NN_name/checks.py``).

They run in the grader (or, for ``mlkit.check``, in the learner's kernel) on what ``nb`` hands
out (see :mod:`mlkit.grading.notebook_api`): plain values, or handles to objects in the worker.

    type_name(value)                     a value's class, as a hint names it
    is_real_number(value), real_number   whether it is one real number; it as a float, or None
    as_pair, as_dict, as_array           a returned value in the form a check reads, or a hint
    make_chain(nb, name, **kwargs)       the learner's Chain class ``name``, instantiated
    param_arrays(nb, model)              a model's parameters as ``{name: NumPy array}``
    close(a, b), same_params(a, b)       arrays, and dicts of parameters, equal within tolerances
    softplus, sigmoid                    float64 references
    expect_raw_scores(scores, what)      a hint when a model returns probabilities, not logits
"""
import numpy as np

from mlkit.grading.hints import expect


def type_name(value):
    """The class of ``value`` as a hint names it: a worker handle's ``module.QualifiedName``,
    the class name of a value here."""
    return getattr(value, "type_name", type(value).__name__)


def is_real_number(value, integers=True):
    """Whether ``value`` is one real number: a Python or NumPy float, or int when ``integers``
    (never a bool), or a 0-d array of one (not of objects); not a complex number."""
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype == object:
            return False
        value = value[()]
    kinds = (int, float, np.integer, np.floating) if integers else (float, np.floating)
    return isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))


def real_number(value, integers=True):
    """``value`` as a float when it is one real number (see :func:`is_real_number`), else None."""
    return float(value) if is_real_number(value, integers) else None


def close(a, b, rtol=1e-4, atol=1e-5, dtype=None):
    """Whether ``a`` and ``b`` have the same shape and ``numpy.allclose`` values
    (``|a - b| <= atol + rtol * |b|``). With ``dtype`` both are converted first (``np.float64``:
    compared in double precision); without, compared in their own dtypes."""
    if dtype is not None:
        a, b = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol)


def same_params(a, b, rtol=1e-4, atol=1e-5, equal_nan=False, exact=False):
    """Whether two ``{name: array}`` dicts of parameters have the same names, shapes and values
    (``numpy.allclose`` with ``rtol``, ``atol``, ``equal_nan``; ``exact``: equal to the bit). A
    parameter that is None in ``a`` (never initialized) is never the same."""
    def same(u, v):
        if exact:
            return np.array_equal(u, v)
        return np.allclose(u, v, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return set(a) == set(b) and all(
        a[k] is not None and a[k].shape == b[k].shape and same(a[k], b[k]) for k in a)


def param_arrays(nb, model, uninitialized=False):
    """``{name: NumPy array}`` of the parameters of ``model`` (a link here or in the worker).
    A parameter never initialized (its array is None) is left out, or, with ``uninitialized``,
    given as None."""
    result = {}
    for name, p in model.namedparams():
        array = p.array
        if array is not None:
            result[name] = nb.array(array)
        elif uninitialized:
            result[name] = None
    return result


def make_chain(nb, name, **kwargs):
    """``nb.<name>(**kwargs)``: an instance of the learner's Chain class ``name``, or a hint."""
    model = getattr(nb, name)(**kwargs)
    expect(nb.isinstance(model, "chainer.Link"),
           f"{name}(...) should create a chainer.Chain, got {type_name(model)}: write "
           f"`class {name}(chainer.Chain):`")
    return model


def softplus(a):
    """``log(1 + exp(a))`` in float64, without overflow."""
    return np.logaddexp(0, np.asarray(a, np.float64))


def sigmoid(a):
    """``1 / (1 + exp(-a))`` in float64."""
    return 1 / (1 + np.exp(-np.asarray(a, np.float64)))


def expect_raw_scores(scores, what):
    """Class scores are unnormalised: the softmax belongs to the loss, not to the model."""
    scores = np.asarray(scores, np.float64)
    probabilities = (scores.ndim == 2 and scores.shape[1] > 1 and (scores >= 0).all()
                     and np.allclose(scores.sum(axis=1), 1, atol=1e-4))
    expect(not probabilities,
           f"{what} returns probabilities (each row is positive and sums to 1): return the raw "
           "class scores (logits) of the last Linear layer; F.softmax_cross_entropy applies the "
           "softmax itself, so a softmax inside the model applies it twice")


def as_pair(nb, value, what):
    """``value`` as a tuple of two: a tuple or a list (a namedtuple, or another subclass, is
    read in the worker), or a hint naming ``what``, e.g. 'move should return a pair (a, b)'."""
    if isinstance(value, list):
        value = tuple(value)
    elif not isinstance(value, tuple) and (nb.isinstance(value, "builtins.tuple")
                                           or nb.isinstance(value, "builtins.list")):
        value = nb.module("builtins").tuple(value)
    expect(isinstance(value, tuple) and len(value) == 2,
           f"{what}, got {type_name(value)}"
           + (f" of {len(value)} items" if isinstance(value, tuple) else ""))
    return value


def as_dict(nb, value, what):
    """``value`` as a dict (an OrderedDict or another dict subclass is read in the worker), or
    a hint naming ``what``."""
    if not isinstance(value, dict) and nb.isinstance(value, "builtins.dict"):
        value = nb.module("builtins").dict(value)
    expect(isinstance(value, dict), f"{what}, got {type_name(value)}")
    return value


def as_array(nb, value, what, expected="an array"):
    """``value`` (an array or a Variable, here or in the worker) as a NumPy array, or the hint
    '``what`` should be ``expected``, got ...'."""
    if isinstance(value, np.ndarray):
        return value
    expect(nb.isinstance(value, "chainer.Variable") or nb.isinstance(value, "numpy.ndarray"),
           f"{what} should be {expected}, got {type_name(value)}")
    return np.asarray(nb.array(value))
