"""Tests of the provided modules: optim, fc_net, solver and plotting."""

import numpy as np
import pytest

from cs231n_lib import fc_net, optim, solver

ACTIVATION_NAMES = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "linear"]


def numeric_gradient(f, x, h=1e-5):
    """Centred differences of the scalar f() with respect to every entry of x (in place)."""
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = f()
        x[ix] = old - h
        minus = f()
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    # Over the whole array, not per element: an entry whose true gradient is exactly 0
    # gets ~1e-10 of rounding noise numerically, which per element would look like 100%.
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def make_data(n_train=200, n_val=50, dim=40, classes=10, seed=0):
    """Gaussian blobs, one per class: learnable, but not instantly."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim))
    def split(n):
        y = rng.integers(classes, size=n)
        return centres[y] + 0.8 * rng.standard_normal((n, dim)), y
    X_train, y_train = split(n_train)
    X_val, y_val = split(n_val)
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}


# ---------------------------------------------------------------- optim


def test_sgd_step_and_default_learning_rate():
    w, dw = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    next_w, config = optim.sgd(w, dw, {"learning_rate": 0.1})
    np.testing.assert_allclose(next_w, [0.95, -2.1])
    np.testing.assert_array_equal(w, [1.0, -2.0])  # the input is not modified
    _, config = optim.sgd(w, dw, None)
    assert config["learning_rate"] == 1e-2


# ---------------------------------------------------------------- fc_net


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("loss,reg", [("softmax", 0.0), ("softmax", 0.7), ("svm", 0.3)])
def test_fc_net_gradients_match_numeric(activation, loss, reg):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 6))
    y = np.array([0, 1, 2, 3, 1])
    model = fc_net.FullyConnectedNet([7, 5], input_dim=6, num_classes=4, activation=activation,
                                     weight_scale=0.5, reg=reg, loss=loss, seed=3)
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for name, param in model.params.items():
        num = numeric_gradient(lambda: model.loss(X, y)[0], param)
        assert grads[name].shape == param.shape
        assert rel_error(num, grads[name]) < 1e-6, name


@pytest.mark.parametrize("hidden_dims", [[], [7]])
def test_fc_net_never_computes_the_gradient_of_its_input(hidden_dims, monkeypatch):
    """Layer 1 computes dW1 and db1 only: the gradient of the data, as large as the batch,
    is never computed (affine_backward is called for layers 2..L only), and the weights'
    gradients still match numeric ones, also for inputs of several dimensions."""
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((5, 2, 3)), np.array([0, 1, 2, 3, 1])
    model = fc_net.FullyConnectedNet(hidden_dims, input_dim=6, num_classes=4, weight_scale=0.5, reg=0.3, seed=2)
    dx_shapes, affine_backward = [], fc_net.layers.affine_backward
    def recording(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        dx_shapes.append(dx.shape)
        return dx, dw, db
    monkeypatch.setattr(fc_net.layers, "affine_backward", recording)
    _, grads = model.loss(X, y)
    assert len(dx_shapes) == len(hidden_dims) and X.shape not in dx_shapes
    for name, param in model.params.items():
        num = numeric_gradient(lambda: model.loss(X, y)[0], param)
        assert rel_error(num, grads[name]) < 1e-6, name


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_net_float32_computes_and_trains_in_float32(activation, normalization):
    """No float64 constant, mask or statistic silently turns a float32 network into a float64
    one (twice the memory traffic, and not the precision asked for)."""
    data = make_data(n_train=40, n_val=10, dim=5, classes=3)
    model = fc_net.FullyConnectedNet([6, 6], input_dim=5, num_classes=3, activation=activation, reg=0.1,
                                     normalization=normalization, dropout_keep_ratio=0.7, dtype=np.float32)
    solver.Solver(model, data, update_rule="adam", num_epochs=2, batch_size=8, progress=False).train()
    assert model.loss(data["X_val"]).dtype == np.float32
    _, grads = model.loss(data["X_train"], data["y_train"])
    assert {k: g.dtype for k, g in grads.items()} == {k: np.dtype(np.float32) for k in model.params}
    assert {k: p.dtype for k, p in model.params.items()} == {k: np.dtype(np.float32) for k in model.params}


def test_regularization_adds_half_reg_sum_of_squared_weights():
    X, y = np.ones((3, 4)), np.array([0, 1, 2])
    plain = fc_net.FullyConnectedNet([5], input_dim=4, num_classes=3, weight_scale=0.1)
    regd = fc_net.FullyConnectedNet([5], input_dim=4, num_classes=3, weight_scale=0.1, reg=2.0)
    penalty = 0.5 * 2.0 * sum(np.sum(regd.params[k] ** 2) for k in ("W1", "W2"))
    assert regd.loss(X, y)[0] == pytest.approx(plain.loss(X, y)[0] + penalty)


def test_fc_net_scores_shape_init_and_seed():
    model = fc_net.FullyConnectedNet([20, 30], weight_scale=1e-2, seed=0)
    assert model.loss(np.zeros((8, 40))).shape == (8, 10)
    assert model.params["W1"].shape == (40, 20) and model.params["W3"].shape == (30, 10)
    assert np.all(model.params["b2"] == 0)
    assert model.params["W1"].std() == pytest.approx(1e-2, rel=0.1)
    expected = 1e-2 * np.random.default_rng(0).standard_normal((40, 20))
    np.testing.assert_array_equal(model.params["W1"], expected)
    other = fc_net.FullyConnectedNet([20, 30], seed=1)
    assert not np.array_equal(model.params["W1"], other.params["W1"])
    assert fc_net.FullyConnectedNet([], dtype=np.float32).loss(np.zeros((2, 40))).dtype == np.float32


def test_fc_net_weight_scale_names_and_callables():
    from cs231n_lib import initializers

    dims = [(40, 300), (300, 300), (300, 10)]
    he = fc_net.FullyConnectedNet([300, 300], weight_scale="he", seed=4)
    # The layers draw in order from the net's generator, seeded by `seed`.
    rng = np.random.default_rng(4)
    for i, (fan_in, fan_out) in enumerate(dims, start=1):
        np.testing.assert_array_equal(he.params[f"W{i}"], initializers.he(fan_in, fan_out, rng))
    assert he.params["W2"].std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    again = fc_net.FullyConnectedNet([300, 300], weight_scale="he", seed=4)
    np.testing.assert_array_equal(again.params["W2"], he.params["W2"])
    other = fc_net.FullyConnectedNet([300, 300], weight_scale="he", seed=5)
    assert not np.array_equal(other.params["W2"], he.params["W2"])

    xavier = fc_net.FullyConnectedNet([300, 300], weight_scale="xavier", seed=0)
    assert xavier.params["W2"].std() == pytest.approx(1 / np.sqrt(300), rel=0.02)
    small = fc_net.FullyConnectedNet([300, 300], weight_scale="small_random", seed=0)
    np.testing.assert_array_equal(small.params["W2"], fc_net.FullyConnectedNet([300, 300], seed=0).params["W2"])
    assert np.all(fc_net.FullyConnectedNet([20], weight_scale="zeros").params["W1"] == 0)
    ortho = fc_net.FullyConnectedNet([300, 300], weight_scale="orthogonal", seed=0)
    np.testing.assert_allclose(ortho.params["W2"].T @ ortho.params["W2"], np.eye(300), atol=1e-10)
    np.testing.assert_allclose(ortho.params["W1"] @ ortho.params["W1"].T, np.eye(40), atol=1e-10)

    calls = []
    def constant(fan_in, fan_out, rng):
        calls.append((fan_in, fan_out, isinstance(rng, np.random.Generator)))
        return np.full((fan_in, fan_out), 0.5)
    model = fc_net.FullyConnectedNet([7, 5], input_dim=6, num_classes=3, weight_scale=constant,
                                     dtype=np.float32)
    assert calls == [(6, 7, True), (7, 5, True), (5, 3, True)]
    assert model.params["W2"].dtype == np.float32 and np.all(model.params["W2"] == 0.5)
    assert np.all(model.params["b2"] == 0)

    with pytest.raises(ValueError, match="orthogonal"):
        fc_net.FullyConnectedNet([10], weight_scale="kaiming")
    with pytest.raises(ValueError, match=r"\(6, 7\)"):
        fc_net.FullyConnectedNet([7], input_dim=6, weight_scale=lambda fan_in, fan_out, rng: np.ones((fan_out, fan_in)))
    for bad in (-0.1, None, True):
        with pytest.raises(ValueError, match="weight_scale"):
            fc_net.FullyConnectedNet([10], weight_scale=bad)


def test_linear_stack_is_one_linear_map():
    model = fc_net.FullyConnectedNet([6, 5], input_dim=4, num_classes=3, activation="linear",
                                     weight_scale=1.0)
    p = model.params
    for k in ("b1", "b2", "b3"):
        p[k] += np.random.default_rng(0).standard_normal(p[k].shape)
    W = p["W1"] @ p["W2"] @ p["W3"]
    b = (p["b1"] @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
    X = np.random.default_rng(1).standard_normal((7, 4))
    np.testing.assert_allclose(model.loss(X), X @ W + b)


@pytest.mark.parametrize("kwargs", [
    {"hidden_dims": [10, -1]}, {"hidden_dims": [0]}, {"hidden_dims": [10], "input_dim": 0},
    {"hidden_dims": [10], "activation": "relux"}, {"hidden_dims": [10], "loss": "hinge"},
    {"hidden_dims": [10], "reg": -1.0}, {"hidden_dims": [10], "dropout_keep_ratio": 0.0},
    {"hidden_dims": [10], "normalization": "groupnorm"},
])
def test_fc_net_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        fc_net.FullyConnectedNet(**kwargs)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="leaky_relu"):
        fc_net.FullyConnectedNet([10], activation="swish")


@pytest.mark.parametrize("normalization", [None, "batchnorm"])
def test_fc_net_with_dropout_gradients_match_numeric(normalization):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((6, 5)), np.array([0, 1, 2, 3, 1, 2])
    # A fixed dropout seed: the same masks on every pass, so the loss is a function to differentiate.
    model = fc_net.FullyConnectedNet([8, 7], input_dim=5, num_classes=4, weight_scale=0.5, reg=0.1,
                                     normalization=normalization, dropout_keep_ratio=0.6, dropout_seed=3, seed=1)
    loss, grads = model.loss(X, y)
    assert loss == model.loss(X, y)[0]
    for name, param in model.params.items():
        num = numeric_gradient(lambda: model.loss(X, y)[0], param)
        if normalization == "batchnorm" and name in ("b1", "b2"):
            assert np.abs(grads[name]).max() < 1e-12 and np.abs(num).max() < 1e-8, name
        else:
            assert rel_error(num, grads[name]) < 1e-6, name


def test_fc_net_dropout_masks_units_in_training_only():
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((50, 40)), rng.integers(10, size=50)
    plain = fc_net.FullyConnectedNet([30, 20], weight_scale="he", seed=2)
    dropped = fc_net.FullyConnectedNet([30, 20], weight_scale="he", dropout_keep_ratio=0.5, seed=2)
    for k in plain.params:  # drawing masks never changes the initial weights
        np.testing.assert_array_equal(plain.params[k], dropped.params[k])
    # Test mode (inverted dropout): the very same scores as without dropout, every time.
    np.testing.assert_array_equal(dropped.loss(X), plain.loss(X))
    assert dropped.dropout_param == {"mode": "test", "p": 0.5}
    # Training passes draw fresh masks, so two losses differ; a twin network repeats them.
    twin = fc_net.FullyConnectedNet([30, 20], weight_scale="he", dropout_keep_ratio=0.5, seed=2)
    losses = [dropped.loss(X, y)[0] for _ in range(2)]
    assert losses[0] != losses[1] and losses == [twin.loss(X, y)[0] for _ in range(2)]
    # Scoring does not consume the generator: the next training pass is still the twin's.
    dropped.loss(X)
    assert dropped.loss(X, y)[0] == twin.loss(X, y)[0]


def test_fc_net_sample_dropout_gives_random_sub_networks():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((20, 40))
    model = fc_net.FullyConnectedNet([50], weight_scale="he", dropout_keep_ratio=0.5, seed=0)
    deterministic = model.loss(X)
    samples = np.array([model.loss(X, sample_dropout=True) for _ in range(400)])
    assert not np.allclose(samples[0], samples[1]) and not np.allclose(samples[0], deterministic)
    # One hidden layer: dropout feeds the linear output layer, so the average of the sub-networks'
    # scores converges to the deterministic scores (with inverted dropout, exactly in expectation).
    spread = samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - deterministic) < 6 * spread + 1e-12)
    np.testing.assert_array_equal(model.loss(X), deterministic)


def test_fc_net_rejects_a_bad_dropout_seed():
    with pytest.raises(ValueError, match="dropout_seed"):
        fc_net.FullyConnectedNet([10], dropout_keep_ratio=0.5, dropout_seed=1.5)


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_fc_net_with_normalization_gradients_match_numeric(normalization, reg):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 5)) * 2 + 1
    y = np.array([0, 1, 2, 3, 1, 2])
    model = fc_net.FullyConnectedNet([7, 5], input_dim=5, num_classes=4, weight_scale=0.5, reg=reg,
                                     normalization=normalization, seed=4)
    for i in (1, 2):  # move gamma and beta away from 1 and 0, so their gradients matter
        model.params[f"gamma{i}"] += rng.uniform(-0.5, 0.5, model.params[f"gamma{i}"].shape)
        model.params[f"beta{i}"] += rng.uniform(-0.5, 0.5, model.params[f"beta{i}"].shape)
    loss, grads = model.loss(X, y)  # labels given: train mode, batch statistics
    assert set(grads) == set(model.params) == {"W1", "b1", "W2", "b2", "W3", "b3",
                                               "gamma1", "beta1", "gamma2", "beta2"}
    assert [p["mode"] for p in model.bn_params] == ["train", "train"]
    penalty = 0.5 * reg * sum(np.sum(model.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert loss > penalty  # gamma and beta are not regularized
    for name, param in model.params.items():
        num = numeric_gradient(lambda: model.loss(X, y)[0], param)
        assert grads[name].shape == param.shape
        if normalization == "batchnorm" and name in ("b1", "b2"):
            # A bias before batchnorm is removed with the batch mean: its gradient is 0,
            # and a relative error between two roundings of 0 means nothing.
            assert np.abs(grads[name]).max() < 1e-12 and np.abs(num).max() < 1e-8, name
        else:
            assert rel_error(num, grads[name]) < 1e-6, name


def test_fc_net_batchnorm_test_mode_uses_running_averages():
    rng = np.random.default_rng(3)
    model = fc_net.FullyConnectedNet([6], input_dim=4, num_classes=3, weight_scale=1.0,
                                     normalization="batchnorm", seed=0)
    model.params["gamma1"] = rng.uniform(0.5, 2, 6)
    model.params["beta1"] = rng.standard_normal(6)
    X = rng.standard_normal((8, 4)) + 3
    p = model.params
    h = X @ p["W1"] + p["b1"]
    model.loss(X, np.zeros(8, dtype=int))  # one train step: running = 0.9 * start + 0.1 * batch
    bn_param = model.bn_params[0]
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * h.mean(axis=0))
    np.testing.assert_allclose(bn_param["running_var"], 0.9 + 0.1 * h.var(axis=0))
    before = {k: bn_param[k].copy() for k in ("running_mean", "running_var")}

    scores = model.loss(X)  # no labels: test mode
    assert bn_param["mode"] == "test"
    normed = (h - before["running_mean"]) / np.sqrt(before["running_var"] + 1e-5)
    expected = np.maximum(p["gamma1"] * normed + p["beta1"], 0) @ p["W2"] + p["b2"]
    np.testing.assert_allclose(scores, expected)
    for k, v in before.items():  # test mode leaves the running averages alone
        np.testing.assert_array_equal(bn_param[k], v)
    # ... and scores each example on its own: a batch of one gives the same row.
    np.testing.assert_allclose(model.loss(X[3:4]), scores[3:4])
    # Train mode uses the batch statistics instead, so the two modes differ here.
    batch_normed = (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + 1e-5)
    assert not np.allclose(normed, batch_normed, atol=0.1)


def test_fc_net_layernorm_is_the_same_in_both_modes_and_per_example():
    rng = np.random.default_rng(4)
    model = fc_net.FullyConnectedNet([6, 5], input_dim=4, num_classes=3, weight_scale=1.0,
                                     normalization="layernorm", seed=0)
    X, y = rng.standard_normal((8, 4)), rng.integers(3, size=8)
    scores = model.loss(X)
    np.testing.assert_allclose(model.loss(X[:1]), scores[:1])
    p = model.params
    h = X @ p["W1"] + p["b1"]
    h = np.maximum((h - h.mean(axis=1, keepdims=True)) / np.sqrt(h.var(axis=1, keepdims=True) + 1e-5), 0)
    h = h @ p["W2"] + p["b2"]
    h = np.maximum((h - h.mean(axis=1, keepdims=True)) / np.sqrt(h.var(axis=1, keepdims=True) + 1e-5), 0)
    np.testing.assert_allclose(scores, h @ p["W3"] + p["b3"])
    model.loss(X, y)
    np.testing.assert_allclose(model.loss(X), scores)  # nothing is learned from a train pass


# ---------------------------------------------------------------- solver


def test_solver_overfits_small_subset():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 40)), rng.integers(10, size=50)  # random labels: memorize
    # Validating on the training set too: the best params kept at the end are then the
    # ones that fit the training set best.
    data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    model = fc_net.FullyConnectedNet([100], weight_scale=1e-1)
    s = solver.Solver(model, data, optim_config={"learning_rate": 0.2}, num_epochs=60,
                      batch_size=25, progress=False).train()
    assert s.check_accuracy(X, y) == 1.0
    assert s.loss_history[-1] < 0.2 * s.loss_history[0]
    assert len(s.loss_history) == 60 * 2 and len(s.val_acc_history) == 60


def test_minibatches_without_replacement_and_partial_last_batch():
    data = make_data(n_train=53)
    data["X_train"][:, 0] = np.arange(53)  # column 0 identifies each example
    model = fc_net.FullyConnectedNet([5])
    batches, original_loss = [], model.loss
    def recording_loss(X, y=None):
        if y is not None:
            batches.append(X[:, 0].astype(int))
        return original_loss(X, y)
    model.loss = recording_loss
    solver.Solver(model, data, num_epochs=3, batch_size=10, progress=False).train()
    assert len(batches) == 3 * 6 and [len(b) for b in batches[:6]] == [10] * 5 + [3]
    for epoch in range(3):
        seen = np.concatenate(batches[6 * epoch:6 * epoch + 6])
        assert sorted(seen) == list(range(53))  # every example exactly once
    assert not np.array_equal(np.concatenate(batches[:6]), np.concatenate(batches[6:12]))


def _run(seed, **kwargs):
    model = fc_net.FullyConnectedNet([20], weight_scale=0.1, seed=0)
    return solver.Solver(model, make_data(), optim_config={"learning_rate": 0.1}, seed=seed,
                         num_epochs=3, batch_size=32, num_train_samples=100, progress=False,
                         **kwargs).train()


def test_same_seed_same_run_different_seed_different_run():
    a, b, c = _run(seed=5), _run(seed=5), _run(seed=6)
    assert a.loss_history == b.loss_history and a.val_acc_history == b.val_acc_history
    assert a.train_acc_history == b.train_acc_history
    for k in a.model.params:
        np.testing.assert_array_equal(a.model.params[k], b.model.params[k])
    assert a.loss_history != c.loss_history


def test_model_ends_with_best_params():
    s = _run(seed=0)
    assert s.best_val_acc == max(s.val_acc_history)
    assert s.check_accuracy(s.data["X_val"], s.data["y_val"]) == s.best_val_acc
    for k, v in s.best_params.items():
        np.testing.assert_array_equal(s.model.params[k], v)
        assert v is not s.model.params[k]  # a copy, not an alias


def test_lr_schedule_and_lr_history():
    s = _run(seed=0, lr_schedule=lambda epoch: 0.5 ** epoch)
    assert s.lr_history == pytest.approx([0.1, 0.05, 0.025])
    assert _run(seed=0).lr_history == pytest.approx([0.1] * 3)
    data, model = make_data(), fc_net.FullyConnectedNet([5])
    with pytest.raises(ValueError, match="learning_rate"):
        solver.Solver(model, data, lr_schedule=lambda e: 1.0)


def test_augment_changes_training_batches_only_and_is_seeded():
    seen = []

    def flip_sign(X_batch, rng):
        assert isinstance(rng, np.random.Generator)
        seen.append(rng.random())
        return -X_batch

    data = make_data()
    model = fc_net.FullyConnectedNet([5], seed=0)
    scored, original_loss = [], model.loss

    def recording_loss(X, y=None):
        scored.append((y is None, X.copy()))
        return original_loss(X, y)

    model.loss = recording_loss
    s = solver.Solver(model, data, num_epochs=2, batch_size=50, seed=4, progress=False, augment=flip_sign).train()
    assert len(seen) == len(s.loss_history) == 2 * 4
    for is_scoring, X in scored:
        # Training batches arrive sign-flipped: no row of them is a row of X_train as it is.
        rows = {tuple(r) for r in data["X_train"]} | {tuple(r) for r in data["X_val"]}
        assert all((tuple(r) in rows) == is_scoring for r in X)
    again = solver.Solver(fc_net.FullyConnectedNet([5], seed=0), data, num_epochs=2, batch_size=50, seed=4,
                          progress=False, augment=lambda X, rng: -X).train()
    assert again.loss_history == s.loss_history  # the augmentation's draws do not move the batch order


def test_augment_must_keep_the_shape():
    s = solver.Solver(fc_net.FullyConnectedNet([5]), make_data(), num_epochs=1, progress=False,
                      augment=lambda X, rng: X[:, :10])
    with pytest.raises(ValueError, match="shape"):
        s.train()
    with pytest.raises(TypeError, match="augment"):
        solver.Solver(fc_net.FullyConnectedNet([5]), make_data(), augment="flip")


def test_callable_update_rule_with_own_config_per_param():
    seen = []
    def counting_sgd(w, dw, config):
        config["steps"] = config.get("steps", 0) + 1
        seen.append(id(config))
        return w - 0.1 * dw, config
    s = _run(seed=0, update_rule=counting_sgd)
    iterations = len(s.loss_history)
    assert all(c["steps"] == iterations for c in s.optim_configs.values())
    assert len(set(seen)) == len(s.model.params)  # one config object per parameter
    assert s.val_acc_history[-1] > 0.3  # it actually trains (chance is 0.1)


def test_diverging_run_warns_and_stops():
    model = fc_net.FullyConnectedNet([50], weight_scale=1.0)
    s = solver.Solver(model, make_data(), optim_config={"learning_rate": 1e12},
                      num_epochs=5, batch_size=20, progress=False)
    with pytest.warns(RuntimeWarning, match="learning rate"):
        s.train()
    assert s.diverged and not np.isfinite(s.loss_history[-1])
    assert len(s.loss_history) < 5 * 10
    assert all(np.all(np.isfinite(v)) for v in model.params.values())


@pytest.mark.parametrize("kwargs,error,match", [
    ({"update_rule": "sgdd"}, ValueError, "sgd"),
    ({"update_rule": 3}, TypeError, "update_rule"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"num_epochs": -1}, ValueError, "num_epochs"),
])
def test_solver_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        solver.Solver(fc_net.FullyConnectedNet([5]), make_data(), **kwargs)


def test_solver_rejects_missing_data():
    data = make_data()
    del data["y_val"]
    with pytest.raises(ValueError, match="y_val"):
        solver.Solver(fc_net.FullyConnectedNet([5]), data)


def test_progress_false_prints_nothing_and_verbose_prints(capsys):
    _run(seed=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    _run(seed=0, verbose=True)
    assert "epoch 3 / 3" in capsys.readouterr().out


def test_solver_validates_a_batchnorm_net_in_test_mode():
    data = make_data()
    model = fc_net.FullyConnectedNet([20, 20], weight_scale=0.1, normalization="batchnorm", seed=0)
    modes, original_loss = [], model.loss
    def recording_loss(X, y=None):
        out = original_loss(X, y)
        modes.append((y is None, model.bn_params[0]["mode"]))
        return out
    model.loss = recording_loss
    s = solver.Solver(model, data, optim_config={"learning_rate": 0.1}, num_epochs=3,
                      batch_size=32, num_train_samples=100, progress=False).train()
    assert {m for labels_missing, m in modes if labels_missing} == {"test"}
    assert {m for labels_missing, m in modes if not labels_missing} == {"train"}
    assert s.val_acc_history[-1] > 0.5
    # In test mode each example is scored alone, so the batch size of check_accuracy is
    # irrelevant, and scoring does not touch the running averages.
    running = model.bn_params[1]["running_mean"].copy()
    accs = [s.check_accuracy(data["X_val"], data["y_val"], batch_size=b) for b in (1, 7, 500)]
    assert accs[0] == accs[1] == accs[2]
    np.testing.assert_array_equal(model.bn_params[1]["running_mean"], running)


def test_solver_restores_the_running_averages_of_the_best_epoch():
    # The best weights make the best model only with the running averages gathered under
    # them: after train() the model's bn_params are those of the best epoch.
    import copy

    data = make_data()
    model = fc_net.FullyConnectedNet([20, 20], weight_scale=0.1, normalization="batchnorm", seed=0)
    s = solver.Solver(model, data, optim_config={"learning_rate": 0.5}, num_epochs=8,
                      batch_size=16, num_train_samples=100, progress=False, seed=3)
    snapshots, check = [], s.check_accuracy

    def recording(X, y, **kw):
        if X is data["X_val"]:
            snapshots.append(copy.deepcopy(model.bn_params))
        return check(X, y, **kw)

    s.check_accuracy = recording
    s.train()
    best = s.val_acc_history.index(s.best_val_acc)
    assert best < len(snapshots) - 1, "this run must peak before its last epoch"
    for now, then in zip(model.bn_params, snapshots[best]):
        np.testing.assert_array_equal(now["running_mean"], then["running_mean"])
        np.testing.assert_array_equal(now["running_var"], then["running_var"])


# ---------------------------------------------------------------- plotting


def test_plots_have_titles_and_labels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from cs231n_lib import activations, plotting

    fig = plotting.plot_history({"a": _run(seed=0), "b": _run(seed=1)}, smooth=3)
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    ax = plotting.plot_function_and_derivative(activations.tanh_forward,
                                               activations.tanh_backward)
    assert ax.get_title() == "tanh"
    x, derivative = ax.lines[1].get_data()
    np.testing.assert_allclose(derivative, 1 - np.tanh(x) ** 2)
    fig = plotting.show_histograms({f"layer {i}": np.random.randn(100) for i in range(7)})
    assert sum(ax.get_visible() for ax in fig.axes) == 7
    plt.close("all")


def test_plot_history_of_a_diverged_run_is_readable():
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from cs231n_lib import plotting

    class Run:  # what plot_history reads from a Solver
        loss_history = [2.3, 2.0, 1e306, np.inf]
        train_acc_history, val_acc_history = [0.2], [0.1]

    for log_loss in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow warnings from matplotlib
            fig = plotting.plot_history({"diverged": Run()}, smooth=None, log_loss=log_loss)
            fig.canvas.draw()
        assert fig.axes[0].get_ylim()[1] < 100  # the axis is not stretched to 1e306
    plt.close("all")
