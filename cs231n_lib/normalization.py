"""Batch normalization and layer normalization (notebook 04_normalization).

Both layers take an (N, D) batch, standardise it, then scale by ``gamma`` and shift by
``beta`` (both (D,), learned):

* batch normalization standardises each *feature* (column) over the N examples of the
  batch; at test time it uses running averages of those statistics instead;
* layer normalization standardises each *example* (row) over its D features, the same way
  in training and at test time.

They follow the layer contract of ``layers``: ``forward(...) -> (out, cache)`` and
``backward(dout, cache) -> (dx, dgamma, dbeta)``.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of each feature over the batch.

    Train mode normalises with the batch mean and the biased batch variance (divided by
    N, not N - 1) and updates the running averages:

        running = momentum * running + (1 - momentum) * batch statistic

    Test mode normalises with the running averages and changes nothing.

    Inputs:
    - x: (N, D) data
    - gamma: (D,) scale
    - beta: (D,) shift
    - bn_param: dict with
      - mode: "train" or "test" (anything else raises ValueError)
      - eps: added to the variance inside the square root (default 1e-5)
      - momentum: weight of the old running average (default 0.9)
      - running_mean: (D,) running average of the mean; zeros if absent
      - running_var: (D,) running average of the variance; ones if absent
      On return, bn_param["running_mean"] and bn_param["running_var"] hold the
      (updated) running averages.

    Returns a tuple of:
    - out: (N, D)
    - cache: whatever batchnorm_backward and batchnorm_backward_alt need (train mode)
    """
    mode = bn_param["mode"]
    if mode not in ("train", "test"):
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    # A fresh layer starts from the statistics of standardised data (mean 0, variance 1),
    # so test mode before any training leaves x unchanged rather than dividing by sqrt(eps).
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.ones(D, dtype=x.dtype))

    out, cache = None, None
    # TODO (04_normalization): implement batchnorm_forward.
    raise NotImplementedError("normalization.batchnorm_forward: implement it, see notebook 04_normalization")

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (train mode), one node of the graph at a time:
    x -> mean -> centred = x - mean -> var -> inv_std = 1 / sqrt(var + eps)
    -> x_hat = centred * inv_std -> out = gamma * x_hat + beta.

    Inputs:
    - dout: (N, D) upstream gradient (read only: never changed in place)
    - cache: from batchnorm_forward in train mode

    Returns a tuple of:
    - dx: (N, D)
    - dgamma: (D,)
    - dbeta: (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO (04_normalization): implement batchnorm_backward.
    raise NotImplementedError("normalization.batchnorm_backward: implement it, see notebook 04_normalization")
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization (train mode) in closed form:

        dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),   g = gamma * dout,

    the means taken over the batch, one expression with no intermediate gradients.

    Inputs and returns: as batchnorm_backward.
    """
    dx, dgamma, dbeta = None, None, None
    # TODO (04_normalization): implement batchnorm_backward_alt.
    raise NotImplementedError("normalization.batchnorm_backward_alt: implement it, see notebook 04_normalization")
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization of each example over its features; the same in train and test.

    Inputs:
    - x: (N, D) data
    - gamma: (D,) scale
    - beta: (D,) shift
    - ln_param: dict with
      - eps: added to the variance inside the square root (default 1e-5)
      Other keys (e.g. a "mode") are ignored.

    Returns a tuple of:
    - out: (N, D)
    - cache: whatever layernorm_backward needs
    """
    eps = ln_param.get("eps", 1e-5)
    out, cache = None, None
    # TODO (04_normalization): implement layernorm_forward.
    raise NotImplementedError("normalization.layernorm_forward: implement it, see notebook 04_normalization")
    return out, cache


def layernorm_backward(dout, cache):
    """Backward pass of layer normalization.

    Inputs:
    - dout: (N, D) upstream gradient (read only: never changed in place)
    - cache: from layernorm_forward

    Returns a tuple of:
    - dx: (N, D)
    - dgamma: (D,)
    - dbeta: (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO (04_normalization): implement layernorm_backward.
    raise NotImplementedError("normalization.layernorm_backward: implement it, see notebook 04_normalization")
    return dx, dgamma, dbeta
