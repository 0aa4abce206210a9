"""The notebooks' helpers: ``require`` (earlier notebooks' functions) and quoted numbers."""

import ast
import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SOLUTIONS, STUB_LIB
from autograder.course import nbcourse as course
from autograder.course.quotes import check_quotes
from autograder.registry import load_checks

VALUES = {"frac": 0.4712, "frac_sd": 0.031, "acc": 0.4712, "ratio": 13.46, "tiny": 1.23e-14, "neg": -0.25}


@pytest.mark.parametrize("text", [
    "fell to 0.47<!--q frac-->", "fell to 47%<!--q frac-->", "about 0.5<!--q frac ±0.05-->",
    "13.5x<!--q ratio-->", "13<!--q ratio-->", "**13.46**<!--q ratio-->", "many times<!--q ratio >10-->",
    "1.2e-14<!--q tiny-->", "$-0.25$<!--q neg-->", "about 10<!--q ratio ±40%-->", "below<!--q neg <0-->",
    "of order $10^{-14}$<!--q tiny-->", "about $10^{1}$<!--q ratio-->",
    "0.45 ± 0.03<!--q frac--> over 5 seeds", "$0.50 \\pm 0.03$<!--q frac-->", "45% ± 3%<!--q frac-->",
    "13±1<!--q ratio-->",
])
def test_a_quote_that_matches_the_measurement_passes(text):
    assert check_quotes([text], VALUES) == []


@pytest.mark.parametrize("text, why", [
    ("fell to 0.48<!--q frac-->", "measured frac = 0.4712"),
    ("fell to 0.4<!--q frac-->", "prose says 0.4"),       # 0.4 stands for [0.35, 0.45]
    ("47.2%<!--q frac-->", "47.12%"),
    ("13.4x<!--q ratio-->", "13.46"),
    ("only a little more<!--q ratio <2-->", "is not < 2"),
    ("about 0.6<!--q frac ±0.05-->", "0.4712"),
    ("0.47<!--q fraction-->", "nothing was recorded as 'fraction'"),
    ("words only<!--q frac-->", "no number before the marker"),
    ("0.47<!--q frac roughly-->", "cannot read the condition"),
    ("of order $10^{-13}$<!--q tiny-->", "not of the order of 10^-13"),
    ("0.45 ± 0.01<!--q acc-->", "the prose says 0.45 ± 0.01"),  # 0.4712 is 0.021 away
    ("45% ± 1%<!--q acc-->", "the prose says 45% ± 1%"),
    ("0.45 ± 0.03<!--q frac ±0.1-->", "give the spread once"),
    ("0.47 ± 0.02<!--q frac-->", "frac_sd was measured as 0.031"),  # a spread smaller than measured
])
def test_a_quote_the_measurement_contradicts_is_reported(text, why):
    problems = check_quotes(["Some prose.", text], VALUES)
    assert len(problems) == 1 and why in problems[0], problems


def run_require(folder, *names):
    code = ("from autograder.notebook import setup, require\nsetup(verbose=False)\n"
            f"print(require(*{list(names)!r}))")
    return subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_require_stops_on_stubs_and_says_which_notebook_to_finish(tmp_path):
    shutil.copytree(STUB_LIB, tmp_path / "cs231n_lib")
    done = run_require(tmp_path, "layers.affine_forward", "activations.tanh_forward")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("NotImplementedError: This notebook builds on functions from earlier notebooks")
    assert "layers.affine_forward (implement it, see notebook 00_gradients)" in last
    assert "activations.tanh_forward (implement it, see notebook 01_activations)" in last


def test_require_passes_once_the_functions_are_written(tmp_path):
    shutil.copytree(STUB_LIB, tmp_path / "cs231n_lib")
    layers = tmp_path / "cs231n_lib" / "layers.py"
    layers.write_text(layers.read_text() + "\n\ndef affine_forward(x, w, b):  # a student's own\n"
                      "    return x.reshape(len(x), -1) @ w + b, (x, w, b)\n")
    assert run_require(tmp_path, "layers.affine_forward").returncode == 0
    done = run_require(tmp_path, "layers.affine_forward", "layers.relu_forward")
    assert done.returncode != 0 and "layers.relu_forward (implement" in done.stderr
    assert "affine_forward (" not in done.stderr


def test_require_refuses_a_name_no_notebook_asks_for():
    done = run_require(SOLUTIONS / "01_activations", "layers.affine_fwd")
    assert done.returncode != 0 and "ValueError: require: layers.affine_fwd" in done.stderr


def required(assignment):
    """The names a master notebook's setup cell passes to require(), read without running it."""
    nb = json.loads((SOLUTIONS / assignment / f"{assignment}.ipynb").read_text())
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    tree = ast.parse("".join(line for line in "".join(setup["source"]).splitlines(keepends=True)
                             if not line.startswith("%")))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "require"]
    return [ast.literal_eval(a) for c in calls for a in c.args]


@pytest.mark.parametrize("assignment", course.assignment_ids(SOLUTIONS))
def test_a_notebook_requires_only_earlier_notebooks_functions(assignment):
    owner = {}
    for c in load_checks().values():
        for tag in c.tags:
            owner.setdefault(tag, c.assignment)
    names = required(assignment)
    if assignment.startswith("00_"):
        assert names == []  # the first notebook needs nothing
        return
    sources = "".join("".join(c["source"]) for c in json.loads(
        (SOLUTIONS / assignment / f"{assignment}.ipynb").read_text())["cells"] if c["cell_type"] == "code")
    if not names and "FullyConnectedNet" in sources:
        pytest.skip(f"{assignment} builds networks on notebook 00 but does not call require() yet "
                    "(docs/NOTEBOOKS.md: the setup cell requires what it needs)")
    assert all(owner[n] < assignment for n in names), names
    if "FullyConnectedNet" in sources:
        assert "layers.affine_forward" in names  # its networks are built from notebook 00's layers


def test_record_keeps_the_number_and_returns_nothing_for_a_cell_to_echo():
    import numpy as np
    from autograder.notebook import record, recorded

    assert record("helpers_test_value", np.float64(0.25)) is None  # a cell ending in record(...) shows no number
    assert recorded()["helpers_test_value"] == 0.25 and type(recorded()["helpers_test_value"]) is float
