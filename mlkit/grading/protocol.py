"""What crosses between the grader and the worker that runs a learner's code: plain data only.

Messages between the grader and a worker are length-prefixed JSON frames (4-byte big-endian
length, then UTF-8 JSON); the zygote's control socket, which never carries a learner's values,
has one bare JSON object per packet instead. Values inside the frames are encoded by
:func:`encode` into JSON with a few tagged forms::

    None, bool, int, float, str          as themselves (NaN and infinities as tagged floats)
    tuple, list, dict                    tagged containers of encoded values
    numpy arrays and scalars             an ``.npy`` byte string, base64 (never pickled)
    anything else                        a handle: {"__handle__": id, "type": ..., "repr": ...}

A handle names an object that stays in the worker; the grader can only ask the worker to do
something with it. Decoding never calls ``pickle`` and never imports a learner's class: arrays
are read with ``numpy.load(..., allow_pickle=False)`` and an object dtype is refused.
"""
import base64
import io
import json
import math
import struct

import numpy

MAX_FRAME = 256 * 1024 * 1024    # one answer larger than this is refused, not read
MAX_DEPTH = 40                   # nesting deeper than this is not plain data
HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """A frame that is not what the protocol allows (a learner's code wrote to the channel?)."""


# ------------------------------------------------------------------------------------------
# values

def is_plain_array(value):
    return isinstance(value, (numpy.ndarray, numpy.generic)) and value.dtype != object


def _array_bytes(array):
    buffer = io.BytesIO()
    numpy.save(buffer, numpy.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode(value, make_handle, depth=0):
    """``value`` as JSON-ready data; objects that are not plain become ``make_handle(obj)``."""
    if depth > MAX_DEPTH:
        return make_handle(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) in (int, bool):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if type(value) is complex:
        return {"__complex__": [value.real, value.imag]}
    if type(value) is bytes:
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if is_plain_array(value):
        tag = "__ndarray__" if isinstance(value, numpy.ndarray) else "__npscalar__"
        return {tag: _array_bytes(value)}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, make_handle, depth + 1) for v in value]}
    if type(value) is list:
        return {"__list__": [encode(v, make_handle, depth + 1) for v in value]}
    if type(value) is dict:
        return {"__dict__": [[encode(k, make_handle, depth + 1), encode(v, make_handle, depth + 1)]
                             for k, v in value.items()]}
    return make_handle(value)


def _load_array(text):
    try:
        array = numpy.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as error:  # noqa: BLE001 -- any malformed array is a protocol error
        raise ProtocolError(f"an array could not be read ({error})") from None
    return array


def decode(data, make_proxy, depth=0):
    """The value that :func:`encode` encoded; handles become ``make_proxy(description)``."""
    if depth > MAX_DEPTH:
        raise ProtocolError("data nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        raise ProtocolError("untagged list")
    if not isinstance(data, dict) or len(data) < 1:
        raise ProtocolError(f"unexpected value of type {type(data).__name__}")
    if "__handle__" in data:
        return make_proxy(data)
    (tag, payload), = list(data.items())[:1]
    if tag == "__float__":
        if payload not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(payload)
    if tag == "__complex__":
        return complex(float(payload[0]), float(payload[1]))
    if tag == "__bytes__":
        return base64.b64decode(payload, validate=True)
    if tag == "__ndarray__":
        return _load_array(payload)
    if tag == "__npscalar__":
        return _load_array(payload)[()]
    if tag in ("__tuple__", "__list__"):
        if not isinstance(payload, list):
            raise ProtocolError("bad container")
        items = [decode(v, make_proxy, depth + 1) for v in payload]
        return tuple(items) if tag == "__tuple__" else items
    if tag == "__dict__":
        result = {}
        for pair in payload:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ProtocolError("bad dict item")
            key = decode(pair[0], make_proxy, depth + 1)
            try:
                result[key] = decode(pair[1], make_proxy, depth + 1)
            except TypeError:
                raise ProtocolError("unhashable dict key") from None
        return result
    raise ProtocolError(f"unknown tag {tag[:40]!r}")


# ------------------------------------------------------------------------------------------
# frames

def frame(message):
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


def write_frame(file, message):
    file.write(frame(message))
    file.flush()


def frame_length(header):
    if len(header) != HEADER.size:
        raise ProtocolError("truncated frame header")
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ProtocolError(f"a message of {length} bytes is larger than allowed")
    return length


def parse_frame(body):
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ProtocolError(f"not a JSON message ({type(error).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def read_frame(file):
    """The next message from a blocking binary file, or None at end of file."""
    header = file.read(HEADER.size)
    if not header:
        return None
    body = file.read(frame_length(header))
    return parse_frame(body)
