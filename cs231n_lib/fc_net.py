"""A fully connected network of any depth, built from the library's layers (provided code).

Architecture, for L = len(hidden_dims) + 1 affine layers:

    {affine - [normalization] - non-linearity - [dropout]} x (L - 1) - affine - loss

The bracketed layers arrive in notebook 04; the forward and backward loops below already
mark where they go, so adding them changes those lines only.
"""

import numpy as np

from . import activations, layers


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


def _is_positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


class FullyConnectedNet:
    """Fully connected classifier with a choice of non-linearity and loss.

    Parameters live in ``self.params``: W1..WL of shapes (D_in, D_out) and b1..bL of
    shape (D_out,), where the dimensions run input_dim, *hidden_dims, num_classes.
    """

    def __init__(self, hidden_dims, input_dim=40, num_classes=10, activation="relu",
                 weight_scale=1e-2, reg=0.0, loss="softmax", dtype=np.float64, seed=0,
                 normalization=None, dropout_keep_ratio=1.0):
        """Build the network and draw its initial weights.

        Inputs:
        - hidden_dims: list of H positive ints, the widths of the hidden layers
          ([] gives a linear classifier)
        - input_dim: D, the size of one input example
        - num_classes: C
        - activation: one of ACTIVATIONS ("relu", "sigmoid", "tanh", "leaky_relu",
          "elu", "gelu", "linear")
        - weight_scale: standard deviation of the initial weights (>= 0)
        - reg: L2 regularization strength (>= 0)
        - loss: "softmax" or "svm"
        - dtype: float type of the parameters and the computation
        - seed: seed of the generator that draws the weights
        - normalization: None (notebook 04 adds "batchnorm" and "layernorm")
        - dropout_keep_ratio: 1.0 (notebook 04 adds dropout, 0 < ratio < 1)
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
        if not weight_scale >= 0:
            raise ValueError(f"weight_scale must be >= 0, got {weight_scale}")
        if not reg >= 0:
            raise ValueError(f"reg must be >= 0, got {reg}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"unknown normalization {normalization!r}; "
                             f"choose one of {NORMALIZATIONS}")
        if normalization is not None:
            raise NotImplementedError(
                f"normalization={normalization!r} is added in notebook 04 "
                "(batch/layer normalization); use normalization=None for now")
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError(f"dropout_keep_ratio must be in (0, 1], got {dropout_keep_ratio}")
        if dropout_keep_ratio != 1:
            raise NotImplementedError(
                "dropout is added in notebook 04 (regularization); "
                "use dropout_keep_ratio=1.0 for now")

        self.hidden_dims = hidden_dims
        self.activation = activation
        self.loss_name = loss
        self.reg = reg
        self.dtype = dtype
        self.normalization = normalization
        self.dropout_keep_ratio = dropout_keep_ratio
        self.num_layers = len(hidden_dims) + 1

        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            fan_in, fan_out = dims[i - 1], dims[i]
            self.params[f"W{i}"] = (weight_scale * rng.standard_normal((fan_in, fan_out))).astype(dtype)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)

    def loss(self, X, y=None):
        """Scores for X, or the loss and its gradients when labels are given.

        Inputs:
        - X: (N, D) inputs
        - y: (N,) integer labels in [0, C), or None

        Returns:
        - if y is None: scores, (N, C)
        - else a tuple of:
          - loss: float, data loss + 0.5 * reg * sum of squared weights (not biases)
          - grads: dict with the same keys and shapes as self.params
        """
        X = np.asarray(X, dtype=self.dtype)
        # Notebook 04's batchnorm and dropout behave differently in training and at test
        # time; the mode is decided here, once, from whether labels were given.
        mode = "test" if y is None else "train"  # unused until notebook 04
        act_forward, act_backward = ACTIVATIONS[self.activation]
        L = self.num_layers

        # Forward: one dict of caches per hidden block, so extra layers add extra keys.
        h, block_caches = X, []
        for i in range(1, L):
            cache = {}
            h, cache["affine"] = layers.affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            # notebook 04: normalization goes here, between affine and non-linearity
            h, cache["activation"] = act_forward(h)
            # notebook 04: dropout goes here, after the non-linearity
            block_caches.append(cache)
        scores, last_cache = layers.affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])

        if y is None:
            return scores

        data_loss, dscores = LOSSES[self.loss_name](scores, y)
        weights = [self.params[f"W{i}"] for i in range(1, L + 1)]
        loss = data_loss + 0.5 * self.reg * sum(float(np.sum(W * W)) for W in weights)

        # Backward: the same blocks in reverse order, each layer undone in reverse too.
        grads = {}
        dh, grads[f"W{L}"], grads[f"b{L}"] = layers.affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            cache = block_caches[i - 1]
            # notebook 04: dropout backward goes here
            dh = act_backward(dh, cache["activation"])
            # notebook 04: normalization backward goes here
            dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dh, cache["affine"])

        # d/dW of 0.5 * reg * sum(W**2) is reg * W; biases are not regularized because
        # they do not shape how sensitive the output is to the input.
        for i in range(1, L + 1):
            grads[f"W{i}"] += self.reg * self.params[f"W{i}"]
        return float(loss), grads
