"""Hidden checks for 01_activations: every non-linearity against the reference on random
inputs of odd shapes, in saturation (|x| up to 1000), on negative inputs and in float32.

Instructor-only: this folder is never released.
"""

import numpy as np

from autograder.gradcheck import matches_reference
from autograder.mutation import Mutant
from autograder.registry import check

A = "01_activations"


def regimes(rng):
    """(label, x, tolerance) for each regime an activation must handle."""
    yield " (odd shape (3, 5, 2))", rng.standard_normal((3, 5, 2)), 1e-7
    yield " (saturation, |x| up to 1000)", rng.uniform(-1000, 1000, (4, 6)), 1e-7
    yield " (negative inputs)", -rng.uniform(0.01, 8, (5, 3)), 1e-7
    yield " (float32)", rng.standard_normal((6, 7)).astype(np.float32) * 4, 1e-4


def activation_check(name, extra=()):
    def run(lib, ref, rng):
        for regime, x, tol in regimes(rng):
            matches_reference(lib, ref, f"activations.{name}_forward", f"activations.{name}_backward",
                              [x, *extra], ["dx"], rng, tol, regime)
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
