"""What a notebook imports: ``setup()`` finds the library, ``check(name)`` runs one check."""

import os
import pathlib
import sys


def find_library(start=None):
    """The folder holding the nearest ``cs231n_lib/``: ``start`` (default: cwd) or a parent."""
    here = pathlib.Path(start or os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "cs231n_lib" / "__init__.py").is_file():
            return folder
    raise FileNotFoundError(
        f"No cs231n_lib/ folder in {here} or any folder above it. Open the notebook from "
        "inside the course folder, or put your cs231n_lib/ next to the notebook."
    )


def setup(verbose=True):
    """Put the nearest ``cs231n_lib`` first on ``sys.path``; return True while nbgrader grades.

    It also keeps BLAS to one thread: the notebooks multiply small matrices, for which
    threads only add overhead, and on a busy 2-core machine they made training 50x slower.
    In IPython it turns on autoreload, so edits to cs231n_lib take effect without a restart.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    try:
        shell = get_ipython()  # noqa: F821 (defined only inside IPython)
        shell.run_line_magic("load_ext", "autoreload")
        shell.run_line_magic("autoreload", "2")
    except NameError:
        pass
    folder = find_library()
    if sys.path[:1] != [str(folder)]:
        sys.path.insert(0, str(folder))
    if verbose:
        print(f"Using cs231n_lib from {folder / 'cs231n_lib'}")
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def find_solutions(start=None):
    """The instructor's solutions/ folder above ``start``, if there is one (for hidden checks)."""
    here = pathlib.Path(start or os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "solutions" / "hidden_checks").is_dir():
            return folder / "solutions"
    return None


_warned_unisolated = []


def sandbox_for(lib):
    """A Sandbox for a self-check: isolated where the machine allows it, else (said once) not."""
    from .sandbox import Sandbox, isolation

    isolated, why = isolation()
    if not isolated and not _warned_unisolated:
        _warned_unisolated.append(why)
        print(f"note: checks run in a separate process, but not in an isolated sandbox on this machine: {why}",
              file=sys.stderr)
    return Sandbox(lib, isolate=isolated)


def check(name):
    """Run one check on the library this notebook uses, in a separate process.

    Prints a line when it passes; raises AssertionError with the reason when it fails, so
    nbgrader scores the cell exactly as ``python -m autograder grade`` scores the check.
    Hidden checks draw fresh inputs each time, unless CS231N_GRADING_SEED fixes the seed.
    """
    from . import grading
    from .registry import load_checks

    lib = find_library() / "cs231n_lib"
    solutions = find_solutions()
    checks = load_checks(grading.hidden_checks_dir(solutions) if solutions else None)
    if name not in checks:
        raise KeyError(f"there is no check named {name!r}")
    reference = grading.trusted_reference(solutions) if checks[name].hidden else None
    seed = int(os.environ.get("CS231N_GRADING_SEED") or grading.new_seed())
    with sandbox_for(lib) as sandbox:
        result = grading.run_check(checks[name], sandbox, reference, seed)
    if result["score"] < result["max_score"]:
        raise AssertionError(result["output"]) from None
    print(f"passed {name}: {result['score']:g}/{result['max_score']:g} points")
