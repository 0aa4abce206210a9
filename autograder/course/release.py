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
import hashlib
import json
import pathlib
import re
import shutil
import tempfile
import textwrap

from . import nbcourse as course
from ..registry import load_checks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


MANIFEST = ".release-manifest.json"
FOLDERS = ("cs231n_lib", "assignments")
IGNORED = {"__pycache__", ".ipynb_checkpoints"}  # caches and JupyterLab's own copies: never released, never removed


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


# --- What a student could lose: functions of a module, cell sources of a notebook ----------

HEADER = re.compile(r"(?:async\s+def|def|class)\s+(\w+)")
STUB_LINE = re.compile(r'^\s*(# TODO \(\w+\): implement \w+\.|raise NotImplementedError\("[\w.]+: implement it, see '
                       r'notebook \w+"\))\s*$')
OUTSIDE = ""  # the unit name of a module's code outside its functions and classes


def _indent(line):
    return len(line) - len(line.lstrip())


def _closes(lines, i, col):
    """Does line i (not blank, indented at most ``col``) end a block opened at ``col``? A comment
    only does when the code after it is not indented deeper."""
    if not lines[i].lstrip().startswith("#"):
        return True
    later = next((l for l in lines[i + 1:] if l.strip() and not l.lstrip().startswith("#")), None)
    return later is None or _indent(later) <= col


def _split(lines, col, prefix, units):
    """Put each function (and each method, as Class.method) of ``lines`` into ``units``; return the rest."""
    rest, i = [], 0
    while i < len(lines):
        line = lines[i]
        header = HEADER.match(line.strip()) if line.strip() and _indent(line) == col else None
        if not header:
            rest.append(line)
            i += 1
            continue
        start = len(rest)
        while start and rest[start - 1].strip().startswith("@") and _indent(rest[start - 1]) == col:
            start -= 1  # decorators belong to what they decorate
        head = rest[start:] + [line]
        del rest[start:]
        j = i + 1
        while j < len(lines) and not (lines[j].strip() and _indent(lines[j]) <= col and _closes(lines, j, col)):
            j += 1
        body, name = lines[i + 1:j], prefix + header.group(1)
        if line.lstrip().startswith("class"):
            inner = [l for l in body if l.strip() and not l.lstrip().startswith("#")]
            body = _split(body, _indent(inner[0]), name + ".", units) if inner else body
        units[name] = "\n".join(l.rstrip() for l in head + body if l.strip())
        i = j
    return rest


def python_units(text):
    """{name: text} of every function, method ('Class.method') and class (its lines outside
    its methods) of a module, plus OUTSIDE for the code around them. Split line by line, so a
    module that does not parse (a student mid-edit) still splits; blank lines and trailing
    spaces are not part of any text."""
    units = {}
    rest = _split(text.splitlines(), 0, "", units)
    units[OUTSIDE] = "\n".join(l.rstrip() for l in rest if l.strip())
    return units


def _cell_source(cell):
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    return "\n".join(l.rstrip() for l in source.splitlines() if l.strip())


def notebook_cells(path):
    """[(number, cell, its normalized source)] of a notebook's cells, numbered from 1, blank
    cells left out; None if it is not a readable notebook."""
    try:
        cells = json.loads(pathlib.Path(path).read_text())["cells"]
        return [(i, c, _cell_source(c)) for i, c in enumerate(cells, 1) if _cell_source(c)]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(path):
    """What the manifest records of a released file: only what a student could lose in it."""
    path = pathlib.Path(path)
    if path.suffix == ".py":
        return {name: _hash(text) for name, text in python_units(path.read_text(errors="replace")).items()}
    if path.suffix == ".ipynb":
        cells = notebook_cells(path)
        if cells is not None:
            return [f"{c['cell_type']} {_hash(source)}" for _, c, source in cells]
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _names(names):
    return ", ".join("code outside functions" if n == OUTSIDE else n for n in names)


def _first_line(text, width=50):
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def _cells(numbered):
    return ", ".join(f'cell {i} ("{_first_line(source)}")' for i, source in numbered)


def lost_since_release(path, recorded):
    """What overwriting ``path`` would lose, given the manifest's ``recorded`` fingerprint of
    it; None when it is unchanged since it was released."""
    path = pathlib.Path(path)
    if fingerprint(path) == recorded:
        return None
    if path.suffix == ".py" and isinstance(recorded, dict):
        units = python_units(path.read_text(errors="replace"))
        changed = [n for n, text in units.items() if recorded.get(n) != _hash(text)]
        removed = [n for n in recorded if n not in units]
        if changed:
            return f"{_names(changed)} would be lost"
        return f"{_names(removed)} deleted since the last release (release would restore them)"
    if path.suffix == ".ipynb" and isinstance(recorded, list):
        cells = notebook_cells(path)
        if cells is None:
            return "not a readable notebook any more; all of it would be replaced"
        known = {entry.split(" ", 1)[1] for entry in recorded}
        new = [(i, source) for i, c, source in cells if _hash(source) not in known]
        if new:
            return f"{len(new)} cell(s) would be lost: {_cells(new)}"
        return "cells deleted or moved since the last release (release would restore them)"
    return "changed since the last release; it would be replaced"


def _body(function):
    """The lines of a function's text after its signature and docstring, stub lines left out;
    None when it does not parse (then it is certainly not the stub)."""
    try:
        tree = ast.parse(textwrap.dedent(function))
    except SyntaxError:
        return None
    node = tree.body[0]
    statements = node.body[1:] if ast.get_docstring(node) is not None else node.body
    if not statements:
        return []
    lines = textwrap.dedent(function).splitlines()[statements[0].lineno - 1:]
    return [line for line in lines if not STUB_LINE.match(line)]


def lost_without_record(path, generated):
    """No manifest (released by an older kit): what overwriting ``path`` with the newly
    ``generated`` file would lose, judged safely: a stubbed function whose body (after its
    docstring) is no longer the stub, an edited answer cell, an added function or cell.
    Other changes (docstrings, the notebook's text) are taken for the instructor's. None
    when nothing would be lost."""
    path, generated = pathlib.Path(path), pathlib.Path(generated)
    if path.read_bytes() == generated.read_bytes():
        return None
    if path.suffix == ".py":
        new, old = python_units(generated.read_text()), python_units(path.read_text(errors="replace"))
        stubbed = [n for n, text in new.items() if any(STUB_LINE.match(line) for line in text.splitlines())]
        implemented = [n for n in stubbed if n in old and _body(old[n]) != _body(new[n])]
        added = [n for n in old if n not in new]
        return f"{_names(implemented + added)} would be lost" if implemented or added else None
    if path.suffix == ".ipynb":
        cells, fresh = notebook_cells(path), notebook_cells(generated)
        if cells is None:
            return "not a readable notebook; all of it would be replaced"

        def key(cell):
            return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")

        answers = {key(c) for _, c, _ in fresh if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        keys, sources = {key(c) for _, c, _ in fresh}, {source for _, _, source in fresh}
        lost = [(i, source) for i, c, source in cells
                if source not in sources and (key(c) in answers or key(c) not in keys)]
        return f"{len(lost)} cell(s) would be lost: {_cells(lost)}" if lost else None
    return None


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

def released_files(out):
    """Paths (relative to ``out``) of the files in the released folders, caches left out."""
    out = pathlib.Path(out)
    files = [p.relative_to(out) for folder in FOLDERS if (out / folder).is_dir() for p in (out / folder).rglob("*")]
    return sorted(rel.as_posix() for rel in files if (out / rel).is_file() and not IGNORED & set(rel.parts))


def read_manifest(out):
    """{relative path: fingerprint} of what release wrote last into ``out``; None if unknown."""
    try:
        return json.loads((pathlib.Path(out) / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
