"""Hidden checks for 02_preprocessing: every function against the reference on random
inputs of odd shapes, with training and other splits of different sizes, large offsets,
constant features, float32, rank-deficient and near-singular covariances.

Instructor-only: this folder is never released.
"""

import numpy as np

from autograder.checks.nb02_preprocessing import pca_properties
from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, as_array, check, close, close_scaled, unpack

A = "02_preprocessing"


def spectrum_data(rng, n, variances, offset=0.0, dtype=np.float64):
    """n examples whose covariance has about the given variances along random directions."""
    D = len(variances)
    rotation, _ = np.linalg.qr(rng.standard_normal((D, D)))
    X = rng.standard_normal((n, D)) * np.sqrt(variances) @ rotation.T + offset * rng.standard_normal(D)
    return X.astype(dtype)


@check(A, points=1, tags=["preprocessing.fit_zero_center", "preprocessing.zero_center"], hidden=True)
def centering_hidden(lib, ref, rng):
    for regime, shape_train, shape_other, per_channel, dtype, tol in [
            ("odd shape (37, 11)", (37, 11), (13, 11), False, np.float64, 1e-12),
            ("float32", (50, 6), (1, 6), False, np.float32, 1e-5),
            ("images (5, 3, 4, 7), mean image", (5, 3, 4, 7), (2, 3, 4, 7), False, np.float64, 1e-12),
            ("images (6, 3, 5, 2), per channel", (6, 3, 5, 2), (3, 3, 5, 2), True, np.float64, 1e-12)]:
        offset = rng.uniform(-50, 50, shape_train[1:])
        X_train = (3 * rng.standard_normal(shape_train) + offset).astype(dtype)
        X_other = (3 * rng.standard_normal(shape_other) + offset + 1.0).astype(dtype)
        kwargs = {"per_channel": True} if per_channel else {}
        want_mean = ref.preprocessing.fit_zero_center(X_train, **kwargs)
        mean = lib.call("preprocessing.fit_zero_center", X_train, **kwargs)
        close_scaled(f"fit_zero_center ({regime}): mean", mean, want_mean, tol)
        got = lib.call("preprocessing.zero_center", X_other, want_mean)
        close_scaled(f"zero_center ({regime}, another split of {shape_other[0]} examples)", got,
                     ref.preprocessing.zero_center(X_other, want_mean), tol)


@check(A, points=1, tags=["preprocessing.fit_standardizer", "preprocessing.standardize"], hidden=True)
def standardize_hidden(lib, ref, rng):
    for regime, n, D, offset, scale, dtype, tol in [
            ("odd shape (23, 9)", 23, 9, 5.0, 3.0, np.float64, 1e-10),
            ("large offset 1e6, std 1e-2", 40, 4, 1e6, 1e-2, np.float64, 1e-6),
            ("float32", 64, 5, 2.0, 4.0, np.float32, 1e-4)]:
        X_train = (scale * rng.standard_normal((n, D)) * rng.uniform(0.5, 2, D)
                   + offset * rng.uniform(0.5, 1, D)).astype(dtype)
        X_train[:, 1] = X_train[0, 1]  # a constant feature
        X_other = (scale * rng.standard_normal((7, D)) + offset * rng.uniform(0.5, 1, D)).astype(dtype)
        want_mean, want_std = ref.preprocessing.fit_standardizer(X_train)
        label = f"fit_standardizer ({regime}, feature 1 constant)"
        mean, std = unpack(label, lib.call("preprocessing.fit_standardizer", X_train), 2)
        close_scaled(f"{label}: mean", mean, want_mean, tol / 10)
        close(f"{label}: std", std, want_std, tol)
        got = lib.call("preprocessing.standardize", X_other, (want_mean, want_std))
        close_scaled(f"standardize ({regime}, another split of 7 examples)", got,
                     ref.preprocessing.standardize(X_other, (want_mean, want_std)), tol)


@check(A, points=2, tags=["preprocessing.fit_pca"], hidden=True)
def pca_hidden(lib, ref, rng):
    for regime, n, variances, offset, dtype, tol, n_defined in [
            ("odd shape (50, 7)", 50, [40, 20, 9, 5, 2, 1, 0.3], 10.0, np.float64, 1e-8, 7),
            ("more features than examples (5, 9)", 5, [9, 7, 5, 3, 2, 1.5, 1, 0.5, 0.2], 3.0, np.float64, 1e-8, 4),
            ("float32 (40, 5)", 40, [16, 8, 4, 2, 1], 1.0, np.float32, 1e-4, 5),
            ("near-singular covariance (30, 6)", 30, [10, 6, 3, 2, 1, 1e-12], 4.0, np.float64, 1e-8, 6)]:
        X = spectrum_data(rng, n, variances, offset, dtype)
        D = len(variances)
        want_mean, want_values, want_vectors = ref.preprocessing.fit_pca(X)
        label = f"fit_pca ({regime})"
        got = unpack(label, lib.call("preprocessing.fit_pca", X), 3)
        mean, values, vectors = pca_properties(label, *got, D, tol=1e-5 if dtype == np.float32 else 1e-9)
        close_scaled(f"{label}: mean", mean, want_mean, tol)
        close_scaled(f"{label}: eigenvalues", values, want_values, tol)
        # Directions of zero variance (beyond the rank) are not unique: compare the others.
        close_scaled(f"{label}: eigenvectors (columns 0..{n_defined - 1})", vectors[:, :n_defined],
                     want_vectors[:, :n_defined], 100 * tol, scale=1.0)


@check(A, points=2, tags=["preprocessing.pca_transform", "preprocessing.whiten"], hidden=True)
def whiten_hidden(lib, ref, rng):
    for regime, variances, dtype, tol in [
            ("odd shape (29, 7)", [30, 12, 6, 3, 1, 0.5, 0.1], np.float64, 1e-10),
            ("near-singular covariance", [8, 4, 2, 1, 1e-13], np.float64, 1e-9),
            ("float32", [16, 8, 4, 2, 1], np.float32, 1e-4)]:
        X_train = spectrum_data(rng, 29, variances, 5.0, dtype)
        X_other = spectrum_data(rng, 6, variances, 5.0, dtype)
        pca = ref.preprocessing.fit_pca(X_train)
        k = len(variances) - 2
        for X, split in [(X_other, "another split of 6 examples"), (X_train, "the training split")]:
            close_scaled(f"pca_transform ({regime}, {split})", lib.call("preprocessing.pca_transform", X, pca),
                         ref.preprocessing.pca_transform(X, pca), tol)
            close_scaled(f"pca_transform ({regime}, {split}, k={k})",
                         lib.call("preprocessing.pca_transform", X, pca, k=k),
                         ref.preprocessing.pca_transform(X, pca, k=k), tol)
            for eps in [1e-5, 1e-2]:
                close_scaled(f"whiten ({regime}, {split}, eps={eps})",
                             lib.call("preprocessing.whiten", X, pca, eps=eps),
                             ref.preprocessing.whiten(X, pca, eps=eps), tol)
    # Exactly zero variance along one direction: eps alone keeps the output finite.
    X_train = spectrum_data(rng, 12, [5, 2, 1, 1e-13], 1.0)
    mean, values, vectors = ref.preprocessing.fit_pca(X_train)
    pca = (mean, np.concatenate([values[:-1], [0.0]]), vectors)
    close_scaled("whiten (an eigenvalue exactly 0)", lib.call("preprocessing.whiten", X_train, pca),
                 ref.preprocessing.whiten(X_train, pca), 1e-9)
    # End to end with the student's own fit_pca: whitened training data is about white.
    X_train = spectrum_data(rng, 200, [25, 9, 4, 1, 0.25, 0.04], -3.0)
    pca = lib.call("preprocessing.fit_pca", X_train)
    out = as_array("whiten(X_train, fit_pca(X_train))", lib.call("preprocessing.whiten", X_train, pca), (200, 6))
    cov = np.cov(out.T, bias=True)
    if np.abs(cov - np.eye(6)).max() > 1e-3:
        raise CheckFailed("whiten(X_train, fit_pca(X_train)) should have about the identity as covariance, "
                          f"but it has diagonal {np.round(np.diag(cov), 4).tolist()} and largest off-diagonal "
                          f"entry {np.abs(cov - np.diag(np.diag(cov))).max():.3g}")


# Realistic bugs, each a one-line change to the reference: tests/test_checks.py asserts
# that every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("center_per_sample_mean", "preprocessing", "X_train.mean(axis=0)  # one mean per feature, over the examples",
           "X_train.mean(axis=1, keepdims=True)  # one mean per example", ("fit_zero_center", "centering_hidden")),
    Mutant("channel_mean_channels_last", "preprocessing", "X_train.mean(axis=(0, 2, 3))",
           "X_train.mean(axis=(0, 1, 2))", ("fit_zero_center", "centering_hidden")),
    Mutant("center_with_own_mean", "preprocessing", "X_centered = X - mean",
           "X_centered = X - X.mean(axis=0)", ("zero_center", "centering_hidden")),
    Mutant("standardizer_per_sample_mean", "preprocessing", "mean = X_train.mean(axis=0)\n    std",
           "mean = X_train.mean(axis=1, keepdims=True)\n    std", ("fit_standardizer", "standardize_hidden")),
    Mutant("standardizer_divides_by_zero", "preprocessing",
           "std = np.where(std < min_std, 1.0, std).astype(std.dtype)", "pass",
           ("fit_standardizer", "standardize_hidden")),
    Mutant("standardizer_variance_by_moments", "preprocessing",
           "std = np.sqrt(((X_train - mean) ** 2).mean(axis=0))",
           "std = np.sqrt(np.maximum((X_train**2).mean(axis=0) - mean**2, 0))", ("standardize_hidden",)),
    Mutant("standardize_with_own_stats", "preprocessing", "X_standardized = (X - mean) / std",
           "X_standardized = (X - X.mean(axis=0)) / X.std(axis=0)", ("standardize", "standardize_hidden")),
    Mutant("pca_uncentred_covariance", "preprocessing", "cov = Xc.T @ Xc / X_train.shape[0]",
           "cov = X_train.T @ X_train / X_train.shape[0]", ("fit_pca", "pca_hidden")),
    Mutant("pca_unbiased_covariance", "preprocessing", "cov = Xc.T @ Xc / X_train.shape[0]",
           "cov = Xc.T @ Xc / (X_train.shape[0] - 1)", ("fit_pca", "pca_hidden")),
    Mutant("pca_eigenvalues_ascending", "preprocessing", "order = np.argsort(eigenvalues)[::-1]",
           "order = np.argsort(eigenvalues)", ("fit_pca", "pca_hidden")),
    Mutant("pca_eigenvectors_scaled_by_std", "preprocessing", "eigenvectors = eigenvectors * signs",
           "eigenvectors = eigenvectors * signs * np.sqrt(eigenvalues)", ("fit_pca", "pca_hidden")),
    Mutant("pca_eigenvectors_as_rows", "preprocessing", "eigenvectors = eigenvectors * signs",
           "eigenvectors = (eigenvectors * signs).T", ("fit_pca", "pca_hidden")),
    Mutant("pca_no_sign_convention", "preprocessing", "eigenvectors = eigenvectors * signs", "pass",
           ("fit_pca", "pca_hidden")),
    Mutant("pca_transform_with_own_mean", "preprocessing", "X_rot = (X - mean) @ eigenvectors[:, :k]",
           "X_rot = (X - X.mean(axis=0)) @ eigenvectors[:, :k]", ("pca_transform", "whiten_hidden")),
    Mutant("pca_transform_keeps_rows", "preprocessing", "X_rot = (X - mean) @ eigenvectors[:, :k]",
           "X_rot = (X - mean) @ eigenvectors[:k]", ("pca_transform", "whiten_hidden")),
    Mutant("whiten_without_eps", "preprocessing", "X_rot / np.sqrt(eigenvalues + eps)",
           "X_rot / np.sqrt(eigenvalues)", ("whiten", "whiten_hidden")),
    Mutant("whiten_eps_outside_sqrt", "preprocessing", "X_rot / np.sqrt(eigenvalues + eps)",
           "X_rot / (np.sqrt(eigenvalues) + eps)", ("whiten", "whiten_hidden")),
    Mutant("whiten_divides_by_variance", "preprocessing", "X_rot / np.sqrt(eigenvalues + eps)",
           "X_rot / (eigenvalues + eps)", ("whiten", "whiten_hidden")),
    Mutant("whiten_with_own_mean", "preprocessing", "X_rot = (X - mean) @ eigenvectors\n",
           "X_rot = (X - X.mean(axis=0)) @ eigenvectors\n", ("whiten", "whiten_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook.
ALTERNATIVES = [
    Alternative("fit_zero_center_keepdims", "preprocessing", '''
        def fit_zero_center(X_train, per_channel=False):  # fit zero center keepdims
            if per_channel:
                return np.mean(X_train, axis=(0, 2, 3), keepdims=True)[0]  # (1, C, 1, 1) -> (C, 1, 1)
            return np.mean(X_train, axis=0)
        ''', ("fit_zero_center",)),
    Alternative("fit_zero_center_sum_over_n", "preprocessing", '''
        def fit_zero_center(X_train, per_channel=False):  # fit zero center sum over n
            N = X_train.shape[0]
            if per_channel:
                C = X_train.shape[1]
                channels = X_train.transpose(1, 0, 2, 3).reshape(C, -1)
                return (channels.sum(axis=1) / channels.shape[1]).reshape(C, 1, 1)
            return np.sum(X_train, axis=0) / N
        ''', ("fit_zero_center",)),
    Alternative("zero_center_in_place_copy", "preprocessing", '''
        def zero_center(X, mean):  # zero center in place copy
            Xc = X.copy()
            Xc -= mean
            return Xc
        ''', ("zero_center",)),
    Alternative("zero_center_loop", "preprocessing", '''
        def zero_center(X, mean):  # zero center loop
            return np.array([example - mean for example in X])
        ''', ("zero_center",)),
    Alternative("fit_standardizer_np_std", "preprocessing", '''
        def fit_standardizer(X_train, min_std=1e-8):  # fit standardizer np std
            mean = np.mean(X_train, axis=0)
            std = np.std(X_train, axis=0)
            std[std < min_std] = 1
            return (mean, std)
        ''', ("fit_standardizer",)),
    Alternative("fit_standardizer_keepdims_variance", "preprocessing", '''
        def fit_standardizer(X_train, min_std=1e-8):  # fit standardizer keepdims variance
            mu = X_train.mean(axis=0, keepdims=True)
            var = ((X_train - mu) ** 2).sum(axis=0) / X_train.shape[0]
            std = np.sqrt(var)
            std = np.where(std < min_std, 1, std)
            return mu.ravel(), std
        ''', ("fit_standardizer",)),
    Alternative("standardize_in_place", "preprocessing", '''
        def standardize(X, stats):  # standardize in place
            mean, std = stats
            out = X - mean
            out /= std
            return out
        ''', ("standardize",)),
    Alternative("standardize_times_reciprocal", "preprocessing", '''
        def standardize(X, stats):  # standardize times reciprocal
            return (X - stats[0]) * (1.0 / stats[1])
        ''', ("standardize",)),
    Alternative("fit_pca_svd", "preprocessing", '''
        def fit_pca(X_train):  # fit pca svd
            N, D = X_train.shape
            mean = X_train.mean(axis=0)
            U, S, Vt = np.linalg.svd(X_train - mean, full_matrices=True)  # Vt: (D, D), rows descending
            eigenvalues = np.zeros(D, dtype=S.dtype)
            eigenvalues[:len(S)] = S**2 / N
            eigenvectors = Vt.T
            for j in range(D):
                if eigenvectors[np.argmax(np.abs(eigenvectors[:, j])), j] < 0:
                    eigenvectors[:, j] *= -1
            return (mean, eigenvalues, eigenvectors)
        ''', ("fit_pca",)),
    Alternative("fit_pca_np_cov", "preprocessing", '''
        def fit_pca(X_train):  # fit pca np cov
            mean = np.mean(X_train, axis=0)
            cov = np.cov(X_train, rowvar=False, bias=True)
            values, vectors = np.linalg.eigh(cov)
            values, vectors = np.flip(values), np.flip(vectors, axis=1)
            values = np.clip(values, 0, None)
            idx = np.abs(vectors).argmax(axis=0)
            vectors = vectors * np.sign(vectors[idx, range(vectors.shape[1])])
            return mean, values, vectors
        ''', ("fit_pca",)),
    Alternative("pca_transform_slice_first", "preprocessing", '''
        def pca_transform(X, pca, k=None):  # pca transform slice first
            mean, _, U = pca
            if k is not None:
                U = U[:, :k]
            return (X - mean).dot(U)
        ''', ("pca_transform",)),
    Alternative("pca_transform_slice_after", "preprocessing", '''
        def pca_transform(X, pca, k=None):  # pca transform slice after
            mean, eigenvalues, eigenvectors = pca
            X_rot = np.dot(X - mean, eigenvectors)
            if k is None:
                k = X_rot.shape[1]
            return X_rot[:, :k]
        ''', ("pca_transform",)),
    Alternative("whiten_diagonal_matrix", "preprocessing", '''
        def whiten(X, pca, eps=1e-5):  # whiten diagonal matrix
            mean, eigenvalues, eigenvectors = pca
            return (X - mean) @ eigenvectors @ np.diag(1 / np.sqrt(eigenvalues + eps))
        ''', ("whiten",)),
    Alternative("whiten_reuses_pca_transform", "preprocessing", '''
        def whiten(X, pca, eps=1e-5):  # whiten reuses pca transform
            return pca_transform(X, pca) / np.sqrt(pca[1] + eps)
        ''', ("whiten",)),
]
