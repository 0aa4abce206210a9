"""Grade a folder of submissions on every core, resumably: ``python -m autograder grade-all``.

Where submissions come from (``discover``), in one SUBMISSIONS folder, mixed freely:

* nbgrader's layout, ``SUBMISSIONS/<student>/<ASSIGNMENT>/`` (``submitted/`` of a course), or
  ``SUBMISSIONS/<student>/<ASSIGNMENT>.zip``;
* a folder of zips downloaded from an LMS, read directly (no extraction step), each named
  after its student. As with nbgrader's ``zip_collect`` (``FileNameCollector.named_regexp``),
  a regular expression with named groups says how: ``student_id`` (required), and
  optionally ``assignment`` and ``timestamp`` (of several zips for one student and
  assignment, the largest timestamp wins). The default reads ``alice_01_activations.zip``
  and Canvas-style ``smithjane_12345_67890_01_activations.zip`` (the student is what comes
  before the first ``_``, the assignment the last ``NN_topic`` before ``.zip``); without an
  assignment in the name, the one ``NN_topic.ipynb`` at the zip's root says which.

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
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import statistics
import time

from .. import grading, report
from . import crashes, intake, markdown, pool, submission

DEFAULT_PATTERN = r"^(?P<student_id>[^_]+)(?:_(?:.*_)?(?P<assignment>\d\d_[A-Za-z0-9]+)|_.*)?\.zip$"
RESULTS_FILE = "results.json"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}\Z")
HASHED = re.compile(r"-[0-9a-f]{20}\Z")  # the end of a name safe_name made
RESERVED = {"gradebook.csv", "summary.md", "summary.png"}  # what RESULTS itself holds


@dataclasses.dataclass
class Submission:
    student: str  # as the source names it (shown cleaned)
    assignment: str | None
    source: pathlib.Path  # a zip or a folder
    origin: str  # where it was found, relative to SUBMISSIONS
    problem: str | None = None  # known before grading: it will score 0 with this reason
    timestamp: str | None = None
    sha256: str | None = ""  # of the submission as found (``intake.fingerprint``; None: graded every run)


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


# -- finding the submissions --------------------------------------------------------------
def assignment_inside(archive):
    """(assignment, None) from the one NN_topic.ipynb at a zip's root, or (None, why not)."""
    try:
        return submission.read(archive).assignment, None
    except submission.SubmissionError as exc:
        return None, intake.printable(exc, 300)
    except Exception as exc:  # noqa: BLE001 - anything a hostile zip does: say so in its results
        return None, f"the zip cannot be read ({type(exc).__name__})"


def discover(root, pattern=DEFAULT_PATTERN):
    """(submissions, notes): every submission under ``root``, and a line per entry ignored."""
    root = pathlib.Path(root)
    regexp = re.compile(pattern)
    found, notes = [], []
    if (root / "submitted").is_dir() and not (root / "submitted").is_symlink():  # an nbgrader course folder
        notes.append(f"{intake.printable(str(root), 200)} is an nbgrader course: grading its submitted/ folder")
        root = root / "submitted"
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        name, shown = entry.name, intake.printable(entry.name, 100)
        if entry.is_dir(follow_symlinks=False):
            for inner in sorted(os.scandir(entry.path), key=lambda e: e.name):
                stem = inner.name[:-4] if inner.name.endswith(".zip") else inner.name
                origin = f"{name}/{inner.name}"
                if not submission.ASSIGNMENT_ID.match(stem):
                    notes.append(f"ignored {intake.printable(origin, 120)}: not an assignment folder or zip "
                                 "(NN_topic or NN_topic.zip)")
                elif inner.is_symlink():
                    found.append(Submission(name, stem, pathlib.Path(inner.path), origin,
                                            problem=f"{intake.printable(inner.name)} is a symbolic link; refused"))
                elif inner.is_dir(follow_symlinks=False) or inner.name.endswith(".zip"):
                    found.append(Submission(name, stem, pathlib.Path(inner.path), origin))
        elif name.endswith(".zip") and not entry.is_symlink():
            match = regexp.match(name)
            student = match and match.groupdict().get("student_id")
            if not student:
                notes.append(f"ignored {shown}: its name does not match the name pattern ({pattern})")
                continue
            groups = match.groupdict()
            assignment, why = groups.get("assignment"), None
            if not assignment:
                assignment, why = assignment_inside(entry.path)
            sub = Submission(student, assignment, pathlib.Path(entry.path), name, timestamp=groups.get("timestamp"))
            if assignment is None:
                sub.problem = f"cannot tell which assignment this zip is for (no NN_topic in its name): {why}"
            found.append(sub)
        else:
            notes.append(f"ignored {shown}: not a student folder or a .zip"
                         + (" (symbolic links are not followed)" if entry.is_symlink() else ""))
    return _one_per_student(found, notes), notes


def _when(sub):
    """The order of a timestamp: as a number when it is one (9 before 10), else as text (ISO dates)."""
    t = sub.timestamp
    return (0, int(t), "") if t.isascii() and t.isdigit() else (1, 0, t)


def _one_per_student(found, notes):
    """One submission per (student, assignment): the latest by timestamp, else a problem row
    (no timestamp, or two alike: which one counts is not for the grader to guess)."""
    groups = {}
    for sub in found:
        groups.setdefault((sub.student, sub.assignment), []).append(sub)
    kept = []
    for subs in groups.values():
        if len(subs) == 1:
            kept.append(subs[0])
        elif all(s.timestamp for s in subs) and len({_when(s) for s in subs}) == len(subs):
            subs.sort(key=_when)
            kept.append(subs[-1])
            notes.extend(f"superseded {intake.printable(s.origin, 120)} by {intake.printable(subs[-1].origin, 120)} "
                         "(later timestamp)" for s in subs[:-1])
        else:
            first = subs[0]
            first.problem = (f"{len(subs)} submissions found ({', '.join(intake.printable(s.origin, 80) for s in subs)}); "
                             "keep one and grade again")
            kept.append(first)
    return kept


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
    if notes:
        summary["output"] = (summary.get("output", "") + "\nAbout your submission:\n"
                             + "\n".join(f"- {n}" for n in notes[:20])).strip()
    provisional = bool(options.get("crowded") and results.get("timeouts"))
    if provisional:
        summary["output"] = (summary.get("output", "") + "\nA check ran out of time while other submissions were "
                             "graded beside this one: it is graded again alone.").strip()
    summary["execution_time"] = round(time.monotonic() - started, 3)
    summary.setdefault("extra_data", {}).update(provisional=provisional,
        student=intake.printable(sub.student), assignment=sub.assignment or "unknown",
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


def run(submissions, out, jobs=None, solutions=grading.SOLUTIONS, seed=None, isolate=True,
        budget=grading.BUDGET_SECONDS, pattern=DEFAULT_PATTERN, only=None, force=False, progress=True,
        log=print, pool_memory_mb=None, timeout=None):
    """Grade what is new or changed under ``submissions`` into ``out``; returns a summary dict.

    ``pool_memory_mb`` bounds each grading process's memory (where a control group can be made).
    """
    out = pathlib.Path(out)
    subs, notes = discover(submissions, pattern)
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
    log(f"{len(subs)} submissions found: {len(done)} already graded and unchanged, {len(todo)} to grade"
        + (f" with {min(jobs, len(todo))} processes" if todo else ""))
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
    rows = rebuild(out, solutions)
    summary = summarize(out, rows)
    return {"found": len(subs), "graded": len(todo) - len(errors), "skipped": len(done), "errors": errors,
            "seconds": seconds, "rows": rows, "notes": notes, "summary": summary}


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


def rebuild(out, solutions=None):
    """gradebook.csv from every results.json under ``out``: one row per student and assignment."""
    out = pathlib.Path(out)
    rows = []
    for path in sorted(out.glob(f"*/*/{RESULTS_FILE}")):
        for stale in path.parent.glob(f".{RESULTS_FILE}.*"):  # a write cut short by a kill
            stale.unlink(missing_ok=True)
        data = read_results(path)
        if data is None:
            continue
        extra = data["extra_data"]
        rows.append({"student": extra.get("student", path.parent.parent.name),
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
    fixed = ["student", "assignment", "total", "max_score", "seed", "problem"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fixed + checks + ["source", "submission_sha256"])
    for row in rows:
        writer.writerow([_cell(row[k]) for k in fixed] + [row["tests"][c]["score"] if c in row["tests"] else ""
                                                          for c in checks]
                        + [_cell(row["source"]), row["submission_sha256"]])
    from ..files import write_atomically

    write_atomically(out / "gradebook.csv", buffer.getvalue())
    return rows


def failing_checks(rows):
    """{assignment: [(check, failed, graded, most common reason)]}, most failed first."""
    by = {}
    for row in rows:
        if row["problem"]:
            continue
        for name, t in row["tests"].items():
            entry = by.setdefault(row["assignment"], {}).setdefault(name, [0, 0, {}])
            entry[1] += 1
            if t.get("score", 0) < t.get("max_score", 0):
                entry[0] += 1
                reason = str(t.get("output", "")).splitlines()[0][:120] if t.get("output") else ""
                entry[2][reason] = entry[2].get(reason, 0) + 1
    return {a: sorted(((n, f, g, max(r, key=r.get) if r else "") for n, (f, g, r) in checks.items() if f),
                      key=lambda x: (-x[1], x[0]))
            for a, checks in sorted(by.items())}


def summarize(out, rows, top=5):
    """summary.md (score statistics, the checks most students fail, what could not be graded)
    and summary.png (the score distribution of each assignment)."""
    out = pathlib.Path(out)
    by = {}
    for row in rows:
        by.setdefault(row["assignment"], []).append(row)
    lines = [f"# Grading summary: {len(rows)} submissions, {len({r['student'] for r in rows})} students", ""]
    failing = failing_checks(rows)
    for assignment, group in sorted(by.items()):
        most = max((r["max_score"] for r in group), default=0) or 1
        scores = [100 * r["total"] / most for r in group]
        broken = [r for r in group if r["problem"]]
        lines.append(f"## {markdown.text(assignment)}: {len(group)} submissions, {len(broken)} not graded")
        lines.append(f"score (% of {most:g}): mean {statistics.mean(scores):.1f}, median {statistics.median(scores):.1f}, "
                     f"min {min(scores):.1f}, max {max(scores):.1f}; full marks: {sum(s >= 100 for s in scores)}")
        if failing.get(assignment):
            lines += ["", "Checks most students fail:", "", "| check | failed | of | most common reason |",
                      "|---|---|---|---|"]
            for name, failed, graded, reason in failing[assignment][:top]:
                lines.append(f"| {name} | {failed} | {graded} | {markdown.text(reason)} |")
        if broken:
            lines += ["", "Not graded (score 0):", ""]
            lines += [f"- {markdown.text(r['student'])}: {markdown.text(r['problem'])}" for r in broken]
        lines.append("")
    from ..files import write_atomically

    write_atomically(out / "summary.md", "\n".join(lines))
    _plot(out / "summary.png", by)
    return "\n".join(lines)


def _plot(path, by):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n = max(len(by), 1)
    fig = Figure(figsize=(4.5 * min(n, 3), 3.2 * ((n + 2) // 3)), layout="constrained")
    FigureCanvasAgg(fig)
    for i, (assignment, group) in enumerate(sorted(by.items())):
        ax = fig.add_subplot((n + 2) // 3, min(n, 3), i + 1)
        most = max((r["max_score"] for r in group), default=0) or 1
        ax.hist([100 * r["total"] / most for r in group], bins=[i * 10 for i in range(11)], color="tab:blue",
                edgecolor="white")
        ax.set(title=f"{assignment} ({len(group)} submissions)", xlabel="score (%)", ylabel="students", xlim=(0, 100))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not by:
        fig.text(0.5, 0.5, "no results yet", ha="center")
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", dpi=100)
    os.chmod(tmp, 0o600)  # like every file of RESULTS: the grader's alone (student code may run as another user)
    os.replace(tmp, path)
