"""Grade a library folder: run checks in a sandbox, collect Gradescope-style results."""

import pathlib
import traceback

from .registry import CheckFailed, Reference, load_checks
from .sandbox import Sandbox, StudentError

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


def hidden_checks_dir(solutions=SOLUTIONS):
    """solutions/hidden_checks, if the instructor's source (with its reference library) is there."""
    solutions = pathlib.Path(solutions)
    folder = solutions / "hidden_checks"
    return folder if folder.is_dir() and (solutions / "cs231n_lib").is_dir() else None


def select(checks, assignments=None, names=None):
    """The checks of the given assignments (ids or their number prefixes, e.g. '01')."""
    chosen = []
    for c in checks.values():
        if assignments and not any(c.assignment == a or c.assignment.split("_")[0] == a for a in assignments):
            continue
        if names and c.name not in names:
            continue
        chosen.append(c)
    return chosen


def run_check(c, sandbox, reference=None, seed=0, timeout=None):
    """One Gradescope test entry for check ``c``; never raises for a student's mistake."""
    sandbox.set_deadline(timeout or c.timeout)
    try:
        c.run(sandbox, reference, seed)
        score, output = c.points, "passed"
    except CheckFailed as exc:
        score, output = 0, str(exc)
    except StudentError as exc:
        score, output = 0, exc.message
    except Exception as exc:  # a result of an unexpected kind that a comparison choked on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        score, output = 0, (f"the grader could not check the result ({type(exc).__name__}: {exc}, "
                            f"in {pathlib.Path(where.filename).name}:{where.lineno})")
    finally:
        sandbox.set_deadline(None)
    return {"name": c.name, "score": score, "max_score": c.points, "output": output,
            "status": "passed" if score == c.points else "failed",
            "visibility": "hidden" if c.hidden else "visible", "tags": list(c.tags),
            "assignment": c.assignment}


def grade(lib_dir, assignments=None, names=None, solutions=SOLUTIONS, hidden=True, seed=0,
          timeout=None, memory_mb=4096, progress=None):
    """Grade ``lib_dir`` (a cs231n_lib folder); returns a Gradescope results.json dict.

    Hidden checks run when ``hidden`` is true and ``solutions`` holds the reference library
    and the hidden checks. ``progress(check, total)`` is called before each check.
    """
    lib_dir = pathlib.Path(lib_dir)
    if not (lib_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"{lib_dir} is not a cs231n_lib folder (it has no __init__.py)")
    hidden_dir = hidden_checks_dir(solutions) if hidden and solutions else None
    reference = Reference(pathlib.Path(solutions) / "cs231n_lib") if hidden_dir else None
    checks = select(load_checks(hidden_dir), assignments, names)
    tests = []
    with Sandbox(lib_dir, memory_mb=memory_mb) as sandbox:
        for c in checks:
            if progress:
                progress(c, len(checks))
            tests.append(run_check(c, sandbox, reference, seed, timeout))
    return {"score": sum(t["score"] for t in tests), "max_score": sum(t["max_score"] for t in tests),
            "tests": tests}
