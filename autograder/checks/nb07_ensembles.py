"""Visible checks for notebook 07_ensembles: averaging the predictions of several models,
the moving average of the parameters, and the cyclic schedule of snapshot ensembles.

The inputs are small and fixed, and chosen so that the usual mistakes give different
answers from the right one: averaging scores instead of probabilities, a majority vote
instead of an average, a softmax over the wrong axis, counting a model's agreement with
itself, the moving average's two weights swapped, a cycle that starts one epoch late.
Expected values are written out below from the formulas in the docstrings.
"""

import math

import numpy as np

from ..registry import CheckFailed, as_array, check, close, scalar
from ..sandbox import Opaque, arrays_in

A = "07_ensembles"


def softmax(scores):
    """Row-wise softmax of float64 scores, as exp(s - logsumexp(s)) (the grader's own formulation)."""
    s = np.array(scores, dtype=float)
    return np.exp(s - np.logaddexp.reduce(s, axis=-1, keepdims=True))


# Three models, four examples, three classes. Example 0: one model is sure of class 0 while
# the other two lean slightly to class 1 (majority vote: 1; average probability: 0).
# Example 1: one model's huge score for class 2 outweighs the others' average score but not
# their probabilities (average score: 2; average probability: 0).
SCORES = np.array([
    [[9.0, 0.0, 0.0], [0.0, -1.0, 24.0], [0.5, 1.0, 0.2], [-2.0, 3.0, 1.0]],
    [[0.0, 0.3, 0.1], [3.0, 0.0, 0.0], [0.1, 0.0, 0.9], [1.0, 1.0, 1.0]],
    [[0.0, 0.3, 0.0], [3.0, 0.0, 0.0], [2.0, -1.0, 0.0], [0.0, 2.0, 4.0]],
])
PROBS = softmax(SCORES).mean(axis=0)
LABELS = [0, 0, 0, 1]


def describe_scores(scores):
    K, N, C = np.shape(scores)
    return f"average_probabilities(scores of {K} models, {N} examples, {C} classes)"


def probabilities(lib, scores, label):
    """The student's ensemble probabilities for ``scores``, checked for shape and sums."""
    K, N, C = np.shape(scores)
    probs, (after,) = lib.call("ensembles.average_probabilities", scores, return_args=True)
    if isinstance(scores, np.ndarray) and not np.array_equal(np.asarray(after), scores):
        raise CheckFailed(f"{label} changed scores in place (the caller's array); subtract the maximum into a new "
                          "array: shifted = scores - scores.max(...), not scores -= ...")
    probs = as_array(f"{label}: probs", probs, (N, C))
    if not np.all(np.isfinite(probs)):
        raise CheckFailed(f"{label}: probs contains inf or nan; subtract each row's maximum score before "
                          "exponentiating, so that exp never overflows")
    return probs


def probabilities_match(lib, scores, label, tol=1e-9, floor=1e-9):
    """Compare with the average of the models' softmaxes; name the usual mistakes."""
    scores64 = np.asarray(scores, dtype=np.float64)
    want = softmax(scores64).mean(axis=0)
    got = probabilities(lib, scores, label)
    hints = [(softmax(scores64.mean(axis=0)), "the softmax of the average scores: average the PROBABILITIES, "
                                              "i.e. take each model's softmax first, then the mean over models"),
             (softmax(np.moveaxis(scores64, 0, -1)).mean(axis=-1), "a softmax across the models (axis 0); the "
                                                                   "softmax runs over the classes (the last axis)"),
             (scores64.mean(axis=0), "the average scores, with no softmax")]
    if not np.allclose(got, want, rtol=10 * tol, atol=10 * tol):
        for value, why in hints:
            if np.shape(value) == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
                raise CheckFailed(f"{label}: probs is {why}")
        sums = got.sum(axis=1)
        if not np.allclose(sums, 1, atol=1e-6):
            raise CheckFailed(f"{label}: the rows of probs sum to {sums.min():.4g} .. {sums.max():.4g}; each row is a "
                              "probability distribution over the classes and sums to 1")
    close(f"{label}: probs", got, want, tol, floor=floor)


@check(A, points=2, tags=["ensembles.average_probabilities"])
def average_probabilities(lib):
    probabilities_match(lib, SCORES, describe_scores(SCORES))
    close(f"{describe_scores(SCORES)}: probs", probabilities(lib, SCORES, describe_scores(SCORES)),
          [[0.5292354653665131, 0.2645923746014453, 0.20617216003204164],
           [0.6062953323544118, 0.0301856671670487, 0.36351900047853963],
           [0.4603095445399443, 0.24916449804977944, 0.29052595741027626],
           [0.11836977457056762, 0.44208145207420646, 0.4395487733552259]], 1e-9)
    one = SCORES[:1]
    close(f"{describe_scores(one)} (one model: its own softmax)", probabilities(lib, one, describe_scores(one)),
          softmax(one[0]), 1e-9)
    as_list = [s for s in SCORES]
    close("average_probabilities(a list of 3 score arrays (4, 3)): probs",
          probabilities(lib, as_list, "average_probabilities(a list of 3 score arrays (4, 3))"), PROBS, 1e-9)
    big = 1000 * np.array([[[1.0, -1.0], [0.0, 1.0]], [[-1.0, 0.5], [1.0, 1.0]]])
    probabilities_match(lib, big, f"{describe_scores(big)} of size 1000 (exp(1000) overflows)")


@check(A, points=1, tags=["ensembles.ensemble_predict"])
def ensemble_predict(lib):
    label = "ensemble_predict(scores of 3 models, 4 examples, 3 classes)"
    got = as_array(f"{label}: y_pred", lib.call("ensembles.ensemble_predict", SCORES), (4,))
    if got[0] == 1:
        raise CheckFailed(f"{label}: y_pred is {got.astype(int).tolist()}: on example 0 two of three models "
                          "prefer class 1 (a majority vote), but one model is so sure of class 0 that the "
                          "average probability of class 0 is highest; predict the class of highest average "
                          "probability")
    if got[1] == 2:
        raise CheckFailed(f"{label}: y_pred[1] is 2, the class of highest average SCORE (one model's score of 24 "
                          "dominates the mean); predict the class of highest average PROBABILITY")
    if not np.array_equal(got, LABELS):
        raise CheckFailed(f"{label}: y_pred is {got.astype(int).tolist()}, expected {LABELS} (the classes of highest average "
                          "probability)")
    big = np.array([[[0.0, -1000.0, 1000.0]], [[990.0, 0.0, 1000.0]]])
    label = "ensemble_predict(scores [[0, -1000, 1000]] and [[990, 0, 1000]] of 2 models)"
    got = as_array(f"{label}: y_pred", lib.call("ensembles.ensemble_predict", big), (1,))
    if got[0] != 2:  # average probabilities (e^-10 / 2, 0, 1 - e^-10 / 2)
        raise CheckFailed(f"{label} is {got.astype(int).tolist()}, expected [2]: both models give class 2 a probability of about "
                          "1, but exp(1000) overflows to inf, and inf / inf is nan; subtract each row's maximum score")


DISAGREEMENT_CASES = [
    ([[0, 1, 2, 3, 4], [0, 1, 2, 3, 0], [1, 1, 2, 0, 0]], 0.4,
     "3 models: pairs (0, 1), (0, 2), (1, 2) differ on 1/5, 3/5 and 2/5 of the examples"),
    ([[0, 0, 1, 1], [0, 1, 1, 0]], 0.5, "2 models that differ on 2 of 4 examples"),
    ([[2, 2, 5], [2, 2, 5], [2, 2, 5], [2, 2, 5]], 0.0, "4 identical models"),
    ([[0, 1], [1, 0], [0, 1], [1, 0]], 4 / 6, "4 models, two pairs of copies that always differ from each other"),
]


@check(A, points=1, tags=["ensembles.disagreement"])
def disagreement(lib):
    for preds, want, what in DISAGREEMENT_CASES:
        label = f"disagreement({what})"
        got = scalar(label, lib.call("ensembles.disagreement", np.array(preds)))
        K = len(preds)
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            if want and any(math.isclose(got, want * (K - 1) / n, rel_tol=1e-9) for n in (K, K + 1)):
                raise CheckFailed(f"{label} is {got:.4g}, expected {want:.4g}: it counts each model's agreement "
                                  "with itself; average over pairs of DISTINCT models only")
            raise CheckFailed(f"{label} is {got:.6g}, expected {want:.6g}")


# Two parameters, two steps, decay 0.9.
EMA0 = {"W": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), "b": np.array([0.5, 0.0, -0.5])}
PARAMS1 = {"W": np.array([[2.0, -2.0, 1.5], [1.0, 1.0, -1.0]]), "b": np.array([-0.5, 1.0, 0.5])}
PARAMS2 = {"W": np.array([[0.0, 0.0, 0.0], [10.0, -10.0, 2.0]]), "b": np.array([1.0, 1.0, 1.0])}


def ema_call(lib, ema, params, decay, label):
    """The student's ema_update, with checks that params is left alone and every key is there."""
    result, (ema_after, params_after, _), shared = lib.call("ensembles.ema_update", ema, params, decay, shared=True)
    if not isinstance(result, dict):
        raise CheckFailed(f"{label} should return a dict name -> array, but returned {type(result).__name__}")
    if set(result) != set(params):
        raise CheckFailed(f"{label} returned the keys {sorted(result)}; it should have the keys of params, "
                          f"{sorted(params)}")
    for k in params:
        if not np.array_equal(np.asarray(params_after[k]), params[k]):
            raise CheckFailed(f"{label} changed params[{k!r}] in place; the model keeps training with its "
                              "parameters: write the average into new arrays (or into ema_params)")
    # The arrays as the sandbox counts them: the result's, key by key; the arguments' (ema_params first).
    names = [k for k in result for _ in arrays_in(result[k])]
    first = len(arrays_in(ema_after))
    for i, j in sorted(shared):
        if first <= j < first + len(arrays_in(params_after)):
            raise CheckFailed(f"{label} returned an ema[{names[i]!r}] that shares memory with params (the model's own "
                              "array, or a view of it); return copies, e.g. params[k].copy(), even when decay is 0")
    return {k: as_array(f"{label}: ema[{k!r}]", result[k], np.shape(params[k])) for k in params}


def ema_matches(label, got, want, ema, params, decay):
    for k in want:
        if not np.allclose(got[k], want[k], rtol=1e-12, atol=1e-12):
            swapped = decay * params[k] + (1 - decay) * ema[k]
            biased = decay * ema[k] + params[k]
            if np.allclose(got[k], swapped, rtol=1e-9, atol=1e-12):
                raise CheckFailed(f"{label}: ema[{k!r}] gives the weight decay = {decay:g} to the NEW parameters; "
                                  "the old average keeps weight decay, the new parameters get 1 - decay")
            if np.allclose(got[k], biased, rtol=1e-9, atol=1e-12):
                raise CheckFailed(f"{label}: ema[{k!r}] adds the whole of params[{k!r}]; weight it by 1 - decay, so "
                                  "that the two weights sum to 1 and the average stays on the parameters' scale")
        close(f"{label}: ema[{k!r}]", got[k], want[k], 1e-12)


@check(A, points=2, tags=["ensembles.ema_update"])
def ema_update(lib):
    label = "ema_update(ema_params, params, decay=0.9)"
    first = ema_call(lib, EMA0, PARAMS1, 0.9, label)
    want = {"W": np.array([[1.1, -2.0, 0.6], [0.1, 2.8, -1.0]]), "b": np.array([0.4, 0.1, -0.4])}
    ema_matches(label, first, want, EMA0, PARAMS1, 0.9)
    label = "a second ema_update(..., decay=0.9), from the result of the first"
    second = ema_call(lib, first, PARAMS2, 0.9, label)
    want2 = {"W": np.array([[0.99, -1.8, 0.54], [1.09, 1.52, -0.7]]), "b": np.array([0.46, 0.19, -0.26])}
    ema_matches(label, second, want2, first, PARAMS2, 0.9)
    label = "ema_update(ema_params, params, decay=0) (no memory: the current parameters)"
    ema_matches(label, ema_call(lib, EMA0, PARAMS1, 0.0, label), PARAMS1, EMA0, PARAMS1, 0.0)
    label = "ema_update(ema_params, params, decay=1) (the average never moves)"
    ema_matches(label, ema_call(lib, EMA0, PARAMS1, 1.0, label), EMA0, EMA0, PARAMS1, 1.0)


def schedule_values(lib, args, epochs, label):
    schedule = lib.call("ensembles.cyclic_cosine", *args)
    if not isinstance(schedule, Opaque):
        raise CheckFailed(f"{label} should return a function schedule(epoch) -> factor, "
                          f"but returned {type(schedule).__name__} {schedule!r:.60}")
    values = lib.call("schedules.factors", schedule, list(epochs))
    return [scalar(f"{label}: schedule({e})", v) for e, v in zip(epochs, values)]


def cosine_cycle(cycle_length, min_factor, epochs):
    return [min_factor + (1 - min_factor) * (1 + math.cos(math.pi * (e % cycle_length) / cycle_length)) / 2
            for e in epochs]


def schedule_matches(lib, args, epochs, label):
    got = schedule_values(lib, args, epochs, label)
    want = cosine_cycle(*args, epochs) if len(args) == 2 else cosine_cycle(args[0], 0.0, epochs)
    T = args[0]
    if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
        if got[0] < 0.5 and T > 1:
            raise CheckFailed(f"{label}: schedule(0) is {got[0]:.4g}; each cycle STARTS at factor 1 and falls along "
                              "half a cosine, (1 + cos(pi * t / cycle_length)) / 2")
        shifted = cosine_cycle(T, args[1] if len(args) == 2 else 0.0, [e + 1 for e in epochs])
        if np.allclose(got, shifted, rtol=1e-9, atol=1e-12):
            raise CheckFailed(f"{label}: the factors are one epoch ahead: epoch {T - 1} already restarts at 1. The "
                              f"place in the cycle is t = epoch mod cycle_length, from 0 to {T - 1}")
    close(f"{label}: factors for epochs {epochs[0]}..{epochs[-1]}", got, want, 1e-12, floor=1e-12)


@check(A, points=2, tags=["ensembles.cyclic_cosine"])
def cyclic_cosine(lib):
    schedule_matches(lib, (4,), list(range(10)), "cyclic_cosine(cycle_length=4)")
    got = schedule_values(lib, (4,), [0, 1, 2, 3, 4], "cyclic_cosine(cycle_length=4)")
    close("cyclic_cosine(cycle_length=4): factors for epochs 0..4", got,
          [1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 1.0], 1e-9)
    schedule_matches(lib, (5, 0.1), list(range(12)), "cyclic_cosine(cycle_length=5, min_factor=0.1)")
    schedule_matches(lib, (1,), [0, 1, 2], "cyclic_cosine(cycle_length=1) (every epoch restarts)")


@check(A, points=1, tags=["ensembles.cycle_end_epochs"])
def cycle_end_epochs(lib):
    for args, want in [((10, 3), [2, 5, 8]), ((20, 5), [4, 9, 14, 19]), ((4, 1), [0, 1, 2, 3]), ((4, 5), [])]:
        label = f"cycle_end_epochs(num_epochs={args[0]}, cycle_length={args[1]})"
        got = lib.call("ensembles.cycle_end_epochs", *args)
        try:
            got = [int(e) for e in got] if np.all(np.equal(np.mod(got, 1), 0)) else got
        except TypeError:
            raise CheckFailed(f"{label} should return a list of ints, got {type(got).__name__}") from None
        if got != want:
            hint = ""
            if got == [e + 1 for e in want if e + 1 < args[0]] or got == [e + 1 for e in want]:
                hint = (": these epochs START the next cycles; the snapshot is kept at the end of the last epoch "
                        f"of each cycle, where the learning rate is smallest (epoch {args[1] - 1} for the first)")
            raise CheckFailed(f"{label} is {got}, expected {want}{hint}")
