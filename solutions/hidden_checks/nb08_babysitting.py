"""Hidden checks for 08_babysitting: the sanity checks, the loss-curve diagnosis and the
searches on random inputs (class counts, tolerances, loss curves of random shapes and
scales, search spaces of 1 to 3 hyperparameters with random ranges and budgets), compared
with the reference where the answer is deterministic and tested statistically where it is
random, with the visible checks' tolerances.

Instructor-only: this folder is never released.
"""

import numpy as np

from autograder.checks.nb08_babysitting import (
    NETWORK,
    diagnosis_matches, grid_matches, initial_loss_case, log_values_uniform, narrowed, overfit, random_configs_match,
    random_labels_task, searched, seeded, drawn)
from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, check, scalar
from autograder.sandbox import Rng

A = "08_babysitting"


def random_space(rng, d):
    """d hyperparameters with random ranges; the first on a log scale, the others on either."""
    space = {}
    for i in range(d):
        if i == 0 or rng.random() < 0.5:
            low = 10.0 ** rng.uniform(-7, -1)
            space[f"h{i}"] = ("log", float(low), float(low * 10.0 ** rng.uniform(1, 5)))
        else:
            low = float(rng.uniform(-2, 1))
            space[f"h{i}"] = ("linear", low, float(low + rng.uniform(0.1, 3)))
    return space


@check(A, points=2, tags=["tuning.initial_loss_check", "tuning.overfit_small_subset"], hidden=True, requires=NETWORK)
def sanity_checks_hidden(lib, rng):
    # The tolerance on either side; "far inside" is within it relatively but more than rel_tol
    # away in absolute terms (log C >= 3), so a tolerance that forgets the "* log(C)" fails every time.
    for where in ("inside", "above", "below", "far inside"):
        C = int(rng.integers(20, 200) if where == "far inside" else rng.integers(2, 200))
        tol = float(rng.uniform(0.05, 0.5))
        factor = float({"inside": rng.uniform(1 - 0.9 * tol, 1 + 0.9 * tol), "above": rng.uniform(1 + 1.1 * tol, 3),
                        "below": rng.uniform(0.1, 1 - 1.1 * tol),
                        "far inside": 1 + rng.choice([-1, 1]) * rng.uniform(0.5, 0.9) * tol}[where])
        ok, label = initial_loss_case(lib, float(np.log(C) * factor), C, tol)
        if ok != (abs(factor - 1) <= tol):
            raise CheckFailed(f"{label}: ok is {ok}, but the loss is {abs(factor - 1):.0%} away from log({C}) and "
                              f"the tolerance is {tol:.0%}")
    num_examples, seed = int(rng.integers(20, 51)), int(rng.integers(2**31))
    data = random_labels_task(seed % 1000, n=int(rng.integers(80, 200)))
    label = (f"overfit_small_subset(a net with reg=2.0, random labels, num_examples={num_examples}, num_epochs=200, "
             f"seed={seed})")
    _, acc, losses = overfit(lib, data, num_examples, seed, label, reg=2.0, hidden=48, num_epochs=200)
    if acc != 1.0:
        raise CheckFailed(f"{label}: the trained network classifies {acc:.3f} of its examples correctly; a network this size memorises {num_examples} examples "
                          "once its regularization is off")


def rule_cases(rng):
    """(what, history, min_decrease) for which one documented rule alone decides, built, not
    hoped for: a rule tested in another order, a window of a fixed 10 steps, or a tenth
    rounded up gives the other verdict, with a margin of several times min_decrease."""
    scale = float(10.0 ** rng.uniform(-2, 2))
    # The loss went up, but never near explode_factor: "too large", not "too small".
    n = int(rng.integers(20, 400))
    rise = float(rng.uniform(0.05, 1.0))
    h = 1 + rise * np.arange(n) / n + 0.002 * rise * rng.standard_normal(n)
    h[0] = 1.0
    yield f"a loss that creeps up by {rise:.0%} (never 3 times the first), {n} steps", scale * h, \
        float(rng.uniform(0.01, 0.3))

    # A tenth of at least 20 steps whose first 10 are twice as high: the tenth's mean falls by
    # less than min_decrease ("too small"), the first 10 steps' mean by far more.
    n, md = int(rng.integers(200, 400)), float(rng.uniform(0.01, 0.3))
    w = n // 10
    start = (10 * 2.0 + (w - 10) * 1.0) / w
    end = start * (1 - md / 2)
    h = np.concatenate([np.full(10, 2.0), np.ones(w - 10), np.linspace(1.0, end, n - 2 * w), np.full(w, end)])
    yield f"a loss whose first 10 steps are twice the rest of its first tenth, {n} steps", scale * h, md

    # n = 10 k + r with r > 0: the steps just inside a tenth rounded up are a spike (2.5 times the
    # first loss) and a dip to 0.01, which makes a falling-too-little loss look reasonable.
    k, r, md = int(rng.integers(2, 10)), int(rng.integers(1, 10)), float(rng.uniform(0.01, 0.12))
    n = 10 * k + r
    end = 1 - md / 2
    h = np.concatenate([np.ones(k), [2.5], np.linspace(1.0, end, n - 2 * k - 2), [0.01], np.full(k, end)])
    yield (f"a loss of {n} steps (a tenth is {k}: rounded down) with a spike at step {k} and a dip at step "
           f"{n - k - 1}"), scale * h, md


@check(A, points=2, tags=["tuning.diagnose_learning_rate", "tuning.coarse_to_fine"], hidden=True)
def diagnosis_hidden(lib, ref, rng):
    for i, kind in enumerate([0, 0, 1, 2, 3, 4, int(rng.integers(5))]):
        n = int(rng.integers(20, 400))
        t = np.arange(n)
        # The first history is a loss of small scale: what counts is the relative decrease.
        scale = 10.0 ** (rng.uniform(-3, -1.5) if i == 0 else rng.uniform(-3, 2))
        noise = rng.uniform(0, 0.02) * rng.standard_normal(n)
        if kind == 0:
            what, h = "a falling loss", np.exp(-t / rng.uniform(n / 8, n / 2)) + rng.uniform(0.05, 0.5) + noise
        elif kind == 1:
            what, h = "a loss that barely moves", 1 - rng.uniform(0, 0.03) * t / n + noise
        elif kind == 2:
            what, h = "a growing loss", np.exp(t / rng.uniform(n / 8, n / 2)) + noise
        elif kind == 3:
            what, h = "a loss that ends in NaN", np.append(1 - 0.3 * t / n + noise, np.nan)
        else:
            what, h = "a loss that explodes, then recovers", np.exp(-t / rng.uniform(n / 8, n / 2)) + 0.3 + noise
            h[int(rng.integers(1, max(2, n // 5)))] *= rng.uniform(5, 1e6)
        min_decrease = float(rng.uniform(0.01, 0.3))
        h = scale * h
        want = ref.tuning.diagnose_learning_rate(list(h), min_decrease)
        diagnosis_matches(lib, f"{what}, {len(h)} steps, of scale {scale:.3g}", h, min_decrease, want)

    # Histories built so that each rule decides a case on its own, on every draw.
    for what, h, min_decrease in rule_cases(rng):
        want = ref.tuning.diagnose_learning_rate(list(h), min_decrease)
        diagnosis_matches(lib, what, h, min_decrease, want)

    # Coarse to fine on a random search's trials, ties impossible, always some NaNs among them and
    # more than top_k finite scores, the next best trial outside the best ones' range: taking NaNs
    # for the best, or one trial too many, changes the answer on every draw.
    for d in (1, 3):
        space = random_space(rng, d)
        n, top_k = int(rng.integers(8, 30)), int(rng.integers(2, 6))
        scores = rng.random(n)
        scores[rng.choice(n, size=int(rng.integers(1, n - top_k)), replace=False)] = np.nan
        trials = []
        for score in scores:
            config = {name: float(np.exp(rng.uniform(np.log(lo), np.log(hi))) if s == "log" else rng.uniform(lo, hi))
                      for name, (s, lo, hi) in space.items()}
            trials.append((config, float(score)))
        order = np.argsort(-np.where(np.isnan(scores), -np.inf, scores))
        name, (scale, lo, hi) = next(iter(space.items()))
        best = [trials[i][0][name] for i in order[:top_k]]
        low, high = min(best), max(best)
        mid = (lambda a, b: float(np.sqrt(a * b))) if scale == "log" else (lambda a, b: (a + b) / 2)
        wider_above = (np.log(hi / high) > np.log(low / lo)) if scale == "log" else (hi - high > low - lo)
        trials[order[top_k]][0][name] = mid(high, hi) if wider_above else mid(lo, low)
        want = ref.tuning.coarse_to_fine(trials, space, top_k)
        narrowed(lib, trials, space, top_k, f"coarse_to_fine({n} random trials, {d} hyperparameters, top_k={top_k})",
                 {name: want[name][1:] for name in space})


@check(A, points=2, tags=["tuning.log_uniform", "tuning.random_search", "tuning.grid_search"], hidden=True,
       timeout=30.0, requires=["log_uniform"])  # about 700 round trips to the objective
def search_hidden(lib, rng):
    low = float(10.0 ** rng.uniform(-8, 2))
    high = float(low * 10.0 ** rng.uniform(0.5, 6))
    label = f"log_uniform(rng, {low:.4g}, {high:.4g}, size=(100, 80))"
    values = drawn(lib, int(rng.integers(2**31)), low, high, (100, 80), label)
    log_values_uniform(label, values.ravel(), low, high)
    # low = high: every draw is that value, up to the relative 1e-9 a rounding step may miss it by.
    label = f"log_uniform(rng, {low:.17g}, {low:.17g}, size=50)"
    same = drawn(lib, int(rng.integers(2**31)), low, low, 50, label)
    if np.max(np.abs(same / low - 1)) > 1e-9:
        raise CheckFailed(f"{label}: the draws range from {same.min():.17g} to {same.max():.17g}; with low = high "
                          "every draw is that value (up to a relative 1e-9)")
    # size=None, the docstring's other path: one float per call, from 2000 generators.
    label = f"log_uniform(rng, {low:.4g}, {high:.4g}) (size None), from 2000 generators"
    first = int(rng.integers(2**31 - 2000))
    scalars = lib.map("tuning.log_uniform", [(Rng(first + k), low, high) for k in range(2000)])
    log_values_uniform(label, [scalar(label, v) for v in scalars], low, high)

    d = int(rng.integers(2, 4))  # at least two: each needs its own draw
    space = random_space(rng, d)
    text = ", ".join(f"{n}: {s} {lo:.3g}..{hi:.3g}" for n, (s, lo, hi) in space.items())
    label = f"random_search(objective, {{{text}}}, 500)"
    configs, _, recorder = searched(lib, "random_search", space, 500, label, seed=int(rng.integers(2**31)))
    if len(recorder.calls) != 500:
        raise CheckFailed(f"{label} called objective {len(recorder.calls)} times; the budget is 500 trials")
    random_configs_match(label, configs, space)
    seeded(lib, "random_search", space, f"random_search(objective, {{{text}}}, 4, seed=7 or 8)")

    for d in (1, 2, 3):
        space = random_space(rng, d)
        budget = int(rng.integers(2**d, 6**d))
        text = ", ".join(f"{n}: {s} {lo:.3g}..{hi:.3g}" for n, (s, lo, hi) in space.items())
        label = f"grid_search(objective, {{{text}}}, {budget})"
        configs, _, _ = searched(lib, "grid_search", space, budget, label)
        grid_matches(label, configs, space, budget)
    space = random_space(rng, 3)
    for k in (3, 5):  # budgets that are exact cubes: where float roots fall short
        label = f"grid_search(objective, 3 hyperparameters, {k**3})"
        configs, _, _ = searched(lib, "grid_search", space, k**3, label)
        grid_matches(label, configs, space, k**3)


# Realistic bugs, each a small change to the reference: tests/test_checks.py asserts that
# every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("log_uniform_scalar_on_a_linear_scale", "tuning", "        out = float(out)\n",
           "        out = float(rng.uniform(low, high))\n", ("search_hidden",)),
    Mutant("initial_loss_log10", "tuning", "expected = float(np.log(num_classes))",
           "expected = float(np.log10(num_classes))", ("initial_loss_check", "sanity_checks_hidden")),
    Mutant("initial_loss_one_sided_tolerance", "tuning", "ok = bool(abs(loss - expected) <= rel_tol * expected)",
           "ok = bool(loss - expected <= rel_tol * expected)", ("initial_loss_check", "sanity_checks_hidden")),
    Mutant("initial_loss_absolute_tolerance", "tuning", "ok = bool(abs(loss - expected) <= rel_tol * expected)",
           "ok = bool(abs(loss - expected) <= rel_tol)", ("initial_loss_check", "sanity_checks_hidden")),
    Mutant("overfit_keeps_regularization", "tuning", "reg, model.reg = model.reg, 0.0", "reg = model.reg",
           ("overfit_small_subset", "sanity_checks_hidden")),
    Mutant("overfit_regularization_not_restored", "tuning", "    finally:\n        model.reg = reg\n",
           "    finally:\n        pass\n", ("overfit_restores_regularization",)),
    Mutant("overfit_accuracy_on_all_training_data", "tuning",
           "train_acc = float(np.mean(np.argmax(model.loss(X), axis=1) == y))",
           "train_acc = float(np.mean(np.argmax(model.loss(X_all), axis=1) == y_all))",
           ("overfit_small_subset", "sanity_checks_hidden")),
    Mutant("overfit_with_replacement", "tuning", "indices = picker.choice(len(X_all), size=num_examples, replace=False)",
           "indices = picker.choice(len(X_all), size=num_examples)", ("overfit_small_subset",)),
    Mutant("overfit_always_the_first_examples", "tuning",
           "indices = picker.choice(len(X_all), size=num_examples, replace=False)", "indices = np.arange(num_examples)",
           ("overfit_small_subset",)),
    Mutant("overfit_minibatches_of_ten", "tuning", "num_epochs=num_epochs, batch_size=num_examples",
           "num_epochs=num_epochs, batch_size=10", ("overfit_small_subset", "sanity_checks_hidden")),
    Mutant("diagnose_nan_not_detected", "tuning", "if not np.all(np.isfinite(losses)) or",
           "if np.any(np.isinf(losses)) or", ("diagnose_learning_rate", "diagnosis_hidden")),
    Mutant("diagnose_verdicts_swapped", "tuning",
           '        if end > start:\n            verdict = "too large"\n'
           '        elif (start - end) / start < min_decrease:\n            verdict = "too small"\n',
           '        if end > start:\n            verdict = "too small"\n'
           '        elif (start - end) / start < min_decrease:\n            verdict = "too large"\n',
           ("diagnose_learning_rate", "diagnosis_hidden")),
    Mutant("diagnose_threshold_inverted", "tuning", "elif (start - end) / start < min_decrease:",
           "elif (start - end) / start > min_decrease:", ("diagnose_learning_rate", "diagnosis_hidden")),
    Mutant("diagnose_absolute_decrease", "tuning", "elif (start - end) / start < min_decrease:",
           "elif start - end < min_decrease:", ("diagnose_learning_rate", "diagnosis_hidden")),
    Mutant("diagnose_too_small_before_going_up", "tuning",
           '        if end > start:\n            verdict = "too large"\n'
           '        elif (start - end) / start < min_decrease:\n            verdict = "too small"\n',
           '        if (start - end) / start < min_decrease:\n            verdict = "too small"\n'
           '        elif end > start:\n            verdict = "too large"\n',
           ("diagnose_learning_rate", "diagnosis_hidden")),
    Mutant("diagnose_window_of_ten_steps", "tuning", "window = max(1, len(losses) // 10)",
           "window = min(10, len(losses))", ("diagnosis_hidden",)),
    Mutant("diagnose_tenth_rounded_up", "tuning", "window = max(1, len(losses) // 10)",
           "window = max(1, -(-len(losses) // 10))", ("diagnosis_hidden",)),
    Mutant("diagnose_last_value_only", "tuning", "start, end = losses[:window].mean(), losses[-window:].mean()",
           "start, end = losses[0], losses[-1]", ("diagnose_learning_rate",)),
    Mutant("diagnose_explosion_missed_when_it_recovers", "tuning",
           "if not np.all(np.isfinite(losses)) or losses.max() > explode_factor * losses[0]:",
           "if not np.all(np.isfinite(losses)):", ("diagnose_learning_rate", "diagnosis_hidden")),
    Mutant("diagnose_explode_factor_ignored", "tuning", "losses.max() > explode_factor * losses[0]",
           "losses.max() > 3.0 * losses[0]", ("diagnose_learning_rate",)),
    Mutant("log_uniform_is_uniform", "tuning", "out = 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)",
           "out = rng.uniform(low, high, size=size)", ("log_uniform", "random_search", "search_hidden")),
    Mutant("log_uniform_natural_log_base_10_power", "tuning",
           "out = 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)",
           "out = 10.0 ** rng.uniform(np.log(low), np.log(high), size=size)",
           ("log_uniform", "random_search", "search_hidden")),
    Mutant("log_uniform_base_10_log_natural_power", "tuning",
           "out = 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)",
           "out = np.exp(rng.uniform(np.log10(low), np.log10(high), size=size))",
           ("log_uniform", "random_search", "search_hidden")),
    Mutant("log_uniform_whole_orders_of_magnitude", "tuning",
           "out = 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)\n"
           "    out = np.clip(out, low, high)  # 10 ** log10(x) may miss x by one rounding\n",
           "out = 10.0 ** rng.uniform(np.floor(np.log10(low)), np.ceil(np.log10(high)), size=size)\n",
           ("log_uniform", "search_hidden")),
    Mutant("log_uniform_global_random_state", "tuning",
           "out = 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)",
           "out = 10.0 ** np.random.uniform(np.log10(low), np.log10(high), size=size)",
           ("log_uniform", "random_search", "search_hidden")),
    Mutant("random_search_unseeded", "tuning", "    generator = np.random.default_rng(seed)\n    trials = []\n",
           "    generator = np.random.default_rng()\n    trials = []\n", ("random_search", "search_hidden")),
    Mutant("random_search_log_scale_ignored", "tuning", '            if scale == "log":\n                config',
           '            if scale == "lg":\n                config', ("random_search", "search_hidden")),
    Mutant("random_search_one_config_for_every_trial", "tuning",
           "    for _ in range(num_trials):\n        config = {}\n        for name, (scale, low, high) in space.items():\n"
           "            if scale == \"log\":\n                config[name] = log_uniform(generator, low, high)\n"
           "            else:\n                config[name] = float(generator.uniform(low, high))\n",
           "    config = {}\n    for name, (scale, low, high) in space.items():\n"
           "        if scale == \"log\":\n            config[name] = log_uniform(generator, low, high)\n"
           "        else:\n            config[name] = float(generator.uniform(low, high))\n"
           "    for _ in range(num_trials):\n", ("random_search", "search_hidden")),
    Mutant("random_search_one_draw_for_all_hyperparameters", "tuning",
           "        config = {}\n        for name, (scale, low, high) in space.items():\n"
           "            if scale == \"log\":\n                config[name] = log_uniform(generator, low, high)\n"
           "            else:\n                config[name] = float(generator.uniform(low, high))\n",
           "        config, u = {}, generator.random()\n        for name, (scale, low, high) in space.items():\n"
           "            if scale == \"log\":\n                config[name] = float(low * (high / low) ** u)\n"
           "            else:\n                config[name] = float(low + (high - low) * u)\n",
           ("random_search", "search_hidden")),
    Mutant("random_search_one_trial_short", "tuning", "    for _ in range(num_trials):\n        config = {}\n",
           "    for _ in range(num_trials - 1):\n        config = {}\n", ("random_search", "search_hidden")),
    Mutant("grid_float_root", "tuning",
           "    k = 1\n    while (k + 1) ** d <= num_trials:  # integers: a float root would give 3.9999 for 64 ** (1 / 3)\n"
           "        k += 1\n", "    k = int(num_trials ** (1 / d))\n", ("grid_search", "search_hidden")),
    Mutant("grid_ignores_the_budget", "tuning",
           "    while (k + 1) ** d <= num_trials:", "    while k ** d < num_trials:", ("grid_search", "search_hidden")),
    Mutant("grid_budget_points_per_axis", "tuning",
           "    k = 1\n    while (k + 1) ** d <= num_trials:  # integers: a float root would give 3.9999 for 64 ** (1 / 3)\n"
           "        k += 1\n", "    k = num_trials\n", ("grid_search", "search_hidden")),
    Mutant("grid_linear_on_a_log_scale", "tuning",
           'axes.append(np.geomspace(low, high, k) if scale == "log" else np.linspace(low, high, k))',
           "axes.append(np.linspace(low, high, k))", ("grid_search", "search_hidden")),
    Mutant("grid_without_the_high_end", "tuning",
           'axes.append(np.geomspace(low, high, k) if scale == "log" else np.linspace(low, high, k))',
           'axes.append(np.geomspace(low, high, k, endpoint=False) if scale == "log" '
           'else np.linspace(low, high, k, endpoint=False))', ("grid_search", "search_hidden")),
    Mutant("coarse_to_fine_worst_trials", "tuning", 'best = np.argsort(-scores, kind="stable")[:top_k]',
           'best = np.argsort(scores, kind="stable")[:top_k]', ("coarse_to_fine", "diagnosis_hidden")),
    Mutant("coarse_to_fine_nan_sorts_first", "tuning",
           '    scores = np.where(np.isnan(scores), -np.inf, scores)\n    best = np.argsort(-scores, kind="stable")[:top_k]',
           '    best = np.argsort(scores)[::-1][:top_k]', ("coarse_to_fine", "diagnosis_hidden")),
    Mutant("coarse_to_fine_widens", "tuning", "new_space[name] = (scale, float(min(values)), float(max(values)))",
           "new_space[name] = (scale, float(min(values)) / 2, float(max(values)) * 2)",
           ("coarse_to_fine", "diagnosis_hidden")),
    Mutant("coarse_to_fine_centred_on_the_worst", "tuning",
           'best = np.argsort(-scores, kind="stable")[:top_k]',
           'best = np.argsort(np.where(np.isinf(scores), np.inf, scores), kind="stable")[:top_k]',
           ("coarse_to_fine", "diagnosis_hidden")),
    Mutant("coarse_to_fine_one_trial_too_many", "tuning", 'best = np.argsort(-scores, kind="stable")[:top_k]',
           'best = np.argsort(-scores, kind="stable")[:top_k + 1]', ("coarse_to_fine", "diagnosis_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook. Every line here counts as secret in
# tests/test_release.py, so no line repeats one of the released stubs verbatim.
ALTERNATIVES = [
    Alternative("initial_loss_isclose_numpy_scalars", "tuning", '''
        def initial_loss_check(loss_fn, X, y, num_classes, rel_tol=0.1):  # np.isclose
            loss, _ = loss_fn(X, y)
            expected = -np.log(1.0 / num_classes)
            return loss, expected, np.isclose(loss, expected, rtol=rel_tol, atol=0.0)
        ''', ("initial_loss_check",)),
    Alternative("initial_loss_math_log_ratio", "tuning", '''
        def initial_loss_check(loss_fn, X, y, num_classes, rel_tol=0.1):  # math.log, a ratio
            from math import log as natural_log
            result = loss_fn(X, y)
            value = result[0]
            log_c = natural_log(num_classes)
            return value, log_c, 1 - rel_tol <= value / log_c <= 1 + rel_tol
        ''', ("initial_loss_check",)),
    Alternative("overfit_permutation_and_solver_accuracy", "tuning", '''
        def overfit_small_subset(model, data, num_examples=20, num_epochs=200, learning_rate=0.3,
                                 seed=0):  # a permutation; the Solver's accuracy
            chosen = np.random.default_rng(seed).permutation(data["X_train"].shape[0])[:num_examples]
            Xs, ys = data["X_train"][chosen], data["y_train"][chosen]
            old_reg = model.reg
            model.reg = 0
            s = Solver(model, dict(X_train=Xs, y_train=ys, X_val=Xs, y_val=ys), update_rule="sgd",
                       optim_config=dict(learning_rate=learning_rate), num_epochs=num_epochs, batch_size=len(ys),
                       seed=seed, progress=False, verbose=False)
            s.train()
            model.reg = old_reg
            return chosen, s.check_accuracy(Xs, ys), s.loss_history
        ''', ("overfit_small_subset",)),
    Alternative("overfit_randomstate_loop_accuracy", "tuning", '''
        def overfit_small_subset(model, data, num_examples=20, num_epochs=200, learning_rate=0.3,
                                 seed=0):  # a RandomState; a counting loop
            rs = np.random.RandomState(seed)
            idx = rs.choice(np.arange(len(data["y_train"])), num_examples, replace=False)
            subset = {"X_train": data["X_train"][idx], "y_train": data["y_train"][idx]}
            subset["X_val"], subset["y_val"] = subset["X_train"], subset["y_train"]
            saved = model.reg
            model.reg = 0.0
            runner = Solver(model, subset, optim_config={"learning_rate": learning_rate},
                            num_epochs=num_epochs, batch_size=num_examples, seed=seed, progress=False)
            runner.train()
            model.reg = saved
            scores = model.loss(subset["X_train"])
            correct = 0
            for i in range(num_examples):
                if np.argmax(scores[i]) == subset["y_train"][i]:
                    correct += 1
            return list(idx), correct / num_examples, list(runner.loss_history)
        ''', ("overfit_small_subset",)),
    Alternative("diagnose_python_loop", "tuning", '''
        def diagnose_learning_rate(loss_history, min_decrease=0.05, explode_factor=3.0):  # plain Python
            from math import isinf, isnan
            n = len(loss_history)
            for value in loss_history:
                if isnan(value) or isinf(value) or value > explode_factor * loss_history[0]:
                    return "too large"
            w = n // 10 if n >= 10 else 1
            start = sum(loss_history[:w]) / w
            end = sum(loss_history[n - w:]) / w
            if end > start:
                return "too large"
            if start - end < min_decrease * start:
                return "too small"
            return "reasonable"
        ''', ("diagnose_learning_rate",)),
    Alternative("diagnose_ratio_numpy", "tuning", '''
        def diagnose_learning_rate(loss_history, min_decrease=0.05, explode_factor=3.0):  # a ratio
            h = np.array(loss_history, dtype=float)
            if np.isnan(h).any() or np.isinf(h).any() or np.any(h / h[0] > explode_factor):
                return "too large"
            k = max(len(h) // 10, 1)
            ratio = np.mean(h[-k:]) / np.mean(h[:k])
            if ratio > 1:
                return "too large"
            return "too small" if ratio > 1 - min_decrease else "reasonable"
        ''', ("diagnose_learning_rate",)),
    Alternative("diagnose_float_division_tenth", "tuning", '''
        def diagnose_learning_rate(loss_history, min_decrease=0.05, explode_factor=3.0):  # int(n / 10)
            import math
            values = [float(v) for v in loss_history]
            if any(not math.isfinite(v) for v in values) or max(values) > explode_factor * values[0]:
                return "too large"
            w = max(int(len(values) / 10), 1)
            first, last = np.mean(values[:w]), np.mean(values[len(values) - w:])
            if last > first:
                return "too large"
            elif (first - last) / first >= min_decrease:
                return "reasonable"
            return "too small"
        ''', ("diagnose_learning_rate",)),
    Alternative("log_uniform_natural_logs", "tuning", '''
        def log_uniform(rng, low, high, size=None):  # natural logs and exp
            if low <= 0 or high < low:
                raise ValueError("need 0 < low <= high")
            return np.exp(rng.uniform(np.log(low), np.log(high), size))
        ''', ("log_uniform",)),
    Alternative("log_uniform_power_of_the_ratio", "tuning", '''
        def log_uniform(rng, low, high, size=None):  # low * (high / low) ** u
            if low <= 0 or low > high:
                raise ValueError("need 0 < low <= high")
            u = rng.random() if size is None else rng.random(size)
            return low * (high / low) ** u
        ''', ("log_uniform",)),
    Alternative("random_search_columns_first", "tuning", '''
        def random_search(objective, space, num_trials, seed=0):  # one column per hyperparameter
            draws = np.random.default_rng(seed)
            columns = {}
            for name, (scale, low, high) in space.items():
                if scale == "log":
                    columns[name] = 10 ** draws.uniform(np.log10(low), np.log10(high), num_trials)
                else:
                    columns[name] = draws.uniform(low, high, num_trials)
            results = []
            for t in range(num_trials):
                config = {name: columns[name][t] for name in space}
                results.append((config, objective(config)))
            return results
        ''', ("random_search",)),
    Alternative("random_search_helper_and_log_uniform", "tuning", '''
        def _draw_config(space, rng):  # one config, every value on its own scale
            config = {}
            for name in space:
                scale, low, high = space[name]
                config[name] = log_uniform(rng, low, high) if scale == "log" else rng.random() * (high - low) + low
            return config

        def random_search(objective, space, num_trials, seed=0):  # a helper per config
            source = np.random.default_rng(seed)
            configs = [_draw_config(space, source) for _ in range(num_trials)]
            return [(c, objective(c)) for c in configs]
        ''', ("random_search",)),
    Alternative("grid_itertools_rounded_root", "tuning", '''
        def grid_search(objective, space, num_trials):  # itertools.product
            from itertools import product as all_combinations
            d = len(space)
            k = int(round(num_trials ** (1.0 / d)))
            while k ** d > num_trials:
                k -= 1
            values = []
            for name, (scale, low, high) in space.items():
                if scale == "log":
                    values.append(list(10 ** np.linspace(np.log10(low), np.log10(high), k)))
                else:
                    values.append(list(np.linspace(low, high, k)))
            out = []
            for combo in all_combinations(*values):
                config = dict(zip(space.keys(), combo))
                out.append((config, objective(config)))
            return out
        ''', ("grid_search",)),
    Alternative("grid_recursive", "tuning", '''
        def _grid_configs(items, k):  # every combination, built one hyperparameter at a time
            if not items:
                return [{}]
            (name, (scale, low, high)), rest = items[0], items[1:]
            if scale == "log":
                values = np.exp(np.linspace(np.log(low), np.log(high), k))
            else:
                values = low + (high - low) * np.arange(k) / max(k - 1, 1)
            return [{name: float(v), **tail} for tail in _grid_configs(rest, k) for v in values]

        def grid_search(objective, space, num_trials):  # recursive
            k = int(num_trials ** (1 / len(space)) + 1e-9)
            return [(c, objective(c)) for c in _grid_configs(list(space.items()), k)]
        ''', ("grid_search",)),
    Alternative("coarse_to_fine_sorted_key", "tuning", '''
        def coarse_to_fine(trials, space, top_k=3):  # sorted with a key
            def key(trial):
                return -np.inf if np.isnan(trial[1]) else trial[1]
            best = sorted(trials, key=key, reverse=True)[:top_k]
            result = {}
            for name in space:
                values = [config[name] for config, _ in best]
                result[name] = (space[name][0], min(values), max(values))
            return result
        ''', ("coarse_to_fine",)),
    Alternative("coarse_to_fine_nan_to_num_log_space", "tuning", '''
        def coarse_to_fine(trials, space, top_k=3):  # np.nan_to_num; log10 on a log scale
            scores = np.nan_to_num(np.array([t[1] for t in trials], dtype=float), nan=-np.inf)
            order = np.argsort(scores)[::-1][:top_k]
            out = {}
            for name, (scale, low, high) in space.items():
                v = np.array([trials[i][0][name] for i in order])
                if scale == "log":
                    out[name] = (scale, 10 ** np.log10(v).min(), 10 ** np.log10(v).max())
                else:
                    out[name] = (scale, v.min(), v.max())
            return out
        ''', ("coarse_to_fine",)),
]
