"""Checks: what one graded test is, how checks are registered, and how they compare.

A check is a function decorated with ``@check(assignment, points, tags)``. It receives the
arguments it names: ``lib`` (a ``Sandbox`` running the student's library), ``ref`` (the
reference library, trusted; None in the student's self-check, which has no reference) and
``rng`` (seeded per check). It passes by returning and fails by raising ``CheckFailed``
with a message for the student. Points are all or nothing, exactly like an nbgrader test
cell.

Trusted grading is every run with the reference (``grade``, ``grade-all``,
``sync-gradebook``, Gradescope). There a visible check's ``rng`` comes from the run's seed,
like a hidden check's, so its inputs cannot be looked up in a table; in the self-check
(``ref`` None) it is fixed, so a student sees the same inputs on every run.
"""

import dataclasses
import importlib
import importlib.util
import inspect
import pathlib
import pkgutil
import sys
import zlib

import numpy as np

REGISTRY = {}


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    assignment: str
    points: float
    tags: tuple
    hidden: bool
    timeout: float
    func: object
    requires: tuple = ()  # names of the visible checks of the earlier work this one builds on

    def run(self, lib, ref=None, seed=0):
        seed = seed if self.hidden or ref is not None else 0  # see the module docstring
        available = {"lib": lib, "ref": ref, "rng": np.random.default_rng([seed, zlib.crc32(self.name.encode())])}
        wanted = inspect.signature(self.func).parameters
        return self.func(**{k: v for k, v in available.items() if k in wanted})


class CheckFailed(AssertionError):
    """A check's verdict: the student's code is wrong, and the message says how and where."""


def check(assignment, points, tags, hidden=False, timeout=10.0, requires=()):
    """Register the decorated function as the check named after it. ``requires`` names the
    visible checks of earlier work it builds on (a forward pass, the network's layers): when
    this check fails and one of those fails too, its message sends the student there first."""
    def register(func):
        if func.__name__ in REGISTRY and REGISTRY[func.__name__].func.__module__ != func.__module__:
            raise ValueError(f"two checks are named {func.__name__}")
        REGISTRY[func.__name__] = Check(func.__name__, assignment, points, tuple(tags), hidden, timeout, func,
                                        tuple(requires))
        return func
    return register


def hidden_modules(hidden_dir):
    """The instructor's hidden-check modules (solutions/hidden_checks/nbNN_topic.py)."""
    modules = []
    for path in sorted(pathlib.Path(hidden_dir).glob("nb*.py")):
        name = f"_hidden_checks_{path.stem}"
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        modules.append(sys.modules[name])
    return modules


def load_checks(hidden_dir=None):
    """Import the visible checks and, given the instructor's folder of them, the hidden ones."""
    from . import checks

    for info in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{info.name}")
    if hidden_dir is not None:
        hidden_modules(hidden_dir)
    return {n: c for n, c in sorted(REGISTRY.items(), key=lambda kv: kv[1].assignment)
            if hidden_dir is not None or not c.hidden}


class Reference:
    """The reference library, imported in the grader under a private name (it is trusted)."""

    def __init__(self, lib_dir):
        lib_dir = pathlib.Path(lib_dir).resolve()
        self._name = f"_cs231n_reference_{zlib.crc32(str(lib_dir).encode())}"  # one per folder
        if self._name not in sys.modules:
            spec = importlib.util.spec_from_file_location(
                self._name, lib_dir / "__init__.py", submodule_search_locations=[str(lib_dir)])
            package = importlib.util.module_from_spec(spec)
            sys.modules[self._name] = package
            spec.loader.exec_module(package)

    def __getattr__(self, module):
        return importlib.import_module(f"{self._name}.{module}")


# -- comparisons: each raises CheckFailed with a message that says what and where ----------

# Entries much smaller than the output they belong to cannot keep a relative precision of
# their own: they are computed from larger numbers, and rounding is relative to those. So
# ``close`` compares an entry below ``floor`` x (the output's scale) on that scale instead.
# The default floor follows the precision of the inputs: float32 keeps about 7 digits, so
# at a tolerance of 1e-4 an entry below 1% of the output's scale may be off by about 8
# float32 ulps of that scale; float64's floor leaves hundreds of float64 ulps at 1e-7.
FLOOR_FLOAT64 = 1e-6
FLOOR_FLOAT32 = 1e-2


def precision_floor(*values):
    """The default ``floor`` for results computed from ``values``: float32's when any of them
    is a float array (or numpy float) of 32 bits or fewer, float64's otherwise."""
    sizes = [v.dtype.itemsize for v in values if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind == "f"]
    return FLOOR_FLOAT32 if sizes and min(sizes) <= 4 else FLOOR_FLOAT64


def as_array(label, got, shape=None):
    """``got`` as a float array of the given shape, or a failure that says what came back."""
    if got is None:
        raise CheckFailed(f"{label} is None: did you forget to assign it before returning?")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{label} should be an array but is {type(got).__name__}") from None
    if shape is not None and arr.shape != tuple(shape):
        extra_axes = arr.size == int(np.prod(shape)) and tuple(n for n in arr.shape if n != 1) == tuple(
            n for n in shape if n != 1)
        raise CheckFailed(f"{label} has shape {arr.shape} but should have shape {tuple(shape)}, as the docstring "
                          "says" + (" (drop the axes of length 1, e.g. keepdims=True)" if extra_axes else ""))
    return arr


def _comparable(label, got, want, against):
    """(got, want) as float arrays of one shape, or a failure naming a nan/inf in ``got``."""
    want = np.asarray(want, dtype=np.float64)
    got = as_array(label, got, want.shape)
    bad = ~np.isfinite(got) & np.isfinite(want)
    if bad.any():
        ix = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CheckFailed(f"{label} is {got[ix]} at index {ix} where {against} is finite ({want[ix]:.6g})")
    return got, want


def distinct(got, want, digits=6):
    """``got`` and ``want`` as text with enough significant digits (at least ``digits``, up to
    17, where every float64 prints exactly) that two different numbers never look equal."""
    for n in range(digits, 18):
        a, b = f"{got:.{n}g}", f"{want:.{n}g}"
        if a != b or got == want:
            return a, b
    return repr(float(got)), repr(float(want))


def close(label, got, want, tol, against="the expected values", floor=None, scale=None):
    """Fail unless ``got`` matches ``want`` entry by entry, naming the worst index.

    Entry i passes when |got_i - want_i| <= tol * max(|got_i| + |want_i|, floor * scale):
    a relative error of at most ``tol``, except that an entry smaller than ``floor`` times
    the output's ``scale`` (default: the largest |want|) is compared on that scale. ``floor``
    defaults to ``precision_floor(want)``; ``floor=1`` compares every entry on the scale.
    """
    floor = precision_floor(np.asarray(want)) if floor is None else floor
    got, want = _comparable(label, got, want, against)
    if not want.size:
        return got
    if scale is None:
        scale = float(np.max(np.abs(want)))
    near_zero = max(floor * scale, 1e-300)
    size = np.abs(got) + np.abs(want)
    diff = np.abs(got - want)
    err = diff / np.maximum(size, near_zero)
    worst = np.unravel_index(int(np.nanargmax(err)), err.shape)
    if err[worst] > tol:
        ix = tuple(int(i) for i in worst)
        how = (f"rel. error {err[worst]:.1e} > {tol:.0e}" if size[worst] >= near_zero else
               f"off by {diff[worst]:.1e}; entries this near 0 may be off by {tol:.0e} x {near_zero:.2g}")
        shown, wanted = distinct(got[worst], want[worst])
        raise CheckFailed(f"{label} differs from {against} ({how}), worst at index {ix}: "
                          f"got {shown}, expected {wanted}")
    return got


def close_scaled(label, got, want, tol, against="the reference", scale=None):
    """``close`` with every entry compared at least on the output's scale (``floor=1``): for
    results where an entry that should be (nearly) zero has no meaningful relative
    precision, e.g. along a direction of almost no variance."""
    return close(label, got, want, tol, against, floor=1.0, scale=scale)


def scalar(label, got):
    """``got`` as a finite float: any real scalar passes (int, float, a numpy scalar such as
    the ``np.float64`` that ``np.sum(...) / N`` gives, or a 0-d array)."""
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.generic, np.ndarray)):
        raise CheckFailed(f"{label} should be a single number but is {type(got).__name__} {got!r:.60}")
    arr = np.asarray(got)
    if arr.shape != () or arr.dtype.kind not in "iuf":
        what = f"an array of shape {arr.shape}" if arr.shape != () else f"of dtype {arr.dtype}"
        raise CheckFailed(f"{label} should be a single real number but is {what}"
                          + (" (return e.g. loss.item() or a sum, not a 1-element array)" if arr.size == 1 else ""))
    value = float(arr)
    if not np.isfinite(value):
        raise CheckFailed(f"{label} is {value}; it should be finite")
    return value


def unpack(label, got, n):
    """``got`` as a tuple of n values, e.g. (out, cache) or (dx, dw, db)."""
    if not isinstance(got, (tuple, list)) or len(got) != n:
        what = f"a {type(got).__name__}" if not isinstance(got, (tuple, list)) else f"{len(got)} values"
        raise CheckFailed(f"{label} should return a tuple of {n} values but returned {what}")
    return tuple(got)
