"""Hidden checks for 06_regularization: dropout, DropConnect and augmentation on random
shapes, keep probabilities, seeds and parameters, including the edges (p = 1, tiny p,
float32, 3-D and 4-D inputs, non-square images, parameters that switch an augmentation
off). Random functions cannot be compared with the reference's draws, so these checks are
statistical too, with the visible checks' tolerances (SIGMAS standard errors).

Instructor-only: this folder is never released.
"""

import numpy as np

from autograder.checks.nb06_regularization import (
    crops_of, dc_describe, describe, draws_from_the_given_rng, dropconnect_call, dropconnect_gradients,
    dropconnect_masks, dropout_call, dropout_dx_matches, expected_dx, factors_of, flip_rate_matches, flips_of,
    jitter_of, augmented, keep_rate_matches, kept_mask, mean_is_preserved, one_per_row, own_mask_per_example,
    same_arrays, shifts_of, uniform_counts, uniform_draws, SIGMAS)
from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, check, close

A = "06_regularization"


def keep_probability(rng):
    """A keep probability away from 0.5, where keeping and dropping cannot be told apart."""
    return float(rng.choice([rng.uniform(0.1, 0.4), rng.uniform(0.6, 0.95)]))


def dropout_inputs(rng):
    """(label, x): shapes and signs dropout must handle; no entry is 0."""
    magnitude = lambda shape: rng.uniform(0.5, 2.0, shape)
    N, D = rng.integers(60, 200), rng.integers(60, 200)
    yield f"x ({N}, {D}), positive", magnitude((N, D))
    yield f"x ({N}, {D}), both signs", magnitude((N, D)) * rng.choice([-1.0, 1.0], (N, D))
    yield "x (40, 3, 6, 5), feature maps", magnitude((40, 3, 6, 5))
    yield "x (50, 7, 20), sequences", magnitude((50, 7, 20)) * rng.choice([-1.0, 1.0], (50, 7, 20))
    yield "x (120, 90), float32", magnitude((120, 90)).astype(np.float32)


@check(A, points=2, tags=["regularization.dropout_forward", "regularization.dropout_backward"], hidden=True)
def dropout_hidden(lib, rng):
    for what, x in dropout_inputs(rng):
        p, seed = keep_probability(rng), int(rng.integers(2**31))
        label = f"{describe(p, 'train', seed)}, {what}"
        out, cache = dropout_call(lib, x, {"p": p, "mode": "train", "seed": seed}, label)
        kept = kept_mask(label, x, out, p)
        keep_rate_matches(label, kept, p)
        mean_is_preserved(label, x, out, p)
        own_mask_per_example(label, kept)
        dout = rng.standard_normal(np.shape(x))
        dx = lib.call("regularization.dropout_backward", dout, cache)
        dropout_dx_matches(f"dropout_backward after {label}", dx, expected_dx(out, dout, p), dout, x, out)

        label = f"{describe(p, 'test', seed)}, {what}"
        out, cache = dropout_call(lib, x, {"p": p, "mode": "test", "seed": seed}, label)
        close(f"{label}: out (test mode returns x unchanged)", out, x, 1e-12)
        dx = lib.call("regularization.dropout_backward", dout, cache)
        close(f"dropout_backward after {label}: dx (= dout)", dx, dout, 1e-12)

    # p = 1 keeps everything: train mode is then the identity too.
    x = rng.standard_normal((30, 40))
    label = describe(1.0, "train", 3)
    out, cache = dropout_call(lib, x, {"p": 1.0, "mode": "train", "seed": 3}, label)
    close(f"{label}: out (keeping every unit changes nothing)", out, x, 1e-12)
    dout = rng.standard_normal(np.shape(x))
    close(f"dropout_backward after {label}: dx", lib.call("regularization.dropout_backward", dout, cache), dout,
          1e-12)

    # A tiny keep probability on a large input: about 2% survive, each multiplied by 50.
    x = rng.uniform(0.5, 2.0, (500, 400))
    label = describe(0.02, "train", 4)
    out, _ = dropout_call(lib, x, {"p": 0.02, "mode": "train", "seed": 4}, label)
    kept = kept_mask(label, x, out, 0.02)
    keep_rate_matches(label, kept, 0.02)
    mean_is_preserved(label, x, out, 0.02)


@check(A, points=2, tags=["regularization.dropconnect_forward", "regularization.dropconnect_backward"],
       hidden=True)
def dropconnect_hidden(lib, rng):
    for _ in range(2):
        D, M = int(rng.integers(2, 9)), int(rng.integers(10, 50))
        w = rng.uniform(0.5, 1.5, (D, M)) * rng.choice([-1.0, 1.0], (D, M))
        b = rng.standard_normal(M)
        p, seed = keep_probability(rng), int(rng.integers(2**31))
        label = f"{dc_describe(p, 'train', seed)} on one-hot inputs, w ({D}, {M})"
        kept = dropconnect_masks(lib, 100 * D, p, seed, label, w=w, b=b)
        keep_rate_matches(label, kept, p, unit="weight")
        same_unit = kept[::D]
        if np.all(same_unit == same_unit[0]):
            raise CheckFailed(f"{label}: every example got the same weight mask; DropConnect draws a mask of its own "
                              "for every example")

        x = rng.standard_normal((int(rng.integers(1, 9)), D))
        label = dc_describe(p, "test", seed)
        out, _ = dropconnect_call(lib, x, w, b, {"p": p, "mode": "test", "seed": seed}, label)
        close(f"{label}: out (test mode is x @ w + b)", out, x @ w + b, 1e-9)

    x, w, b = rng.standard_normal((6, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4)
    label = dc_describe(1.0, "train", 5)
    out, _ = dropconnect_call(lib, x, w, b, {"p": 1.0, "mode": "train", "seed": 5}, label)
    close(f"{label}: out (keeping every weight: the plain affine layer)", out, x @ w + b, 1e-9)

    # Keep probabilities of at least 0.6 on at least 12 weights: some weight survives.
    for shape in [(1, 3, 4), (int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(3, 7)))]:
        dropconnect_gradients(lib, rng, shape, float(rng.uniform(0.6, 0.95)), int(rng.integers(2**31)), "train")
    dropconnect_gradients(lib, rng, (3, 4, 2), 1.0, 6, "train")


@check(A, points=1, tags=["augmentation.random_shift", "augmentation.random_scale", "augmentation.add_noise"],
       hidden=True)
def signal_augmentation_hidden(lib, rng):
    L = int(rng.integers(12, 30))
    X = rng.standard_normal((2000, L)).astype(np.float32 if rng.random() < 0.5 else np.float64)
    max_shift = int(rng.integers(1, (L - 1) // 2))
    label = f"random_shift(X (2000, {L}, {X.dtype}), rng, max_shift={max_shift})"
    shifts = shifts_of(label, X, augmented(lib, "random_shift", X, int(rng.integers(2**31)), label,
                                           max_shift=max_shift), max_shift)
    one_per_row(label, shifts, "shift")
    uniform_counts(label, shifts, list(range(-max_shift, max_shift + 1)), "the shift")

    max_change = float(rng.uniform(0.05, 0.6))
    X = rng.standard_normal((2000, L))
    label = f"random_scale(X (2000, {L}), rng, max_change={max_change:.3f})"
    factors = factors_of(label, X, augmented(lib, "random_scale", X, int(rng.integers(2**31)), label,
                                             max_change=max_change))
    uniform_draws(label, factors, 1 - max_change, 1 + max_change, "the factor")
    label = f"random_scale(X (5, {L}), rng, max_change=0)"
    close(f"{label}: out", augmented(lib, "random_scale", X[:5], 0, label, max_change=0.0), X[:5], 1e-12)

    # Away from 1, where a standard deviation and its square are alike (std**2 for std passed there).
    std = float(rng.uniform(0.01, 0.7) if rng.random() < 0.5 else rng.uniform(1.4, 3.0))
    X = rng.standard_normal((30, 8, 40))
    label = f"add_noise(X (30, 8, 40), rng, std={std:.3f})"
    noise = augmented(lib, "add_noise", X, int(rng.integers(2**31)), label, std=std) - X
    if abs(noise.mean()) > 6 * std / np.sqrt(noise.size) or abs(noise.std() / std - 1) > 6 / np.sqrt(2 * noise.size):
        raise CheckFailed(f"{label}: the noise out - X has mean {noise.mean():.3g} and standard deviation "
                          f"{noise.std():.4g}; it should have mean 0 and standard deviation {std:.4g}")
    if np.allclose(noise, noise[0], rtol=0, atol=1e-6 * std):
        raise CheckFailed(f"{label}: every example got the same noise")


def independent_offsets(label, corners, padding):
    """Fail unless the window's row and column offsets look independent: a chi-square test of
    their table of counts against the product of its margins, at about SIGMAS standard errors."""
    K = 2 * padding + 1
    table = np.zeros((K, K))
    np.add.at(table, (corners[:, 0], corners[:, 1]), 1)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / len(corners)  # every margin > 0: checked before
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    dof = (K - 1) ** 2
    limit = dof * (1 - 2 / (9 * dof) + SIGMAS * np.sqrt(2 / (9 * dof))) ** 3  # Wilson-Hilferty: P(exceed) ~ 1e-9
    if chi2 > limit:
        same = float(np.mean(corners[:, 0] == corners[:, 1]))
        raise CheckFailed(f"{label}: the window's top row i and left column j are not independent: i == j for "
                          f"{same:.0%} of the images, where independent offsets give 1/{K} = {1 / K:.0%} (chi-square "
                          f"{chi2:.0f} over {dof} degrees of freedom, at most {limit:.0f}); draw i and j separately")


@check(A, points=1, tags=["augmentation.random_flip", "augmentation.random_crop", "augmentation.color_jitter"],
       hidden=True)
def image_augmentation_hidden(lib, rng):
    # Non-square images with 1 or 3 channels: a transposed axis cannot pass by symmetry.
    C, H, W = int(rng.choice([1, 3])), int(rng.integers(4, 7)), int(rng.integers(8, 12))
    X = rng.standard_normal((1500, C, H, W)) + 0.5
    p = float(rng.choice([rng.uniform(0.15, 0.4), rng.uniform(0.6, 0.85)]))  # away from 0.5: p and 1 - p differ
    label = f"random_flip(X (1500, {C}, {H}, {W}), rng, p={p:.3f})"
    mirrored = flips_of(label, X, augmented(lib, "random_flip", X, int(rng.integers(2**31)), label, p=p))
    one_per_row(label, mirrored, "decision to flip")
    flip_rate_matches(label, mirrored, p)
    for edge in (0.0, 1.0):
        label = f"random_flip(X (20, {C}, {H}, {W}), rng, p={edge:g})"
        out = augmented(lib, "random_flip", X[:20], int(rng.integers(2**31)), label, p=edge)
        close(f"{label}: out", out, X[:20, ..., ::-1] if edge else X[:20], 0)

    padding = int(rng.integers(1, 4))  # < H: every window then shows part of the image, so it is unique
    label = f"random_crop(X (1500, {C}, {H}, {W}), rng, padding={padding})"
    corners = crops_of(label, X, augmented(lib, "random_crop", X, int(rng.integers(2**31)), label,
                                           padding=padding), padding)
    one_per_row(label, corners[:, 0] * 100 + corners[:, 1], "window position")
    uniform_counts(label, corners[:, 0], list(range(2 * padding + 1)), "the window's top row")
    uniform_counts(label, corners[:, 1], list(range(2 * padding + 1)), "the window's left column")
    independent_offsets(label, corners, padding)

    brightness, contrast = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.05, 0.6))
    # Three channels, each image offset as a whole: a mean per channel would show.
    X = rng.standard_normal((1500, 3, H, W)) + rng.uniform(-2, 2, (1500, 1, 1, 1))
    label = f"color_jitter(X (1500, 3, {H}, {W}), rng, brightness={brightness:.3f}, contrast={contrast:.3f})"
    c, b = jitter_of(label, X, augmented(lib, "color_jitter", X, int(rng.integers(2**31)), label,
                                         brightness=brightness, contrast=contrast))
    uniform_draws(label, c, 1 - contrast, 1 + contrast, "the contrast factor")
    uniform_draws(label, b, -brightness, brightness, "the brightness shift")
    X32 = X[:10].astype(np.float32)
    draws_from_the_given_rng(lib, "color_jitter", X32, f"color_jitter(X (10, 3, {H}, {W}), float32), rng)")


# Realistic bugs, each a small change to the reference: tests/test_checks.py asserts that
# every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("dropout_no_rescaling", "regularization",
           "mask = (rng.random(x.shape) < p).astype(x.dtype) / p",
           "mask = (rng.random(x.shape) < p).astype(x.dtype) * 1.0", ("dropout_forward", "dropout_hidden")),
    Mutant("dropout_scales_at_test_time", "regularization", "    else:\n        out = x\n",
           "    else:\n        out = x * p\n", ("dropout_forward_test", "dropout_hidden")),
    Mutant("dropout_p_means_drop", "regularization",
           "mask = (rng.random(x.shape) < p).astype(x.dtype) / p",
           "mask = (rng.random(x.shape) >= p).astype(x.dtype) / (1 - p)", ("dropout_forward", "dropout_hidden")),
    Mutant("dropout_same_mask_for_every_example", "regularization",
           "mask = (rng.random(x.shape) < p).astype(x.dtype) / p",
           "mask = (rng.random(x.shape[1:]) < p).astype(x.dtype) / p", ("dropout_forward", "dropout_hidden")),
    Mutant("dropout_fixed_seed_when_none_is_given", "regularization",
           'rng = np.random.default_rng(dropout_param.get("seed"))',
           'rng = np.random.default_rng(dropout_param.get("seed", 0))', ("dropout_forward",)),
    Mutant("dropout_ignores_the_seed", "regularization",
           'rng = np.random.default_rng(dropout_param.get("seed"))', "rng = np.random.default_rng()",
           ("dropout_forward",)),
    Mutant("dropout_new_mask_in_backward", "regularization", "        dx = dout * mask\n",
           '        dx = dout * (np.random.random(dout.shape) < dropout_param["p"]) / dropout_param["p"]\n',
           ("dropout_backward", "dropout_hidden")),
    Mutant("dropout_backward_forgets_the_scale", "regularization", "        dx = dout * mask\n",
           "        dx = dout * (mask != 0)\n", ("dropout_backward", "dropout_hidden")),
    Mutant("dropconnect_no_rescaling", "regularization", 'out = np.einsum("nd,ndm->nm", x, w * masks) / p + b',
           'out = np.einsum("nd,ndm->nm", x, w * masks) + b', ("dropconnect_forward", "dropconnect_hidden")),
    Mutant("dropconnect_p_means_drop", "regularization", "masks = rng.random((x.shape[0], *w.shape)) < p",
           "masks = rng.random((x.shape[0], *w.shape)) >= p", ("dropconnect_forward", "dropconnect_hidden")),
    Mutant("dropconnect_one_mask_for_the_batch", "regularization",
           "masks = rng.random((x.shape[0], *w.shape)) < p",
           "masks = np.broadcast_to(rng.random(w.shape) < p, (x.shape[0], *w.shape))",
           ("dropconnect_forward", "dropconnect_hidden")),
    Mutant("dropconnect_bias_scaled", "regularization", 'out = np.einsum("nd,ndm->nm", x, w * masks) / p + b',
           'out = (np.einsum("nd,ndm->nm", x, w * masks) + b) / p',
           ("dropconnect_forward", "dropconnect_backward", "dropconnect_hidden")),
    Mutant("dropconnect_scales_at_test_time", "regularization", "        out = x @ w + b\n",
           "        out = p * (x @ w) + b\n", ("dropconnect_forward", "dropconnect_backward", "dropconnect_hidden")),
    Mutant("dropconnect_new_masks_in_backward", "regularization",
           'dx = np.einsum("nm,ndm->nd", dout, w * masks) / p',
           'dx = np.einsum("nm,ndm->nd", dout, w * (np.random.random(masks.shape) < p)) / p',
           ("dropconnect_backward", "dropconnect_hidden")),
    Mutant("dropconnect_dw_without_masks", "regularization",
           'dw = np.einsum("nd,nm,ndm->dm", x, dout, masks) / p', "dw = x.T @ dout / p",
           ("dropconnect_backward", "dropconnect_hidden")),
    Mutant("shift_same_for_the_batch", "augmentation", "shifts = rng.integers(-max_shift, max_shift + 1, size=N)",
           "shifts = np.full(N, rng.integers(-max_shift, max_shift + 1))",
           ("random_shift", "signal_augmentation_hidden")),
    Mutant("shift_never_reaches_max_shift", "augmentation",
           "shifts = rng.integers(-max_shift, max_shift + 1, size=N)",
           "shifts = rng.integers(-max_shift, max_shift, size=N)", ("random_shift", "signal_augmentation_hidden")),
    Mutant("shift_fills_with_zeros", "augmentation", "out = np.take_along_axis(X, source, axis=1)",
           "out = np.where((np.arange(L) - shifts[:, None] >= 0) & (np.arange(L) - shifts[:, None] < L), "
           "np.take_along_axis(X, source, axis=1), 0.0)", ("random_shift", "signal_augmentation_hidden")),
    Mutant("scale_one_factor_for_the_batch", "augmentation",
           "factors = rng.uniform(1 - max_change, 1 + max_change, size=(X.shape[0], 1))",
           "factors = rng.uniform(1 - max_change, 1 + max_change)", ("random_scale", "signal_augmentation_hidden")),
    Mutant("scale_gaussian_factor", "augmentation",
           "factors = rng.uniform(1 - max_change, 1 + max_change, size=(X.shape[0], 1))",
           "factors = rng.normal(1, max_change, size=(X.shape[0], 1))", ("random_scale", "signal_augmentation_hidden")),
    Mutant("noise_std_taken_as_variance", "augmentation", "out = X + std * rng.standard_normal(X.shape)",
           "out = X + std**2 * rng.standard_normal(X.shape)", ("add_noise", "signal_augmentation_hidden")),
    Mutant("noise_same_for_every_example", "augmentation", "out = X + std * rng.standard_normal(X.shape)",
           "out = X + std * rng.standard_normal(X.shape[1:])", ("add_noise", "signal_augmentation_hidden")),
    Mutant("flip_upside_down", "augmentation", "out[flip] = X[flip][..., ::-1]", "out[flip] = X[flip][:, :, ::-1]",
           ("random_flip", "image_augmentation_hidden")),
    Mutant("flip_p_means_keep", "augmentation", "flip = rng.random(X.shape[0]) < p",
           "flip = rng.random(X.shape[0]) >= p", ("random_flip", "image_augmentation_hidden")),
    Mutant("flip_the_whole_batch_or_nothing", "augmentation", "flip = rng.random(X.shape[0]) < p",
           "flip = np.full(X.shape[0], rng.random() < p)", ("random_flip", "image_augmentation_hidden")),
    Mutant("crop_without_padding", "augmentation",
           "padded = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "padded = X",
           ("random_crop", "image_augmentation_hidden")),
    Mutant("crop_never_at_the_last_offset", "augmentation", "tops = rng.integers(0, 2 * padding + 1, size=N)",
           "tops = rng.integers(0, 2 * padding, size=N)", ("random_crop", "image_augmentation_hidden")),
    Mutant("crop_one_offset_for_both_axes", "augmentation", "lefts = rng.integers(0, 2 * padding + 1, size=N)",
           "lefts = tops", ("image_augmentation_hidden",)),
    Mutant("crop_same_window_for_the_batch", "augmentation",
           "tops = rng.integers(0, 2 * padding + 1, size=N)\n    lefts = rng.integers(0, 2 * padding + 1, size=N)",
           "tops = np.full(N, rng.integers(0, 2 * padding + 1))\n"
           "    lefts = np.full(N, rng.integers(0, 2 * padding + 1))", ("random_crop", "image_augmentation_hidden")),
    Mutant("jitter_contrast_about_zero", "augmentation", "out = (X - m) * c + m + b", "out = X * c + b",
           ("color_jitter", "image_augmentation_hidden")),
    Mutant("jitter_mean_per_channel", "augmentation", "m = X.mean(axis=(1, 2, 3), keepdims=True)",
           "m = X.mean(axis=(2, 3), keepdims=True)", ("color_jitter", "image_augmentation_hidden")),
    Mutant("jitter_same_for_the_batch", "augmentation",
           "c = rng.uniform(1 - contrast, 1 + contrast, size=(N, 1, 1, 1))",
           "c = rng.uniform(1 - contrast, 1 + contrast)", ("color_jitter", "image_augmentation_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook. They draw their randomness in other
# ways and orders than the reference (np.random.seed + rand as CS231n does, binomial,
# RandomState, one draw per example in a loop), which the statistical checks must accept.
# Every line here counts as secret in tests/test_release.py, so no line repeats one of the
# released stubs verbatim: each signature carries a comment.
ALTERNATIVES = [
    Alternative("dropout_cs231n_global_seed", "regularization", '''
        def dropout_forward(x, dropout_param):  # CS231n's, from 2017 on
            p = dropout_param["p"]
            mode = dropout_param["mode"]
            if "seed" in dropout_param:
                np.random.seed(dropout_param["seed"])
            mask = None
            out = None
            if mode == "train":
                mask = (np.random.rand(*x.shape) < p) / p
                out = x * mask
            elif mode == "test":
                out = x
            out = out.astype(x.dtype, copy=False)
            cache = (dropout_param, mask)
            return (out, cache)

        def dropout_backward(dout, cache):  # the mask already holds 1 / p
            dropout_param, mask = cache
            mode = dropout_param["mode"]
            dx = None
            if mode == "train":
                dx = dout * mask
            elif mode == "test":
                dx = dout
            return dx
        ''', ("dropout_forward", "dropout_backward")),
    Alternative("dropout_binomial_dict_cache", "regularization", '''
        def dropout_forward(x, dropout_param):  # 0/1 mask, scaled separately
            p = dropout_param["p"]
            mode = dropout_param["mode"]
            if mode != "train" and mode != "test":
                raise ValueError(mode)
            if mode == "test":
                return x, {"mode": mode}
            rng = np.random.default_rng(dropout_param.get("seed"))
            keep = rng.binomial(1, p, size=x.shape)
            return x * keep / p, {"mode": mode, "keep": keep, "p": p}

        def dropout_backward(dout, cache):  # rescale with the 0/1 mask
            if cache["mode"] == "test":
                return dout
            return dout * cache["keep"] / cache["p"]
        ''', ("dropout_forward", "dropout_backward")),
    Alternative("dropout_randomstate_where", "regularization", '''
        def dropout_forward(x, dropout_param):  # a legacy RandomState
            p = dropout_param["p"]
            if dropout_param["mode"] == "train":
                rs = np.random.RandomState(dropout_param.get("seed"))
                kept = rs.uniform(size=x.shape) < p
                return np.where(kept, x / p, 0.0), (True, kept, p)
            return x.copy(), (False, None, p)

        def dropout_backward(dout, cache):  # the boolean mask again
            train, kept, p = cache
            return np.where(kept, dout / p, 0.0) if train else dout
        ''', ("dropout_forward", "dropout_backward")),
    Alternative("dropconnect_loop_over_examples", "regularization", '''
        def dropconnect_forward(x, w, b, param):  # one example at a time
            p = param["p"]
            mode = param["mode"]
            if mode == "test":
                return x.dot(w) + b, (x, w, None, p)
            rng = np.random.default_rng(param.get("seed"))
            N = x.shape[0]
            masks = np.empty((N,) + w.shape)
            out = np.empty((N, w.shape[1]))
            for n in range(N):
                masks[n] = rng.binomial(1, p, size=w.shape)
                out[n] = x[n].dot(w * masks[n]) / p + b
            return out, (x, w, masks, p)

        def dropconnect_backward(dout, cache):  # one example at a time
            x, w, masks, p = cache
            db = np.sum(dout, axis=0)
            if masks is None:
                return dout.dot(w.T), x.T.dot(dout), db
            dx = np.zeros(x.shape)
            dw = np.zeros(w.shape)
            for n in range(x.shape[0]):
                dx[n] = (w * masks[n] / p).dot(dout[n])
                dw += np.outer(x[n], dout[n]) * masks[n] / p
            return (dx, dw, db)
        ''', ("dropconnect_forward", "dropconnect_backward")),
    Alternative("dropconnect_batched_matmul_global_seed", "regularization", '''
        def dropconnect_forward(x, w, b, param):  # batched matmul
            mode = param["mode"]
            if mode != "train" and mode != "test":
                raise ValueError(mode)
            if mode == "test":
                return x @ w + b, {"x": x, "w": w}
            p = param["p"]
            if "seed" in param:
                np.random.seed(param["seed"])
            keep = np.random.rand(x.shape[0], *w.shape) < p
            w_thin = np.where(keep, w / p, 0.0)  # (N, D, M): each example's thinned weights
            out = np.matmul(x[:, None, :], w_thin)[:, 0, :] + b
            return out, {"x": x, "w": w, "w_thin": w_thin, "keep": keep, "p": p}

        def dropconnect_backward(dout, cache):  # batched matmul
            x, w = cache["x"], cache["w"]
            db = dout.sum(axis=0)
            if "w_thin" not in cache:
                return dout @ w.T, x.T @ dout, db
            dx = np.matmul(cache["w_thin"], dout[:, :, None])[:, :, 0]
            dw = np.sum(x[:, :, None] * dout[:, None, :] * cache["keep"], axis=0) / cache["p"]
            return (dx, dw, db)
        ''', ("dropconnect_forward", "dropconnect_backward")),
    Alternative("shift_roll_each_row", "augmentation", '''
        def random_shift(X, rng, max_shift=3):  # np.roll, row by row
            shifted = np.empty_like(X)
            for n in range(X.shape[0]):
                shifted[n] = np.roll(X[n], rng.integers(-max_shift, max_shift, endpoint=True))
            return shifted
        ''', ("random_shift",)),
    Alternative("shift_choice_and_fancy_index", "augmentation", '''
        def random_shift(X, rng, max_shift=3):  # fancy indexing
            N, L = X.shape
            s = rng.choice(np.arange(-max_shift, max_shift + 1), size=N)
            cols = (np.arange(L) - s[:, None]) % L
            return X[np.arange(N)[:, None], cols]
        ''', ("random_shift",)),
    Alternative("scale_uniform_column", "augmentation", '''
        def random_scale(X, rng, max_change=0.2):  # a column of factors
            return X * rng.uniform(1 - max_change, 1 + max_change, X.shape[0])[:, None]
        ''', ("random_scale",)),
    Alternative("scale_from_unit_interval", "augmentation", '''
        def random_scale(X, rng, max_change=0.2):  # from rng.random()
            factors = 1 + max_change * (2 * rng.random(len(X)) - 1)
            return X * factors.reshape(-1, 1)
        ''', ("random_scale",)),
    Alternative("noise_normal_around_x", "augmentation", '''
        def add_noise(X, rng, std=0.1):  # normal around X
            return rng.normal(loc=X, scale=std)
        ''', ("add_noise",)),
    Alternative("noise_added_in_place_to_a_copy", "augmentation", '''
        def add_noise(X, rng, std=0.1):  # in place, on a copy
            out = X.astype(float)
            out += rng.normal(0.0, std, size=X.shape)
            return out
        ''', ("add_noise",)),
    Alternative("flip_loop_coin_per_image", "augmentation", '''
        def random_flip(X, rng, p=0.5):  # a coin per image
            out = X.copy()
            for n in range(len(X)):
                if rng.random() < p:
                    out[n] = X[n, :, :, ::-1]
            return out
        ''', ("random_flip",)),
    Alternative("flip_binomial_where", "augmentation", '''
        def random_flip(X, rng, p=0.5):  # np.where
            flip = rng.binomial(1, p, size=X.shape[0]).astype(bool)
            return np.where(flip[:, None, None, None], np.flip(X, axis=3), X)
        ''', ("random_flip",)),
    Alternative("crop_pad_each_image", "augmentation", '''
        def random_crop(X, rng, padding=4):  # pad image by image
            N, C, H, W = X.shape
            crops = np.empty_like(X)
            for n in range(N):
                img = np.pad(X[n], ((0, 0), (padding, padding), (padding, padding)), mode="constant")
                i, j = rng.integers(0, 2 * padding + 1, size=2)
                crops[n] = img[:, i:i + H, j:j + W]
            return crops
        ''', ("random_crop",)),
    Alternative("crop_canvas_and_fancy_index", "augmentation", '''
        def random_crop(X, rng, padding=4):  # a zero canvas
            N, C, H, W = X.shape
            canvas = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=X.dtype)
            canvas[:, :, padding:padding + H, padding:padding + W] = X
            offsets = rng.integers(0, 2 * padding, size=(N, 2), endpoint=True)
            rows = offsets[:, :1] + np.arange(H)  # (N, H)
            cols = offsets[:, 1:] + np.arange(W)  # (N, W)
            n = np.arange(N)[:, None, None, None]
            c = np.arange(C)[None, :, None, None]
            return canvas[n, c, rows[:, None, :, None], cols[:, None, None, :]]
        ''', ("random_crop",)),
    Alternative("jitter_loop_per_image", "augmentation", '''
        def color_jitter(X, rng, brightness=0.2, contrast=0.2):  # image by image
            out = np.empty(X.shape, dtype=np.result_type(X, 1.0))
            for n in range(len(X)):
                c = rng.uniform(1 - contrast, 1 + contrast)
                b = rng.uniform(-brightness, brightness)
                m = X[n].mean()
                out[n] = (X[n] - m) * c + m + b
            return out
        ''', ("color_jitter",)),
    Alternative("jitter_blend_with_the_mean", "augmentation", '''
        def color_jitter(X, rng, brightness=0.2, contrast=0.2):  # a blend with the mean
            N = len(X)
            shape = (N,) + (1,) * (X.ndim - 1)
            c = 1 + contrast * rng.uniform(-1, 1, size=shape)
            b = brightness * rng.uniform(-1, 1, size=shape)
            m = X.reshape(N, -1).mean(axis=1).reshape(shape)
            return c * X + (1 - c) * m + b
        ''', ("color_jitter",)),
]
