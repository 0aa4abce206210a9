"""Hidden checks for 00_gradients: the reference on random inputs and edge regimes.

Instructor-only: this folder is never released. Inputs come from ``rng``, seeded by the
grading run's --seed and the check's name.
"""

import numpy as np

from autograder.gradcheck import matches_reference
from autograder.mutation import Alternative, Mutant
from autograder.probes import ArrayProbe, ScalarProbe, upstream
from autograder.registry import CheckFailed, check, close, scalar, unpack
from autograder.sandbox import Callback

A = "00_gradients"


@check(A, points=2, tags=["gradient_check.eval_numerical_gradient", "gradient_check.eval_numerical_gradient_array",
                          "gradient_check.rel_error"], hidden=True)
def gradient_check_hidden(lib, ref, rng):
    x = rng.uniform(0.2, 2, size=(2, 3, 2)) * rng.choice([-1, 1], size=(2, 3, 2))
    f = ScalarProbe(rng, x.shape)
    grad, after = lib.call("gradient_check.eval_numerical_gradient", Callback(0), x.copy(), return_args=True,
                           callbacks={0: f})
    close("eval_numerical_gradient on a 3-d x: grad", grad, f.gradient(x), 1e-7, "the exact gradient")
    close("eval_numerical_gradient: x after the call", after[1], x, 0, "x before the call")
    g, df = ArrayProbe(rng, x.shape), upstream(rng, x.shape)
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
                          f" (x {shape}, {np.dtype(dtype).name}, with zeros)", elementwise=True)


@check(A, points=2, tags=["layers.softmax_loss", "layers.svm_loss"], hidden=True)
def losses_hidden(lib, ref, rng):
    for n, c, scale in [(1, 7, 1.0), (13, 3, 1.0), (6, 11, 1e3), (4, 5, 1e-3)]:
        x = rng.standard_normal((n, c)) * scale
        y = rng.integers(0, c, size=n)
        for name in ("softmax_loss", "svm_loss"):
            loss, dx = unpack(name, lib.call(f"layers.{name}", x, y), 2)
            ref_loss, ref_dx = getattr(ref.layers, name)(x, y)
            stable = ", numerically stable as the docstring says" if name == "softmax_loss" and scale > 1 else ""
            regime = f"{name} (N={n}, C={c}, scores ~ {scale:g}{stable})"
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
    Mutant("relu_backward_forgets_dout", "layers", "dx = dout * (x > 0)", "dx = 1.0 * (x > 0)",
           ("relu_backward", "relu_hidden")),
    Mutant("relu_backward_zeroes_dout_in_place", "layers", "dx = dout * (x > 0)", "dx = dout\n    dx[x <= 0] = 0",
           ("relu_backward", "relu_hidden")),
    Mutant("softmax_unstable", "layers", "shifted = x - x.max(axis=1, keepdims=True)", "shifted = x",
           ("softmax_loss", "losses_hidden")),
    Mutant("softmax_dx_not_averaged", "layers", "    dx /= n\n", "",
           ("softmax_loss", "losses_hidden")),
    Mutant("svm_counts_correct_class", "layers", "    margins[rows, y] = 0\n", "",
           ("svm_loss", "losses_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook.
ALTERNATIVES = [
    Alternative("numeric_gradient_nditer", "gradient_check", '''
        def eval_numerical_gradient(f, x, h=1e-5):  # numeric gradient nditer
            grad = np.zeros_like(x, dtype=float)
            it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
            while not it.finished:
                ix = it.multi_index
                oldval = x[ix]
                x[ix] = oldval + h
                fxph = f(x)
                x[ix] = oldval - h
                fxmh = f(x)
                x[ix] = oldval
                grad[ix] = (fxph - fxmh) / (2 * h)
                it.iternext()
            return grad
        ''', ("eval_numerical_gradient",)),
    Alternative("numeric_gradient_on_copies", "gradient_check", '''
        def eval_numerical_gradient(f, x, h=1e-5):  # numeric gradient on copies
            grad = np.zeros(x.shape)
            for i in range(x.size):
                ix = np.unravel_index(i, x.shape)
                x_plus, x_minus = x.copy(), x.copy()  # x itself is never changed
                x_plus[ix] += h
                x_minus[ix] -= h
                grad[ix] = (float(f(x_plus)) - float(f(x_minus))) / (2 * h)
            return grad
        ''', ("eval_numerical_gradient",)),
    Alternative("numeric_gradient_array_nditer", "gradient_check", '''
        def eval_numerical_gradient_array(f, x, df, h=1e-5):  # numeric gradient array nditer
            grad = np.zeros_like(x, dtype=float)
            it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
            while not it.finished:
                ix = it.multi_index
                oldval = x[ix]
                x[ix] = oldval + h
                pos = f(x).copy()
                x[ix] = oldval - h
                neg = f(x).copy()
                x[ix] = oldval
                grad[ix] = np.sum((pos - neg) * df) / (2 * h)
                it.iternext()
            return grad
        ''', ("eval_numerical_gradient_array",)),
    Alternative("numeric_gradient_array_flat_loop", "gradient_check", '''
        def eval_numerical_gradient_array(f, x, df, h=1e-5):  # numeric gradient array flat loop
            grad = np.zeros(x.size)
            flat = x.reshape(-1)  # a view: writing into it writes into x
            for i in range(x.size):
                old = flat[i]
                flat[i] = old + h
                plus = np.array(f(x), dtype=float)
                flat[i] = old - h
                minus = np.array(f(x), dtype=float)
                flat[i] = old
                grad[i] = np.dot((plus - minus).ravel(), np.ravel(df)) / (2 * h)
            return grad.reshape(x.shape)
        ''', ("eval_numerical_gradient_array",)),
    Alternative("rel_error_cs231n", "gradient_check", '''
        def rel_error(x, y):  # rel error cs231n
            return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))
        ''', ("rel_error",)),
    Alternative("rel_error_loop", "gradient_check", '''
        def rel_error(x, y):  # rel error loop
            worst = 0.0
            for a, b in zip(np.ravel(x), np.ravel(y)):
                worst = max(worst, abs(a - b) / max(abs(a) + abs(b), 1e-8))
            return worst
        ''', ("rel_error",)),
    Alternative("affine_forward_np_dot", "layers", '''
        def affine_forward(x, w, b):  # affine forward np dot
            x_row = np.reshape(x, (x.shape[0], -1))
            out = np.dot(x_row, w) + b
            return out, (x, w, b)
        ''', ("affine_forward",)),
    Alternative("affine_forward_loop", "layers", '''
        def affine_forward(x, w, b):  # affine forward loop
            N = x.shape[0]
            out = np.zeros((N, w.shape[1]))
            for i in range(N):
                out[i] = x[i].flatten() @ w + b
            return out, (x, w, b)
        ''', ("affine_forward",)),
    Alternative("affine_backward_np_dot", "layers", '''
        def affine_backward(dout, cache):  # affine backward np dot
            x, w, b = cache
            x_row = x.reshape(x.shape[0], -1)
            dx = np.dot(dout, w.T).reshape(*x.shape)
            dw = np.dot(x_row.T, dout)
            db = np.sum(dout, axis=0)
            return (dx, dw, db)
        ''', ("affine_backward",)),
    Alternative("affine_backward_loop", "layers", '''
        def affine_backward(dout, cache):  # affine backward loop
            x, w, b = cache
            dx = np.zeros(x.shape)
            dw = np.zeros(w.shape)
            db = np.zeros(b.shape)
            for i in range(x.shape[0]):
                dx[i] = (w @ dout[i]).reshape(x.shape[1:])
                dw += np.outer(x[i].ravel(), dout[i])
                db += dout[i]
            return (dx, dw, db)
        ''', ("affine_backward",)),
    Alternative("relu_forward_mask", "layers", '''
        def relu_forward(x):  # relu forward mask
            out = x * (x > 0)
            cache = x
            return (out, cache)
        ''', ("relu_forward",)),
    Alternative("relu_forward_in_place", "layers", '''
        def relu_forward(x):  # relu forward in place
            out = x.copy()
            out[out < 0] = 0
            cache = x
            return (out, cache)
        ''', ("relu_forward",)),
    Alternative("relu_backward_one_at_zero", "layers", '''
        def relu_backward(dout, cache):  # relu backward one at zero
            x = cache
            dx = dout * (x >= 0)  # 1 at x == 0: a valid subgradient too
            return dx
        ''', ("relu_backward",)),
    Alternative("relu_backward_half_at_zero", "layers", '''
        def relu_backward(dout, cache):  # relu backward half at zero
            x = cache
            dx = dout * np.heaviside(x, 0.5)  # 1/2 at x == 0, what a numeric gradient sees
            return dx
        ''', ("relu_backward",)),
    Alternative("softmax_loss_log_probs_numpy_scalar", "layers", '''
        def softmax_loss(x, y):  # softmax loss log probs numpy scalar
            shifted_logits = x - np.max(x, axis=1, keepdims=True)
            Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
            log_probs = shifted_logits - np.log(Z)
            probs = np.exp(log_probs)
            N = x.shape[0]
            loss = -np.sum(log_probs[np.arange(N), y]) / N  # a numpy float64
            dx = probs.copy()
            dx[np.arange(N), y] -= 1
            dx /= N
            return (loss, dx)
        ''', ("softmax_loss",)),
    Alternative("softmax_loss_loop", "layers", '''
        def softmax_loss(x, y):  # softmax loss loop
            N, C = x.shape
            loss = 0.0
            dx = np.zeros_like(x)
            for i in range(N):
                scores = x[i] - np.max(x[i])
                exp_scores = np.exp(scores)
                total = np.sum(exp_scores)
                loss += np.log(total) - scores[y[i]]
                for j in range(C):
                    dx[i, j] = exp_scores[j] / total - (j == y[i])
            return loss / N, dx / N
        ''', ("softmax_loss",)),
    Alternative("svm_loss_margins_array", "layers", '''
        def svm_loss(x, y):  # svm loss margins array
            N = x.shape[0]
            correct_class_scores = x[np.arange(N), y]
            margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
            margins[np.arange(N), y] = 0
            loss = np.sum(margins) / N
            num_pos = np.sum(margins > 0, axis=1)
            dx = np.zeros_like(x)
            dx[margins > 0] = 1
            dx[np.arange(N), y] -= num_pos
            dx /= N
            return (loss, dx)
        ''', ("svm_loss",)),
    Alternative("svm_loss_loop", "layers", '''
        def svm_loss(x, y):  # svm loss loop
            N, C = x.shape
            loss = 0.0
            dx = np.zeros(x.shape)
            for i in range(N):
                for j in range(C):
                    if j == y[i]:
                        continue
                    margin = x[i, j] - x[i, y[i]] + 1
                    if margin > 0:
                        loss += margin
                        dx[i, j] += 1
                        dx[i, y[i]] -= 1
            return loss / N, dx / N
        ''', ("svm_loss",)),
]
