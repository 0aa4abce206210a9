"""Visible checks for notebook 00_gradients: numeric gradients, the affine layer, ReLU, losses.

Every input is fixed, so a student sees the same verdict on every run; expected values are
either small fixed numbers or the grader's own numeric gradients.
"""

import numpy as np

from ..gradcheck import backward_matches_numeric
from ..numeric import numeric_gradient
from ..probes import ArrayProbe, ScalarProbe, upstream
from ..registry import CheckFailed, as_array, check, close, scalar, unpack
from ..sandbox import Callback

A = "00_gradients"
X_PROBE = np.array([[0.3, -1.2, 2.0, 0.0], [1.5, -0.7, 0.25, -2.2], [0.9, 1.1, -0.4, 0.6]])
SCORES = np.array([[1.5, -2.0, 0.3, -0.1], [0.7, 2.2, -1.3, 0.05], [-0.4, 0.9, 1.1, -2.5]])
LABELS = np.array([1, 3, 0])


@check(A, points=1, tags=["gradient_check.rel_error"])
def rel_error(lib):
    f = "gradient_check.rel_error"
    x = X_PROBE
    if scalar("rel_error(x, x)", lib.call(f, x, x)) != 0:
        raise CheckFailed("rel_error(x, x) should be 0 for identical arrays")
    y = x * (1 + 1e-6)
    got = scalar("rel_error", lib.call(f, x, y))
    # |x - y| / (|x| + |y|) = 1e-6 / (2 + 1e-6) wherever x is not 0 (and 0 where it is)
    close("rel_error(x, x * (1 + 1e-6))", got, 1e-6 / (2 + 1e-6), 1e-6)
    one_side = scalar("rel_error", lib.call(f, np.array([0.0, 2.0]), np.array([1e-3, 2.0])))
    if one_side == 0:
        raise CheckFailed("rel_error([0, 2], [0.001, 2]) is 0, but 0 and 0.001 differ: "
                          "a zero on one side must not hide the other side")
    close("rel_error([0, 2], [0.001, 2])", one_side, 1.0, 1e-9)
    if scalar("rel_error", lib.call(f, np.zeros(3), np.zeros(3))) != 0:
        raise CheckFailed("rel_error of two all-zero arrays should be 0")


def _numeric_gradient_routine(lib, func, probe, args, truth, restored_arg=1):
    result, after = lib.call(func, Callback(0), *args, return_args=True, callbacks={0: probe})
    x = args[0]
    close(f"{func.rpartition('.')[2]}: grad", result, truth, 1e-7, "the exact gradient")
    if not np.array_equal(as_array("x after the call", after[restored_arg], x.shape), x):
        raise CheckFailed(f"{func.rpartition('.')[2]} left x changed: put each element back after "
                          "evaluating f at x + h and x - h")


# The functions differentiated are drawn at random in every run (autograder/probes.py), and
# evaluated by the grader, so their gradients cannot be looked up; X_PROBE is fixed.
@check(A, points=2, tags=["gradient_check.eval_numerical_gradient"])
def eval_numerical_gradient(lib, rng):
    x, f = X_PROBE.copy(), ScalarProbe(rng)
    _numeric_gradient_routine(lib, "gradient_check.eval_numerical_gradient", f, [x], f.gradient(x))


@check(A, points=2, tags=["gradient_check.eval_numerical_gradient_array"])
def eval_numerical_gradient_array(lib, rng):
    x, f = X_PROBE.copy(), ArrayProbe(rng)
    df = upstream(rng, x.shape)
    _numeric_gradient_routine(lib, "gradient_check.eval_numerical_gradient_array", f, [x, df], f.gradient(x, df))


AFFINE_X = np.linspace(-0.5, 0.5, 12).reshape(2, 3, 2)
AFFINE_W = np.linspace(-0.3, 0.4, 18).reshape(6, 3)
AFFINE_B = np.array([0.1, -0.2, 0.3])
AFFINE_OUT = [[0.2820855614973262, -0.08529411764705883, 0.3473262032085562],
              [0.31096256684491985, 0.07834224598930484, 0.6457219251336899]]


@check(A, points=2, tags=["layers.affine_forward"])
def affine_forward(lib):
    out, _ = unpack("affine_forward", lib.call("layers.affine_forward", AFFINE_X, AFFINE_W, AFFINE_B), 2)
    close("affine_forward: out (x of shape (2, 3, 2))", out, AFFINE_OUT, 1e-9)


@check(A, points=3, tags=["layers.affine_forward", "layers.affine_backward"], requires=["affine_forward"])
def affine_backward(lib):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 5)), rng.standard_normal(5)]
    backward_matches_numeric(lib, "layers.affine_forward", "layers.affine_backward", args,
                             [(0, "dx"), (1, "dw"), (2, "db")], rng)


RELU_X = np.array([[-2.0, -0.5, 0.0], [0.5, 1.5, -1e-3]])


@check(A, points=1, tags=["layers.relu_forward"])
def relu_forward(lib):
    out, _ = unpack("relu_forward", lib.call("layers.relu_forward", RELU_X), 2)
    close("relu_forward: out", out, [[0.0, 0.0, 0.0], [0.5, 1.5, 0.0]], 1e-12)


@check(A, points=1, tags=["layers.relu_forward", "layers.relu_backward"], requires=["relu_forward"])
def relu_backward(lib):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 0.1] = 0.5  # keep away from the kink, where the numeric gradient is 1/2
    backward_matches_numeric(lib, "layers.relu_forward", "layers.relu_backward", [x], [(0, "dx")], rng)
    # At the kink x == 0 every slope between 0 and 1 is a valid subgradient (x > 0 gives 0,
    # x >= 0 gives 1): dx there must lie between 0 and dout.
    dout = np.array([[2.0, -3.0]])
    _, cache = lib.call("layers.relu_forward", np.zeros((1, 2)))
    dx = as_array("relu_backward: dx", lib.call("layers.relu_backward", dout, cache), (1, 2))
    outside = ~((np.minimum(0, dout) <= dx) & (dx <= np.maximum(0, dout)))
    if outside.any():
        j = int(np.argmax(outside[0]))
        raise CheckFailed(f"relu_backward: at x == 0 with dout {dout[0, j]:g}, dx is {dx[0, j]:g}; it should be "
                          f"a slope between 0 and 1 times dout (0 for x > 0, {dout[0, j]:g} for x >= 0)")


def _loss_checks(lib, func, expected_loss):
    name = func.rpartition(".")[2]
    loss, dx = unpack(name, lib.call(func, SCORES, LABELS), 2)
    close(f"{name}: loss", scalar(f"{name}: loss", loss), expected_loss, 1e-9)
    numeric_dx = numeric_gradient(lambda calls: lib.map(func, calls, pick=0), [SCORES, LABELS], 0, 1.0)
    close(f"{name}: dx", dx, numeric_dx, 1e-7, "the numeric gradient")


@check(A, points=3, tags=["layers.softmax_loss"])
def softmax_loss(lib):
    f = "layers.softmax_loss"
    _loss_checks(lib, f, 2.873080814358192)
    uniform, _ = lib.call(f, np.zeros((5, 10)), np.arange(5))
    close("softmax_loss: loss for all-equal scores", scalar("softmax_loss: loss", uniform), np.log(10), 1e-9,
          "log(10)")
    loss, dx = lib.call(f, np.array([[1000.0, 0.0, -1000.0]]), np.array([1]))
    label = "softmax_loss: loss for scores [1000, 0, -1000] and label 1 (subtract the max before exp)"
    close(label, scalar(label, loss), 1000.0, 1e-9, "1000")
    close("softmax_loss: dx for scores [1000, 0, -1000] and label 1 (subtract the max before exp)", dx,
          [[1.0, -1.0, 0.0]], 1e-9)


@check(A, points=3, tags=["layers.svm_loss"])
def svm_loss(lib):
    f = "layers.svm_loss"
    _loss_checks(lib, f, 6.766666666666667)
    loss, dx = lib.call(f, np.array([[5.0, 1.0, 0.0], [-3.0, 2.0, -1.5]]), np.array([0, 1]))
    if scalar("svm_loss: loss", loss) != 0 or np.any(as_array("svm_loss: dx", dx, (2, 3))):
        raise CheckFailed("svm_loss: when every correct score beats the others by more than the "
                          "margin 1, the loss and dx should be exactly 0")
