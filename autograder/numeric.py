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


def gradient_from_values(x, values, df, h):
    """Centred differences of sum(f * df) from f evaluated at ``perturbations(x, h)``.

    Every value must have df's shape (checked before any arithmetic: broadcasting two
    replies of other shapes could make an array of any size)."""
    df = np.asarray(df, dtype=np.float64)
    if len(values) != 2 * np.size(x):
        raise CheckFailed(f"{len(values)} outputs came back for {2 * np.size(x)} perturbed inputs")
    for k, value in enumerate(values):
        if np.shape(value) != df.shape:
            raise CheckFailed(f"the output for a perturbed input has shape {np.shape(value)}, but the output at the "
                              f"input itself has shape {df.shape}; the shape of the output must not depend on the "
                              "values of the input")
    try:
        table = np.asarray(values, dtype=np.float64).reshape(np.size(x), 2, df.size)
    except (TypeError, ValueError):
        raise CheckFailed("the output for a perturbed input is not an array of numbers") from None
    return ((table[:, 0] - table[:, 1]) @ df.reshape(-1) / (2 * h)).reshape(np.shape(x))


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
