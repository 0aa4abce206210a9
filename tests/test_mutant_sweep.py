"""The mutant sweep (benchmarks/mutant_sweep.py) explains itself and grades what it names:
the robustness numbers themselves are for people to read, over many seeds, outside make test."""

import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "mutant_sweep.py"


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_help_names_the_options():
    result = run("--help")
    assert result.returncode == 0
    for option in ("--seeds", "--assignments", "--names", "--only", "--jobs", "100%"):
        assert option in result.stdout


def test_a_caught_mutant_and_a_correct_alternative_reach_the_target():
    result = run("--seeds", "1", "--jobs", "1", "--names", "ema_decay_swapped", "ema_step_towards_params")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split()[2] for line in result.stdout.splitlines() if line.startswith("ema_")}
    assert rows == {"ema_decay_swapped": "100%", "ema_step_towards_params": "100%"}
    assert "2 of 2 at 100%" in result.stdout


def test_an_empty_selection_is_refused():
    result = run("--names", "no_such_mutant")
    assert result.returncode == 2 and "no mutant or alternative matches" in result.stderr
