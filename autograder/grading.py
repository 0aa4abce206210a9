"""Grade a library folder: run checks in a sandbox, collect Gradescope-style results.

The trusted parts (the checks, the hidden checks and the reference library) are imported
before any student code runs; student code runs only in the sandbox, and every verdict is
reached here, from plain values. Each assignment gets a fresh sandbox, its visible checks
first; each test says what a student may read (``output``) and, for a hidden check, keeps
its full message apart (``instructor_output``, see ``report``).
"""

import os
import pathlib
import secrets
import time
import traceback

from . import report
from .registry import CheckFailed, Reference, load_checks
from .sandbox import Sandbox, SandboxError, StudentError, isolation
from .sandbox.process import clean

BUDGET_SECONDS = 120  # for a whole submission; each check also has its own time limit

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


def by_assignment(checks):
    """``checks`` in groups of one assignment each, in order, each with its visible checks
    first: what the hidden ones feed student code may then reach only hidden messages."""
    groups = {}
    for c in checks:
        groups.setdefault(c.assignment, []).append(c)
    return [sorted(group, key=lambda c: c.hidden) for group in groups.values()]


def trusted_reference(solutions):
    """The reference library with every module imported now, before any student code runs."""
    folder = pathlib.Path(solutions) / "cs231n_lib"
    reference = Reference(folder)
    for path in sorted(folder.glob("*.py")):
        if path.stem != "__init__":
            getattr(reference, path.stem)
    return reference


def run_check(c, sandbox, reference=None, seed=0, timeout=None, budget_end=None, verdicts=None):
    """One Gradescope test entry for check ``c``; never raises for a student's mistake.

    Its ``output`` is the student text and ``instructor_output`` the full message where
    they differ (``report.student_text``).

    ``budget_end`` (a ``time.monotonic()`` value) is when the submission's time runs out.
    When ``c`` fails and a check it ``requires`` fails too, its output says to fix that one
    first (its score is its own either way). ``verdicts`` ({name: entry}) holds the entries of
    checks run so far on this library; a required check not among them is run now.
    """
    entry = _run_one(c, sandbox, reference, seed, timeout, budget_end)
    if verdicts is not None:
        verdicts[c.name] = entry
    if entry["score"] < entry["max_score"] and c.requires:
        failing = earlier_failures(c, sandbox, seed, timeout, budget_end, verdicts)
        if failing:
            notebooks = ", ".join(dict.fromkeys(f["assignment"] for f in failing))
            names = [f["name"] for f in failing]
            named = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            reason = failing[0]["output"].split("\n")[0]
            reason = reason if reason.startswith(names[0]) else f"{names[0]}: {reason}"
            many = len(names) > 1
            first = (f"this check builds on your {named} (notebook {notebooks}), which "
                     f"{'fail their own checks' if many else 'fails its own check'}: "
                     f"fix {'those' if many else 'that'} first. {reason}")
            if c.hidden:  # the hint names visible checks only; the redacted reason stays after it
                entry["instructor_output"] = clean(f"{first}\n{entry.get('instructor_output', entry['output'])}")
                entry["output"] = clean(f"{first}\n{entry['output']}")
            else:
                entry["output"] = clean(first)
    return entry


def earlier_failures(c, sandbox, seed, timeout, budget_end, verdicts):
    """The entries of the checks ``c`` requires that fail, run now unless ``verdicts`` has them."""
    from .registry import REGISTRY

    verdicts = {} if verdicts is None else verdicts
    failing = []
    for name in c.requires:
        required = REGISTRY.get(name)
        if required is None or required.hidden:
            raise ValueError(f"check {c.name} requires {name!r}, which is not a visible check")
        if name not in verdicts:
            run_check(required, sandbox, None, seed, timeout, budget_end, verdicts)
        if verdicts[name]["score"] < verdicts[name]["max_score"]:
            failing.append(verdicts[name])
    return failing


def _run_one(c, sandbox, reference=None, seed=0, timeout=None, budget_end=None):
    started = time.monotonic()
    seconds = timeout or c.timeout
    if budget_end is not None:
        seconds = min(seconds, budget_end - time.monotonic())
    try:
        if seconds <= 0:
            raise StudentError("timeout", "not run: the submission used up its grading time "
                               "(every check so far took long; look for slow loops)")
        sandbox.set_deadline(seconds)
        c.run(sandbox, reference, seed)
        score, output = c.points, "passed"
    except CheckFailed as exc:
        score, output = 0, str(exc)
    except StudentError as exc:
        score, output = 0, exc.message
    except SandboxError:  # the grader's own failure: no score can be trusted
        raise
    except Exception as exc:  # a result of an unexpected kind that a comparison choked on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        score, output = 0, (f"the grader could not check the result ({type(exc).__name__}: {exc}, "
                            f"in {pathlib.Path(where.filename).name}:{where.lineno})")
    finally:
        sandbox.set_deadline(None)
    warned = sandbox.take_warnings()
    if warned:  # correct code may warn (e.g. overflow in exp for large |x|): a note, not a penalty
        output += "\nnote: your code raised " + "; ".join(warned)
    output = clean(output)
    said = report.student_text(c.hidden, score == c.points, c.tags, output)
    entry = {"name": c.name, "score": score, "max_score": c.points, "output": said,
             "status": "passed" if score == c.points else "failed",
             "visibility": "hidden" if c.hidden else "visible", "tags": list(c.tags),
             "assignment": c.assignment, "seconds": round(time.monotonic() - started, 3)}
    if said != output:  # only for instructors: a hidden check's message may quote its inputs
        entry["instructor_output"] = output
    return entry


SEED_VARIABLE = "CS231N_GRADING_SEED"


def new_seed():
    """A fresh seed for the checks' random inputs (student code never sees it), or the one
    that ``CS231N_GRADING_SEED`` fixes: for repeating a run where no ``--seed`` can be given
    (nbgrader's kernels, Gradescope's run_autograder), and for the tests, whose verdicts
    must never depend on a fresh draw."""
    fixed = os.environ.get(SEED_VARIABLE, "").strip()
    if fixed:
        try:
            return int(fixed)
        except ValueError:
            raise ValueError(f"{SEED_VARIABLE}={fixed!r} is not a whole number") from None
    return secrets.randbits(31)


def grade(lib_dir, assignments=None, names=None, solutions=SOLUTIONS, hidden=True, seed=None,
          timeout=None, memory_mb=4096, progress=None, isolate=True, budget=BUDGET_SECONDS):
    """Grade ``lib_dir`` (a cs231n_lib folder); returns a Gradescope results.json dict.

    Hidden checks run when ``hidden`` is true and ``solutions`` holds the reference library
    and the hidden checks; their inputs come from ``seed`` (a fresh one when None, recorded
    in the results). ``isolate=False`` runs student code without the OS sandbox (the
    results say so). ``budget`` bounds the seconds for the whole submission.
    ``progress(check, total)`` is called before each check.
    """
    lib_dir = pathlib.Path(lib_dir)
    if not (lib_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"{lib_dir} is not a cs231n_lib folder (it has no __init__.py)")
    seed = new_seed() if seed is None else seed
    hidden_dir = hidden_checks_dir(solutions) if hidden and solutions else None
    reference = trusted_reference(solutions) if hidden_dir else None
    checks = select(load_checks(hidden_dir), assignments, names)
    tests, limits, verdicts, timeouts = [], "no worker was started", {}, 0
    budget_end = time.monotonic() + budget if budget else None
    for group in by_assignment(checks):
        # A fresh worker (and scratch folder) per assignment: nothing student code kept from
        # one assignment's hidden checks can reach the next one's visible messages.
        with Sandbox(lib_dir, memory_mb=memory_mb, isolate=isolate) as sandbox:
            for c in group:
                if progress:
                    progress(c, len(checks))
                tests.append(dict(run_check(c, sandbox, reference, seed, timeout, budget_end, verdicts)))
            if getattr(sandbox, "limits", None):
                limits = sandbox.limits.describe()
            timeouts += sandbox.timeouts
    if isolate:
        how = isolation()[1]
    else:
        from .sandbox.privileges import running_as_root

        how = "NOT ISOLATED: student code ran without the OS sandbox" + (
            ", as an unprivileged user of its own in a separate process" if running_as_root() else "")
    how += f"; limits: {limits}"
    return {"score": sum(t["score"] for t in tests), "max_score": sum(t["max_score"] for t in tests),
            "tests": tests, "seed": seed, "isolation": how, "timeouts": timeouts}
