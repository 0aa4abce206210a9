"""Visible checks for notebook 03_initialization: the weight initializers.

Random weights cannot be compared with fixed numbers, so the checks are statistical. On
a large draw the sample standard deviation of n Gaussian numbers is off by a relative
1/sqrt(2n) (one standard error) and the sample mean by std/sqrt(n); every tolerance here is
six standard errors, so a correct initializer fails with a probability below 1e-8, while
the usual mistakes (a wrong factor, fan_out for fan_in) are off by 30% or more. In the
self-check the seeds are fixed, so a given implementation always gets the same verdict; in
trusted grading (``ref`` given) they come from the run's seed (``seed_of``).
"""

import numpy as np

from ..sandbox import Rng
from ..registry import CheckFailed, as_array, check

A = "03_initialization"
SIGMAS = 6  # tolerances are this many standard errors of the statistic


def weights(label, got, shape):
    """``got`` as a float64 array of ``shape`` with finite entries, or a failure."""
    if got is None:
        raise CheckFailed(f"{label} returned None: did you forget to assign W before returning?")
    if not isinstance(got, np.ndarray):
        raise CheckFailed(f"{label} should return a numpy array but returned {type(got).__name__}")
    if got.dtype != np.float64:
        raise CheckFailed(f"{label} returned an array of dtype {got.dtype}; it should be float64")
    W = as_array(label, got, shape)
    if not np.all(np.isfinite(W)):
        raise CheckFailed(f"{label} returned non-finite weights (nan or inf)")
    return W


def gaussian_statistics(label, W, expected_std, formula):
    """Fail unless the entries of W have mean ~0 and standard deviation ~expected_std."""
    n = W.size
    std_tol = SIGMAS / np.sqrt(2 * n)  # relative
    std = W.std()
    if abs(std / expected_std - 1) > std_tol:
        raise CheckFailed(
            f"{label}: the weights have standard deviation {std:.4g}, but it should be "
            f"{formula} = {expected_std:.4g} (tolerance +-{100 * std_tol:.1f}%, "
            f"{SIGMAS} standard errors for {n} draws)")
    mean_tol = SIGMAS * expected_std / np.sqrt(n)
    if abs(W.mean()) > mean_tol:
        raise CheckFailed(f"{label}: the weights have mean {W.mean():.3g}, but it should be 0 "
                          f"(tolerance +-{mean_tol:.2g} for {n} draws)")


def draws_from_the_given_rng(lib, name, seed=5, shape=(30, 20), **kwargs):
    """Same seed: same weights; other seed: other weights; rng=None: a fresh generator."""
    func = f"initializers.{name}"
    fan_in, fan_out = shape
    call = f"{name}({fan_in}, {fan_out}, rng)"
    first = weights(call, lib.call(func, fan_in, fan_out, Rng(seed), **kwargs), shape)
    again = weights(call, lib.call(func, fan_in, fan_out, rng=Rng(seed), **kwargs), shape)
    if not np.array_equal(first, again):
        raise CheckFailed(f"{call}: two generators with the same seed ({seed}) gave different weights. "
                          "Draw every random number from rng, not from np.random.*")
    other = weights(call, lib.call(func, fan_in, fan_out, Rng(seed + 1), **kwargs), shape)
    if np.array_equal(first, other):
        raise CheckFailed(f"{call}: generators with different seeds ({seed} and {seed + 1}) gave the same "
                          "weights. Use the rng you are given instead of making your own")
    without = [weights(f"{name}({fan_in}, {fan_out})", lib.call(func, fan_in, fan_out, **kwargs), shape),
               weights(f"{name}({fan_in}, {fan_out}, rng=None)", lib.call(func, fan_in, fan_out, None, **kwargs),
                       shape)]
    if np.array_equal(*without):
        raise CheckFailed(f"{name}({fan_in}, {fan_out}) gave the same weights twice: rng=None should mean "
                          "a fresh, unseeded generator (np.random.default_rng())")


def seed_of(ref, rng, fixed):
    """A generator seed: ``fixed`` in the self-check, one drawn from the run's seed in trusted grading."""
    return fixed if ref is None else int(rng.integers(2**31))


def scaled_gaussian(lib, ref, rng, name, std_of, formula, **kwargs):
    """A Gaussian initializer on a tall and a wide layer, then its use of rng."""
    for (fan_in, fan_out), seed in [((800, 200), 0), ((200, 800), 1)]:
        label = f"{name}({fan_in}, {fan_out}{''.join(f', {k}={v}' for k, v in kwargs.items())})"
        W = weights(label, lib.call(f"initializers.{name}", fan_in, fan_out, Rng(seed_of(ref, rng, seed)), **kwargs),
                    (fan_in, fan_out))
        gaussian_statistics(label, W, std_of(fan_in, fan_out), formula)
    draws_from_the_given_rng(lib, name, **kwargs)


@check(A, points=1, tags=["initializers.zeros"])
def zeros_init(lib):
    for fan_in, fan_out in [(3, 5), (7, 2), (1, 1)]:
        label = f"zeros({fan_in}, {fan_out})"
        W = weights(label, lib.call("initializers.zeros", fan_in, fan_out), (fan_in, fan_out))
        if np.any(W != 0):
            raise CheckFailed(f"{label} has non-zero entries")
    W = weights("zeros(4, 6, rng)", lib.call("initializers.zeros", 4, 6, Rng(0)), (4, 6))
    if np.any(W != 0):
        raise CheckFailed("zeros(4, 6, rng) has non-zero entries")


@check(A, points=1, tags=["initializers.small_random"])
def small_random_init(lib, ref, rng):
    scaled_gaussian(lib, ref, rng, "small_random", lambda fan_in, fan_out: 0.01, "scale")
    scaled_gaussian(lib, ref, rng, "small_random", lambda fan_in, fan_out: 0.5, "scale", scale=0.5)


@check(A, points=2, tags=["initializers.xavier"])
def xavier_init(lib, ref, rng):
    scaled_gaussian(lib, ref, rng, "xavier", lambda fan_in, fan_out: 1 / np.sqrt(fan_in), "1 / sqrt(fan_in)")


@check(A, points=2, tags=["initializers.he"])
def he_init(lib, ref, rng):
    scaled_gaussian(lib, ref, rng, "he", lambda fan_in, fan_out: np.sqrt(2 / fan_in), "sqrt(2 / fan_in)")


def orthonormal(label, W):
    """Fail unless W has orthonormal columns (tall or square) or rows (wide)."""
    fan_in, fan_out = W.shape
    gram, what = (W.T @ W, "W.T @ W") if fan_in >= fan_out else (W @ W.T, "W @ W.T")
    err = np.max(np.abs(gram - np.eye(len(gram))))
    if err > 1e-8:
        kind = "columns" if fan_in >= fan_out else "rows"
        raise CheckFailed(f"{label}: {what} differs from the identity by up to {err:.2g}; "
                          f"the {kind} of W should be orthonormal")


def unbiased_signs(lib, shape, draws, first=0):
    """Averaged over many seeds, every entry of a uniformly random orthonormal W is ~0."""
    fan_in, fan_out = shape
    label = f"orthogonal{shape}"
    results = lib.map("initializers.orthogonal", [(fan_in, fan_out, Rng(first + seed)) for seed in range(draws)])
    Ws = np.array([weights(label, W, shape) for W in results])
    for W in Ws[:5]:
        orthonormal(label, W)
    mean = Ws.mean(axis=0)
    # Each entry of a uniformly random orthonormal matrix has mean 0 and variance
    # 1 / max(fan_in, fan_out) (a unit vector's coordinates share its unit length).
    tol = SIGMAS * np.sqrt(1 / max(shape) / draws)
    worst = np.unravel_index(np.argmax(np.abs(mean)), mean.shape)
    if abs(mean[worst]) > tol:
        raise CheckFailed(
            f"{label}: averaged over {draws} seeds, W{tuple(int(i) for i in worst)} is {mean[worst]:.3f}, "
            f"but a random orthogonal matrix has each sign equally often, so it should be near 0 "
            f"(tolerance +-{tol:.2f}). Did you multiply Q's columns by the signs of R's diagonal?")


@check(A, points=2, tags=["initializers.orthogonal"])
def orthogonal_init(lib, ref, rng):
    for (fan_in, fan_out), seed in [((300, 300), 0), ((400, 100), 1), ((100, 400), 2)]:
        label = f"orthogonal({fan_in}, {fan_out})"
        W = weights(label, lib.call("initializers.orthogonal", fan_in, fan_out, Rng(seed_of(ref, rng, seed))),
                    (fan_in, fan_out))
        orthonormal(label, W)
    unbiased_signs(lib, (3, 3), 400, seed_of(ref, rng, 0))
    draws_from_the_given_rng(lib, "orthogonal")
