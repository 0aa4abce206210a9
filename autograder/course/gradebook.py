"""Write the trusted grader's scores into nbgrader's gradebook.

``nbgrader autograde`` runs each student's notebook in a (sandboxed) kernel where the
student's own cells run too, so a notebook can redefine ``check`` and pass every test cell;
and hidden checks never run there (the kernel cannot see them), so their cells score 0.
After autograde, ``python -m autograder sync-gradebook ASSIGNMENT`` grades each submitted
library with ``autograder grade`` (separate process, comparisons here) and puts those
scores on the matching graded cells, so nbgrader's gradebook, formgrader and feedback
show the score that counts. Every visible check's cell whose score changes is reported
(a notebook that fooled nbgrader); hidden checks' cells get their scores silently. It also writes
the trusted verdict (the points, and for a failure the reason) as the output of each
graded cell of the autograded notebook, which ``nbgrader generate_feedback`` shows the
student (see ``feedback``).

The library graded is the one that was collected, not whatever sits in ``submitted/`` when
sync runs: ``nbgrader autograde`` calls ``snapshot_hook`` (``nbconfig.py`` sets it as the
pre-convert hook) before it runs a submission's notebook, which copies the submission's
``cs231n_lib`` (with the sandbox's limits on its copy) to
``collected/<student>/<assignment>/cs231n_lib`` with its SHA-256 and the submission's
timestamp. A later autograde of the same submission (same ``timestamp.txt``) keeps that copy;
a new collect makes a new one. Sync grades the copy; when the submitted library no longer
has the copy's hash, it says so in its log and in ``collected/.../results.json``, which holds
the results it wrote into the gradebook.

Written answers are graded by hand: in nbgrader's formgrader, or headless with
``python -m autograder grade-written ASSIGNMENT STUDENT CELL SCORE`` (``grade_written``), which
sets the cell's ``manual_score`` as the formgrader does. Sync writes only ``auto_score`` of
check cells, so every manual score stays.
"""

import hashlib
import json
import pathlib
import shutil

from . import feedback
from .. import grading
from ..files import write_atomically

COLLECTED = "collected"  # beside nbgrader's submitted/ and autograded/
RECORD = "library.json"


def library_digest(copy):
    """SHA-256 of a library's copy made by ``copy_library`` (regular .py files only), by relative path."""
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(copy).rglob("*.py")):
        digest.update(str(path.relative_to(copy)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def copy_and_digest(lib, target):
    """Copy ``lib`` (student-made: with the sandbox's limits) to ``target``; (sha256, None), or
    (None, why not) when there is no library or it cannot be copied."""
    from ..sandbox.process import StudentError, copy_library

    lib = pathlib.Path(lib)
    if lib.is_symlink() or not (lib / "__init__.py").is_file():
        return None, None
    try:
        copy_library(lib, target)
        return library_digest(target), None
    except (StudentError, OSError, RecursionError, ValueError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        return None, getattr(exc, "message", str(exc))


def current_digest(lib):
    """What ``copy_and_digest`` says of ``lib`` as it is now (the copy is thrown away)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cs231n-digest-") as tmp:
        return copy_and_digest(lib, pathlib.Path(tmp) / "cs231n_lib")


def _timestamp(folder):
    path = pathlib.Path(folder) / "timestamp.txt"
    return path.read_text().strip() if path.is_file() else None


def collected_folder(submission):
    """collected/<student>/<assignment> of ``submission`` (submitted/<student>/<assignment>)."""
    submission = pathlib.Path(submission)
    return submission.parents[2] / COLLECTED / submission.parent.name / submission.name


def snapshot(submission):
    """Copy ``submission``'s cs231n_lib to its collected folder, unless the copy there is of
    this same submission (same timestamp). Returns the record {sha256, timestamp}."""
    target = collected_folder(submission)
    record_path = target / RECORD
    if record_path.is_file():
        record = json.loads(record_path.read_text())
        if record.get("timestamp") == _timestamp(submission):
            return record
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    sha256, refused = copy_and_digest(pathlib.Path(submission) / "cs231n_lib", target / "cs231n_lib")
    record = {"timestamp": _timestamp(submission), "sha256": sha256, "refused": refused}
    write_atomically(record_path, json.dumps(record) + "\n")
    return record


def snapshot_hook(assignment=None, student=None, notebooks=()):
    """nbgrader's ``pre_convert_hook`` for autograde: snapshot each submission about to be graded."""
    for folder in sorted({pathlib.Path(n).resolve().parent for n in notebooks}):
        snapshot(folder)


def sync(course, assignment, solutions=None, log=print, seed=None):
    """Grade every autograded submission of ``assignment`` (hidden checks from ``seed``, a fresh one
    when None); returns {student: [(visible check, nbgrader's score, the grader's)]}."""
    from nbgrader.api import Gradebook, MissingEntry

    course = pathlib.Path(course)
    solutions = pathlib.Path(solutions or course / "solutions")
    loaded = [c for c in grading.load_checks(grading.hidden_checks_dir(solutions)).values()
              if c.assignment == assignment]
    checks, hidden = {c.name for c in loaded}, {c.name for c in loaded if c.hidden}
    submitted = sorted(p for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
    if not submitted:
        raise FileNotFoundError(f"no submissions of {assignment} in {course / 'submitted'}")
    changes = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for folder in submitted:
            student = folder.parent.name
            # The copy taken before autograde ran the notebook, not what is there now.
            collected = collected_folder(folder)
            if not (collected / RECORD).is_file():
                log(f"{student}: no copy of cs231n_lib from before autograde (was nbgrader autograde run with "
                    "this course's nbgrader_config.py?); grading it as it is now")
            record = snapshot(folder)
            lib = collected / "cs231n_lib"
            missing = "not graded"
            changed = current_digest(folder / "cs231n_lib") != (record["sha256"], record["refused"])
            if record["sha256"] is None:
                results = {"tests": []}
                missing = record["refused"] or "no cs231n_lib/ folder (with its __init__.py) was submitted beside " \
                                                "the notebook"
                log(f"{student}: no cs231n_lib in the submission ({missing}); every check scores 0")
            else:
                results = grading.grade(lib, [assignment], solutions=solutions, seed=seed)
            results = {**results, "library_changed": changed, "graded": str(lib)}
            if changed:
                log(f"{student}: cs231n_lib changed after it was collected; graded the collected copy")
            write_atomically(collected / "results.json", json.dumps(results, indent=1) + "\n")
            tests = {t["name"]: t for t in results["tests"]}
            scores = {name: t["score"] for name, t in tests.items()}
            try:
                notebook = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                log(f"{student}: not autograded yet (run nbgrader autograde {assignment} first); skipped")
                continue
            autograded = course / "autograded" / student / assignment / f"{assignment}.ipynb"
            if autograded.is_file() and not autograded.is_symlink():
                feedback.annotate(autograded, tests, checks, missing)
            changes[student] = []
            for grade in notebook.grades:
                if grade.name not in checks:
                    continue  # written answers are graded by hand (grade_written, the formgrader)
                # Only auto_score changes: a manual_score (a grader's override) always stays, and wins.
                ours = scores.get(grade.name, 0)
                if grade.auto_score != ours:
                    if grade.name not in hidden:  # hidden checks never run in the notebook: nothing to report
                        changes[student].append((grade.name, grade.auto_score, ours))
                    grade.auto_score = ours
                    grade.needs_manual_grade = False
            gb.db.commit()
            for name, before, after in changes[student]:
                log(f"{student}: {name}: nbgrader gave {before}, the grader gives {after}")
    return changes


class GradeError(ValueError):
    """A manual score that cannot be given (no such submission or cell, out of range)."""


def grade_written(course, assignment, student, cell, score):
    """Give the written answer ``cell`` of ``student``'s ``assignment`` the manual ``score``, as
    nbgrader's formgrader does (``manual_score``, which ``sync`` never touches). Returns the cell's
    points. Check cells are refused: their score is the trusted grader's."""
    from nbgrader.api import Gradebook, MissingEntry

    course = pathlib.Path(course)
    if not (course / "gradebook.db").is_file():
        raise GradeError(f"no gradebook.db in {course} (the nbgrader course folder; see --course)")
    checks = {c.name for c in grading.load_checks(grading.hidden_checks_dir(course / "solutions")).values()}
    if cell in checks:
        raise GradeError(f"{cell} is a check: sync-gradebook gives its score; grade-written is for written answers")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            grade = gb.find_grade(cell, assignment, assignment, student)
        except MissingEntry:
            raise GradeError(f"no graded cell {cell} in {student}'s {assignment} (run nbgrader autograde "
                             f"{assignment} first; cell names are the grade ids, e.g. q_...)") from None
        if not 0 <= score <= grade.max_score:
            raise GradeError(f"{cell} is worth 0 to {grade.max_score:g} points, not {score:g}")
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()
        return grade.max_score
