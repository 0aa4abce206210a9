"""Trusted functions that the grader hands to student code (e.g. to eval_numerical_gradient).

Each is drawn at random in every grading run and crosses the boundary as a
``sandbox.Callback``: student code can call it, but it runs here, in the grader, so
nothing the student's process can inspect (a name, a module, a closure, its code) leads
to its gradient. Its gradient is known exactly, and bounded away from zero, so a
numeric-gradient routine can be held to a relative error.

A routine could also try to identify the function from a few calls and return its exact
gradient without differencing. So a probe has far more hidden numbers than its calls can
pin down, and it answers a limited number of calls. For x with n entries (flattened),

    f(x) = sum_i (a_i x_i^3 / 3 + b_i x_i) + tanh(x W + beta) C,

with per-entry a_i, b_i and K = 4n hidden units (W is n x K, beta K, C is K x m), and
m = 1 output (``ScalarProbe``) or m = n outputs shaped like x (``ArrayProbe``): more than
K n = 4 n^2 numbers, while centred differences need 2n calls and a probe answers at most
``allowed_calls(n)`` = 4n + 2 (room for a 4-point stencil and a call at x itself). The
coupling C is small enough that every gradient entry stays at least 0.25 in size, yet
large enough (about 1e-3 of it) that a routine which ignores it misses by far more than the
checks' tolerance of 1e-7.
"""

import numpy as np


def allowed_calls(n):
    return 4 * n + 2


class Probe:
    outputs = None  # 1 for a scalar function, None for one output per entry of x

    def __init__(self, rng, shape):
        self.shape = tuple(shape)
        n = int(np.prod(self.shape))
        m = 1 if self.outputs == 1 else n
        k = 4 * n
        self.a, self.b = rng.uniform(0.2, 0.6, n), rng.uniform(1.0, 2.0, n)
        self.w, self.beta = rng.uniform(-1, 1, (n, k)), rng.uniform(-1, 1, k)
        # |d(coupling)/dx_i| <= sum over outputs j and units k of 1.5 |C_kj| |W_ik| <= 0.25, while the
        # own term is at least 0.5 (``upstream`` draws |df| from [0.5, 1.5], and a_i x_i^2 + b_i >= 1).
        self.c = rng.uniform(-1, 1, (k, m)) * (0.25 / (1.5 * k * m))
        self.n, self.calls, self.limit = n, 0, allowed_calls(n)

    def _flat(self, x):
        """x as a float vector, after checking its shape (it comes from student code)."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self.shape:
            raise ValueError(f"f takes an array of shape {self.shape}, got shape {x.shape}")
        return x.reshape(-1)

    def _values(self, x):
        self.calls += 1
        if self.calls > self.limit:
            raise ValueError(f"f was called more than {self.limit} times; centred differences need 2 calls "
                             f"per entry of x ({2 * self.n} here)")
        x = self._flat(x)
        return self.a * x**3 / 3 + self.b * x, np.tanh(x @ self.w + self.beta) @ self.c

    def _gradient(self, x, df):
        """Gradient of sum(f(x) * df) with respect to x (df: one weight per output)."""
        x = self._flat(x)
        df = np.asarray(df, dtype=np.float64).reshape(-1)
        slope = 1 - np.tanh(x @ self.w + self.beta) ** 2  # (k,)
        coupled = self.w @ (slope * (self.c @ df))
        own = (self.a * x**2 + self.b) * (df if df.size == x.size else df[0])
        return (own + coupled).reshape(self.shape)


class ScalarProbe(Probe):
    """x -> a float: what eval_numerical_gradient differentiates."""
    outputs = 1

    def __call__(self, x):
        own, coupled = self._values(x)
        return float(np.sum(own) + coupled[0])

    def gradient(self, x):
        return self._gradient(x, np.ones(1))


class ArrayProbe(Probe):
    """x -> an array shaped like x: what eval_numerical_gradient_array differentiates."""

    def __call__(self, x):
        own, coupled = self._values(x)
        return (own + coupled).reshape(self.shape)

    def gradient(self, x, df):
        return self._gradient(x, df)


def upstream(rng, shape):
    """An upstream gradient with no entry near zero, so every element is checked."""
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
