"""Numeric gradients and the relative error used to compare them (notebook 00_gradients)."""

import numpy as np


def eval_numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of a scalar function at ``x``.

    Inputs:
    - f: function taking an array shaped like x and returning a float
    - x: array of any shape (float); it may be changed while you work but must hold its
      original values again when the function returns
    - h: step size

    Returns:
    - grad: array shaped like x, grad[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2h)
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    ### BEGIN SOLUTION
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = f(x)
        x[ix] = old - h
        f_minus = f(x)
        x[ix] = old
        grad[ix] = (f_plus - f_minus) / (2 * h)
    ### END SOLUTION
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Centred-difference gradient of sum(f(x) * df) with respect to ``x``.

    This is what backward(dout=df) of a layer computing f should return.

    Inputs:
    - f: function taking an array shaped like x and returning an array
    - x: array of any shape (float); restored before returning
    - df: upstream gradient, shaped like f(x)
    - h: step size

    Returns:
    - grad: array shaped like x
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    ### BEGIN SOLUTION
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = np.array(f(x), dtype=np.float64)
        x[ix] = old - h
        f_minus = np.array(f(x), dtype=np.float64)
        x[ix] = old
        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
    ### END SOLUTION
    return grad


def rel_error(x, y):
    """Largest element-wise relative error between two arrays of the same shape.

    The error at one element is |x - y| / max(|x| + |y|, 1e-8): it is 0 only where the two
    values are equal, so a zero on one side and a non-zero on the other is never 0.

    Returns:
    - a float >= 0
    """
    ### BEGIN SOLUTION
    diff = np.abs(np.subtract(x, y, dtype=np.float64))
    scale = np.maximum(np.abs(x) + np.abs(y), 1e-8)  # the floor only matters where both are ~0
    return float(np.max(diff / scale))
    ### END SOLUTION
