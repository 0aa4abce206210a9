"""Hidden checks for 04_normalization: batch and layer normalization against the reference
on random inputs of odd shapes, with large offsets, in float32, and batchnorm's running
averages over a sequence of train calls followed by test mode.

Instructor-only: this folder is never released.
"""

import copy

import numpy as np

from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, check, close, precision_floor, unpack

A = "04_normalization"


def regimes(rng):
    """(label, x, tolerance): shapes (N, D) and scales a normalization layer must handle."""
    yield " (x (7, 3))", rng.standard_normal((7, 3)), 1e-7
    yield " (x (2, 5), two examples)", rng.standard_normal((2, 5)), 1e-7
    yield " (x (6, 4), offset 1000, scale 0.1)", 1000 + 0.1 * rng.standard_normal((6, 4)), 1e-6
    yield " (x (5, 6), float32)", (3 * rng.standard_normal((5, 6))).astype(np.float32), 1e-4


def params(rng, d, dtype):
    gamma = (rng.uniform(0.5, 2.0, d) * rng.choice([-1, 1], d)).astype(dtype)
    return gamma, rng.standard_normal(d).astype(dtype)


def forward_and_backwards(lib, ref, rng, forward, backwards, x, gamma, beta, param, tol, label, axis):
    """Student forward (and each backward, on the student's own cache) against the reference.

    ``axis`` is the one the statistics are taken over (0 for batchnorm, 1 for layernorm).
    """
    floor = precision_floor(x)
    ref_out, ref_cache = getattr(ref.normalization, forward)(x, gamma, beta, copy.deepcopy(param))
    result, args = lib.call(f"normalization.{forward}", x, gamma, beta, copy.deepcopy(param), return_args=True)
    out, cache = unpack(f"{forward}{label}", result, 2)
    close(f"{forward}{label}: out", out, ref_out, tol, "the reference", floor)
    dout = rng.standard_normal(x.shape).astype(x.dtype)
    # dx is a difference of terms of size gamma * dout / std, which cancel almost exactly when
    # there are two examples: compare it on the scale of those terms, not of the result.
    inv_std = 1 / np.sqrt(np.var(x, axis=axis, keepdims=True, dtype=np.float64) + param.get("eps", 1e-5))
    terms = float(np.max(np.abs(dout * gamma) * inv_std))
    for backward in backwards:
        want = getattr(ref.normalization, backward)(dout, ref_cache)
        got = unpack(f"{backward}{label}", lib.call(f"normalization.{backward}", dout, cache), 3)
        for name, g, w in zip(["dx", "dgamma", "dbeta"], got, want):
            scale = max(terms, float(np.max(np.abs(w)))) if name == "dx" else None
            close(f"{backward}{label}: {name}", g, w, tol, "the reference", floor, scale)
    return args[3]


@check(A, points=2, tags=["normalization.batchnorm_forward", "normalization.batchnorm_backward",
                          "normalization.batchnorm_backward_alt"], hidden=True)
def batchnorm_hidden(lib, ref, rng):
    for label, x, tol in regimes(rng):
        d = x.shape[1]
        gamma, beta = params(rng, d, x.dtype)
        # A few training steps with random momentum and eps, then test mode: the running
        # averages must follow the reference at every step.
        momentum, eps = rng.uniform(0.5, 0.99), 10.0 ** rng.uniform(-6, -2)
        bn_param = {"mode": "train", "momentum": momentum, "eps": eps}
        ref_param = copy.deepcopy(bn_param)
        for step in range(3):
            batch = x + rng.standard_normal(x.shape).astype(x.dtype) * x.std() * 0.5
            step_label = f"{label}, train step {step + 1}, momentum {momentum:.2f}"
            after = forward_and_backwards(lib, ref, rng, "batchnorm_forward",
                                          ["batchnorm_backward", "batchnorm_backward_alt"],
                                          batch, gamma, beta, bn_param, tol, step_label, axis=0)
            ref.normalization.batchnorm_forward(batch, gamma, beta, ref_param)
            if not isinstance(after, dict):
                raise CheckFailed(f"batchnorm_forward{step_label}: bn_param is no longer a dict")
            start = " (bn_param had none: running_mean starts at zeros, running_var at ones, see the docstring)"
            for key in ("running_mean", "running_var"):
                close(f"batchnorm_forward{step_label}: bn_param[{key!r}]{start if step == 0 else ''}",
                      after.get(key), ref_param[key], tol, "the reference")
            bn_param = after
        bn_param["mode"] = ref_param["mode"] = "test"
        test_x = x[::-1] * 1.5 - 0.5
        out, _ = unpack("batchnorm_forward", lib.call("normalization.batchnorm_forward", test_x, gamma, beta,
                                                      bn_param), 2)
        ref_out, _ = ref.normalization.batchnorm_forward(test_x, gamma, beta, ref_param)
        close(f"batchnorm_forward{label}, test mode after 3 train steps: out", out, ref_out, tol, "the reference")


@check(A, points=2, tags=["normalization.layernorm_forward", "normalization.layernorm_backward"], hidden=True)
def layernorm_hidden(lib, ref, rng):
    for label, x, tol in regimes(rng):
        gamma, beta = params(rng, x.shape[1], x.dtype)
        ln_param = {"eps": 10.0 ** rng.uniform(-6, -2)}
        forward_and_backwards(lib, ref, rng, "layernorm_forward", ["layernorm_backward"], x, gamma, beta,
                              ln_param, tol, f"{label}, eps {ln_param['eps']:.1e}", axis=1)
    # A single example, and a single example with a huge offset: no batch is needed.
    for label, x in [(" (one example)", rng.standard_normal((1, 8))),
                     (" (one example, offset 1e4)", 1e4 + rng.standard_normal((1, 8)))]:
        gamma, beta = params(rng, 8, x.dtype)
        forward_and_backwards(lib, ref, rng, "layernorm_forward", ["layernorm_backward"], x, gamma, beta,
                              {}, 1e-6, label, axis=1)


# Realistic bugs, each a small change to the reference: tests/test_checks.py asserts that
# every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("bn_test_mode_uses_batch_statistics", "normalization",
           "mean, var = running_mean, running_var", "mean, var = x.mean(axis=0), x.var(axis=0)",
           ("batchnorm_forward_test", "batchnorm_hidden")),
    Mutant("bn_modes_swapped", "normalization", 'if mode == "train":', 'if mode == "test":',
           ("batchnorm_forward", "batchnorm_running_averages", "batchnorm_forward_test", "batchnorm_hidden")),
    Mutant("bn_momentum_wrong_way_round", "normalization",
           "running_mean = momentum * running_mean + (1 - momentum) * mean\n"
           "        running_var = momentum * running_var + (1 - momentum) * var",
           "running_mean = (1 - momentum) * running_mean + momentum * mean\n"
           "        running_var = (1 - momentum) * running_var + momentum * var",
           ("batchnorm_running_averages", "batchnorm_hidden")),
    Mutant("bn_unbiased_variance", "normalization", "var = np.mean(centred * centred, axis=0)",
           "var = np.sum(centred * centred, axis=0) / (x.shape[0] - 1)",
           ("batchnorm_forward", "batchnorm_running_averages", "batchnorm_hidden")),
    Mutant("bn_eps_outside_sqrt", "normalization",
           "inv_std = 1.0 / np.sqrt(var + eps)\n    x_hat = centred * inv_std",
           "inv_std = 1.0 / (np.sqrt(var) + eps)\n    x_hat = centred * inv_std",
           ("batchnorm_forward", "batchnorm_forward_test", "batchnorm_hidden")),
    Mutant("bn_normalises_each_example", "normalization",
           "mean = x.mean(axis=0)\n        centred = x - mean\n        var = np.mean(centred * centred, axis=0)",
           "mean = x.mean(axis=1, keepdims=True)\n        centred = x - mean\n"
           "        var = np.mean(centred * centred, axis=1, keepdims=True)",
           ("batchnorm_forward", "batchnorm_running_averages", "batchnorm_hidden")),
    Mutant("ln_normalises_each_feature", "normalization",
           "mean = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)",
           "mean = x.mean(axis=0, keepdims=True)\n    var = x.var(axis=0, keepdims=True)",
           ("layernorm_forward", "layernorm_hidden")),
    Mutant("ln_eps_outside_sqrt", "normalization",
           "inv_std = 1.0 / np.sqrt(var + eps)\n    x_hat = (x - mean) * inv_std",
           "inv_std = 1.0 / (np.sqrt(var) + eps)\n    x_hat = (x - mean) * inv_std",
           ("layernorm_forward", "layernorm_hidden")),
    Mutant("bn_backward_ignores_mean", "normalization", "dx = dcentred + dmean / n", "dx = dcentred",
           ("batchnorm_backward", "batchnorm_hidden")),
    Mutant("bn_backward_ignores_variance", "normalization", "dcentred += (2.0 / n) * centred * dvar",
           "pass", ("batchnorm_backward", "batchnorm_hidden")),
    Mutant("bn_backward_alt_ignores_mean", "normalization", "dx = dout - dbeta / n\n", "dx = 1.0 * dout\n",
           ("batchnorm_backward_alt", "batchnorm_hidden")),
    Mutant("bn_backward_alt_ignores_variance", "normalization",
           "    dx -= x_hat * (dgamma / n)\n", "", ("batchnorm_backward_alt", "batchnorm_hidden")),
    Mutant("ln_backward_ignores_variance", "normalization",
           "\n                    - x_hat * (g * x_hat).mean(axis=1, keepdims=True))", ")",
           ("layernorm_backward", "layernorm_hidden")),
    Mutant("ln_backward_dgamma_per_example", "normalization",
           "dgamma = (dout * x_hat).sum(axis=0)\n    # Batchnorm's",
           "dgamma = (dout * x_hat).sum(axis=1)\n    # Batchnorm's",
           ("layernorm_backward", "layernorm_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook.
ALTERNATIVES = [
    Alternative("batchnorm_forward_step_by_step", "normalization", '''
        def batchnorm_forward(x, gamma, beta, bn_param):  # batchnorm forward step by step
            mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
            N, D = x.shape
            running_mean = bn_param.get("running_mean", np.zeros_like(x[0]))
            running_var = bn_param.get("running_var", np.ones_like(x[0]))
            if mode == "train":
                mu = 1.0 / N * np.sum(x, axis=0)
                xmu = x - mu
                sq = xmu**2
                var = 1.0 / N * np.sum(sq, axis=0)
                sqrtvar = np.sqrt(var + eps)
                ivar = 1.0 / sqrtvar
                xhat = xmu * ivar
                out = gamma * xhat + beta
                cache = (xmu, ivar, xhat, gamma)  # what this library's backward passes read
                running_mean *= momentum  # in place, in the arrays bn_param holds
                running_mean += (1 - momentum) * mu
                running_var *= momentum
                running_var += (1 - momentum) * var
            elif mode == "test":
                xhat = (x - running_mean) / np.sqrt(running_var + eps)
                out = gamma * xhat + beta
                cache = None
            else:
                raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
            bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
            return (out, cache)
        ''', ("batchnorm_forward",)),
    Alternative("batchnorm_dict_cache_keepdims", "normalization", '''
        def batchnorm_forward(x, gamma, beta, bn_param):  # batchnorm dict cache keepdims
            mode = bn_param.get("mode")
            if mode != "train" and mode != "test":
                raise ValueError(mode)
            eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
            N, D = x.shape
            bn_param.setdefault("running_mean", np.zeros(D, dtype=x.dtype))
            bn_param.setdefault("running_var", np.ones(D, dtype=x.dtype))
            cache = None
            if mode == "train":
                mean = x.mean(axis=0, keepdims=True)
                var = x.var(axis=0, keepdims=True)
                x_hat = (x - mean) / np.sqrt(var + eps)
                # Only the statistics used here keep their axis: the running averages are (D,).
                bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mean[0]
                bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var[0]
                cache = {"x": x, "mean": mean, "var": var, "eps": eps, "gamma": gamma, "x_hat": x_hat}
            else:
                x_hat = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
            return gamma * x_hat + beta, cache

        def batchnorm_backward(dout, cache):  # batchnorm dict cache keepdims
            x, mean, var, eps, gamma = cache["x"], cache["mean"], cache["var"], cache["eps"], cache["gamma"]
            N = x.shape[0]
            dbeta = dout.sum(axis=0)
            dgamma = (dout * cache["x_hat"]).sum(axis=0)
            dx_hat = dout * gamma
            dvar = np.sum(dx_hat * (x - mean) * -0.5 * (var + eps) ** -1.5, axis=0, keepdims=True)
            dmean = (np.sum(-dx_hat / np.sqrt(var + eps), axis=0, keepdims=True)
                     + dvar * np.mean(-2.0 * (x - mean), axis=0, keepdims=True))
            dx = dx_hat / np.sqrt(var + eps) + dvar * 2.0 * (x - mean) / N + dmean / N
            return (dx, dgamma, dbeta)

        def batchnorm_backward_alt(dout, cache):  # batchnorm dict cache keepdims
            x_hat, gamma = cache["x_hat"], cache["gamma"]
            N = dout.shape[0]
            dbeta = np.sum(dout, axis=0)
            dgamma = np.sum(dout * x_hat, axis=0)
            dx = (gamma / (N * np.sqrt(cache["var"] + cache["eps"]))
                  * (N * dout - dbeta - x_hat * dgamma))
            return (dx, dgamma, dbeta)
        ''', ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt")),
    Alternative("batchnorm_backward_graph_with_ones", "normalization", '''
        def batchnorm_backward(dout, cache):  # batchnorm backward graph with ones
            xmu, ivar, xhat, gamma = cache
            N, D = dout.shape
            dbeta = np.sum(dout, axis=0)
            dgamma = np.sum(dout * xhat, axis=0)
            dxhat = dout * gamma
            divar = np.sum(dxhat * xmu, axis=0)
            dxmu1 = dxhat * ivar
            sqrtvar = 1.0 / ivar
            dsqrtvar = -1.0 / (sqrtvar**2) * divar
            dvar = 0.5 * 1.0 / sqrtvar * dsqrtvar
            dsq = 1.0 / N * np.ones((N, D)) * dvar
            dxmu2 = 2 * xmu * dsq
            dx1 = dxmu1 + dxmu2
            dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
            dx2 = 1.0 / N * np.ones((N, D)) * dmu
            dx = dx1 + dx2
            return (dx, dgamma, dbeta)
        ''', ("batchnorm_backward",)),
    Alternative("batchnorm_backward_alt_sums_keepdims", "normalization", '''
        def batchnorm_backward_alt(dout, cache):  # batchnorm backward alt sums keepdims
            _, inv_std, x_hat, gamma = cache
            N = dout.shape[0]
            dxhat = dout * gamma
            dx = (inv_std / N) * (N * dxhat - np.sum(dxhat, axis=0, keepdims=True)
                                  - x_hat * np.sum(dxhat * x_hat, axis=0, keepdims=True))
            return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
        ''', ("batchnorm_backward_alt",)),
    Alternative("layernorm_as_transposed_batchnorm", "normalization", '''
        def layernorm_forward(x, gamma, beta, ln_param):  # layernorm as transposed batchnorm
            epsilon = ln_param.get("eps", 1e-5)
            xT = x.T  # (D, N): each example is now a column, normalised like a batchnorm feature
            mu = xT.mean(axis=0)
            xmu = xT - mu
            var = np.mean(xmu**2, axis=0)
            ivar = 1.0 / np.sqrt(var + epsilon)
            xhat = (xmu * ivar).T
            out = gamma * xhat + beta
            return out, (xmu, ivar, xhat, gamma)

        def layernorm_backward(dout, cache):  # layernorm as transposed batchnorm
            xmu, ivar, xhat, gamma = cache
            D = xmu.shape[0]
            dbeta = dout.sum(axis=0)
            dgamma = (dout * xhat).sum(axis=0)
            dxhat = (dout * gamma).T
            dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * ivar**3
            dxmu = dxhat * ivar + 2.0 * xmu * dvar / D
            dx = (dxmu - dxmu.mean(axis=0)).T
            return (dx, dgamma, dbeta)
        ''', ("layernorm_forward", "layernorm_backward")),
    Alternative("layernorm_dict_cache_loop", "normalization", '''
        def layernorm_forward(x, gamma, beta, ln_param):  # layernorm dict cache loop
            epsilon = ln_param.get("eps", 1e-5)
            x_hat = np.empty(x.shape, dtype=np.result_type(x, 1.0))
            std = np.empty((x.shape[0], 1), dtype=x_hat.dtype)
            for i, row in enumerate(x):
                std[i] = np.sqrt(row.var() + epsilon)
                x_hat[i] = (row - row.mean()) / std[i]
            return gamma * x_hat + beta, {"x_hat": x_hat, "std": std, "gamma": gamma}

        def layernorm_backward(dout, cache):  # layernorm dict cache loop
            x_hat, std, gamma = cache["x_hat"], cache["std"], cache["gamma"]
            D = dout.shape[1]
            dxhat = dout * gamma
            dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True)
                  - x_hat * (dxhat * x_hat).sum(axis=1, keepdims=True)) / (D * std)
            return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
        ''', ("layernorm_forward", "layernorm_backward")),
]
