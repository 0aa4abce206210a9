"""Activation functions (notebook 01_activations).

Each non-linearity is a forward/backward pair with the layer contract of ``layers``:
``forward(x, ...) -> (out, cache)`` and ``backward(dout, cache) -> dx`` (Maxout, which
has parameters, returns ``(dx, dw, db)``).

Forward passes must stay finite for large |x| (try +-1000): ``np.exp`` of a large
positive number overflows, so arrange the formulas to exponentiate only non-positive
numbers. A numpy warning ("overflow encountered in exp") costs no points, but it is a sign
that a formula overflows for large |x|, and the grader notes it in the check's output.
"""

import numpy as np


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), element-wise.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: shaped like x, values in [0, 1]
    - cache: whatever sigmoid_backward needs
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    cache = out
    ### END SOLUTION
    return out, cache


def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid.

    Inputs:
    - dout: upstream gradient, shaped like x (read only: never changed in place)
    - cache: from sigmoid_forward

    Returns:
    - dx: shaped like x
    """
    dx = None
    ### BEGIN SOLUTION
    out = cache
    dx = dout * out * (1.0 - out)
    ### END SOLUTION
    return dx


def tanh_forward(x):
    """Hyperbolic tangent, element-wise.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: shaped like x, values in [-1, 1]
    - cache: whatever tanh_backward needs
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    out = np.tanh(x)
    cache = out
    ### END SOLUTION
    return out, cache


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Returns:
    - dx: shaped like x
    """
    dx = None
    ### BEGIN SOLUTION
    out = cache
    dx = dout * (1.0 - out**2)
    ### END SOLUTION
    return dx


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: x where x > 0, alpha * x elsewhere.

    Inputs:
    - x: array of any shape
    - alpha: slope for x <= 0

    Returns a tuple of:
    - out: shaped like x
    - cache: whatever leaky_relu_backward needs
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    ### END SOLUTION
    return out, cache


def leaky_relu_backward(dout, cache):
    """Backward pass of the leaky ReLU. At x == 0 any slope between alpha and 1 is a
    valid subgradient; the usual choice is alpha.

    Returns:
    - dx: shaped like x
    """
    dx = None
    ### BEGIN SOLUTION
    x, alpha = cache
    dx = np.where(x > 0, dout, alpha * dout)  # slopes 1.0 and alpha, in dout's float type
    ### END SOLUTION
    return dx


def elu_forward(x, alpha=1.0):
    """Exponential linear unit: x where x > 0, alpha * (exp(x) - 1) elsewhere.

    Inputs:
    - x: array of any shape
    - alpha: the value the output approaches as x -> -inf is -alpha

    Returns a tuple of:
    - out: shaped like x
    - cache: whatever elu_backward needs
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    negative_part = alpha * np.expm1(np.minimum(x, 0))  # exp only of x <= 0
    out = np.where(x > 0, x, negative_part)
    cache = (x, out, alpha)
    ### END SOLUTION
    return out, cache


def elu_backward(dout, cache):
    """Backward pass of the ELU. At x == 0 any slope between alpha and 1 is a valid
    subgradient; the usual choice is the left derivative alpha.

    Returns:
    - dx: shaped like x
    """
    dx = None
    ### BEGIN SOLUTION
    x, out, alpha = cache
    dx = dout * np.where(x > 0, 1.0, out + alpha)
    ### END SOLUTION
    return dx


def gelu_forward(x):
    """GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: shaped like x
    - cache: whatever gelu_backward needs
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    # float(): a numpy float64 constant would turn float32 inputs into float64 outputs
    u = float(np.sqrt(2.0 / np.pi)) * (x + 0.044715 * x * x * x)  # x * x * x: much faster than x**3
    t = np.tanh(u)
    out = 0.5 * x * (1.0 + t)
    cache = (x, t)
    ### END SOLUTION
    return out, cache


def gelu_backward(dout, cache):
    """Backward pass of the tanh-approximated GELU.

    Returns:
    - dx: shaped like x
    """
    dx = None
    ### BEGIN SOLUTION
    x, t = cache
    du_dx = float(np.sqrt(2.0 / np.pi)) * (1.0 + 3 * 0.044715 * x**2)
    dx = dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * du_dx)
    ### END SOLUTION
    return dx


def maxout_forward(x, w, b):
    """Maxout unit: each of M outputs is the largest of K affine pieces.

    out[n, m] = max_k (x_flat[n] @ w[:, m, k] + b[m, k])

    Inputs:
    - x: (N, d_1, ..., d_k), flattened to (N, D) like affine_forward
    - w: (D, M, K)
    - b: (M, K)

    Returns a tuple of:
    - out: (N, M)
    - cache: whatever maxout_backward needs
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    x_flat = x.reshape(x.shape[0], -1)
    z = np.einsum("nd,dmk->nmk", x_flat, w) + b
    winner = z.argmax(axis=2)  # ties go to the first piece, so one piece gets the gradient
    out = np.take_along_axis(z, winner[..., None], axis=2)[..., 0]
    cache = (x, w, winner)
    ### END SOLUTION
    return out, cache


def maxout_backward(dout, cache):
    """Backward pass of maxout. Only the winning piece of each output gets a gradient (at a
    tie, give it to one of the tied pieces, e.g. the first, as argmax does).

    Inputs:
    - dout: (N, M) (read only: never changed in place)
    - cache: from maxout_forward

    Returns a tuple of:
    - dx: shaped like x
    - dw: (D, M, K)
    - db: (M, K)
    """
    dx, dw, db = None, None, None
    ### BEGIN SOLUTION
    x, w, winner = cache
    dz = np.zeros(dout.shape + (w.shape[2],), dtype=np.result_type(dout, w))
    np.put_along_axis(dz, winner[..., None], dout[..., None], axis=2)
    x_flat = x.reshape(x.shape[0], -1)
    dx = np.einsum("nmk,dmk->nd", dz, w).reshape(x.shape)
    dw = np.einsum("nd,nmk->dmk", x_flat, dz)
    db = dz.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db
