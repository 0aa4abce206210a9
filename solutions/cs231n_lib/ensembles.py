"""Model ensembles (notebook 07_ensembles).

Several models, or several states of one model, predict better together than alone:

- an ensemble averages the class probabilities of K models (``average_probabilities``)
  and predicts the class of highest average probability (``ensemble_predict``); it gains
  only where its members disagree (``disagreement``);
- a snapshot ensemble takes its members from one run whose learning rate restarts every
  cycle (``cyclic_cosine``), keeping the parameters at the end of each cycle
  (``cycle_end_epochs``; the Solver's ``snapshot_epochs``);
- Polyak averaging keeps an exponential moving average of the parameters during training
  (``ema_update``; the Solver's ``ema_decay``) and uses it at test time.

Scores are what ``model.loss(X)`` returns: unnormalized class scores (logits), one row per
example. Epochs count from 0, as in ``schedules``.
"""

import math

import numpy as np


def average_probabilities(scores):
    """The ensemble's class probabilities: the mean over the K models of each model's
    softmax probabilities,

        probs[n, c] = (1 / K) * sum_k softmax(scores[k, n, :])[c].

    Average probabilities, not scores: each model's softmax comes first. Every row of the
    result sums to 1. The computation must be numerically stable: scores of +-1000 give
    finite probabilities (subtract each row's maximum before exponentiating). ``scores``
    is left unchanged: subtract into a new array, not in place (``np.asarray`` of an array
    is that same array, the caller's).

    Inputs:
    - scores: (K, N, C) array (or a list of K arrays of shape (N, C)): the class scores of
      K models for the same N examples (left unchanged)

    Returns:
    - probs: (N, C) array of floats in [0, 1], each row summing to 1
    """
    probs = None
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=2, keepdims=True)  # exp(<= 0): no overflow
    exp = np.exp(shifted)
    probs = (exp / exp.sum(axis=2, keepdims=True)).mean(axis=0)
    ### END SOLUTION
    return probs


def ensemble_predict(scores):
    """The ensemble's predicted class for each example: the class of highest average
    probability (see ``average_probabilities``). It is not a majority vote, and not the
    class of highest average score.

    Inputs:
    - scores: (K, N, C) class scores of K models (or a list of K arrays (N, C))

    Returns:
    - y_pred: (N,) array of ints in [0, C)
    """
    y_pred = None
    ### BEGIN SOLUTION
    y_pred = np.argmax(average_probabilities(scores), axis=1)
    ### END SOLUTION
    return y_pred


def disagreement(predictions):
    """How often two members of an ensemble disagree: the fraction of examples on which two
    models predict different classes, averaged over every pair of distinct models
    (K (K - 1) / 2 pairs). 0 means the models are copies of each other as far as their
    predictions go; averaging them cannot change anything.

    Inputs:
    - predictions: (K, N) int array (or a list of K arrays (N,)), the predicted classes of
      K >= 2 models for the same N examples

    Returns:
    - rate: float in [0, 1]
    """
    rate = None
    ### BEGIN SOLUTION
    predictions = np.asarray(predictions)
    K = len(predictions)
    different = [np.mean(predictions[i] != predictions[j]) for i in range(K) for j in range(i + 1, K)]
    rate = float(np.mean(different))
    ### END SOLUTION
    return rate


def ema_update(ema_params, params, decay):
    """One step of an exponential moving average of the parameters (Polyak averaging with
    a forgetting factor), for every key of ``params``:

        ema[k] = decay * ema[k] + (1 - decay) * params[k].

    ``decay`` close to 1 averages over many steps (about 1 / (1 - decay) of them); 0 copies
    the current parameters. The Solver calls this after every update step, starting from a
    copy of the initial parameters. It may update the arrays of ``ema_params`` in place and
    return that dict, but must never change ``params`` (the model keeps training with them),
    and the arrays it returns never share memory with those of ``params``, not even for
    decay = 0 (return copies): an optimizer that updates the parameters in place, or a later
    in-place update of the average, would otherwise change both.

    Inputs:
    - ema_params: dict name -> array, the average so far
    - params: dict name -> array of the same shapes, the current parameters
    - decay: float in [0, 1]

    Returns:
    - ema: dict name -> array, the updated average, with the keys of params (arrays of its
      own or of ema_params, none sharing memory with params)
    """
    ema = None
    ### BEGIN SOLUTION
    ema = {k: decay * ema_params[k] + (1 - decay) * params[k] for k in params}
    ### END SOLUTION
    return ema


def cyclic_cosine(cycle_length, min_factor=0.0):
    """A cyclic cosine schedule (warm restarts, as in SGDR and snapshot ensembles): the
    factor falls along half a cosine from 1 to near ``min_factor`` over each cycle of
    ``cycle_length`` epochs, then jumps back to 1 at the start of the next cycle:

        t = epoch mod cycle_length               (the epoch's place in its cycle, from 0)
        factor(epoch) = min_factor + (1 - min_factor) * (1 + cos(pi * t / cycle_length)) / 2

    so factor(0) = factor(cycle_length) = 1, and the last epoch of each cycle has the
    smallest factor, where the Solver keeps a snapshot. Follows the contract of
    ``schedules``: ``schedule(epoch) -> factor``.

    Inputs:
    - cycle_length: positive int, epochs per cycle
    - min_factor: float in [0, 1], what the factor would reach one epoch after a cycle ends

    Returns:
    - schedule: function epoch -> factor (a float)
    """
    schedule = None
    ### BEGIN SOLUTION
    def schedule(epoch):
        t = epoch % cycle_length
        return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * t / cycle_length))
    ### END SOLUTION
    return schedule


def cycle_end_epochs(num_epochs, cycle_length):
    """The epochs that end a cycle of ``cyclic_cosine(cycle_length)`` within ``num_epochs``
    epochs of training (0, 1, ..., num_epochs - 1): where a snapshot ensemble takes its
    members. With cycle_length 3 and 10 epochs: [2, 5, 8] (epoch 9 starts a cycle that
    training does not finish).

    Inputs:
    - num_epochs: positive int, the length of training
    - cycle_length: positive int, epochs per cycle

    Returns:
    - epochs: list of ints, increasing
    """
    epochs = None
    ### BEGIN SOLUTION
    epochs = list(range(cycle_length - 1, num_epochs, cycle_length))
    ### END SOLUTION
    return epochs
