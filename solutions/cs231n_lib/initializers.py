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
    ### BEGIN SOLUTION
    W = np.zeros((fan_in, fan_out))
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    W = scale * rng.standard_normal((fan_in, fan_out))
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    # Var(x @ W) = fan_in * Var(W) * Var(x): this choice keeps the variance at Var(x).
    W = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    # ReLU zeroes half of its inputs, halving the second moment; the 2 gives it back.
    W = np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
    A = rng.standard_normal((rows, cols))
    Q, R = np.linalg.qr(A)  # reduced: Q is (rows, cols)
    # QR is unique only up to the signs of R's diagonal; fixing them removes the bias of
    # the algorithm (otherwise, e.g., Q[0, 0] would always be negative).
    Q = Q * np.sign(np.diag(R))
    W = Q if fan_in >= fan_out else Q.T
    ### END SOLUTION
    return W


# name -> initializer, for FullyConnectedNet(weight_scale=name).
INITIALIZERS = {
    "zeros": zeros,
    "small_random": small_random,
    "xavier": xavier,
    "he": he,
    "orthogonal": orthogonal,
}
