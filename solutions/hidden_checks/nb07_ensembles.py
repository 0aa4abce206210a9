"""Hidden checks for 07_ensembles: ensemble averaging, disagreement, the moving average of
the parameters and the snapshot schedule, compared with the reference on random sizes,
scales and dtypes, including the edges (one model, one example, scores of +-1000, float32
scores and parameters, numpy-scalar decays, cycles of length 1, training shorter than a
cycle).

Instructor-only: this folder is never released.
"""

import math

import numpy as np

from autograder.checks.nb07_ensembles import ema_call, ema_matches, probabilities_match, schedule_values
from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, as_array, check, close, precision_floor, scalar

A = "07_ensembles"


def random_scores(rng):
    """(label, scores (K, N, C)): sizes, scales and dtypes an ensemble meets."""
    K, N, C = int(rng.integers(2, 12)), int(rng.integers(5, 60)), int(rng.integers(2, 12))
    yield f"{K} models, {N} examples, {C} classes", rng.standard_normal((K, N, C)) * rng.uniform(0.5, 5)
    yield "1 model, 7 examples, 4 classes", rng.standard_normal((1, 7, 4))
    yield f"{K} models, 1 example, {C} classes", rng.standard_normal((K, 1, C)) * 3
    yield f"{K} models, {N} examples, {C} classes, scores up to +-1000", \
        rng.uniform(-1000, 1000, (K, N, C))
    yield f"{K} models, {N} examples, {C} classes, float32", \
        (rng.standard_normal((K, N, C)) * 4).astype(np.float32)
    # One confident model against two that lean mildly to another class: the majority
    # vote and the average probability disagree on every example.
    N, C = int(rng.integers(5, 30)), int(rng.integers(3, 8))
    sure, lean = rng.integers(0, C, N), rng.integers(1, C, N)
    lean = (sure + lean) % C
    scores = rng.uniform(-0.1, 0.1, (3, N, C))
    scores[0, np.arange(N), sure] += rng.uniform(5, 9, N)
    scores[1:, np.arange(N), lean] += rng.uniform(0.3, 0.6, (2, N))
    yield f"3 models, {N} examples, {C} classes, one sure and two unsure", scores


@check(A, points=2, tags=["ensembles.average_probabilities", "ensembles.ensemble_predict", "ensembles.disagreement"],
       hidden=True)
def ensemble_hidden(lib, ref, rng):
    for what, scores in random_scores(rng):
        label = f"average_probabilities(scores of {what})"
        tol = 1e-5 if scores.dtype == np.float32 else 1e-9
        probabilities_match(lib, scores, label, tol=tol, floor=precision_floor(scores))
        want = ref.ensembles.average_probabilities(scores)
        label = f"ensemble_predict(scores of {what})"
        got = as_array(f"{label}: y_pred", lib.call("ensembles.ensemble_predict", scores), want.shape[:1])
        top2 = np.sort(want, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-5  # a near-tie may go either way in float32
        wrong = clear & (got != want.argmax(axis=1))
        if wrong.any():
            n = int(np.argmax(wrong))
            raise CheckFailed(f"{label}: y_pred[{n}] is {got[n]:g}, but class {want[n].argmax()} has the highest average "
                              f"probability ({want[n].max():.4f} against {want[n][int(got[n])] if 0 <= got[n] < len(want[n]) else float('nan'):.4f})")

    for _ in range(3):
        K, N = int(rng.integers(2, 9)), int(rng.integers(1, 80))
        C = int(rng.integers(2, 5))
        preds = rng.integers(0, C, (K, N))
        if rng.random() < 0.5:
            preds[1] = preds[0]  # a pair of copies
        label = f"disagreement(predictions of {K} models on {N} examples)"
        got = scalar(label, lib.call("ensembles.disagreement", preds))
        close(label, got, ref.ensembles.disagreement(preds), 1e-9)
    preds = [rng.integers(0, 3, 20) for _ in range(3)]
    label = "disagreement(a list of 3 prediction arrays (20,))"
    close(label, scalar(label, lib.call("ensembles.disagreement", preds)), ref.ensembles.disagreement(preds), 1e-9)


@check(A, points=1, tags=["ensembles.ema_update"], hidden=True)
def ema_hidden(lib, ref, rng):
    shapes = {"W1": (int(rng.integers(1, 9)), int(rng.integers(1, 9))), "b1": (int(rng.integers(1, 9)),),
              "gamma1": (3,), "W2": (4, 2)}
    for dtype in (np.float64, np.float32):
        ema = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
        for step, decay in enumerate([float(rng.uniform(0.5, 0.999)), np.float64(rng.uniform(0, 1)),
                                      np.float32(0.99), 0.0]):
            params = {k: (rng.standard_normal(s) * 3).astype(dtype) for k, s in shapes.items()}
            label = f"ema_update(ema_params, params ({np.dtype(dtype).name}), decay={float(decay):.4g}) at step {step}"
            got = ema_call(lib, ema, params, decay, label)
            want = ref.ensembles.ema_update({k: v.copy() for k, v in ema.items()}, params, decay)
            if dtype == np.float32:
                for k in want:
                    close(f"{label}: ema[{k!r}]", got[k], want[k], 1e-5, floor=precision_floor(params[k]))
            else:
                ema_matches(label, got, want, ema, params, float(decay))
            ema = {k: np.asarray(got[k], dtype=dtype) for k in got}


@check(A, points=1, tags=["ensembles.cyclic_cosine", "ensembles.cycle_end_epochs"], hidden=True)
def snapshot_schedule_hidden(lib, ref, rng):
    for cycle_length, min_factor in [(int(rng.integers(2, 13)), float(rng.uniform(0.05, 0.5))),
                                     (int(rng.integers(2, 13)), 0.0), (1, float(rng.uniform(0, 0.5)))]:
        epochs = list(range(int(rng.integers(3, 5)) * cycle_length + 2))
        label = f"cyclic_cosine(cycle_length={cycle_length}, min_factor={min_factor:.4g})"
        got = schedule_values(lib, (cycle_length, min_factor), epochs, label)
        schedule = ref.ensembles.cyclic_cosine(cycle_length, min_factor)
        close(f"{label}: factors for epochs 0..{epochs[-1]}", got, [schedule(e) for e in epochs], 1e-9, floor=1e-12)
        ends = [e for e in epochs if math.isclose(got[e], min(got), rel_tol=1e-9)]
        if cycle_length > 1 and ends and ends[0] != cycle_length - 1:
            raise CheckFailed(f"{label}: the smallest factor should come at the end of each cycle")
    for _ in range(4):
        num_epochs, cycle_length = int(rng.integers(1, 40)), int(rng.integers(1, 12))
        label = f"cycle_end_epochs(num_epochs={num_epochs}, cycle_length={cycle_length})"
        got = lib.call("ensembles.cycle_end_epochs", num_epochs, cycle_length)
        want = ref.ensembles.cycle_end_epochs(num_epochs, cycle_length)
        try:
            same = [int(e) for e in got] == want and all(float(e) == int(e) for e in got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should return a list of ints, got {type(got).__name__}") from None
        if not same:
            raise CheckFailed(f"{label} is {list(got)}, expected {want}")


# Realistic bugs, each a small change to the reference: tests/test_checks.py asserts that
# every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("ensemble_averages_scores", "ensembles", "exp = np.exp(shifted)",
           "exp = np.exp(shifted.mean(axis=0, keepdims=True))",
           ("average_probabilities", "ensemble_predict", "ensemble_hidden")),
    Mutant("ensemble_softmax_across_models", "ensembles",
           "shifted = scores - scores.max(axis=2, keepdims=True)",
           "shifted = scores - scores.max(axis=0, keepdims=True)",
           ("average_probabilities", "ensemble_hidden")),
    Mutant("ensemble_normalises_over_models", "ensembles",
           "probs = (exp / exp.sum(axis=2, keepdims=True)).mean(axis=0)",
           "probs = (exp / exp.sum(axis=0, keepdims=True)).mean(axis=0)",
           ("average_probabilities", "ensemble_hidden")),
    Mutant("ensemble_unstable_softmax", "ensembles",
           "shifted = scores - scores.max(axis=2, keepdims=True)", "shifted = scores",
           ("average_probabilities", "ensemble_predict", "ensemble_hidden")),
    Mutant("ensemble_sums_instead_of_averaging", "ensembles",
           "probs = (exp / exp.sum(axis=2, keepdims=True)).mean(axis=0)",
           "probs = (exp / exp.sum(axis=2, keepdims=True)).sum(axis=0)",
           ("average_probabilities", "ensemble_hidden")),
    Mutant("predict_majority_vote", "ensembles", "y_pred = np.argmax(average_probabilities(scores), axis=1)",
           "y_pred = np.array([np.bincount(v).argmax() for v in np.argmax(scores, axis=2).T])",
           ("ensemble_predict", "ensemble_hidden")),
    Mutant("predict_from_average_scores", "ensembles", "y_pred = np.argmax(average_probabilities(scores), axis=1)",
           "y_pred = np.argmax(np.mean(scores, axis=0), axis=1)", ("ensemble_predict", "ensemble_hidden")),
    Mutant("disagreement_counts_self_pairs", "ensembles", "for j in range(i + 1, K)]", "for j in range(i, K)]",
           ("disagreement", "ensemble_hidden")),
    Mutant("disagreement_any_model_differs", "ensembles", "rate = float(np.mean(different))",
           "rate = float(np.mean(np.any(predictions != predictions[0], axis=0)))", ("disagreement", "ensemble_hidden")),
    Mutant("ema_decay_swapped", "ensembles", "ema = {k: decay * ema_params[k] + (1 - decay) * params[k] for k in params}",
           "ema = {k: (1 - decay) * ema_params[k] + decay * params[k] for k in params}", ("ema_update", "ema_hidden")),
    Mutant("ema_biased_sum", "ensembles", "ema = {k: decay * ema_params[k] + (1 - decay) * params[k] for k in params}",
           "ema = {k: decay * ema_params[k] + params[k] for k in params}", ("ema_update", "ema_hidden")),
    Mutant("ema_updates_params_in_place", "ensembles",
           "ema = {k: decay * ema_params[k] + (1 - decay) * params[k] for k in params}",
           "ema = params\n    for k in params:\n        params[k] *= 1 - decay\n        params[k] += decay * ema_params[k]",
           ("ema_update", "ema_hidden")),
    Mutant("ensemble_shifts_scores_in_place", "ensembles",
           "shifted = scores - scores.max(axis=2, keepdims=True)  # exp(<= 0): no overflow",
           "scores -= scores.max(axis=2, keepdims=True)\n    shifted = scores",
           ("average_probabilities", "ensemble_hidden")),
    Mutant("ema_decay_zero_returns_params", "ensembles",
           "ema = {k: decay * ema_params[k] + (1 - decay) * params[k] for k in params}",
           "ema = dict(params) if decay == 0 else {k: decay * ema_params[k] + (1 - decay) * params[k] for k in params}",
           ("ema_update", "ema_hidden")),
    Mutant("cyclic_off_by_one", "ensembles", "t = epoch % cycle_length", "t = (epoch + 1) % cycle_length",
           ("cyclic_cosine", "snapshot_schedule_hidden")),
    Mutant("cyclic_cosine_goes_up", "ensembles",
           "return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * t / cycle_length))",
           "return min_factor + (1 - min_factor) * 0.5 * (1 - math.cos(math.pi * t / cycle_length))",
           ("cyclic_cosine", "snapshot_schedule_hidden")),
    Mutant("cyclic_full_period", "ensembles",
           "return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * t / cycle_length))",
           "return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(2 * math.pi * t / cycle_length))",
           ("cyclic_cosine", "snapshot_schedule_hidden")),
    Mutant("cyclic_ignores_min_factor", "ensembles",
           "return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * t / cycle_length))",
           "return 0.5 * (1 + math.cos(math.pi * t / cycle_length))", ("cyclic_cosine", "snapshot_schedule_hidden")),
    Mutant("snapshot_at_cycle_start", "ensembles", "epochs = list(range(cycle_length - 1, num_epochs, cycle_length))",
           "epochs = list(range(cycle_length, num_epochs, cycle_length))",
           ("cycle_end_epochs", "snapshot_schedule_hidden")),
    Mutant("snapshot_from_epoch_zero", "ensembles",
           "epochs = list(range(cycle_length - 1, num_epochs, cycle_length))",
           "epochs = list(range(0, num_epochs, cycle_length))", ("cycle_end_epochs", "snapshot_schedule_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook. Every line here counts as secret
# in tests/test_release.py, so each signature carries a comment.
ALTERNATIVES = [
    Alternative("ensemble_loop_over_models", "ensembles", '''
        def average_probabilities(scores):  # one softmax per model, summed in a loop
            total = None
            for s in scores:
                s = np.asarray(s, dtype=float)
                e = np.exp(s - np.max(s, axis=1, keepdims=True))
                p = e / np.sum(e, axis=1, keepdims=True)
                total = p if total is None else total + p
            return total / len(scores)

        def ensemble_predict(scores):  # argmax of the summed probabilities, row by row
            summed = sum(np.exp(np.asarray(s, dtype=float) - np.max(s, axis=1)[:, None])
                         / np.exp(np.asarray(s, dtype=float) - np.max(s, axis=1)[:, None]).sum(axis=1)[:, None]
                         for s in scores)
            return np.array([int(np.argmax(row)) for row in summed])
        ''', ("average_probabilities", "ensemble_predict")),
    Alternative("ensemble_logsumexp_float32", "ensembles", '''
        def average_probabilities(scores):  # log-softmax, in the scores' own precision
            s = np.stack([np.asarray(x) for x in scores])
            m = s.max(axis=-1, keepdims=True)
            log_p = s - m - np.log(np.exp(s - m).sum(axis=-1, keepdims=True))
            return np.exp(log_p).mean(axis=0)

        def ensemble_predict(scores):  # reuse the average, keepdims-free
            probs = average_probabilities(scores)
            return probs.argmax(-1)
        ''', ("average_probabilities", "ensemble_predict")),
    Alternative("ensemble_copy_then_in_place", "ensembles", '''
        def average_probabilities(scores):  # a copy of its own, then every step in place on it
            work = np.array(scores, dtype=np.float64)
            work -= work.max(axis=2, keepdims=True)
            np.exp(work, out=work)
            work /= work.sum(axis=2, keepdims=True)
            return work.mean(axis=0)
        ''', ("average_probabilities",)),
    Alternative("disagreement_double_loop", "ensembles", '''
        def disagreement(predictions):  # every ordered pair, then halve nothing: same mean
            K = len(predictions)
            total, pairs = 0.0, 0
            for i in range(K):
                for j in range(K):
                    if i != j:
                        total += np.mean(np.asarray(predictions[i]) != np.asarray(predictions[j]))
                        pairs += 1
            return total / pairs
        ''', ("disagreement",)),
    Alternative("disagreement_broadcast", "ensembles", '''
        def disagreement(predictions):  # a (K, K, N) comparison, the diagonal removed
            P = np.asarray(predictions)
            K = P.shape[0]
            differ = (P[:, None, :] != P[None, :, :]).mean(axis=2)
            return differ.sum() / (K * (K - 1))
        ''', ("disagreement",)),
    Alternative("ema_in_place_numpy_scalar", "ensembles", '''
        def ema_update(ema_params, params, decay):  # in place on the average, a numpy scalar weight
            d = np.float64(decay)
            for name, value in params.items():
                ema_params[name] *= d
                ema_params[name] += (1 - d) * value
            return ema_params
        ''', ("ema_update",)),
    Alternative("ema_step_towards_params", "ensembles", '''
        def ema_update(ema_params, params, decay):  # move 1 - decay of the way to the parameters
            new = {}
            for key in params:
                new[key] = ema_params[key] + (1.0 - decay) * (params[key] - ema_params[key])
            return new
        ''', ("ema_update",)),
    Alternative("ema_copies_when_decay_is_zero", "ensembles", '''
        def ema_update(ema_params, params, decay):  # decay 0 short-cut: copies of the parameters
            if decay == 0:
                return {name: np.copy(value) for name, value in params.items()}
            return {name: decay * ema_params[name] + (1 - decay) * value for name, value in params.items()}
        ''', ("ema_update",)),
    Alternative("cyclic_numpy_sin_squared", "ensembles", '''
        def cyclic_cosine(cycle_length, min_factor=0.0):  # cos^2 of half the angle, numpy floats
            def factor(epoch):
                place = epoch - cycle_length * (epoch // cycle_length)
                return min_factor + (1.0 - min_factor) * np.cos(np.pi * place / (2 * cycle_length)) ** 2
            return factor

        def cycle_end_epochs(num_epochs, cycle_length):  # a loop over every epoch
            ends = []
            for e in range(num_epochs):
                if (e + 1) % cycle_length == 0:
                    ends.append(e)
            return ends
        ''', ("cyclic_cosine", "cycle_end_epochs")),
    Alternative("cyclic_lambda_arange", "ensembles", '''
        def cyclic_cosine(cycle_length, min_factor=0.0):  # a lambda with the range written out
            lo, hi = min_factor, 1.0
            return lambda epoch: lo + (hi - lo) * (1 + math.cos(math.pi * (epoch % cycle_length) / cycle_length)) / 2

        def cycle_end_epochs(num_epochs, cycle_length):  # numpy, back to a list of ints
            return np.arange(1, num_epochs // cycle_length + 1) * cycle_length - 1
        ''', ("cyclic_cosine", "cycle_end_epochs")),
]
