"""Dropout and DropConnect (notebook 06_regularization).

Both layers switch parts of the network off at random during training and use the whole
network at test time. Throughout this course ``p`` is the probability of **keeping** a
unit (or a weight): p = 1 keeps everything, p = 0.5 drops half. (Older CS231n code, up to
about 2017, used p for the probability of dropping; here it always means keeping.)

Both are *inverted*: what is kept is divided by p during training, so that the expected
output in training equals the output at test time, and test mode is the plain layer with
no randomness and no scaling.

They follow the layer contract of ``layers``: ``forward(...) -> (out, cache)`` and
``backward(dout, cache) -> gradients``. The random mask of the forward pass goes into the
cache, and backward uses that same mask.

``param`` dicts (``dropout_param`` for dropout) hold:

- p: probability of keeping each unit (dropout) or weight (DropConnect), 0 < p <= 1
- mode: "train" or "test"
- seed: optional int. When given, the mask is a deterministic function of it: the same
  seed gives the same mask (used for gradient checks and repeatable runs). Absent or
  None, every call draws a fresh mask.
"""

import numpy as np


def dropout_forward(x, dropout_param):
    """Inverted dropout.

    Train mode keeps each entry of x independently with probability p, zeroes the others,
    and divides what it keeps by p:

        out = x * mask / p,   mask[i] = 1 with probability p, else 0,

    so that E[out] = x. Every entry has its own draw: two examples of a batch (two rows of
    x) get different masks. Test mode returns x unchanged (out = x).

    Inputs:
    - x: array of any shape, e.g. (N, D) activations or (N, C, H, W) feature maps
    - dropout_param: dict with
      - p: probability of KEEPING each unit, 0 < p <= 1
      - mode: "train" or "test" (anything else raises ValueError)
      - seed: optional int; the same seed gives the same mask

    Returns a tuple of:
    - out: array shaped like x
    - cache: (dropout_param, mask), what dropout_backward needs; mask is None in test mode
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode not in ("train", "test"):
        raise ValueError(f"dropout_param['mode'] must be 'train' or 'test', got {mode!r}")
    if not 0 < p <= 1:
        raise ValueError(f"dropout_param['p'] is the probability of keeping a unit, in (0, 1]; got {p}")

    out, mask = None, None
    # TODO (06_regularization): implement dropout_forward.
    raise NotImplementedError("regularization.dropout_forward: implement it, see notebook 06_regularization")
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout: the gradient flows only through the kept units,
    scaled by 1 / p as they were, using the mask of the forward pass. In test mode the
    layer is the identity, so dx = dout.

    Inputs:
    - dout: upstream gradient, shaped like the forward's x (read only: never changed in place)
    - cache: from dropout_forward

    Returns:
    - dx: array shaped like dout
    """
    dx = None
    # TODO (06_regularization): implement dropout_backward.
    raise NotImplementedError("regularization.dropout_backward: implement it, see notebook 06_regularization")
    return dx


def dropconnect_forward(x, w, b, param):
    """An affine layer with DropConnect (Wan et al., 2013): weights are dropped instead of
    activations.

    Train mode gives every example n its own random mask M_n of w's shape, keeping each
    weight with probability p, and divides what it keeps by p:

        out[n] = x[n] @ (w * M_n / p) + b,

    so that E[out] = x @ w + b. The bias is not dropped. Test mode is the plain affine layer
    out = x @ w + b, with no randomness.

    Inputs:
    - x: (N, D) inputs
    - w: (D, M) weights
    - b: (M,) biases
    - param: dict with
      - p: probability of KEEPING each weight, 0 < p <= 1
      - mode: "train" or "test" (anything else raises ValueError)
      - seed: optional int; the same seed gives the same masks

    Returns a tuple of:
    - out: (N, M)
    - cache: whatever dropconnect_backward needs
    """
    p, mode = param["p"], param["mode"]
    if mode not in ("train", "test"):
        raise ValueError(f"param['mode'] must be 'train' or 'test', got {mode!r}")
    if not 0 < p <= 1:
        raise ValueError(f"param['p'] is the probability of keeping a weight, in (0, 1]; got {p}")

    out, cache = None, None
    # TODO (06_regularization): implement dropconnect_forward.
    raise NotImplementedError("regularization.dropconnect_forward: implement it, see notebook 06_regularization")
    return out, cache


def dropconnect_backward(dout, cache):
    """Backward pass of dropconnect_forward, with the masks of the forward pass.

    Inputs:
    - dout: (N, M) upstream gradient (read only: never changed in place)
    - cache: from dropconnect_forward

    Returns a tuple of:
    - dx: (N, D)
    - dw: (D, M)
    - db: (M,)
    """
    dx, dw, db = None, None, None
    # TODO (06_regularization): implement dropconnect_backward.
    raise NotImplementedError("regularization.dropconnect_backward: implement it, see notebook 06_regularization")
    return dx, dw, db
