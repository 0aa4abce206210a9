"""Babysitting training and searching hyperparameters (notebook 08_babysitting).

Before a long run, two sanity checks catch most broken set-ups: the loss at initialization
(about log C for a softmax over C classes) and whether the network can memorise a handful
of examples. During training, the loss curve tells whether the learning rate is too small,
too large or about right. Hyperparameters are then searched at random or on a grid, with a
fixed budget of trials, and the search is narrowed around its best trials.

A **search space** is a dict ``name -> (scale, low, high)``, where scale is ``"log"`` (the
value is spread evenly over orders of magnitude: learning rates, regularization
strengths) or ``"linear"`` (spread evenly between low and high: a dropout keep ratio), and
0 < low <= high for a log scale. A **config** is a dict ``name -> value``, one value per
hyperparameter. An **objective** is a function ``objective(config) -> score`` where a
higher score is better (a validation accuracy); a NaN score (a run that diverged) is worse
than any number. A **trial** is a tuple ``(config, score)``.
"""

import numpy as np

from .solver import Solver

SCALES = ("log", "linear")


def _check_space(space):
    """Fail with a clear message on a search space that is not name -> (scale, low, high)."""
    if not isinstance(space, dict) or not space:
        raise ValueError(f"a search space is a non-empty dict name -> (scale, low, high), got {space!r}")
    for name, spec in space.items():
        if not (isinstance(spec, (tuple, list)) and len(spec) == 3 and spec[0] in SCALES):
            raise ValueError(f"space[{name!r}] must be (scale, low, high) with scale in {SCALES}, got {spec!r}")
        scale, low, high = spec
        if not low <= high or (scale == "log" and not low > 0):
            raise ValueError(f"space[{name!r}] = {spec!r}: need low <= high, and low > 0 on a log scale")


# ---------------------------------------------------------------- sanity checks


def initial_loss_check(loss_fn, X, y, num_classes, rel_tol=0.1):
    """The first sanity check: the loss of an untrained softmax classifier.

    With small random weights every class gets about the same score, so the softmax gives
    each class probability 1 / C and the cross-entropy is -log(1 / C) = log(C), the
    natural logarithm (log(10) = 2.303 for 10 classes). A loss far from it means the
    initialization, the loss or the data is wrong. (A regularization term adds to it: check
    with reg = 0.)

    Inputs:
    - loss_fn: function loss_fn(X, y) -> (loss, grads), e.g. model.loss
    - X: (N, D) inputs
    - y: (N,) integer labels
    - num_classes: C
    - rel_tol: the largest accepted |loss - log(C)| / log(C)

    Returns a tuple of:
    - loss: float, the loss loss_fn gives on (X, y)
    - expected: float, log(C)
    - ok: bool, True when the loss is within rel_tol of expected
    """
    loss, expected, ok = None, None, None
    ### BEGIN SOLUTION
    loss = float(loss_fn(X, y)[0])
    expected = float(np.log(num_classes))
    ok = bool(abs(loss - expected) <= rel_tol * expected)
    ### END SOLUTION
    return loss, expected, ok


def overfit_small_subset(model, data, num_examples=20, num_epochs=200, learning_rate=0.3, seed=0):
    """The second sanity check: can the model memorise a few training examples?

    Picks ``num_examples`` distinct training examples at random (with a generator seeded by
    ``seed``), switches the model's regularization off (model.reg = 0, restored at the end)
    and trains the model on them alone with the Solver and plain SGD (the provided
    optim.sgd), one full batch per step, for ``num_epochs`` epochs. A working network and training loop reach 100% training accuracy
    on so few examples; if not, something is broken before any tuning makes sense.

    Inputs:
    - model: a FullyConnectedNet (trained in place)
    - data: dict with X_train (N, D) and y_train (N,)
    - num_examples: how many examples to memorise, 1 <= num_examples <= N
    - num_epochs: number of epochs, each one step on all num_examples examples
    - learning_rate: SGD's learning rate
    - seed: seeds the choice of examples and the Solver

    Returns a tuple of:
    - indices: (num_examples,) int array, the rows of X_train used, all different
    - train_acc: float, the model's accuracy on those examples after training
    - loss_history: list of floats, the training loss of every step
    """
    indices, train_acc, loss_history = None, None, None
    ### BEGIN SOLUTION
    X_all, y_all = data["X_train"], data["y_train"]
    picker = np.random.default_rng(seed)
    indices = picker.choice(len(X_all), size=num_examples, replace=False)
    X, y = X_all[indices], y_all[indices]
    small = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    reg, model.reg = model.reg, 0.0
    try:
        run = Solver(model, small, update_rule="sgd", optim_config={"learning_rate": learning_rate},
                     num_epochs=num_epochs, batch_size=num_examples, seed=seed, progress=False).train()
    finally:
        model.reg = reg
    train_acc = float(np.mean(np.argmax(model.loss(X), axis=1) == y))
    loss_history = run.loss_history
    ### END SOLUTION
    return indices, train_acc, loss_history


# ---------------------------------------------------------------- reading a loss curve


def diagnose_learning_rate(loss_history, min_decrease=0.05, explode_factor=3.0):
    """Tell from a training loss history whether the learning rate looks too small, too
    large or reasonable.

    Compares the mean loss over the first tenth of the history (``start``) with the mean
    over the last tenth (``end``) (means, because the loss of a single minibatch is noisy).
    A tenth is rounded down and is at least one step: of n losses, each mean is over
    w = max(1, n // 10) of them (25 losses: the first 2 and the last 2; 9 losses: 1 each).
    The rules are applied in this order, the first that holds decides:

    - "too large" if the loss exploded: any loss is NaN or infinite, or above
      ``explode_factor`` times the first loss (even if it came down again);
    - "too large" if end > start: the loss went up, even a little and far below
      ``explode_factor`` (a rising loss is never "too small");
    - "too small" if the loss fell by less than ``min_decrease`` of its start:
      (start - end) / start < min_decrease;
    - "reasonable" otherwise.

    Inputs:
    - loss_history: sequence of at least 1 loss value (floats, maybe NaN or inf)
    - min_decrease: the relative decrease below which the rate counts as too small
    - explode_factor: how many times the first loss a loss may reach before it counts
      as an explosion

    Returns:
    - verdict: one of the strings "too small", "too large", "reasonable"
    """
    verdict = None
    ### BEGIN SOLUTION
    losses = np.asarray(loss_history, dtype=np.float64)
    window = max(1, len(losses) // 10)
    if not np.all(np.isfinite(losses)) or losses.max() > explode_factor * losses[0]:
        verdict = "too large"
    else:
        start, end = losses[:window].mean(), losses[-window:].mean()
        if end > start:
            verdict = "too large"
        elif (start - end) / start < min_decrease:
            verdict = "too small"
        else:
            verdict = "reasonable"
    ### END SOLUTION
    return verdict


# ---------------------------------------------------------------- searching


def log_uniform(rng, low, high, size=None):
    """Draws spread evenly over orders of magnitude: log10 of a draw is uniform on
    [log10(low), log10(high)], so a draw is as likely to fall in [1e-4, 1e-3] as in
    [1e-3, 1e-2]. (The base does not matter: the natural log of a draw is then uniform on
    [ln(low), ln(high)] too.)

    Inputs:
    - rng: numpy Generator to draw from (and nothing else)
    - low, high: 0 < low <= high
    - size: None for one float, or an int / tuple for an array of that shape

    Returns:
    - a float (size None) or an array of shape size, every value in [low, high] up to
      rounding: 10 ** log10(x) (or exp(log(x))) may miss x by a rounding step, so a value
      within a relative 1e-9 of low or high counts as inside (clipping to [low, high] is
      allowed, not required); anything further out is outside
    """
    if not 0 < low <= high:
        raise ValueError(f"log_uniform needs 0 < low <= high, got {low}, {high}")
    out = None
    ### BEGIN SOLUTION
    out = 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)
    out = np.clip(out, low, high)  # 10 ** log10(x) may miss x by one rounding
    if size is None:
        out = float(out)
    ### END SOLUTION
    return out


def random_search(objective, space, num_trials, seed=0):
    """Random search: ``num_trials`` configs drawn independently, each evaluated once.

    Every trial draws each hyperparameter of ``space`` on its own scale: log_uniform for
    "log", uniform on [low, high] for "linear", all from one generator
    ``np.random.default_rng(seed)``, so the same seed gives the same trials.

    Inputs:
    - objective: function objective(config) -> score (higher is better)
    - space: dict name -> (scale, low, high), see the module's docstring
    - num_trials: the budget, the number of times objective is called
    - seed: seed of the generator

    Returns:
    - trials: list of num_trials tuples (config, score), in the order they were run;
      config is a dict with a float for every name of space
    """
    _check_space(space)
    trials = None
    ### BEGIN SOLUTION
    generator = np.random.default_rng(seed)
    trials = []
    for _ in range(num_trials):
        config = {}
        for name, (scale, low, high) in space.items():
            if scale == "log":
                config[name] = log_uniform(generator, low, high)
            else:
                config[name] = float(generator.uniform(low, high))
        trials.append((config, float(objective(config))))
    ### END SOLUTION
    return trials


def grid_search(objective, space, num_trials):
    """Grid search within a budget: k values per hyperparameter, every combination tried.

    With d hyperparameters, k is the largest integer with k**d <= num_trials, so the grid
    never exceeds the budget (16 trials over 2 hyperparameters: a 4 x 4 grid; 20 trials:
    still 4 x 4). The k values of a hyperparameter run evenly from low to high, both
    included, on its scale: np.geomspace(low, high, k) for "log", np.linspace(low, high, k)
    for "linear". A grid has no randomness, hence no seed.

    Inputs:
    - objective: function objective(config) -> score (higher is better)
    - space: dict name -> (scale, low, high)
    - num_trials: the budget, at least 1

    Returns:
    - trials: list of k**d tuples (config, score), one for every combination of the
      grid values (in any order)
    """
    _check_space(space)
    trials = None
    ### BEGIN SOLUTION
    d = len(space)
    k = 1
    while (k + 1) ** d <= num_trials:  # integers: a float root would give 3.9999 for 64 ** (1 / 3)
        k += 1
    axes = []
    for scale, low, high in space.values():
        axes.append(np.geomspace(low, high, k) if scale == "log" else np.linspace(low, high, k))
    names = list(space)
    trials = []
    for values in np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d):
        config = {name: float(v) for name, v in zip(names, values)}
        trials.append((config, float(objective(config))))
    ### END SOLUTION
    return trials


def coarse_to_fine(trials, space, top_k=3):
    """One coarse-to-fine step: a narrower space around the best trials.

    Takes the ``top_k`` trials with the highest scores (NaN scores are worst: they are
    never among the best) and, for each hyperparameter, returns the range from the smallest
    to the largest value those trials used, on the same scale. The new range always lies
    inside the old one.

    Inputs:
    - trials: list of (config, score), at least top_k of them with a finite score
    - space: the dict name -> (scale, low, high) the trials were drawn from
    - top_k: how many of the best trials the new range must contain

    Returns:
    - new_space: dict name -> (scale, new_low, new_high) with the scales of space
    """
    _check_space(space)
    new_space = None
    ### BEGIN SOLUTION
    scores = np.array([score for _, score in trials], dtype=np.float64)
    scores = np.where(np.isnan(scores), -np.inf, scores)
    best = np.argsort(-scores, kind="stable")[:top_k]
    new_space = {}
    for name, (scale, _, _) in space.items():
        values = [trials[i][0][name] for i in best]
        new_space[name] = (scale, float(min(values)), float(max(values)))
    ### END SOLUTION
    return new_space
