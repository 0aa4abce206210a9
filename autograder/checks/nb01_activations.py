"""Visible checks for notebook 01_activations: each non-linearity's forward and backward.

Forward checks use fixed inputs from -1000 to 1000, so an overflowing formula shows up as
a nan or inf; backward checks compare with the grader's numeric gradient. In trusted
grading (``ref`` given) the inputs vary with the run's seed, the expected values are the
reference's and the numeric gradients are the reference forward's (see gradcheck.py).
"""

import numpy as np

from ..gradcheck import backward_matches_numeric, expected, varied
from ..registry import CheckFailed, as_array, check, close, unpack

A = "01_activations"
X = np.array([[-1000.0, -3.0, -0.5, 0.0, 0.5, 3.0, 1000.0]])


def forward_values(lib, ref, rng, name, table, *extra):
    func = f"activations.{name}_forward"
    args = ", ".join(["x", *map(repr, extra)])
    x = varied(ref, rng, X)
    out, _ = unpack(f"{name}_forward", lib.call(func, x, *extra), 2)
    out = as_array(f"{name}_forward({args}): out", out, x.shape)
    if not np.all(np.isfinite(out)):
        j = int(np.argmax(~np.isfinite(out[0])))
        raise CheckFailed(f"{name}_forward({args}): out is {out[0, j]} at x = {x[0, j]:g}; the module docstring "
                          "asks for finite values for large |x| (exponentiate only numbers <= 0)")
    close(f"{name}_forward({args}): out for x = {x[0].tolist()}", out, expected(ref, [table], func, x, *extra), 1e-9)


def backward_numeric(lib, ref, rng, name, *extra):
    x = rng.uniform(-3, 3, size=(3, 4))
    x[np.abs(x) < 0.05] = 0.3  # away from kinks, where numeric gradients are meaningless
    backward_matches_numeric(lib, f"activations.{name}_forward", f"activations.{name}_backward",
                             [x, *extra], [(0, "dx")], rng, ref=ref)


@check(A, points=1, tags=["activations.sigmoid_forward"])
def sigmoid_forward(lib, ref, rng):
    forward_values(lib, ref, rng, "sigmoid", [0.0, 0.04742587317756679, 0.37754066879814546, 0.5,
                                    0.6224593312018546, 0.9525741268224334, 1.0])


@check(A, points=1, tags=["activations.sigmoid_forward", "activations.sigmoid_backward"],
       requires=["sigmoid_forward"])
def sigmoid_backward(lib, ref, rng):
    backward_numeric(lib, ref, rng, "sigmoid")


@check(A, points=1, tags=["activations.tanh_forward"])
def tanh_forward(lib, ref, rng):
    forward_values(lib, ref, rng, "tanh", [-1.0, -0.9950547536867305, -0.46211715726000974, 0.0,
                                 0.46211715726000974, 0.9950547536867305, 1.0])


@check(A, points=1, tags=["activations.tanh_forward", "activations.tanh_backward"], requires=["tanh_forward"])
def tanh_backward(lib, ref, rng):
    backward_numeric(lib, ref, rng, "tanh")


@check(A, points=1, tags=["activations.leaky_relu_forward"])
def leaky_relu_forward(lib, ref, rng):
    forward_values(lib, ref, rng, "leaky_relu", [-10.0, -0.03, -0.005, 0.0, 0.5, 3.0, 1000.0])
    forward_values(lib, ref, rng, "leaky_relu", [-200.0, -0.6, -0.1, 0.0, 0.5, 3.0, 1000.0], 0.2)


@check(A, points=1, tags=["activations.leaky_relu_forward", "activations.leaky_relu_backward"],
       requires=["leaky_relu_forward"])
def leaky_relu_backward(lib, ref, rng):
    backward_numeric(lib, ref, rng, "leaky_relu", 0.1)


@check(A, points=1, tags=["activations.elu_forward"])
def elu_forward(lib, ref, rng):
    forward_values(lib, ref, rng, "elu", [-1.0, -0.950212931632136, -0.3934693402873666, 0.0, 0.5, 3.0, 1000.0])
    forward_values(lib, ref, rng, "elu", [-0.5, -0.475106465816068, -0.1967346701436833, 0.0, 0.5, 3.0, 1000.0], 0.5)


@check(A, points=1, tags=["activations.elu_forward", "activations.elu_backward"], requires=["elu_forward"])
def elu_backward(lib, ref, rng):
    backward_numeric(lib, ref, rng, "elu", 0.7)


@check(A, points=1, tags=["activations.gelu_forward"])
def gelu_forward(lib, ref, rng):
    forward_values(lib, ref, rng, "gelu", [0.0, -0.0036373920817729943, -0.15428599017485606, 0.0,
                                 0.34571400982514394, 2.9963626079182268, 1000.0])


@check(A, points=1, tags=["activations.gelu_forward", "activations.gelu_backward"], requires=["gelu_forward"])
def gelu_backward(lib, ref, rng):
    backward_numeric(lib, ref, rng, "gelu")


MAXOUT_X = np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, -1.5]])
MAXOUT_W = np.linspace(-1, 1, 12).reshape(3, 2, 2)
MAXOUT_B = np.array([[0.1, -0.1], [0.0, 0.2]])


@check(A, points=2, tags=["activations.maxout_forward"])
def maxout_forward(lib, ref, rng):
    args = [varied(ref, rng, a) for a in (MAXOUT_X, MAXOUT_W, MAXOUT_B)]
    out, _ = unpack("maxout_forward", lib.call("activations.maxout_forward", *args), 2)
    close("maxout_forward: out (x (2, 3), w (3, 2, 2), b (2, 2))", out,
          expected(ref, [[0.8545454545454547, 1.7], [-0.5000000000000001, -0.9454545454545455]],
                   "activations.maxout_forward", *args), 1e-9)


@check(A, points=2, tags=["activations.maxout_forward", "activations.maxout_backward"],
       requires=["maxout_forward"])
def maxout_backward(lib, ref, rng):
    args = [rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 3, 2)), rng.standard_normal((3, 2))]
    backward_matches_numeric(lib, "activations.maxout_forward", "activations.maxout_backward", args,
                             [(0, "dx"), (1, "dw"), (2, "db")], rng, ref=ref)
