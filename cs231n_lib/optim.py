"""Update rules for gradient descent (provided code).

Every update rule has one contract:

    next_w, config = rule(w, dw, config)

* ``w``: the current value of one parameter array, any shape;
* ``dw``: the gradient of the loss with respect to ``w``, same shape;
* ``config``: a dict of hyper-parameters (``learning_rate``, ...) *and* of the state the
  rule carries from one step to the next (a velocity, running averages, a step count).

The rule returns the new value and the (possibly updated) config. The Solver keeps one
config per parameter array, so each array has its own state. Rules fill in defaults with
``config.setdefault``, so ``config=None`` or ``{}`` is always a valid start.

Later notebooks add rules with state (momentum, RMSProp, Adam) to this module; the Solver
finds any rule here by its name.
"""


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
