"""The grader's own numeric gradients (never the student's).

Forward passes run in the worker; the perturbed inputs are built here and evaluated in
one batch, and the centred differences are taken here.
"""

import numpy as np

from .registry import CheckFailed


def perturbations(x, h):
    """Copies of x with one element moved by +h and -h: [x+h e_0, x-h e_0, x+h e_1, ...].

    Built at once, as rows of a table with +h and -h on the diagonals of its even and odd
    rows (an element-by-element loop is the student's task in notebook 00)."""
    flat = np.asarray(x, dtype=np.float64).reshape(-1)
    table = np.tile(flat, (2 * flat.size, 1))
    index = np.arange(flat.size)
    table[2 * index, index] += h
    table[2 * index + 1, index] -= h
    return list(table.reshape((2 * flat.size,) + np.shape(x)))


def gradient_from_values(x, values, df, h, label="the function's output"):
    """Centred differences of sum(f * df) from f evaluated at ``perturbations(x, h)``.

    ``values`` come from student code: each must have the shape of ``df`` before any
    arithmetic (a (n, 1) output against a (1, n) one would broadcast to n x n)."""
    from .registry import as_array

    if not isinstance(values, (list, tuple)) or len(values) != 2 * x.size:
        raise CheckFailed(f"{label}: expected {2 * x.size} outputs for the moved inputs, got "
                          f"{len(values) if isinstance(values, (list, tuple)) else type(values).__name__}")
    shape = np.shape(df)
    grad = np.zeros(x.shape, dtype=np.float64)
    for k, ix in enumerate(np.ndindex(x.shape)):
        plus, minus = (as_array(f"{label} at an input moved by {'+-'[j]}h", v, shape)
                       for j, v in enumerate(values[2 * k: 2 * k + 2]))
        grad[ix] = np.sum((plus - minus) * df) / (2 * h)
    return grad


def numeric_gradient(evaluate, args, position, df, h=1e-6):
    """Gradient of sum(f(*args) * df) with respect to args[position].

    ``evaluate(list_of_arg_tuples) -> list_of_outputs`` runs f on many inputs at once
    (in the worker, for student code).
    """
    x = np.asarray(args[position], dtype=np.float64)
    calls = []
    for xp in perturbations(x, h):
        moved = list(args)
        moved[position] = xp
        calls.append(tuple(moved))
    return gradient_from_values(x, evaluate(calls), df, h)
