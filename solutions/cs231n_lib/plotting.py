"""Plots the notebooks use again and again (provided code).

matplotlib is imported inside each function, so the rest of the library never needs it.
Every function returns what it drew on (a Figure or an Axes) so a notebook can adjust it.
"""

import numpy as np


def _moving_average(values, window):
    """Mean of each run of `window` consecutive values: (len - window + 1,)."""
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def plot_history(solvers, smooth=20, log_loss=False, title="Training history"):
    """Training loss per iteration and train/val accuracy per epoch, one colour per run.

    Inputs:
    - solvers: dict label -> trained Solver (a single Solver is also accepted); the legend
      says whether the training accuracy was measured on a subset, and marks a run that
      diverged (its curves stop; an X at the top marks where)
    - smooth: window (iterations) of the moving average drawn over the noisy loss;
      1 or None draws the raw loss only
    - log_loss: log scale for the loss axis (useful when a run diverges)
    - title: title of the figure

    Returns:
    - fig: the matplotlib Figure, with the loss axes left and the accuracy axes right
    """
    import matplotlib.pyplot as plt

    if not isinstance(solvers, dict):
        solvers = {"run": solvers}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4))
    start_losses, lowest = [], np.inf
    for i, (label, s) in enumerate(solvers.items()):
        color = f"C{i}"
        # inf cannot be drawn; NaN leaves a gap, which shows where a run broke off.
        loss = np.asarray(s.loss_history, dtype=float)
        loss[~np.isfinite(loss)] = np.nan
        # Matplotlib's log autoscaling overflows near 1e308; such values are off the
        # chart (see the y limits below) whatever they are, so cap them.
        loss = np.minimum(loss, 1e30)
        iterations = np.arange(len(loss))
        start_losses.append(loss[0] if len(loss) else np.nan)
        if np.any(loss > 0):
            lowest = min(lowest, np.nanmin(loss[loss > 0]))
        if smooth and smooth > 1 and len(loss) >= smooth:
            ax_loss.plot(iterations, loss, color=color, alpha=0.25, linewidth=0.8)
            ax_loss.plot(iterations[smooth - 1:], _moving_average(loss, smooth),
                         color=color, label=label)
        else:
            ax_loss.plot(iterations, loss, color=color, label=label)
        epochs = np.arange(1, len(s.val_acc_history) + 1)
        # Say what the "train" curve measured: the whole training set or a random subset.
        n = getattr(s, "num_train_samples", None)
        total = len(s.data["X_train"]) if hasattr(s, "data") else None
        train = "train" if n is None or (total is not None and n >= total) else f"train, subset of {n}"
        # A diverged run has no accuracy after it broke off: say so instead of drawing a 0.
        broke = f", diverged in epoch {len(epochs) + 1}" if getattr(s, "diverged", False) else ""
        ax_acc.plot(epochs, s.train_acc_history, color=color, linestyle="--", marker=".",
                    label=f"{label} ({train}{broke})")
        ax_acc.plot(epochs, s.val_acc_history, color=color, marker="o",
                    label=f"{label} (val{broke})")
        if broke:
            ax_acc.plot([len(epochs) + 0.5], [1.0], "X", color=color, markersize=10, clip_on=False)

    # A diverging run would stretch the axis to 1e300; cut it just above the loss at
    # initialization, so that run leaves through the top and the others stay readable.
    top = np.nanmax(start_losses) if np.isfinite(start_losses).any() else None
    if log_loss:
        ax_loss.set_yscale("log")
        if top is not None and np.isfinite(lowest):
            ax_loss.set_ylim(0.5 * lowest, 10 * top)
    elif top is not None:
        ax_loss.set_ylim(0, 1.5 * top)
    smoothing = f", moving average over {smooth} iterations" if smooth and smooth > 1 else ""
    ax_loss.set(title=f"Training loss{smoothing}", xlabel="iteration (minibatch update)",
                ylabel="loss (mean over minibatch)")
    marked = "; X: diverged" if any(getattr(s, "diverged", False) for s in solvers.values()) else ""
    ax_acc.set(title=f"Accuracy (dashed: training set, solid: validation{marked})",
               xlabel="epoch", ylabel="accuracy (fraction correct)")
    ax_loss.legend()
    ax_acc.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_function_and_derivative(forward, backward, x_range=(-5, 5), title=None,
                                 num_points=1001, ax=None):
    """Draw an activation function and its derivative, both from the layer contract.

    The derivative is backward(dout=1, cache): with an upstream gradient of ones, the
    element-wise backward pass returns exactly f'(x).

    Inputs:
    - forward: forward(x) -> (out, cache); use functools.partial to fix e.g. alpha
    - backward: backward(dout, cache) -> dx
    - x_range: (low, high) of the pre-activation values drawn
    - title: plot title; defaults to the name of `forward` without "_forward"
    - num_points: how many x values are evaluated
    - ax: Axes to draw on; a new figure is made if None

    Returns:
    - ax: the matplotlib Axes
    """
    import matplotlib.pyplot as plt

    x = np.linspace(x_range[0], x_range[1], num_points)
    out, cache = forward(x)
    dx = backward(np.ones_like(x), cache)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    if title is None:
        name = getattr(forward, "__name__", None) or getattr(getattr(forward, "func", None),
                                                             "__name__", "activation")
        title = name.removesuffix("_forward")
    ax.plot(x, out, label="f(x)")
    ax.plot(x, dx, linestyle="--", label="f'(x) (from backward)")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.axvline(0, color="grey", linewidth=0.5)
    ax.set(title=title, xlabel="x (pre-activation, unitless)", ylabel="value (unitless)")
    ax.legend()
    return ax


def show_histograms(arrays, bins=50, value_range=None, ncols=5,
                    title="Activations per layer", xlabel="activation value"):
    """One histogram per array, e.g. the outputs of each hidden layer.

    Inputs:
    - arrays: dict label -> array of any shape (all values are pooled)
    - bins: number of bins of each histogram
    - value_range: (low, high) shared by all histograms, or None for each array's own range;
      a shared range makes layers easy to compare (e.g. (-1, 1) for tanh)
    - ncols: histograms per row
    - title: title of the figure
    - xlabel: what the values are

    Returns:
    - fig: the matplotlib Figure; each panel's title gives the mean and standard deviation
    """
    import matplotlib.pyplot as plt

    if not arrays:
        raise ValueError("arrays is empty: pass a dict label -> array")
    ncols = min(ncols, len(arrays))
    nrows = -(-len(arrays) // ncols)  # ceiling division
    fig, axes = plt.subplots(nrows, ncols, figsize=(3 * ncols, 2.6 * nrows), squeeze=False)
    for ax, (label, values) in zip(axes.flat, arrays.items()):
        values = np.asarray(values, dtype=float).ravel()
        ax.hist(values, bins=bins, range=value_range, color="C0")
        ax.set_title(f"{label}\nmean {values.mean():.3g}, std {values.std():.3g}", fontsize="small")
        ax.set(xlabel=xlabel, ylabel="count")
    for ax in axes.flat[len(arrays):]:
        ax.set_visible(False)  # unused panels of the last row
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_update_ratios(update_ratios, ax=None, smooth=10, title="Update size / parameter size"):
    """The training monitor of notebook 08: ||update|| / ||param|| per step for each weight
    matrix, on a log scale, with the rule-of-thumb healthy value 1e-3 marked.

    Inputs:
    - update_ratios: dict param name -> list of ratios per step (Solver.update_ratios);
      only the weight matrices (names starting with "W") are drawn
    - ax: Axes to draw on (None: a new figure)
    - smooth: window of the moving average drawn over the noisy ratios
    - title: title of the axes

    Returns:
    - ax: the matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    names = sorted((k for k in update_ratios if k.startswith("W")), key=lambda k: (len(k), k))
    for i, name in enumerate(names):
        ratios = np.asarray(update_ratios[name], dtype=float)
        if smooth and smooth > 1 and len(ratios) >= smooth:
            ax.plot(np.arange(len(ratios)), ratios, color=f"C{i}", alpha=0.2, linewidth=0.8)
            ax.plot(np.arange(smooth - 1, len(ratios)), _moving_average(ratios, smooth), color=f"C{i}",
                    label=f"{name} (layer {name[1:]})")
        else:
            ax.plot(ratios, color=f"C{i}", label=f"{name} (layer {name[1:]})")
    ax.axhline(1e-3, color="grey", linestyle=":", label="1e-3, the rule of thumb")
    ax.set(yscale="log", xlabel="iteration", ylabel="||update|| / ||W||", title=title)
    ax.legend()
    return ax
