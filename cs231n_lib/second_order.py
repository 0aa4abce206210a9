"""Second-order optimization: Newton's method and L-BFGS (notebook 05_optimizers).

Here the parameters are one flat vector ``w`` of N numbers and the objective is a function

    loss, grad = f(w)

returning the loss (a float) and its gradient (an (N,) array), computed on the *whole*
training set: these methods assume that f returns the same value every time it is called
at the same w.

* ``newton_step`` jumps to the stationary point of the local quadratic model, using the
  Hessian (its minimum only where the Hessian is positive definite);
* ``lbfgs_direction`` approximates that jump with the last few changes of w and of the
  gradient, without ever forming an N x N matrix;
* ``lbfgs_minimize`` repeats it, with the provided ``line_search`` choosing each step.
"""

import numpy as np


def newton_step(w, grad, hessian):
    """One step of Newton's method: the stationary point of the quadratic model of f
    around w, where the model's gradient grad + H (next_w - w) is zero,

        next_w = w - H^{-1} grad.

    That point is the model's minimum when H is positive definite; H may also be
    indefinite (near a saddle point), and the step then goes to the model's saddle: the
    same formula, so use a solver for any invertible matrix (np.linalg.solve), not one
    that needs a positive definite H (a Cholesky factorisation fails there). Solve the
    linear system H d = grad rather than inverting H: it is cheaper and more accurate.
    No learning rate is involved.

    Inputs:
    - w: (N,) current point
    - grad: (N,) gradient of f at w
    - hessian: (N, N) Hessian of f at w (symmetric and invertible, not necessarily
      positive definite)

    Returns:
    - next_w: (N,) the new point (w, grad and hessian are left unchanged)
    """
    next_w = None
    # TODO (05_optimizers): implement newton_step.
    raise NotImplementedError("second_order.newton_step: implement it, see notebook 05_optimizers")
    return next_w


def lbfgs_direction(grad, s_list, y_list):
    """The L-BFGS search direction -H grad, by the two-loop recursion.

    H is the BFGS approximation of the inverse Hessian built from the m most recent pairs
    s_i = w_{i+1} - w_i (change of the point) and y_i = grad_{i+1} - grad_i (change of the
    gradient), starting from H_0 = gamma * I with gamma = (s . y) / (y . y) of the newest
    pair. With rho_i = 1 / (y_i . s_i):

        q = grad
        for i from newest to oldest:  alpha_i = rho_i (s_i . q);  q = q - alpha_i y_i
        r = gamma * q
        for i from oldest to newest:  beta = rho_i (y_i . r);     r = r + s_i (alpha_i - beta)

    and the direction is -r. Without pairs, H_0 = I and the direction is -grad. N x N
    matrices never appear: the cost is O(m N).

    Inputs:
    - grad: (N,) gradient at the current point
    - s_list: list of m arrays (N,), oldest first (m may be 0)
    - y_list: list of m arrays (N,), in the same order; every s_i . y_i > 0

    Returns:
    - direction: (N,) the vector -H grad (grad and the lists are left unchanged)
    """
    direction = None
    # TODO (05_optimizers): implement lbfgs_direction.
    raise NotImplementedError("second_order.lbfgs_direction: implement it, see notebook 05_optimizers")
    return direction


def line_search(f, w, loss, grad, direction, step=1.0, c1=1e-4, c2=0.9, max_evals=40):
    """A step size along ``direction`` satisfying the weak Wolfe conditions (provided).

    The conditions: the loss decreases enough (Armijo),
        f(w + step d) <= loss + c1 * step * (grad . d),
    and the slope has flattened enough (curvature),
        grad(w + step d) . d >= c2 * (grad . d),
    which guarantees s . y > 0 for the pair this step creates. It brackets by halving a
    step that went too far and doubling one that stopped short.

    Inputs:
    - f: function w -> (loss, grad)
    - w: (N,) current point; loss, grad: f's values there
    - direction: (N,) a descent direction (grad . direction < 0)
    - step: the first step size tried (1.0 suits quasi-Newton directions)
    - c1, c2: the Wolfe constants, 0 < c1 < c2 < 1
    - max_evals: at most this many calls of f

    Returns a tuple of:
    - step: the step size found (0.0 if not even the Armijo condition could be met)
    - new_loss, new_grad: f at w + step * direction (loss, grad when step is 0)
    - evals: the number of calls of f made
    """
    slope = float(np.sum(grad * direction))
    if not slope < 0:
        raise ValueError(f"line_search needs a descent direction, but grad . direction = {slope:.3g} >= 0")
    low, high, best = 0.0, np.inf, None
    for evals in range(1, max_evals + 1):
        new_loss, new_grad = f(w + step * direction)
        new_loss = float(new_loss)
        if not np.isfinite(new_loss) or new_loss > loss + c1 * step * slope:
            high = step  # too far: not enough decrease
        elif np.sum(new_grad * direction) < c2 * slope:
            low, best = step, (step, new_loss, new_grad)  # still steep: could go further
        else:
            return step, new_loss, new_grad, evals
        step = 0.5 * (low + high) if np.isfinite(high) else 2.0 * low
    if best is not None:
        return (*best, max_evals)
    return 0.0, loss, grad, max_evals


def lbfgs_minimize(f, w0, memory=10, max_iter=100, tol=1e-5):
    """Minimise f with L-BFGS, using ``lbfgs_direction`` and the provided ``line_search``.

    Each iteration:
    1. stop if the gradient is small, max |grad| <= tol;
    2. direction = lbfgs_direction(grad, s_list, y_list); if it is not a descent
       direction (grad . direction >= 0), forget every pair and use -grad instead;
    3. step, new_loss, new_grad, evals = line_search(f, w, loss, grad, direction)
       (with its defaults); stop if step is 0 (no progress is possible);
    4. new_w = w + step * direction; keep the pair s = new_w - w, y = new_grad - grad if
       s . y > 1e-10 (it is, after a Wolfe step), dropping the oldest pair beyond
       ``memory``; move to (new_w, new_loss, new_grad).

    Inputs:
    - f: function w -> (loss, grad), loss a float and grad an (N,) array
    - w0: (N,) starting point (left unchanged)
    - memory: m, the number of (s, y) pairs kept
    - max_iter: the largest number of iterations (line searches)
    - tol: the gradient size that counts as converged

    Returns a tuple of:
    - w: (N,) the last point
    - info: dict with
      - "losses": list of floats, the loss at w0 and after every iteration
      - "iterations": the number of iterations done (len(losses) - 1)
      - "evaluations": the number of calls of f, the first one at w0 included
      - "converged": True if max |grad| <= tol at the last point
    """
    w = np.array(w0, dtype=float)
    loss, grad = f(w)
    info = {"losses": [float(loss)], "iterations": 0, "evaluations": 1}
    s_list, y_list = [], []
    # TODO (05_optimizers): implement lbfgs_minimize.
    raise NotImplementedError("second_order.lbfgs_minimize: implement it, see notebook 05_optimizers")
    # w, loss and grad are the last point and f's values there.
    info["converged"] = bool(np.max(np.abs(grad)) <= tol)
    return w, info
