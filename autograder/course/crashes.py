"""What killed its grading process: the ledger that keeps one submission's death from
costing a rerun, and the result of a submission the grader cannot finish.

``RESULTS/.crashes/<key>.json`` counts the deaths of a submission's grading process, for
the submission and the grader as they are (their sha256): ``batch.run`` grades a submission
with a death alone, after the others, and after a second death writes ``unfinished``: a
result that says the grader could not finish it and why, which a rerun keeps.
"""

import hashlib
import json
import pathlib
import time

from .. import report
from . import intake

FOLDER = ".crashes"


def _batch():
    from . import batch

    return batch


def path(out, sub):
    """The ledger entry of a submission (one per student and assignment)."""
    key = hashlib.sha256(f"{sub.student}\0{sub.assignment}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return pathlib.Path(out) / FOLDER / f"{key}.json"


def count(out, sub, fingerprint):
    """How often this submission (as it is now, under this grader) killed its pool process."""
    data = _batch().read_results(path(out, sub)) or {}
    extra = data.get("extra_data", {})
    same = extra.get("submission_sha256") == sub.sha256 and extra.get("grader_sha256") == fingerprint
    return extra.get("deaths", 0) if same else 0


def record(out, sub, fingerprint, how):
    """Count one more death of this submission's grading process; returns how many so far."""
    from ..files import write_atomically

    where = path(out, sub)
    where.parent.mkdir(parents=True, exist_ok=True)
    deaths = count(out, sub, fingerprint) + 1
    write_atomically(where, json.dumps({"extra_data": {"submission_sha256": sub.sha256, "grader_sha256": fingerprint,
                                                       "deaths": deaths, "how": how,
                                                       "origin": intake.printable(sub.origin)}}))
    return deaths


def unfinished(sub, out, options, how):
    """The final result of a submission whose grading process died twice, the second time alone."""
    from ..files import write_atomically

    problem = (f"the grader could not finish grading this submission: {how}, twice, the second time with no "
               "other submission beside it; an instructor must look at it")
    summary = report.gradescope(_batch().refused_results(sub, problem, options["solutions"]))
    summary["output"] = f"Not graded: {problem}"
    summary.setdefault("extra_data", {}).update(
        student=intake.printable(sub.student), assignment=sub.assignment or "unknown",
        source=intake.printable(sub.origin), submission_sha256=sub.sha256, grader_sha256=options["grader_sha256"],
        problem=problem, provisional=False, graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    where = _batch().results_path(out, sub.student, sub.assignment)
    where.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(where, json.dumps(summary, indent=1))
    return problem
