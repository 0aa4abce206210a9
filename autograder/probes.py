"""Trusted functions the grader hands to student code (e.g. to eval_numerical_gradient).

Each probe has a known analytic gradient, computed here in the grader, so a student's
numeric-gradient routine can be checked against the truth.
"""

import numpy as np


def cubic_sum(x):
    """f(x) = sum(x**3 / 3 + sin(x)): a scalar with a non-uniform gradient."""
    return float(np.sum(x**3 / 3 + np.sin(x)))


def cubic_sum_grad(x):
    return x**2 + np.cos(x)


def tanh_square(x):
    """f(x) = tanh(x) * x**2, element-wise: an array-valued function."""
    return np.tanh(x) * x**2


def tanh_square_grad(x, df):
    return df * ((1 - np.tanh(x) ** 2) * x**2 + 2 * x * np.tanh(x))


PROBES = {"cubic_sum": cubic_sum, "tanh_square": tanh_square}
