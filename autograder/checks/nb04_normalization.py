"""Visible checks for notebook 04_normalization: batch and layer normalization.

Forward checks use small fixed inputs whose statistics are easy to work out by hand: a
column (or row) with a tiny variance, where eps matters, and a constant column, where the
variance is 0; in trusted grading each feature (or example) of them is scaled and shifted
by random numbers from the run's seed, and the expected values are the reference's, so no
table of answers fits. Backward checks compare with the grader's numeric gradient: of the
reference forward in trusted grading (with inputs from the run's seed), of the student's
own forward in the self-check (see gradcheck.py).
"""

import copy

import numpy as np

from ..gradcheck import backward_matches_numeric, reference_function, varied
from ..registry import CheckFailed, as_array, check, close, unpack

A = "04_normalization"

# Four examples, four features. Per feature: mean [2, 1, 0.5, 10], biased variance
# [5, 5, 5e-5, 0] (the unbiased one is 4/3 times larger).
X = np.array([[1.0, -2.0, 0.50, 10.0],
              [3.0, 0.0, 0.51, 10.0],
              [-1.0, 4.0, 0.49, 10.0],
              [5.0, 2.0, 0.50, 10.0]])
GAMMA = np.array([1.0, 2.0, 0.5, 3.0])
BETA = np.array([0.0, -1.0, 0.25, 2.0])

# Three examples, five features; the middle example has a tiny variance.
X_LN = np.array([[1.0, -2.0, 3.0, 0.0, 3.0],
                 [0.50, 0.51, 0.49, 0.50, 0.50],
                 [-4.0, 4.0, 2.0, -2.0, 10.0]])
GAMMA_LN = np.array([1.0, 0.5, 2.0, -1.0, 1.5])
BETA_LN = np.array([0.1, 0.0, -0.5, 1.0, 0.0])


def inputs(ref, rng, x, gamma, beta, axis):
    """The fixed (x, gamma, beta) in the self-check; in trusted grading x with each feature
    (axis 0: batchnorm) or example (axis 1: layernorm) scaled and shifted by random numbers
    of its own, from the run's seed, so a constant column stays constant and a tiny variance
    tiny, and gamma and beta varied entry by entry (``gradcheck.varied``)."""
    if ref is None:
        return x, gamma, beta
    shape = (1, x.shape[1]) if axis == 0 else (x.shape[0], 1)
    return (x * rng.uniform(0.8, 1.25, shape) + rng.uniform(-1, 1, shape), varied(ref, rng, gamma),
            varied(ref, rng, beta))


def wanted(ref, table, func, x, gamma, beta, param, key=None):
    """``table`` in the self-check; in trusted grading what the reference's ``func`` gives on
    the same inputs: out (``key`` None) or param[key] after the call."""
    if ref is None:
        return table
    param = copy.deepcopy(param)
    out, _ = reference_function(ref, f"normalization.{func}")(np.array(x), gamma, beta, param)
    return out if key is None else param[key]


def bn(lib, x, bn_param, label, gamma=GAMMA, beta=BETA):
    """(out, bn_param after the call) of the student's batchnorm_forward."""
    result, args = lib.call("normalization.batchnorm_forward", x, gamma, beta, bn_param, return_args=True)
    out, _ = unpack(label, result, 2)
    return as_array(f"{label}: out", out, x.shape), args[3]


def running(label, bn_param, key, want, hint=""):
    if not isinstance(bn_param, dict) or key not in bn_param:
        raise CheckFailed(f"{label}: bn_param has no {key!r} after the call; store the running "
                          f"averages back into bn_param")
    close(f"{label}: bn_param[{key!r}]{hint}", bn_param[key], want, 1e-9)


@check(A, points=2, tags=["normalization.batchnorm_forward"])
def batchnorm_forward(lib, ref, rng):
    x, gamma, beta = inputs(ref, rng, X, GAMMA, BETA, axis=0)
    label = "batchnorm_forward (train mode, eps 1e-5)"
    out, _ = bn(lib, x, {"mode": "train"}, label, gamma, beta)
    close(f"{label}: mean over the batch of out (it should be beta)", out.mean(axis=0), beta, 1e-7)
    close(f"{label}: out", out, wanted(ref, [[-0.4472131482870333, -3.6832788897221995, 0.25, 2.0],
                                             [0.4472131482870333, -1.8944262965740666, 0.8954972243679029, 2.0],
                                             [-1.3416394448610998, 1.6832788897221995, -0.3954972243679029, 2.0],
                                             [1.3416394448610998, -0.10557370342593342, 0.25, 2.0]],
                                      "batchnorm_forward", x, gamma, beta, {"mode": "train"}), 1e-7)
    label = "batchnorm_forward (train mode, bn_param['eps'] = 0.1)"
    out, _ = bn(lib, x, {"mode": "train", "eps": 0.1}, label, gamma, beta)
    close(f"{label}: out", out, wanted(ref, [[-0.4428074427700477, -3.656844656620286, 0.25, 2.0],
                                             [0.4428074427700477, -1.8856148855400954, 0.265807436935467, 2.0],
                                             [-1.328422328310143, 1.6568446566202861, 0.234192563064533, 2.0],
                                             [1.328422328310143, -0.11438511445990462, 0.25, 2.0]],
                                      "batchnorm_forward", x, gamma, beta, {"mode": "train", "eps": 0.1}), 1e-7)


@check(A, points=2, tags=["normalization.batchnorm_forward"])
def batchnorm_running_averages(lib, ref, rng):
    x, gamma, beta = inputs(ref, rng, X, GAMMA, BETA, axis=0)

    def want(table, x, param, key):
        return wanted(ref, table, "batchnorm_forward", x, gamma, beta, param, key)

    label = "batchnorm_forward (train mode, momentum 0.9, given running averages)"
    start = {"mode": "train", "running_mean": np.array([1.0, -1.0, 0.0, 0.0]),
             "running_var": np.array([2.0, 0.0, 1.0, 1.0])}
    _, after = bn(lib, x, start, label, gamma, beta)
    running(label, after, "running_mean", want([1.1, -0.8, 0.05, 1.0], x, start, "running_mean"))
    running(label, after, "running_var", want([2.3, 0.5, 0.900005, 0.9], x, start, "running_var"))

    label = "batchnorm_forward (train mode, bn_param without running averages)"
    _, after = bn(lib, x, {"mode": "train"}, label, gamma, beta)
    running(label, after, "running_mean", want([0.2, 0.1, 0.05, 1.0], x, {"mode": "train"}, "running_mean"),
            " (starting from zeros)")
    running(label, after, "running_var", want([1.4, 1.4, 0.900005, 0.9], x, {"mode": "train"}, "running_var"),
            " (starting from ones, see the docstring)")

    label = "batchnorm_forward (a second train call on 2x - 1 with momentum 0.5)"
    given = dict(after, momentum=0.5)
    _, after = bn(lib, 2 * x - 1, given, label, gamma, beta)
    running(label, after, "running_mean", want([1.6, 0.55, 0.025, 10.0], 2 * x - 1, given, "running_mean"))
    running(label, after, "running_var", want([10.7, 10.7, 0.4501025, 0.45], 2 * x - 1, given, "running_var"))


@check(A, points=2, tags=["normalization.batchnorm_forward"])
def batchnorm_forward_test(lib, ref, rng):
    x, gamma, beta = inputs(ref, rng, X, GAMMA, BETA, axis=0)
    running_mean = np.array([1.5, 0.5, 0.5, 9.0])
    running_var = np.array([4.0, 6.0, 4e-5, 1.0])
    label = "batchnorm_forward (test mode)"
    param = {"mode": "test", "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    out, after = bn(lib, x, copy.deepcopy(param), label, gamma, beta)
    close(f"{label}: out (normalised with the running averages, not the batch's statistics)", out,
          wanted(ref, [[-0.24999968750058593, -3.041239751286898, 0.25, 4.999985000112499],
                       [0.7499990625017579, -1.4082479502573797, 0.9571067811865481, 4.999985000112499],
                       [-1.2499984375029296, 1.857735651801657, -0.45710678118654813, 4.999985000112499],
                       [1.7499978125041016, 0.22474385077213865, 0.25, 4.999985000112499]],
                 "batchnorm_forward", x, gamma, beta, param), 1e-7)
    close(f"{label}: bn_param['running_mean'] after the call (test mode must not update it)",
          after.get("running_mean"), running_mean, 0)
    close(f"{label}: bn_param['running_var'] after the call (test mode must not update it)",
          after.get("running_var"), running_var, 0)
    one, _ = bn(lib, x[2:3], {"mode": "test", "running_mean": running_mean, "running_var": running_var},
                f"{label} on the single example x[2]", gamma, beta)
    close(f"{label}: out for x[2] alone (it must not depend on the rest of the batch)", one, out[2:3], 1e-12,
          "its row in the batch of 4")


def backward_check(lib, ref, rng, backward):
    x = rng.standard_normal((5, 4)) * [1.0, 3.0, 0.5, 2.0] + [0.0, 1.0, -2.0, 5.0]
    gamma = rng.uniform(0.5, 2.0, 4) * [1, -1, 1, 1]
    beta = rng.standard_normal(4)
    backward_matches_numeric(lib, "normalization.batchnorm_forward", f"normalization.{backward}",
                             [x, gamma, beta, {"mode": "train"}], [(0, "dx"), (1, "dgamma"), (2, "dbeta")],
                             rng, tol=1e-6, ref=ref)


@check(A, points=3, tags=["normalization.batchnorm_forward", "normalization.batchnorm_backward"],
       requires=["batchnorm_forward"])
def batchnorm_backward(lib, ref, rng):
    backward_check(lib, ref, rng, "batchnorm_backward")


@check(A, points=2, tags=["normalization.batchnorm_forward", "normalization.batchnorm_backward_alt"],
       requires=["batchnorm_forward"])
def batchnorm_backward_alt(lib, ref, rng):
    backward_check(lib, ref, rng, "batchnorm_backward_alt")


def ln(lib, x, ln_param, label, gamma=GAMMA_LN, beta=BETA_LN):
    out, _ = unpack(label, lib.call("normalization.layernorm_forward", x, gamma, beta, ln_param), 2)
    return as_array(f"{label}: out", out, x.shape)


@check(A, points=2, tags=["normalization.layernorm_forward"])
def layernorm_forward(lib, ref, rng):
    x, gamma, beta = inputs(ref, rng, X_LN, GAMMA_LN, BETA_LN, axis=1)
    label = "layernorm_forward (eps 1e-5)"
    out = ln(lib, x, {}, label, gamma, beta)
    x_hat = (out - beta) / gamma
    close(f"{label}: mean of each example's normalised features (out - beta) / gamma", x_hat.mean(axis=1),
          np.zeros(3), 1e-7, scale=1.0)  # normalised features have unit variance
    close(f"{label}: out", out, wanted(ref, [
        [0.1, -0.7905683170313059, 1.6081821787501491, 1.5270455446875373, 1.5811366340626118],
        [0.1, 0.7071067811865476, -3.3284271247461903, 1.0, 0.0],
        [-1.1247446162364874, 0.20412410270608122, -0.5, 1.816496410824325, 2.449489232472975]],
        "layernorm_forward", x, gamma, beta, {}), 1e-7)
    one = ln(lib, x[1:2], {}, f"{label} on the single example x[1]", gamma, beta)
    close(f"{label}: out for x[1] alone (it must not depend on the rest of the batch)", one, out[1:2], 1e-12,
          "its row in the batch of 3")
    test = ln(lib, x, {"mode": "test"}, "layernorm_forward (ln_param['mode'] = 'test')", gamma, beta)
    close("layernorm_forward: out with ln_param['mode'] = 'test' (the same as in training)", test, out, 1e-12,
          "the output without a mode")


@check(A, points=2, tags=["normalization.layernorm_forward", "normalization.layernorm_backward"],
       requires=["layernorm_forward"])
def layernorm_backward(lib, ref, rng):
    x = rng.standard_normal((4, 6)) * rng.uniform(0.5, 3.0, (4, 1)) + rng.standard_normal((4, 1))
    gamma = rng.uniform(0.5, 2.0, 6) * [1, -1, 1, 1, -1, 1]
    beta = rng.standard_normal(6)
    backward_matches_numeric(lib, "normalization.layernorm_forward", "normalization.layernorm_backward",
                             [x, gamma, beta, {}], [(0, "dx"), (1, "dgamma"), (2, "dbeta")], rng, tol=1e-6, ref=ref)
