"""Data preprocessing (notebook 02_preprocessing).

Every method comes as a pair:

* ``fit_...(X_train) -> statistics``: learn the statistics from the *training* split only;
* ``transform(X, statistics)``: apply them, unchanged, to any split (train, val, test or a
  single new example).

A transform never looks at the statistics of the data it is given: the same raw example
must always become the same input to the network, whatever it is processed with.

Data are (N, D) arrays, one example per row, one feature per column. The output keeps the
dtype of the input (float32 in, float32 out).
"""

import numpy as np


def fit_zero_center(X_train, per_channel=False):
    """The training mean that zero_center subtracts.

    Inputs:
    - X_train: (N, D) training examples, or (N, C, H, W) training images
    - per_channel: images only; True gives one mean per colour channel (averaged over the
      examples and all pixel positions) instead of a whole mean image

    Returns:
    - mean: (D,) per-feature mean of (N, D) data; for images the mean image (C, H, W),
      or with per_channel=True the channel means shaped (C, 1, 1), so that X - mean
      broadcasts over (N, C, H, W)
    """
    mean = None
    # TODO (02_preprocessing): implement fit_zero_center.
    raise NotImplementedError("preprocessing.fit_zero_center: implement it, see notebook 02_preprocessing")
    return mean


def zero_center(X, mean):
    """Subtract the training mean.

    Inputs:
    - X: (N, D) examples (or (N, C, H, W) images) of any split
    - mean: from fit_zero_center on the training split

    Returns:
    - X_centered: shaped like X
    """
    X_centered = None
    # TODO (02_preprocessing): implement zero_center.
    raise NotImplementedError("preprocessing.zero_center: implement it, see notebook 02_preprocessing")
    return X_centered


def fit_standardizer(X_train, min_std=1e-8):
    """Per-feature mean and standard deviation of the training split.

    A feature that is (almost) constant in the training data has a standard deviation of
    (almost) zero, and dividing by it would give inf or nan, or blow up rounding noise.
    Such features (std < min_std) get std = 1: standardize then only centres them, and a
    feature constant in training becomes exactly 0 there.

    Inputs:
    - X_train: (N, D) training examples
    - min_std: standard deviations below this count as zero

    Returns a tuple of:
    - mean: (D,) per-feature mean
    - std: (D,) per-feature standard deviation (dividing by N, numpy's default), with
      values below min_std replaced by 1
    """
    mean, std = None, None
    # TODO (02_preprocessing): implement fit_standardizer.
    raise NotImplementedError("preprocessing.fit_standardizer: implement it, see notebook 02_preprocessing")
    return mean, std


def standardize(X, stats):
    """Zero mean and unit variance per feature, with the training statistics.

    Inputs:
    - X: (N, D) examples of any split
    - stats: (mean, std) from fit_standardizer on the training split

    Returns:
    - X_standardized: (N, D)
    """
    X_standardized = None
    # TODO (02_preprocessing): implement standardize.
    raise NotImplementedError("preprocessing.standardize: implement it, see notebook 02_preprocessing")
    return X_standardized


def fit_pca(X_train):
    """Principal components of the training data: eigen-decomposition of its covariance.

    The covariance is Xc.T @ Xc / N, where Xc is X_train minus its per-feature mean.
    Eigenvalues are sorted from largest to smallest, and each eigenvector has unit length.
    An eigenvector is only defined up to its sign; to make the result unique, flip each one
    so that its component of largest magnitude is positive.

    Inputs:
    - X_train: (N, D) training examples

    Returns a tuple of:
    - mean: (D,) per-feature mean of X_train
    - eigenvalues: (D,) variances along the principal directions, in descending order
      (rounding can make a zero variance slightly negative; clip those at 0)
    - eigenvectors: (D, D) column j is the unit eigenvector of eigenvalues[j]
    """
    mean, eigenvalues, eigenvectors = None, None, None
    # TODO (02_preprocessing): implement fit_pca.
    raise NotImplementedError("preprocessing.fit_pca: implement it, see notebook 02_preprocessing")
    return mean, eigenvalues, eigenvectors


def pca_transform(X, pca, k=None):
    """Decorrelate: coordinates of the centred data along the principal directions.

    Inputs:
    - X: (N, D) examples of any split
    - pca: (mean, eigenvalues, eigenvectors) from fit_pca on the training split
    - k: keep only the first k components (those of largest variance); None keeps all D

    Returns:
    - X_rot: (N, k), or (N, D) when k is None; column j is the projection on eigenvector j
    """
    X_rot = None
    # TODO (02_preprocessing): implement pca_transform.
    raise NotImplementedError("preprocessing.pca_transform: implement it, see notebook 02_preprocessing")
    return X_rot


def whiten(X, pca, eps=1e-5):
    """PCA whitening: decorrelate, then give every principal direction unit variance.

    Column j of the decorrelated data is divided by sqrt(eigenvalues[j] + eps). Without
    eps, a direction of (almost) zero variance would be divided by (almost) zero: the
    output would be inf, or rounding noise blown up to the same size as the signal.

    Inputs:
    - X: (N, D) examples of any split
    - pca: (mean, eigenvalues, eigenvectors) from fit_pca on the training split
    - eps: added to each variance before the square root

    Returns:
    - X_white: (N, D); on the training split its covariance is
      diag(eigenvalues / (eigenvalues + eps)), close to the identity
    """
    X_white = None
    # TODO (02_preprocessing): implement whiten.
    raise NotImplementedError("preprocessing.whiten: implement it, see notebook 02_preprocessing")
    return X_white
