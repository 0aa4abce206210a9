"""Hidden checks for 00_gradients: the reference on random inputs and edge regimes.

Instructor-only: this folder is never released. Inputs come from ``rng``, seeded by the
grading run's --seed and the check's name.
"""

import numpy as np

from autograder.gradcheck import matches_reference
from autograder.mutation import Mutant
from autograder.probes import ArrayProbe, ScalarProbe, upstream
from autograder.registry import CheckFailed, check, close, scalar, unpack
from autograder.sandbox import Callback

A = "00_gradients"


@check(A, points=2, tags=["gradient_check.eval_numerical_gradient", "gradient_check.eval_numerical_gradient_array",
                          "gradient_check.rel_error"], hidden=True)
def gradient_check_hidden(lib, ref, rng):
    x = rng.uniform(0.2, 2, size=(2, 3, 2)) * rng.choice([-1, 1], size=(2, 3, 2))
    f = ScalarProbe(rng)
    grad, after = lib.call("gradient_check.eval_numerical_gradient", Callback(0), x.copy(), return_args=True,
                           callbacks={0: f})
    close("eval_numerical_gradient on a 3-d x: grad", grad, f.gradient(x), 1e-7, "the exact gradient")
    close("eval_numerical_gradient: x after the call", after[1], x, 0, "x before the call")
    g, df = ArrayProbe(rng), upstream(rng, x.shape)
    grad = lib.call("gradient_check.eval_numerical_gradient_array", Callback(0), x.copy(), df, callbacks={0: g})
    close("eval_numerical_gradient_array on a 3-d x: grad", grad, g.gradient(x, df), 1e-7, "the exact gradient")
    for a, b in [(x, x + rng.normal(0, 1e-4, x.shape)), (np.zeros(5), rng.normal(0, 1e-6, 5)),
                 (rng.standard_normal((3, 4)), -rng.standard_normal((3, 4)))]:
        got = scalar("rel_error", lib.call("gradient_check.rel_error", a, b))
        close("rel_error on random arrays", got, ref.gradient_check.rel_error(a, b), 1e-9, "the reference")


@check(A, points=2, tags=["layers.affine_forward", "layers.affine_backward"], hidden=True)
def affine_hidden(lib, ref, rng):
    for dtype, shape, tol in [(np.float64, (5, 2, 3, 4), 1e-7), (np.float64, (1, 7), 1e-7), (np.float32, (6, 3, 5), 1e-4)]:
        d = int(np.prod(shape[1:]))
        args = [rng.standard_normal(shape).astype(dtype), rng.standard_normal((d, 3)).astype(dtype),
                rng.standard_normal(3).astype(dtype)]
        matches_reference(lib, ref, "layers.affine_forward", "layers.affine_backward", args,
                          ["dx", "dw", "db"], rng, tol, f" (x {shape}, {np.dtype(dtype).name})")


@check(A, points=1, tags=["layers.relu_forward", "layers.relu_backward"], hidden=True)
def relu_hidden(lib, ref, rng):
    for dtype, shape, scale in [(np.float64, (7, 3, 5), 1.0), (np.float32, (4, 9), 100.0)]:
        x = (rng.standard_normal(shape) * scale).astype(dtype)
        x.flat[::5] = 0
        matches_reference(lib, ref, "layers.relu_forward", "layers.relu_backward", [x], ["dx"], rng, 1e-7,
                          f" (x {shape}, {np.dtype(dtype).name}, with zeros)")


@check(A, points=2, tags=["layers.softmax_loss", "layers.svm_loss"], hidden=True)
def losses_hidden(lib, ref, rng):
    for n, c, scale in [(1, 7, 1.0), (13, 3, 1.0), (6, 11, 1e3), (4, 5, 1e-3)]:
        x = rng.standard_normal((n, c)) * scale
        y = rng.integers(0, c, size=n)
        for name in ("softmax_loss", "svm_loss"):
            loss, dx = unpack(name, lib.call(f"layers.{name}", x, y), 2)
            ref_loss, ref_dx = getattr(ref.layers, name)(x, y)
            regime = f"{name} (N={n}, C={c}, scores ~ {scale:g})"
            close(f"{regime}: loss", scalar(f"{regime}: loss", loss), ref_loss, 1e-7, "the reference")
            close(f"{regime}: dx", dx, ref_dx, 1e-7, "the reference")


# Realistic bugs, each a one-line change to the reference: tests/test_checks.py asserts
# that every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("rel_error_absolute", "gradient_check",
           "float(np.max(diff / scale))", "float(np.max(diff))",
           ("rel_error", "gradient_check_hidden")),
    Mutant("numeric_gradient_not_restored", "gradient_check",
           "        x[ix] = old\n        grad[ix] = (f_plus - f_minus) / (2 * h)",
           "        grad[ix] = (f_plus - f_minus) / (2 * h)",
           ("eval_numerical_gradient", "gradient_check_hidden")),
    Mutant("numeric_gradient_array_divides_by_h", "gradient_check",
           "grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)", "grad[ix] = np.sum((f_plus - f_minus) * df) / h",
           ("eval_numerical_gradient_array", "gradient_check_hidden")),
    Mutant("affine_forgets_bias", "layers", "out = x.reshape(x.shape[0], -1) @ w + b",
           "out = x.reshape(x.shape[0], -1) @ w", ("affine_forward", "affine_hidden")),
    Mutant("affine_db_mean", "layers", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)",
           ("affine_backward", "affine_hidden")),
    Mutant("relu_leaks", "layers", "out = np.maximum(x, 0)", "out = np.maximum(x, 0.01 * x)",
           ("relu_forward", "relu_hidden")),
    Mutant("relu_gradient_at_zero", "layers", "dx = dout * (x > 0)", "dx = dout * (x >= 0)",
           ("relu_backward", "relu_hidden")),
    Mutant("softmax_unstable", "layers", "shifted = x - x.max(axis=1, keepdims=True)", "shifted = x",
           ("softmax_loss", "losses_hidden")),
    Mutant("softmax_dx_not_averaged", "layers", "    dx /= n\n", "",
           ("softmax_loss", "losses_hidden")),
    Mutant("svm_counts_correct_class", "layers", "    margins[rows, y] = 0\n", "",
           ("svm_loss", "losses_hidden")),
]
