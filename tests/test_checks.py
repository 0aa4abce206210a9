"""Every check passes the reference, fails the untouched stubs and fails a realistic bug."""

import importlib

import numpy as np
import pytest

from conftest import MUTANTS, REFERENCE_LIB, SEED, failed, lib_with
from autograder import grading, mutation, report
from autograder.registry import CheckFailed, close, load_checks, precision_floor

ALL_CHECKS = load_checks(grading.hidden_checks_dir())


def test_the_reference_passes_every_check(reference_results):
    assert {t["name"] for t in reference_results["tests"]} == set(ALL_CHECKS)
    assert failed(reference_results) == set(), [t["output"] for t in reference_results["tests"] if t["score"] == 0]
    assert reference_results["score"] == reference_results["max_score"] > 0


def test_the_stubs_fail_every_check_and_say_so(stub_results):
    assert failed(stub_results) == set(ALL_CHECKS)
    for t in stub_results["tests"]:
        # a hidden check tells the student only what it exercises; its message is the instructor's
        said = t["instructor_output"] if t["visibility"] == "hidden" else t["output"]
        assert "is not implemented yet" in said, t
        if t["visibility"] == "hidden":
            # (after, at most, a hint to fix a visible check it builds on first)
            assert t["output"].split("\n")[-1] == report.hidden_reason(t["tags"]), t
            assert t["output"].count("\n") == ("fix that first" in t["output"] or "fix those first" in t["output"])
        else:
            assert "instructor_output" not in t, t


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_realistic_bug_fails_its_checks(mutant, tmp_path):
    """On a fixed seed: how often each bug is caught over many seeds is measured by
    benchmarks/mutant_sweep.py, not here (a verdict here never depends on a fresh draw)."""
    lib = mutation.apply(REFERENCE_LIB, tmp_path / "cs231n_lib", [mutant])
    results = grading.grade(lib, names=sorted(mutant.breaks), seed=SEED)
    assert set(mutant.breaks) == failed(results)


def test_every_check_is_broken_by_some_bug():
    broken = {name for m in MUTANTS for name in m.breaks}
    assert broken == set(ALL_CHECKS)


def test_a_correct_function_that_warns_loses_no_points(tmp_path):
    # The textbook sigmoid overflows in exp(-x) for x = -1000 (a RuntimeWarning) but is right.
    lib = lib_with(tmp_path, "activations", "def sigmoid_forward(x):\n"
                   "    out = 1 / (1 + np.exp(-x))\n    return out, out")
    results = grading.grade(lib, assignments=["01"], seed=SEED)
    assert failed(results) == set()


def test_failure_messages_say_what_and_where(tmp_path):
    lib = lib_with(tmp_path, "activations", "def sigmoid_backward(dout, cache):\n"
                   "    dx = dout * cache * (1 - cache)\n    dx[2, 3] += 0.5\n    return dx")
    results = grading.grade(lib, names=["sigmoid_backward"], seed=SEED)
    (test,) = results["tests"]
    assert test["output"].startswith("sigmoid_backward: dx differs from the numeric gradient (rel. error")
    assert "worst at index (2, 3)" in test["output"]


def test_check_names_tags_and_points_are_well_formed():
    for c in ALL_CHECKS.values():
        assert c.points > 0 and c.tags
        for tag in c.tags:
            module, func = tag.split(".")
            assert callable(getattr(importlib.import_module(f"cs231n_lib.{module}"), func, None)), tag


def test_near_zero_entries_count_on_the_outputs_scale():
    # float64: an entry a million times smaller than the largest is held to 1e-7 of 1e-6.
    close("out", [1.0, 1e-9 + 1e-15], [1.0, 1e-9], 1e-7)
    with pytest.raises(CheckFailed, match=r"rel\. error 3\.3e-01 > 1e-07\), worst at index \(1,\)"):
        close("out", [1.0, 2e-6], [1.0, 1e-6], 1e-7)
    # float32: entries below 1% of the scale may be off by a few float32 ulps of the scale...
    f32 = np.array([1.0, 1e-5], dtype=np.float32)
    close("out", f32 + np.float32([0, 1e-7]), f32, 1e-4)
    with pytest.raises(CheckFailed, match=r"entries this near 0 may be off by 1e-04 x 0\.01\), worst at index \(1,\)"):
        close("out", f32 + np.float32([0, 1e-5]), f32, 1e-4)
    # ...but not when the expected values are float64.
    with pytest.raises(CheckFailed, match="rel. error"):
        close("out", f32 + np.float32([0, 1e-7]), f32.astype(np.float64), 1e-4)
    assert precision_floor(np.ones(2), 0.5, np.float32(1)) == precision_floor(f32) > precision_floor(np.ones(2))


def test_a_failure_never_prints_two_values_that_look_equal():
    # Adam's efficient form missed the documented one by 3e-7 and was told "got 0.999, expected 0.999".
    with pytest.raises(CheckFailed, match=r"got 0\.9990003, expected 0\.9990001$"):
        close("next_w", [0.9990003], [0.9990001], 1e-9)
    with pytest.raises(CheckFailed, match=r"got 1\.0000000000000002, expected 1$"):
        close("out", [1.0000000000000002], [1.0], 0)
