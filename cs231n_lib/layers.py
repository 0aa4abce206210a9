"""Layers and losses (notebook 00_gradients).

Every layer is a pair sharing one contract:

* ``forward(...) -> (out, cache)``: ``cache`` holds what the backward pass needs;
* ``backward(dout, cache) -> grads``: the gradient of the loss with respect to each input,
  given ``dout``, the gradient with respect to ``out``. ``dout`` is read only: backward
  never changes it in place, since the caller may still need it (e.g. to send the same
  upstream gradient into a second branch). Compute new arrays (``dx = dout * mask``, not
  ``dout[mask] = 0``); returning ``dout`` itself, unchanged, is fine.

Losses return ``(loss, dx)``: the loss averaged over the N examples and its gradient
with respect to the scores.
"""

import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer: out = x_flat @ w + b.

    Inputs:
    - x: (N, d_1, ..., d_k); each example is flattened to D = d_1 * ... * d_k values
    - w: (D, M) weights
    - b: (M,) biases

    Returns a tuple of:
    - out: (N, M)
    - cache: (x, w, b)
    """
    out = None
    # TODO (00_gradients): implement affine_forward.
    raise NotImplementedError("layers.affine_forward: implement it, see notebook 00_gradients")
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of the fully connected layer.

    Inputs:
    - dout: (N, M) upstream gradient (read only: never changed in place)
    - cache: (x, w, b) from affine_forward

    Returns a tuple of:
    - dx: shaped like x, (N, d_1, ..., d_k)
    - dw: (D, M)
    - db: (M,)
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO (00_gradients): implement affine_backward.
    raise NotImplementedError("layers.affine_backward: implement it, see notebook 00_gradients")
    return dx, dw, db


def relu_forward(x):
    """Rectified linear unit, element-wise max(0, x).

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: shaped like x
    - cache: x
    """
    out = None
    # TODO (00_gradients): implement relu_forward.
    raise NotImplementedError("layers.relu_forward: implement it, see notebook 00_gradients")
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of the ReLU. At x == 0 any slope between 0 and 1 is a valid
    subgradient; the usual choice is 0.

    Inputs:
    - dout: upstream gradient, any shape (read only: never changed in place)
    - cache: x, shaped like dout

    Returns:
    - dx: shaped like x
    """
    x = cache
    dx = None
    # TODO (00_gradients): implement relu_backward.
    raise NotImplementedError("layers.relu_backward: implement it, see notebook 00_gradients")
    return dx


def softmax_loss(x, y):
    """Softmax (cross-entropy) loss, numerically stable for large scores.

    Inputs:
    - x: (N, C) class scores
    - y: (N,) integer labels, 0 <= y[i] < C

    Returns a tuple of:
    - loss: float, the mean over N of -log softmax(x[i])[y[i]]
    - dx: (N, C) gradient of the loss with respect to x
    """
    loss, dx = None, None
    # TODO (00_gradients): implement softmax_loss.
    raise NotImplementedError("layers.softmax_loss: implement it, see notebook 00_gradients")
    return loss, dx


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1.

    Inputs:
    - x: (N, C) class scores
    - y: (N,) integer labels, 0 <= y[i] < C

    Returns a tuple of:
    - loss: float, the mean over N of sum_{j != y[i]} max(0, x[i, j] - x[i, y[i]] + 1)
    - dx: (N, C) gradient of the loss with respect to x
    """
    loss, dx = None, None
    # TODO (00_gradients): implement svm_loss.
    raise NotImplementedError("layers.svm_loss: implement it, see notebook 00_gradients")
    return loss, dx
