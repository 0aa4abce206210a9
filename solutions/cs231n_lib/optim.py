"""Update rules for gradient descent (notebook 05_optimizers; ``sgd`` is provided).

Every update rule has one contract:

    next_w, config = rule(w, dw, config)

* ``w``: the current value of one parameter array, any shape;
* ``dw``: the gradient of the loss with respect to ``w``, same shape;
* ``config``: a dict of hyper-parameters (``learning_rate``, ...) *and* of the state the
  rule carries from one step to the next (a velocity, running averages, a step count).

The rule returns the new value and the (possibly updated) config. The Solver keeps one
config per parameter array, so each array has its own state. Rules fill in defaults with
``config.setdefault``, so ``config=None`` or ``{}`` is always a valid start. The state
lives in ``config`` under CS231n's names (``velocity``, ``cache``, ``m``, ``v``, ``t``),
so code written for CS231n's assignments works here unchanged.

The Solver finds any rule of this module by its name, e.g. ``update_rule="adam"``.
"""

import numpy as np


def _zeros_if_absent(config, key, w):
    """config[key], first set to zeros shaped like w if the key is absent: the state a rule
    starts from. (``config.setdefault(key, np.zeros_like(w))`` would allocate and fill a new
    array on every step, only to throw it away.)"""
    if key not in config:
        config[key] = np.zeros_like(w)
    return config[key]


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: w <- w - learning_rate * dw.

    Inputs:
    - w: array of any shape, the current parameter
    - dw: array shaped like w, the gradient of the loss with respect to w
    - config: dict with
      - learning_rate: step size (default 1e-2)

    Returns a tuple of:
    - next_w: array shaped like w
    - config: the config dict (SGD keeps no state, so only the default is added)
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    # A new array rather than `w -= ...`: the caller's w (e.g. a saved best_params copy)
    # must never change behind its back.
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: a velocity accumulates the gradients, and w moves by it.

        v <- momentum * v - learning_rate * dw
        next_w = w + v

    Inputs:
    - w: array of any shape, the current parameter
    - dw: array shaped like w, the gradient of the loss at w
    - config: dict with
      - learning_rate: step size (default 1e-2)
      - momentum: how much of the velocity survives a step, in [0, 1) (default 0.9;
        0 gives plain SGD)
      - velocity: array shaped like w, the velocity of the previous step (zeros if absent)

    Returns a tuple of:
    - next_w: array shaped like w
    - config: the same dict, with config["velocity"] the new velocity v
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = _zeros_if_absent(config, "velocity", w)

    next_w = None
    ### BEGIN SOLUTION
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum in the change-of-variables form: only the gradient at w is needed.

    Nesterov evaluates the gradient at the look-ahead point x + momentum * v, where x is
    the point plain momentum would keep. Writing w for that look-ahead point turns the
    update into one that needs only dw, the gradient at w:

        v_prev = v
        v <- momentum * v - learning_rate * dw
        next_w = w - momentum * v_prev + (1 + momentum) * v

    Inputs:
    - w: array of any shape, the current (look-ahead) parameter
    - dw: array shaped like w, the gradient of the loss at w
    - config: dict with
      - learning_rate: step size (default 1e-2)
      - momentum: in [0, 1) (default 0.9)
      - velocity: array shaped like w, the velocity of the previous step (zeros if absent)

    Returns a tuple of:
    - next_w: array shaped like w
    - config: the same dict, with config["velocity"] the new velocity v
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = _zeros_if_absent(config, "velocity", w)

    next_w = None
    ### BEGIN SOLUTION
    v_prev = v
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w - config["momentum"] * v_prev + (1 + config["momentum"]) * v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def adagrad(w, dw, config=None):
    """AdaGrad: each entry's step is divided by the root of its summed squared gradients.

        cache <- cache + dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    The sum only grows, so every step is smaller than the one before.

    Inputs:
    - w: array of any shape, the current parameter
    - dw: array shaped like w, the gradient of the loss at w
    - config: dict with
      - learning_rate: step size (default 1e-2)
      - epsilon: added to the square root (outside it), against division by zero
        (default 1e-7)
      - cache: array shaped like w, the sum of squared gradients so far (zeros if absent)

    Returns a tuple of:
    - next_w: array shaped like w
    - config: the same dict, with config["cache"] the new sum
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-7)
    _zeros_if_absent(config, "cache", w)

    next_w = None
    ### BEGIN SOLUTION
    cache = config["cache"] + dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    ### END SOLUTION
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: AdaGrad with a leaky sum, a moving average of the squared gradients.

        cache <- decay_rate * cache + (1 - decay_rate) * dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    Inputs:
    - w: array of any shape, the current parameter
    - dw: array shaped like w, the gradient of the loss at w
    - config: dict with
      - learning_rate: step size (default 1e-2)
      - decay_rate: weight of the old average, in [0, 1) (default 0.99)
      - epsilon: added to the square root (outside it) (default 1e-8)
      - cache: array shaped like w, the moving average of dw**2 (zeros if absent)

    Returns a tuple of:
    - next_w: array shaped like w
    - config: the same dict, with config["cache"] the new average
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    _zeros_if_absent(config, "cache", w)

    next_w = None
    ### BEGIN SOLUTION
    decay = config["decay_rate"]
    cache = decay * config["cache"] + (1 - decay) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    ### END SOLUTION
    return next_w, config


def adam(w, dw, config=None):
    """Adam: momentum on the gradient (first moment) and RMSProp's scaling (second
    moment), both corrected for starting at zero.

        t <- t + 1                       (first, so the first step has t = 1)
        m <- beta1 * m + (1 - beta1) * dw
        v <- beta2 * v + (1 - beta2) * dw**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
        next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    (The paper's "efficient" form folds the corrections into the step size,
    learning_rate * sqrt(1 - beta2**t) / (1 - beta1**t), and adds epsilon to sqrt(v)
    instead of sqrt(v_hat): it differs by the order of epsilon, and is accepted too.)

    Inputs:
    - w: array of any shape, the current parameter
    - dw: array shaped like w, the gradient of the loss at w
    - config: dict with
      - learning_rate: step size (default 1e-3)
      - beta1: decay rate of the first moment (default 0.9)
      - beta2: decay rate of the second moment (default 0.999)
      - epsilon: added to sqrt(v_hat) (outside the root) (default 1e-8)
      - m, v: arrays shaped like w, the moving averages of dw and dw**2 (zeros if absent)
      - t: the number of steps taken so far (0 if absent)

    Returns a tuple of:
    - next_w: array shaped like w
    - config: the same dict, with the new m, v and t
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    _zeros_if_absent(config, "m", w)
    _zeros_if_absent(config, "v", w)
    config.setdefault("t", 0)

    next_w = None
    ### BEGIN SOLUTION
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    # Every operation on a w-sized array is a pass over memory (W1 of a CIFAR-10 network has
    # 300,000 entries), so each line makes one new array and the next lines work in it.
    m = beta1 * config["m"]
    m += (1 - beta1) * dw
    v = beta2 * config["v"]
    v += (1 - beta2) * dw**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    # next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon), in m_hat's and v_hat's memory
    denominator = np.sqrt(v_hat, out=v_hat)
    denominator += config["epsilon"]
    m_hat *= config["learning_rate"]
    m_hat /= denominator
    next_w = w - m_hat
    config["t"], config["m"], config["v"] = t, m, v
    ### END SOLUTION
    return next_w, config
