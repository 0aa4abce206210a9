"""Notebook 08's additions to the provided code: frozen parameters and the update-ratio
monitor of the Solver, and a FullyConnectedNet whose top layer can be replaced."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cs231n_lib import fc_net, solver


def task(seed=0, n=60, d=7, c=4):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.integers(0, c, n)
    return {"X_train": X, "y_train": y, "X_val": X[:20], "y_val": y[:20]}


def test_frozen_params_keep_their_values_and_the_others_learn():
    data = task()
    model = fc_net.FullyConnectedNet([9, 8], input_dim=7, num_classes=4, weight_scale="he", seed=1)
    before = {k: v.copy() for k, v in model.params.items()}
    solver.Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 0.1}, num_epochs=2,
                  batch_size=20, frozen=["W1", "b1", "W2"], progress=False).train()
    assert all(np.array_equal(model.params[k], before[k]) for k in ("W1", "b1", "W2"))
    assert not any(np.array_equal(model.params[k], before[k]) for k in ("b2", "W3", "b3"))
    with pytest.raises(ValueError, match="W9"):
        solver.Solver(model, data, frozen=["W9"])


def in_place_sgd(w, dw, config):
    w -= config["learning_rate"] * dw  # updates the caller's array, as some students write it
    return w, config


@pytest.mark.parametrize("rule", ["sgd", in_place_sgd])
def test_update_ratios_are_the_step_over_the_weights(rule):
    data = task(n=30)
    model = fc_net.FullyConnectedNet([9], input_dim=7, num_classes=4, weight_scale="he", seed=2)
    W1 = model.params["W1"].copy()
    _, grads = model.loss(data["X_train"], data["y_train"])  # one batch of all 30: the first step's gradient
    s = solver.Solver(model, data, update_rule=rule, optim_config={"learning_rate": 0.05}, num_epochs=3,
                      batch_size=30, frozen=["b1"], monitor_updates=True, progress=False).train()
    assert set(s.update_ratios) == {"W1", "W2", "b2"}
    assert all(len(r) == 3 for r in s.update_ratios.values())  # one per step
    want = 0.05 * np.linalg.norm(grads["W1"]) / np.linalg.norm(W1)
    assert s.update_ratios["W1"][0] == pytest.approx(want, rel=1e-9)
    ax = s.plot_update_ratios()
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["W1 (layer 1)", "W2 (layer 2)"]
    assert solver.Solver(model, data).update_ratios == {}
    with pytest.raises(ValueError, match="monitor_updates"):
        solver.Solver(model, data).plot_update_ratios()


def test_a_new_top_layer_for_another_task_keeps_the_rest():
    model = fc_net.FullyConnectedNet([9, 8], input_dim=7, num_classes=4, weight_scale="he", seed=3)
    kept = {k: v.copy() for k, v in model.params.items() if k not in ("W3", "b3")}
    assert model.replace_top_layer(6, weight_scale=0.1, seed=4) == ["W3", "b3"]
    assert model.params["W3"].shape == (8, 6) and np.array_equal(model.params["b3"], np.zeros(6))
    assert all(np.array_equal(model.params[k], v) for k, v in kept.items())
    data = task(c=6)
    new = model.replace_top_layer(6, weight_scale=0.1, seed=4)
    s = solver.Solver(model, data, optim_config={"learning_rate": 0.1}, num_epochs=3, batch_size=20,
                      frozen=[k for k in model.params if k not in new], progress=False).train()
    assert model.loss(data["X_val"]).shape == (20, 6) and np.isfinite(s.loss_history).all()
    assert all(np.array_equal(model.params[k], v) for k, v in kept.items())
    with pytest.raises(ValueError, match="num_classes"):
        model.replace_top_layer(0)
