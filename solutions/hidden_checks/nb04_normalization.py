"""Hidden checks for 04_normalization: batch and layer normalization against the reference
on random inputs of odd shapes, with large offsets, in float32, and batchnorm's running
averages over a sequence of train calls followed by test mode.

Instructor-only: this folder is never released.
"""

import copy

import numpy as np

from autograder.mutation import Mutant
from autograder.registry import CheckFailed, check, close, unpack

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


def forward_and_backwards(lib, ref, rng, forward, backwards, x, gamma, beta, param, tol, label):
    """Student forward (and each backward, on the student's own cache) against the reference."""
    ref_out, ref_cache = getattr(ref.normalization, forward)(x, gamma, beta, copy.deepcopy(param))
    result, args = lib.call(f"normalization.{forward}", x, gamma, beta, copy.deepcopy(param), return_args=True)
    out, cache = unpack(f"{forward}{label}", result, 2)
    close(f"{forward}{label}: out", out, ref_out, tol, "the reference")
    dout = rng.standard_normal(x.shape).astype(x.dtype)
    for backward in backwards:
        want = getattr(ref.normalization, backward)(dout, ref_cache)
        got = unpack(f"{backward}{label}", lib.call(f"normalization.{backward}", dout, cache), 3)
        for name, g, w in zip(["dx", "dgamma", "dbeta"], got, want):
            close(f"{backward}{label}: {name}", g, w, tol, "the reference")
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
                                          batch, gamma, beta, bn_param, tol, step_label)
            ref.normalization.batchnorm_forward(batch, gamma, beta, ref_param)
            if not isinstance(after, dict):
                raise CheckFailed(f"batchnorm_forward{step_label}: bn_param is no longer a dict")
            for key in ("running_mean", "running_var"):
                close(f"batchnorm_forward{step_label}: bn_param[{key!r}]", after.get(key), ref_param[key], tol,
                      "the reference")
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
                              ln_param, tol, f"{label}, eps {ln_param['eps']:.1e}")
    # A single example, and a single example with a huge offset: no batch is needed.
    for label, x in [(" (one example)", rng.standard_normal((1, 8))),
                     (" (one example, offset 1e4)", 1e4 + rng.standard_normal((1, 8)))]:
        gamma, beta = params(rng, 8, x.dtype)
        forward_and_backwards(lib, ref, rng, "layernorm_forward", ["layernorm_backward"], x, gamma, beta,
                              {}, 1e-6, label)


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
    Mutant("bn_unbiased_variance", "normalization", "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)",
           ("batchnorm_forward", "batchnorm_running_averages", "batchnorm_hidden")),
    Mutant("bn_eps_outside_sqrt", "normalization",
           "centred = x - mean\n    inv_std = 1.0 / np.sqrt(var + eps)",
           "centred = x - mean\n    inv_std = 1.0 / (np.sqrt(var) + eps)",
           ("batchnorm_forward", "batchnorm_forward_test", "batchnorm_hidden")),
    Mutant("bn_normalises_each_example", "normalization",
           "mean = x.mean(axis=0)\n        var = x.var(axis=0)",
           "mean = x.mean(axis=1, keepdims=True)\n        var = x.var(axis=1, keepdims=True)",
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
    Mutant("bn_backward_alt_ignores_mean", "normalization", "dx = inv_std * (g - g.mean(axis=0) - x_hat",
           "dx = inv_std * (g - x_hat", ("batchnorm_backward_alt", "batchnorm_hidden")),
    Mutant("bn_backward_alt_ignores_variance", "normalization",
           "dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))",
           "dx = inv_std * (g - g.mean(axis=0))", ("batchnorm_backward_alt", "batchnorm_hidden")),
    Mutant("ln_backward_ignores_variance", "normalization",
           "\n                    - x_hat * (g * x_hat).mean(axis=1, keepdims=True))", ")",
           ("layernorm_backward", "layernorm_hidden")),
    Mutant("ln_backward_dgamma_per_example", "normalization",
           "dgamma = (dout * x_hat).sum(axis=0)\n    # Batchnorm's",
           "dgamma = (dout * x_hat).sum(axis=1)\n    # Batchnorm's",
           ("layernorm_backward", "layernorm_hidden")),
]
