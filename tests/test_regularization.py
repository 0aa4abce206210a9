"""Notebook 06's checks speak to the mistakes students make with dropout's p, and its
library functions compose with the Solver as the notebook uses them."""

import numpy as np
import pytest

from conftest import failed, lib_with
from autograder import grading
from cs231n_lib import augmentation, fc_net, solver

# CS231n's dropout up to about 2017, where p was the probability of DROPPING a unit.
OLD_CS231N_DROPOUT = '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)
'''


@pytest.mark.parametrize("keep, scale", [(">= p", "/ (1 - p)"), ("> p", "/ p")])
def test_p_taken_as_the_drop_probability_is_named(tmp_path, keep, scale):
    code = OLD_CS231N_DROPOUT.replace(">= p) / (1 - p)", f"{keep}) {scale}")
    results = grading.grade(lib_with(tmp_path, "regularization", code), names=["dropout_forward"], seed=0)
    assert failed(results) == {"dropout_forward"}
    (test,) = results["tests"]
    assert "probability of KEEPING" in test["output"] and "1 - p" in test["output"], test["output"]


def test_an_inverted_flip_probability_is_named_as_flipping(tmp_path):
    # Dropout's p keeps a unit; random_flip's p flips an image: each message speaks of its own.
    code = ("def random_flip(X, rng, p=0.5):\n    flip = rng.random(len(X)) >= p\n    out = X.copy()\n"
            "    out[flip] = X[flip][..., ::-1]\n    return out")
    results = grading.grade(lib_with(tmp_path, "augmentation", code), names=["random_flip"], seed=0)
    (test,) = results["tests"]
    assert test["score"] == 0 and "probability of FLIPPING" in test["output"], test["output"]
    assert "KEEPING" not in test["output"] and "dropping" not in test["output"].lower()


def test_dropout_in_a_trained_network_repeats_and_generalises():
    from cs231n_lib.data import load_mnist1d

    data = load_mnist1d()
    runs = []
    for _ in range(2):
        model = fc_net.FullyConnectedNet([64], weight_scale="he", dropout_keep_ratio=0.8, seed=1)
        runs.append(solver.Solver(model, data, optim_config={"learning_rate": 0.1}, num_epochs=3, seed=2,
                                  progress=False, augment=lambda X, rng: augmentation.random_shift(X, rng, 2)).train())
    assert runs[0].loss_history == runs[1].loss_history  # masks and shifts are seeded too
    assert runs[0].best_val_acc > 0.2  # chance is 0.1
