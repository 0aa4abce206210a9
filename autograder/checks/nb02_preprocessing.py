"""Visible checks for notebook 02_preprocessing: centring, standardization, PCA, whitening.

Every fit_ function is fitted on a small training matrix and every transform is applied to
*other* examples, so a transform that recomputes the statistics of its own input fails.

In trusted grading (``ref`` given) the matrices vary with the run's seed (each feature
scaled and shifted by numbers of its own, so a constant feature stays constant; see
``columns``) and the expected values are the reference's (``gradcheck.expected``).
"""

import numpy as np

from ..gradcheck import expected, varied
from ..registry import CheckFailed, as_array, check, close, unpack

A = "02_preprocessing"

# Four training examples with three features; the last feature is constant.
X_TRAIN = np.array([[1.0, 2.0, -1.0], [3.0, 0.0, -1.0], [2.0, 7.0, -1.0], [6.0, -1.0, -1.0]])
# Two examples of another split, whose own mean is not the training mean.
X_OTHER = np.array([[0.0, 5.0, 2.0], [4.0, -4.0, -1.0]])
# Two images of 2 channels, 2 x 3 pixels: (N, C, H, W).
IMAGES = np.arange(24.0).reshape(2, 2, 2, 3)
IMAGES[1] = 2 * IMAGES[1] - 5

# PCA of six examples with three correlated features (no ties between eigenvalues).
PCA_X = np.array([[2.0, 1, 0], [4, 3, 1], [0, -1, 1], [3, 4, -2], [5, 2, 2], [-1, 0, 1]])
PCA_MEAN = [2.1666666666666665, 1.5, 0.5]
PCA_EIGENVALUES = [6.622727479760917, 2.1443322208779723, 0.20516252158333342]
PCA_EIGENVECTORS = [[0.7803798621327194, 0.4301539728901779, -0.4538445002250374],
                    [0.6138664231484898, -0.3888165519487919, 0.6870150678562525],
                    [-0.11906000717536047, 0.8147326239555213, 0.5674816879459236]]

# A hand-made PCA result for the transforms: orthonormal columns, descending variances.
GIVEN_MEAN = np.array([1.0, 0.0, -2.0])
GIVEN_VECTORS = np.array([[2.0, -2.0, 1.0], [1.0, 2.0, 2.0], [2.0, 1.0, -2.0]]) / 3
GIVEN_X = np.array([[1.0, 0.0, -2.0], [4.0, 3.0, 1.0], [-2.0, 6.0, 0.0], [0.0, -3.0, -5.0]])


def columns(ref, rng, x):
    """The fixed matrix ``x`` in the self-check; in trusted grading each of its columns scaled
    and shifted by random numbers of its own, from the run's seed."""
    if ref is None:
        return x
    return x * rng.uniform(0.8, 1.25, x.shape[1]) + rng.uniform(-1, 1, x.shape[1])


def shown(x):
    return np.round(x, 4).tolist()


def pca_properties(label, mean, eigenvalues, eigenvectors, D, tol=1e-9):
    """The promises of fit_pca that hold whatever the data: shapes, order, unit length,
    orthogonality and the sign convention. Returns the three as float arrays."""
    mean = as_array(f"{label}: mean", mean, (D,))
    eigenvalues = as_array(f"{label}: eigenvalues", eigenvalues, (D,))
    eigenvectors = as_array(f"{label}: eigenvectors", eigenvectors, (D, D))
    if not np.all(np.isfinite(eigenvalues)) or not np.all(np.isfinite(eigenvectors)):
        raise CheckFailed(f"{label}: the eigenvalues or eigenvectors contain inf or nan")
    scale = max(float(np.max(np.abs(eigenvalues))), 1e-300)
    if np.any(np.diff(eigenvalues) > tol * scale):
        raise CheckFailed(f"{label}: eigenvalues should be in descending order (largest variance first), "
                          f"got {np.round(eigenvalues, 6).tolist()}")
    norms = np.linalg.norm(eigenvectors, axis=0)
    if np.any(np.abs(norms - 1) > tol):
        j = int(np.argmax(np.abs(norms - 1)))
        raise CheckFailed(f"{label}: eigenvector column {j} has length {norms[j]:.6g}; every column "
                          "should be a unit vector (are the eigenvectors the columns, not the rows?)")
    gram = eigenvectors.T @ eigenvectors
    off = np.abs(gram - np.eye(D))
    if off.max() > tol:
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        raise CheckFailed(f"{label}: eigenvector columns {i} and {j} are not orthogonal "
                          f"(their dot product is {gram[i, j]:.3g})")
    largest = eigenvectors[np.argmax(np.abs(eigenvectors), axis=0), np.arange(D)]
    if np.any(largest < 0):
        j = int(np.argmax(largest < 0))
        raise CheckFailed(f"{label}: eigenvector column {j} breaks the sign convention: its component "
                          f"of largest magnitude is {largest[j]:.6g}; flip the column so it is positive")
    return mean, eigenvalues, eigenvectors


@check(A, points=1, tags=["preprocessing.fit_zero_center"])
def fit_zero_center(lib, ref, rng):
    f = "preprocessing.fit_zero_center"
    x, images = columns(ref, rng, X_TRAIN), varied(ref, rng, IMAGES)
    mean = lib.call(f, x)
    close(f"fit_zero_center(X_train {shown(x)}): the per-feature mean", mean, expected(ref, [3.0, 2.0, -1.0], f, x, pick=None),
          1e-12)
    mean_image = lib.call(f, images)
    close("fit_zero_center(images (2, 2, 2, 3)): the mean image", mean_image, expected(
        ref, [[[9.5, 11.0, 12.5], [14.0, 15.5, 17.0]], [[18.5, 20.0, 21.5], [23.0, 24.5, 26.0]]], f, images, pick=None),
        1e-12)
    channel_mean = lib.call(f, images, per_channel=True)
    close("fit_zero_center(images (2, 2, 2, 3), per_channel=True): the channel means, shaped (C, 1, 1)",
          channel_mean, expected(ref, [[[13.25]], [[22.25]]], f, images, True, pick=None), 1e-12)


@check(A, points=1, tags=["preprocessing.zero_center"])
def zero_center(lib, ref, rng):
    x, mean = varied(ref, rng, X_OTHER), varied(ref, rng, np.array([3.0, 2.0, -1.0]))
    out = lib.call("preprocessing.zero_center", x, mean)
    close(f"zero_center(X {shown(x)}, mean {shown(mean)}): X minus the given training mean",
          out, expected(ref, [[-3.0, 3.0, 3.0], [1.0, -6.0, 0.0]], "preprocessing.zero_center", x, mean, pick=None),
          1e-12)
    channel_mean = np.array([[[13.25]], [[22.25]]])
    out = lib.call("preprocessing.zero_center", IMAGES[:1], channel_mean)
    close("zero_center(one image (1, 2, 2, 3), channel means (2, 1, 1))", out,
          IMAGES[:1] - channel_mean, 1e-12)


@check(A, points=1, tags=["preprocessing.fit_standardizer"])
def fit_standardizer(lib, ref, rng):
    x = columns(ref, rng, X_TRAIN)
    label = f"fit_standardizer(X_train {shown(x)})"
    mean, std = unpack(label, lib.call("preprocessing.fit_standardizer", x), 2)
    want_mean, want_std = expected(ref, ([3.0, 2.0, -1.0], [1.8708286933869707, 3.082207001484488, 1.0]),
                                   "preprocessing.fit_standardizer", x, pick=None)
    close(f"{label}: mean", mean, want_mean, 1e-12)
    std = as_array(f"{label}: std", std, (3,))
    if not np.isfinite(std[2]) or std[2] == 0:
        raise CheckFailed(f"{label}: std of the constant last feature is {std[2]}; standardize would "
                          "divide by it. Replace standard deviations below min_std by 1")
    close(f"{label}: std (divide by N; a constant feature gets 1)", std, want_std, 1e-12)
    X_tiny = np.array([[1.0, 5.0], [1.0 + 1e-10, 6.0], [1.0, 7.0]])
    _, std = unpack("fit_standardizer", lib.call("preprocessing.fit_standardizer", X_tiny, min_std=1e-6), 2)
    close(f"fit_standardizer({X_tiny.tolist()}, min_std=1e-6): std (the first feature's std is "
          "below min_std)", std, [1.0, 0.816496580927726], 1e-12)


@check(A, points=1, tags=["preprocessing.standardize"])
def standardize(lib, ref, rng):
    x = varied(ref, rng, X_OTHER)
    stats = (varied(ref, rng, np.array([3.0, 2.0, -1.0])), varied(ref, rng, np.array([2.0, 4.0, 1.0])))
    out = lib.call("preprocessing.standardize", x, stats)
    close(f"standardize(X {shown(x)}, (mean {shown(stats[0])}, std {shown(stats[1])})): (X - training mean) / "
          "training std", out, expected(ref, [[-1.5, 0.75, 3.0], [0.5, -1.5, 0.0]], "preprocessing.standardize", x,
                                        stats, pick=None), 1e-12)


@check(A, points=2, tags=["preprocessing.fit_pca"])
def fit_pca(lib, ref, rng):
    x = varied(ref, rng, PCA_X)
    label = "fit_pca(X (6, 3))"
    mean, eigenvalues, eigenvectors = unpack(label, lib.call("preprocessing.fit_pca", x), 3)
    mean, eigenvalues, eigenvectors = pca_properties(label, mean, eigenvalues, eigenvectors, 3)
    want = expected(ref, (PCA_MEAN, PCA_EIGENVALUES, PCA_EIGENVECTORS), "preprocessing.fit_pca", x, pick=None)
    close(f"{label}: mean", mean, want[0], 1e-12)
    close(f"{label}: eigenvalues (variances, covariance divided by N)", eigenvalues, want[1], 1e-9)
    close(f"{label}: eigenvectors (columns)", eigenvectors, want[2], 1e-9)


@check(A, points=1, tags=["preprocessing.pca_transform"])
def pca_transform(lib, ref, rng):
    x = varied(ref, rng, GIVEN_X)
    pca = (GIVEN_MEAN, np.array([9.0, 4.0, 0.25]), GIVEN_VECTORS)
    want = (x - GIVEN_MEAN) @ GIVEN_VECTORS
    out = lib.call("preprocessing.pca_transform", x, pca)
    close("pca_transform(X (4, 3), pca): (X - training mean) @ eigenvectors", out, want, 1e-12)
    out = lib.call("preprocessing.pca_transform", x, pca, k=2)
    close("pca_transform(X (4, 3), pca, k=2): the first two components only", out, want[:, :2], 1e-12)


@check(A, points=2, tags=["preprocessing.whiten"])
def whiten(lib, ref, rng):
    # The last direction has zero variance: only eps keeps the result finite.
    x = varied(ref, rng, GIVEN_X)
    eigenvalues = np.array([9.0, 4.0, 0.0])
    pca = (GIVEN_MEAN, eigenvalues, GIVEN_VECTORS)
    rotated = (x - GIVEN_MEAN) @ GIVEN_VECTORS
    for eps, extra in [(1e-5, {}), (0.5, {"eps": 0.5})]:
        out = lib.call("preprocessing.whiten", x, pca, **extra)
        close(f"whiten(X (4, 3), pca with eigenvalues {eigenvalues.tolist()}, eps={eps}): "
              "decorrelated X / sqrt(eigenvalue + eps)", out, rotated / np.sqrt(eigenvalues + eps), 1e-12)

    # A property: whitened training data has covariance diag(l / (l + eps)), about the identity.
    values = np.array(PCA_EIGENVALUES)
    pca = (np.array(PCA_MEAN), values, np.array(PCA_EIGENVECTORS))
    out = as_array("whiten(X (6, 3), its own PCA)", lib.call("preprocessing.whiten", PCA_X, pca), (6, 3))
    cov = (out - out.mean(axis=0)).T @ (out - out.mean(axis=0)) / len(out)
    close("covariance of whiten(X_train, pca of X_train) (should be diag(l / (l + eps)), about the identity)",
          cov, np.diag(values / (values + 1e-5)), 1e-6)
