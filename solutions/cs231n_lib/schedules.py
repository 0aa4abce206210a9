"""Learning-rate schedules (notebook 05_optimizers).

Every schedule has one contract: a function of the hyper-parameters returns

    schedule(epoch) -> factor

a function of the epoch (0, 1, 2, ...) that gives the factor by which the base learning
rate is multiplied during that epoch. The Solver accepts it as ``lr_schedule``:

    Solver(model, data, update_rule="sgd_momentum", optim_config={"learning_rate": 0.1},
           lr_schedule=schedules.step_decay(step_size=10, decay=0.5))

trains epoch e with learning rate 0.1 * schedule(e). Every schedule here starts at
factor 1 (after the warm-up, for ``cosine_with_warmup``) and returns a Python float.
"""

import math

import numpy as np  # noqa: F401 (math or numpy: either serves a schedule)


def constant():
    """No schedule: factor 1 in every epoch (provided, for comparisons).

    Returns:
    - schedule: function epoch -> 1.0
    """
    return lambda epoch: 1.0


def step_decay(step_size, decay=0.5):
    """Multiply the rate by ``decay`` every ``step_size`` epochs: a staircase.

        factor(epoch) = decay ** (epoch // step_size)

    Inputs:
    - step_size: positive int, the number of epochs between two drops
    - decay: factor applied at each drop, in (0, 1] (default 0.5)

    Returns:
    - schedule: function epoch -> factor (a float)
    """
    schedule = None
    ### BEGIN SOLUTION
    def schedule(epoch):
        return float(decay ** (epoch // step_size))
    ### END SOLUTION
    return schedule


def exponential_decay(k):
    """Smooth exponential decay: the rate shrinks by the same fraction every epoch.

        factor(epoch) = exp(-k * epoch)

    Inputs:
    - k: decay constant >= 0 (per epoch)

    Returns:
    - schedule: function epoch -> factor (a float)
    """
    schedule = None
    ### BEGIN SOLUTION
    def schedule(epoch):
        return math.exp(-k * epoch)
    ### END SOLUTION
    return schedule


def inverse_time_decay(k):
    """1/t decay: the rate falls like one over the number of epochs.

        factor(epoch) = 1 / (1 + k * epoch)

    Inputs:
    - k: decay constant >= 0 (per epoch)

    Returns:
    - schedule: function epoch -> factor (a float)
    """
    schedule = None
    ### BEGIN SOLUTION
    def schedule(epoch):
        return 1.0 / (1.0 + k * epoch)
    ### END SOLUTION
    return schedule


def cosine_with_warmup(num_epochs, warmup_epochs=0, min_factor=0.0):
    """Linear warm-up, then half a cosine down to ``min_factor`` at the end of training.

    During the first ``warmup_epochs`` epochs the factor climbs in equal steps:

        factor(epoch) = (epoch + 1) / (warmup_epochs + 1)       for epoch < warmup_epochs

    (so it never is 0, and reaches 1 one epoch after the warm-up). Then, with
    progress = (epoch - warmup_epochs) / (num_epochs - warmup_epochs), which runs from 0
    at the end of the warm-up towards 1 at the last epoch,

        factor(epoch) = min_factor + (1 - min_factor) * (1 + cos(pi * progress)) / 2

    Epochs at or after ``num_epochs`` keep ``min_factor``.

    Inputs:
    - num_epochs: positive int, the length of training in epochs
    - warmup_epochs: int in [0, num_epochs), epochs of linear warm-up (default 0)
    - min_factor: the factor the cosine ends at (default 0.0)

    Returns:
    - schedule: function epoch -> factor (a float)
    """
    schedule = None
    ### BEGIN SOLUTION
    def schedule(epoch):
        if epoch < warmup_epochs:
            return (epoch + 1) / (warmup_epochs + 1)
        if epoch >= num_epochs:
            return float(min_factor)
        progress = (epoch - warmup_epochs) / (num_epochs - warmup_epochs)
        return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))
    ### END SOLUTION
    return schedule


def factors(schedule, epochs):
    """The schedule's factor at each of ``epochs`` (provided; for plots and checks).

    Inputs:
    - schedule: function epoch -> factor
    - epochs: iterable of ints

    Returns:
    - list of floats, one per epoch
    """
    return [float(schedule(int(e))) for e in epochs]
