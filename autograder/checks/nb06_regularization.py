"""Visible checks for notebook 06_regularization: dropout, DropConnect and data augmentation.

These functions are random, so their outputs cannot be compared with fixed numbers. The
checks read what the randomness did instead (which units a mask kept, how far a signal
was shifted, which corner a crop started at) and test it statistically: a rate against
its probability, a mean against its expectation, a spread against its distribution. Every
tolerance is SIGMAS standard errors, so correct code fails with a probability below about
1e-8 per test, while the usual mistakes (p taken as the probability of dropping, no
rescaling, one mask for the whole batch, a flip along the wrong axis) are off by dozens of
standard errors. The seeds are fixed, so a given implementation always gets the same
verdict.

In this course ``p`` is the probability of KEEPING a unit (or a weight); the checks say
so when an implementation keeps about 1 - p of them.
"""

import numpy as np

from ..gradcheck import backward_matches_numeric, call_backward
from ..registry import CheckFailed, as_array, check, close, unpack
from ..sandbox import Rng

A = "06_regularization"
SIGMAS = 6  # tolerances are this many standard errors of the statistic

# Positive inputs with no zero: a unit of the output is 0 exactly when it was dropped.
_fixed = np.random.default_rng(606)
X_POS = 1.0 + _fixed.random((400, 250))
X_IMAGES = 1.0 + _fixed.random((60, 3, 8, 8))


# ---------------------------------------------------------------- shared statistics


def rate_tolerance(p, n):
    return SIGMAS * np.sqrt(p * (1 - p) / n)


def same_arrays(a, b):
    return np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a), np.asarray(b))


def unchanged_input(label, before, after):
    """Fail if the function changed its input array in place."""
    if not same_arrays(before, after):
        raise CheckFailed(f"{label} changed its input X in place; return a new array and leave X as it is "
                          "(the caller may still need the original batch)")


def spread_matches(label, values, expected_var, what):
    """Fail unless the sample variance of ``values`` is within SIGMAS standard errors of
    ``expected_var``; values are (nearly) normal or binomial, so var's relative SE is sqrt(2 / n)."""
    n = len(values)
    ratio = np.var(values) / expected_var
    tol = SIGMAS * np.sqrt(2 / (n - 1))
    if abs(ratio - 1) > tol:
        raise CheckFailed(f"{label}: {what} varies {ratio:.2f} times as much as independent draws would "
                          f"(tolerance {1 - tol:.2f} to {1 + tol:.2f})")


# ---------------------------------------------------------------- dropout


def dropout_call(lib, x, param, label):
    out, cache = unpack(label, lib.call("regularization.dropout_forward", x, dict(param)), 2)
    return as_array(f"{label}: out", out, np.shape(x)), cache


def describe(p, mode, seed="absent"):
    seed_text = "" if seed == "absent" else f", seed {seed}"
    return f"dropout_forward(x, p = {p:g} (probability of KEEPING a unit), mode '{mode}'{seed_text})"


def kept_mask(label, x, out, p, unit="unit"):
    """The boolean mask of kept entries of a train-mode ``out``, after checking that each
    entry is either 0 (dropped) or x / p (kept, rescaled). Names the usual mistakes."""
    x, out = np.asarray(x, dtype=np.float64), np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise CheckFailed(f"{label}: out contains inf or nan")
    kept = out != 0
    ratio = out[kept] / x[kept]
    if ratio.size and not np.allclose(ratio, 1 / p, rtol=1e-6, atol=0):
        typical = float(np.median(ratio))
        hints = [(1.0, f"kept {unit}s are not rescaled: inverted dropout divides every kept {unit} by p, so "
                       "that the expected output equals x and test mode needs no scaling"),
                 (p, f"kept {unit}s are multiplied by p; inverted dropout divides them by p"),
                 (1 / (1 - p), f"kept {unit}s are divided by 1 - p = {1 - p:g}, as if p were the probability of "
                               f"dropping. In this course p is the probability of KEEPING a {unit}: divide by p")]
        for value, why in hints:
            if np.isclose(typical, value, rtol=1e-6):
                raise CheckFailed(f"{label}: {why}")
        raise CheckFailed(f"{label}: every {unit} of out should be 0 (dropped) or x / p = {1 / p:.4g} * x (kept), "
                          f"but out / x takes values from {ratio.min():.4g} to {ratio.max():.4g}")
    return kept


def keep_rate_matches(label, kept, p, unit="unit"):
    """Fail unless about p of the entries were kept; say so explicitly when it is 1 - p."""
    n = kept.size
    rate = float(kept.mean())
    tol = rate_tolerance(p, n)
    if abs(rate - p) <= tol:
        return
    if rate == 0:
        raise CheckFailed(f"{label} dropped every {unit}; it should keep each with probability p = {p:g}")
    if rate == 1:
        raise CheckFailed(f"{label} kept every {unit} in train mode; it should drop each with probability "
                          f"1 - p = {1 - p:g}")
    if abs(rate - (1 - p)) <= tol:
        raise CheckFailed(f"{label} kept {rate:.1%} of the {unit}s, about 1 - p = {1 - p:g}: it treats p as the "
                          f"probability of DROPPING a {unit}. In this course p is the probability of KEEPING a "
                          f"{unit} (older CS231n code used the other meaning): keep it where rng.random(...) < p")
    raise CheckFailed(f"{label} kept {rate:.1%} of the {unit}s; it should keep each with probability p = {p:g} "
                      f"(tolerance +-{tol:.1%}, {SIGMAS} standard errors for {n} {unit}s)")


def mean_is_preserved(label, x, out, p):
    """E[out] = x: the mean of out over many units matches the mean of x."""
    x = np.asarray(x, dtype=np.float64)
    # Var(out_i) = x_i^2 (1 - p) / p for inverted dropout.
    se = np.sqrt(np.sum(x**2) * (1 - p) / p) / x.size
    diff = float(np.mean(out) - np.mean(x))
    if abs(diff) > SIGMAS * se:
        raise CheckFailed(f"{label}: the mean of out is {np.mean(out):.4f} but the mean of x is {np.mean(x):.4f}; "
                          f"inverted dropout keeps the expected value of every unit, E[out] = x "
                          f"(tolerance +-{SIGMAS * se:.4f})")


def own_mask_per_example(label, kept):
    """Each example (first axis) has its own mask, and within an example each unit its own draw."""
    rows = kept.reshape(len(kept), -1)
    if len(rows) > 1 and np.all(rows == rows[0]):
        raise CheckFailed(f"{label}: every example (row of x) got the same mask; draw the mask with the shape of x, "
                          "so that each example gets a mask of its own")
    if rows.shape[1] > 1 and np.all(rows == rows[:, :1]):
        raise CheckFailed(f"{label}: each example keeps or drops all its units together; every unit needs a draw "
                          "of its own (a mask of the shape of x)")
    p = rows.mean()
    if 0 < p < 1:
        spread_matches(label, rows.mean(axis=1), p * (1 - p) / rows.shape[1],
                       "the fraction of units kept per example")
        spread_matches(label, rows.mean(axis=0), p * (1 - p) / rows.shape[0],
                       "the fraction of examples keeping each unit")


def seeding(lib, x, p, seed, label):
    """The same seed gives the same mask; another seed, or no seed at all, a different one."""
    first, _ = dropout_call(lib, x, {"p": p, "mode": "train", "seed": seed}, label)
    again, _ = dropout_call(lib, x, {"p": p, "mode": "train", "seed": seed}, label)
    if not same_arrays(first, again):
        raise CheckFailed(f"{describe(p, 'train', seed)} gave a different mask when called again with the same "
                          "seed; when dropout_param has a seed, draw the mask from a generator seeded with it")
    other, _ = dropout_call(lib, x, {"p": p, "mode": "train", "seed": seed + 1}, label)
    if same_arrays(first, other):
        raise CheckFailed(f"dropout_forward gave the same mask with seeds {seed} and {seed + 1}; use the seed")
    one, _ = dropout_call(lib, x, {"p": p, "mode": "train"}, describe(p, "train"))
    two, _ = dropout_call(lib, x, {"p": p, "mode": "train"}, describe(p, "train"))
    if same_arrays(one, two):
        raise CheckFailed(f"{describe(p, 'train')} gave the same mask twice: without a seed every call must draw "
                          "a fresh mask, or the network would train one and the same sub-network at every step")


@check(A, points=3, tags=["regularization.dropout_forward"])
def dropout_forward(lib):
    for p, seed in [(0.7, 1), (0.25, 2)]:
        label = describe(p, "train", seed)
        out, _ = dropout_call(lib, X_POS, {"p": p, "mode": "train", "seed": seed}, label)
        kept = kept_mask(label, X_POS, out, p)
        keep_rate_matches(label, kept, p)
        mean_is_preserved(label, X_POS, out, p)
        own_mask_per_example(label, kept)
        out, _ = dropout_call(lib, X_POS, {"p": p, "mode": "train", "seed": seed + 10}, label)
        independent_draws(label, kept, kept_mask(label, X_POS, out, p), "the masks")
    label = "dropout_forward on images (60, 3, 8, 8), p = 0.6, seed 3"
    out, _ = dropout_call(lib, X_IMAGES, {"p": 0.6, "mode": "train", "seed": 3}, label)
    kept = kept_mask(label, X_IMAGES, out, 0.6)
    keep_rate_matches(label, kept, 0.6)
    own_mask_per_example(label, kept)
    seeding(lib, X_POS[:50], 0.7, 11, describe(0.7, "train", 11))


def categories(values, bins):
    """Each value's category: the value itself when there are at most ``bins`` distinct values
    (shifts, kept or dropped), else which of ``bins`` equally full ranges it falls in."""
    values = np.asarray(values, dtype=np.float64).ravel()
    distinct = np.unique(values)
    if len(distinct) <= bins:
        return np.searchsorted(distinct, values)
    return np.searchsorted(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]), values)


def independent(label, first, second, what, bins=4):
    """Fail unless the draws ``first`` and ``second`` (paired entry by entry) look independent:
    a chi-square test of their contingency table, whose Wilson-Hilferty normal score must
    stay within SIGMAS. Right marginal counts are not enough: a shift that is a function
    of the example's index, or the same pattern offset by one random number per call, has
    them, but its pairs fall on a few cells."""
    a, b = categories(first, bins), categories(second, bins)
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    df = (table.shape[0] - 1) * (table.shape[1] - 1)
    if df == 0:
        return
    want = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    chi2 = float(np.sum((table - want) ** 2 / want))
    z = ((chi2 / df) ** (1 / 3) - (1 - 2 / (9 * df))) / np.sqrt(2 / (9 * df))
    if z > SIGMAS:
        raise CheckFailed(f"{label}: {what} are not independent (chi-square {chi2:.0f} on {df} degrees of freedom, "
                          f"{z:.0f} standard errors out): draw every example's randomness afresh from rng, not "
                          "from its index or a pattern")


def independent_draws(label, per_example, other_seed, what, bins=4):
    """Neighbouring examples (in disjoint pairs) draw independently, and so do two generators
    for one example. ``per_example`` and ``other_seed`` have one row of draws per example."""
    rows = np.asarray(per_example, dtype=np.float64).reshape(len(per_example), -1)
    even = rows[: len(rows) // 2 * 2]
    independent(label, even[0::2], even[1::2], f"{what} of examples 2k and 2k + 1", bins)
    independent(label, rows, other_seed, f"{what} that two generators with different seeds give one example", bins)


@check(A, points=1, tags=["regularization.dropout_forward"])
def dropout_forward_test(lib):
    for p in (0.7, 0.25):
        for seed in ("absent", 5):
            param = {"p": p, "mode": "test"} if seed == "absent" else {"p": p, "mode": "test", "seed": seed}
            label = describe(p, "test", seed)
            out, _ = dropout_call(lib, X_POS, param, label)
            if np.any(out == 0):
                raise CheckFailed(f"{label} dropped units: at test time there is no randomness, every unit is used")
            if np.allclose(out, p * X_POS, rtol=1e-12, atol=0):
                raise CheckFailed(f"{label} multiplied x by p: with inverted dropout the scaling happened in "
                                  "training, so test mode returns x unchanged")
            close(f"{label}: out (test mode returns x unchanged)", out, X_POS, 1e-12)


def expected_dx(out, dout, p):
    """What backward must return for a train-mode forward that gave ``out`` (already checked to
    be 0 or x / p): the gradient flows through each kept unit times 1 / p, not through a dropped one."""
    return dout * (np.asarray(out) != 0) / p


def dropout_dx_matches(label, dx, want, dout, x, out):
    dx = as_array(f"{label}: dx", dx, np.shape(want))
    # A float32 forward may keep its mask (and 1 / p) in float32: 1e-7 relative rounding.
    tol = 1e-6 if np.asarray(x).dtype.itemsize <= 4 else 1e-9
    if np.allclose(dx, want, rtol=tol, atol=0):
        return
    kept = np.asarray(out) != 0
    if np.allclose(dx, dout, rtol=1e-12, atol=0):
        raise CheckFailed(f"{label}: dx equals dout; only the kept units pass the gradient, scaled by 1 / p")
    if np.array_equal(dx != 0, kept) and np.allclose(dx[kept], dout[kept], rtol=1e-9, atol=0):
        raise CheckFailed(f"{label}: dx is dout on the kept units, but the forward pass divided them by p, so "
                          "their gradient is dout / p")
    if not np.array_equal(dx != 0, kept):
        wrong = int(np.sum((dx != 0) != kept))
        raise CheckFailed(f"{label}: dx is non-zero on {wrong} units where the forward pass dropped the unit, or "
                          "zero where it kept it: backward must reuse the forward's mask from the cache, not draw "
                          "a new one")
    close(f"{label}: dx", dx, want, tol, "dout * mask / p with the forward's mask")


@check(A, points=2, tags=["regularization.dropout_forward", "regularization.dropout_backward"],
       requires=["dropout_forward"])
def dropout_backward(lib, rng):
    for x, p, seed in [(X_POS[:80], 0.7, 21), (X_IMAGES[:20], 0.4, 22)]:
        label = f"dropout_backward after {describe(p, 'train', seed)}, x of shape {x.shape}"
        out, cache = dropout_call(lib, x, {"p": p, "mode": "train", "seed": seed}, label)
        dout = rng.standard_normal(x.shape)
        kept_mask(label, x, out, p)
        dx = call_backward(lib, "regularization.dropout_backward", dout, cache, label)
        dropout_dx_matches(label, dx, expected_dx(out, dout, p), dout, x, out)
    label = f"dropout_backward after {describe(0.7, 'test')}"
    _, cache = dropout_call(lib, X_POS[:80], {"p": 0.7, "mode": "test"}, label)
    dout = rng.standard_normal(X_POS[:80].shape)
    dx = lib.call("regularization.dropout_backward", dout, cache)
    close(f"{label}: dx (test mode is the identity, so dx = dout)", dx, dout, 1e-12)


# ---------------------------------------------------------------- DropConnect

# One-hot inputs: example n switches on unit n % D alone, so out[n] - b = w[d] * M_n[d] / p
# shows the mask row that example used.
DC_D, DC_M = 6, 40
DC_W = _fixed.uniform(0.5, 1.5, (DC_D, DC_M)) * _fixed.choice([-1.0, 1.0], (DC_D, DC_M))
DC_B = _fixed.uniform(0.5, 1.5, DC_M) * _fixed.choice([-1.0, 1.0], DC_M)


def one_hot(n, d):
    x = np.zeros((n, d))
    x[np.arange(n), np.arange(n) % d] = 1.0
    return x


def dropconnect_call(lib, x, w, b, param, label):
    out, cache = unpack(label, lib.call("regularization.dropconnect_forward", x, w, b, dict(param)), 2)
    return as_array(f"{label}: out", out, (len(x), np.shape(w)[1])), cache


def dc_describe(p, mode, seed="absent"):
    seed_text = "" if seed == "absent" else f", seed {seed}"
    return f"dropconnect_forward(x, w, b, p = {p:g} (probability of KEEPING a weight), mode '{mode}'{seed_text})"


def dropconnect_masks(lib, n, p, seed, label, w=DC_W, b=DC_B):
    """The (n, M) mask rows seen by one-hot examples, after checking each entry is 0 or w / p."""
    D = w.shape[0]
    x = one_hot(n, D)
    out, _ = dropconnect_call(lib, x, w, b, {"p": p, "mode": "train", "seed": seed}, label)
    rows = w[np.arange(n) % D]  # the weights each one-hot example reaches
    masked = out - b
    dropped = np.isclose(masked, 0, rtol=0, atol=1e-12)
    if np.mean(np.isclose(out, 0, atol=1e-12)) > 0.2 and np.mean(dropped) < 0.01:
        raise CheckFailed(f"{label}: where a weight is dropped, out should still be b (the bias is not dropped), "
                          "but out is 0 there")
    ratio = np.where(dropped, 0.0, masked / rows)
    kept = ~dropped
    if kept.any() and not np.allclose(ratio[kept], 1 / p, rtol=1e-6, atol=0):
        typical = float(np.median(ratio[kept]))
        hints = [(1.0, "kept weights are not rescaled: inverted DropConnect divides them by p, so that "
                       "E[out] = x @ w + b and test mode is the plain affine layer"),
                 (p, "kept weights are multiplied by p; inverted DropConnect divides them by p"),
                 (1 / (1 - p), f"kept weights are divided by 1 - p = {1 - p:g}, as if p were the probability of "
                               "dropping. In this course p is the probability of KEEPING a weight: divide by p")]
        for value, why in hints:
            if np.isclose(typical, value, rtol=1e-6):
                raise CheckFailed(f"{label}: {why}")
        raise CheckFailed(f"{label}: with a one-hot x[n] (unit d on), out[n] - b should be w[d] * M_n[d] / p: each "
                          f"entry 0 (dropped) or w[d, m] / p (kept), but (out[n] - b) / w[d] takes values from "
                          f"{ratio[kept].min():.4g} to {ratio[kept].max():.4g}. Is the bias scaled or dropped? It "
                          "is added, unchanged, after the masked product")
    return kept


@check(A, points=2, tags=["regularization.dropconnect_forward"])
def dropconnect_forward(lib):
    x = np.random.default_rng(8).standard_normal((7, DC_D))
    for p in (0.7, 0.3):
        label = dc_describe(p, "test")
        out, _ = dropconnect_call(lib, x, DC_W, DC_B, {"p": p, "mode": "test"}, label)
        if np.allclose(out, p * (x @ DC_W) + DC_B, rtol=1e-9):
            raise CheckFailed(f"{label} scaled x @ w by p: with inverted DropConnect the scaling happened in "
                              "training, so test mode is the plain affine layer x @ w + b")
        close(f"{label}: out (test mode is the plain affine layer x @ w + b)", out, x @ DC_W + DC_B, 1e-9)

    for p, seed in [(0.7, 1), (0.3, 2)]:
        label = dc_describe(p, "train", seed) + " on one-hot inputs"
        kept = dropconnect_masks(lib, 600, p, seed, label)
        keep_rate_matches(label, kept, p, unit="weight")
        same_unit = kept[::DC_D]  # every example that switched on unit 0
        if np.all(same_unit == same_unit[0]):
            raise CheckFailed(f"{label}: every example got the same weight mask; DropConnect draws a mask of "
                              "its own for every example, of shape (N, D, M)")
        spread_matches(label, kept.mean(axis=0), p * (1 - p) / len(kept),
                       "the fraction of examples keeping each weight")

    # E[out] = x @ w + b, measured on 3000 copies of one example.
    p, x0 = 0.6, np.random.default_rng(9).standard_normal(DC_D)
    label = dc_describe(p, "train", 4) + " on 3000 copies of one example"
    out, _ = dropconnect_call(lib, np.tile(x0, (3000, 1)), DC_W, DC_B, {"p": p, "mode": "train", "seed": 4}, label)
    want = x0 @ DC_W + DC_B
    se = np.sqrt((x0**2) @ DC_W**2 * (1 - p) / p / 3000)
    worst = int(np.argmax(np.abs(out.mean(axis=0) - want) / se))
    if abs(out.mean(axis=0)[worst] - want[worst]) > SIGMAS * se[worst]:
        raise CheckFailed(f"{label}: the mean of out[:, {worst}] over the copies is {out.mean(axis=0)[worst]:.4f}, "
                          f"but E[out] = x @ w + b = {want[worst]:.4f} (tolerance +-{SIGMAS * se[worst]:.4f})")

    label = dc_describe(0.7, "train", 11)
    first, _ = dropconnect_call(lib, x, DC_W, DC_B, {"p": 0.7, "mode": "train", "seed": 11}, label)
    again, _ = dropconnect_call(lib, x, DC_W, DC_B, {"p": 0.7, "mode": "train", "seed": 11}, label)
    if not same_arrays(first, again):
        raise CheckFailed(f"{label} gave different masks when called again with the same seed; draw the masks "
                          "from a generator seeded with param['seed']")
    one, _ = dropconnect_call(lib, x, DC_W, DC_B, {"p": 0.7, "mode": "train"}, dc_describe(0.7, "train"))
    two, _ = dropconnect_call(lib, x, DC_W, DC_B, {"p": 0.7, "mode": "train"}, dc_describe(0.7, "train"))
    if same_arrays(one, two):
        raise CheckFailed(f"{dc_describe(0.7, 'train')} gave the same masks twice: without a seed every call must "
                          "draw fresh masks")


def recovered_masks(lib, n, w, b, param, label):
    """The (n, D, M) masks that ``param``'s seed gives a batch of n examples, read by the
    grader from the student's forward on one-hot batches: batch d switches on unit d in
    every example, so out[n] - b = w[d] * M_n[d] / p (each entry checked to be 0 or w / p)."""
    D, M = w.shape
    batches = []
    for d in range(D):
        x = np.zeros((n, D))
        x[:, d] = 1.0
        batches.append((x, w, b, dict(param)))
    outs = lib.map("regularization.dropconnect_forward", batches, pick=0)
    masks = np.zeros((n, D, M), dtype=bool)
    for d, out in enumerate(outs):
        out = as_array(f"{label} on one-hot inputs: out", out, (n, M))
        kept = ~np.isclose(out - b, 0, rtol=0, atol=1e-12)
        close(f"{label} on one-hot inputs (unit {d} on): out - b, each entry 0 or w[{d}] / p",
              np.where(kept, out - b, 0.0), np.where(kept, w[d] / param["p"], 0.0), 1e-9)
        masks[:, d] = kept
    return masks


def dropconnect_gradients(lib, rng, shape, p, seed, mode, ref=None):
    """dropconnect_backward against the gradient the grader computes itself: in train mode
    from the masks it reads off the student's forward (``recovered_masks``), which the seed
    makes deterministic; in test mode, the plain affine layer's."""
    N, D, M = shape
    x = rng.standard_normal((N, D))
    w = rng.uniform(0.5, 1.5, (D, M)) * rng.choice([-1.0, 1.0], (D, M))  # away from 0: masks show
    b = rng.standard_normal(M)
    param = {"p": p, "mode": mode, "seed": seed}
    label = dc_describe(p, mode, seed)
    first, _ = dropconnect_call(lib, x, w, b, param, label)
    again, _ = dropconnect_call(lib, x, w, b, param, label)
    if not same_arrays(first, again):
        raise CheckFailed(f"{label} gave different outputs for the same seed, so its gradient cannot be checked; "
                          "draw the masks from a generator seeded with param['seed']")
    if mode == "test":
        backward_matches_numeric(lib, "regularization.dropconnect_forward", "regularization.dropconnect_backward",
                                 [x, w, b, param], [(0, "dx"), (1, "dw"), (2, "db")], rng, tol=1e-7, ref=ref)
        return
    thinned = w * recovered_masks(lib, N, w, b, param, label) / p  # (N, D, M): what each example used
    out, cache = dropconnect_call(lib, x, w, b, param, label)
    close(f"{label}: out, against x[n] @ (w * M_n / p) + b with the masks this seed gave on one-hot inputs "
          "(draw the masks from the seed alone, not from x)", out, np.einsum("nd,ndm->nm", x, thinned) + b, 1e-9)
    dout = rng.standard_normal(out.shape)
    grads = unpack("dropconnect_backward", call_backward(lib, "regularization.dropconnect_backward", dout, cache), 3)
    want = (np.einsum("nm,ndm->nd", dout, thinned), np.einsum("nd,nm,ndm->dm", x, dout, thinned / w),
            dout.sum(axis=0))
    for name, got, target in zip(("dx", "dw", "db"), grads, want):
        close(f"dropconnect_backward after {label}: {name}", got, target, 1e-7, "the gradient with the forward's masks")


@check(A, points=2, tags=["regularization.dropconnect_forward", "regularization.dropconnect_backward"],
       requires=["dropconnect_forward"])
def dropconnect_backward(lib, ref, rng):
    dropconnect_gradients(lib, rng, (5, 4, 3), 0.6, 3, "train")
    dropconnect_gradients(lib, rng, (3, 6, 2), 0.3, 4, "train")
    dropconnect_gradients(lib, rng, (4, 3, 5), 0.6, 3, "test", ref)


# ---------------------------------------------------------------- augmentation: 1-D signals


def augmented(lib, name, X, seed, label, **kwargs):
    """The student's augmentation of X with Rng(seed); checks shape, finiteness and that X is left alone."""
    result, args = lib.call(f"augmentation.{name}", X, Rng(seed), return_args=True, **kwargs)
    out = as_array(f"{label}: out", result, X.shape)
    if not np.all(np.isfinite(out)):
        raise CheckFailed(f"{label}: out contains inf or nan")
    unchanged_input(label, X, args[0])
    return out


def draws_from_the_given_rng(lib, name, X, label, **kwargs):
    """Same seed: same output; another seed: another output."""
    first = augmented(lib, name, X, 5, label, **kwargs)
    again = augmented(lib, name, X, 5, label, **kwargs)
    if not same_arrays(first, again):
        raise CheckFailed(f"{label}: two generators with the same seed gave different outputs. Draw every random "
                          "number from rng, not from np.random.*")
    other = augmented(lib, name, X, 6, label, **kwargs)
    if same_arrays(first, other):
        raise CheckFailed(f"{label}: generators with different seeds gave the same output; use the rng you are "
                          "given")


def uniform_counts(label, values, choices, what):
    """Fail unless each of ``choices`` occurs about equally often in ``values``, and nothing else occurs."""
    values = np.asarray(values)
    outside = sorted(set(values.tolist()) - set(choices))
    if outside:
        raise CheckFailed(f"{label}: {what} {outside[:5]} occurred, but only {choices[0]} to {choices[-1]} are allowed")
    n, k = len(values), len(choices)
    tol = SIGMAS * np.sqrt(n * (1 / k) * (1 - 1 / k))
    for c in choices:
        count = int(np.sum(values == c))
        if abs(count - n / k) > tol:
            raise CheckFailed(f"{label}: {what} {c} occurred {count} times in {n} examples, but each of the {k} "
                              f"values {choices[0]}..{choices[-1]} should be equally likely ({n / k:.0f} +- {tol:.0f})"
                              + (" (is the upper end excluded? rng.integers(low, high) never returns high)"
                                 if count == 0 else ""))


def one_per_row(label, found, what):
    """Not every example may get the same draw (up to the rounding of recovering it)."""
    found = np.asarray(found, dtype=np.float64)
    if len(found) > 1 and np.all(np.abs(found - found[0]) <= 1e-9 * max(1.0, abs(found[0]))):
        what = what.removeprefix("the ")
        raise CheckFailed(f"{label}: every example got the same {what}; each example needs its own random draw")


def shifts_of(label, X, out, max_shift):
    """The circular shift s_n with out[n] = np.roll(X[n], s_n), for each row; fails if there is none."""
    L = X.shape[1]
    found = np.full(len(X), np.nan)
    for s in range(-L // 2, L // 2 + 1):
        match = np.all(np.isclose(out, np.roll(X, s, axis=1), rtol=1e-12, atol=1e-12), axis=1) & np.isnan(found)
        found[match] = s
    if np.any(np.isnan(found)):
        n = int(np.argmax(np.isnan(found)))
        if not np.allclose(np.sort(out[n]), np.sort(X[n])):
            raise CheckFailed(f"{label}: out[{n}] does not hold the values of X[{n}]: a circular shift moves the "
                              "samples of one signal along its time axis (axis 1), it loses, adds and mixes nothing")
        raise CheckFailed(f"{label}: out[{n}] is not a circular shift of X[{n}] (np.roll of the row)")
    return found.astype(int)


@check(A, points=1, tags=["augmentation.random_shift"])
def random_shift(lib):
    X = np.random.default_rng(12).standard_normal((3000, 20))
    for max_shift in (3, 1):
        label = f"random_shift(X (3000, 20), rng, max_shift={max_shift})"
        out = augmented(lib, "random_shift", X, 0, label, max_shift=max_shift)
        shifts = shifts_of(label, X, out, max_shift)
        one_per_row(label, shifts, "shift")
        uniform_counts(label, shifts, list(range(-max_shift, max_shift + 1)), "the shift")
        other = shifts_of(label, X, augmented(lib, "random_shift", X, 1, label, max_shift=max_shift), max_shift)
        independent_draws(label, shifts, other, "the shifts")
    label = "random_shift(X (5, 20), rng, max_shift=0)"
    close(f"{label}: out (no shift at all)", augmented(lib, "random_shift", X[:5], 0, label, max_shift=0), X[:5], 0)
    draws_from_the_given_rng(lib, "random_shift", X[:50], "random_shift(X (50, 20), rng, max_shift=3)", max_shift=3)


def factors_of(label, X, out):
    """The factor c_n with out[n] = c_n X[n], for each row."""
    factors = np.sum(out * X, axis=1) / np.sum(X * X, axis=1)
    residual = np.abs(out - factors[:, None] * X).max(axis=1) / np.abs(X).max(axis=1)
    if residual.max() > 1e-9:
        n = int(np.argmax(residual))
        raise CheckFailed(f"{label}: out[{n}] is not X[{n}] times one number; each signal is multiplied by a "
                          "single random factor of its own")
    return factors


def uniform_draws(label, values, low, high, what):
    """Fail unless ``values`` look uniform on [low, high]: inside, centred, with the right spread."""
    values = np.asarray(values, dtype=np.float64)
    slack = 1e-9 * max(abs(low), abs(high), 1.0)
    if values.min() < low - slack or values.max() > high + slack:
        raise CheckFailed(f"{label}: {what} ranges from {values.min():.4g} to {values.max():.4g}, outside "
                          f"[{low:g}, {high:g}]")
    n, width = len(values), high - low
    if width == 0:
        return
    one_per_row(label, values, what)
    se_mean = width / np.sqrt(12 * n)
    if abs(values.mean() - (low + high) / 2) > SIGMAS * se_mean:
        raise CheckFailed(f"{label}: {what} has mean {values.mean():.4g}, but uniform draws from [{low:g}, {high:g}] "
                          f"have mean {(low + high) / 2:g} (tolerance +-{SIGMAS * se_mean:.2g})")
    # A uniform variable's variance is width^2 / 12; the sample variance's relative SE is sqrt(0.8 / n).
    ratio = values.var() / (width**2 / 12)
    tol = SIGMAS * np.sqrt(0.8 / n)
    if abs(ratio - 1) > tol:
        raise CheckFailed(f"{label}: {what} has standard deviation {values.std():.4g}, but uniform draws from "
                          f"[{low:g}, {high:g}] have {width / np.sqrt(12):.4g} (tolerance {100 * tol / 2:.0f}%)")


@check(A, points=1, tags=["augmentation.random_scale"])
def random_scale(lib):
    X = np.random.default_rng(13).standard_normal((3000, 20))
    for max_change in (0.2, 0.5):
        label = f"random_scale(X (3000, 20), rng, max_change={max_change})"
        out = augmented(lib, "random_scale", X, 0, label, max_change=max_change)
        factors = factors_of(label, X, out)
        uniform_draws(label, factors, 1 - max_change, 1 + max_change, "the factor")
        other = factors_of(label, X, augmented(lib, "random_scale", X, 1, label, max_change=max_change))
        independent_draws(label, factors, other, "the factors")
    draws_from_the_given_rng(lib, "random_scale", X[:50], "random_scale(X (50, 20), rng, max_change=0.2)",
                             max_change=0.2)


@check(A, points=1, tags=["augmentation.add_noise"])
def add_noise(lib):
    X = np.random.default_rng(14).standard_normal((400, 50)) * 3
    for std in (0.3, 2.0):
        label = f"add_noise(X (400, 50), rng, std={std})"
        noise = augmented(lib, "add_noise", X, 0, label, std=std) - X
        if np.allclose(noise, noise[0], rtol=0, atol=1e-9 * std):
            raise CheckFailed(f"{label}: every example got the same noise; draw noise of the shape of X")
        n = noise.size
        if abs(noise.mean()) > SIGMAS * std / np.sqrt(n):
            raise CheckFailed(f"{label}: the noise out - X has mean {noise.mean():.4g}; it should be 0 "
                              f"(tolerance +-{SIGMAS * std / np.sqrt(n):.2g})")
        tol = SIGMAS / np.sqrt(2 * n)
        if abs(noise.std() / std - 1) > tol:
            hint = " (std is the standard deviation, not the variance)" if np.isclose(noise.std(), std**2, rtol=0.05) \
                else ""
            raise CheckFailed(f"{label}: the noise out - X has standard deviation {noise.std():.4g}, but it should "
                              f"be std = {std:g}{hint} (tolerance +-{100 * tol:.1f}%)")
        other = augmented(lib, "add_noise", X, 1, label, std=std) - X
        independent_draws(label, noise, other, "the noise values")
        spread_matches(label, noise.mean(axis=1), std**2 / noise.shape[1], "the mean noise per example")
        spread_matches(label, noise.mean(axis=0), std**2 / noise.shape[0], "the mean noise per position")
    images = np.random.default_rng(15).standard_normal((4, 3, 5, 5))
    label = "add_noise(images (4, 3, 5, 5), rng, std=0.5)"
    augmented(lib, "add_noise", images, 0, label, std=0.5)
    close(f"{label} with std=0: out", augmented(lib, "add_noise", images, 0, label, std=0.0), images, 0)
    draws_from_the_given_rng(lib, "add_noise", X[:20], "add_noise(X (20, 50), rng, std=0.3)", std=0.3)


# ---------------------------------------------------------------- augmentation: images


def image_batch(seed, shape):
    """Random images with no symmetry, so every flip and crop is recognisable."""
    return np.random.default_rng(seed).standard_normal(shape) + 0.5


def flips_of(label, X, out):
    """True for each image that was mirrored left to right, False for each left as it was."""
    same = np.all(out == X, axis=(1, 2, 3))
    mirrored = np.all(out == X[..., ::-1], axis=(1, 2, 3))
    bad = ~(same | mirrored)
    if bad.any():
        n = int(np.argmax(bad))
        for axis, name in [(2, "upside down (along the height, axis 2)"), (1, "along the channels (axis 1)")]:
            if np.array_equal(out[n], np.flip(X[n], axis=axis - 1)):
                raise CheckFailed(f"{label}: image {n} was flipped {name}; a horizontal flip mirrors left and "
                                  "right, reversing the width, the last axis")
        raise CheckFailed(f"{label}: out[{n}] is neither X[{n}] nor X[{n}] mirrored left to right (X[{n}][..., ::-1])")
    return mirrored


def flip_rate_matches(label, mirrored, p):
    """Fail unless about p of the images were flipped: here p is the probability of FLIPPING."""
    n, rate = mirrored.size, float(mirrored.mean())
    tol = rate_tolerance(p, n)
    if abs(rate - p) <= tol:
        return
    if 0 < rate < 1 and abs(rate - (1 - p)) <= tol:
        raise CheckFailed(f"{label} flipped {rate:.1%} of the images, about 1 - p = {1 - p:g}: in random_flip p is the "
                          "probability of FLIPPING an image (flip where rng.random(N) < p), not of leaving it as it is")
    raise CheckFailed(f"{label} flipped {rate:.1%} of the images; it should flip each with probability p = {p:g} "
                      f"(tolerance +-{tol:.1%}, {SIGMAS} standard errors for {n} images)")


@check(A, points=1, tags=["augmentation.random_flip"])
def random_flip(lib):
    X = image_batch(16, (16, 3, 32, 32))
    label = "random_flip(X (16, 3, 32, 32), rng)"
    flips_of(label, X, augmented(lib, "random_flip", X, 0, label))
    X = image_batch(17, (3000, 2, 3, 4))
    for p in (0.5, 0.2):
        label = f"random_flip(X (3000, 2, 3, 4), rng, p={p})"
        mirrored = flips_of(label, X, augmented(lib, "random_flip", X, 1, label, p=p))
        one_per_row(label, mirrored, "decision to flip")
        flip_rate_matches(label, mirrored, p)
    draws_from_the_given_rng(lib, "random_flip", X[:40], "random_flip(X (40, 2, 3, 4), rng)")


def translated(X, down, right):
    """X moved ``down`` rows and ``right`` columns, with zeros where nothing moved in.

    A window of the padded image whose corner is (i, j) is X moved by (padding - i,
    padding - j): said by index arithmetic, not by padding (padding is the task)."""
    height, width = X.shape[-2:]
    rows, cols = np.arange(height) - down, np.arange(width) - right
    inside = ((rows >= 0) & (rows < height))[:, None] & ((cols >= 0) & (cols < width))[None, :]
    moved = X[..., np.clip(rows, 0, height - 1), :][..., np.clip(cols, 0, width - 1)]
    return np.where(inside, moved, 0.0)


def crops_of(label, X, out, padding):
    """The window corner (i, j) of each cropped image; fails if an image is no such window."""
    H, W = X.shape[-2:]
    corners = np.full((len(X), 2), -1)
    for i in range(2 * padding + 1):
        for j in range(2 * padding + 1):
            match = np.all(out == translated(X, padding - i, padding - j), axis=(1, 2, 3)) & (corners[:, 0] < 0)
            corners[match] = i, j
    if np.any(corners[:, 0] < 0):
        n = int(np.argmax(corners[:, 0] < 0))
        raise CheckFailed(f"{label}: out[{n}] is not a {H}x{W} window of X[{n}] padded with {padding} zeros on "
                          "every side (the window's corner may be anywhere from 0 to 2 * padding)")
    return corners


@check(A, points=2, tags=["augmentation.random_crop"])
def random_crop(lib):
    X = image_batch(18, (16, 3, 32, 32))
    label = "random_crop(X (16, 3, 32, 32), rng, padding=4)"
    crops_of(label, X, augmented(lib, "random_crop", X, 0, label, padding=4), 4)
    X = image_batch(19, (2000, 1, 5, 6))
    label = "random_crop(X (2000, 1, 5, 6), rng, padding=2)"
    corners = crops_of(label, X, augmented(lib, "random_crop", X, 1, label, padding=2), 2)
    one_per_row(label, corners[:, 0] * 10 + corners[:, 1], "window position")
    uniform_counts(label, corners[:, 0], [0, 1, 2, 3, 4], "the window's top row")
    uniform_counts(label, corners[:, 1], [0, 1, 2, 3, 4], "the window's left column")
    other = crops_of(label, X, augmented(lib, "random_crop", X, 3, label, padding=2), 2)
    for axis, what in [(0, "the windows' top rows"), (1, "the windows' left columns")]:
        independent_draws(label, corners[:, axis], other[:, axis], what, bins=5)
    label = "random_crop(X (3, 1, 5, 6), rng, padding=0)"
    close(f"{label}: out (no padding: the image itself)", augmented(lib, "random_crop", X[:3], 2, label, padding=0),
          X[:3], 0)
    draws_from_the_given_rng(lib, "random_crop", X[:40], "random_crop(X (40, 1, 5, 6), rng, padding=2)", padding=2)


def jitter_of(label, X, out):
    """(c_n, b_n) with out[n] = (X[n] - m_n) * c_n + m_n + b_n, for each image."""
    N = len(X)
    flat_x, flat_out = X.reshape(N, -1), out.reshape(N, -1)
    mean_x, mean_out = flat_x.mean(axis=1), flat_out.mean(axis=1)
    centred = flat_x - mean_x[:, None]
    c = np.sum((flat_out - mean_out[:, None]) * centred, axis=1) / np.sum(centred**2, axis=1)
    b = mean_out - mean_x
    residual = np.abs(flat_out - (centred * c[:, None] + mean_x[:, None] + b[:, None])).max(axis=1)
    if residual.max() > 1e-9 * max(1.0, np.abs(flat_x).max()):
        n = int(np.argmax(residual))
        raise CheckFailed(f"{label}: out[{n}] is not (X[{n}] - m) * c + m + b for one contrast factor c and one "
                          "brightness shift b, m being the mean of the whole image (all channels and pixels)")
    return c, b


@check(A, points=1, tags=["augmentation.color_jitter"])
def color_jitter(lib):
    # Images with means far from 0: stretching about 0 instead of the image's mean shows.
    X = image_batch(20, (2000, 3, 4, 4)) * 0.5 + np.random.default_rng(21).uniform(-3, 3, (2000, 1, 1, 1))
    for brightness, contrast in [(0.2, 0.3), (0.5, 0.1)]:
        label = f"color_jitter(X (2000, 3, 4, 4), rng, brightness={brightness}, contrast={contrast})"
        out = augmented(lib, "color_jitter", X, 0, label, brightness=brightness, contrast=contrast)
        c, b = jitter_of(label, X, out)
        uniform_draws(label, c, 1 - contrast, 1 + contrast, "the contrast factor")
        if b.min() < -brightness - 1e-9 or b.max() > brightness + 1e-9:
            raise CheckFailed(f"{label}: the mean of an image changed by {b.min():.3g} to {b.max():.3g}, but only the "
                              f"brightness shift (at most +-{brightness:g}) may move it: stretch each image about "
                              "its own mean, (X - m) * c + m")
        uniform_draws(label, b, -brightness, brightness, "the brightness shift")
    X = image_batch(22, (8, 3, 32, 32))
    label = "color_jitter(X (8, 3, 32, 32), rng, brightness=0, contrast=0)"
    close(f"{label}: out (no change)", augmented(lib, "color_jitter", X, 0, label, brightness=0.0, contrast=0.0), X,
          1e-12)
    draws_from_the_given_rng(lib, "color_jitter", X, "color_jitter(X (8, 3, 32, 32), rng)")
