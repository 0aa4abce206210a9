"""Visible checks for notebook 00_gradients: numeric gradients, the affine layer, ReLU, losses.

In the self-check every input is fixed, so a student sees the same verdict on every run;
expected values are either small fixed numbers or the grader's own numeric gradients. In
trusted grading (``ref`` given) the inputs vary with the run's seed and the expected values
are the reference's (``gradcheck.varied``, ``gradcheck.expected``).
"""

import numpy as np

from ..gradcheck import backward_matches_numeric, evaluator, expected, varied
from ..numeric import numeric_gradient
from ..probes import ArrayProbe, ScalarProbe, upstream
from ..registry import CheckFailed, as_array, check, close, scalar, unpack
from ..sandbox import Callback

A = "00_gradients"
X_PROBE = np.array([[0.3, -1.2, 2.0, 0.0], [1.5, -0.7, 0.25, -2.2], [0.9, 1.1, -0.4, 0.6]])
SCORES = np.array([[1.5, -2.0, 0.3, -0.1], [0.7, 2.2, -1.3, 0.05], [-0.4, 0.9, 1.1, -2.5]])
LABELS = np.array([1, 3, 0])


@check(A, points=1, tags=["gradient_check.rel_error"])
def rel_error(lib, ref, rng):
    f = "gradient_check.rel_error"
    x = varied(ref, rng, X_PROBE)
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
def eval_numerical_gradient(lib, ref, rng):
    x = varied(ref, rng, X_PROBE).copy()
    f = ScalarProbe(rng, x.shape)
    _numeric_gradient_routine(lib, "gradient_check.eval_numerical_gradient", f, [x], f.gradient(x))


@check(A, points=2, tags=["gradient_check.eval_numerical_gradient_array"])
def eval_numerical_gradient_array(lib, ref, rng):
    x = varied(ref, rng, X_PROBE).copy()
    f = ArrayProbe(rng, x.shape)
    df = upstream(rng, x.shape)
    _numeric_gradient_routine(lib, "gradient_check.eval_numerical_gradient_array", f, [x, df], f.gradient(x, df))


AFFINE_X = np.linspace(-0.5, 0.5, 12).reshape(2, 3, 2)
AFFINE_W = np.linspace(-0.3, 0.4, 18).reshape(6, 3)
AFFINE_B = np.array([0.1, -0.2, 0.3])
AFFINE_OUT = [[0.2820855614973262, -0.08529411764705883, 0.3473262032085562],
              [0.31096256684491985, 0.07834224598930484, 0.6457219251336899]]


@check(A, points=2, tags=["layers.affine_forward"])
def affine_forward(lib, ref, rng):
    args = [varied(ref, rng, a) for a in (AFFINE_X, AFFINE_W, AFFINE_B)]
    out, _ = unpack("affine_forward", lib.call("layers.affine_forward", *args), 2)
    close("affine_forward: out (x of shape (2, 3, 2))", out, expected(ref, AFFINE_OUT, "layers.affine_forward", *args),
          1e-9)


@check(A, points=3, tags=["layers.affine_forward", "layers.affine_backward"], requires=["affine_forward"])
def affine_backward(lib, ref, rng):
    args = [rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 5)), rng.standard_normal(5)]
    backward_matches_numeric(lib, "layers.affine_forward", "layers.affine_backward", args,
                             [(0, "dx"), (1, "dw"), (2, "db")], rng, ref=ref)


RELU_X = np.array([[-2.0, -0.5, 0.0], [0.5, 1.5, -1e-3]])


@check(A, points=1, tags=["layers.relu_forward"])
def relu_forward(lib, ref, rng):
    x = varied(ref, rng, RELU_X)
    out, _ = unpack("relu_forward", lib.call("layers.relu_forward", x), 2)
    close("relu_forward: out", out, expected(ref, [[0.0, 0.0, 0.0], [0.5, 1.5, 0.0]], "layers.relu_forward", x), 1e-12)


@check(A, points=1, tags=["layers.relu_forward", "layers.relu_backward"], requires=["relu_forward"])
def relu_backward(lib, ref, rng):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 0.1] = 0.5  # keep away from the kink, where the numeric gradient is 1/2
    backward_matches_numeric(lib, "layers.relu_forward", "layers.relu_backward", [x], [(0, "dx")], rng, ref=ref)
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


def _loss_checks(lib, ref, rng, func, expected_loss):
    name = func.rpartition(".")[2]
    scores = varied(ref, rng, SCORES)
    loss, dx = unpack(name, lib.call(func, scores, LABELS), 2)
    close(f"{name}: loss", scalar(f"{name}: loss", loss), expected(ref, expected_loss, func, scores, LABELS), 1e-9)
    numeric_dx = numeric_gradient(evaluator(lib, ref, func), [scores, LABELS], 0, 1.0)
    close(f"{name}: dx", dx, numeric_dx, 1e-7, "the numeric gradient")


@check(A, points=3, tags=["layers.softmax_loss"])
def softmax_loss(lib, ref, rng):
    f = "layers.softmax_loss"
    _loss_checks(lib, ref, rng, f, 2.873080814358192)
    uniform, _ = lib.call(f, np.zeros((5, 10)), np.arange(5))
    close("softmax_loss: loss for all-equal scores", scalar("softmax_loss: loss", uniform), np.log(10), 1e-9,
          "log(10)")
    loss, dx = lib.call(f, np.array([[1000.0, 0.0, -1000.0]]), np.array([1]))
    label = "softmax_loss: loss for scores [1000, 0, -1000] and label 1 (subtract the max before exp)"
    close(label, scalar(label, loss), 1000.0, 1e-9, "1000")
    close("softmax_loss: dx for scores [1000, 0, -1000] and label 1 (subtract the max before exp)", dx,
          [[1.0, -1.0, 0.0]], 1e-9)


@check(A, points=3, tags=["layers.svm_loss"])
def svm_loss(lib, ref, rng):
    f = "layers.svm_loss"
    _loss_checks(lib, ref, rng, f, 6.766666666666667)
    loss, dx = lib.call(f, np.array([[5.0, 1.0, 0.0], [-3.0, 2.0, -1.5]]), np.array([0, 1]))
    if scalar("svm_loss: loss", loss) != 0 or np.any(as_array("svm_loss: dx", dx, (2, 3))):
        raise CheckFailed("svm_loss: when every correct score beats the others by more than the "
                          "margin 1, the loss and dx should be exactly 0")
