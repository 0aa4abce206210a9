"""Data augmentation (notebook 06_regularization): random, label-preserving changes to the
training inputs, drawn afresh for every minibatch.

Every function takes a batch and a numpy Generator ``rng``, draws all its randomness from
``rng`` (so the same seed gives the same batch), treats each example on its own (every
example gets its own random draw), returns a new array of the same shape and leaves its
input unchanged. That is the ``augment(X_batch, rng)`` hook of the Solver; several
augmentations compose:

    augment = lambda X, rng: add_noise(random_shift(X, rng, max_shift=3), rng, std=0.1)

* 1-D signals (N, L), such as MNIST-1D: ``random_shift``, ``random_scale``, ``add_noise``;
* image batches (N, C, H, W), such as CIFAR-10's (N, 3, 32, 32): ``random_flip``,
  ``random_crop``, ``color_jitter``.
"""

import numpy as np


# ---------------------------------------------------------------- 1-D signals


def random_shift(X, rng, max_shift=3):
    """Shift each signal in time by its own random whole number of samples s, drawn
    uniformly from -max_shift, ..., max_shift, circularly: what leaves one end comes back
    at the other, out[n, t] = X[n, (t - s_n) mod L] (np.roll of the row by s_n).

    Inputs:
    - X: (N, L) signals
    - rng: numpy Generator
    - max_shift: int >= 0, the largest shift in either direction

    Returns:
    - out: (N, L)
    """
    out = None
    ### BEGIN SOLUTION
    N, L = X.shape
    shifts = rng.integers(-max_shift, max_shift + 1, size=N)
    source = (np.arange(L)[None, :] - shifts[:, None]) % L
    out = np.take_along_axis(X, source, axis=1)
    ### END SOLUTION
    return out


def random_scale(X, rng, max_change=0.2):
    """Multiply each signal by its own random factor, drawn uniformly from
    [1 - max_change, 1 + max_change]: out[n] = X[n] * factor_n.

    Inputs:
    - X: (N, L) signals
    - rng: numpy Generator
    - max_change: float in [0, 1)

    Returns:
    - out: (N, L)
    """
    out = None
    ### BEGIN SOLUTION
    factors = rng.uniform(1 - max_change, 1 + max_change, size=(X.shape[0], 1))
    out = X * factors
    ### END SOLUTION
    return out


def add_noise(X, rng, std=0.1):
    """Add independent Gaussian noise of standard deviation ``std`` to every entry.

    Inputs:
    - X: array of any shape
    - rng: numpy Generator
    - std: float >= 0, the noise's standard deviation (not its variance)

    Returns:
    - out: shaped like X
    """
    out = None
    ### BEGIN SOLUTION
    out = X + std * rng.standard_normal(X.shape)
    ### END SOLUTION
    return out


# ---------------------------------------------------------------- images (N, C, H, W)


def random_flip(X, rng, p=0.5):
    """Mirror each image left to right (along its width, the last axis) with probability p,
    independently for every image; the others stay as they are.

    Inputs:
    - X: (N, C, H, W) images
    - rng: numpy Generator
    - p: probability of flipping an image (not of leaving it as it is: p = 0.2 flips
      about a fifth of the images)

    Returns:
    - out: (N, C, H, W)
    """
    out = None
    ### BEGIN SOLUTION
    flip = rng.random(X.shape[0]) < p
    out = X.copy()
    out[flip] = X[flip][..., ::-1]
    ### END SOLUTION
    return out


def random_crop(X, rng, padding=4):
    """Pad each image with ``padding`` zeros on all four sides, then cut out a window of
    the original size at a random position, drawn for each image on its own: the top-left
    corner (i, j) of the window is uniform over 0, ..., 2 * padding in each direction, and
    i and j are drawn independently of each other, so every one of the (2 * padding + 1)**2
    windows is equally likely, not only those with i == j (i = j = padding gives back the
    image itself).

    Inputs:
    - X: (N, C, H, W) images
    - rng: numpy Generator
    - padding: int >= 0

    Returns:
    - out: (N, C, H, W)
    """
    out = None
    ### BEGIN SOLUTION
    N, C, H, W = X.shape
    padded = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    tops = rng.integers(0, 2 * padding + 1, size=N)
    lefts = rng.integers(0, 2 * padding + 1, size=N)
    crops = np.empty_like(X)
    for n, (i, j) in enumerate(zip(tops, lefts)):
        crops[n] = padded[n, :, i:i + H, j:j + W]
    out = crops
    ### END SOLUTION
    return out


def color_jitter(X, rng, brightness=0.2, contrast=0.2):
    """Change each image's contrast and brightness by random amounts of its own.

    For image n, with m_n the mean of all its values (every channel and pixel):

        out[n] = (X[n] - m_n) * c_n + m_n + b_n,
        c_n uniform in [1 - contrast, 1 + contrast],  b_n uniform in [-brightness, brightness].

    The contrast factor stretches the image about its own mean; the brightness shift (in
    the units of X, e.g. 0.2 for standardised pixels) moves its mean.

    Inputs:
    - X: (N, C, H, W) images
    - rng: numpy Generator
    - brightness: float >= 0
    - contrast: float in [0, 1)

    Returns:
    - out: (N, C, H, W)
    """
    out = None
    ### BEGIN SOLUTION
    N = X.shape[0]
    c = rng.uniform(1 - contrast, 1 + contrast, size=(N, 1, 1, 1))
    b = rng.uniform(-brightness, brightness, size=(N, 1, 1, 1))
    m = X.mean(axis=(1, 2, 3), keepdims=True)
    out = (X - m) * c + m + b
    ### END SOLUTION
    return out
