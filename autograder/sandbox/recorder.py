"""A trusted function handed to student code (``Callback``) that counts and remembers its calls.

What it remembers is bounded: arguments up to ``SMALL_BYTES`` are kept as they came, a
larger array only as a ``Digest`` (its shape, dtype and sha256), which compares equal to
nothing but an array with the same bytes. The sandbox bounds how many calls and bytes a
check may send at all (``process.CALLBACK_CALLS``, ``CALLBACK_BYTES``). ``like`` (one
example per argument) makes every call check its arguments' shapes and dtypes before the
function does any arithmetic on them: a call that does not match is refused, and student
code sees the error.
"""

import hashlib

import numpy as np

SMALL_BYTES = 64 << 10


class Digest:
    """What a recorder keeps of a large array."""

    def __init__(self, a):
        self.shape, self.dtype = a.shape, a.dtype.str
        self.sha256 = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()

    def __eq__(self, other):
        if isinstance(other, Digest):
            return (self.shape, self.dtype, self.sha256) == (other.shape, other.dtype, other.sha256)
        return isinstance(other, np.ndarray) and other.shape == self.shape and Digest(other) == self

    def __repr__(self):
        return f"<array of shape {self.shape} and dtype {self.dtype}>"


def summary(value):
    if isinstance(value, np.ndarray) and value.nbytes > SMALL_BYTES:
        return Digest(value)
    return value


def matches(value, example):
    """Whether ``value`` (from student code) has the shape and kind of ``example``."""
    if isinstance(example, np.ndarray):
        return (isinstance(value, np.ndarray) and value.shape == example.shape
                and value.dtype.kind in "iuf" and (example.dtype.kind != "f" or value.dtype.kind == "f"))
    if isinstance(example, dict):
        return isinstance(value, dict) and set(value) == set(example)
    return True


class Recorder:
    def __init__(self, f, like=None):
        self.f, self.like, self.calls = f, like, []

    def __call__(self, *args):
        if self.like is not None and (len(args) != len(self.like)
                                      or not all(matches(a, e) for a, e in zip(args, self.like))):
            want = ", ".join(f"shape {np.shape(e)}" if isinstance(e, np.ndarray) else type(e).__name__
                             for e in self.like)
            got = ", ".join(f"shape {np.shape(a)} ({getattr(a, 'dtype', type(a).__name__)})" for a in args)
            raise ValueError(f"this function takes {len(self.like)} argument(s) ({want}), not ({got[:200]})")
        self.calls.append(tuple(summary(a) for a in args))
        return self.f(*args)

    @property
    def count(self):
        return len(self.calls)
