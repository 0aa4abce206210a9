"""The wire format between the grader and the worker that runs student code.

Plain values only: None, bool, int, float, str, lists, tuples, dicts with string keys, and
numpy arrays and scalars of boolean or real dtype, each coming back with its own type and
shape (a ``np.float64`` stays a ``np.float64``, a 0-d array stays 0-d). The structure
travels as JSON and every array as raw bytes described by the JSON, so decoding a message
from an untrusted process can never run code (unlike pickle). A value the format cannot
carry becomes ``Opaque(id)``, and the encoder's caller keeps the real object.

``decode`` is the grader's side of the boundary: it trusts nothing in the message and
raises ``Malformed`` for anything that is not exactly what ``encode`` writes.
"""

import json
import os
import struct

import numpy as np

MAX_DEPTH = 64  # nesting of lists, tuples and dicts; real results are a few levels deep
MAX_HEADER = 1 << 20  # bytes of JSON structure (array data travels apart): bounds the nodes to build


class Malformed(ValueError):
    """A message that ``encode`` did not write: a bug in the worker or a forgery."""


class TooLarge(Malformed):
    """A message longer than the receiver accepts."""


class Opaque:
    """A value that stays in the process that made it (e.g. a student's unusual cache)."""

    def __init__(self, ident, type_name):
        self.ident, self.type_name = ident, type_name

    def __repr__(self):
        return f"<{self.type_name} kept in the worker>"


class Callback:
    """A trusted function of the grader's, which student code may call but never see.

    In the worker it becomes a plain function; each call sends its arguments back to the
    grader, which evaluates the function and answers with the value. Nothing about it (its
    name, module, closure or code) tells student code what it computes.
    """

    def __init__(self, ident):
        self.ident = ident


class Rng:
    """A fresh ``numpy.random.default_rng(seed)``, made on the other side of the boundary."""

    def __init__(self, seed):
        self.seed = seed


def _array_header(a):
    return {"dtype": a.dtype.str, "shape": list(a.shape)}


def encode(value, keep=None):
    """Message bytes for ``value``. ``keep(obj) -> ident`` stores what cannot be encoded."""
    blobs = []

    def walk(v):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, np.generic):
            if isinstance(v, float) and not np.isfinite(v):
                return {"float": repr(v)}
            return v
        if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biuf" and v.dtype.names is None:
            a = np.asarray(v)
            blobs.append(np.ascontiguousarray(a).tobytes())  # bytes only: the shape is in the header
            return {"array": len(blobs) - 1, "scalar": isinstance(v, np.generic), **_array_header(a)}
        if isinstance(v, (list, tuple)):
            return {"list" if isinstance(v, list) else "tuple": [walk(x) for x in v]}
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"dict": {k: walk(x) for k, x in v.items()}}
        if isinstance(v, Opaque):
            return {"opaque": v.ident, "type": v.type_name}
        if isinstance(v, Callback):
            return {"callback": v.ident}
        if isinstance(v, Rng):
            return {"rng": v.seed}
        if keep is None:
            raise TypeError(f"cannot send a {type(v).__name__}")
        return {"opaque": keep(v), "type": type(v).__name__}

    header = json.dumps(walk(value)).encode()
    sizes = struct.pack(f"<{len(blobs) + 2}Q", len(header), len(blobs), *map(len, blobs))
    return sizes + header + b"".join(blobs)


def _array(node, blob):
    try:
        dtype = np.dtype(node["dtype"])
        shape = tuple(int(n) for n in node["shape"])
    except (TypeError, ValueError, KeyError, OverflowError):
        raise Malformed("an array with an unreadable dtype or shape") from None
    if (dtype.kind not in "biuf" or dtype.names is not None or dtype.subdtype is not None or len(shape) > 32
            or any(n < 0 for n in shape)):
        raise Malformed(f"an array of dtype {str(node['dtype'])[:40]!r} and shape {str(shape)[:80]}")
    if int(np.prod(shape, dtype=object)) * dtype.itemsize != len(blob):
        raise Malformed(f"an array of shape {str(shape)[:80]} whose data has {len(blob)} bytes")
    try:
        a = np.frombuffer(blob, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))  # a writable copy
    except ValueError:
        raise Malformed(f"an array of shape {str(shape)[:80]}") from None
    if node.get("scalar"):
        if shape != ():
            raise Malformed("a scalar with a shape")
        return a[()]
    return a


def decode(data, resolve=None):
    """The value in message ``data``. ``resolve(node)`` maps opaque/callback/rng nodes back.

    Raises ``Malformed`` unless ``data`` is exactly what ``encode`` writes.
    """
    try:
        n_header, n_blobs = struct.unpack_from("<2Q", data)
        if 16 + 8 * n_blobs > len(data):
            raise Malformed("more arrays announced than the message holds")
        sizes = struct.unpack_from(f"<{n_blobs}Q", data, 16)
        pos = 16 + 8 * n_blobs
        if pos + n_header + sum(sizes) != len(data):
            raise Malformed("the sizes do not add up to the message's length")
        if n_header > MAX_HEADER:
            raise Malformed(f"a structure of {n_header:,} bytes (at most {MAX_HEADER:,})")
        tree = json.loads(data[pos:pos + n_header])
    except (struct.error, RecursionError, ValueError) as exc:  # JSON's errors and its digit limit are ValueErrors
        raise Malformed(f"unreadable message ({type(exc).__name__})") from None
    pos += n_header
    blobs = []
    for size in sizes:
        blobs.append(data[pos:pos + size])
        pos += size

    def walk(node, depth):
        if depth > MAX_DEPTH:
            raise Malformed(f"nested more than {MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) == 0:
            raise Malformed(f"unexpected {type(node).__name__} in the structure")
        if "array" in node:
            index = node["array"]
            if not isinstance(index, int) or not 0 <= index < len(blobs):
                raise Malformed("an array that the message does not hold")
            return _array(node, blobs[index])
        if "float" in node:
            if node["float"] not in ("nan", "inf", "-inf"):
                raise Malformed("a float that is not nan or inf")
            return float(node["float"])
        for key, kind in (("list", list), ("tuple", tuple)):
            if key in node:
                if not isinstance(node[key], list):
                    raise Malformed(f"a {key} that is not a list")
                return kind(walk(x, depth + 1) for x in node[key])
        if "dict" in node:
            if not isinstance(node["dict"], dict):
                raise Malformed("a dict that is not a dict")
            return {k: walk(x, depth + 1) for k, x in node["dict"].items()}
        if resolve is not None:
            return resolve(node)
        if "opaque" in node and isinstance(node["opaque"], int):
            return Opaque(node["opaque"], str(node.get("type", "object"))[:100])
        raise Malformed(f"unexpected node with keys {sorted(node)[:5]}")

    return walk(tree, 0)


def frame(payload):
    """One message as it travels: its length, then the payload."""
    return struct.pack("<Q", len(payload)) + payload


def write_message(fd, payload):
    """Send one length-prefixed message on a (blocking) pipe."""
    data = frame(payload)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exactly(fd, size, wait=None):
    """Read ``size`` bytes; ``wait()`` is called before each read (it may raise on time-out)."""
    chunks, need = [], size
    while need:
        if wait is not None:
            wait()
        chunk = os.read(fd, min(need, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        need -= len(chunk)
    return b"".join(chunks)


def read_message(fd, wait=None, limit=None):
    """One message; a message longer than ``limit`` bytes raises ``TooLarge`` unread."""
    (size,) = struct.unpack("<Q", read_exactly(fd, 8, wait))
    if limit is not None and size > limit:
        raise TooLarge(f"a message of {size:,} bytes (at most {limit:,} are accepted)")
    return read_exactly(fd, size, wait)
