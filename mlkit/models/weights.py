"""The one file format for trained models: what ships with mlkit and what the lessons save.

A weights file is an ``.npz`` archive (NumPy's zip of ``.npy`` arrays, no pickles) holding

- every parameter and persistent value of the model (batch-norm statistics included) under the
  name Chainer's own ``save_npz`` gives it (``fc/W``, ``blocks/0/bn1/avg_mean``, ...), so
  ``chainer.serializers.load_npz(path, model)`` reads the file too;
- one more entry, :data:`META` (``_meta``): a JSON text ::

      {"format": "mlkit-weights/1",
       "model": "mlkit.models.dcgan.Generator",          # the class that rebuilds it
       "config": {"n_latent": 100, "width": 32},         # its constructor's arguments
       "info": {"iterations": 3000, "source": "offline", ...},   # how it was made
       "params_sha256": "4f0c..."}                       # of the arrays (names, types, bytes)

The archive is written atomically and byte-for-byte reproducibly (sorted members, fixed time
stamps), so the same weights always give the same file and the same SHA-256. ::

    from mlkit.models import weights
    digest = weights.save(model, "result/g.npz", iterations=3000)   # the file's SHA-256
    model = weights.load("result/g.npz")          # rebuilt from the file alone, on the CPU
    gen = weights.load("dcgan_generator")         # a shipped model, by name (see SHIPPED)
    meta, arrays = weights.read("result/g.npz")   # what the file holds, nothing built

A model can be saved when it has ``model.config``: the keyword arguments that build it again.
:func:`load` rebuilds only classes of ``mlkit.models``, and checks the file on the way: the
SHA-256 of the whole file for a shipped model (or when asked), the architecture's names and
shapes, and the arrays against ``params_sha256``. Any problem is a :class:`WeightsError` that
says what is wrong (a missing file is a ``FileNotFoundError``).

The shipped files and the commands that made them (from a checkout) are listed in
:data:`SHIPPED`; a retrained file gets its new SHA-256 recorded there.
"""
import hashlib
import importlib
import json
import zipfile
from pathlib import Path
from typing import NamedTuple

import chainer
import numpy

from mlkit.atomic import atomic_write
from mlkit.checksum import sha256_file

FORMAT = "mlkit-weights/1"
META = "_meta"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MODEL_PACKAGE = "mlkit.models."


class Shipped(NamedTuple):
    """A weights file that ships with mlkit: its SHA-256 and the command that made it."""
    sha256: str
    made_by: str


_DCGAN = "nice -n 10 .venv/bin/python bench/train_dcgan.py --out mlkit/models/weights"
#: ``{name: Shipped}`` of the files in :data:`WEIGHTS_DIR` (``name.npz``).
SHIPPED = {
    "dcgan_generator": Shipped(
        "2be0afae8289a191133f784d70ac1d1d2256fc81a5ebd71a36cf6f90193035d8", _DCGAN),
    "dcgan_vectorizer": Shipped(
        "c58e57ec8749aed6780b2d5de69e4158c6d768a991f4c0cb55622d77e3f6da46", _DCGAN),
    "srresnet_x2": Shipped(
        "051e0d973a01b6705232c4262a61fd18a88bcfc14547df0861f5b9e7b61af6a2",
        "nice -n 10 .venv/bin/python bench/train_upscaler.py"),
}


class WeightsError(ValueError):
    """A weights file that cannot be (or must not be) loaded; the message says why."""


def shipped_path(name):
    """Where the shipped weights file ``name`` (a key of :data:`SHIPPED`) lies."""
    if name not in SHIPPED:
        raise KeyError(f"no shipped weights are called {name!r}; there are {sorted(SHIPPED)}")
    return WEIGHTS_DIR / f"{name}.npz"


# ---- saving ------------------------------------------------------------------------------

def _serialized(model):
    """What ``chainer.serializers.save_npz`` stores for ``model``: ``{name: NumPy array}`` on
    the host, or None for a layer sized by its first input that has not seen one yet."""
    serializer = chainer.serializers.DictionarySerializer()
    serializer.save(model)
    return {key: None if value is None or getattr(value, "dtype", None) == object
            else numpy.asarray(value) for key, value in serializer.target.items()}


def arrays_of(model):
    """``{name: NumPy array}`` of every parameter and persistent value of ``model`` (batch-norm
    statistics too), named as ``chainer.serializers.save_npz`` names them, on the host."""
    arrays = _serialized(model)
    for key, value in arrays.items():
        if value is None:
            raise ValueError(f"{key} is not initialized yet (a layer sized by its first "
                             "input): run the model on one batch before saving it")
    return arrays


def params_sha256(arrays):
    """The SHA-256 of ``arrays`` (``{name: array}``): names, dtypes, shapes and bytes, in name
    order. It does not depend on how the arrays are stored (compression, zip layout)."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        array = numpy.ascontiguousarray(arrays[key])
        digest.update(json.dumps([key, array.dtype.str, list(array.shape)]).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _plain(value, where):
    """``value`` as JSON would hold it (NumPy scalars become Python numbers)."""
    if isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(item, where) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item, where) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{where} must hold plain values (numbers, strings, lists, dicts), "
                    f"not {type(value).__name__} {value!r}")


def save(model, path, **info):
    """Write ``model`` to ``path`` atomically in the format of this module; returns the file's
    SHA-256 (hex).

    Args:
        model: a ``chainer.Link`` with ``model.config``, the keyword arguments that build it
            (``type(model)(**model.config)``); its arrays may be on any device.
        path: the ``.npz`` file to write (its folder is made when missing).
        **info: how the model was made (iterations, data, seed, ...): plain values, stored
            as JSON and given back by :func:`load` as ``model.weights_info``.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise TypeError(f"{type(model).__name__} has no .config (the keyword arguments that "
                        "build it again), so a file could not rebuild it")
    arrays = arrays_of(model)
    if META in arrays:
        raise ValueError(f"the model has a parameter called {META!r}, the name of the metadata")
    meta = dict(format=FORMAT, model=f"{type(model).__module__}.{type(model).__qualname__}",
                config=_plain(config, "model.config"), info=_plain(info, "info"),
                params_sha256=params_sha256(arrays))
    arrays[META] = numpy.array(json.dumps(meta, sort_keys=True))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as file:
        # numpy.savez_compressed, but reproducible: numpy stamps each member with the time.
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for key in sorted(arrays):
                member = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w", force_zip64=True) as stream:
                    numpy.lib.format.write_array(stream, arrays[key], allow_pickle=False)
    return sha256_file(path)


# ---- loading -----------------------------------------------------------------------------

def _locate(name_or_path):
    """``(path, shipped name or None)``: a key of :data:`SHIPPED`, or a path (a path to a
    shipped file counts as its name)."""
    if isinstance(name_or_path, str) and name_or_path in SHIPPED:
        return shipped_path(name_or_path), name_or_path
    path = Path(name_or_path)
    name = path.stem if path.suffix == ".npz" else None
    if name in SHIPPED and path.resolve() == shipped_path(name).resolve():
        return path, name
    return path, None


def _check_file(path, expected, shipped):
    """The whole file's SHA-256 against ``expected`` (that of the shipped file ``shipped``, or
    one the caller gave when ``shipped`` is None)."""
    found = sha256_file(path)
    if found == expected:
        return
    if shipped is None:
        why = "the sha256 asked for)"
    else:
        why = (f"the sha256 recorded in {__name__}.SHIPPED). Restore it (git checkout, or "
               f"reinstall mlkit); if you retrained it on purpose "
               f"({SHIPPED[shipped].made_by}), record the new one there")
    raise WeightsError(f"{path} is damaged or was replaced: its SHA-256 is {found}, not "
                       f"{expected} ({why}.")


def read(path):
    """``(meta, arrays)`` of the weights file ``path``, unchecked: the metadata as a dict and
    ``{name: array}`` of everything else. Raises :class:`WeightsError` for a file that is not
    one (see :func:`load` for the checks)."""
    try:
        with numpy.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise WeightsError(f"{path} is not an .npz weights file ({error})") from None
    if META not in arrays:
        older = any(key.startswith(("_config/", "_info/")) for key in arrays)
        raise WeightsError(
            f"{path} is not an mlkit weights file: it has no {META} entry "
            + ("(it was written by an older mlkit: load it with that version and save it "
               "again with mlkit.models.weights.save)" if older
               else "(write one with mlkit.models.weights.save)"))
    try:
        meta = json.loads(str(arrays.pop(META)))
    except ValueError as error:
        raise WeightsError(f"{path}: its {META} entry is not JSON ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise WeightsError(f"{path} is in format {found!r}; this mlkit reads {FORMAT!r}")
    missing = [key for key in ("model", "config", "info", "params_sha256") if key not in meta]
    if missing:
        raise WeightsError(f"{path}: its {META} entry lacks {missing}")
    return meta, arrays


def _model_class(name, path):
    """The class ``name`` (``package.module.Class``) of ``mlkit.models``."""
    module, _, qualname = name.rpartition(".")
    if not module.startswith(MODEL_PACKAGE):
        raise WeightsError(
            f"{path} holds a {name}; only models of {MODEL_PACKAGE[:-1]} are rebuilt from "
            "a file (build yours and fill it with chainer.serializers.load_npz(path, model))")
    try:
        found = getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError):
        raise WeightsError(f"{path} holds a {name}, which this mlkit does not have") from None
    if not (isinstance(found, type) and issubclass(found, chainer.Link)):
        raise WeightsError(f"{path} names {name}, which is not a model")
    return found


def _check_arrays(path, meta, model, arrays):
    """The stored arrays against the rebuilt model's names and shapes, then their checksum."""
    expected = {key: None if value is None else tuple(value.shape)
                for key, value in _serialized(model).items()}
    missing = sorted(set(expected) - set(arrays))
    unexpected = sorted(set(arrays) - set(expected))
    if missing or unexpected:
        raise WeightsError(
            f"{path} does not fit its own architecture {meta['model']}({meta['config']}): "
            + (f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}"))
    for key, shape in expected.items():
        if shape is not None and arrays[key].shape != shape:
            raise WeightsError(f"{path}: {key} has shape {arrays[key].shape}, the "
                               f"architecture needs {shape}")
    if params_sha256(arrays) != meta["params_sha256"]:
        raise WeightsError(f"{path} is damaged: its arrays do not match the checksum stored "
                           "with them (params_sha256)")


def load(name_or_path, *, sha256=None, kind=None):
    """The model stored in a weights file, rebuilt and filled, on the CPU.

    Args:
        name_or_path: a shipped model's name (a key of :data:`SHIPPED`, e.g.
            ``"srresnet_x2"``) or the path of a file written by :func:`save`.
        sha256: the SHA-256 the whole file must have; a shipped file is always checked
            against :data:`SHIPPED`.
        kind: a class the model must be an instance of (e.g. ``srgan.Generator``).

    Returns:
        the model, with ``model.weights_info``: the file's ``info`` plus ``path``.

    Raises:
        FileNotFoundError: no such file.
        WeightsError: not a weights file, a damaged or replaced one, a model of another kind,
            or arrays that do not fit the architecture the file names.
    """
    path, shipped = _locate(name_or_path)
    if not path.is_file():
        if shipped is not None:
            raise FileNotFoundError(
                f"no model file at {path}: the mlkit installation is incomplete (reinstall "
                f"it) or, from a checkout, make it with: {SHIPPED[shipped].made_by}")
        hint = "" if path.suffix else f" (the shipped models are {', '.join(SHIPPED)})"
        raise FileNotFoundError(f"no model file at {path}{hint}")
    if sha256 is not None:
        _check_file(path, sha256, None)
    elif shipped is not None:
        _check_file(path, SHIPPED[shipped].sha256, shipped)
    meta, arrays = read(path)
    make = _model_class(meta["model"], path)
    if kind is not None and not issubclass(make, kind):
        raise WeightsError(f"{path} holds a {meta['model']}, not a "
                           f"{kind.__module__}.{kind.__qualname__}")
    try:
        model = make(**meta["config"])
    except (TypeError, ValueError) as error:
        raise WeightsError(f"{path} describes no valid {meta['model']}: {error}") from None
    _check_arrays(path, meta, model, arrays)
    chainer.serializers.NpzDeserializer(arrays).load(model)
    model.weights_info = dict(meta["info"], path=str(path))
    return model
