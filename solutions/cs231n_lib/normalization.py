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
    ### BEGIN SOLUTION
    if mode == "train":
        mean = x.mean(axis=0)
        centred = x - mean
        var = np.mean(centred * centred, axis=0)  # x.var(axis=0), reusing centred
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
        centred = x - mean
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    out = x_hat * gamma
    out += beta
    cache = (centred, inv_std, x_hat, gamma)
    ### END SOLUTION

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
    ### BEGIN SOLUTION
    centred, inv_std, x_hat, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    # x_hat = centred * inv_std: a product gate, and inv_std is shared by the whole column.
    dinv_std = (dx_hat * centred).sum(axis=0)
    dcentred = dx_hat * inv_std
    # inv_std = (var + eps) ** -1/2, so d inv_std / d var = -1/2 * inv_std ** 3.
    dvar = -0.5 * inv_std**3 * dinv_std
    # var = mean(centred ** 2) over the batch: every centred value feeds it.
    dcentred += (2.0 / n) * centred * dvar
    # centred = x - mean: x directly, and again through mean = sum(x) / n.
    dmean = -dcentred.sum(axis=0)
    dx = dcentred + dmean / n
    ### END SOLUTION
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization (train mode) in closed form:

        dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),   g = gamma * dout,

    the means taken over the batch, one expression with no intermediate gradients.

    Inputs and returns: as batchnorm_backward.
    """
    dx, dgamma, dbeta = None, None, None
    ### BEGIN SOLUTION
    _, inv_std, x_hat, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    # gamma is per column, so mean(g) = gamma * dbeta / n and mean(g * x_hat) = gamma * dgamma / n:
    # dx = gamma * inv_std * (dout - dbeta / n - x_hat * dgamma / n), from the sums just taken,
    # with one new (N, D) array and work in place after it.
    dx = dout - dbeta / n
    dx -= x_hat * (dgamma / n)
    dx *= gamma * inv_std
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma * x_hat + beta
    cache = (inv_std, x_hat, gamma)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    inv_std, x_hat, gamma = cache
    # gamma and beta are per feature, shared by all examples: sum over the batch.
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    # Batchnorm's closed form with the roles of the axes exchanged: the statistics
    # are now taken over the features of each row.
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True)
                    - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    ### END SOLUTION
    return dx, dgamma, dbeta
