"""The submission layout: what a student hands in for one assignment, defined in one place.

A submission of ASSIGNMENT (e.g. ``01_activations``) is a zip named ``ASSIGNMENT.zip``
whose root holds

    ASSIGNMENT.ipynb    the student's notebook (written answers; outputs may stay)
    cs231n_lib/         the student's library: its ``.py`` files only (sub-packages allowed)

which is the content of nbgrader's ``submitted/<student>/ASSIGNMENT/`` folder. Caches
(``__pycache__``, ``.ipynb_checkpoints``), other kinds of file, symbolic links and the
junk archivers add (``__MACOSX/``, ``.DS_Store``) are left out, each with a note; a zip
whose root is a single folder around that layout (a student zipped the folder, not its
contents) is read from inside that folder, with a note.

Everything here treats its input as hostile: names that escape the folder (``..``,
absolute, backslashes, NUL), symbolic links, special files, encrypted entries,
duplicates, and archives that expand past the limits (read entry by entry, counting the
bytes actually inflated, never trusting the sizes a zip declares) are refused or left
out. ``read`` returns the files in memory, so nothing from a zip is written before it is
validated, and ``extract`` writes only names this module made.

- ``write`` makes a submission zip (``python -m autograder pack``);
- ``collect`` gathers one from a notebook and a library folder (a student's working tree);
- ``read`` validates a zip or a folder and returns a ``Submission`` (grade-all, Gradescope);
- ``extract`` lays a validated submission out as a folder to grade.
"""

import dataclasses
import io
import json
import os
import pathlib
import re
import stat
import zipfile
import zlib

from ..files import write_atomically
from ..sandbox.process import LIBRARY_LIMITS

LIBRARY = "cs231n_lib"
ASSIGNMENT_ID = re.compile(r"[0-9]{2}_[A-Za-z0-9_]+\Z")  # \Z: "$" would allow a newline
LIMITS = {
    "notebook_bytes": 32 << 20,  # a notebook with every plot in its outputs is a few MB
    "library_bytes": LIBRARY_LIMITS["bytes"],  # the .py files together, as the sandbox copies them
    "library_files": LIBRARY_LIMITS["files"],
    "library_depth": LIBRARY_LIMITS["depth"],
    "zip_bytes": 64 << 20,  # the zip file itself
    "zip_entries": 4000,
    "zip_directory_bytes": 4 << 20,  # the list of entries, parsed whole before any can be counted
}
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
CACHES = {"__pycache__", ".ipynb_checkpoints"}
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same work always gives the same zip


class SubmissionError(ValueError):
    """The submission does not follow the layout; the message says what is wrong, for the student."""


@dataclasses.dataclass
class Submission:
    """A validated submission, in memory.

    ``library`` maps paths relative to ``cs231n_lib/`` (posix, e.g. ``"layers.py"``) to
    their bytes; ``notes`` lists what was left out or tolerated, one line each.
    """

    assignment: str
    notebook: bytes
    library: dict
    notes: list = dataclasses.field(default_factory=list)


def zip_name(assignment):
    return f"{check_assignment(assignment)}.zip"


def notebook_name(assignment):
    return f"{check_assignment(assignment)}.ipynb"


def check_assignment(assignment):
    if not isinstance(assignment, str) or not ASSIGNMENT_ID.match(assignment):
        raise SubmissionError(f"{assignment!r} is not an assignment id like 01_activations")
    return assignment


# --- Rules shared by zips and folders ------------------------------------------------------

def _safe_parts(name):
    """The parts of an archive member's name, or None when it could escape or is not plain."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or any(ord(ch) < 32 for p in parts for ch in p):
        return None
    return parts


def _skipped(parts):
    """Why a path (parts below the submission's root) is left out, or None to keep it."""
    if JUNK & set(parts) or parts[-1].startswith("._"):
        return "archiver's metadata"
    if CACHES & set(parts):
        return "a cache"
    return None


def _check_notebook(assignment, data):
    if len(data) > LIMITS["notebook_bytes"]:
        raise SubmissionError(f"{notebook_name(assignment)} is larger than {LIMITS['notebook_bytes'] >> 20} MB; "
                              "clear the outputs (Edit > Clear Outputs of All Cells), save, and pack again")
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SubmissionError(f"{notebook_name(assignment)} is not a readable notebook (not valid JSON); "
                              "open it in JupyterLab, save it and pack again") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or nb.get("nbformat") != 4:
        raise SubmissionError(f"{notebook_name(assignment)} is not a Jupyter notebook (version 4)")


class _Library:
    """Collects the library's files, enforcing the limits as they come in."""

    def __init__(self):
        self.files, self.total, self.notes = {}, 0, []

    def add(self, parts, read, size_hint=0):
        """``parts`` below cs231n_lib/; ``read(limit)`` returns the bytes or more than ``limit``."""
        rel = "/".join(parts)
        if not rel.endswith(".py"):
            self.notes.append(f"left out {LIBRARY}/{rel}: only .py files are part of the library")
            return
        if len(parts) > LIMITS["library_depth"]:
            raise SubmissionError(f"{LIBRARY}/ is nested more than {LIMITS['library_depth']} folders deep")
        if len(self.files) >= LIMITS["library_files"]:
            raise SubmissionError(f"{LIBRARY}/ holds more than {LIMITS['library_files']} .py files")
        left = LIMITS["library_bytes"] - self.total
        if size_hint > left:
            raise SubmissionError(f"the .py files of {LIBRARY}/ exceed {LIMITS['library_bytes'] >> 20} MB")
        data = read(left)
        if len(data) > left:
            raise SubmissionError(f"the .py files of {LIBRARY}/ exceed {LIMITS['library_bytes'] >> 20} MB")
        if rel in self.files:
            raise SubmissionError(f"{LIBRARY}/{rel} appears twice")
        self.total += len(data)
        self.files[rel] = data


def _finish(assignment, notebook, library, notes):
    if notebook is None:
        raise SubmissionError(f"no {notebook_name(assignment)} at the top of the submission")
    _check_notebook(assignment, notebook)
    if "__init__.py" not in library.files:
        raise SubmissionError(f"no {LIBRARY}/__init__.py in the submission: submit your whole {LIBRARY} folder "
                              f"beside {notebook_name(assignment)}")
    return Submission(assignment, notebook, dict(sorted(library.files.items())), notes + library.notes)


def _guess_assignment(names, where):
    """The assignment of a submission from the notebooks at its root."""
    found = sorted(n[:-len(".ipynb")] for n in names if n.endswith(".ipynb") and ASSIGNMENT_ID.match(n[:-6]))
    if len(found) != 1:
        what = "no notebook named like 01_activations.ipynb" if not found else f"several notebooks ({', '.join(found)})"
        raise SubmissionError(f"{where} has {what} at its top; a submission holds exactly one")
    return found[0]


# --- Zips ----------------------------------------------------------------------------------

def _read_member(zf, info, limit):
    """At most ``limit + 1`` inflated bytes of a member: more means it is too large."""
    try:
        with zf.open(info) as f:
            return f.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as exc:
        raise SubmissionError(f"cannot read {info.filename!r} from the zip ({exc})") from None


def _is_symlink(info):
    return stat.S_ISLNK(info.external_attr >> 16) and info.create_system == 3


def _directory_bytes(path):
    """The size of a zip's central directory as its end record says (zip64 too), or None.

    ``ZipFile`` parses that directory whole when it opens: a 64 MB zip of empty entries is
    over a million of them, seconds and a GB of memory before they can be counted."""
    end_record = getattr(zipfile, "_EndRecData", None)  # the standard library's own reader
    if end_record is None:
        return None
    with open(path, "rb") as f:
        end = end_record(f)
    return None if end is None else end[zipfile._ECD_SIZE]


def _read_zip(path, assignment):
    path = pathlib.Path(path)
    try:
        if path.stat().st_size > LIMITS["zip_bytes"]:
            raise SubmissionError(f"{path.name} is larger than {LIMITS['zip_bytes'] >> 20} MB")
        if (_directory_bytes(path) or 0) > LIMITS["zip_directory_bytes"]:
            raise SubmissionError(f"{path.name} lists more entries than a submission holds "
                                  f"(its directory exceeds {LIMITS['zip_directory_bytes'] >> 20} MB)")
        zf = zipfile.ZipFile(path)
    except SubmissionError:  # a ValueError too: said as it is
        raise
    except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > LIMITS["zip_entries"]:
            raise SubmissionError(f"{path.name} holds more than {LIMITS['zip_entries']} entries")
        notes, members, seen = [], [], set()
        for info in infos:
            parts = _safe_parts(info.filename)
            if parts is None:
                raise SubmissionError(f"{path.name} holds an entry with an unsafe name: {info.filename!r}")
            if not parts or info.is_dir():
                continue
            key = "/".join(parts)
            if key.casefold() in seen:
                raise SubmissionError(f"{path.name} holds {key} twice")
            seen.add(key.casefold())
            if _skipped(parts):
                continue
            if info.flag_bits & 0x1:
                raise SubmissionError(f"{key} is encrypted in {path.name}; make the zip without a password")
            if _is_symlink(info):
                notes.append(f"left out {key}: a symbolic link")
                continue
            members.append((parts, info))
        # A single folder around the layout (the student zipped the folder): look inside it.
        tops = {parts[0] for parts, _ in members}
        if len(tops) == 1 and all(len(parts) > 1 for parts, _ in members) and LIBRARY not in tops:
            top = tops.pop()
            notes.append(f"the zip holds a folder {top}/ around the submission; read what is inside it")
            members = [(parts[1:], info) for parts, info in members]
        root_names = [parts[0] for parts, _ in members if len(parts) == 1]
        assignment = check_assignment(assignment) if assignment is not None else _guess_assignment(root_names, path.name)
        notebook, library = None, _Library()
        for parts, info in members:
            if parts == [notebook_name(assignment)]:
                notebook = _read_member(zf, info, LIMITS["notebook_bytes"])
            elif parts[0] == LIBRARY and len(parts) > 1:
                library.add(parts[1:], lambda limit, info=info: _read_member(zf, info, limit), info.file_size)
            else:
                notes.append(f"left out {'/'.join(parts)}: not part of a submission "
                             f"({notebook_name(assignment)} and {LIBRARY}/)")
    return _finish(assignment, notebook, library, notes)


# --- Folders -------------------------------------------------------------------------------

def _read_regular(path, limit):
    """At most ``limit + 1`` bytes of a regular file, never following a symbolic link and never
    blocking on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SubmissionError(f"{path} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)
    finally:
        os.close(fd)


def _walk_library(folder, library, notes):
    """Add the .py files below ``folder`` (a cs231n_lib), leaving out links, caches and the rest."""
    for current, subfolders, names in os.walk(folder):
        below = pathlib.Path(current).relative_to(folder).parts
        keep = []
        for d in sorted(subfolders):
            rel = "/".join((*below, d))
            if os.path.islink(os.path.join(current, d)):
                notes.append(f"left out {LIBRARY}/{rel}: a symbolic link")
            elif not _skipped([*below, d]):
                keep.append(d)
        subfolders[:] = keep
        for name in sorted(names):
            parts = [*below, name]
            path = os.path.join(current, name)
            mode = os.lstat(path).st_mode
            if _skipped(parts):
                continue
            if stat.S_ISLNK(mode):
                notes.append(f"left out {LIBRARY}/{'/'.join(parts)}: a symbolic link")
            elif not stat.S_ISREG(mode):
                notes.append(f"left out {LIBRARY}/{'/'.join(parts)}: not a regular file")
            else:
                library.add(parts, lambda limit, path=path: _read_regular(path, limit), os.lstat(path).st_size)


def collect(assignment, notebook, library_dir):
    """A Submission of ``assignment`` from a student's files: the notebook at ``notebook`` and
    the library folder ``library_dir`` (wherever they are in the student's tree)."""
    assignment = check_assignment(assignment)
    notebook, library_dir = pathlib.Path(notebook), pathlib.Path(library_dir)
    for path, what in [(notebook, "notebook"), (library_dir, "library folder")]:
        if path.is_symlink():
            raise SubmissionError(f"the {what} {path} is a symbolic link; submit the real one")
    if not notebook.is_file():
        raise SubmissionError(f"no notebook at {notebook}")
    if not library_dir.is_dir():
        raise SubmissionError(f"no {LIBRARY} folder at {library_dir}")
    notes, library = [], _Library()
    data = _read_regular(notebook, LIMITS["notebook_bytes"])
    _walk_library(library_dir, library, notes)
    return _finish(assignment, data, library, notes)


def _read_folder(folder, assignment):
    folder = pathlib.Path(folder)
    names = sorted(os.listdir(folder))
    assignment = check_assignment(assignment) if assignment is not None else _guess_assignment(names, f"{folder.name}/")
    notes = [f"left out {n}: not part of a submission ({notebook_name(assignment)} and {LIBRARY}/)"
             for n in names if n not in (notebook_name(assignment), LIBRARY) and not _skipped([n])]
    if notebook_name(assignment) not in names:
        raise SubmissionError(f"no {notebook_name(assignment)} at the top of the submission")
    if LIBRARY not in names:
        raise SubmissionError(f"no {LIBRARY}/ folder beside {notebook_name(assignment)}")
    submission = collect(assignment, folder / notebook_name(assignment), folder / LIBRARY)
    submission.notes[:0] = notes
    return submission


# --- The contract's entry points -------------------------------------------------------------

def read(path, assignment=None):
    """Validate the submission at ``path`` (a zip, or a folder such as nbgrader's
    ``submitted/<student>/<assignment>/``) and return it as a ``Submission``.

    ``assignment`` is the id it must be for; by default it is the one notebook at its root.
    Raises SubmissionError, saying what is wrong, when it does not follow the layout.
    """
    path = pathlib.Path(path)
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link; submit the file or folder itself")
    if path.is_dir():
        return _read_folder(path, assignment)
    if path.is_file():
        return _read_zip(path, assignment)
    raise SubmissionError(f"no submission at {path}")


def write(submission, path):
    """Write ``submission`` as a zip at ``path`` (atomically: a reader sees the old file or the
    new one). Its entries are sorted and dated alike, so the same work gives the same bytes."""
    path = pathlib.Path(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        entries = [(notebook_name(submission.assignment), submission.notebook)]
        entries += [(f"{LIBRARY}/{rel}", data) for rel, data in sorted(submission.library.items())]
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, buffer.getvalue())


def extract(submission, folder):
    """Lay ``submission`` out in ``folder`` (which must not exist or be empty) as nbgrader's
    submitted folder: ``folder/ASSIGNMENT.ipynb`` and ``folder/cs231n_lib/...``."""
    folder = pathlib.Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / notebook_name(submission.assignment)).write_bytes(submission.notebook)
    for rel, data in submission.library.items():
        parts = _safe_parts(rel)
        if parts is None or "/".join(parts) != rel:  # a Submission built by hand
            raise SubmissionError(f"unsafe library path {rel!r}")
        target = folder.joinpath(LIBRARY, *parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder
