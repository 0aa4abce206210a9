"""Trusted functions that the grader hands to student code (e.g. to eval_numerical_gradient).

Each is drawn at random in every grading run and crosses the boundary as a
``sandbox.Callback``: student code can call it, but it runs here, in the grader, so
nothing the student's process can inspect (a name, a module, a closure, its code) leads
to its gradient. Its gradient is known exactly, and bounded away from zero, so a
numeric-gradient routine can be held to a relative error.

f(x) = a x^3 / 3 + b x + c sin(d x), element-wise, with b > c d, so f'(x) >= b - c d > 0.
"""

import numpy as np


class Probe:
    def __init__(self, rng):
        self.a, self.c, self.d = rng.uniform(0.2, 0.6), rng.uniform(0.2, 0.8), rng.uniform(0.5, 2.0)
        self.b = self.c * self.d + rng.uniform(0.5, 1.5)

    def values(self, x):
        x = np.asarray(x, dtype=np.float64)
        return self.a * x**3 / 3 + self.b * x + self.c * np.sin(self.d * x)

    def derivative(self, x):
        x = np.asarray(x, dtype=np.float64)
        return self.a * x**2 + self.b + self.c * self.d * np.cos(self.d * x)


class ScalarProbe(Probe):
    """x -> sum of f(x): what eval_numerical_gradient differentiates."""

    def __call__(self, x):
        return float(np.sum(self.values(x)))

    def gradient(self, x):
        return self.derivative(x)


class ArrayProbe(Probe):
    """x -> f(x), element-wise: what eval_numerical_gradient_array differentiates."""

    def __call__(self, x):
        return self.values(x)

    def gradient(self, x, df):
        return np.asarray(df, dtype=np.float64) * self.derivative(x)


def upstream(rng, shape):
    """An upstream gradient with no entry near zero, so every element is checked."""
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
