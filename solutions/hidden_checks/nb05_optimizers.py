"""Hidden checks for 05_optimizers: every update rule against the reference over several
steps in a row (the state in config must carry over), with random hyper-parameters, for
two parameters updated in turn (each with its own config), with gradients small enough
that epsilon's place matters, with exact zeros, and in float32; the schedules at random
settings over many epochs; Newton's step and L-BFGS on random problems.

Instructor-only: this folder is never released.
"""

import copy
import math

import numpy as np

from autograder.mutation import Alternative, Mutant
from autograder.registry import CheckFailed, as_array, check, close, close_scaled, scalar, unpack
from autograder.sandbox import Callback, Opaque

A = "05_optimizers"

STATE = {"sgd_momentum": ("velocity",), "nesterov_momentum": ("velocity",), "adagrad": ("cache",),
         "rmsprop": ("cache",), "adam": ("m", "v", "t")}


def hyper_parameters(rule, rng):
    """Random settings away from the defaults (None: the rule must fill in every default)."""
    if rng.uniform() < 0.2:
        return None
    lr = float(10 ** rng.uniform(-3, -1))
    return {"sgd_momentum": {"learning_rate": lr, "momentum": float(rng.uniform(0.5, 0.99))},
            "nesterov_momentum": {"learning_rate": lr, "momentum": float(rng.uniform(0.5, 0.99))},
            "adagrad": {"learning_rate": lr},
            "rmsprop": {"learning_rate": lr, "decay_rate": float(rng.uniform(0.8, 0.999))},
            "adam": {"learning_rate": lr, "beta1": float(rng.uniform(0.5, 0.95)),
                     "beta2": float(rng.uniform(0.9, 0.9999))}}[rule]


def gradients(rng, shape, scale, dtype, zeros=False):
    """Gradients of size scale/2 to 2 scale with random signs (optionally some exact zeros)."""
    g = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape) * scale
    if zeros:
        g[rng.uniform(size=shape) < 0.3] = 0.0
    return g.astype(dtype)


def regimes(rng):
    """(label, shape, gradient scale, dtype, some zeros, next_w tolerance, step tolerance)."""
    yield " (w (4, 5))", (4, 5), 1.0, np.float64, False, 1e-7, 1e-5
    yield " (w (6,), gradients of about 1e-2, where epsilon's place matters)", (6,), 1e-2, np.float64, False, 1e-7, 2e-5
    yield " (w (3, 4), gradients with exact zeros)", (3, 4), 1.0, np.float64, True, 1e-7, 1e-5
    yield " (w (5, 3), float32)", (5, 3), 1.0, np.float32, False, 1e-4, 1e-2


def adam_target(ref, w, dw, before, after, got, want):
    """The reference's next_w ``want``, or, when the student's ``got`` is nearer to it, that of
    the efficient form in Kingma and Ba's paper, which adds epsilon to sqrt(v) rather than to
    sqrt(v_hat): the same step with epsilon / sqrt(1 - beta2**t) in epsilon's place. Both are
    Adam (they differ by the order of epsilon); epsilon inside the root is neither."""
    config = copy.deepcopy(before) or {}
    config["epsilon"] = after["epsilon"] / np.sqrt(1 - after["beta2"] ** after["t"])
    paper, _ = ref.optim.adam(w.copy(), dw, config)
    nearer = np.max(np.abs(got - paper)) < np.max(np.abs(got - np.asarray(want, dtype=np.float64)))
    return paper if nearer else want


def follow_reference(lib, ref, rng, rule, steps=4):
    """Several steps of the student's rule against the reference's, for two parameters
    updated in turn, each with its own config."""
    for regime, shape, scale, dtype, zeros, tol, step_tol in regimes(rng):
        start = hyper_parameters(rule, rng)
        params = {}
        for name in ("W1", "b1"):
            w = rng.standard_normal(shape).astype(dtype)
            params[name] = [w, None if start is None else dict(start), w.copy(), None if start is None else dict(start)]
        for k in range(steps):
            for name, p in params.items():
                w, config, ref_w, ref_config = p
                dw = gradients(rng, shape, scale, dtype, zeros)
                label = f"{rule}{regime}, parameter {name}, step {k + 1} of {steps}"
                got = unpack(label, lib.call(f"optim.{rule}", w, dw, config), 2)
                before = copy.deepcopy(ref_config)
                want_w, ref_config = getattr(ref.optim, rule)(ref_w.copy(), dw, ref_config)
                next_w = as_array(f"{label}: next_w", got[0], shape)
                if rule == "adam":
                    want_w = adam_target(ref, ref_w, dw, before, ref_config, next_w, want_w)
                if not isinstance(got[1], dict):
                    raise CheckFailed(f"{label}: the config returned is a {type(got[1]).__name__}, not a dict")
                close(f"{label}: next_w", next_w, want_w, tol, "the reference")
                close_scaled(f"{label}: the step next_w - w", next_w - np.asarray(w, dtype=np.float64),
                             np.asarray(want_w, dtype=np.float64) - ref_w, step_tol)
                for key in STATE[rule]:
                    if key not in got[1]:
                        raise CheckFailed(f"{label}: config[{key!r}] is missing after the call")
                    close(f"{label}: config[{key!r}]", got[1][key], ref_config[key], tol, "the reference")
                p[:] = [next_w.astype(dtype), got[1], want_w, ref_config]


@check(A, points=2, tags=["optim.sgd_momentum", "optim.nesterov_momentum"], hidden=True)
def momentum_hidden(lib, ref, rng):
    follow_reference(lib, ref, rng, "sgd_momentum")
    follow_reference(lib, ref, rng, "nesterov_momentum")


@check(A, points=2, tags=["optim.adagrad", "optim.rmsprop"], hidden=True)
def adagrad_rmsprop_hidden(lib, ref, rng):
    follow_reference(lib, ref, rng, "adagrad")
    follow_reference(lib, ref, rng, "rmsprop")


@check(A, points=2, tags=["optim.adam"], hidden=True)
def adam_hidden(lib, ref, rng):
    follow_reference(lib, ref, rng, "adam", steps=5)


# -- schedules ---------------------------------------------------------------------------

def schedule_follows_reference(lib, ref, factory, args, epochs):
    label = f"{factory}{tuple(args)}"
    schedule = lib.call(f"schedules.{factory}", *args)
    if not isinstance(schedule, Opaque):
        raise CheckFailed(f"{label} should return a function schedule(epoch) -> factor")
    got = [scalar(f"{label}: schedule({e})", v)
           for e, v in zip(epochs, lib.call("schedules.factors", schedule, list(epochs)))]
    want = ref.schedules.factors(getattr(ref.schedules, factory)(*args), epochs)
    close(f"{label}: factors for epochs {epochs[0]}..{epochs[-1]}", got, want, 1e-10, "the reference")


@check(A, points=2, tags=["schedules.step_decay", "schedules.exponential_decay", "schedules.inverse_time_decay",
                          "schedules.cosine_with_warmup"], hidden=True)
def schedules_hidden(lib, ref, rng):
    epochs = list(range(60))
    for draw in range(2):
        schedule_follows_reference(lib, ref, "step_decay", (int(rng.integers(1, 15)), float(rng.uniform(0.1, 0.9))),
                                   epochs)
        schedule_follows_reference(lib, ref, "exponential_decay", (float(rng.uniform(0.01, 0.3)),), epochs)
        schedule_follows_reference(lib, ref, "inverse_time_decay", (float(rng.uniform(0.01, 2.0)),), epochs)
        num_epochs = int(rng.integers(5, 50))
        warmup = int(rng.integers(1 - draw, num_epochs // 2))  # the first draw has a warm-up of at least 1
        schedule_follows_reference(lib, ref, "cosine_with_warmup", (num_epochs, warmup, float(rng.uniform(0, 0.2))),
                                   epochs)
    schedule_follows_reference(lib, ref, "cosine_with_warmup", (1,), [0, 1, 2])


# -- Newton and L-BFGS -------------------------------------------------------------------

def symmetric(rng, n, condition, indefinite=False):
    q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    eigenvalues = np.logspace(0, np.log10(condition), n) * rng.choice([-1.0, 1.0], n) ** indefinite
    return (q * eigenvalues) @ q.T


@check(A, points=2, tags=["second_order.newton_step", "second_order.lbfgs_direction"], hidden=True)
def second_order_hidden(lib, ref, rng):
    for n, condition, indefinite in [(1, 1.0, False), (5, 1e3, False), (30, 1e5, False), (8, 1e2, True)]:
        h = symmetric(rng, n, condition, indefinite)
        w, grad = rng.standard_normal(n), rng.standard_normal(n) * 10
        label = f"newton_step (N = {n}, condition number {condition:g}{', indefinite' if indefinite else ''})"
        got = as_array(f"{label}: next_w", lib.call("second_order.newton_step", w, grad, h), (n,))
        close_scaled(f"{label}: next_w", got, ref.second_order.newton_step(w, grad, h), 1e-8)
    for n, m, quadratic in [(12, 1, True), (30, 6, True), (9, 9, True), (20, 4, False)]:
        h = symmetric(rng, n, 1e3)
        s_list = [rng.standard_normal(n) for _ in range(m)]
        if quadratic:
            y_list = [h @ s for s in s_list]
        else:  # pairs from no single quadratic, each with positive curvature s . y > 0
            y_list = [s * rng.uniform(0.1, 10, n) + 0.1 * rng.standard_normal(n) for s in s_list]
        grad = rng.standard_normal(n)
        label = f"lbfgs_direction (N = {n}, {m} pairs{'' if quadratic else ' not from one quadratic'})"
        got = as_array(f"{label}: direction", lib.call("second_order.lbfgs_direction", grad, s_list, y_list), (n,))
        close_scaled(f"{label}: direction", got, ref.second_order.lbfgs_direction(grad, s_list, y_list), 1e-8)


class Recorder:
    """An objective evaluated by the grader, counting the calls."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, w):
        self.calls += 1
        return self.f(np.asarray(w, dtype=np.float64))


def softmax_regression(rng, n, d, c, reg):
    """A convex, non-quadratic objective of a flat (d * c + c,) vector."""
    x, y = rng.standard_normal((n, d)), rng.integers(c, size=n)

    def objective(theta):
        weights, bias = theta[:d * c].reshape(d, c), theta[d * c:]
        logits = x @ weights + bias
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), y]).mean() + 0.5 * reg * np.sum(weights**2)
        dlogits = (probs - np.eye(c)[y]) / n
        return float(loss), np.concatenate([(x.T @ dlogits + reg * weights).ravel(), dlogits.sum(axis=0)])
    return objective, d * c + c


@check(A, points=3, tags=["second_order.lbfgs_minimize", "second_order.lbfgs_direction"], hidden=True,
       requires=["lbfgs_direction"])
def lbfgs_minimize_hidden(lib, ref, rng):
    h = symmetric(rng, 15, 1e3)
    b = rng.standard_normal(15)
    problems = [("a 15-D quadratic, condition number 1e3", lambda w: (0.5 * w @ h @ w - b @ w, h @ w - b),
                 rng.standard_normal(15), {"memory": 3, "max_iter": 40, "tol": 1e-8})]
    f, size = softmax_regression(rng, 60, 5, 4, 1e-2)
    problems.append(("softmax regression on 60 random points", f, 0.1 * rng.standard_normal(size),
                     {"memory": 4, "max_iter": 25, "tol": 1e-7}))
    for name, f, w0, kwargs in problems:
        label = f"lbfgs_minimize on {name}, memory {kwargs['memory']}"
        counted = Recorder(f)
        w, info = unpack(label, lib.call("second_order.lbfgs_minimize", Callback(0), w0, callbacks={0: counted},
                                         **kwargs), 2)
        want_w, want = ref.second_order.lbfgs_minimize(f, w0, **kwargs)
        if not isinstance(info, dict) or not {"losses", "iterations", "evaluations", "converged"} <= set(info):
            raise CheckFailed(f"{label}: info should be a dict with losses, iterations, evaluations, converged")
        losses = as_array(f"{label}: info['losses']", info["losses"])
        if losses.shape != (len(want["losses"]),):
            raise CheckFailed(f"{label}: {losses.size - 1} iterations where the reference, which follows the "
                              f"docstring's steps, makes {len(want['losses']) - 1}")
        # The same algorithm with the same line search visits the same points: the losses
        # agree to rounding until they are within rounding of the minimum.
        close_scaled(f"{label}: info['losses'] (the loss after each iteration)", losses - want["losses"][-1],
                     np.array(want["losses"]) - want["losses"][-1], 1e-6)
        close_scaled(f"{label}: w", as_array(f"{label}: w", w, w0.shape), want_w, 1e-5)
        if scalar(f"{label}: info['evaluations']", info["evaluations"]) != counted.calls:
            raise CheckFailed(f"{label}: info['evaluations'] is {info['evaluations']} but f was called "
                              f"{counted.calls} times")
        if scalar(f"{label}: info['iterations']", info["iterations"]) != len(losses) - 1:
            raise CheckFailed(f"{label}: info['iterations'] should be len(info['losses']) - 1")
        if bool(info["converged"]) != want["converged"]:
            raise CheckFailed(f"{label}: info['converged'] is {info['converged']}, the reference says "
                              f"{want['converged']}")


# Realistic bugs, each a small change to the reference: tests/test_checks.py asserts that
# every check named in `breaks` fails when the bug is applied.
MUTANTS = [
    Mutant("momentum_adds_the_gradient", "optim",
           'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
           'v = config["momentum"] * v + config["learning_rate"] * dw\n    next_w = w + v',
           ("sgd_momentum", "momentum_hidden")),
    Mutant("momentum_velocity_not_kept", "optim",
           'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
           'next_w = w + config["momentum"] * v - config["learning_rate"] * dw',
           ("sgd_momentum", "momentum_hidden")),
    Mutant("nesterov_is_plain_momentum", "optim",
           'next_w = w - config["momentum"] * v_prev + (1 + config["momentum"]) * v', "next_w = w + v",
           ("nesterov_momentum", "momentum_hidden")),
    Mutant("nesterov_correction_sign", "optim",
           'next_w = w - config["momentum"] * v_prev + (1 + config["momentum"]) * v',
           'next_w = w + config["momentum"] * v_prev + (1 + config["momentum"]) * v',
           ("nesterov_momentum", "momentum_hidden")),
    Mutant("adagrad_without_sqrt", "optim",
           'cache = config["cache"] + dw**2\n    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + ',
           'cache = config["cache"] + dw**2\n    next_w = w - config["learning_rate"] * dw / (cache + ',
           ("adagrad", "adagrad_rmsprop_hidden")),
    Mutant("adagrad_forgets_the_sum", "optim", 'cache = config["cache"] + dw**2', "cache = dw**2",
           ("adagrad", "adagrad_rmsprop_hidden")),
    Mutant("adagrad_epsilon_inside_sqrt", "optim",
           'cache = config["cache"] + dw**2\n    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + '
           'config["epsilon"])',
           'cache = config["cache"] + dw**2\n    next_w = w - config["learning_rate"] * dw / np.sqrt(cache + '
           'config["epsilon"])',
           ("adagrad", "adagrad_rmsprop_hidden")),
    Mutant("rmsprop_decay_wrong_way_round", "optim", "cache = decay * config[\"cache\"] + (1 - decay) * dw**2",
           "cache = (1 - decay) * config[\"cache\"] + decay * dw**2", ("rmsprop", "adagrad_rmsprop_hidden")),
    Mutant("rmsprop_epsilon_inside_sqrt", "optim",
           '(1 - decay) * dw**2\n    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
           '(1 - decay) * dw**2\n    next_w = w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"])',
           ("rmsprop", "adagrad_rmsprop_hidden")),
    Mutant("adam_t_incremented_after_the_correction", "optim",
           "m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)",
           'm_hat = m / (1 - beta1**config["t"])\n    v_hat = v / (1 - beta2**config["t"])',
           ("adam", "adam_hidden")),
    Mutant("adam_without_bias_correction", "optim", "m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)",
           "m_hat, v_hat = m, v", ("adam", "adam_hidden")),
    Mutant("adam_corrects_m_with_beta2", "optim", "m_hat = m / (1 - beta1**t)\n", "m_hat = m / (1 - beta2**t)\n",
           ("adam", "adam_hidden")),
    Mutant("adam_second_moment_of_dw_not_dw_squared", "optim",
           'v += (1 - beta2) * dw**2', 'v += (1 - beta2) * np.abs(dw)',
           ("adam", "adam_hidden")),
    Mutant("adam_epsilon_inside_sqrt", "optim",
           'denominator = np.sqrt(v_hat, out=v_hat)\n    denominator += config["epsilon"]',
           'v_hat += config["epsilon"]\n    denominator = np.sqrt(v_hat, out=v_hat)', ("adam", "adam_hidden")),
    Mutant("step_decay_without_floor", "schedules", "float(decay ** (epoch // step_size))", "float(decay ** (epoch / step_size))",
           ("step_decay", "schedules_hidden")),
    Mutant("exponential_decay_sign", "schedules", "math.exp(-k * epoch)", "math.exp(k * epoch)",
           ("exponential_decay", "schedules_hidden")),
    Mutant("inverse_time_decay_compounds", "schedules", "1.0 / (1.0 + k * epoch)", "1.0 / (1.0 + k) ** epoch",
           ("inverse_time_decay", "schedules_hidden")),
    Mutant("warmup_starts_at_zero", "schedules", "return (epoch + 1) / (warmup_epochs + 1)", "return epoch / warmup_epochs",
           ("cosine_with_warmup", "schedules_hidden")),
    Mutant("cosine_ignores_the_warmup", "schedules", "progress = (epoch - warmup_epochs) / (num_epochs - warmup_epochs)\n",
           "progress = epoch / num_epochs\n", ("cosine_with_warmup", "schedules_hidden")),
    Mutant("newton_multiplies_by_the_hessian", "second_order", "w - np.linalg.solve(hessian, grad)",
           "w - hessian @ grad", ("newton_step", "second_order_hidden")),
    Mutant("newton_cholesky_solve", "second_order", "next_w = w - np.linalg.solve(hessian, grad)",
           "lower = np.linalg.cholesky(hessian)\n"
           "    next_w = w - np.linalg.solve(lower.T, np.linalg.solve(lower, grad))",
           ("newton_step", "second_order_hidden")),
    Mutant("newton_ascends", "second_order", "w - np.linalg.solve(hessian, grad)", "w + np.linalg.solve(hessian, grad)",
           ("newton_step", "second_order_hidden")),
    Mutant("two_loop_without_gamma", "second_order",
           "np.dot(s_list[-1], y_list[-1]) / np.dot(y_list[-1], y_list[-1]) if s_list else 1.0", "1.0",
           ("lbfgs_direction", "second_order_hidden")),
    Mutant("two_loop_first_loop_oldest_first", "second_order", "for i in reversed(range(len(s_list))):",
           "for i in range(len(s_list)):", ("lbfgs_direction", "second_order_hidden")),
    Mutant("two_loop_returns_ascent", "second_order", "direction = -r\n    ### END", "direction = r\n    ### END",
           ("lbfgs_direction", "second_order_hidden", "lbfgs_minimize", "lbfgs_minimize_hidden")),
    Mutant("two_loop_changes_grad", "second_order", "q = np.array(grad, dtype=float)", "q = np.asarray(grad, dtype=float)",
           ("lbfgs_direction",)),
    Mutant("lbfgs_keeps_no_pairs", "second_order", "if np.dot(s, y) > 1e-10:", "if False:",
           ("lbfgs_minimize", "lbfgs_minimize_hidden")),
    Mutant("lbfgs_ignores_memory", "second_order", "if len(s_list) > memory:", "if False:",
           ("lbfgs_minimize_hidden",)),
    Mutant("lbfgs_counts_iterations_not_evaluations", "second_order", 'info["evaluations"] += evals',
           'info["evaluations"] += 1', ("lbfgs_minimize", "lbfgs_minimize_hidden")),
]


# Correct code written the ways students write it: tests/test_alternatives.py asserts that
# each gets full marks on every check of this notebook.
ALTERNATIVES = [
    Alternative("sgd_momentum_in_place", "optim", '''
        def sgd_momentum(w, dw, config=None):  # sgd momentum in place
            config = {} if config is None else config
            lr = config.setdefault('learning_rate', 1e-2)
            mu = config.setdefault('momentum', 0.9)
            velocity = config.get('velocity')
            if velocity is None:
                velocity = np.zeros_like(w)
            velocity *= mu
            velocity -= lr * dw
            w += velocity
            config['velocity'] = velocity
            return w, config
        ''', ("sgd_momentum",)),
    Alternative("sgd_momentum_loop_over_entries", "optim", '''
        def sgd_momentum(w, dw, config=None):  # sgd momentum loop over entries
            if not config:
                config = config if config is not None else {}
            config.setdefault('learning_rate', 0.01)
            config.setdefault('momentum', 0.9)
            old = config.get('velocity', np.zeros(np.shape(w), dtype=np.result_type(w)))
            new_v = np.empty_like(old)
            out = np.empty_like(np.asarray(w))
            for ix in np.ndindex(np.shape(w)):
                new_v[ix] = config['momentum'] * old[ix] - config['learning_rate'] * dw[ix]
                out[ix] = w[ix] + new_v[ix]
            config['velocity'] = new_v
            return out, config
        ''', ("sgd_momentum",)),
    Alternative("nesterov_cs231n_in_place", "optim", '''
        def nesterov_momentum(w, dw, config=None):  # nesterov cs231n in place
            config = config or {}
            config.setdefault('learning_rate', 1e-2)
            config.setdefault('momentum', 0.9)
            v = config.get('velocity', np.zeros_like(w))
            v_prev = v.copy()
            v = config['momentum'] * v - config['learning_rate'] * dw
            w += -config['momentum'] * v_prev + (1 + config['momentum']) * v
            config['velocity'] = v
            return w, config
        ''', ("nesterov_momentum",)),
    Alternative("nesterov_gradient_plus_momentum_form", "optim", '''
        def nesterov_momentum(w, dw, config=None):  # nesterov gradient plus momentum form
            # The same update, regrouped: w + mu * v_new - lr * dw.
            config = dict() if config is None else config
            lr, mu = config.setdefault('learning_rate', 1e-2), config.setdefault('momentum', 0.9)
            v_new = mu * config.get('velocity', 0.0 * w) - lr * dw
            config['velocity'] = v_new
            return w + mu * v_new - lr * dw, config
        ''', ("nesterov_momentum",)),
    Alternative("adagrad_in_place", "optim", '''
        def adagrad(w, dw, config=None):  # adagrad in place
            config = {} if config is None else config
            config.setdefault('learning_rate', 1e-2)
            config.setdefault('epsilon', 1e-7)
            if 'cache' not in config:
                config['cache'] = np.zeros_like(w)
            config['cache'] += dw * dw
            w -= config['learning_rate'] * dw / (np.sqrt(config['cache']) + config['epsilon'])
            return w, config
        ''', ("adagrad",)),
    Alternative("adagrad_square_and_divide", "optim", '''
        def adagrad(w, dw, config=None):  # adagrad square and divide
            if config is None:  # a fresh state
                config = dict()
            lr = config.get('learning_rate', 1e-2)
            eps = config.get('epsilon', 1e-7)
            config.update(learning_rate=lr, epsilon=eps)
            grad_squared = config.get('cache', 0 * w) + np.square(dw)
            scale = 1.0 / (np.sqrt(grad_squared) + eps)
            config['cache'] = grad_squared
            return w - lr * scale * dw, config
        ''', ("adagrad",)),
    Alternative("rmsprop_in_place", "optim", '''
        def rmsprop(w, dw, config=None):  # rmsprop in place
            config = {} if config is None else config
            config.setdefault('learning_rate', 1e-2)
            config.setdefault('decay_rate', 0.99)
            config.setdefault('epsilon', 1e-8)
            config.setdefault('cache', np.zeros_like(w))
            cache = config['cache']
            cache *= config['decay_rate']
            cache += (1 - config['decay_rate']) * dw**2
            w -= config['learning_rate'] * dw / (np.sqrt(cache) + config['epsilon'])
            config['cache'] = cache
            return w, config
        ''', ("rmsprop",)),
    Alternative("rmsprop_leaky_average_form", "optim", '''
        def rmsprop(w, dw, config=None):  # rmsprop leaky average form
            config = config if config is not None else {}
            for key, value in (('learning_rate', 1e-2), ('decay_rate', 0.99), ('epsilon', 1e-8)):
                config.setdefault(key, value)
            rho = config['decay_rate']
            cache = config.get('cache', np.zeros_like(w))
            cache = cache + (1 - rho) * (dw**2 - cache)  # a moving average, written as a correction
            config['cache'] = cache
            next_w = w - config['learning_rate'] / (np.sqrt(cache) + config['epsilon']) * dw
            return next_w, config  # leaky average form
        ''', ("rmsprop",)),
    Alternative("adam_in_place_efficient_form", "optim", '''
        def adam(w, dw, config=None):  # adam in place efficient form
            # The Adam paper's "efficient" ordering: the bias corrections folded into the rate.
            config = {} if config is None else config
            config.setdefault('learning_rate', 1e-3)
            config.setdefault('beta1', 0.9)
            config.setdefault('beta2', 0.999)
            config.setdefault('epsilon', 1e-8)
            config.setdefault('m', np.zeros_like(w))
            config.setdefault('v', np.zeros_like(w))
            config.setdefault('t', 0)
            b1, b2 = config['beta1'], config['beta2']
            config['t'] += 1
            t = config['t']
            config['m'] = b1 * config['m'] + (1 - b1) * dw
            config['v'] = b2 * config['v'] + (1 - b2) * dw**2
            lr_t = config['learning_rate'] * np.sqrt(1 - b2**t) / (1 - b1**t)
            w -= lr_t * config['m'] / (np.sqrt(config['v']) + config['epsilon'] * np.sqrt(1 - b2**t))
            return w, config
        ''', ("adam",)),
    Alternative("adam_paper_efficient_form", "optim", '''
        def adam(w, dw, config=None):  # adam paper efficient form
            # Kingma and Ba's efficient version, as printed: the corrections folded into the
            # step size and epsilon added to sqrt(v), not to sqrt(v_hat) (a difference of
            # the order of epsilon, which the checks accept).
            config = config if config is not None else {}
            for key, value in [('learning_rate', 1e-3), ('beta1', 0.9), ('beta2', 0.999), ('epsilon', 1e-8)]:
                config.setdefault(key, value)
            b1, b2 = config['beta1'], config['beta2']
            t = config.get('t', 0) + 1
            m = b1 * config.get('m', np.zeros_like(w)) + (1 - b1) * dw
            v = b2 * config.get('v', np.zeros_like(w)) + (1 - b2) * dw**2
            alpha = config['learning_rate'] * np.sqrt(1 - b2**t) / (1 - b1**t)
            config.update(m=m, v=v, t=t)
            return w - alpha * m / (np.sqrt(v) + config['epsilon']), config
        ''', ("adam",)),
    Alternative("adam_moving_average_corrections", "optim", '''
        def adam(w, dw, config=None):  # adam moving average corrections
            if config is None:  # a fresh state
                config = {}
            settings = {'learning_rate': 1e-3, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-8}
            for key in settings:
                config.setdefault(key, settings[key])
            m = config.get('m', np.zeros(w.shape, dtype=w.dtype))
            v = config.get('v', np.zeros(w.shape, dtype=w.dtype))
            step = config.get('t', 0) + 1
            m = m + (1 - config['beta1']) * (dw - m)
            v = v + (1 - config['beta2']) * (dw * dw - v)
            mt = m / (1 - config['beta1'] ** step)
            vt = v / (1 - config['beta2'] ** step)
            config['m'], config['v'], config['t'] = m, v, step
            return w - config['learning_rate'] * mt / (np.sqrt(vt) + config['epsilon']), config
        ''', ("adam",)),
    Alternative("step_decay_lambda", "schedules", '''
        def step_decay(step_size, decay=0.5):  # step decay lambda
            return lambda epoch: decay ** np.floor(epoch / step_size)
        ''', ("step_decay",)),
    Alternative("step_decay_callable_class", "schedules", '''
        class _StepDecay:
            def __init__(self, step_size, decay):
                self.step_size, self.decay = step_size, decay

            def __call__(self, epoch):
                drops = int(epoch) // int(self.step_size)
                factor = 1.0
                for _ in range(drops):
                    factor *= self.decay
                return factor

        def step_decay(step_size, decay=0.5):  # step decay callable class
            return _StepDecay(step_size, decay)
        ''', ("step_decay",)),
    Alternative("exponential_decay_numpy", "schedules", '''
        def exponential_decay(k):  # exponential decay numpy
            def factor(epoch):
                return np.exp(-k * epoch)
            return factor
        ''', ("exponential_decay",)),
    Alternative("exponential_decay_power", "schedules", '''
        def exponential_decay(k):  # exponential decay power
            per_epoch = math.exp(-k)
            return lambda epoch: per_epoch ** epoch
        ''', ("exponential_decay",)),
    Alternative("inverse_time_decay_lambda", "schedules", '''
        def inverse_time_decay(k):  # inverse time decay lambda
            return lambda epoch: 1 / (1 + k * epoch)
        ''', ("inverse_time_decay",)),
    Alternative("inverse_time_decay_numpy", "schedules", '''
        def inverse_time_decay(k):  # inverse time decay numpy
            def f(epoch):
                return np.reciprocal(1.0 + k * np.float64(epoch))
            return f
        ''', ("inverse_time_decay",)),
    Alternative("cosine_with_warmup_branches", "schedules", '''
        def cosine_with_warmup(num_epochs, warmup_epochs=0, min_factor=0.0):  # cosine with warmup branches
            def lr_factor(epoch):
                if epoch >= num_epochs:
                    return min_factor
                if epoch < warmup_epochs:
                    return (epoch + 1.0) / (warmup_epochs + 1.0)
                frac = (epoch - warmup_epochs) / float(num_epochs - warmup_epochs)
                return min_factor + 0.5 * (1.0 - min_factor) * (1.0 + math.cos(math.pi * frac))
            return lr_factor
        ''', ("cosine_with_warmup",)),
    Alternative("cosine_with_warmup_numpy_clip", "schedules", '''
        def cosine_with_warmup(num_epochs, warmup_epochs=0, min_factor=0.0):  # cosine with warmup numpy clip
            def lr_factor(epoch):
                warm = min(1.0, (epoch + 1) / (warmup_epochs + 1))
                progress = np.clip((epoch - warmup_epochs) / (num_epochs - warmup_epochs), 0.0, 1.0)
                cosine = min_factor + (1 - min_factor) * (np.cos(np.pi * progress) + 1) / 2
                return float(warm if epoch < warmup_epochs else cosine)
            return lr_factor
        ''', ("cosine_with_warmup",)),
    Alternative("newton_step_inverse", "second_order", '''
        def newton_step(w, grad, hessian):  # newton step inverse
            return w - np.linalg.inv(hessian) @ grad
        ''', ("newton_step",)),
    Alternative("newton_step_lstsq", "second_order", '''
        def newton_step(w, grad, hessian):  # newton step lstsq
            d = np.linalg.lstsq(hessian, -np.asarray(grad), rcond=None)[0]
            return w + d
        ''', ("newton_step",)),
    Alternative("two_loop_reversed_zip", "second_order", '''
        def lbfgs_direction(grad, s_list, y_list):  # two loop reversed zip
            q = grad.copy()
            history = []
            for s, y in reversed(list(zip(s_list, y_list))):
                rho = 1.0 / (y @ s)
                alpha = rho * (s @ q)
                q = q - alpha * y
                history.append((rho, alpha))
            if len(s_list) > 0:
                q = q * (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1])
            for (s, y), (rho, alpha) in zip(zip(s_list, y_list), reversed(history)):
                beta = rho * (y @ q)
                q = q + (alpha - beta) * s
            return -q
        ''', ("lbfgs_direction",)),
    Alternative("two_loop_stacked_arrays", "second_order", '''
        def lbfgs_direction(grad, s_list, y_list):  # two loop stacked arrays
            m = len(s_list)
            if m == 0:
                return -np.array(grad, dtype=float)
            S, Y = np.stack(s_list), np.stack(y_list)
            rho = 1.0 / np.einsum('ij,ij->i', S, Y)
            alpha = np.zeros(m)
            q = np.array(grad, dtype=float)
            for i in range(m - 1, -1, -1):
                alpha[i] = rho[i] * S[i].dot(q)
                q = q - alpha[i] * Y[i]
            r = S[-1].dot(Y[-1]) / Y[-1].dot(Y[-1]) * q
            for i in range(m):
                r = r + S[i] * (alpha[i] - rho[i] * Y[i].dot(r))
            return -r
        ''', ("lbfgs_direction",)),
    Alternative("lbfgs_minimize_while_deque", "second_order", '''
        import collections

        def lbfgs_minimize(f, w0, memory=10, max_iter=100, tol=1e-5):  # lbfgs minimize while deque
            w = np.asarray(w0, dtype=float).copy()
            loss, grad = f(w)  # the first evaluation
            info = {'losses': [float(loss)], 'iterations': 0, 'evaluations': 1}
            pairs = collections.deque(maxlen=memory)
            while info['iterations'] < max_iter and np.abs(grad).max() > tol:
                d = lbfgs_direction(grad, [p[0] for p in pairs], [p[1] for p in pairs])
                if grad @ d >= 0:
                    pairs.clear()
                    d = -grad
                t, new_loss, new_grad, n = line_search(f, w, loss, grad, d)
                info['evaluations'] += n
                if t == 0:
                    break
                s = t * d
                y = new_grad - grad
                if s @ y > 1e-10 and memory > 0:
                    pairs.append((s, y))
                w = w + s
                loss, grad = new_loss, new_grad
                info['losses'].append(float(loss))
                info['iterations'] += 1
            info['converged'] = bool(np.abs(grad).max() <= tol)
            return w, info  # while loop
        ''', ("lbfgs_minimize",)),
    Alternative("lbfgs_minimize_lists_and_counter", "second_order", '''
        def lbfgs_minimize(f, w0, memory=10, max_iter=100, tol=1e-5):  # lbfgs minimize lists and counter
            x = np.copy(np.asarray(w0, dtype=float))
            fx, g = f(x)
            calls, history = 1, [float(fx)]
            S, Y = [], []
            for it in range(max_iter):
                if np.linalg.norm(g, np.inf) <= tol:
                    break
                p = lbfgs_direction(g, S, Y)
                if np.dot(g, p) >= 0:
                    del S[:], Y[:]
                    p = -g
                alpha, f_new, g_new, used = line_search(f, x, fx, g, p)
                calls += used
                if alpha == 0:
                    break
                x_new = x + alpha * p
                if np.dot(x_new - x, g_new - g) > 1e-10:
                    S.append(x_new - x)
                    Y.append(g_new - g)
                    while len(S) > memory:
                        S.pop(0)
                        Y.pop(0)
                x, fx, g = x_new, f_new, g_new
                history.append(float(fx))
            info = {'losses': history, 'iterations': len(history) - 1, 'evaluations': calls,
                    'converged': bool(np.linalg.norm(g, np.inf) <= tol)}
            return x, info
        ''', ("lbfgs_minimize",)),
]
