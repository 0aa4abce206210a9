"""Hidden checks for 01_activations: every non-linearity against the reference on random
inputs of odd shapes, in saturation (|x| up to 1000), on negative inputs and in float32.

Instructor-only: this folder is never released.
"""

import numpy as np

from autograder.gradcheck import matches_reference
from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, as_array, check, close, unpack

A = "01_activations"


def regimes(rng):
    """(label, x, tolerance) for each regime an activation must handle."""
    yield " (odd shape (3, 5, 2))", rng.standard_normal((3, 5, 2)), 1e-7
    yield (" (saturation, |x| up to 1000, where the docstring asks for finite values)",
           rng.uniform(-1000, 1000, (4, 6)), 1e-7)
    yield " (negative inputs)", -rng.uniform(0.01, 8, (5, 3)), 1e-7
    yield " (float32)", rng.standard_normal((6, 7)).astype(np.float32) * 4, 1e-4
    with_zeros = rng.standard_normal((4, 5))
    with_zeros.flat[::3] = 0
    yield " (exact zeros, where ReLU-like functions have a kink)", with_zeros, 1e-7


def activation_check(name, extra=()):
    def run(lib, ref, rng):
        for regime, x, tol in regimes(rng):
            # Element-wise: at a kink any value between the one-sided derivatives passes.
            matches_reference(lib, ref, f"activations.{name}_forward", f"activations.{name}_backward",
                              [x, *extra], ["dx"], rng, tol, regime, elementwise=True)
    return run


def register(name, points=1, extra=()):
    run = activation_check(name, extra)
    run.__name__ = f"{name}_hidden"
    check(A, points=points, tags=[f"activations.{name}_forward", f"activations.{name}_backward"], hidden=True)(run)


register("sigmoid")
register("tanh")
register("leaky_relu", extra=(0.05,))
register("elu", extra=(1.3,))
register("gelu")


@check(A, points=2, tags=["activations.maxout_forward", "activations.maxout_backward"], hidden=True)
def maxout_hidden(lib, ref, rng):
    for n, dims, m, k, dtype, tol in [(5, (2, 3), 4, 3, np.float64, 1e-7), (1, (7,), 2, 5, np.float64, 1e-7),
                                      (8, (4,), 3, 2, np.float32, 1e-4)]:
        d = int(np.prod(dims))
        args = [rng.standard_normal((n, *dims)).astype(dtype), rng.standard_normal((d, m, k)).astype(dtype),
                rng.standard_normal((m, k)).astype(dtype)]
        matches_reference(lib, ref, "activations.maxout_forward", "activations.maxout_backward", args,
                          ["dx", "dw", "db"], rng, tol, f" (x {(n, *dims)}, K={k}, {np.dtype(dtype).name})")
    maxout_ties(lib, ref, rng)


def maxout_ties(lib, ref, rng):
    """One example whose output 0 has two tied winning pieces and output 1 three: any split
    of dout among a tie's pieces (weights >= 0 adding up to 1) is a valid subgradient, e.g.
    all of it to the first piece, as argmax does, or to the last."""
    D, M, K = 4, 3, 3
    x = rng.integers(-3, 4, (1, D)).astype(float)  # small integers: every z is exact, so ties are exact
    w = rng.integers(-3, 4, (D, M, K)).astype(float)
    b = rng.integers(-3, 4, (M, K)).astype(float)
    w[:, 0, 2], b[0, 2] = w[:, 0, 0], b[0, 0]
    w[:, 1, 1:], b[1, 1:] = w[:, 1, :1], b[1, :1]
    z = np.einsum("nd,dmk->nmk", x, w) + b
    b[0, 1] -= max(z[0, 0, 1] - z[0, 0, 0] + 1, 0)  # pieces 0 and 2 of output 0 win
    z = np.einsum("nd,dmk->nmk", x, w) + b
    label = "maxout_backward (one example, tied pieces)"
    out, cache = unpack("maxout_forward (tied pieces)", lib.call("activations.maxout_forward", x, w, b), 2)
    close("maxout_forward (tied pieces): out", out, ref.activations.maxout_forward(x, w, b)[0], 1e-12,
          "the reference")
    dout = rng.uniform(0.5, 2, (1, M)) * rng.choice([-1, 1], (1, M))
    dx, dw, db = unpack(label, lib.call("activations.maxout_backward", dout, cache), 3)
    db = as_array(f"{label}: db", db, (M, K))
    # With one example, db[m] is the share of dout[m] each piece got: check it is a split.
    tied = z[0] == z[0].max(axis=1, keepdims=True)
    share = db / dout[0][:, None]
    for m in range(M):
        total = share[m, tied[m]].sum()
        if abs(total - 1) > 1e-7 or np.any(np.abs(share[m, ~tied[m]]) > 1e-7) or np.any(share[m] < -1e-7):
            pieces = np.flatnonzero(tied[m]).tolist()
            raise CheckFailed(f"{label}: output {m}'s winning pieces {pieces} tie, and db[{m}] gives them "
                              f"{np.round(share[m], 3).tolist()} x dout; split dout among the tied pieces "
                              "(e.g. all of it to the first, as argmax does), do not copy it to each")
    dz = np.where(tied, np.clip(share, 0, 1), 0) * dout[0][:, None]
    close(f"{label}: db", db, dz, 1e-7, "the reference")
    close(f"{label}: dw", dw, x[0][:, None, None] * dz, 1e-7, "the reference with the same split")
    close(f"{label}: dx", dx, np.einsum("mk,dmk->d", dz, w)[None], 1e-7, "the reference with the same split")


# Realistic bugs, each a one-line change to the reference: tests/test_checks.py asserts
# that every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("sigmoid_negative_branch", "activations", "1.0 / (1.0 + z), z / (1.0 + z)", "1.0 / (1.0 + z), 1.0 / (1.0 + z)",
           ("sigmoid_forward", "sigmoid_hidden")),
    Mutant("sigmoid_backward_drops_factor", "activations", "dx = dout * out * (1.0 - out)", "dx = dout * out",
           ("sigmoid_backward", "sigmoid_hidden")),
    Mutant("tanh_by_exponentials", "activations", "out = np.tanh(x)",
           "out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))", ("tanh_forward", "tanh_hidden")),
    Mutant("tanh_backward_squares_wrong", "activations", "dx = dout * (1.0 - out**2)", "dx = dout * (1.0 - out) ** 2",
           ("tanh_backward", "tanh_hidden")),
    Mutant("leaky_relu_ignores_alpha", "activations", "out = np.where(x > 0, x, alpha * x)",
           "out = np.where(x > 0, x, 0.01 * x)", ("leaky_relu_forward", "leaky_relu_hidden")),
    Mutant("leaky_relu_backward_dead", "activations", "dx = np.where(x > 0, dout, alpha * dout)",
           "dx = np.where(x > 0, dout, 0.0 * dout)", ("leaky_relu_backward", "leaky_relu_hidden")),
    Mutant("elu_forgets_alpha", "activations", "negative_part = alpha * np.expm1(np.minimum(x, 0))",
           "negative_part = np.expm1(np.minimum(x, 0))", ("elu_forward", "elu_hidden")),
    Mutant("elu_backward_forgets_alpha", "activations", "np.where(x > 0, 1.0, out + alpha)", "np.where(x > 0, 1.0, out)",
           ("elu_backward", "elu_hidden")),
    Mutant("gelu_without_half", "activations", "out = 0.5 * x * (1.0 + t)", "out = x * (1.0 + t)",
           ("gelu_forward", "gelu_hidden")),
    Mutant("gelu_backward_one_term", "activations",
           "dx = dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * du_dx)", "dx = dout * 0.5 * (1.0 + t)",
           ("gelu_backward", "gelu_hidden")),
    Mutant("maxout_min_instead_of_max", "activations", "winner = z.argmax(axis=2)", "winner = z.argmin(axis=2)",
           ("maxout_forward", "maxout_hidden")),
    Mutant("maxout_backward_all_pieces", "activations",
           "np.put_along_axis(dz, winner[..., None], dout[..., None], axis=2)", "dz[:] = dout[..., None]",
           ("maxout_backward", "maxout_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook.
ALTERNATIVES = [
    Alternative("sigmoid_through_tanh", "activations", '''
        def sigmoid_forward(x):  # sigmoid through tanh
            out = 0.5 * (1 + np.tanh(x / 2))  # never overflows; loses digits near 0 in float32
            cache = out
            return (out, cache)
        ''', ("sigmoid_forward",)),
    Alternative("sigmoid_textbook_cache_x", "activations", '''
        def sigmoid_forward(x):  # sigmoid textbook cache x
            # Right, but exp(-x) overflows for x < -709: a RuntimeWarning, noted without a penalty.
            return 1 / (1 + np.exp(-x)), x

        def sigmoid_backward(dout, cache):  # sigmoid textbook cache x
            s = 1 / (1 + np.exp(-cache))
            return dout * s * (1 - s)
        ''', ("sigmoid_forward", "sigmoid_backward")),
    Alternative("sigmoid_backward_in_place", "activations", '''
        def sigmoid_backward(dout, cache):  # sigmoid backward in place
            dx = dout.copy()
            dx *= cache
            dx *= 1 - cache
            return dx
        ''', ("sigmoid_backward",)),
    Alternative("tanh_from_stable_exponentials", "activations", '''
        def tanh_forward(x):  # tanh from stable exponentials
            e = np.exp(-2 * np.abs(x))
            out = np.sign(x) * (1 - e) / (1 + e)
            cache = out
            return (out, cache)
        ''', ("tanh_forward",)),
    Alternative("tanh_cache_x", "activations", '''
        def tanh_forward(x):  # tanh cache x
            return np.tanh(x), x

        def tanh_backward(dout, cache):  # tanh cache x
            return dout * (1 - np.tanh(cache) ** 2)
        ''', ("tanh_forward", "tanh_backward")),
    Alternative("tanh_backward_factored", "activations", '''
        def tanh_backward(dout, cache):  # tanh backward factored
            return dout * (1 - cache) * (1 + cache)
        ''', ("tanh_backward",)),
    Alternative("leaky_relu_maximum", "activations", '''
        def leaky_relu_forward(x, alpha=0.01):  # leaky relu maximum
            out = np.maximum(x, alpha * x)  # right for 0 <= alpha <= 1
            cache = (x, alpha)
            return (out, cache)
        ''', ("leaky_relu_forward",)),
    Alternative("leaky_relu_mask_cache", "activations", '''
        def leaky_relu_forward(x, alpha=0.01):  # leaky relu mask cache
            mask = x > 0
            out = x * mask + alpha * x * ~mask
            cache = {"mask": mask, "alpha": alpha}
            return (out, cache)

        def leaky_relu_backward(dout, cache):  # leaky relu mask cache
            return dout * np.where(cache["mask"], 1.0, cache["alpha"])
        ''', ("leaky_relu_forward", "leaky_relu_backward")),
    Alternative("leaky_relu_backward_one_at_zero", "activations", '''
        def leaky_relu_backward(dout, cache):  # leaky relu backward one at zero
            x, alpha = cache
            dx = dout.copy()
            dx[x < 0] *= alpha  # slope 1 at x == 0: a valid subgradient too
            return dx
        ''', ("leaky_relu_backward",)),
    Alternative("elu_maximum_minimum", "activations", '''
        def elu_forward(x, alpha=1.0):  # elu maximum minimum
            out = np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))
            cache = (x, out, alpha)
            return (out, cache)
        ''', ("elu_forward",)),
    Alternative("elu_cache_x_exp", "activations", '''
        def elu_forward(x, alpha=1.0):  # elu cache x exp
            out = x.copy()
            neg = x <= 0
            out[neg] = alpha * (np.exp(x[neg]) - 1)
            return out, (x, alpha)

        def elu_backward(dout, cache):  # elu cache x exp
            x, alpha = cache
            dx = dout.copy()
            neg = x < 0  # slope 1 at x == 0: a valid subgradient too
            dx[neg] *= alpha * np.exp(x[neg])
            return dx
        ''', ("elu_forward", "elu_backward")),
    Alternative("elu_backward_exp_of_x", "activations", '''
        def elu_backward(dout, cache):  # elu backward exp of x
            x, out, alpha = cache
            return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))
        ''', ("elu_backward",)),
    Alternative("gelu_np_power", "activations", '''
        def gelu_forward(x):  # gelu np power
            t = np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * np.power(x, 3)))
            out = 0.5 * x * (1 + t)
            cache = (x, t)
            return (out, cache)
        ''', ("gelu_forward",)),
    Alternative("gelu_as_x_sigmoid_cache_x", "activations", '''
        def _gelu_u(x):
            return np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)

        def gelu_forward(x):  # gelu as x sigmoid cache x
            # 0.5 (1 + tanh(u)) = sigmoid(2u), written so that exp never overflows
            e = np.exp(-2 * np.abs(_gelu_u(x)))
            s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
            return x * s, x

        def gelu_backward(dout, cache):  # gelu as x sigmoid cache x
            x = cache
            t = np.tanh(_gelu_u(x))
            du = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x**2)
            return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t) * (1 + t) * du)
        ''', ("gelu_forward", "gelu_backward")),
    Alternative("gelu_backward_sech_squared", "activations", '''
        def gelu_backward(dout, cache):  # gelu backward sech squared
            x, t = cache
            sech2 = 1 - t * t
            du_dx = np.sqrt(2 / np.pi) * (1 + 0.134145 * x * x)
            return dout * 0.5 * ((1 + t) + x * sech2 * du_dx)
        ''', ("gelu_backward",)),
    Alternative("maxout_loops_over_pieces", "activations", '''
        def maxout_forward(x, w, b):  # maxout loops over pieces
            N, (D, M, K) = x.shape[0], w.shape
            x_flat = x.reshape(N, D)
            z = np.zeros((N, M, K))
            for k in range(K):
                z[:, :, k] = x_flat @ w[:, :, k] + b[:, k]
            out = np.max(z, axis=2)
            cache = (x, w, z)
            return (out, cache)

        def maxout_backward(dout, cache):  # maxout loops over pieces
            x, w, z = cache
            N, (D, M, K) = x.shape[0], w.shape
            x_flat = x.reshape(N, D)
            best = np.argmax(z, axis=2)
            dx_flat, dw, db = np.zeros((N, D)), np.zeros(w.shape), np.zeros((M, K))
            for k in range(K):
                dz = dout * (best == k)
                dx_flat += dz @ w[:, :, k].T
                dw[:, :, k] = x_flat.T @ dz
                db[:, k] = dz.sum(axis=0)
            return dx_flat.reshape(x.shape), dw, db
        ''', ("maxout_forward", "maxout_backward")),
    Alternative("maxout_matrix_product_ties_to_last", "activations", '''
        def maxout_forward(x, w, b):  # maxout matrix product ties to last
            N, (D, M, K) = x.shape[0], w.shape
            z = (x.reshape(N, D) @ w.reshape(D, M * K)).reshape(N, M, K) + b
            last = K - 1 - np.argmax(z[:, :, ::-1], axis=2)  # a tie goes to the last piece
            out = np.take_along_axis(z, last[:, :, None], axis=2)[:, :, 0]
            return out, {"x": x, "w": w, "winner": last}

        def maxout_backward(dout, cache):  # maxout matrix product ties to last
            x, w, winner = cache["x"], cache["w"], cache["winner"]
            N, (D, M, K) = x.shape[0], w.shape
            dz = (np.arange(K) == winner[:, :, None]) * dout[:, :, None]
            dx = (dz.reshape(N, M * K) @ w.reshape(D, M * K).T).reshape(x.shape)
            dw = (x.reshape(N, D).T @ dz.reshape(N, M * K)).reshape(D, M, K)
            db = dz.sum(axis=0)
            return (dx, dw, db)
        ''', ("maxout_forward", "maxout_backward")),
]
