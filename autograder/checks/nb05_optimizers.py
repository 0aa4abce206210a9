"""Visible checks for notebook 05_optimizers: update rules, learning-rate schedules,
Newton's step and L-BFGS.

The update rules are checked on fixed inputs in the self-check; in trusted grading the
same inputs scaled by random factors from the run's seed, against the reference (``Steps``).
For sgd_momentum, rmsprop and adam the
inputs and expected values are the ones CS231n's assignment publishes (rounded there to
8 decimals, hence a tolerance of 2e-7 where entries are small), so code written for that
assignment passes here too. The other expected values are small enough to work out by
hand. Every rule is also run twice in a row, feeding back the config it returned, since
the state it keeps there is half of the rule.

L-BFGS is checked against the grader's own dense BFGS matrix, and the minimiser on
objectives the grader evaluates itself (student code can call them, not read them).
"""

import copy
import math

import numpy as np

from ..gradcheck import varied
from ..registry import CheckFailed, as_array, check, close, scalar, unpack
from ..sandbox import Callback, Opaque, StudentError

A = "05_optimizers"

# CS231n's test inputs: 4 x 5 arrays spread evenly over fixed ranges.
_N, _D = 4, 5
W = np.linspace(-0.4, 0.6, num=_N * _D).reshape(_N, _D)
DW = np.linspace(-0.6, 0.4, num=_N * _D).reshape(_N, _D)


def step(lib, rule, w, dw, config, label):
    """(next_w, config) of one call of the student's rule, both checked for form."""
    result = unpack(label, lib.call(f"optim.{rule}", w, dw, config), 2)
    next_w = as_array(f"{label}: next_w", result[0], np.shape(w))
    if not isinstance(result[1], dict):
        raise CheckFailed(f"{label}: the second value returned should be the config dict, "
                          f"but it is {type(result[1]).__name__}")
    return next_w, result[1]


def state(label, config, key, want, tol, hint=""):
    if key not in config:
        raise CheckFailed(f"{label}: config has no {key!r} after the call; store the rule's state in "
                          f"config[{key!r}] so the next step can use it")
    return close(f"{label}: config[{key!r}]{hint}", config[key], want, tol)


def defaults(label, config, wanted):
    for key, value in wanted.items():
        if key not in config:
            raise CheckFailed(f"{label}: config[{key!r}] is missing; fill in the default with "
                              f"config.setdefault({key!r}, {value!r})")
        if scalar(f"{label}: config[{key!r}]", config[key]) != value:
            raise CheckFailed(f"{label}: the default config[{key!r}] should be {value!r}, got {config[key]!r}")


class Steps:
    """One visible check's calls of an update rule. In the self-check (``ref`` None) the
    inputs are the fixed ones and ``want`` gives the table written for them. In trusted
    grading every input array is scaled entry by entry by random factors from the run's seed
    (``gradcheck.varied``: signs, zeros and sizes stay) and ``want`` gives what the
    reference's rule makes of the same inputs: next_w, a config entry, or "paper", Adam's
    next_w in the efficient form of Kingma and Ba's paper (epsilon added to sqrt(v): the same
    step with epsilon / sqrt(1 - beta2**t) in epsilon's place)."""

    def __init__(self, lib, ref, rng):
        self.lib, self.ref, self.rng, self.done = lib, ref, rng, None

    def inputs(self, *arrays):
        return [varied(self.ref, self.rng, a) for a in arrays]

    def step(self, rule, w, dw, config, label):
        got = step(self.lib, rule, w, dw, config, label)
        if self.ref is not None:
            self.done = (rule, np.array(w, dtype=np.float64), np.array(dw), copy.deepcopy(config))
        return got

    def want(self, what, table):
        if self.ref is None:
            return table
        rule, w, dw, config = self.done
        config = copy.deepcopy(config)
        if what == "paper":
            after = getattr(self.ref.optim, rule)(w.copy(), dw, copy.deepcopy(config))[1]
            config = config or {}
            config["epsilon"] = after["epsilon"] / np.sqrt(1 - after["beta2"] ** after["t"])
        next_w, config = getattr(self.ref.optim, rule)(w.copy(), dw, config)
        return next_w if what in ("next_w", "paper") else config[what]


@check(A, points=2, tags=["optim.sgd_momentum"])
def sgd_momentum(lib, ref, rng):
    run = Steps(lib, ref, rng)
    label = "sgd_momentum (CS231n's test, learning_rate 1e-3)"
    w, dw, v = run.inputs(W, DW, np.linspace(0.6, 0.9, num=_N * _D).reshape(_N, _D))
    next_w, config = run.step("sgd_momentum", w, dw, {"learning_rate": 1e-3, "velocity": v}, label)
    state(label, config, "velocity", run.want("velocity", [
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]]), 1e-8,
        " (momentum * v - learning_rate * dw)")
    close(f"{label}: next_w (w + the new velocity)", next_w, run.want("next_w", [
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]]), 1e-8)

    label = "sgd_momentum (config None, then a second step with the returned config)"
    w, dw = run.inputs(np.array([1.0, -2.0, 0.5]), np.array([1.0, 0.5, -2.0]))
    w1, config = run.step("sgd_momentum", w, dw, None, label)
    defaults(label, config, {"learning_rate": 1e-2, "momentum": 0.9})
    close(f"{label}: next_w after step 1 (the velocity starts at zero)", w1, run.want("next_w", [0.99, -2.005, 0.52]),
          1e-12)
    w2, config = run.step("sgd_momentum", w1, dw, config, label)
    state(label, config, "velocity", run.want("velocity", [-0.019, -0.0095, 0.038]), 1e-12,
          " after step 2 (0.9 * v - 0.01 * dw)")
    close(f"{label}: next_w after step 2", w2, run.want("next_w", [0.971, -2.0145, 0.558]), 1e-12)


@check(A, points=2, tags=["optim.nesterov_momentum"])
def nesterov_momentum(lib, ref, rng):
    run = Steps(lib, ref, rng)
    label = "nesterov_momentum (learning_rate 0.1, momentum 0.9)"
    w, dw, v = run.inputs(np.array([1.0, -2.0, 0.5]), np.array([1.0, 0.5, -2.0]), np.array([0.0, 0.2, -0.1]))
    w1, config = run.step("nesterov_momentum", w, dw, {"learning_rate": 0.1, "momentum": 0.9, "velocity": v},
                          label)
    velocity = run.want("velocity", [-0.1, 0.13, 0.11])
    state(label, config, "velocity", velocity, 1e-12, " (momentum * v - learning_rate * dw)")
    plain = w + np.asarray(velocity)
    if np.allclose(w1, plain):
        raise CheckFailed(f"{label}: next_w is w + v, the plain momentum step; Nesterov's change of variables "
                          "gives w - momentum * v_prev + (1 + momentum) * v")
    close(f"{label}: next_w (w - momentum * v_prev + (1 + momentum) * v)", w1, run.want("next_w", [0.81, -1.933, 0.799]),
          1e-12)
    w2, config = run.step("nesterov_momentum", w1, np.full(3, 0.5), config, f"{label}, step 2")
    state(f"{label}, step 2", config, "velocity", run.want("velocity", [-0.14, 0.067, 0.049]), 1e-12)
    close(f"{label}, step 2: next_w", w2, run.want("next_w", [0.634, -1.9227, 0.7931]), 1e-12)

    label = "nesterov_momentum (config None)"
    _, config = run.step("nesterov_momentum", w, dw, None, label)
    defaults(label, config, {"learning_rate": 1e-2, "momentum": 0.9})
    state(label, config, "velocity", -0.01 * dw, 1e-12, " (the velocity starts at zero)")


# Fixed inputs for the adaptive rules: large gradients, a zero one (the division must
# stay finite) and a tiny one, where the place of epsilon matters.
W_ADAPT = np.array([1.0, -2.0, 0.5, 3.0])
DW_ADAPT = np.array([3.0, -4.0, 0.0, 1e-4])


@check(A, points=2, tags=["optim.adagrad"])
def adagrad(lib, ref, rng):
    run = Steps(lib, ref, rng)
    w, dw = run.inputs(W_ADAPT, DW_ADAPT)
    label = "adagrad (learning_rate 0.1, starting without a cache)"
    w1, config = run.step("adagrad", w, dw, {"learning_rate": 0.1}, label)
    defaults(label, config, {"epsilon": 1e-7})
    state(label, config, "cache", run.want("cache", [9.0, 16.0, 0.0, 1e-8]), 1e-12, " (the sum of dw**2)")
    if not np.all(np.isfinite(w1)):
        raise CheckFailed(f"{label}: next_w is not finite where dw is 0: add epsilon to the square root")
    close(f"{label}: next_w (w - learning_rate * dw / (sqrt(cache) + epsilon), epsilon outside the root)", w1,
          run.want("next_w", [0.9000000033333332, -1.9000000025, 0.5, 2.9000999000999]), 1e-9)
    label = "adagrad (a second step with the same gradient and the returned config)"
    w2, config = run.step("adagrad", w1, dw, config, label)
    state(label, config, "cache", run.want("cache", [18.0, 32.0, 0.0, 2e-8]), 1e-12, " (the sum keeps growing)")
    close(f"{label}: next_w (this step is 1/sqrt(2) of the first)", w2,
          run.want("next_w", [0.829289326881345, -1.8292893256313452, 0.5, 2.8294391866508883]), 1e-9)


@check(A, points=2, tags=["optim.rmsprop"])
def rmsprop(lib, ref, rng):
    run = Steps(lib, ref, rng)
    label = "rmsprop (CS231n's test, learning_rate 1e-2)"
    w, dw, cache = run.inputs(W, DW, np.linspace(0.6, 0.9, num=_N * _D).reshape(_N, _D))
    next_w, config = run.step("rmsprop", w, dw, {"learning_rate": 1e-2, "cache": cache}, label)
    state(label, config, "cache", run.want("cache", [
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]]), 1e-8,
        " (decay_rate * cache + (1 - decay_rate) * dw**2)")
    close(f"{label}: next_w", next_w, run.want("next_w", [
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]]), 2e-7)

    label = "rmsprop (config None, then a second step)"
    w, dw = run.inputs(W_ADAPT, DW_ADAPT)
    w1, config = run.step("rmsprop", w, dw, None, label)
    defaults(label, config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    state(label, config, "cache", run.want("cache", [0.09, 0.16, 0.0, 1e-10]), 1e-12, " after step 1 (it starts at zero)")
    if not np.all(np.isfinite(w1)):
        raise CheckFailed(f"{label}: next_w is not finite where dw is 0: add epsilon to the square root")
    close(f"{label}: next_w after step 1 (epsilon outside the square root)", w1,
          run.want("next_w", [0.9000000033333333, -1.9000000025, 0.5, 2.9000999000999]), 1e-9)
    w2, config = run.step("rmsprop", w1, dw, config, label)
    state(label, config, "cache", run.want("cache", [0.1791, 0.3184, 0.0, 1.99e-10]), 1e-12, " after step 2")
    close(f"{label}: next_w after step 2", w2,
          run.want("next_w", [0.8291118845075416, -1.8291118832554478, 0.5, 2.8292619952584106]), 1e-9)


@check(A, points=3, tags=["optim.adam"])
def adam(lib, ref, rng):
    run = Steps(lib, ref, rng)
    label = "adam (CS231n's test: learning_rate 1e-2, t 5)"
    w, dw, m, v = run.inputs(W, DW, np.linspace(0.6, 0.9, num=_N * _D).reshape(_N, _D),
                             np.linspace(0.7, 0.5, num=_N * _D).reshape(_N, _D))
    next_w, config = run.step("adam", w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}, label)
    state(label, config, "m", run.want("m", [
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]]), 1e-8)
    state(label, config, "v", run.want("v", [
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]]), 1e-8)
    if scalar(f"{label}: config['t']", config.get("t")) != 6:
        raise CheckFailed(f"{label}: config['t'] should be 6 after one step from t = 5, got {config.get('t')!r}")
    close(f"{label}: next_w (t is incremented before the bias correction)", next_w, run.want("next_w", [
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]]), 2e-7)

    label = "adam (config None: the first step)"
    w, dw = run.inputs(W_ADAPT, np.array([1e-3, -5.0, 0.0, 200.0]))
    w1, config = run.step("adam", w, dw, None, label)
    defaults(label, config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8})
    if scalar(f"{label}: config['t']", config.get("t")) != 1:
        raise CheckFailed(f"{label}: config['t'] should be 1 after the first step, got {config.get('t')!r}")
    if not np.all(np.isfinite(w1)):
        raise CheckFailed(f"{label}: next_w is not finite; increment t before the bias correction "
                          "(1 - beta**0 is 0) and keep epsilon in the denominator")
    moved = np.abs(w1 - w)[[0, 1, 3]] / 1e-3
    if np.any(moved > 2):
        raise CheckFailed(f"{label}: the first step moved the weights by {np.round(moved, 2)} x learning_rate; "
                          "with bias correction m_hat = dw and v_hat = dw**2, so each weight moves by about "
                          "learning_rate. Divide m by (1 - beta1**t) and v by (1 - beta2**t)")
    # Where sqrt(v) is near epsilon (dw = 1e-3) epsilon's place shows: the docstring adds it to
    # sqrt(v_hat); the efficient form in Kingma and Ba's paper folds the corrections into the
    # rate and adds it to sqrt(v). Both are Adam, so next_w may follow either, step after step.
    where = (" (epsilon added to sqrt(v_hat) as the docstring says, or to sqrt(v) in the paper's "
             "efficient form)")
    w1 = as_array(f"{label}: next_w", w1, (4,))
    paper = np.allclose(w1, run.want("paper", EFFICIENT_FORM[0]), rtol=1e-9, atol=0)
    close(f"{label}: next_w (every weight with dw != 0 moves by about learning_rate){where}", w1,
          run.want("paper", EFFICIENT_FORM[0]) if paper else
          run.want("next_w", [0.9990000099999, -1.999000000002, 0.5, 2.99900000000005]), 1e-9)
    state(label, config, "m", 0.1 * dw, 1e-12)
    state(label, config, "v", 0.001 * dw**2, 1e-12)
    w2, config = run.step("adam", w1, dw, config, f"{label}, then a second step")
    close(f"{label}, then a second step with the same gradient: next_w{where}", w2,
          run.want("paper", EFFICIENT_FORM[1]) if paper else
          run.want("next_w", [0.9980000199998, -1.998000000004, 0.5, 2.9980000000000997]), 1e-9)


# next_w after the first and the second step above, in the paper's efficient form.
EFFICIENT_FORM = ([0.9990003161277976, -1.9990000000632455, 0.5, 2.999000000001581],
                  [0.9980005397405042, -1.998000000107978, 0.5, 2.9980000000026994])


# -- learning-rate schedules -----------------------------------------------------------

def schedule_values(lib, factory, args, epochs, label):
    schedule = lib.call(f"schedules.{factory}", *args)
    if not isinstance(schedule, Opaque):
        raise CheckFailed(f"{label} should return a function schedule(epoch) -> factor, "
                          f"but returned {type(schedule).__name__} {schedule!r:.60}")
    values = lib.call("schedules.factors", schedule, list(epochs))
    return [scalar(f"{label}: schedule({e})", v) for e, v in zip(epochs, values)]


def schedule_matches(lib, factory, args, want, label):
    got = schedule_values(lib, factory, args, range(len(want)), label)
    close(f"{label}: factors for epochs 0..{len(want) - 1}", got, want, 1e-12)


@check(A, points=1, tags=["schedules.step_decay"])
def step_decay(lib):
    schedule_matches(lib, "step_decay", (3, 0.5), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125],
                     "step_decay(step_size=3, decay=0.5)")
    schedule_matches(lib, "step_decay", (1, 0.1), [1, 0.1, 0.01, 0.001], "step_decay(step_size=1, decay=0.1)")
    schedule_matches(lib, "step_decay", (2,), [1, 1, 0.5, 0.5, 0.25], "step_decay(step_size=2) (default decay 0.5)")


@check(A, points=1, tags=["schedules.exponential_decay"])
def exponential_decay(lib):
    schedule_matches(lib, "exponential_decay", (0.1,), [math.exp(-0.1 * e) for e in range(6)],
                     "exponential_decay(k=0.1) (exp(-k * epoch))")
    schedule_matches(lib, "exponential_decay", (0.0,), [1.0] * 4, "exponential_decay(k=0)")


@check(A, points=1, tags=["schedules.inverse_time_decay"])
def inverse_time_decay(lib):
    schedule_matches(lib, "inverse_time_decay", (0.5,), [1, 1 / 1.5, 0.5, 0.4, 1 / 3, 1 / 3.5],
                     "inverse_time_decay(k=0.5) (1 / (1 + k * epoch))")


@check(A, points=2, tags=["schedules.cosine_with_warmup"])
def cosine_with_warmup(lib):
    schedule_matches(lib, "cosine_with_warmup", (5,),
                     [1.0, 0.9045084971874737, 0.6545084971874737, 0.34549150281252633, 0.09549150281252633, 0, 0],
                     "cosine_with_warmup(num_epochs=5) (no warm-up; 0 from epoch 5 on)")
    schedule_matches(lib, "cosine_with_warmup", (10, 3, 0.1),
                     [0.25, 0.5, 0.75, 1.0, 0.9554359905560885, 0.8305704108364301, 0.6501344202803414,
                      0.44986557971965857, 0.26942958916356996, 0.14456400944391146, 0.1, 0.1],
                     "cosine_with_warmup(num_epochs=10, warmup_epochs=3, min_factor=0.1)")


# -- Newton and L-BFGS -----------------------------------------------------------------

def spd(rng, n, condition):
    """A random symmetric positive definite matrix with eigenvalues from 1 to ``condition``."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.logspace(0, np.log10(condition), n)) @ q.T


@check(A, points=2, tags=["second_order.newton_step"])
def newton_step(lib):
    rng = np.random.default_rng(5)
    label = "newton_step on the quadratic f(w) = w.Aw / 2 - b.w (condition number 1e6)"
    a, b = spd(rng, 6, 1e6), rng.standard_normal(6)
    w = rng.standard_normal(6)
    grad = a @ w - b
    (next_w, args) = lib.call("second_order.newton_step", w, grad, a, return_args=True)
    minimum = np.linalg.solve(a, b)
    next_w = as_array(f"{label}: next_w", next_w, (6,))
    if np.allclose(next_w, w - a @ grad):
        raise CheckFailed(f"{label}: next_w is w - H grad; Newton's step divides by the Hessian: "
                          "w - H^-1 grad (solve H d = grad)")
    close(f"{label}: next_w (one step reaches the minimum A^-1 b)", next_w, minimum, 1e-6)
    for i, (name, value) in enumerate([("w", w), ("grad", grad), ("hessian", a)]):
        if not np.array_equal(as_array(f"{name} after the call", args[i], value.shape), value):
            raise CheckFailed(f"newton_step changed its input {name}; compute a new array instead")
    label = "newton_step at a saddle point's neighbourhood (indefinite Hessian diag(2, -1))"
    try:
        got = lib.call("second_order.newton_step", np.array([1.0, 2.0]), np.array([2.0, -2.0]), np.diag([2.0, -1.0]))
    except StudentError as exc:
        if "positive definite" not in exc.message:
            raise
        raise CheckFailed(f"{label}: {exc.message}. The Hessian is symmetric and invertible, not always positive "
                          "definite: solve H d = grad with np.linalg.solve, not a Cholesky factorisation") from None
    close(f"{label}: next_w (Newton jumps to the critical point, here the saddle at 0)", got, [0.0, 0.0], 1e-12)


def dense_bfgs_direction(grad, s_list, y_list):
    """-H grad with H the BFGS inverse-Hessian approximation built as an explicit matrix."""
    n = len(grad)
    h = np.eye(n) * (s_list[-1] @ y_list[-1] / (y_list[-1] @ y_list[-1]) if s_list else 1.0)
    for s, y in zip(s_list, y_list):  # the update in its expanded form (Nocedal and Wright, eq. 6.17 multiplied out)
        sy, hy = s @ y, h @ y
        h = h + (sy + y @ hy) * np.outer(s, s) / sy**2 - (np.outer(hy, s) + np.outer(s, hy)) / sy
    return -h @ grad


@check(A, points=3, tags=["second_order.lbfgs_direction"])
def lbfgs_direction(lib):
    rng = np.random.default_rng(6)
    grad = rng.standard_normal(7)
    label = "lbfgs_direction without pairs"
    got = as_array(f"{label}: direction", lib.call("second_order.lbfgs_direction", grad, [], []), (7,))
    if np.allclose(got, grad):
        raise CheckFailed(f"{label}: the direction is +grad, which points uphill; return -r, the negated "
                          "two-loop result")
    close(f"{label} (H_0 = I: the direction is -grad)", got, -grad, 1e-12)
    a = spd(rng, 7, 100.0)
    s_list = [rng.standard_normal(7) for _ in range(4)]
    y_list = [a @ s for s in s_list]
    label = "lbfgs_direction with 4 pairs from a quadratic (y = A s)"
    got, args = lib.call("second_order.lbfgs_direction", grad, s_list, y_list, return_args=True)
    got = as_array(f"{label}: direction", got, (7,))
    want = dense_bfgs_direction(grad, s_list, y_list)
    if np.allclose(got, -want, rtol=1e-6):
        raise CheckFailed(f"{label}: the direction points uphill; return -r, the negated two-loop result")
    if np.allclose(got, dense_bfgs_direction(grad, s_list[::-1], y_list[::-1]), rtol=1e-6):
        raise CheckFailed(f"{label}: the pairs are used in the wrong order; the lists are oldest first, the "
                          "first loop goes newest to oldest and the second oldest to newest")
    close(f"{label}: direction (-H grad, H the BFGS matrix from gamma I and the 4 pairs)", got, want, 1e-8,
          "the dense BFGS matrix's direction")
    if not np.array_equal(as_array("grad after the call", args[0], (7,)), grad):
        raise CheckFailed("lbfgs_direction changed grad: start the first loop from a copy (q = grad.copy())")
    for name, after, before in (("s_list", args[1], s_list), ("y_list", args[2], y_list)):
        if not (isinstance(after, list) and len(after) == len(before)
                and all(np.array_equal(x, y) for x, y in zip(after, before))):
            raise CheckFailed(f"lbfgs_direction changed {name}; leave the pairs as they are")
    label = "lbfgs_direction with 2 pairs, applied to the newest y"
    # BFGS's secant condition: H y_newest = s_newest exactly.
    close(f"{label} (the secant condition H y = s gives the direction -s)",
          lib.call("second_order.lbfgs_direction", y_list[1], s_list[:2], y_list[:2]), -s_list[1], 1e-8)


class Counted:
    """An objective the grader evaluates, counting the calls student code makes; ``w0``'s shape
    is the only one it takes (checked before any arithmetic on what student code sent)."""

    def __init__(self, f, w0):
        self.f, self.calls, self.shape = f, 0, np.shape(w0)

    def __call__(self, w):
        self.calls += 1
        if np.shape(w) != self.shape or np.asarray(w).dtype.kind not in "iuf":
            raise ValueError(f"f takes an array of shape {self.shape}, not {type(w).__name__} of shape {np.shape(w)}")
        loss, grad = self.f(np.asarray(w, dtype=np.float64))
        return float(loss), grad


def quadratic(a, b):
    return lambda w: (0.5 * w @ a @ w - b @ w, a @ w - b)


def rosenbrock(w):
    x, y = w
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def minimize(lib, f, w0, label, **kwargs):
    counted = Counted(f, w0)
    result = lib.call("second_order.lbfgs_minimize", Callback(0), w0, callbacks={0: counted}, **kwargs)
    w, info = unpack(label, result, 2)
    w = as_array(f"{label}: w", w, np.shape(w0))
    if not isinstance(info, dict):
        raise CheckFailed(f"{label}: the second value returned should be the info dict")
    for key in ("losses", "iterations", "evaluations", "converged"):
        if key not in info:
            raise CheckFailed(f"{label}: info has no {key!r}")
    losses = as_array(f"{label}: info['losses']", info["losses"])
    iterations = scalar(f"{label}: info['iterations']", info["iterations"])
    if losses.ndim != 1 or len(losses) != iterations + 1:
        raise CheckFailed(f"{label}: info['losses'] should hold the loss at w0 and after each of the "
                          f"{iterations:g} iterations, but it has {losses.size} entries")
    if scalar(f"{label}: info['evaluations']", info["evaluations"]) != counted.calls:
        raise CheckFailed(f"{label}: info['evaluations'] is {info['evaluations']}, but f was called "
                          f"{counted.calls} times; count the first call and every call of line_search")
    if np.any(np.diff(losses) > 0):
        raise CheckFailed(f"{label}: the loss went up at iteration {int(np.argmax(np.diff(losses) > 0)) + 1}; "
                          "every line_search step decreases it")
    return w, info, losses, counted.calls


@check(A, points=3, tags=["second_order.lbfgs_minimize", "second_order.lbfgs_direction"], requires=["lbfgs_direction"])
def lbfgs_minimize(lib):
    label = "lbfgs_minimize on Rosenbrock's function from (-1.2, 1)"
    w, info, losses, _ = minimize(lib, rosenbrock, np.array([-1.2, 1.0]), label, max_iter=100, tol=1e-6)
    if not info["converged"]:
        raise CheckFailed(f"{label}: not converged after {len(losses) - 1} iterations (the reference needs "
                          "about 35); is each (s, y) pair stored and passed to lbfgs_direction?")
    close(f"{label}: w (the minimum is (1, 1))", w, [1.0, 1.0], 1e-5)

    rng = np.random.default_rng(7)
    a, b = spd(rng, 20, 1e3), rng.standard_normal(20)
    label = "lbfgs_minimize on a 20-D quadratic with condition number 1e3, memory 5, 100 iterations"
    w, info, losses, _ = minimize(lib, quadratic(a, b), np.zeros(20), label, memory=5, max_iter=100, tol=1e-9)
    best = quadratic(a, b)(np.linalg.solve(a, b))[0]
    gap = (losses[-1] - best) / abs(best)
    if gap > 1e-5:
        raise CheckFailed(f"{label}: the final loss is above the minimum by {gap:.1e} of its size (the reference "
                          "gets within 1e-6, gradient descent with the same line search stays 0.3 away); are "
                          "the last `memory` pairs kept and used?")

    label = "lbfgs_minimize starting at the minimum"
    w, info, losses, calls = minimize(lib, quadratic(np.eye(3), np.ones(3)), np.ones(3), label)
    if len(losses) != 1 or calls != 1 or not info["converged"]:
        raise CheckFailed(f"{label}: it should stop before the first iteration (the gradient is 0), "
                          f"but it made {len(losses) - 1} iterations and {calls} calls of f")
