"""Hidden checks for 03_initialization: the initializers on random layer sizes, on the edge
cases fan_in = 1 and fan_out = 1, and pooled over many small draws.

Instructor-only: this folder is never released. Sizes and seeds come from ``rng``, seeded
by the grading run's --seed and the check's name; tolerances are six standard errors, as
in the visible checks.
"""

import numpy as np

from autograder.checks.nb03_initialization import (SIGMAS, draws_from_the_given_rng, gaussian_statistics,
                                                   orthonormal, unbiased_signs, weights)
from autograder.sandbox import Rng
from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, check, close

A = "03_initialization"

GAUSSIANS = {  # name -> (std as a function of the fans, its formula)
    "xavier": (lambda fan_in, fan_out: 1 / np.sqrt(fan_in), "1 / sqrt(fan_in)"),
    "he": (lambda fan_in, fan_out: np.sqrt(2 / fan_in), "sqrt(2 / fan_in)"),
}


def seed_from(rng):
    return int(rng.integers(2**31))


def layer_sizes(rng):
    """Random tall and wide layers, plus the extremes of a single input or output."""
    a, b = sorted(int(v) for v in rng.integers(60, 900, size=2))
    return [(b, a), (a, b), (1, 3000), (3000, 1)]


@check(A, points=2, tags=["initializers.zeros", "initializers.small_random", "initializers.xavier",
                          "initializers.he"], hidden=True)
def gaussian_initializers_hidden(lib, ref, rng):
    for shape in [(1, 1), (1, 9), (8, 1), tuple(int(v) for v in rng.integers(2, 50, size=2))]:
        label = f"zeros{shape}"
        W = weights(label, lib.call("initializers.zeros", *shape, Rng(seed_from(rng))), shape)
        close(label, W, ref.initializers.zeros(*shape), 0, "all zeros")

    scale = float(10 ** rng.uniform(-3, 1))
    cases = [("small_random", lambda fan_in, fan_out: scale, "scale", {"scale": scale}),
             *[(name, std_of, formula, {}) for name, (std_of, formula) in GAUSSIANS.items()]]
    for name, std_of, formula, kwargs in cases:
        for shape in layer_sizes(rng):
            label = f"{name}{shape}" + (f" with scale={scale:.3g}" if kwargs else "")
            W = weights(label, lib.call(f"initializers.{name}", *shape, Rng(seed_from(rng)), **kwargs), shape)
            gaussian_statistics(label, W, std_of(*shape), formula)
            # Independent draws never repeat a float64 value; repeats mean copied rows or
            # columns, i.e. units that start out identical (the symmetry problem).
            if np.unique(W).size < W.size:
                raise CheckFailed(f"{label}: some weights repeat exactly; every weight must be its own "
                                  "random draw (copied rows or columns make units identical)")
        draws_from_the_given_rng(lib, name, seed=seed_from(rng), shape=(7, 3), **kwargs)

    # Many tiny layers pooled: the formula must hold for small fans too.
    for name, (std_of, formula) in GAUSSIANS.items():
        shape = (3, 2) if name == "xavier" else (2, 5)
        start = seed_from(rng)
        results = lib.map(f"initializers.{name}", [(*shape, Rng(s)) for s in range(start, start + 1000)])
        Ws = np.array([weights(f"{name}{shape}", W, shape) for W in results])
        gaussian_statistics(f"{name}{shape}, pooled over {len(Ws)} seeds", Ws, std_of(*shape), formula)

    W = weights("small_random(5, 4, scale=0.0)", lib.call("initializers.small_random", 5, 4, Rng(0), scale=0.0), (5, 4))
    close("small_random(5, 4, scale=0.0)", W, np.zeros((5, 4)), 0, "all zeros")


@check(A, points=2, tags=["initializers.orthogonal"], hidden=True)
def orthogonal_hidden(lib, ref, rng):
    a, b = sorted(int(v) for v in rng.integers(20, 250, size=2))
    n = int(rng.integers(2, 120))
    for shape in [(1, 1), (1, 9), (9, 1), (2, 5), (5, 2), (b, a), (a, b), (n, n)]:
        label = f"orthogonal{shape}"
        W = weights(label, lib.call("initializers.orthogonal", *shape, Rng(seed_from(rng))), shape)
        orthonormal(label, W)
    for shape in [(1, 1), (9, 1), (5, 2), (2, 5), (4, 4)]:
        unbiased_signs(lib, shape, 400)
    draws_from_the_given_rng(lib, "orthogonal", seed=seed_from(rng), shape=(4, 9))
    draws_from_the_given_rng(lib, "orthogonal", seed=seed_from(rng), shape=(9, 4))


# Realistic bugs, each a one-line change to the reference: tests/test_checks.py asserts
# that every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("zeros_transposed", "initializers", "W = np.zeros((fan_in, fan_out))", "W = np.zeros((fan_out, fan_in))",
           ("zeros_init", "gaussian_initializers_hidden")),
    Mutant("small_random_ignores_scale", "initializers", "W = scale * rng.standard_normal((fan_in, fan_out))",
           "W = 0.01 * rng.standard_normal((fan_in, fan_out))", ("small_random_init", "gaussian_initializers_hidden")),
    Mutant("small_random_global_generator", "initializers", "W = scale * rng.standard_normal((fan_in, fan_out))",
           "W = scale * np.random.standard_normal((fan_in, fan_out))",
           ("small_random_init", "gaussian_initializers_hidden")),
    Mutant("xavier_with_he_gain", "initializers", "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
           "rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)",
           ("xavier_init", "gaussian_initializers_hidden")),
    Mutant("xavier_divides_by_fan_in", "initializers", "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
           "rng.standard_normal((fan_in, fan_out)) / fan_in", ("xavier_init", "gaussian_initializers_hidden")),
    Mutant("xavier_averages_the_fans", "initializers", "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
           "rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))",
           ("xavier_init", "gaussian_initializers_hidden")),
    Mutant("xavier_global_generator", "initializers", "W = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
           "W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)", ("xavier_init", "gaussian_initializers_hidden")),
    Mutant("he_uses_fan_out", "initializers", "W = np.sqrt(2.0 / fan_in) *", "W = np.sqrt(2.0 / fan_out) *",
           ("he_init", "gaussian_initializers_hidden")),
    Mutant("he_without_the_two", "initializers", "W = np.sqrt(2.0 / fan_in) *", "W = np.sqrt(1.0 / fan_in) *",
           ("he_init", "gaussian_initializers_hidden")),
    Mutant("he_reseeds", "initializers", "np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))",
           "np.sqrt(2.0 / fan_in) * np.random.default_rng(0).standard_normal((fan_in, fan_out))",
           ("he_init", "gaussian_initializers_hidden")),
    Mutant("orthogonal_without_sign_fix", "initializers", "Q = Q * np.sign(np.diag(R))", "Q = Q",
           ("orthogonal_init", "orthogonal_hidden")),
    Mutant("orthogonal_never_transposes", "initializers", "W = Q if fan_in >= fan_out else Q.T", "W = Q",
           ("orthogonal_init", "orthogonal_hidden")),
    Mutant("orthogonal_factors_the_layer_shape", "initializers", "A = rng.standard_normal((rows, cols))",
           "A = rng.standard_normal((fan_in, fan_out))", ("orthogonal_init", "orthogonal_hidden")),
    Mutant("orthogonal_global_generator", "initializers", "A = rng.standard_normal((rows, cols))",
           "A = np.random.standard_normal((rows, cols))", ("orthogonal_init", "orthogonal_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook.
ALTERNATIVES = [
    Alternative("zeros_np_full", "initializers", '''
        def zeros(fan_in, fan_out, rng=None):  # zeros np full
            return np.full((fan_in, fan_out), 0.0)
        ''', ("zeros",)),
    Alternative("zeros_from_lists", "initializers", '''
        def zeros(fan_in, fan_out, rng=None):  # zeros from lists
            return np.array([[0.0] * fan_out for _ in range(fan_in)]).reshape(fan_in, fan_out)
        ''', ("zeros",)),
    Alternative("small_random_rng_normal", "initializers", '''
        def small_random(fan_in, fan_out, rng=None, scale=0.01):  # small random rng normal
            if rng is None:
                rng = np.random.default_rng()
            return rng.normal(0.0, scale, size=(fan_in, fan_out))
        ''', ("small_random",)),
    Alternative("small_random_scaled_in_place", "initializers", '''
        def small_random(fan_in, fan_out, rng=None, scale=0.01):  # small random scaled in place
            rng = rng if rng is not None else np.random.default_rng()
            W = rng.standard_normal(size=(fan_in, fan_out))
            W *= scale
            return W
        ''', ("small_random",)),
    Alternative("xavier_rng_normal", "initializers", '''
        def xavier(fan_in, fan_out, rng=None):  # xavier rng normal
            rng = np.random.default_rng(rng)
            return rng.normal(loc=0.0, scale=1.0 / np.sqrt(fan_in), size=(fan_in, fan_out))
        ''', ("xavier",)),
    Alternative("xavier_times_sqrt_of_reciprocal", "initializers", '''
        def xavier(fan_in, fan_out, rng=None):  # xavier times sqrt of reciprocal
            if rng is None:
                rng = np.random.default_rng()
            return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
        ''', ("xavier",)),
    Alternative("he_rng_normal", "initializers", '''
        def he(fan_in, fan_out, rng=None):  # he rng normal
            rng = np.random.default_rng(rng)
            return rng.normal(0, np.sqrt(2 / fan_in), (fan_in, fan_out))
        ''', ("he",)),
    Alternative("he_scaled_in_place", "initializers", '''
        def he(fan_in, fan_out, rng=None):  # he scaled in place
            if rng is None:
                rng = np.random.default_rng()
            W = rng.standard_normal((fan_in, fan_out))
            W *= np.sqrt(2) / np.sqrt(fan_in)
            return W
        ''', ("he",)),
    Alternative("orthogonal_polar_factor", "initializers", '''
        def orthogonal(fan_in, fan_out, rng=None):  # orthogonal polar factor
            rng = np.random.default_rng(rng)
            A = rng.standard_normal((fan_in, fan_out))
            U, _, Vt = np.linalg.svd(A, full_matrices=False)
            return U @ Vt  # the orthonormal matrix nearest A: no sign convention to fix
        ''', ("orthogonal",)),
    Alternative("orthogonal_qr_sign_matrix", "initializers", '''
        def orthogonal(fan_in, fan_out, rng=None):  # orthogonal qr sign matrix
            if rng is None:
                rng = np.random.default_rng()
            tall = fan_in >= fan_out
            A = rng.standard_normal((fan_in, fan_out) if tall else (fan_out, fan_in))
            q, r = np.linalg.qr(A)
            q = q @ np.diag(np.sign(np.diag(r)))
            return q if tall else q.T
        ''', ("orthogonal",)),
]
