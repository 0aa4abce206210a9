"""Release: generate the student material from the instructor's single source.

* ``cs231n_lib/``: each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of the
  reference library becomes a uniform stub naming the notebook and the function; the rest
  (signatures, docstrings, provided code) is copied as it is.
* ``assignments/``: the master notebooks go through the real ``nbgrader generate_assignment``
  in a temporary course folder, which strips solution cells and hidden tests.
* ``gradebook.db``: nbgrader's gradebook, in a course folder (one with ``nbgrader_config.py``,
  as a clone of this repository). generate_assignment records
  every assignment there (its notebooks, graded cells and their hidden tests), which
  ``nbgrader autograde`` needs; it runs on a copy of the course's gradebook, which
  replaces the gradebook once the release is written, so nbgrader's own rules apply (it
  refuses to add or remove cells of a notebook that has submissions) and a refused
  release changes nothing.

Release never silently overwrites work. Everything is generated into a temporary folder
first; ``.release-manifest.json`` beside the released folders records what release wrote
last (a hash per function of every module, per cell source of every notebook). A released
file that differs from that record (a student implemented a function, answered a question,
added a cell) is refused, naming what would be lost, and nothing is written unless
``force``. Outputs, execution counts and the metadata JupyterLab writes when a notebook is
merely opened or run are not work and never count. Without a record (a checkout released
before the manifest existed) release compares with what it would generate and refuses when
a stubbed function is no longer the stub, an answer cell was edited, or a function or cell
was added.
"""

import ast
import json
import pathlib
import shutil
import tempfile

from . import nbcourse as course
from ..registry import load_checks
from .work import (HEADER, OUTSIDE, STUB_LINE, fingerprint, lost_since_release, lost_without_record,  # noqa: F401
                   notebook_cells, python_units, MANIFEST, FOLDERS, IGNORED, released_files, read_manifest)

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class ReleaseError(Exception):
    pass


class ReleaseRefused(ReleaseError):
    """Released files hold work that release would overwrite; ``lost`` is [(relative path, what)]."""

    def __init__(self, lost):
        self.lost = lost
        lines = "\n".join(f"  {path}: {what}" for path, what in lost)
        super().__init__(
            f"release would overwrite {len(lost)} file(s) changed since they were released:\n{lines}\n"
            "Nothing was written. Copy your work elsewhere first (or commit it), or run release with --force "
            "to overwrite these files.")


def notebook_of_functions():
    """'module.function' -> the assignment whose visible checks exercise it."""
    owner = {}
    for c in load_checks().values():
        for tag in c.tags:
            owner.setdefault(tag, c.assignment)
    return owner


def solution_regions(lines, path):
    """(begin, end) line indexes of every solution region; unbalanced markers are an error."""
    regions, begin = [], None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise ReleaseError(f"{path}:{i + 1}: {BEGIN} inside another solution region")
            begin = i
        elif marker == END:
            if begin is None:
                raise ReleaseError(f"{path}:{i + 1}: {END} without {BEGIN}")
            regions.append((begin, i))
            begin = None
    if begin is not None:
        raise ReleaseError(f"{path}:{begin + 1}: {BEGIN} is never closed")
    return regions


def stub_module(text, module, owner, path="<source>"):
    """The released text of one library module."""
    lines = text.splitlines(keepends=True)
    regions = solution_regions(lines, path)
    functions = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)]
    out, last = [], 0
    for begin, end in regions:
        inside = [f for f in functions if f.lineno <= begin + 1 <= f.end_lineno]
        if not inside:
            raise ReleaseError(f"{path}:{begin + 1}: a solution region must sit inside a function")
        func = min(inside, key=lambda f: f.end_lineno - f.lineno).name
        qualname = f"{module}.{func}"
        if qualname not in owner:
            raise ReleaseError(f"{path}: {qualname} has a solution region but no check tags it")
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        out += lines[last:begin]
        out.append(f"{indent}# TODO ({owner[qualname]}): implement {func}.\n")
        out.append(f'{indent}raise NotImplementedError("{qualname}: implement it, see notebook {owner[qualname]}")\n')
        last = end + 1
    out += lines[last:]
    return "".join(out)


def release_library(source, target):
    owner = notebook_of_functions()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.py")):
        (target / path.name).write_text(stub_module(path.read_text(), path.stem, owner, path))


def release_notebooks(solutions, target, gradebook=None, gradebook_out=None):
    """Run nbgrader generate_assignment for every assignment; write them under ``target``,
    and the gradebook that knows them (updated from ``gradebook``, if given) to ``gradebook_out``."""
    for assignment in course.assignment_ids(solutions):
        if (solutions / assignment / "cs231n_lib").exists():
            raise ReleaseError(f"{solutions / assignment} holds a cs231n_lib: nbgrader autograde would "
                               "replace each student's library with it; keep it in solutions/cs231n_lib")
    with tempfile.TemporaryDirectory(prefix="cs231n-release-") as tmp:
        try:
            folder = course.make_course(tmp, solutions, gradebook=gradebook)
        except course.NbgraderError as exc:
            raise ReleaseError(str(exc)) from None
        if target.exists():
            shutil.rmtree(target)
        (folder / "assignments").mkdir(exist_ok=True)
        shutil.copytree(folder / "assignments", target)
        if gradebook_out is not None and (folder / course.GRADEBOOK).is_file():
            course.copy_gradebook(folder / course.GRADEBOOK, gradebook_out)


# --- Comparing released notebooks without what opening or running them writes ----------

VOLATILE_NOTEBOOK_METADATA = {"language_info", "widgets", "vscode"}
VOLATILE_CELL_FIELDS = {"outputs", "execution_count"}
VOLATILE_CELL_METADATA = {"execution", "collapsed", "scrolled", "jupyter", "trusted"}


def normalized_notebook(path):
    """A notebook without what JupyterLab writes when it is only opened or run: the kernel's
    ``language_info``, widget state, outputs, execution counts and timings, collapsed/scrolled
    views. What remains (cells, their sources, ids and nbgrader metadata) is the release."""
    nb = json.loads(pathlib.Path(path).read_text())
    for key in VOLATILE_NOTEBOOK_METADATA:
        nb.get("metadata", {}).pop(key, None)
    for cell in nb.get("cells", []):
        for key in VOLATILE_CELL_FIELDS:
            cell.pop(key, None)
        meta = cell.get("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            meta.pop(key, None)
        if meta.get("tags") == []:
            del meta["tags"]
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return nb


def same_release(committed, generated):
    """Is the file ``committed`` what release generated as ``generated``? Notebooks are compared
    without the metadata that opening them in JupyterLab adds (see normalized_notebook)."""
    committed, generated = pathlib.Path(committed), pathlib.Path(generated)
    if committed.suffix == ".ipynb":
        try:
            return normalized_notebook(committed) == normalized_notebook(generated)
        except (ValueError, UnicodeDecodeError):
            return False
    return committed.read_bytes() == generated.read_bytes()


# --- Release -------------------------------------------------------------------------------

def manifest_text(out):
    files = {rel: fingerprint(pathlib.Path(out) / rel) for rel in released_files(out)}
    about = ("Written by `python -m autograder release`: what it generated last, so that it never overwrites "
             "work done since. Generated, like cs231n_lib/ and assignments/; do not edit.")
    return json.dumps({"about": about, "files": files}, indent=1, sort_keys=True) + "\n"


def generate(solutions, staging, gradebook=None):
    """Write the whole release (both folders, the manifest and the gradebook that knows every
    assignment, updated from ``gradebook`` if given) into the empty folder ``staging``."""
    solutions, staging = pathlib.Path(solutions), pathlib.Path(staging)
    release_library(solutions / "cs231n_lib", staging / "cs231n_lib")
    release_notebooks(solutions, staging / "assignments", gradebook, staging / course.GRADEBOOK)
    (staging / MANIFEST).write_text(manifest_text(staging))


def _state(path):
    """What tells whether a file changed meanwhile: None when it is not there."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_size, info.st_mtime_ns


def plan(out, staging):
    """(writes, deletions, lost, kept): the files to write and to delete under ``out``, the
    [(path, what would be lost)] that forbid it, and the files release did not make."""
    recorded, new, here = read_manifest(out), released_files(staging), released_files(out)
    writes, deletions, lost = [], [], []
    for rel in new:
        target = out / rel
        if not target.exists():
            writes.append(rel)
            continue
        if target.read_bytes() == (staging / rel).read_bytes():
            continue
        if recorded is None or rel not in recorded:
            what = lost_without_record(target, staging / rel)
        else:
            what = lost_since_release(target, recorded[rel])
        if what and same_release(target, staging / rel):
            what = None  # already this release (say, opened in JupyterLab since)
        writes.append(rel)
        if what:
            lost.append((rel, what))
    for rel in sorted(set(recorded or ()) - set(new)):
        if (out / rel).is_file():
            deletions.append(rel)
            what = lost_since_release(out / rel, recorded[rel])
            if what:
                lost.append((rel, f"no longer released, so it would be deleted: {what}"))
    kept = [rel for rel in here if rel not in new and rel not in deletions]
    return writes, deletions, lost, kept


def release(solutions, out, force=False, log=print, generated=None):
    """Regenerate ``out/cs231n_lib``, ``out/assignments`` and ``out/.release-manifest.json``
    from ``solutions``. Raises ReleaseRefused, writing nothing, when a released file holds
    work done since the last release, unless ``force``; files release did not make stay.
    ``generated`` is a folder ``generate`` already wrote from ``solutions``, to reuse.

    When ``out`` is an nbgrader course (it holds ``nbgrader_config.py``), its gradebook is
    replaced by the one generated from it, which knows every assignment (with ``generated``,
    made without it, only when the course has no gradebook yet). Other folders (a student
    kit, a demo) get no gradebook: it holds the hidden tests' cells."""
    solutions, out = pathlib.Path(solutions), pathlib.Path(out)
    gradebook = out / course.GRADEBOOK
    record = (out / "nbgrader_config.py").is_file() and not (generated and gradebook.exists())
    with tempfile.TemporaryDirectory(prefix="cs231n-release-") as tmp:
        staging = pathlib.Path(generated) if generated else pathlib.Path(tmp) / "out"
        before = _state(gradebook)
        if not generated:
            generate(solutions, staging, gradebook if before else None)
        writes, deletions, lost, kept = plan(out, staging)
        if lost and not force:
            raise ReleaseRefused(lost)
        if _state(gradebook) != before:
            raise ReleaseError(f"{gradebook} changed while release ran (is nbgrader running?); nothing was "
                               "written: run release again")
        for rel in writes:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staging / rel, out / rel)
        for rel in deletions:
            (out / rel).unlink()
        shutil.copyfile(staging / MANIFEST, out / MANIFEST)
        if record and (staging / course.GRADEBOOK).is_file():  # no assignments, no gradebook
            course.copy_gradebook(staging / course.GRADEBOOK, gradebook)
    for folder in FOLDERS:
        (out / folder).mkdir(parents=True, exist_ok=True)
    for rel, what in lost:
        log(f"overwrote {rel} (--force): {what}")
    for rel in kept:
        log(f"left {out / rel} alone: release did not make it")
    log(f"wrote {out / 'cs231n_lib'} (stubs)")
    recorded = f" and recorded them in nbgrader's {gradebook}" if record else ""
    log(f"wrote {out / 'assignments'} ({', '.join(course.assignment_ids(solutions))}){recorded}")
