"""A safe wire format between the grader and the worker that runs student code.

Plain values only: None, bool, int, float, str, lists, tuples, dicts with string keys and
numpy arrays of numeric or boolean dtype. Arrays travel in ``.npy`` format read with
``allow_pickle=False`` and the structure as JSON, so decoding a message from an untrusted
process can never run code (unlike pickle). A value the format cannot carry is replaced
by ``Opaque(id)``, for which the encoder's caller keeps the real object.
"""

import io
import json
import os
import struct

import numpy as np


class Opaque:
    """A value that stays in the process that made it (e.g. a student's unusual cache)."""

    def __init__(self, ident, type_name):
        self.ident, self.type_name = ident, type_name

    def __repr__(self):
        return f"<{self.type_name} kept in the worker>"


class Probe:
    """A trusted function from ``autograder.probes``, named so it can cross the boundary."""

    def __init__(self, name):
        self.name = name


class Rng:
    """A fresh ``numpy.random.default_rng(seed)``, made on the other side of the boundary."""

    def __init__(self, seed):
        self.seed = seed


def encode(value, keep=None):
    """Message bytes for ``value``. ``keep(obj) -> ident`` stores what cannot be encoded."""
    arrays = []

    def walk(v):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, np.generic):
            if isinstance(v, float) and not np.isfinite(v):
                return {"float": repr(v)}
            return v
        if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biuf":
            arrays.append(np.asarray(v))
            return {"array": len(arrays) - 1, "scalar": isinstance(v, np.generic)}
        if isinstance(v, (list, tuple)):
            return {"list" if isinstance(v, list) else "tuple": [walk(x) for x in v]}
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"dict": {k: walk(x) for k, x in v.items()}}
        if isinstance(v, Opaque):
            return {"opaque": v.ident, "type": v.type_name}
        if isinstance(v, Probe):
            return {"probe": v.name}
        if isinstance(v, Rng):
            return {"rng": v.seed}
        if keep is None:
            raise TypeError(f"cannot send a {type(v).__name__}")
        return {"opaque": keep(v), "type": type(v).__name__}

    header = json.dumps(walk(value)).encode()
    blobs = []
    for a in arrays:
        buf = io.BytesIO()
        # np.ascontiguousarray would turn a 0-d array into shape (1,): keep the shape as it is.
        np.lib.format.write_array(buf, np.asarray(a, order="C"), allow_pickle=False)
        blobs.append(buf.getvalue())
    sizes = struct.pack(f"<{len(blobs) + 2}Q", len(header), len(blobs), *map(len, blobs))
    return sizes + header + b"".join(blobs)


def decode(data, resolve=None):
    """The value in message ``data``. ``resolve(node)`` maps opaque/probe nodes back."""
    n_header, n_blobs = struct.unpack_from("<2Q", data)
    sizes = struct.unpack_from(f"<{n_blobs}Q", data, 16)
    pos = 16 + 8 * n_blobs
    tree = json.loads(data[pos:pos + n_header])
    pos += n_header
    arrays = []
    for size in sizes:
        arrays.append(np.lib.format.read_array(io.BytesIO(data[pos:pos + size]), allow_pickle=False))
        pos += size

    def walk(node):
        if not isinstance(node, dict):
            return node
        if "array" in node:
            a = arrays[node["array"]]
            return a[()] if node["scalar"] else a
        if "float" in node:
            return float(node["float"])
        if "list" in node:
            return [walk(x) for x in node["list"]]
        if "tuple" in node:
            return tuple(walk(x) for x in node["tuple"])
        if "dict" in node:
            return {k: walk(x) for k, x in node["dict"].items()}
        if resolve is not None:
            return resolve(node)
        if "opaque" in node:
            return Opaque(node["opaque"], node["type"])
        raise ValueError(f"unexpected node {node}")

    return walk(tree)


def write_message(fd, payload):
    """Send one length-prefixed message on a pipe."""
    data = struct.pack("<Q", len(payload)) + payload
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


def read_message(fd, wait=None):
    (size,) = struct.unpack("<Q", read_exactly(fd, 8, wait))
    return read_exactly(fd, size, wait)
