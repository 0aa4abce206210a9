"""Weight initializers (notebook 03_initialization).

Every initializer has one contract:

    W = init(fan_in, fan_out, rng=None)

* ``fan_in``: number of inputs of the layer (the rows of W, since a layer computes x @ W);
* ``fan_out``: number of outputs (the columns of W);
* ``rng``: a ``numpy.random.Generator``. Draw every random number from it, never from
  ``np.random.*`` directly: the same seed must give the same weights. ``None`` means a
  fresh, unseeded generator. ``np.random.default_rng(rng)`` does both: it returns ``rng``
  itself when given a Generator and a new generator when given None.

Each returns a float64 array of shape (fan_in, fan_out). ``FullyConnectedNet`` accepts the
name of any of them (see ``INITIALIZERS``) or a callable with this contract as its
``weight_scale``.
"""

import numpy as np


def zeros(fan_in, fan_out, rng=None):
    """All weights zero (to see why nobody does this).

    Inputs:
    - fan_in, fan_out: positive ints
    - rng: unused; accepted so that every initializer has the same signature

    Returns:
    - W: (fan_in, fan_out) float64, all 0.0
    """
    W = None
    # TODO (03_initialization): implement zeros.
    raise NotImplementedError("initializers.zeros: implement it, see notebook 03_initialization")
    return W


def small_random(fan_in, fan_out, rng=None, scale=0.01):
    """Gaussian weights with a fixed standard deviation, whatever the layer's size.

    Inputs:
    - fan_in, fan_out: positive ints
    - rng: numpy.random.Generator, or None for a fresh one
    - scale: standard deviation of the weights (>= 0)

    Returns:
    - W: (fan_in, fan_out) float64, entries drawn from N(0, scale**2)
    """
    W = None
    # TODO (03_initialization): implement small_random.
    raise NotImplementedError("initializers.small_random: implement it, see notebook 03_initialization")
    return W


def xavier(fan_in, fan_out, rng=None):
    """Xavier (Glorot) initialization for tanh and linear layers: std = 1 / sqrt(fan_in).

    Inputs:
    - fan_in, fan_out: positive ints
    - rng: numpy.random.Generator, or None for a fresh one

    Returns:
    - W: (fan_in, fan_out) float64, entries drawn from N(0, 1 / fan_in)
    """
    W = None
    # TODO (03_initialization): implement xavier.
    raise NotImplementedError("initializers.xavier: implement it, see notebook 03_initialization")
    return W


def he(fan_in, fan_out, rng=None):
    """He (Kaiming) initialization for ReLU layers: std = sqrt(2 / fan_in).

    Inputs:
    - fan_in, fan_out: positive ints
    - rng: numpy.random.Generator, or None for a fresh one

    Returns:
    - W: (fan_in, fan_out) float64, entries drawn from N(0, 2 / fan_in)
    """
    W = None
    # TODO (03_initialization): implement he.
    raise NotImplementedError("initializers.he: implement it, see notebook 03_initialization")
    return W


def orthogonal(fan_in, fan_out, rng=None):
    """A random matrix with orthonormal columns (fan_in >= fan_out) or rows (fan_in < fan_out).

    Draw a Gaussian matrix A of shape (max(fan_in, fan_out), min(fan_in, fan_out)) and
    factor it, A = Q R, with np.linalg.qr. Q has orthonormal columns, but its signs follow
    the factorization's conventions: multiply each column of Q by the sign of the matching
    diagonal entry of R, which makes Q uniformly distributed over all such matrices.
    Transpose Q when fan_in < fan_out.

    Inputs:
    - fan_in, fan_out: positive ints
    - rng: numpy.random.Generator, or None for a fresh one

    Returns:
    - W: (fan_in, fan_out) float64 with W.T @ W = I (fan_in >= fan_out) or W @ W.T = I
    """
    W = None
    # TODO (03_initialization): implement orthogonal.
    raise NotImplementedError("initializers.orthogonal: implement it, see notebook 03_initialization")
    return W


# name -> initializer, for FullyConnectedNet(weight_scale=name).
INITIALIZERS = {
    "zeros": zeros,
    "small_random": small_random,
    "xavier": xavier,
    "he": he,
    "orthogonal": orthogonal,
}
