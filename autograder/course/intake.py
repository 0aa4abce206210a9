"""Untrusted submissions in, a private, validated copy out (for grade-all and Gradescope).

The layout and its validation are ``submission.py``'s (one contract for pack, grade-all
and Gradescope): ``submission.read`` refuses unsafe names, links, special files,
encryption and inflation past the limits, holding the files in memory, and
``submission.extract`` writes only the notebook and the library's ``.py`` files, under
names it made. This module adds what batch grading needs around it: a private folder per
submission (swept when a grader was killed), the sha256 of a submission as submitted
(to know when it changed), and names from students made safe to print.

It also finds the submissions in a SUBMISSIONS folder (``discover``): nbgrader's
``<student>/<ASSIGNMENT>/`` layout, and zips downloaded from an LMS, named after their
student. As with nbgrader's ``zip_collect`` (``FileNameCollector.named_regexp``), a regular
expression with named groups reads a zip's name: ``student_id`` (required); optionally
``name`` (kept in the gradebook's own column), ``assignment``, ``timestamp`` and ``attempt``.
By default (``DEFAULT_PATTERNS``) a Canvas download, ``smithjane_12345_67890_01_activations.zip``
or ``smithjane_LATE_12345_67890_01_activations-1.zip``, is keyed by Canvas's numeric user id
(12345; the name part is the student's to edit and is only shown), and any other zip by what
comes before its first ``_`` (``alice_01_activations.zip``). Without an assignment in the
name, the one ``NN_topic.ipynb`` at the zip's root says which, and failing that the one
assignment given on the command line.

Of several zips for one student and assignment, the latest counts, by the LMS's own rule:
a larger ``timestamp``; else a larger ``attempt`` (Canvas appends ``-1``, ``-2`` to a file
uploaded again under the same name); else the newer files inside the zip (the newest date
its entries carry). Which one was graded, and why, is said. Only when none of these tells
them apart is the student's row a problem ("2 submissions found"): which one counts is not
for the grader to guess.

Nothing here imports or runs submitted code: the sandbox does, from the copy.
"""

import dataclasses
import hashlib
import os
import pathlib
import re
import shutil
import stat
import tempfile

from . import submission

LIBRARY = submission.LIBRARY
PREFIX = "cs231n-intake-"
NBGRADER_FILES = ("left out timestamp.txt:",)  # nbgrader's submit writes it beside the notebook: no news
HASH_LIMITS = {"bytes": 256 << 20, "entries": 5000}  # past these, a submission is not hashed


class Refused(Exception):
    """The submission cannot be graded; the message says why, in one line for the student."""


def printable(text, limit=200):
    """A name from a submission (or a one-line reason naming one) made safe to print and store:
    cut, no control characters, and on one line (a newline or a tab in a file name could
    forge lines of the summary, the gradebook or the terminal)."""
    from ..sandbox.process import clean

    return re.sub(r"[\t\n]", lambda m: f"\\x{ord(m.group()):02x}", clean(text, limit))


def fingerprint(path):
    """sha256 of a submission as submitted: a zip's bytes, or a folder's names, kinds and contents.

    Links are hashed as their target text, never followed; other special files by their kind.
    Each entry is framed by its lengths, so no two trees hash alike by moving bytes between
    files. None when it cannot be hashed whole (past ``HASH_LIMITS``, a path too long): such
    a submission never counts as unchanged, so what is graded is always what was submitted.
    """
    path = pathlib.Path(path)
    digest = hashlib.sha256()
    bytes_left = HASH_LIMITS["bytes"]

    def add(relative, info, full, framed=True):
        nonlocal bytes_left
        name = os.fsencode(relative)
        if stat.S_ISREG(info.st_mode):
            if info.st_size > bytes_left:
                return False
            bytes_left -= info.st_size
            if framed:
                digest.update(b"file %d %d\0" % (len(name), info.st_size) + name)
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
            return True
        kind = b"link" if stat.S_ISLNK(info.st_mode) else b"dir" if stat.S_ISDIR(info.st_mode) else b"special"
        body = os.fsencode(os.readlink(full)) if kind == b"link" else b"%o" % info.st_mode if kind == b"special" else b""
        digest.update(b"%s %d %d\0" % (kind, len(name), len(body)) + name + body)
        return True

    top = os.lstat(path)
    if not stat.S_ISDIR(top.st_mode):  # a zip: the sha256 of its bytes, as sha256sum prints it
        return digest.hexdigest() if add("", top, path, framed=False) else None
    entries, pending = 0, [""]
    while pending:  # a loop, not recursion: a tree thousands of folders deep is just long
        below = pending.pop()
        with os.scandir(os.path.join(path, below)) as scan:
            children = sorted(scan, key=lambda e: e.name)
        entries += len(children)
        if entries > HASH_LIMITS["entries"]:
            return None
        for child in children:
            relative = os.path.join(below, child.name)
            info = child.stat(follow_symlinks=False)
            if not add(relative, info, child.path):
                return None
            if stat.S_ISDIR(info.st_mode):
                pending.append(relative)
    return digest.hexdigest()


def stage(source, target, assignment=None):
    """Validate submission ``source`` (zip or folder) and lay it out in the new folder ``target``.

    Returns (assignment, notes); raises Refused with the reason when it cannot be graded.
    """
    try:
        found = submission.read(source, assignment)
        submission.extract(found, target)
    except submission.SubmissionError as exc:
        raise Refused(printable(exc, 400)) from None
    except (OSError, RecursionError, UnicodeError) as exc:  # a name the file system refuses, a file gone
        raise Refused(f"the submission cannot be read ({type(exc).__name__}: {printable(exc, 160)})") from None
    notes = [n for n in found.notes if not n.startswith(NBGRADER_FILES)]
    return found.assignment, [printable(n, 200) for n in notes]


def private_folder():
    """A new folder for one submission's copy (removed by the caller; stale ones by ``sweep``)."""
    return pathlib.Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def sweep():
    """Remove the copies left by graders that were killed."""
    for folder in pathlib.Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            os.kill(int(folder.name[len(PREFIX):].split("-")[0]), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError, OverflowError):
            pass


# --- Finding the submissions ---------------------------------------------------------------

CANVAS_PATTERN = (r"^(?P<name>[^_]+)_(?:LATE_)?(?P<student_id>\d+)_(?P<submission_id>\d+)_"
                  r"(?:(?:.*_)?(?P<assignment>\d\d_[A-Za-z0-9]+)|.*?)(?:-(?P<attempt>\d+))?\.zip$")
PLAIN_PATTERN = r"^(?P<student_id>[^_]+)(?:_(?:.*_)?(?P<assignment>\d\d_[A-Za-z0-9]+)|_.*)?\.zip$"
DEFAULT_PATTERNS = (CANVAS_PATTERN, PLAIN_PATTERN)  # the first that matches a name reads it
DEFAULT_PATTERN = PLAIN_PATTERN  # kept for callers that name one pattern
MOODLE_PATTERN = (r"^(?P<name>.+)_(?P<student_id>\d+)_assignsubmission_file_"
                  r"(?:(?:.*_)?(?P<assignment>\d\d_[A-Za-z0-9]+)|.*?)\.zip$")
BLACKBOARD_PATTERN = (r"^.+_(?P<student_id>[^_]+)_attempt_(?P<timestamp>\d{4}(?:-\d\d){5})"
                      r"(?:_(?:.*_)?(?P<assignment>\d\d_[A-Za-z0-9]+)|_.*)?\.zip$")


@dataclasses.dataclass
class Submission:
    student: str  # as the source names it (shown cleaned)
    assignment: str | None
    source: pathlib.Path  # a zip or a folder
    origin: str  # where it was found, relative to SUBMISSIONS
    problem: str | None = None  # known before grading: it will score 0 with this reason
    timestamp: str | None = None
    sha256: str | None = ""  # of the submission as found (``intake.fingerprint``; None: graded every run)
    name: str = ""  # the student's name as the LMS wrote it, when the id is something else
    attempt: int | None = None  # Canvas's -N: the N-th upload of a file under the same name
    chosen: str = ""  # why this one of several zips was graded


def assignment_inside(archive):
    """(assignment, None) from the one NN_topic.ipynb at a zip's root, or (None, why not)."""
    try:
        return submission.read(archive).assignment, None
    except submission.SubmissionError as exc:
        return None, printable(exc, 300)
    except Exception as exc:  # noqa: BLE001 - anything a hostile zip does: say so in its results
        return None, f"the zip cannot be read ({type(exc).__name__})"


def _match(name, patterns):
    for pattern in patterns:
        match = re.match(pattern, name)
        if match and match.groupdict().get("student_id"):
            return match.groupdict()
    return None


def discover(root, pattern=None, assignment=None):
    """(submissions, notes): every submission under ``root``, and a line per entry ignored.
    ``pattern`` reads LMS zip names (default: ``DEFAULT_PATTERNS``); ``assignment`` is taken by
    a zip whose assignment neither its name nor its notebook tells."""
    root = pathlib.Path(root)
    patterns = DEFAULT_PATTERNS if pattern is None else (pattern,)
    found, notes = [], []
    if (root / "submitted").is_dir() and not (root / "submitted").is_symlink():  # an nbgrader course folder
        notes.append(f"{printable(str(root), 200)} is an nbgrader course: grading its submitted/ folder")
        root = root / "submitted"
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        name, shown = entry.name, printable(entry.name, 100)
        if entry.is_dir(follow_symlinks=False):
            for inner in sorted(os.scandir(entry.path), key=lambda e: e.name):
                stem = inner.name[:-4] if inner.name.endswith(".zip") else inner.name
                origin = f"{name}/{inner.name}"
                if not submission.ASSIGNMENT_ID.match(stem):
                    notes.append(f"ignored {printable(origin, 120)}: not an assignment folder or zip "
                                 "(NN_topic or NN_topic.zip)")
                elif inner.is_symlink():
                    found.append(Submission(name, stem, pathlib.Path(inner.path), origin,
                                            problem=f"{printable(inner.name)} is a symbolic link; refused"))
                elif inner.is_dir(follow_symlinks=False) or inner.name.endswith(".zip"):
                    found.append(Submission(name, stem, pathlib.Path(inner.path), origin))
        elif name.endswith(".zip") and not entry.is_symlink():
            groups = _match(name, patterns)
            if not groups:
                notes.append(f"ignored {shown}: its name does not match the name pattern "
                             f"({' or '.join(patterns)})")
                continue
            found_in, why = groups.get("assignment"), None
            if not found_in:
                found_in, why = assignment_inside(entry.path)
            if not found_in and assignment:
                found_in, why = assignment, None
            attempt = groups.get("attempt")
            sub = Submission(groups["student_id"], found_in, pathlib.Path(entry.path), name,
                             timestamp=groups.get("timestamp"), name=groups.get("name") or "",
                             attempt=int(attempt) if attempt and attempt.isascii() and attempt.isdigit() else None)
            if found_in is None:
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


def newest_entry(path):
    """The newest date an entry of the zip ``path`` carries (as the zip records it), or None."""
    import zipfile

    try:
        if (path.stat().st_size > submission.LIMITS["zip_bytes"]
                or (submission._directory_bytes(path) or 0) > submission.LIMITS["zip_directory_bytes"]):
            return None  # too big to read: its grading refuses it with the reason
        with zipfile.ZipFile(path) as zf:
            dates = [tuple(info.date_time) for info in zf.infolist() if not info.is_dir()]
    except Exception:  # noqa: BLE001 - an unreadable zip has no date; its grading says why
        return None
    return max(dates) if dates else None


def _stamp(date):
    return "%04d-%02d-%02d %02d:%02d:%02d" % date


def _latest(subs):
    """(the latest of ``subs``, why) by the LMS's rules, or (None, None) when nothing tells them apart."""
    if all(s.timestamp for s in subs) and len({_when(s) for s in subs}) == len(subs):
        latest = max(subs, key=_when)
        return latest, f"its timestamp {printable(latest.timestamp, 40)} is the latest"
    attempts = [s.attempt or 0 for s in subs]
    if len(set(attempts)) == len(subs):
        latest = max(subs, key=lambda s: s.attempt or 0)
        return latest, (f"the LMS numbered it -{latest.attempt}, the latest upload of that file" if latest.attempt
                        else "it is the first upload and the others are not numbered")
    dates = [newest_entry(s.source) if s.source.is_file() else None for s in subs]
    if None not in dates and len(set(dates)) == len(subs):
        latest = subs[dates.index(max(dates))]
        return latest, f"its files are the newest (dated {_stamp(max(dates))} inside the zip)"
    return None, None


def _one_per_student(found, notes):
    """One submission per (student, assignment): the latest (``_latest``), else a problem row."""
    groups = {}
    for sub in found:
        groups.setdefault((sub.student, sub.assignment), []).append(sub)
    kept = []
    for subs in groups.values():
        if len(subs) == 1:
            kept.append(subs[0])
            continue
        latest, why = _latest(subs)
        if latest is not None:
            others = ", ".join(printable(s.origin, 80) for s in subs if s is not latest)
            latest.chosen = f"graded {printable(latest.origin, 120)}, not {others}: {why}"
            kept.append(latest)
            notes.append(f"{printable(latest.student, 60)}: {latest.chosen}")
            notes.extend(f"superseded {printable(s.origin, 120)} by {printable(latest.origin, 120)}"
                         for s in subs if s is not latest)
        else:
            first = subs[0]
            first.problem = (f"{len(subs)} submissions found ({', '.join(printable(s.origin, 80) for s in subs)}) "
                             "and nothing tells which is the latest (no timestamp or upload number in their names, "
                             "the same dates inside); keep one and grade again")
            kept.append(first)
    return kept
