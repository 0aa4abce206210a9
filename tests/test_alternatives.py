"""Every correct answer passes: each ALTERNATIVES entry (correct code written the ways
students write it) gets full marks on every check of its notebook, whatever the seed of
the hidden checks' random inputs; every function a check tags has at least two."""

import zlib

import pytest

from conftest import REFERENCE_LIB, SOLUTIONS, failed, full_output, lib_with
from autograder import grading, mutation
from autograder.registry import load_checks

ALL_CHECKS = load_checks(grading.hidden_checks_dir())
ALTERNATIVES = mutation.load_alternatives(SOLUTIONS / "hidden_checks")
PACKS = mutation.packs(ALTERNATIVES)


def assignment_of(alternative):
    """The notebook whose checks tag the functions an alternative replaces."""
    (assignment,) = {c.assignment for c in ALL_CHECKS.values() for tag in alternative.qualnames if tag in c.tags}
    return assignment


def outputs(results):
    return [f"{t['name']}: {full_output(t)}" for t in results["tests"] if t["score"] < t["max_score"]]


def checks_of(alternative):
    """The checks that tag a function the alternative replaces (the packs below also grade
    every other check of its notebook with it, on several seeds)."""
    return sorted(name for name, c in ALL_CHECKS.items() if set(c.tags) & set(alternative.qualnames))


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.name)
def test_each_alternative_gets_full_marks(alternative, tmp_path):
    lib = mutation.apply_alternatives(REFERENCE_LIB, tmp_path / "cs231n_lib", [alternative])
    seed = zlib.crc32(alternative.name.encode())  # a different draw of hidden inputs per alternative
    results = grading.grade(lib, names=checks_of(alternative), seed=seed)
    assert results["score"] == results["max_score"] > 0, outputs(results)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("pack", range(len(PACKS)), ids=lambda i: f"pack{i}")
def test_packed_alternatives_get_full_marks_on_every_seed(pack, seed, tmp_path):
    lib = mutation.apply_alternatives(REFERENCE_LIB, tmp_path / "cs231n_lib", PACKS[pack])
    results = grading.grade(lib, assignments=sorted({assignment_of(a) for a in PACKS[pack]}), seed=seed)
    assert results["score"] == results["max_score"] > 0, outputs(results)


def test_every_student_function_has_two_alternatives():
    tagged = {tag for c in ALL_CHECKS.values() for tag in c.tags}
    count = {tag: sum(tag in a.qualnames for a in ALTERNATIVES) for tag in tagged}
    assert {tag: n for tag, n in count.items() if n < 2} == {}


def test_alternatives_replace_only_student_functions_and_have_unique_names():
    tagged = {tag for c in ALL_CHECKS.values() for tag in c.tags}
    assert {q for a in ALTERNATIVES for q in a.qualnames} <= tagged
    names = [a.name for a in ALTERNATIVES]
    assert len(names) == len(set(names))


def test_packs_cover_every_alternative_once():
    assert sorted(a.name for pack in PACKS for a in pack) == sorted(a.name for a in ALTERNATIVES)
    for pack in PACKS:
        replaced = [q for a in pack for q in a.qualnames]
        assert len(replaced) == len(set(replaced))


@pytest.mark.parametrize("code, error", [
    ("def relu_forward_helper(x):\n    return x, x\n", "defines"),
    ("_reference = relu_forward\ndef relu_forward(x):\n    return _reference(x)\n", "own implementation"),
])
def test_an_alternative_is_its_own_implementation_of_what_it_names(tmp_path, code, error):
    wrong = mutation.Alternative("wrong", "layers", code, ("relu_forward",))
    with pytest.raises(ValueError, match=error):
        mutation.apply_alternatives(REFERENCE_LIB, tmp_path / "cs231n_lib", [wrong])


def test_outside_the_subgradient_interval_fails(tmp_path):
    # 2 at x == 0 lies outside [0, 1], the subgradients of ReLU there.
    lib = lib_with(tmp_path, "layers", "def relu_backward(dout, cache):\n"
                   "    return dout * np.where(cache == 0, 2.0, cache > 0)")
    results = grading.grade(lib, names=["relu_backward", "relu_hidden"], seed=0)
    assert failed(results) == {"relu_backward", "relu_hidden"}


def test_copying_dout_to_every_tied_maxout_piece_fails(tmp_path):
    # Correct without ties, but at a tie each winning piece gets all of dout: not a subgradient.
    lib = lib_with(tmp_path, "activations", "def maxout_forward(x, w, b):\n"
                   "    z = np.einsum('nd,dmk->nmk', x.reshape(x.shape[0], -1), w) + b\n"
                   "    out = z.max(axis=2)\n"
                   "    return out, (x, w, z == out[..., None])\n\n"
                   "def maxout_backward(dout, cache):\n"
                   "    x, w, mask = cache\n"
                   "    dz = mask * dout[..., None]\n"
                   "    dx = np.einsum('nmk,dmk->nd', dz, w).reshape(x.shape)\n"
                   "    return dx, np.einsum('nd,nmk->dmk', x.reshape(x.shape[0], -1), dz), dz.sum(axis=0)")
    results = grading.grade(lib, assignments=["01"], seed=0)
    assert failed(results) == {"maxout_hidden"}
    (test,) = [t for t in results["tests"] if t["name"] == "maxout_hidden"]
    assert "do not copy it to each" in full_output(test)


def test_an_alternative_that_warns_gets_full_marks_and_a_note(tmp_path):
    # The textbook sigmoid overflows in exp(-x) for x = -1000; through nbgrader, this
    # alternative's pack shows that such warnings cost no points there either.
    (textbook,) = [a for a in ALTERNATIVES if a.name == "sigmoid_textbook_cache_x"]
    lib = mutation.apply_alternatives(REFERENCE_LIB, tmp_path / "cs231n_lib", [textbook])
    results = grading.grade(lib, names=["sigmoid_forward"], seed=0)
    assert results["score"] == results["max_score"]
    assert "overflow" in results["tests"][0]["output"]
