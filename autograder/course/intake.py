"""Untrusted submissions in, a private, checked copy out.

A submission is a zip or a folder whose root holds ``<ASSIGNMENT>.ipynb`` and
``cs231n_lib/`` (nbgrader's ``submitted/<student>/<ASSIGNMENT>/``). Everything about it
comes from a student, so nothing is trusted:

* a zip is refused before anything is extracted when it holds an unsafe name (absolute,
  ``..``, a drive letter), a symbolic link, too many entries or too many bytes once
  uncompressed (a zip bomb); extraction reads at most the size each entry declares;
* a folder is walked without following symbolic links; a link anywhere in it is refused;
* only the notebook and the library's ``.py`` files are copied, into a private folder
  made here, bounded in number and size;
* the notebook must be a JSON object with a list of cells; it is parsed, never run.

Nothing here imports or runs submitted code: the sandbox does, from the copy.
Every refusal is a ``Refused`` whose message is one clear line for the student.
"""

import hashlib
import json
import os
import pathlib
import re
import shutil
import stat
import tempfile
import zipfile

LIMITS = {
    "archive_bytes": 64 << 20,  # a zip as uploaded
    "entries": 5000,  # entries of a zip, or files and folders of a submitted folder
    "total_bytes": 256 << 20,  # uncompressed, all entries together
    "notebook_bytes": 32 << 20,
    "file_bytes": 4 << 20,  # one library file
    "depth": 8,
}
LIBRARY = "cs231n_lib"
JUNK = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store"}
ASSIGNMENT = re.compile(r"^\d\d_[A-Za-z0-9_]+$")
PREFIX = "cs231n-intake-"


class Refused(Exception):
    """The submission cannot be graded; the message says why, in one line for the student."""


# -- names ---------------------------------------------------------------------------------
def printable(text, limit=200):
    """A name from a submission made safe to print and store (no control characters, cut)."""
    from ..sandbox.process import clean

    return clean(text, limit)


def entry_parts(name):
    """The parts of a zip entry's name, or Refused when it could escape the folder it is extracted to."""
    shown = printable(name, 120)
    name = name.replace("\\", "/")  # zips made on Windows may use either separator
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise Refused(f"the zip holds an absolute path ({shown}); zip the submission folder's contents instead")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Refused(f"the zip holds a path that leaves its folder ({shown}); it was not extracted")
    if any("\x00" in p for p in parts):
        raise Refused(f"the zip holds a name with a NUL character ({shown})")
    return parts


# -- fingerprints ---------------------------------------------------------------------------
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
        if info.st_size > LIMITS["archive_bytes"]:
            digest.update(f"large {info.st_size} {info.st_mtime_ns}".encode())
        else:
            with open(path, "rb", buffering=0) as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()
    budget = LIMITS["total_bytes"]
    for count, (folder, dirs, files) in enumerate(os.walk(path)):
        dirs.sort()
        if count > LIMITS["entries"]:
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
                with open(full, "rb", buffering=0) as f:
                    digest.update(f.read())
            else:
                digest.update(f"{entry.st_mode} {entry.st_size} {entry.st_mtime_ns}".encode())
            digest.update(b"\0")
    return digest.hexdigest()


# -- staging ----------------------------------------------------------------------------------
def _wanted(parts, assignment):
    """Whether a path (parts relative to the submission's root) is copied: the notebook, library .py files."""
    if not parts or any(p in JUNK for p in parts):
        return False
    if len(parts) == 1:
        return parts[0].endswith(".ipynb")
    return parts[0] == LIBRARY and parts[-1].endswith(".py") and len(parts) <= LIMITS["depth"]


def _root_prefix(names):
    """[] if the submission's files sit at the zip's root, [folder] if they are all in one folder."""
    tops = {p[0] for p in names if p and p[0] not in JUNK}
    if any(len(p) == 1 and p[0].endswith(".ipynb") for p in names) or LIBRARY in tops:
        return []
    if len(tops) == 1:
        return [tops.pop()]
    return []


def _copy_stream(source, target, limit, what):
    """Copy at most ``limit`` bytes; Refused if there are more."""
    copied = 0
    with open(target, "wb") as out:
        while chunk := source.read(1 << 16):
            copied += len(chunk)
            if copied > limit:
                raise Refused(f"{what} is larger than {limit >> 20} MB")
            out.write(chunk)


def stage_zip(archive, target):
    """Extract the notebook(s) and the library's .py files of ``archive`` into ``target``."""
    archive = pathlib.Path(archive)
    info = os.lstat(archive)
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{printable(archive.name)} is not a regular file")
    if info.st_size > LIMITS["archive_bytes"]:
        raise Refused(f"the zip is {info.st_size >> 20} MB; at most {LIMITS['archive_bytes'] >> 20} MB is accepted")
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = zf.infolist()
            if len(entries) > LIMITS["entries"]:
                raise Refused(f"the zip holds {len(entries)} entries; at most {LIMITS['entries']} are accepted")
            total = sum(e.file_size for e in entries)
            if total > LIMITS["total_bytes"]:
                raise Refused(f"the zip would unpack to {total >> 20} MB; at most "
                              f"{LIMITS['total_bytes'] >> 20} MB is accepted (a zip bomb?)")
            named = []
            for e in entries:
                parts = entry_parts(e.filename)
                kind = stat.S_IFMT(e.external_attr >> 16) if e.create_system == 3 else 0
                if kind == stat.S_IFLNK:
                    raise Refused(f"the zip holds a symbolic link ({printable(e.filename, 120)}); "
                                  "submit regular files")
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    raise Refused(f"the zip holds a special file ({printable(e.filename, 120)})")
                named.append((parts, e))
            prefix = _root_prefix([p for p, _ in named])
            for parts, e in named:
                if e.is_dir() or parts[:len(prefix)] != prefix:
                    continue
                inner = parts[len(prefix):]
                if not _wanted(inner, None):
                    continue
                limit = LIMITS["notebook_bytes"] if len(inner) == 1 else LIMITS["file_bytes"]
                if e.file_size > limit:
                    raise Refused(f"{printable('/'.join(inner), 120)} is larger than {limit >> 20} MB")
                path = target.joinpath(*inner)
                path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(e) as source:  # reads at most the declared size, then checks the CRC
                    _copy_stream(source, path, limit, printable("/".join(inner), 120))
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
            ValueError, OSError, UnicodeError) as exc:  # corrupt, encrypted, unsupported compression, ...
        raise Refused(f"the zip cannot be read ({type(exc).__name__}: {printable(exc, 160)})") from None


def stage_folder(folder, target):
    """Copy the notebook(s) and the library's .py files of ``folder`` into ``target``."""
    folder = pathlib.Path(folder)
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise Refused(f"{printable(folder.name)} is a symbolic link or not a folder")
    entries, total = 0, 0
    for here, dirs, files in os.walk(folder):
        relative = pathlib.Path(here).relative_to(folder).parts
        dirs[:] = sorted(d for d in dirs if d not in JUNK)
        entries += len(dirs) + len(files)
        if entries > LIMITS["entries"]:
            raise Refused(f"the submission holds more than {LIMITS['entries']} files")
        if len(relative) >= LIMITS["depth"]:
            dirs[:] = []
        for name in sorted(files) + list(dirs):
            parts = (*relative, name)
            full = os.path.join(here, name)
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                raise Refused(f"the submission holds a symbolic link ({printable('/'.join(parts), 120)}); "
                              "submit regular files")
            if name in dirs or not _wanted(parts, None):
                continue
            if not stat.S_ISREG(mode):
                raise Refused(f"{printable('/'.join(parts), 120)} is not a regular file")
            limit = LIMITS["notebook_bytes"] if len(parts) == 1 else LIMITS["file_bytes"]
            path = target.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as source:
                _copy_stream(source, path, limit, printable("/".join(parts), 120))
            total += path.stat().st_size
            if total > LIMITS["total_bytes"]:
                raise Refused(f"the submission's notebook and library exceed {LIMITS['total_bytes'] >> 20} MB")


def stage(source, target):
    """A private copy of submission ``source`` (zip or folder) in the new folder ``target``."""
    target = pathlib.Path(target)
    target.mkdir(mode=0o700, parents=True)
    try:
        if os.path.isdir(source) and not os.path.islink(source):
            stage_folder(source, target)
        else:
            stage_zip(source, target)
    except OSError as exc:  # a name the file system will not take, a file that vanished, ...
        raise Refused(f"the submission cannot be read ({type(exc).__name__}: {printable(exc, 160)})") from None
    return target


# -- the layout contract ------------------------------------------------------------------
def notebooks(folder):
    return sorted(p.name for p in pathlib.Path(folder).glob("*.ipynb"))


def guess_assignment(folder):
    """The assignment a staged submission is for, from its one NN_topic.ipynb, or None."""
    found = [n[:-len(".ipynb")] for n in notebooks(folder) if ASSIGNMENT.match(n[:-len(".ipynb")])]
    return found[0] if len(found) == 1 else None


def check_layout(folder, assignment):
    """Refused unless the staged ``folder`` holds ``<assignment>.ipynb`` (a notebook) and cs231n_lib/."""
    folder = pathlib.Path(folder)
    notebook = folder / f"{assignment}.ipynb"
    problems = []
    if not notebook.is_file():
        found = notebooks(folder)
        problems.append(f"no {assignment}.ipynb at the submission's root"
                        + (f" (found {', '.join(printable(n, 80) for n in found[:3])})" if found else ""))
    else:
        try:
            content = json.loads(notebook.read_bytes())
        except (ValueError, UnicodeError) as exc:
            problems.append(f"{assignment}.ipynb is not a notebook (not JSON: {printable(exc, 100)})")
        else:
            if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
                problems.append(f"{assignment}.ipynb is not a notebook (no list of cells)")
    if not (folder / LIBRARY / "__init__.py").is_file():
        problems.append(f"no {LIBRARY}/__init__.py at the submission's root (submit your whole {LIBRARY} folder "
                        f"beside the notebook)")
    if problems:
        raise Refused("wrong layout: " + "; ".join(problems) + f". Expected {assignment}.ipynb and "
                      f"{LIBRARY}/ at the root of the zip or folder")


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
