"""Reusable check steps: a layer's backward against the grader's numeric gradient."""

import numpy as np

from .numeric import numeric_gradient
from .registry import CheckFailed, as_array, close, unpack


def short(qualname):
    return qualname.rpartition(".")[2]


def backward_matches_numeric(lib, forward, backward, args, wrt, rng, tol=1e-7):
    """Run forward(*args) -> (out, cache) and backward(dout, cache) in the student's library
    and compare each gradient with centred differences of the student's own forward.

    ``wrt`` lists (position in args, name) of the inputs whose gradients backward returns,
    in the order it returns them.
    """
    out, cache = unpack(f"{short(forward)}", lib.call(forward, *args), 2)
    out = as_array(f"{short(forward)}: out", out)
    dout = rng.standard_normal(out.shape)
    grads = lib.call(backward, dout, cache)
    grads = unpack(short(backward), grads, len(wrt)) if len(wrt) > 1 else (grads,)
    for (position, name), grad in zip(wrt, grads):
        numeric = numeric_gradient(lambda calls: lib.map(forward, calls, pick=0), args, position, dout)
        if not np.any(numeric):
            raise CheckFailed(
                f"{short(forward)}: the output does not change when {name} changes, so "
                f"{short(backward)} cannot be checked; fix {short(forward)} first")
        close(f"{short(backward)}: {name}", grad, numeric, tol, "the numeric gradient")


def matches_reference(lib, ref, forward, backward, args, grad_names, rng, tol=1e-7, regime=""):
    """Student forward and backward against the reference on the same inputs.

    The student's backward gets the student's own cache; both get the same upstream
    gradient. ``grad_names`` names what backward returns, e.g. ["dx"] or ["dx", "dw", "db"].
    """
    module, func = forward.split(".")
    ref_out, ref_cache = getattr(getattr(ref, module), func)(*args)
    label = f"{short(forward)}{regime}"
    out, cache = unpack(label, lib.call(forward, *args), 2)
    close(f"{label}: out", out, ref_out, tol, "the reference")
    dout = rng.standard_normal(ref_out.shape).astype(ref_out.dtype)
    ref_grads = getattr(getattr(ref, module), backward.split(".")[1])(dout, ref_cache)
    grads = lib.call(backward, dout, cache)
    if len(grad_names) == 1:
        grads, ref_grads = (grads,), (ref_grads,)
    grads = unpack(f"{short(backward)}{regime}", grads, len(grad_names))
    for name, got, want in zip(grad_names, grads, ref_grads):
        close(f"{short(backward)}{regime}: {name}", got, want, tol, "the reference")
