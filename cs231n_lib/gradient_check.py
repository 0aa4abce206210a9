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
    # TODO (00_gradients): implement eval_numerical_gradient.
    raise NotImplementedError("gradient_check.eval_numerical_gradient: implement it, see notebook 00_gradients")
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
    # TODO (00_gradients): implement eval_numerical_gradient_array.
    raise NotImplementedError("gradient_check.eval_numerical_gradient_array: implement it, see notebook 00_gradients")
    return grad


def rel_error(x, y):
    """Largest element-wise relative error between two arrays of the same shape.

    The error at one element is |x - y| / max(|x| + |y|, 1e-8): it is 0 only where the two
    values are equal, so a zero on one side and a non-zero on the other is never 0.

    Returns:
    - a float >= 0
    """
    # TODO (00_gradients): implement rel_error.
    raise NotImplementedError("gradient_check.rel_error: implement it, see notebook 00_gradients")
