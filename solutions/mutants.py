"""Realistic bugs, each a one-line change to the reference library (instructor-only).

They prove the checks can fail: tests/test_checks.py grades the reference with each bug
applied and asserts that the checks in ``breaks`` fail, and that every check is broken by
at least one bug. ``python -m autograder demo`` grades a library with DEMO_BUGS applied.
"""

import dataclasses
import pathlib
import shutil


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    old: str
    new: str
    breaks: tuple


MUTANTS = [
    # 00_gradients
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
    # 01_activations
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
    Mutant("leaky_relu_backward_dead", "activations", "dx = dout * np.where(x > 0, 1.0, alpha)",
           "dx = dout * np.where(x > 0, 1.0, 0.0)", ("leaky_relu_backward", "leaky_relu_hidden")),
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

DEMO_BUGS = ["affine_forgets_bias", "softmax_unstable", "relu_gradient_at_zero", "sigmoid_backward_drops_factor",
             "elu_forgets_alpha"]


def apply(reference_lib, target, names):
    """Copy the reference library to ``target`` with the named bugs applied."""
    target = pathlib.Path(target)
    shutil.copytree(reference_lib, target, ignore=shutil.ignore_patterns("__pycache__"))
    chosen = {m.name: m for m in MUTANTS}
    for name in names:
        m = chosen[name]
        path = target / f"{m.module}.py"
        text = path.read_text()
        if text.count(m.old) != 1:
            raise ValueError(f"mutant {name}: the text to replace occurs {text.count(m.old)} times in {path.name}")
        path.write_text(text.replace(m.old, m.new))
    return target
