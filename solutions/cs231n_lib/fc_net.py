"""A fully connected network of any depth, built from the library's layers (provided code).

Architecture, for L = len(hidden_dims) + 1 affine layers:

    {affine - [normalization] - non-linearity - [dropout]} x (L - 1) - affine - loss

Normalization comes with notebook 04, dropout with notebook 06 (``dropout_keep_ratio`` is
the probability of KEEPING a hidden unit, the ``p`` of ``regularization.dropout_forward``).
"""

import numpy as np

from . import activations, initializers, layers, normalization, regularization


def _linear_forward(x):
    """Identity "non-linearity": out = x. A stack of these collapses to one affine map."""
    return x, None


def _linear_backward(dout, cache):
    """Backward pass of the identity: the gradient passes through unchanged."""
    return dout


# name -> (forward, backward); each follows the layer contract of `layers`.
ACTIVATIONS = {
    "relu": (layers.relu_forward, layers.relu_backward),
    "sigmoid": (activations.sigmoid_forward, activations.sigmoid_backward),
    "tanh": (activations.tanh_forward, activations.tanh_backward),
    "leaky_relu": (activations.leaky_relu_forward, activations.leaky_relu_backward),
    "elu": (activations.elu_forward, activations.elu_backward),
    "gelu": (activations.gelu_forward, activations.gelu_backward),
    "linear": (_linear_forward, _linear_backward),
}

LOSSES = {"softmax": layers.softmax_loss, "svm": layers.svm_loss}

NORMALIZATIONS = (None, "batchnorm", "layernorm")

# name -> (forward, backward), with the contract of `normalization`.
NORM_LAYERS = {
    "batchnorm": (normalization.batchnorm_forward, normalization.batchnorm_backward_alt),
    "layernorm": (normalization.layernorm_forward, normalization.layernorm_backward),
}


def _is_positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def _weight_initializer(weight_scale):
    """weight_scale as a function init(fan_in, fan_out, rng) -> (fan_in, fan_out) array."""
    if isinstance(weight_scale, str):
        if weight_scale not in initializers.INITIALIZERS:
            raise ValueError(f"unknown initializer {weight_scale!r}; "
                             f"choose one of {sorted(initializers.INITIALIZERS)}")
        return initializers.INITIALIZERS[weight_scale]
    if callable(weight_scale):
        return weight_scale
    if isinstance(weight_scale, bool) or not isinstance(weight_scale, (int, float, np.number)) \
            or not weight_scale >= 0:
        raise ValueError(f"weight_scale must be a number >= 0, the name of an initializer or a "
                         f"callable init(fan_in, fan_out, rng), got {weight_scale!r}")
    # Written out rather than via initializers.small_random: a number must keep working
    # (and give the same weights) before notebook 03 is done.
    return lambda fan_in, fan_out, rng: weight_scale * rng.standard_normal((fan_in, fan_out))


def _affine_param_grads(dout, x):
    """The parameter gradients (dw, db) of the affine layer out = x_flat @ w + b, without dx.

    The network's first layer needs no gradient for its input, the data: affine_backward's
    dx = dout @ w.T would cost as much as the layer's forward pass (an (N, D) product, the
    largest of the step for wide inputs such as CIFAR-10's D = 3072) and be thrown away.
    PyTorch skips it too, for inputs that do not require a gradient. The formulas are
    affine_backward's.
    """
    return x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


class FullyConnectedNet:
    """Fully connected classifier with a choice of non-linearity and loss.

    Parameters live in ``self.params``: W1..WL of shapes (D_in, D_out) and b1..bL of
    shape (D_out,), where the dimensions run input_dim, *hidden_dims, num_classes. With
    a normalization, each hidden layer i also has gamma{i} (ones) and beta{i} (zeros) of
    shape (hidden_dims[i-1],), and ``self.bn_params[i-1]`` is the dict its normalization
    layer keeps its mode and state in (batchnorm's running averages). With dropout,
    ``self.dropout_param`` is the dict every dropout layer reads its keep probability and
    mode from, and ``self.dropout_rng`` the generator (seeded by ``seed``) that the seeds of
    its masks come from: replace it, e.g. ``model.dropout_rng = np.random.default_rng(1)``,
    to repeat a sequence of Monte Carlo passes.
    """

    def __init__(self, hidden_dims, input_dim=40, num_classes=10, activation="relu",
                 weight_scale=1e-2, reg=0.0, loss="softmax", dtype=np.float64, seed=0,
                 normalization=None, dropout_keep_ratio=1.0, dropout_seed=None):
        """Build the network and draw its initial weights.

        Inputs:
        - hidden_dims: list of H positive ints, the widths of the hidden layers
          ([] gives a linear classifier)
        - input_dim: D, the size of one input example
        - num_classes: C
        - activation: one of ACTIVATIONS ("relu", "sigmoid", "tanh", "leaky_relu",
          "elu", "gelu", "linear")
        - weight_scale: how to draw the initial weights: a number >= 0 (their standard
          deviation), the name of an initializer in `initializers` ("zeros",
          "small_random", "xavier", "he", "orthogonal"), or a callable
          init(fan_in, fan_out, rng) -> (fan_in, fan_out) array; every draw comes from
          the network's generator, seeded by `seed`
        - reg: L2 regularization strength (>= 0)
        - loss: "softmax" or "svm"
        - dtype: float type of the parameters and the computation
        - seed: seed of the generator that draws the weights
        - normalization: None, "batchnorm" or "layernorm", applied between each hidden
          affine layer and its non-linearity
        - dropout_keep_ratio: probability of KEEPING each hidden unit in training,
          0 < ratio <= 1; below 1, inverted dropout follows every hidden non-linearity
          (notebook 06), and 1.0 means no dropout
        - dropout_seed: None (every training pass draws fresh masks from the network's
          own generator, seeded by `seed`, so a run repeats exactly) or an int (the same
          masks on every pass: a deterministic loss, for gradient checks)
        """
        # Check everything before building anything, so a typo fails here, with the
        # valid choices, rather than as a shape error deep inside loss().
        hidden_dims = list(hidden_dims)
        if not all(_is_positive_int(h) for h in hidden_dims):
            raise ValueError(f"hidden_dims must be positive ints, got {hidden_dims}")
        if not _is_positive_int(input_dim) or not _is_positive_int(num_classes):
            raise ValueError(f"input_dim and num_classes must be positive ints, "
                             f"got {input_dim} and {num_classes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; "
                             f"choose one of {sorted(ACTIVATIONS)}")
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
        init_weights = _weight_initializer(weight_scale)
        if not reg >= 0:
            raise ValueError(f"reg must be >= 0, got {reg}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"unknown normalization {normalization!r}; "
                             f"choose one of {NORMALIZATIONS}")
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError(f"dropout_keep_ratio must be in (0, 1], got {dropout_keep_ratio}")
        if dropout_seed is not None and not isinstance(dropout_seed, (int, np.integer)):
            raise ValueError(f"dropout_seed must be None or an int, got {dropout_seed!r}")

        self.hidden_dims = hidden_dims
        self.activation = activation
        self.loss_name = loss
        self.reg = reg
        self.dtype = dtype
        self.normalization = normalization
        self.dropout_keep_ratio = dropout_keep_ratio
        self.use_dropout = dropout_keep_ratio != 1
        self.dropout_seed = dropout_seed
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        self.num_layers = len(hidden_dims) + 1
        # Its own generator: drawing masks must not change the initial weights.
        self.dropout_rng = np.random.default_rng([seed, 6])

        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            fan_in, fan_out = dims[i - 1], dims[i]
            W = np.asarray(init_weights(fan_in, fan_out, rng))
            if W.shape != (fan_in, fan_out):
                raise ValueError(f"weight_scale={weight_scale!r} returned weights of shape {W.shape} "
                                 f"for layer {i}; they should be (fan_in, fan_out) = {(fan_in, fan_out)}")
            self.params[f"W{i}"] = W.astype(dtype)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
        # One state dict per normalization layer: its mode and (batchnorm) running averages.
        self.bn_params = []
        if normalization is not None:
            for i, width in enumerate(hidden_dims, start=1):
                self.params[f"gamma{i}"] = np.ones(width, dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(width, dtype=dtype)
                self.bn_params.append({"mode": "train"})

    def loss(self, X, y=None, sample_dropout=False):
        """Scores for X, or the loss and its gradients when labels are given.

        With labels the network runs in train mode (batch statistics, dropout masks); without,
        in test mode (running averages, no dropout).

        Inputs:
        - X: (N, D) inputs
        - y: (N,) integer labels in [0, C), or None
        - sample_dropout: with y None, keep dropout in train mode: the scores of one random
          sub-network per example (Monte Carlo dropout); normalization stays in test mode

        Returns:
        - if y is None: scores, (N, C)
        - else a tuple of:
          - loss: float, data loss + 0.5 * reg * sum of squared weights (not biases)
          - grads: dict with the same keys and shapes as self.params
        """
        X = np.asarray(X, dtype=self.dtype)
        # Notebook 04's batchnorm and dropout behave differently in training and at test
        # time; the mode is decided here, once, from whether labels were given.
        mode = "test" if y is None else "train"
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        self.dropout_param["mode"] = "train" if sample_dropout or y is not None else "test"
        act_forward, act_backward = ACTIVATIONS[self.activation]
        L = self.num_layers

        # Forward: one dict of caches per hidden block, so extra layers add extra keys.
        h, block_caches = X, []
        for i in range(1, L):
            cache = {}
            h, cache["affine"] = layers.affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            if self.normalization is not None:
                norm_forward = NORM_LAYERS[self.normalization][0]
                h, cache["norm"] = norm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                self.bn_params[i - 1])
            h, cache["activation"] = act_forward(h)
            if self.use_dropout:
                h, cache["dropout"] = regularization.dropout_forward(h, self._layer_dropout_param(i))
            block_caches.append(cache)
        scores, last_cache = layers.affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])

        if y is None:
            return scores

        data_loss, dscores = LOSSES[self.loss_name](scores, y)
        loss = data_loss
        if self.reg:  # a pass over every weight (W1 is the largest array here): only when used
            weights = [self.params[f"W{i}"] for i in range(1, L + 1)]
            loss += 0.5 * self.reg * sum(float(np.sum(W * W)) for W in weights)

        # Backward: the same blocks in reverse order, each layer undone in reverse too.
        grads = {}
        if L == 1:  # a linear classifier: its only layer is the first
            grads["W1"], grads["b1"] = _affine_param_grads(dscores, X)
        else:
            dh, grads[f"W{L}"], grads[f"b{L}"] = layers.affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            cache = block_caches[i - 1]
            if self.use_dropout:
                dh = regularization.dropout_backward(dh, cache["dropout"])
            dh = act_backward(dh, cache["activation"])
            if self.normalization is not None:
                norm_backward = NORM_LAYERS[self.normalization][1]
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = norm_backward(dh, cache["norm"])
            if i > 1:
                dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dh, cache["affine"])
            else:
                grads["W1"], grads["b1"] = _affine_param_grads(dh, X)

        # d/dW of 0.5 * reg * sum(W**2) is reg * W; biases are not regularized because
        # they do not shape how sensitive the output is to the input.
        if self.reg:
            for i in range(1, L + 1):
                grads[f"W{i}"] += self.reg * self.params[f"W{i}"]
        return float(loss), grads

    def _layer_dropout_param(self, layer):
        """The dict the dropout layer of hidden block ``layer`` gets: the shared keep ratio
        and mode, and a seed of its own.

        The seed is fixed (dropout_seed, offset by the layer so that layers of equal width do
        not share a mask) or a fresh draw from the network's generator: each pass gets new
        masks and a run still repeats exactly.
        """
        if self.dropout_param["mode"] == "test":
            return dict(self.dropout_param)  # no masks: scoring leaves the generator alone
        if self.dropout_seed is not None:
            seed = int(self.dropout_seed) + layer
        else:
            # Below 2**32, so that a dropout layer written with np.random.seed(seed) works too.
            seed = int(self.dropout_rng.integers(2**32))
        return {**self.dropout_param, "seed": seed}

    def replace_top_layer(self, num_classes, weight_scale=1e-2, seed=0):
        """Transfer learning: a fresh output layer for a new task with ``num_classes``
        classes; every other parameter keeps the values it learned.

        W{L} gets shape (last hidden width, num_classes), drawn as in __init__ from a
        generator seeded by ``seed``, and b{L} zeros. Returns the names of the new params
        (["W{L}", "b{L}"]), e.g. to train only them: Solver(..., frozen=every other name).
        """
        if not _is_positive_int(num_classes):
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        L = self.num_layers
        fan_in = self.params[f"W{L}"].shape[0]
        W = np.asarray(_weight_initializer(weight_scale)(fan_in, num_classes, np.random.default_rng(seed)))
        self.params[f"W{L}"] = W.astype(self.dtype)
        self.params[f"b{L}"] = np.zeros(num_classes, dtype=self.dtype)
        return [f"W{L}", f"b{L}"]
