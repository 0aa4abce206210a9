"""Minibatch training loop for classifiers (provided code).

    model = fc_net.FullyConnectedNet([100, 100])
    s = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-1},
               num_epochs=10, batch_size=100).train()
    s.loss_history, s.train_acc_history, s.val_acc_history, s.best_val_acc

The model needs ``model.params`` (a dict of arrays) and ``model.loss(X, y=None)``, which
returns scores (N, C) when y is None and ``(loss, grads)`` otherwise, grads having the
keys of params. Update rules follow the contract of ``optim``. An ``augment(X_batch, rng)``
hook (notebook 06) changes every training minibatch before the model sees it. Notebook 07
adds a moving average of the parameters (``ema_decay``) and snapshots (``snapshot_epochs``).
Notebook 08 freezes parameters (``frozen``, for transfer learning) and monitors the size of
the updates (``monitor_updates``).
"""

import copy
import warnings

import numpy as np
from tqdm.auto import tqdm  # a widget in Jupyter, a text bar in a terminal

from . import ensembles, optim

REQUIRED_DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")


def _update_rule_names():
    """Names of the update rules defined in `optim` (later notebooks add more)."""
    return sorted(name for name, f in vars(optim).items()
                  if callable(f) and not name.startswith("_")
                  and getattr(f, "__module__", None) == optim.__name__)


class Solver:
    """Trains a model with minibatch gradient descent and records how training went.

    After train():
    - loss_history: list of floats, the training loss of every iteration
    - train_acc_history, val_acc_history: lists of floats, one per epoch
    - lr_history: list of floats, the learning rate of every epoch
    - best_val_acc, best_params: the best validation accuracy and a copy of the params
      that reached it; the model's params are set to best_params at the end, and so
      is its normalization state (the running averages in model.bn_params, if any)
    - diverged: True if training stopped because the loss became NaN or inf
    - update_ratios: with monitor_updates, dict param name -> list with, for every step,
      ||update|| / ||param before the update|| (Frobenius norms); about 1e-3 is healthy
    - ema_params: with ema_decay, the moving average of the params after the last step
    - snapshots: list of {"epoch": e, "params": copy, "ema_params": copy (with ema_decay)},
      one for each epoch of snapshot_epochs that training finished, in order
    """

    def __init__(self, model, data, update_rule="sgd", optim_config=None, lr_schedule=None,
                 num_epochs=10, batch_size=100, seed=0, num_train_samples=1000,
                 num_val_samples=None, progress=True, verbose=False, augment=None,
                 ema_decay=None, snapshot_epochs=None, frozen=(), monitor_updates=False):
        """Store the model, the data and the training settings (nothing runs yet).

        Inputs:
        - model: object with .params (dict of arrays) and .loss(X, y=None)
        - data: dict with X_train (N, D), y_train (N,), X_val (N_val, D), y_val (N_val,)
        - update_rule: name of a rule in `optim` (e.g. "sgd") or a callable
          rule(w, dw, config) -> (next_w, config)
        - optim_config: dict of hyper-parameters for the rule; every param gets its own copy
        - lr_schedule: None (constant rate) or a callable schedule(epoch) -> factor; the
          learning rate of epoch e (from 0) is optim_config["learning_rate"] * schedule(e)
        - num_epochs: number of passes over the training data
        - batch_size: examples per minibatch (the last batch of an epoch may be smaller)
        - seed: seeds the minibatch order, the accuracy subsamples and the augmentation
        - num_train_samples: training examples used for train accuracy (None: all)
        - num_val_samples: validation examples used for val accuracy (None: all)
        - progress: show a progress bar over epochs
        - verbose: print one line per epoch
        - augment: None, or a callable augment(X_batch, rng) -> X_batch of the same shape,
          applied to every training minibatch (never to the accuracy checks); rng is a
          numpy Generator of the Solver's, seeded by `seed`
        - ema_decay: None, or a float in [0, 1): after every update step the Solver sets
          ema_params = ensembles.ema_update(ema_params, model.params, ema_decay), starting
          from a copy of the initial params
        - snapshot_epochs: None, or epochs (from 0) at whose end a copy of the params is
          kept in `snapshots`, e.g. ensembles.cycle_end_epochs(num_epochs, cycle_length)
        - frozen: names of params that are never updated (e.g. all but the top layer's
          when fine-tuning only the top of a pre-trained network)
        - monitor_updates: record update_ratios (costs a copy of every param per step)
        """
        if not (hasattr(model, "params") and callable(getattr(model, "loss", None))):
            raise TypeError("model must have a .params dict and a .loss(X, y=None) method")
        missing = [k for k in REQUIRED_DATA_KEYS if k not in data]
        if missing:
            raise ValueError(f"data is missing {missing}; it needs {list(REQUIRED_DATA_KEYS)}")
        if len(data["X_train"]) != len(data["y_train"]) or len(data["X_val"]) != len(data["y_val"]):
            raise ValueError("X_train/y_train and X_val/y_val must have the same lengths")
        if isinstance(update_rule, str):
            names = _update_rule_names()
            if update_rule not in names:
                raise ValueError(f"unknown update rule {update_rule!r}; choose one of {names} "
                                 "or pass a callable rule(w, dw, config) -> (next_w, config)")
            update_rule = getattr(optim, update_rule)
        elif not callable(update_rule):
            raise TypeError("update_rule must be a name in optim or a callable")
        optim_config = {} if optim_config is None else dict(optim_config)
        if lr_schedule is not None:
            if not callable(lr_schedule):
                raise TypeError("lr_schedule must be None or a callable schedule(epoch) -> factor")
            # The schedule multiplies a base rate, so the base rate must be known up front.
            if "learning_rate" not in optim_config:
                raise ValueError("lr_schedule needs optim_config['learning_rate'] to scale")
        if augment is not None and not callable(augment):
            raise TypeError("augment must be None or a callable augment(X_batch, rng) -> X_batch")
        for name, value in (("num_epochs", num_epochs), ("batch_size", batch_size)):
            if not (isinstance(value, (int, np.integer)) and value > 0):
                raise ValueError(f"{name} must be a positive int, got {value!r}")

        if ema_decay is not None and not 0 <= ema_decay < 1:
            raise ValueError(f"ema_decay must be None or a float in [0, 1), got {ema_decay!r}")
        snapshot_epochs = set() if snapshot_epochs is None else set(snapshot_epochs)
        if not all(isinstance(e, (int, np.integer)) and 0 <= e < num_epochs for e in snapshot_epochs):
            raise ValueError(f"snapshot_epochs must be epochs in [0, num_epochs), got {sorted(snapshot_epochs)}")

        frozen = set(frozen)
        if not frozen <= set(model.params):
            raise ValueError(f"frozen names {sorted(frozen - set(model.params))} are not params of the model; "
                             f"it has {sorted(model.params)}")

        self.model = model
        self.data = data
        self.update_rule = update_rule
        self.optim_config = optim_config
        self.lr_schedule = lr_schedule
        self.num_epochs = int(num_epochs)
        self.batch_size = int(batch_size)
        self.seed = seed
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.progress = progress
        self.verbose = verbose
        self.augment = augment
        self.ema_decay = ema_decay
        self.snapshot_epochs = snapshot_epochs
        self.frozen = frozen
        self.monitor_updates = monitor_updates
        self._reset()

    def _reset(self):
        """Fresh histories, rule state and random generators: train() always starts here."""
        self.loss_history, self.train_acc_history, self.val_acc_history = [], [], []
        self.lr_history = []
        self.best_val_acc = 0.0
        self.best_params = {k: v.copy() for k, v in self.model.params.items()}
        self._best_bn_params = copy.deepcopy(getattr(self.model, "bn_params", None))
        self.diverged = False
        self.update_ratios = {k: [] for k in self.model.params if k not in self.frozen} if self.monitor_updates else {}
        self.ema_params = None if self.ema_decay is None else self._copy_params()
        self.snapshots = []
        # Each parameter carries its own state (e.g. a velocity), hence its own config.
        self.optim_configs = {k: copy.deepcopy(self.optim_config) for k in self.model.params}
        # Separate generators: batch order must not depend on how often accuracy is
        # sampled, nor on whether (and how much randomness) the augmentation draws.
        self._batch_rng = np.random.default_rng(self.seed)
        self._sample_rng = np.random.default_rng([self.seed, 1])
        self._augment_rng = np.random.default_rng([self.seed, 2])

    def check_accuracy(self, X, y, num_samples=None, batch_size=500):
        """Fraction of examples the model classifies correctly.

        Inputs:
        - X: (N, D) inputs
        - y: (N,) integer labels
        - num_samples: if given and smaller than N, use a random subset of that size
        - batch_size: examples scored at once (bounds memory, not the result)

        Returns:
        - acc: float in [0, 1]
        """
        if num_samples is not None and num_samples < len(X):
            idx = self._sample_rng.choice(len(X), num_samples, replace=False)
            X, y = X[idx], y[idx]
        predictions = [np.argmax(self.model.loss(X[i:i + batch_size]), axis=1)
                       for i in range(0, len(X), batch_size)]
        return float(np.mean(np.concatenate(predictions) == y))

    def _train_epoch(self, epoch):
        """One pass over a fresh permutation of the training set; False if it diverged."""
        X, y = self.data["X_train"], self.data["y_train"]
        order = self._batch_rng.permutation(len(X))  # without replacement
        for start in range(0, len(X), self.batch_size):
            idx = order[start:start + self.batch_size]
            X_batch = X[idx]
            if self.augment is not None:
                X_batch = self.augment(X_batch, self._augment_rng)
                if np.shape(X_batch) != X[idx].shape:
                    raise ValueError(f"augment returned a batch of shape {np.shape(X_batch)}; "
                                     f"it must keep the shape {X[idx].shape}")
            # A diverging run overflows on purpose in some notebooks; the explicit check
            # below reports it once, instead of a stream of numpy overflow warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grads = self.model.loss(X_batch, y[idx])
                self.loss_history.append(float(loss))
                if not np.isfinite(loss):
                    warnings.warn(
                        f"loss became {loss} in epoch {epoch}, iteration "
                        f"{len(self.loss_history) - 1}; training stopped. The learning "
                        "rate is probably too large.", RuntimeWarning, stacklevel=3)
                    return False
                for k in self.model.params:
                    if k in self.frozen:
                        continue
                    # A copy: an update rule may change w in place.
                    before = self.model.params[k].copy() if self.monitor_updates else None
                    self.model.params[k], self.optim_configs[k] = self.update_rule(
                        self.model.params[k], grads[k], self.optim_configs[k])
                    if before is not None:
                        step = np.linalg.norm(self.model.params[k] - before)
                        self.update_ratios[k].append(float(step / max(np.linalg.norm(before), 1e-12)))
                if self.ema_decay is not None:
                    self.ema_params = ensembles.ema_update(self.ema_params, self.model.params, self.ema_decay)
        return True

    def _copy_params(self):
        return {k: v.copy() for k, v in self.model.params.items()}

    def _keep_snapshot(self, epoch):
        snapshot = {"epoch": epoch, "params": self._copy_params()}
        if self.ema_params is not None:
            snapshot["ema_params"] = {k: np.array(v, copy=True) for k, v in self.ema_params.items()}
        self.snapshots.append(snapshot)

    def plot_update_ratios(self, ax=None, title="Update size / parameter size"):
        """Plot update_ratios of the weight matrices (params named W...) per step, on a log
        scale, with the healthy 1e-3 marked; needs monitor_updates=True. Returns the Axes."""
        from .plotting import plot_update_ratios

        if not self.monitor_updates:
            raise ValueError("update ratios are recorded only with Solver(..., monitor_updates=True)")
        return plot_update_ratios(self.update_ratios, ax=ax, title=title)

    def train(self):
        """Run the optimization; the model ends with the params of the best epoch.

        Returns:
        - self, so that `s = Solver(...).train()` works
        """
        self._reset()
        epochs = tqdm(range(self.num_epochs), desc="training", unit="epoch",
                      disable=not self.progress)
        for epoch in epochs:
            if self.lr_schedule is not None:
                lr = self.optim_config["learning_rate"] * self.lr_schedule(epoch)
                for config in self.optim_configs.values():
                    config["learning_rate"] = lr
            finished = self._train_epoch(epoch)
            # Read back after the epoch: rules fill in their default rate on first use.
            first_config = next(iter(self.optim_configs.values()), {})
            self.lr_history.append(first_config.get("learning_rate"))
            if not finished:
                self.diverged = True
                break

            train_acc = self.check_accuracy(self.data["X_train"], self.data["y_train"],
                                            num_samples=self.num_train_samples)
            val_acc = self.check_accuracy(self.data["X_val"], self.data["y_val"],
                                          num_samples=self.num_val_samples)
            self.train_acc_history.append(train_acc)
            self.val_acc_history.append(val_acc)
            if val_acc > self.best_val_acc or len(self.val_acc_history) == 1:
                self.best_val_acc = val_acc
                self.best_params = {k: v.copy() for k, v in self.model.params.items()}
                # Running averages belong with the weights they were gathered under.
                self._best_bn_params = copy.deepcopy(getattr(self.model, "bn_params", None))

            if epoch in self.snapshot_epochs:
                self._keep_snapshot(epoch)
            epochs.set_postfix(loss=f"{self.loss_history[-1]:.3f}", val_acc=f"{val_acc:.3f}")
            if self.verbose:
                # tqdm.write keeps the progress bar intact below the printed line.
                tqdm.write(f"(epoch {epoch + 1} / {self.num_epochs}) loss "
                           f"{self.loss_history[-1]:.4f}, train acc {train_acc:.3f}, "
                           f"val acc {val_acc:.3f}")
        epochs.close()

        # Copy into the existing dict: code holding model.params sees the best values.
        for k, v in self.best_params.items():
            self.model.params[k] = v.copy()
        if self._best_bn_params is not None:
            self.model.bn_params[:] = copy.deepcopy(self._best_bn_params)
        return self
