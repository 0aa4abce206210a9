"""Visible checks for notebook 08_babysitting: sanity checks, reading a loss curve, and
hyperparameter search.

The objectives and loss functions handed to student code are the grader's own
(``Callback``): the grader counts the calls and sees every config a search tries, so a
search that overspends its budget, or reports scores it never measured, is caught. The
random draws of log_uniform and random_search cannot be compared with the reference's,
so they are tested statistically, on the logarithms of the draws: every tolerance is
SIGMAS standard errors (a correct implementation fails with a probability below about
1e-8), while uniform instead of log-uniform sampling, or a natural log mixed with a base-10
one, is off by dozens. The seeds are fixed, so an implementation always gets the same verdict.
"""

import numpy as np

from ..registry import CheckFailed, as_array, check, close, scalar, unpack
from ..registry import distinct as distinct_text
from ..sandbox import Callback, Opaque, Recorder, Rng

A = "08_babysitting"
SIGMAS = 6
KS_LIMIT = 3.1  # sqrt(n) times the Kolmogorov-Smirnov distance a uniform sample exceeds with probability ~1e-8


# ---------------------------------------------------------------- shared helpers


def truth(label, got):
    """A bool (Python's or numpy's)."""
    if not isinstance(got, (bool, np.bool_)):
        raise CheckFailed(f"{label} should be True or False but is {type(got).__name__} {got!r:.60}")
    return bool(got)


def log_values_uniform(label, values, low, high, what="the draws"):
    """Fail unless log10(values) looks uniform on [log10(low), log10(high)]."""
    values = np.asarray(values, dtype=np.float64)
    # Up to a relative 1e-9: 10 ** log10(x) may miss x by a rounding step (the docstring says so).
    if not np.all(np.isfinite(values)) or values.min() < low * (1 - 1e-9) or values.max() > high * (1 + 1e-9):
        raise CheckFailed(f"{label}: {what} range from {np.min(values):.4g} to {np.max(values):.4g}, outside "
                          f"[{low:g}, {high:g}]" + (" (a natural log mixed with a base-10 power, or the other way "
                                                     "round?)" if np.min(values) > 0 else ""))
    lo, hi = np.log10(low), np.log10(high)
    u = (np.log10(values) - lo) / (hi - lo)  # uniform on [0, 1] if the draws are log-uniform
    n = len(u)
    if n > 1 and np.all(u == u[0]):
        raise CheckFailed(f"{label}: every one of {what} is the same value {values[0]:.4g}; each needs its own draw")
    d = float(np.max(np.abs(np.sort(u) - (np.arange(n) + 0.5) / n)) + 0.5 / n)  # Kolmogorov-Smirnov distance
    if d * np.sqrt(n) > KS_LIMIT:
        mean = float(np.mean(u))
        if mean > 0.5 + SIGMAS / np.sqrt(12 * n):
            why = (f"their logarithms crowd towards log10(high): {np.mean(u > 0.5):.0%} lie in the upper half of "
                   f"the orders of magnitude, where half of them should. That is what uniform draws on "
                   f"[low, high] do; it is the exponent that should be uniform (see the docstring)")
        else:
            why = (f"log10 of {what} should be uniform on [{lo:g}, {hi:g}], but their distribution is off by "
                   f"{d:.3f} (Kolmogorov-Smirnov distance; at most {KS_LIMIT / np.sqrt(n):.3f} for {n} draws)")
        raise CheckFailed(f"{label}: {why}")


def same_values(a, b):
    return np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a, dtype=np.float64),
                                                         np.asarray(b, dtype=np.float64))


# ---------------------------------------------------------------- sanity checks

_fixed = np.random.default_rng(808)
X_SMALL, Y_SMALL = _fixed.standard_normal((30, 6)), _fixed.integers(0, 10, 30)


def initial_loss_case(lib, loss, num_classes, rel_tol=None):
    recorder = Recorder(lambda X, y: (loss, {"W1": np.zeros(3)}), like=(X_SMALL, Y_SMALL))
    kwargs = {} if rel_tol is None else {"rel_tol": rel_tol}
    label = (f"initial_loss_check(loss_fn, X, y, num_classes={num_classes}"
             + ("" if rel_tol is None else f", rel_tol={rel_tol}") + f") with a loss_fn giving {loss:.4f}")
    result = lib.call("tuning.initial_loss_check", Callback(0), X_SMALL, Y_SMALL, num_classes,
                      callbacks={0: recorder}, **kwargs)
    got_loss, expected, ok = unpack(label, result, 3)
    if len(recorder.calls) != 1:
        raise CheckFailed(f"{label}: loss_fn was called {len(recorder.calls)} times; call it once, on X and y")
    X, y = recorder.calls[0]
    if not (same_values(X, X_SMALL) and same_values(y, Y_SMALL)):
        raise CheckFailed(f"{label}: loss_fn should be called on the X and y given")
    close(f"{label}: loss (the first value loss_fn returns)", scalar(f"{label}: loss", got_loss), loss, 1e-12)
    want = np.log(num_classes)
    expected = scalar(f"{label}: expected", expected)
    if not np.isclose(expected, want, rtol=1e-9, atol=0):
        hint = next((f" (that is log{base}({num_classes}); the cross-entropy uses the natural logarithm, np.log)"
                     for base, f in (("10", np.log10), ("2", np.log2)) if np.isclose(expected, f(num_classes))), "")
        raise CheckFailed(f"{label}: expected is {expected:.6g}, but the loss of a uniform softmax over "
                          f"{num_classes} classes is log({num_classes}) = {want:.6g}{hint}")
    return truth(f"{label}: ok", ok), label


@check(A, points=1, tags=["tuning.initial_loss_check"])
def initial_loss_check(lib):
    for loss, C, tol, want in [(np.log(10) * 1.05, 10, None, True), (np.log(10) * 0.85, 10, None, False),
                               (np.log(10) * 1.15, 10, None, False), (np.log(5) * 1.3, 5, 0.4, True),
                               (np.log(5) * 1.3, 5, 0.2, False), (np.log(3) * 0.7, 3, 0.35, True)]:
        ok, label = initial_loss_case(lib, loss, C, tol)
        if ok != want:
            off = abs(loss - np.log(C)) / np.log(C)
            raise CheckFailed(f"{label}: ok is {ok}, but the loss is {off:.0%} away from log({C}) and the tolerance "
                              f"is {0.1 if tol is None else tol:.0%} of log({C}), on either side")


# What the network overfit_small_subset trains is made of: the layers of notebook 00 and He's init (03).
NETWORK = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "he_init"]


def random_labels_task(seed, n=120, d=8, c=4):
    rng = np.random.default_rng(seed)
    return {"X_train": rng.standard_normal((n, d)), "y_train": rng.integers(0, c, n)}


def network_params(lib, model, label, D, hidden, C):
    """The params of the student's 1-hidden-layer network, read out of the worker and checked
    for form: W1 (D, hidden), b1 (hidden,), W2 (hidden, C), b2 (C,)."""
    params = lib.attribute(model, "params")
    if not isinstance(params, dict):
        raise CheckFailed(f"{label}: model.params should be a dict of arrays but is {type(params).__name__}")
    shapes = {"W1": (D, hidden), "b1": (hidden,), "W2": (hidden, C), "b2": (C,)}
    for key in shapes:
        if key not in params:
            raise CheckFailed(f"{label}: model.params has no {key!r}")
    return {key: as_array(f"{label}: model.params[{key!r}]", params[key], shape) for key, shape in shapes.items()}


def accuracy_and_loss(params, X, y):
    """What the grader itself makes of a network with these params (affine, ReLU, affine) on
    (X, y): its accuracy and its mean softmax cross-entropy, without regularization."""
    with np.errstate(all="ignore"):
        scores = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
        picked = np.take_along_axis(scores, y[:, None], axis=1)[:, 0]
        nll = np.logaddexp.reduce(scores, axis=1) - picked
    return float(np.mean(np.argmax(scores, axis=1) == y)), float(np.mean(nll))


def overfit(lib, data, num_examples, seed, label, reg=1.0, hidden=32, num_epochs=150):
    """Runs overfit_small_subset on a fresh network of the student's fc_net; checks the
    shapes and the bookkeeping of what comes back, and recomputes what the function reports
    about its own work: the accuracy and the loss of the network it returns, on the examples
    it says it used. Returns (indices, accuracy, (loss before, loss after training))."""
    D, C = data["X_train"].shape[1], int(data["y_train"].max()) + 1
    model = lib.call("fc_net.FullyConnectedNet", [hidden], input_dim=D, num_classes=C, weight_scale="he",
                     reg=reg, seed=seed)
    if not isinstance(model, Opaque):
        raise CheckFailed(f"{label}: fc_net.FullyConnectedNet did not build a network")
    before = network_params(lib, model, f"{label}, before training", D, hidden, C)
    result = lib.call("tuning.overfit_small_subset", model, data, num_examples=num_examples,
                      num_epochs=num_epochs, learning_rate=0.3, seed=seed)
    indices, train_acc, losses = unpack(label, result, 3)
    indices = as_array(f"{label}: indices", indices, (num_examples,))
    if not np.all(indices == np.round(indices)) or indices.min() < 0 or indices.max() >= len(data["X_train"]):
        raise CheckFailed(f"{label}: indices should be row numbers of X_train, 0 to {len(data['X_train']) - 1}")
    if len(np.unique(indices)) != num_examples:
        raise CheckFailed(f"{label}: indices repeat a row; pick {num_examples} different examples "
                          "(without replacement)")
    losses = as_array(f"{label}: loss_history", losses)
    if losses.ndim != 1 or len(losses) != num_epochs:
        raise CheckFailed(f"{label}: loss_history has {losses.size} entries; training on the {num_examples} "
                          f"examples as one batch for {num_epochs} epochs makes {num_epochs} steps")
    indices = indices.astype(int)
    X, y = data["X_train"][indices], data["y_train"][indices]
    _, first = accuracy_and_loss(before, X, y)
    close(f"{label}: loss_history[0], against the loss of the untrained network on the chosen examples "
          "(regularization off)", losses[0], first, 1e-6)
    acc, last = accuracy_and_loss(network_params(lib, model, f"{label}, after training", D, hidden, C), X, y)
    reported = scalar(f"{label}: train_acc", train_acc)
    if abs(reported - acc) > 1e-9:
        reported_text, acc_text = distinct_text(reported, acc, 4)
        raise CheckFailed(f"{label}: train_acc is {reported_text}, but the trained network classifies {acc_text} of "
                          "the examples it trained on correctly; measure the accuracy on those examples")
    return indices, acc, (first, last)


@check(A, points=2, tags=["tuning.overfit_small_subset"], requires=NETWORK)
def overfit_small_subset(lib):
    data = random_labels_task(1)  # random labels: only memorising fits them
    for num_examples, seed in [(20, 3), (30, 4)]:
        label = (f"overfit_small_subset(a 1-hidden-layer net with reg=1.0, random labels, num_examples="
                 f"{num_examples}, num_epochs=150, learning_rate=0.3, seed={seed})")
        indices, acc, losses = overfit(lib, data, num_examples, seed, label)
        if acc != 1.0:
            raise CheckFailed(f"{label}: the trained network classifies {acc:.3f} of its examples correctly; a network this size memorises {num_examples} examples "
                              "when nothing holds it back. Is the regularization switched off (model.reg = 0) and "
                              "the accuracy measured on the examples it trained on?")
        if not losses[1] < losses[0]:  # (the Solver keeps the best params, not the last: no more than this)
            raise CheckFailed(f"{label}: the trained network's loss on its examples went from {losses[0]:.3f} to "
                              f"{losses[1]:.3f}; training should lower it")
    label = "overfit_small_subset(..., num_examples=20)"
    first, _, _ = overfit(lib, data, 20, 5, label + " with seed 5", num_epochs=5)
    again, _, _ = overfit(lib, data, 20, 5, label + " with seed 5", num_epochs=5)
    other, _, _ = overfit(lib, data, 20, 6, label + " with seed 6", num_epochs=5)
    if not np.array_equal(first, again):
        raise CheckFailed(f"{label}: the same seed picked different examples; draw them from "
                          "np.random.default_rng(seed)")
    if np.array_equal(np.sort(first), np.sort(other)):
        raise CheckFailed(f"{label}: seeds 5 and 6 picked the same examples; pick them at random with the seed")


@check(A, points=1, tags=["tuning.overfit_small_subset"])
def overfit_restores_regularization(lib):
    """The caller's model as the call left it: its reg is back to what it was."""
    data = random_labels_task(2)
    for reg in (0.7, 3.0):
        label = f"overfit_small_subset(a net with reg={reg:g}, ..., num_examples=10, num_epochs=3)"
        model = lib.call("fc_net.FullyConnectedNet", [16], input_dim=8, num_classes=4, reg=reg, seed=1)
        if not isinstance(model, Opaque):
            raise CheckFailed(f"{label}: fc_net.FullyConnectedNet did not build a network")
        lib.call("tuning.overfit_small_subset", model, data, num_examples=10, num_epochs=3, seed=2)
        after = scalar(f"{label}: model.reg after the call", lib.attribute(model, "reg"))
        if after != reg:
            raise CheckFailed(f"{label}: model.reg is {after:g} after the call, but the caller set {reg:g}; switch "
                              "the regularization off for the training only and restore it at the end")


# ---------------------------------------------------------------- reading a loss curve

_curve = np.random.default_rng(818)
T = np.arange(300)
NOISE = 0.03 * _curve.standard_normal(300)
DECAYING = 2.0 * np.exp(-T / 60) + 0.3 + NOISE
FLAT = 2.3 - 2e-4 * T + NOISE
EXPLODING = 2.3 * np.exp(T / 80) + NOISE
CREEPING_UP = 2.3 + 1e-3 * T + NOISE  # rises to 2.6, far below explode_factor times 2.3: still too large
NAN_AT_END = np.append(2.3 - 0.004 * np.arange(40), np.nan)
SPIKE_AT_END = np.append(DECAYING[:-1], 3.0)  # one noisy minibatch: the last tenth's mean still fell
SPIKE_AT_START = np.concatenate([[2.3, 40.0, 900.0, 60.0], 1.5 + NOISE[:200]])  # exploded, then came back down
BUMP = np.where(T == 100, 2.5 * DECAYING[0], DECAYING)  # one bad minibatch, 2.5 times the first loss
SMALL_SCALE = 0.01 * DECAYING  # a loss measured in other units: what counts is the relative decrease
TEN_PERCENT = np.linspace(1.0, 0.9, 100) + 0.002 * _curve.standard_normal(100)

DIAGNOSES = [  # (what, loss_history, min_decrease or None, verdict)
    ("a loss that falls from 2.3 to 0.3", DECAYING, None, "reasonable"),
    ("a loss that barely moves (2.30 to 2.24)", FLAT, None, "too small"),
    ("a loss that grows exponentially", EXPLODING, None, "too large"),
    ("a loss that creeps up from 2.3 to 2.6 (it never explodes)", CREEPING_UP, None, "too large"),
    ("a loss that ends in NaN", NAN_AT_END, None, "too large"),
    ("a loss that ends in inf", np.append(NAN_AT_END[:-1], np.inf), None, "too large"),
    ("a falling loss whose very last minibatch is a noisy 3.0", SPIKE_AT_END, None, "reasonable"),
    ("a loss that jumps from 2.3 to 900, then settles near 1.5", SPIKE_AT_START, None, "too large"),
    ("a falling loss with one minibatch at 2.5 times the first loss", BUMP, None, "reasonable"),
    ("a loss that falls from 0.023 to 0.003", SMALL_SCALE, None, "reasonable"),
    ("a loss that falls by 10%", TEN_PERCENT, None, "reasonable"),
    ("a loss that falls by 10%", TEN_PERCENT, 0.2, "too small"),
    ("a single loss value", np.array([2.3]), None, "too small"),
]
EXPLODE_FACTOR_2 = ("a falling loss with one minibatch at 2.5 times the first loss", BUMP, 2.0, "too large")


def diagnosis_matches(lib, what, history, min_decrease, want, explode_factor=None):
    kwargs = {} if min_decrease is None else {"min_decrease": min_decrease}
    if explode_factor is not None:
        kwargs["explode_factor"] = explode_factor
    label = f"diagnose_learning_rate({what}" + "".join(f", {k}={v:g}" for k, v in kwargs.items()) + ")"
    got = lib.call("tuning.diagnose_learning_rate", list(map(float, history)), **kwargs)
    if got not in ("too small", "too large", "reasonable"):
        raise CheckFailed(f"{label} returned {got!r:.60}; return one of 'too small', 'too large', 'reasonable'")
    if got != want:
        window = max(1, len(history) // 10)
        start, end = np.mean(history[:window]), np.mean(history[-window:])
        raise CheckFailed(f"{label} is {got!r}, it should be {want!r}: the first tenth's mean (of {window} steps: "
                          f"{len(history)} // 10, at least 1) is {start:.4g}, the last tenth's {end:.4g}, the largest "
                          f"loss {np.max(history):.4g} times the first "
                          f"{np.max(history) / history[0]:.3g}" + (" (a NaN or inf means the run exploded)"
                                                                     if not np.all(np.isfinite(history)) else ""))


@check(A, points=2, tags=["tuning.diagnose_learning_rate"])
def diagnose_learning_rate(lib):
    for what, history, min_decrease, want in DIAGNOSES:
        diagnosis_matches(lib, what, history, min_decrease, want)
    what, history, _, want = EXPLODE_FACTOR_2
    diagnosis_matches(lib, what, history, None, want, explode_factor=2.0)


# ---------------------------------------------------------------- log-uniform sampling


def drawn(lib, seed, low, high, size, label):
    out = lib.call("tuning.log_uniform", Rng(seed), low, high, size=size)
    if size is not None:
        return as_array(label, out, (size,) if isinstance(size, int) else size)
    return scalar(label, out)


@check(A, points=2, tags=["tuning.log_uniform"])
def log_uniform(lib):
    for low, high in [(1e-5, 1e-1), (2.0, 500.0)]:
        label = f"log_uniform(rng, {low:g}, {high:g}, size=20000)"
        values = drawn(lib, 0, low, high, 20000, label)
        log_values_uniform(label, values, low, high)
    label = "log_uniform(rng, 1e-5, 1e-1, size=(4, 3))"
    drawn(lib, 1, 1e-5, 1e-1, (4, 3), label)
    one = drawn(lib, 2, 1e-5, 1e-1, None, "log_uniform(rng, 1e-5, 1e-1) (size None: one number)")
    if not 1e-5 * (1 - 1e-9) <= one <= 1e-1 * (1 + 1e-9):  # a rounding step outside counts as inside
        raise CheckFailed(f"log_uniform(rng, 1e-5, 1e-1) returned {one:.4g}, outside [1e-5, 1e-1]")
    label = "log_uniform(rng, 0.01, 0.01, size=3)"
    close(f"{label} (low = high: every draw is 0.01)", drawn(lib, 3, 0.01, 0.01, 3, label), [0.01] * 3, 1e-12)
    first, again = (drawn(lib, 4, 1e-3, 1.0, 50, "log_uniform(rng seeded 4, 1e-3, 1, size=50)") for _ in range(2))
    other = drawn(lib, 5, 1e-3, 1.0, 50, "log_uniform(rng seeded 5, 1e-3, 1, size=50)")
    if not np.array_equal(first, again):
        raise CheckFailed("log_uniform: two generators with the same seed gave different draws; draw from rng, "
                          "not from np.random")
    if np.array_equal(first, other):
        raise CheckFailed("log_uniform: generators with different seeds gave the same draws; use the rng you are given")


# ---------------------------------------------------------------- random and grid search


def score_of(config):
    """A smooth objective of a config: any function of the values serves, the grader knows it."""
    return float(sum(np.sin(3 * np.log10(v)) if v > 0 else v for v in config.values()))


def searched(lib, func, space, num_trials, label, **kwargs):
    """(configs, scores, recorder) of a search, after checking that each trial reports the
    config objective saw, in order, and the score objective gave it."""
    recorder = Recorder(score_of)
    trials = lib.call(f"tuning.{func}", Callback(0), space, num_trials, callbacks={0: recorder}, **kwargs)
    if not isinstance(trials, (list, tuple)):
        raise CheckFailed(f"{label} should return a list of (config, score) tuples but returned "
                          f"{type(trials).__name__}")
    seen = [call[0] for call in recorder.calls]
    if len(trials) != len(seen):
        raise CheckFailed(f"{label} called objective {len(seen)} times but returned {len(trials)} trials; "
                          "return one (config, score) for every call")
    configs, scores = [], []
    for i, (trial, evaluated) in enumerate(zip(trials, seen)):
        config, score = unpack(f"{label}: trial {i}", trial, 2)
        if not isinstance(config, dict) or set(config) != set(space):
            raise CheckFailed(f"{label}: the config of trial {i} should be a dict with the keys {sorted(space)}, "
                              f"got {config!r:.80}")
        if config != evaluated:
            raise CheckFailed(f"{label}: trial {i} reports the config {config} but objective was called with "
                              f"{evaluated}")
        close(f"{label}: the score of trial {i}", scalar(f"{label}: the score of trial {i}", score),
              score_of(evaluated), 1e-12, "what objective returned")
        configs.append([scalar(f"{label}: config[{name!r}]", config[name]) for name in space])
        scores.append(score)
    return np.array(configs).reshape(len(configs), len(space)), np.array(scores), recorder


SPACE = {"learning_rate": ("log", 1e-6, 1e-1), "keep_ratio": ("linear", 0.2, 0.9)}


def random_configs_match(label, configs, space):
    """Each column drawn on its scale, the columns independent of each other."""
    n = len(configs)
    for j, (name, (scale, low, high)) in enumerate(space.items()):
        values = configs[:, j]
        if scale != "linear":
            log_values_uniform(label, values, low, high, f"the values of {name!r} (scale 'log')")
        else:
            if values.min() < low or values.max() > high:
                raise CheckFailed(f"{label}: {name!r} ranges from {values.min():.4g} to {values.max():.4g}, outside "
                                  f"[{low:g}, {high:g}]")
            u = np.sort((values - low) / (high - low))
            d = float(np.max(np.abs(u - (np.arange(n) + 0.5) / n)) + 0.5 / n)
            if d * np.sqrt(n) > KS_LIMIT:
                raise CheckFailed(f"{label}: the values of {name!r} (scale 'linear') should be uniform on "
                                  f"[{low:g}, {high:g}], but their distribution is off by {d:.3f} (Kolmogorov-Smirnov "
                                  f"distance; at most {KS_LIMIT / np.sqrt(n):.3f} for {n} draws)")
    ranks = np.argsort(np.argsort(configs, axis=0), axis=0)
    if configs.shape[1] > 1:
        r = np.corrcoef(ranks, rowvar=False)[np.triu_indices(configs.shape[1], 1)]
        if np.max(np.abs(r)) > SIGMAS / np.sqrt(n):
            raise CheckFailed(f"{label}: the hyperparameters of a config are correlated (rank correlation "
                              f"{r[np.argmax(np.abs(r))]:.2f}); each needs its own draw")


def seeded(lib, func, space, label):
    first, _, _ = searched(lib, func, space, 4, label, seed=7)
    again, _, _ = searched(lib, func, space, 4, label, seed=7)
    other, _, _ = searched(lib, func, space, 4, label, seed=8)
    if not np.array_equal(first, again):
        raise CheckFailed(f"{label}: the same seed gave different configs; draw them from np.random.default_rng(seed)")
    if np.array_equal(first, other):
        raise CheckFailed(f"{label}: seeds 7 and 8 gave the same configs; use the seed")
    if len(np.unique(first, axis=0)) != len(first):
        raise CheckFailed(f"{label}: two trials got the same config; draw a new config for every trial")


@check(A, points=2, tags=["tuning.random_search", "tuning.log_uniform"], timeout=30.0,
       requires=["log_uniform"])  # 600 round trips
def random_search(lib):
    label = "random_search(objective, {learning_rate: log 1e-6..1e-1, keep_ratio: linear 0.2..0.9}, 600)"
    configs, _, recorder = searched(lib, "random_search", SPACE, 600, label, seed=0)
    if len(recorder.calls) != 600:
        raise CheckFailed(f"{label} called objective {len(recorder.calls)} times; the budget is 600 trials")
    random_configs_match(label, configs, SPACE)
    seeded(lib, "random_search", SPACE, "random_search(objective, space, 4, seed=7 or 8)")


def grid_values(scale, low, high, k):
    """The k grid values from low to high, evenly spaced on the scale: an independent
    formulation (the docstring's np.geomspace / np.linspace are the student's to call)."""
    steps = np.arange(k) / max(k - 1, 1)
    return low * (high / low) ** steps if scale == "log" else low + (high - low) * steps


def distinct(values):
    """The sorted values, each once, counting values within 1e-9 (relative) of each other as one."""
    values = np.sort(values)
    keep = np.append(True, np.abs(np.diff(values)) > 1e-9 * np.maximum(np.abs(values[1:]), 1e-12))
    return values[keep]


def grid_matches(label, configs, space, num_trials):
    d = len(space.keys())
    k = int(np.floor(num_trials ** (1 / d) + 1e-9))
    if len(configs) != k**d:
        more = len(configs) > num_trials
        raise CheckFailed(f"{label} ran {len(configs)} trials; with {d} hyperparameters and a budget of {num_trials} "
                          f"the grid has k = {k} values each, k**{d} = {k**d} trials (k is the largest integer with "
                          f"k**{d} <= {num_trials}" + (", so the grid never exceeds the budget)" if more else
                                                         "; beware 64 ** (1 / 3) = 3.9999999999999996 in floats)"))
    want = np.array(np.meshgrid(*[grid_values(*spec, k) for spec in space.values()], indexing="ij")).reshape(d, -1).T
    order = np.lexsort(configs.T[::-1])
    got = configs[order]
    want = want[np.lexsort(want.T[::-1])]
    for j, (name, (scale, low, high)) in enumerate(space.items()):
        values = distinct(got[:, j])
        if len(values) > k or len(values) == k and not np.allclose(values, np.sort(grid_values(scale, low, high, k)),
                                                                   rtol=1e-9, atol=0):
            fn = "np.geomspace" if scale == "log" else "np.linspace"
            raise CheckFailed(f"{label}: {name!r} takes the values {np.array2string(values[:6], precision=4)}, but on "
                              f"its {scale} scale the grid's {k} values are {fn}({low:g}, {high:g}, {k}) = "
                              f"{np.array2string(grid_values(scale, low, high, k), precision=4)}")
    close(f"{label}: the grid's configs (sorted)", got, want, 1e-9, "every combination of the grid values")


@check(A, points=2, tags=["tuning.grid_search"])
def grid_search(lib):
    cases = [({"learning_rate": ("log", 1e-4, 1e-1), "reg": ("log", 1e-5, 1e-1)}, 16),
             ({"learning_rate": ("log", 1e-4, 1e-1), "keep_ratio": ("linear", 0.5, 1.0)}, 20),
             ({"a": ("log", 1e-3, 1.0), "b": ("linear", 0.0, 3.0), "c": ("log", 2.0, 32.0)}, 64),
             ({"learning_rate": ("log", 1e-6, 1e-2)}, 5)]
    for space, budget in cases:
        text = ", ".join(f"{n}: {s} {lo:g}..{hi:g}" for n, (s, lo, hi) in space.items())
        label = f"grid_search(objective, {{{text}}}, {budget})"
        configs, _, _ = searched(lib, "grid_search", space, budget, label)
        grid_matches(label, configs, space, budget)


# ---------------------------------------------------------------- coarse to fine

C2F_SPACE = {"learning_rate": ("log", 1e-5, 1.0), "keep_ratio": ("linear", 0.3, 1.0)}
C2F_TRIALS = [  # (config, score): the best three are marked
    ({"learning_rate": 2e-4, "keep_ratio": 0.95}, 0.41),
    ({"learning_rate": 3e-3, "keep_ratio": 0.62}, 0.78),  # best
    ({"learning_rate": 0.5, "keep_ratio": 0.71}, float("nan")),  # diverged
    ({"learning_rate": 1e-2, "keep_ratio": 0.85}, 0.74),  # third
    ({"learning_rate": 2e-5, "keep_ratio": 0.35}, 0.12),
    ({"learning_rate": 6e-4, "keep_ratio": 0.55}, 0.76),  # second
    ({"learning_rate": 0.2, "keep_ratio": 0.45}, 0.33),
]


def narrowed(lib, trials, space, top_k, label, want):
    kwargs = {} if top_k is None else {"top_k": top_k}
    got = lib.call("tuning.coarse_to_fine", trials, space, **kwargs)
    if not isinstance(got, dict) or set(got) != set(space):
        raise CheckFailed(f"{label} should return a dict with the keys {sorted(space)}, got {got!r:.100}")
    for name in space:
        scale, low, high = space[name]
        spec = unpack(f"{label}[{name!r}]", got[name], 3)
        if spec[0] != scale:
            raise CheckFailed(f"{label}[{name!r}] has scale {spec[0]!r}; keep the scale of the space, {scale!r}")
        new_low, new_high = scalar(f"{label}[{name!r}] low", spec[1]), scalar(f"{label}[{name!r}] high", spec[2])
        if new_low < low or new_high > high:
            raise CheckFailed(f"{label}[{name!r}] is {new_low:.4g}..{new_high:.4g}, wider than the old range "
                              f"{low:g}..{high:g}: coarse-to-fine narrows the range to where the best trials were")
        close(f"{label}[{name!r}] (low, high)", [new_low, new_high], want[name], 1e-9,
              f"the smallest and largest {name} of the {top_k or 3} best trials")


@check(A, points=2, tags=["tuning.coarse_to_fine"])
def coarse_to_fine(lib):
    label = "coarse_to_fine(7 trials, one of them NaN (diverged), space, top_k=3)"
    narrowed(lib, C2F_TRIALS, C2F_SPACE, None, label, {"learning_rate": (6e-4, 1e-2), "keep_ratio": (0.55, 0.85)})
    label = "coarse_to_fine(7 trials, space, top_k=2)"
    narrowed(lib, C2F_TRIALS, C2F_SPACE, 2, label, {"learning_rate": (6e-4, 3e-3), "keep_ratio": (0.55, 0.62)})
    label = "coarse_to_fine(7 trials, space, top_k=5)"
    narrowed(lib, C2F_TRIALS, C2F_SPACE, 5, label, {"learning_rate": (2e-4, 0.2), "keep_ratio": (0.45, 0.95)})
