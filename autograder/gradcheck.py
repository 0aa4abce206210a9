"""Reusable check steps: a layer's backward against the grader's numeric gradient, or
against the reference.

A score never rests on the student's code agreeing with itself: in trusted grading (``ref``
given) every numeric gradient is taken of the REFERENCE forward, run here in the grader, so
a student forward that recognises the +-h steps has no say in what backward is held to.
Only the student's self-check (no reference) differentiates the student's own forward.
"""

import copy

import numpy as np

from .numeric import numeric_gradient
from .registry import CheckFailed, as_array, close, precision_floor, unpack

# The numeric gradient's own noise: rounding in f(x + h) - f(x - h), divided by 2h, is
# about 1e-10 of the output's scale, so entries of the gradient below 1% of its scale are
# compared on that scale (see ``registry.close``).
NUMERIC_FLOOR = 1e-2


def short(qualname):
    return qualname.rpartition(".")[2]


def call_backward(lib, backward, dout, cache, label=None):
    """The student's backward(dout, cache), failing if it changed dout in place: the layer
    docstrings say dout is read only, since a caller may pass the same upstream gradient on
    to another layer (two branches, a residual connection) after this one."""
    grads, after = lib.call(backward, dout, cache, return_args=True)
    label = label or short(backward)
    if not (isinstance(after, list) and after and np.shape(after[0]) == np.shape(dout)
            and np.array_equal(np.asarray(after[0]), dout)):
        raise CheckFailed(f"{label} changed dout in place; dout is read only (the caller may still need it): "
                          "compute dx in a new array, e.g. dx = dout * mask rather than dout[...] = 0")
    return grads


def reference_function(ref, qualname):
    """The reference's ``module.function``."""
    module, func = qualname.split(".")
    return getattr(getattr(ref, module), func)


def evaluator(lib, ref, func, pick=0):
    """``evaluate(list_of_arg_tuples) -> outputs`` of ``func`` for ``numeric_gradient``: the
    reference's, run here, in trusted grading; the student's, run in the sandbox, in the
    self-check (``ref`` None). Each reference call gets its own copy of the arguments, since
    a layer may write into a parameter dict (running averages)."""
    if ref is None:
        return lambda calls: lib.map(func, calls, pick=pick)
    f = reference_function(ref, func)
    return lambda calls: [f(*copy.deepcopy(c))[pick] for c in calls]


def backward_matches_numeric(lib, forward, backward, args, wrt, rng, tol=1e-7, ref=None):
    """Run forward(*args) -> (out, cache) and backward(dout, cache) in the student's library
    and compare each gradient with centred differences of the forward: the reference's in
    trusted grading (``ref`` given), the student's own in the self-check.

    ``wrt`` lists (position in args, name) of the inputs whose gradients backward returns,
    in the order it returns them.
    """
    out, cache = unpack(f"{short(forward)}", lib.call(forward, *args), 2)
    if ref is None:
        out = as_array(f"{short(forward)}: out", out)
    else:  # the gradient is the reference forward's, so the forward must be the reference's too
        out = close(f"{short(forward)}: out", out, reference_function(ref, forward)(*copy.deepcopy(args))[0], tol,
                    "the reference")
    dout = rng.standard_normal(out.shape)
    grads = call_backward(lib, backward, dout, cache)
    grads = unpack(short(backward), grads, len(wrt)) if len(wrt) > 1 else (grads,)
    for (position, name), grad in zip(wrt, grads):
        numeric = numeric_gradient(evaluator(lib, ref, forward), args, position, dout)
        if not np.any(numeric):
            raise CheckFailed(
                f"{short(forward)}: the output does not change when {name} changes, so "
                f"{short(backward)} cannot be checked; fix {short(forward)} first")
        close(f"{short(backward)}: {name}", grad, numeric, tol, "the numeric gradient", floor=NUMERIC_FLOOR)


def subgradient_target(label, got, at_x, one_sided):
    """What ``got`` (a gradient) is compared with when the function is element-wise in x.

    ``at_x`` is the reference gradient at x and ``one_sided`` the reference gradients at x
    moved one ulp down and one ulp up. Where the function is smooth they agree to rounding;
    at a kink (ReLU at 0) they are the one-sided derivatives, and every value between them
    is a valid subgradient. So the target is ``got`` clipped into [lowest, highest]: any
    value inside passes, one outside is compared with the nearest end.
    """
    got = as_array(label, got, np.shape(at_x))
    lo = np.minimum.reduce([np.asarray(g, dtype=np.float64) for g in (at_x, *one_sided)])
    hi = np.maximum.reduce([np.asarray(g, dtype=np.float64) for g in (at_x, *one_sided)])
    return np.where(np.isfinite(got), np.clip(got, lo, hi), np.asarray(at_x, dtype=np.float64))


def matches_reference(lib, ref, forward, backward, args, grad_names, rng, tol=1e-7, regime="", floor=None,
                      elementwise=False):
    """Student forward and backward against the reference on the same inputs.

    The student's backward gets the student's own cache; both get the same upstream
    gradient. ``grad_names`` names what backward returns, e.g. ["dx"] or ["dx", "dw", "db"].
    ``floor`` (see ``registry.close``) defaults to the precision of the inputs: float32
    inputs get float32's. ``elementwise`` says forward acts on args[0] entry by entry, so
    that at a kink any subgradient passes (``subgradient_target``).
    """
    module, func = forward.split(".")
    ref_forward = getattr(getattr(ref, module), func)
    ref_backward = getattr(getattr(ref, module), backward.split(".")[1])
    floor = precision_floor(*args) if floor is None else floor
    ref_out, ref_cache = ref_forward(*args)
    label = f"{short(forward)}{regime}"
    out, cache = unpack(label, lib.call(forward, *args), 2)
    close(f"{label}: out", out, ref_out, tol, "the reference", floor)
    dout = rng.standard_normal(ref_out.shape).astype(ref_out.dtype)
    ref_grads = ref_backward(dout, ref_cache)
    grads = call_backward(lib, backward, dout, cache, f"{short(backward)}{regime}")
    if len(grad_names) == 1:
        grads, ref_grads = (grads,), (ref_grads,)
    grads = unpack(f"{short(backward)}{regime}", grads, len(grad_names))
    scales = [None] * len(grad_names)  # None: the largest |reference gradient|
    if elementwise:
        x = args[0]
        one_sided = [ref_backward(dout, ref_forward(np.nextafter(x, toward), *args[1:])[1])
                     for toward in (-np.inf, np.inf)]
        want = subgradient_target(f"{short(backward)}{regime}: {grad_names[0]}", grads[0], ref_grads[0], one_sided)
        ref_grads = (want, *ref_grads[1:])
        # dx = dout * f'(x), and f'(x) is computed from values of order 1 (a sigmoid's output),
        # so its rounding is on the scale of dout even where f' is tiny (a saturated sigmoid).
        scales[0] = max(float(np.max(np.abs(want), initial=0)), float(np.max(np.abs(dout), initial=0)))
    for name, got, want, scale in zip(grad_names, grads, ref_grads, scales):
        close(f"{short(backward)}{regime}: {name}", got, want, tol, "the reference", floor, scale)


def varied(ref, rng, x, low=0.8, high=1.25):
    """A visible check's fixed input ``x`` in the self-check (``ref`` None); in trusted
    grading ``x`` with each entry scaled by a factor of its own drawn from the run's seed.
    Signs, zeros and orders of magnitude stay, so the check still tests the regimes it
    was written for (a kink at 0, overflow at 1000), but no table of answers fits it."""
    if ref is None:
        return x
    x = np.asarray(x)
    return (x * rng.uniform(low, high, x.shape)).astype(x.dtype)


def expected(ref, table, func, *args, pick=0):
    """What a visible check compares with: its ``table`` of values for the fixed inputs in the
    self-check; the reference's ``func(*args)`` (item ``pick`` of a tuple) in trusted grading."""
    if ref is None:
        return table
    result = reference_function(ref, func)(*copy.deepcopy(args))
    return result if pick is None else result[pick]
