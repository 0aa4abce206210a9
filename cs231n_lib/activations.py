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
    # TODO (01_activations): implement sigmoid_forward.
    raise NotImplementedError("activations.sigmoid_forward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement sigmoid_backward.
    raise NotImplementedError("activations.sigmoid_backward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement tanh_forward.
    raise NotImplementedError("activations.tanh_forward: implement it, see notebook 01_activations")
    return out, cache


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Returns:
    - dx: shaped like x
    """
    dx = None
    # TODO (01_activations): implement tanh_backward.
    raise NotImplementedError("activations.tanh_backward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement leaky_relu_forward.
    raise NotImplementedError("activations.leaky_relu_forward: implement it, see notebook 01_activations")
    return out, cache


def leaky_relu_backward(dout, cache):
    """Backward pass of the leaky ReLU. At x == 0 any slope between alpha and 1 is a
    valid subgradient; the usual choice is alpha.

    Returns:
    - dx: shaped like x
    """
    dx = None
    # TODO (01_activations): implement leaky_relu_backward.
    raise NotImplementedError("activations.leaky_relu_backward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement elu_forward.
    raise NotImplementedError("activations.elu_forward: implement it, see notebook 01_activations")
    return out, cache


def elu_backward(dout, cache):
    """Backward pass of the ELU. At x == 0 any slope between alpha and 1 is a valid
    subgradient; the usual choice is the left derivative alpha.

    Returns:
    - dx: shaped like x
    """
    dx = None
    # TODO (01_activations): implement elu_backward.
    raise NotImplementedError("activations.elu_backward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement gelu_forward.
    raise NotImplementedError("activations.gelu_forward: implement it, see notebook 01_activations")
    return out, cache


def gelu_backward(dout, cache):
    """Backward pass of the tanh-approximated GELU.

    Returns:
    - dx: shaped like x
    """
    dx = None
    # TODO (01_activations): implement gelu_backward.
    raise NotImplementedError("activations.gelu_backward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement maxout_forward.
    raise NotImplementedError("activations.maxout_forward: implement it, see notebook 01_activations")
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
    # TODO (01_activations): implement maxout_backward.
    raise NotImplementedError("activations.maxout_backward: implement it, see notebook 01_activations")
    return dx, dw, db
