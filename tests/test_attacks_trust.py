"""Student code that lies rather than escapes: each attack is wrong code arranged to look
right to a grader that trusts the student's own consistency or reports. Through
``grading.grade`` with the reference (trusted grading), each loses the points of the checks
it targets; the self-check (no reference), where noted, is what it would have fooled.
"""

import pytest

from conftest import failed, lib_with
from autograder import grading
from autograder.sandbox import isolation

pytestmark = pytest.mark.skipif(not isolation()[0], reason=f"no sandbox on this machine: {isolation()[1]}")


def grade(lib, names, seed, **kw):
    return grading.grade(lib, names=sorted(names), seed=seed, **kw)


def output(results, name):
    return next(t["output"] for t in results["tests"] if t["name"] == name)


# A sigmoid whose backward is wrong (slope 1/4 everywhere) and whose forward recognises the
# grader's +-h steps: called with an input one entry away from the last ordinary input, it
# answers with the linearisation that the wrong backward implies, so the numeric gradient of
# this forward agrees with this backward. On ordinary inputs the forward is correct.
PROBE_AWARE = """
_base = {}
def sigmoid_forward(x):
    x = np.asarray(x, dtype=float)
    base = _base.get(x.shape)
    if base is not None:
        moved = x != base[0]
        if moved.sum() == 1 and np.abs(x - base[0]).max() < 1e-3:
            return base[1] + 0.25 * (x - base[0]), None
    out = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
    _base[x.shape] = (x.copy(), out)
    return out, out
def sigmoid_backward(dout, cache):
    return 0.25 * dout
"""


@pytest.mark.parametrize("seed", [3, 11])
def test_a_forward_that_recognises_the_numeric_probe_cannot_pass_a_wrong_backward(tmp_path, seed):
    lib = lib_with(tmp_path, "activations", PROBE_AWARE)
    names = {"sigmoid_forward", "sigmoid_backward", "sigmoid_hidden"}
    results = grade(lib, names, seed)
    assert failed(results) == {"sigmoid_backward", "sigmoid_hidden"}, results["tests"]
    assert output(results, "sigmoid_backward").startswith("sigmoid_backward: dx differs from the numeric gradient")
    # Without the reference (the student's own check) the same library fools the visible check:
    # the reason trusted grading differentiates the reference instead.
    assert failed(grade(lib, names, seed, hidden=False)) == set()


def test_a_numeric_gradient_routine_that_identifies_the_probe_instead_of_differencing_fails(tmp_path):
    # The old probe family, f(x) = a x^3 / 3 + b x + c sin(d x) with one (a, b, c, d) for every
    # entry, is pinned down by a few calls at t * e_0; this routine fits it (16 calls, fewer
    # than the 24 of centred differences) and returns its derivative, exact to 1e-14 there.
    lib = lib_with(tmp_path, "gradient_check", """
def _fit(f, x):
    flat = np.zeros(x.size)
    def g(t):
        z = flat.copy(); z[0] = t
        return f(z.reshape(x.shape)) - f(flat.reshape(x.shape))
    ts = np.array([0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4])
    vals = np.array([float(np.sum(g(t))) for t in ts])
    def err(d):
        A = np.stack([ts**3 / 3, ts, np.sin(d * ts)], axis=1)
        coef = np.linalg.lstsq(A, vals, rcond=None)[0]
        return float(np.sum((A @ coef - vals) ** 2)), coef
    grid = np.linspace(0.5, 2.0, 301)
    d = grid[int(np.argmin([err(d)[0] for d in grid]))]
    lo, hi = d - 0.005, d + 0.005
    for _ in range(60):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        lo, hi = (lo, m2) if err(m1)[0] < err(m2)[0] else (m1, hi)
    d = (lo + hi) / 2
    a, b, c = err(d)[1]
    return a * x**2 + b + c * d * np.cos(d * x)
def eval_numerical_gradient(f, x, h=1e-5):
    return _fit(f, x)
def eval_numerical_gradient_array(f, x, df, h=1e-5):
    return df * _fit(f, x)
""")
    names = {"eval_numerical_gradient", "eval_numerical_gradient_array", "gradient_check_hidden"}
    results = grade(lib, names, seed=5)
    assert failed(results) == names, results["tests"]
    assert "differs from the exact gradient" in output(results, "eval_numerical_gradient")


def test_a_numeric_gradient_routine_may_not_spend_unlimited_calls(tmp_path):
    # Fitting a model of the function needs many more calls than differencing: the probe
    # answers at most 4n + 2, and says so.
    lib = lib_with(tmp_path, "gradient_check", """
def eval_numerical_gradient(f, x, h=1e-5):
    for _ in range(10 * x.size):
        f(x)
    return np.zeros(x.shape)
""")
    results = grade(lib, {"eval_numerical_gradient"}, seed=2)
    assert failed(results) == {"eval_numerical_gradient"}
    assert "f was called more than 50 times" in output(results, "eval_numerical_gradient")


def test_an_overfit_routine_that_reports_a_perfect_accuracy_it_did_not_reach_fails(tmp_path):
    # It trains for a few epochs only, then reports 100% and pads the loss history with a
    # made-up decay from the true first loss, which is all a trusting check could see.
    lib = lib_with(tmp_path, "tuning", """
_honest = overfit_small_subset
def overfit_small_subset(model, data, num_examples=20, num_epochs=200, learning_rate=0.3, seed=0):
    indices, _, history = _honest(model, data, num_examples, 3, learning_rate, seed)
    fake = [history[0] * 0.97 ** k for k in range(num_epochs)]
    return indices, 1.0, fake
""")
    names = {"overfit_small_subset", "sanity_checks_hidden"}
    results = grade(lib, names, seed=4)
    assert failed(results) == names, results["tests"]
    assert "train_acc is 1, but the trained network classifies" in output(results, "overfit_small_subset")


def test_an_overfit_routine_whose_history_is_made_up_from_the_start_fails(tmp_path):
    lib = lib_with(tmp_path, "tuning", """
_honest = overfit_small_subset
def overfit_small_subset(model, data, num_examples=20, num_epochs=200, learning_rate=0.3, seed=0):
    indices, acc, history = _honest(model, data, num_examples, num_epochs, learning_rate, seed)
    return indices, acc, list(np.linspace(2.0, 0.01, len(history)))
""")
    results = grade(lib, {"overfit_small_subset"}, seed=4)
    assert failed(results) == {"overfit_small_subset"}
    assert "loss_history[0], against the loss of the untrained network" in output(results, "overfit_small_subset")


def test_a_shift_tied_to_the_example_index_fails(tmp_path):
    # Uniform counts, a different output for every seed and the same output for the same
    # seed: only the independence of the examples' shifts gives it away.
    lib = lib_with(tmp_path, "augmentation", """
def random_shift(X, rng, max_shift=3):
    k = 2 * max_shift + 1
    start = int(rng.integers(k))
    shifts = (np.arange(len(X)) + start) % k - max_shift
    return np.stack([np.roll(row, s) for row, s in zip(X, shifts)]) if len(X) else X.copy()
""")
    results = grade(lib, {"random_shift"}, seed=6)
    assert failed(results) == {"random_shift"}
    assert "the shifts of examples 2k and 2k + 1 are not independent" in output(results, "random_shift")


def test_a_crop_whose_window_is_tied_to_the_example_index_fails(tmp_path):
    # Each corner row and column is uniform and the seed moves them, but image n's window
    # follows from image n - 1's.
    lib = lib_with(tmp_path, "augmentation", """
def random_crop(X, rng, padding=4):
    N, C, H, W = X.shape
    k = 2 * padding + 1
    start = int(rng.integers(k * k))
    padded = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.empty_like(X)
    for n in range(N):
        top, left = divmod((start + 7 * n) % (k * k), k)
        out[n] = padded[n, :, top:top + H, left:left + W]
    return out
""")
    results = grade(lib, {"random_crop"}, seed=12)
    assert failed(results) == {"random_crop"}
    assert "of examples 2k and 2k + 1 are not independent" in output(results, "random_crop")


def test_a_fixed_noise_pattern_with_a_little_fresh_noise_fails(tmp_path):
    # A pattern drawn once from a fixed seed, plus a little noise from rng: the mean and the
    # spread are right, every example and every seed differs, but two generators give one
    # example nearly the same noise.
    lib = lib_with(tmp_path, "augmentation", """
def add_noise(X, rng, std=0.1):
    pattern = np.random.default_rng(12345).standard_normal(X.shape)
    return X + std * (pattern + 0.05 * rng.standard_normal(X.shape)) / np.sqrt(1.0025)
""")
    results = grade(lib, {"add_noise"}, seed=7)
    assert failed(results) == {"add_noise"}
    assert "two generators with different seeds give one example are not independent" in output(results, "add_noise")


def test_a_backward_that_changes_dout_in_place_fails(tmp_path):
    # Its dx is right, but the caller's dout is gone: a second branch fed from the same
    # upstream gradient would get zeros.
    lib = lib_with(tmp_path, "layers", """
def relu_backward(dout, cache):
    dout[cache <= 0] = 0
    return dout
""")
    names = {"relu_backward", "relu_hidden"}
    results = grade(lib, names, seed=8)
    assert failed(results) == names
    assert "relu_backward changed dout in place" in output(results, "relu_backward")


def test_adam_in_the_papers_efficient_form_gets_full_marks(tmp_path):
    lib = lib_with(tmp_path, "optim", """
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)]:
        config.setdefault(key, value)
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw**2
    alpha = config["learning_rate"] * np.sqrt(1 - config["beta2"]**t) / (1 - config["beta1"]**t)
    config.update(m=m, v=v, t=t)
    return w - alpha * m / (np.sqrt(v) + config["epsilon"]), config
""")
    results = grade(lib, {"adam", "adam_hidden"}, seed=9)
    assert failed(results) == set(), results["tests"]
