"""Grade a folder of submissions on every core, resumably: ``python -m autograder grade-all``.

Where submissions come from (``discover``), in one SUBMISSIONS folder, mixed freely:

* nbgrader's layout, ``SUBMISSIONS/<student>/<ASSIGNMENT>/`` (``submitted/`` of a course), or
  ``SUBMISSIONS/<student>/<ASSIGNMENT>.zip``;
* a folder of zips downloaded from an LMS, read directly (no extraction step), each named
  after its student: ``intake.discover`` says how (Canvas's names are keyed by its numeric
  user id; of several zips for one student the latest counts, by the LMS's own rule).

Each submission is staged by ``intake`` (a private, bounded copy of its notebook and its
library's ``.py`` files) and graded by ``grading.grade`` in its own sandbox, in a pool of
``--jobs`` processes. The result goes to ``RESULTS/<student>/<assignment>/results.json``
(Gradescope's format; written atomically, by the process that graded it) with the sha256
of the submission and of the grader's checks. A later run skips every submission whose
result holds the same two hashes, so a run that was killed resumes where it stopped and
a resubmission (or a fixed check) is regraded. ``gradebook.csv`` and the summary are
rebuilt from the results files every time, so they cannot hold a row twice.

One submission never costs another (``pool.py``): a pool process that dies while grading
(killed by the kernel for memory, say; ``--pool-memory-mb`` gives each process a limit of
its own) costs only the submission it held. That one is recorded in ``RESULTS/.crashes``
and graded again at the end, alone; if it kills its process again, its result says that
the grader could not finish it, and why, and stays (a rerun does not fall into the same
death; ``crashes.py``). A result with a timeout, graded while other submissions ran beside it, is marked
provisional and graded again alone at the end (and by a rerun, if this one is cut short).
"""

import csv
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import time

from .. import grading, report
from . import crashes, intake, pool, summary_html
from .summary import summarize
from .intake import DEFAULT_PATTERN, Submission, assignment_inside, discover  # noqa: F401  (see intake)

RESULTS_FILE = "results.json"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}\Z")
HASHED = re.compile(r"-[0-9a-f]{20}\Z")  # the end of a name safe_name made
RESERVED = {"gradebook.csv", "summary.md", "summary.png", "summary.html",  # what RESULTS itself holds
            "similarity.csv", "similarity.html"}


def safe_name(text):
    """A folder name for a student or an assignment: the name itself when it is plain, else a
    readable, collision-free form (path tricks such as ``..``, ``/``, control characters and
    non-UTF-8 bytes cannot reach the file system). A plain name that looks like a made one
    (``name-`` and 20 hex digits) or like a file of RESULTS (``gradebook.csv``) is made too, so
    no student can choose a name that lands in another's folder or replaces the gradebook;
    80 bits of sha256 make finding another name with the same folder impractical."""
    if SAFE_NAME.match(text) and not HASHED.search(text) and text.lower() not in RESERVED:
        return text
    raw = text.encode("utf-8", "surrogateescape")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:40] or "student"
    return f"{slug}-{hashlib.sha256(raw).hexdigest()[:20]}"


def results_path(out, student, assignment):
    return pathlib.Path(out) / safe_name(student) / safe_name(assignment or "unknown") / RESULTS_FILE


# -- grading one ------------------------------------------------------------------------------
def grader_fingerprint(solutions):
    """sha256 of what decides a grade besides the submission: the grader's own code (the checks,
    but also the sandbox, the comparisons and the submission rules: a fix to any of them, say
    of a hole a student used, must reach every result on the next run) and the reference."""
    digest = hashlib.sha256()
    folders = {"autograder": pathlib.Path(grading.__file__).parent}
    if solutions:
        folders.update(hidden_checks=pathlib.Path(solutions) / "hidden_checks",
                       cs231n_lib=pathlib.Path(solutions) / "cs231n_lib")
    for label, folder in folders.items():
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            name, data = f"{label}/{path.relative_to(folder).as_posix()}".encode(), path.read_bytes()
            digest.update(b"%d %d\0" % (len(name), len(data)) + name + data)
    return digest.hexdigest()


def assignment_checks(assignment, solutions):
    from ..registry import load_checks

    hidden = grading.hidden_checks_dir(solutions) if solutions else None
    return grading.select(load_checks(hidden), [assignment]) if assignment else []


def refused_results(sub, reason, solutions):
    """Results for a submission that could not be graded: every check 0, each saying why."""
    tests = [{"name": c.name, "score": 0, "max_score": c.points, "status": "failed",
              "output": f"not graded: {reason}", "visibility": "hidden" if c.hidden else "visible",
              "tags": list(c.tags), "assignment": c.assignment} for c in assignment_checks(sub.assignment, solutions)]
    return {"score": 0, "max_score": sum(t["max_score"] for t in tests), "tests": tests}


def _worker_init():
    """In each pool process: die with the parent (a killed run leaves no grader behind) and
    keep the grader's own numpy to one thread (the pool already uses the cores)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def grade_one(sub, out, options):
    """Stage, check and grade one submission; write its results.json atomically.

    Returns (origin, score, max_score, problem, None, provisional), or (origin, .., error, ..)
    when the grader itself failed (nothing is written then, so the next run retries it).
    ``provisional``: a check timed out while ``options["crowded"]`` (other submissions were
    graded beside it), so the result is marked to be graded again alone.
    """
    from ..files import write_atomically
    from ..sandbox import SandboxError

    solutions, fingerprint = options["solutions"], options["grader_sha256"]
    started = time.monotonic()
    problem, results, notes = sub.problem, None, []
    folder = None
    try:
        if problem is None:
            folder = intake.private_folder() / "submission"
            try:
                _, notes = intake.stage(sub.source, folder, sub.assignment)
            except intake.Refused as exc:
                problem = str(exc)
        if problem is None:
            seed = options["seed"] if options["seed"] is not None else grading.new_seed()
            results = grading.grade(folder / intake.LIBRARY, [sub.assignment], solutions=solutions,
                                    hidden=solutions is not None, seed=seed, isolate=options["isolate"],
                                    budget=options["budget"], timeout=options.get("timeout"))
            if not results["tests"]:
                problem = f"no checks are defined for assignment {intake.printable(sub.assignment)}"
        if problem is not None:
            results = refused_results(sub, problem, solutions)
    except SandboxError as exc:
        return sub.origin, None, None, None, f"the sandbox failed: {exc}", False
    except Exception as exc:  # a bug of the grader: say so, grade the others
        return sub.origin, None, None, None, f"internal error: {type(exc).__name__}: {exc}", False
    finally:
        if folder is not None:
            shutil.rmtree(folder.parent, ignore_errors=True)
    summary = report.gradescope(results)  # with each test's execution_time
    if problem:
        summary["output"] = f"Not graded: {problem}"
    notes = ([sub.chosen] if sub.chosen else []) + notes
    if notes:
        summary["output"] = (summary.get("output", "") + "\nAbout your submission:\n"
                             + "\n".join(f"- {n}" for n in notes[:20])).strip()
    provisional = bool(options.get("crowded") and results.get("timeouts"))
    if provisional:
        summary["output"] = (summary.get("output", "") + "\nA check ran out of time while other submissions were "
                             "graded beside this one: it is graded again alone.").strip()
    summary["execution_time"] = round(time.monotonic() - started, 3)
    summary.setdefault("extra_data", {}).update(provisional=provisional,
        student=intake.printable(sub.student), name=intake.printable(sub.name), assignment=sub.assignment or "unknown",
        source=intake.printable(sub.origin), submission_sha256=sub.sha256, grader_sha256=fingerprint, problem=problem,
        graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    path = results_path(out, sub.student, sub.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(summary, indent=1))
    return sub.origin, results["score"], results["max_score"], problem, None, provisional


def _grade_task(task):
    return grade_one(*task)


# -- the run ----------------------------------------------------------------------------------
def cores():
    """The cores this process may use (its CPU affinity), which may be fewer than the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def read_results(path):
    try:
        data = json.loads(pathlib.Path(path).read_text())
        return data if isinstance(data, dict) and isinstance(data.get("extra_data"), dict) else None
    except (OSError, ValueError):
        return None


def plan(subs, out, fingerprint, force=False):
    """(to grade, up to date): what is new or changed since the last run (sets each ``sha256``)."""
    todo, done = [], []
    for sub in subs:
        try:
            sub.sha256 = intake.fingerprint(sub.source)
        except OSError:
            sub.sha256 = None
        old = None if force else read_results(results_path(out, sub.student, sub.assignment))
        extra = old["extra_data"] if old else {}
        if (sub.sha256 and extra.get("submission_sha256") == sub.sha256 and extra.get("grader_sha256") == fingerprint
                and not extra.get("provisional")):
            done.append(sub)
        else:
            todo.append(sub)
    return todo, done


def the_one_assignment(only, solutions):
    """The assignment id that ``--assignment`` names when it names exactly one, else None."""
    if not only or len(only) != 1:
        return None
    from ..registry import load_checks

    ids = {c.assignment for c in load_checks(grading.hidden_checks_dir(solutions) if solutions else None).values()}
    matches = [i for i in sorted(ids) if only[0] in (i, i.split("_")[0])]
    return matches[0] if len(matches) == 1 else None


def run(submissions, out, jobs=None, solutions=grading.SOLUTIONS, seed=None, isolate=True,
        budget=grading.BUDGET_SECONDS, pattern=None, only=None, force=False, progress=True,
        log=print, pool_memory_mb=None, timeout=None, similar=False, against=None, course=None, times=None,
        threshold=None):
    """Grade what is new or changed under ``submissions`` into ``out``; returns a summary dict.

    ``pool_memory_mb`` bounds each grading process's memory (where a control group can be made).
    ``similar``: also write similarity.csv and .html (``similarity.py``), comparing with ``against`` too.
    ``course`` (a ``latedays.Course``) and ``times`` ({(student, assignment): text}): late-day columns.
    """
    out = pathlib.Path(out)
    subs, notes = discover(submissions, pattern, assignment=the_one_assignment(only, solutions))
    if only:
        subs = [s for s in subs if s.assignment is None  # it may be one of them: its student hears why not
                or any(s.assignment == a or s.assignment.split("_")[0] == a for a in only)]
    for note in notes:
        log(f"note: {note}")
    out.mkdir(parents=True, exist_ok=True)
    intake.sweep()
    fingerprint = grader_fingerprint(solutions)
    todo, done = plan(subs, out, fingerprint, force)
    if pool_memory_mb and todo and not pool.can_limit(pool_memory_mb):
        log(f"note: no control group can be made here, so the grading processes run without the "
            f"{pool_memory_mb} MB limit of their own")
    jobs = max(1, jobs or cores())
    workers = min(jobs, len(todo))
    log(f"{len(subs)} submissions found: {len(done)} already graded and unchanged, {len(todo)} to grade"
        + (f" with {workers} process{'es' if workers != 1 else ''}" if todo else ""))
    options = {"solutions": solutions, "grader_sha256": fingerprint, "seed": seed, "isolate": isolate,
               "budget": budget, "timeout": timeout}
    errors = []
    started = time.monotonic()
    if todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="submission", disable=not progress, smoothing=0.1, mininterval=0.5)
        # What killed its process before is graded alone, after the others; so is what timed out in a crowd.
        alone = [sub for sub in todo if crashes.count(out, sub, fingerprint)]
        together = [sub for sub in todo if sub not in alone]
        crowded = min(jobs, len(together)) > 1
        for sub, outcome in _graded(together, out, dict(options, crowded=crowded), jobs, pool_memory_mb):
            if outcome.death:
                crashes.record(out, sub, fingerprint, outcome.death)
                bar.write(f"{intake.printable(sub.origin, 120)}: {outcome.death}; it is graded again alone at the end")
                alone.append(sub)
                continue
            if outcome.value[5]:
                bar.write(f"{intake.printable(sub.origin, 120)}: a check ran out of time while other submissions "
                          "were graded beside it; it is graded again alone at the end")
                alone.append(sub)
                continue
            _tally(bar, outcome.value, errors)
        for sub, outcome in _graded(alone, out, dict(options, crowded=False), 1, pool_memory_mb):
            if outcome.death:
                if crashes.record(out, sub, fingerprint, outcome.death) >= 2:
                    problem = crashes.unfinished(sub, out, options, outcome.death)
                    bar.write(f"{intake.printable(sub.origin, 120)}: not graded: {problem}")
                else:  # its first death (an earlier one was under another grader or submission): once more
                    alone.append(sub)
                    continue
                bar.update(1)
                continue
            crashes.path(out, sub).unlink(missing_ok=True)
            _tally(bar, outcome.value, errors)
        bar.close()
    seconds = time.monotonic() - started
    late = None
    if course is not None:
        from . import latedays

        late = (course, {(intake.printable(s.student), s.assignment): latedays.submitted_at(s, course, times)
                         for s in subs})
    rows = rebuild(out, solutions, late)
    summary = summarize(out, rows)
    summary_html.write(out, rows)
    compared = None
    if similar:
        from . import similarity

        began = time.monotonic()
        pairs = similarity.report(subs, out, against, solutions=solutions or grading.SOLUTIONS,
                                  threshold=similarity.THRESHOLD if threshold is None else threshold)
        compared = {"pairs": len(pairs), "seconds": time.monotonic() - began}
    return {"found": len(subs), "graded": len(todo) - len(errors), "skipped": len(done), "errors": errors,
            "similarity": compared, "seconds": seconds, "rows": rows, "notes": notes, "summary": summary}


def _graded(subs, out, options, jobs, memory_mb):
    """(submission, pool.Outcome) for each of ``subs`` (a list that may grow while it runs)."""
    for outcome in pool.run(_grade_task, ((sub, out, options) for sub in _growing(subs)), jobs,
                            initializer=_worker_init, memory_mb=memory_mb):
        yield outcome.task[0], outcome


def _growing(items):
    i = 0
    while i < len(items):
        yield items[i]
        i += 1


def _tally(bar, value, errors):
    origin, score, most, problem, error, _ = value
    if error:
        errors.append(f"{intake.printable(origin, 120)}: {error}")
        bar.write(f"grader error, not graded: {errors[-1]}")
    elif problem:
        bar.write(f"{intake.printable(origin, 120)}: not graded: {problem}")
    bar.set_postfix_str(intake.printable(origin, 40), refresh=False)
    bar.update(1)


# -- the gradebook and the summary -------------------------------------------------------------
def _cell(value):
    """A CSV cell that a spreadsheet will not run as a formula (names come from students)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rebuild(out, solutions=None, late=None):
    """gradebook.csv from every results.json under ``out``: one row per student and assignment.
    ``late``: (latedays.Course, {(student, assignment): when submitted}) adds latedays.COLUMNS."""
    out = pathlib.Path(out)
    rows = []
    for path in sorted(out.glob(f"*/*/{RESULTS_FILE}")):
        for stale in path.parent.glob(f".{RESULTS_FILE}.*"):  # a write cut short by a kill
            stale.unlink(missing_ok=True)
        data = read_results(path)
        if data is None:
            continue
        extra = data["extra_data"]
        rows.append({"student": extra.get("student", path.parent.parent.name), "name": extra.get("name", ""),
                     "assignment": extra.get("assignment", path.parent.name), "total": data.get("score", 0),
                     "max_score": data.get("max_score", 0), "seed": extra.get("seed", ""),
                     "problem": extra.get("problem") or "", "source": extra.get("source", ""),
                     "submission_sha256": extra.get("submission_sha256", ""),
                     "tests": {t["name"]: t for t in report.graded_tests(data) if "name" in t}})
    rows.sort(key=lambda r: (r["assignment"], r["student"]))
    order = {}
    for row in rows:
        for name in row["tests"]:
            order.setdefault(name, len(order))
    if solutions:  # the registry's order (assignment by assignment) where it is known
        from ..registry import load_checks

        known = list(load_checks(grading.hidden_checks_dir(solutions)))
        order = {n: (known.index(n) if n in known else len(known) + i) for n, i in order.items()}
    checks = sorted(order, key=order.get)
    fixed = ["student", "name", "assignment", "total", "max_score", "seed", "problem"]
    if late:
        from . import latedays

        policy = latedays.apply(late[0], rows, late[1])
        for row in rows:
            row.update({c: "" for c in latedays.COLUMNS}, **policy.get((row["student"], row["assignment"]), {}))
        fixed += latedays.COLUMNS
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fixed + checks + ["source", "submission_sha256"])
    for row in rows:
        writer.writerow([_cell(row[k]) for k in fixed] + [row["tests"][c]["score"] if c in row["tests"] else ""
                                                          for c in checks]
                        + [_cell(row["source"]), row["submission_sha256"]])
    from ..files import write_atomically

    try:  # a gradebook that changes is kept, for summary.html's "what changed" (summary_html.py)
        before = (out / "gradebook.csv").read_bytes()
    except OSError:
        before = None
    if before is not None and before != buffer.getvalue().encode():
        (out / ".previous").mkdir(exist_ok=True)
        write_atomically(out / ".previous" / "gradebook.csv", before)
    write_atomically(out / "gradebook.csv", buffer.getvalue())
    return rows
