"""Every check passes the reference, fails the untouched stubs and fails a realistic bug."""

import importlib

import pytest

from conftest import MUTANTS, REFERENCE_LIB, failed, lib_with
from autograder import grading, mutation
from autograder.registry import load_checks

ALL_CHECKS = load_checks(grading.hidden_checks_dir())


def test_the_reference_passes_every_check(reference_results):
    assert {t["name"] for t in reference_results["tests"]} == set(ALL_CHECKS)
    assert failed(reference_results) == set(), [t["output"] for t in reference_results["tests"] if t["score"] == 0]
    assert reference_results["score"] == reference_results["max_score"] > 0


def test_the_stubs_fail_every_check_and_say_so(stub_results):
    assert failed(stub_results) == set(ALL_CHECKS)
    for t in stub_results["tests"]:
        assert "is not implemented yet" in t["output"], t


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_realistic_bug_fails_its_checks(mutant, tmp_path):
    lib = mutation.apply(REFERENCE_LIB, tmp_path / "cs231n_lib", [mutant])
    assignments = {ALL_CHECKS[name].assignment for name in mutant.breaks}
    results = grading.grade(lib, assignments=sorted(assignments))
    assert set(mutant.breaks) <= failed(results)


def test_every_check_is_broken_by_some_bug():
    broken = {name for m in MUTANTS for name in m.breaks}
    assert broken == set(ALL_CHECKS)


def test_a_correct_function_that_warns_loses_no_points(tmp_path):
    # The textbook sigmoid overflows in exp(-x) for x = -1000 (a RuntimeWarning) but is right.
    lib = lib_with(tmp_path, "activations", "def sigmoid_forward(x):\n"
                   "    out = 1 / (1 + np.exp(-x))\n    return out, out")
    results = grading.grade(lib, assignments=["01"])
    assert failed(results) == set()


def test_failure_messages_say_what_and_where(tmp_path):
    lib = lib_with(tmp_path, "activations", "def sigmoid_backward(dout, cache):\n"
                   "    dx = dout * cache * (1 - cache)\n    dx[2, 3] += 0.5\n    return dx")
    results = grading.grade(lib, names=["sigmoid_backward"])
    (test,) = results["tests"]
    assert test["output"].startswith("sigmoid_backward: dx differs from the numeric gradient (rel. error")
    assert "worst at index (2, 3)" in test["output"]


def test_check_names_tags_and_points_are_well_formed():
    for c in ALL_CHECKS.values():
        assert c.points > 0 and c.tags
        for tag in c.tags:
            module, func = tag.split(".")
            assert callable(getattr(importlib.import_module(f"cs231n_lib.{module}"), func, None)), tag
