"""Hidden checks for 01_activations: every non-linearity against the reference on random
inputs of odd shapes, in saturation (|x| up to 1000), on negative inputs and in float32.

Instructor-only: this folder is never released.
"""

import numpy as np

from autograder.gradcheck import matches_reference
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
