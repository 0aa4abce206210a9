"""The training-step benchmark runs, explains itself and works without PyTorch (it never
asserts a speed: the numbers are for people to read, see benchmarks/training_step.py)."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from conftest import REFERENCE_LIB, ROOT

SCRIPT = ROOT / "benchmarks" / "training_step.py"
QUICK = ["--rounds", "1", "--steps", "1", "--warmup", "0", "--dtype", "float32"]


def run(*args, env_path=None):
    env = None
    if env_path is not None:
        import os
        env = {**os.environ, "PYTHONPATH": str(env_path)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_help_names_the_options():
    result = run("--help")
    assert result.returncode == 0
    for option in ("--threads", "--steps", "--seed", "--rounds", "--profile", "--lib", "GEMM floor"):
        assert option in result.stdout


def test_without_pytorch_it_says_how_to_install_it_and_still_measures_ours(tmp_path):
    (tmp_path / "torch.py").write_text("raise ImportError('PyTorch is not installed here')\n")
    result = run(*QUICK, env_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pip install torch==2.13.0" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("float32"))
    ours_ms = float(row.split()[1])
    assert ours_ms > 0 and "-" in row.split()  # PyTorch's columns are empty


@pytest.mark.parametrize("args,message", [(["--threads", "0"], "--threads must be at least 1"),
                                          (["--lib", str(ROOT)], "must be a cs231n_lib folder")])
def test_bad_arguments_are_refused_with_a_reason(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr


def load_benchmark():
    spec = importlib.util.spec_from_file_location("training_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_sides_compute_the_same_network(dtype):
    """Ours and PyTorch's agree on the loss and every gradient from the same weights (dropout
    off), so the times compare the same work; a differently built side (another momentum,
    a missing layer) fails here."""
    pytest.importorskip("torch")
    bench = load_benchmark()
    lib = bench.load_library(REFERENCE_LIB)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((bench.BATCH, bench.INPUT_DIM)).astype(dtype)
    y = rng.integers(bench.CLASSES, size=bench.BATCH)
    mismatch = bench.same_network(lib, dtype, 0, X, y)
    assert mismatch < bench.SAME_NETWORK_TOLERANCE[np.dtype(dtype).name]
