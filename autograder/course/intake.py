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
