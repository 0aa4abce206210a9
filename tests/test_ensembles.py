"""Notebook 07's additions to the Solver: the moving average of the parameters follows
ensembles.ema_update after every step, and snapshots are copies of the parameters at the
end of the chosen epochs."""

import numpy as np
import pytest

from cs231n_lib import ensembles, fc_net, optim, solver
from cs231n_lib.data import load_mnist1d


@pytest.fixture(scope="module")
def small_data():
    data = load_mnist1d()
    return {"X_train": data["X_train"][:300], "y_train": data["y_train"][:300],
            "X_val": data["X_val"][:100], "y_val": data["y_val"][:100]}


def recorded_training(data, **kwargs):
    """A Solver run with an update rule that records every parameter it writes; returns the
    solver, the initial params and the params after each step."""
    model = fc_net.FullyConnectedNet([16], weight_scale="he", seed=3)
    initial = {k: v.copy() for k, v in model.params.items()}
    writes = []

    def rule(w, dw, config):
        next_w, config = optim.sgd(w, dw, config)
        writes.append(next_w.copy())
        return next_w, config

    s = solver.Solver(model, data, update_rule=rule, optim_config={"learning_rate": 0.2}, batch_size=50,
                      seed=4, progress=False, **kwargs).train()
    keys = list(model.params)
    steps = [dict(zip(keys, writes[i:i + len(keys)])) for i in range(0, len(writes), len(keys))]
    return s, initial, steps


def test_the_moving_average_follows_every_step(small_data):
    s, initial, steps = recorded_training(small_data, num_epochs=3, ema_decay=0.9, snapshot_epochs=[0, 2])
    assert len(steps) == 3 * 6  # 300 examples in batches of 50, three epochs
    ema = initial
    for params in steps:
        ema = {k: 0.9 * ema[k] + 0.1 * params[k] for k in params}
    for k in ema:
        np.testing.assert_allclose(s.ema_params[k], ema[k], rtol=1e-12)
        assert not np.allclose(s.ema_params[k], steps[-1][k])  # an average, not the last step
    # Each snapshot holds the params and the average at the end of its epoch, as copies.
    assert [snap["epoch"] for snap in s.snapshots] == [0, 2]
    for snap, step in zip(s.snapshots, [steps[5], steps[-1]]):
        for k in step:
            np.testing.assert_array_equal(snap["params"][k], step[k])
    for k in ema:
        np.testing.assert_allclose(s.snapshots[1]["ema_params"][k], ema[k], rtol=1e-12)
    assert not np.array_equal(s.snapshots[0]["params"]["W1"], s.snapshots[1]["params"]["W1"])


def test_a_snapshot_ensemble_run_restarts_its_rate_and_snapshots_each_cycle_end(small_data):
    epochs, cycle = 6, 2
    model = fc_net.FullyConnectedNet([16], weight_scale="he", seed=3)
    s = solver.Solver(model, small_data, optim_config={"learning_rate": 0.2}, num_epochs=epochs, batch_size=50,
                      lr_schedule=ensembles.cyclic_cosine(cycle), progress=False,
                      snapshot_epochs=ensembles.cycle_end_epochs(epochs, cycle)).train()
    assert s.lr_history == pytest.approx([0.2, 0.1] * 3)
    assert [snap["epoch"] for snap in s.snapshots] == [1, 3, 5]
    assert all("ema_params" not in snap for snap in s.snapshots) and s.ema_params is None


@pytest.mark.parametrize("kwargs, message", [
    ({"ema_decay": 1.0}, "ema_decay"), ({"ema_decay": -0.1}, "ema_decay"),
    ({"snapshot_epochs": [3]}, "snapshot_epochs"), ({"snapshot_epochs": [0.5]}, "snapshot_epochs"),
])
def test_bad_ensemble_settings_are_refused(small_data, kwargs, message):
    model = fc_net.FullyConnectedNet([4])
    with pytest.raises(ValueError, match=message):
        solver.Solver(model, small_data, num_epochs=3, **kwargs)
