"""The reference library itself: finite and warning-free where students are asked to be."""

import warnings

import numpy as np
import pytest

from cs231n_lib import activations, layers

X = np.array([[-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "leaky_relu", "elu", "gelu"])
def test_activations_are_finite_and_warning_free_for_large_inputs(name):
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        out, cache = getattr(activations, f"{name}_forward")(X)
        dx = getattr(activations, f"{name}_backward")(np.ones_like(X), cache)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))


def test_losses_are_warning_free_for_huge_scores():
    x = np.array([[1e4, -1e4, 0.0], [3.0, 2.0, 1.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for loss in (layers.softmax_loss, layers.svm_loss):
            value, dx = loss(x, np.array([1, 0]))
            assert np.isfinite(value) and np.all(np.isfinite(dx))
