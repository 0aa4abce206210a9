"""Untrusted submissions in, a private, validated copy out (for grade-all and Gradescope).

The layout and its validation are ``submission.py``'s (one contract for pack, grade-all
and Gradescope): ``submission.read`` refuses unsafe names, links, special files,
encryption and inflation past the limits, holding the files in memory, and
``submission.extract`` writes only the notebook and the library's ``.py`` files, under
names it made. This module adds what batch grading needs around it: a private folder per
submission (swept when a grader was killed), the sha256 of a submission as submitted
(to know when it changed), and names from students made safe to print.

Nothing here imports or runs submitted code: the sandbox does, from the copy.
"""

import hashlib
import os
import pathlib
import shutil
import stat
import tempfile

from . import submission

LIBRARY = submission.LIBRARY
PREFIX = "cs231n-intake-"
NBGRADER_FILES = ("left out timestamp.txt:",)  # nbgrader's submit writes it beside the notebook: no news
HASH_LIMITS = {"bytes": 256 << 20, "entries": 5000}  # past these, only sizes and times are hashed


class Refused(Exception):
    """The submission cannot be graded; the message says why, in one line for the student."""


def printable(text, limit=200):
    """A name from a submission made safe to print and store (no control characters, cut)."""
    from ..sandbox.process import clean

    return clean(text, limit)


def fingerprint(path):
    """sha256 of a submission as submitted: a zip's bytes, or a folder's names, kinds and contents.

    Links are hashed as their target text, never followed; past the limits only sizes count.
    """
    path = pathlib.Path(path)
    digest = hashlib.sha256()
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        digest.update(b"link " + os.readlink(path).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()
    if stat.S_ISREG(info.st_mode):
        if info.st_size > HASH_LIMITS["bytes"]:
            digest.update(f"large {info.st_size} {info.st_mtime_ns}".encode())
        else:
            with open(path, "rb", buffering=0) as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()
    budget, entries = HASH_LIMITS["bytes"], 0
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        entries += len(dirs) + len(files)
        if entries > HASH_LIMITS["entries"]:
            digest.update(b"...")
            break
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, path).encode("utf-8", "surrogateescape")
            entry = os.lstat(full)
            digest.update(relative + b"\0")
            if stat.S_ISLNK(entry.st_mode):
                digest.update(b"link " + os.readlink(full).encode("utf-8", "surrogateescape"))
            elif stat.S_ISREG(entry.st_mode) and entry.st_size <= budget:
                budget -= entry.st_size
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as f:
                    digest.update(f.read())
            else:
                digest.update(f"{entry.st_mode} {entry.st_size} {entry.st_mtime_ns}".encode())
            digest.update(b"\0")
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
