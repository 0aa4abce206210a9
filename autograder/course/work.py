"""What a student could lose in a released file: the functions of a module, the cell sources
of a notebook, and their fingerprints in ``.release-manifest.json``. Release uses it to refuse
to overwrite work; the student kit's ``update`` uses it to keep that work while it brings the
rest of a newer kit. It needs nothing but the standard library."""

import ast
import hashlib
import json
import pathlib
import re
import textwrap

MANIFEST = ".release-manifest.json"
FOLDERS = ("cs231n_lib", "assignments")
IGNORED = {"__pycache__", ".ipynb_checkpoints"}  # caches and JupyterLab's own copies: never released, never removed

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
