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
    # TODO (06_regularization): implement random_shift.
    raise NotImplementedError("augmentation.random_shift: implement it, see notebook 06_regularization")
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
    # TODO (06_regularization): implement random_scale.
    raise NotImplementedError("augmentation.random_scale: implement it, see notebook 06_regularization")
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
    # TODO (06_regularization): implement add_noise.
    raise NotImplementedError("augmentation.add_noise: implement it, see notebook 06_regularization")
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
    # TODO (06_regularization): implement random_flip.
    raise NotImplementedError("augmentation.random_flip: implement it, see notebook 06_regularization")
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
    # TODO (06_regularization): implement random_crop.
    raise NotImplementedError("augmentation.random_crop: implement it, see notebook 06_regularization")
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
    # TODO (06_regularization): implement color_jitter.
    raise NotImplementedError("augmentation.color_jitter: implement it, see notebook 06_regularization")
    return out
