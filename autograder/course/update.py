"""python -m autograder update KIT.zip: take a newer student kit without losing any work.

Run inside the kit a student works in (``make update KIT=new.zip``). From the new kit it
brings new notebooks, the new provided code, the new checks and the kit's own files; it
never touches what the student wrote:

* a library module: the new module, with every function (or method) the student changed
  since it was released put back as the student wrote it, and functions the student added
  kept at the end. A module whose code outside functions the student changed (an import),
  or that does not parse, is kept whole.
* a notebook: the new notebook, with every answered question (an nbgrader answer cell,
  matched by its grade id) as the student wrote it. A notebook with other edits (an added
  or changed cell that is not an answer) is kept whole, and the new one is written beside
  it as NAME.kit-new.ipynb.
* the kit's README, Makefile, pyproject.toml, nbgrader_config.py: replaced unless the student changed them.

"Changed" is judged against ``.release-manifest.json`` (what was released last); without
it, a function counts as the student's when it is no longer the stub, and an answer cell
when it differs from the new kit's. It lists what it added, updated and kept, and writes
nothing when the zip is not a student kit.
"""

import ast
import hashlib
import json
import pathlib
import shutil
import tempfile
import zipfile

from . import work
from ..files import write_atomically

KIT_FILES = ("README.md", "Makefile", "pyproject.toml", ".gitignore", "nbgrader_config.py")
KIT_MANIFEST = ".kit-manifest.json"
MAX_KIT_BYTES = 200 << 20


class UpdateError(Exception):
    """The zip is not a usable kit, or this is not a kit folder; nothing was written."""


def unpack(zip_path, into):
    """Extract the kit zip into ``into``; the folder that holds the kit (its manifests)."""
    zip_path, into = pathlib.Path(zip_path), pathlib.Path(into)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = zf.infolist()
            if sum(m.file_size for m in members) > MAX_KIT_BYTES:
                raise UpdateError(f"{zip_path} unpacks to more than {MAX_KIT_BYTES >> 20} MB: not a student kit")
            for m in members:
                parts = pathlib.PurePosixPath(m.filename).parts
                if m.filename.startswith("/") or ".." in parts or "\\" in m.filename:
                    raise UpdateError(f"{zip_path} holds an unsafe path {m.filename!r}: not a student kit")
            zf.extractall(into)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UpdateError(f"cannot read {zip_path} as a zip: {exc}") from None
    found = sorted(p.parent for p in into.rglob(work.MANIFEST) if (p.parent / KIT_MANIFEST).is_file())
    if len(found) != 1:
        raise UpdateError(f"{zip_path} is not a student kit (no folder with {work.MANIFEST} and {KIT_MANIFEST})")
    return found[0]


# --- Which parts of a file are the student's -------------------------------------------------

def student_functions(old_text, new_text, recorded):
    """Names of the units (python_units) of the student's module that are the student's work."""
    old, new = work.python_units(old_text), work.python_units(new_text)
    if isinstance(recorded, dict):
        return {n for n, text in old.items() if recorded.get(n) != work._hash(text)}
    stubbed = {n for n, text in new.items() if any(work.STUB_LINE.match(line) for line in text.splitlines())}
    return {n for n in old if n != work.OUTSIDE and
            ((n in stubbed and work._body(old[n]) != work._body(new[n])) or n not in new)}


def _spans(text):
    """{unit name: (first line, last line), 0-based} of the functions, methods and classes of a
    module (decorators included); raises SyntaxError."""
    spans = {}

    def visit(nodes, prefix):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                spans[prefix + node.name] = (first, node.end_lineno - 1)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, prefix + node.name + ".")

    visit(ast.parse(text).body, "")
    return spans


def merge_module(old_text, new_text, recorded):
    """(merged text or None to keep the student's file whole, [names kept], why kept whole)."""
    mine = student_functions(old_text, new_text, recorded)
    if not mine:
        return new_text, [], None
    if work.OUTSIDE in mine:
        return None, [], "you changed code outside its functions (an import, a constant)"
    try:
        old_spans, new_spans = _spans(old_text), _spans(new_text)
    except SyntaxError:
        return None, [], "it does not parse (yours or the new one)"
    old_lines, new_lines = old_text.splitlines(keepends=True), new_text.splitlines(keepends=True)
    every = set(old_spans) | set(new_spans)
    classes = {n for n in mine if "." not in n and any(k.startswith(n + ".") for k in every)}
    mine_whole = {n.split(".")[0] if n.split(".")[0] in classes else n for n in mine}  # a changed class goes whole
    replace = sorted((n for n in mine_whole if n in new_spans and n in old_spans), key=lambda n: -new_spans[n][0])
    for name in replace:
        a, b = new_spans[name]
        c, d = old_spans[name]
        new_lines[a:b + 1] = old_lines[c:d + 1]
    added = [n for n in sorted(mine_whole - set(new_spans), key=lambda n: old_spans.get(n, (0,))[0])
             if n in old_spans and "." not in n]
    for name in added:
        c, d = old_spans[name]
        if new_lines and not new_lines[-1].endswith("\n"):
            new_lines[-1] += "\n"
        new_lines += ["\n", "\n"] + old_lines[c:d + 1]
    unplaced = [n for n in mine_whole if n not in old_spans or ("." in n and n not in new_spans)]
    if unplaced:
        return None, [], f"it has changes the new version has no place for ({', '.join(sorted(unplaced))})"
    merged = "".join(new_lines)
    try:
        ast.parse(merged)
    except SyntaxError:
        return None, [], "your functions do not fit the new version"
    return merged, sorted(replace) + added, None


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def merge_notebook(old_path, new_path, recorded):
    """(merged notebook text or None to keep the student's whole, [grade ids kept], why kept whole)."""
    old_cells, new_cells = work.notebook_cells(old_path), work.notebook_cells(new_path)
    if old_cells is None or new_cells is None:
        return None, [], "it is not a readable notebook"
    new_by_id = {_grade_id(c): source for _, c, source in new_cells if _grade_id(c)}
    if isinstance(recorded, list):
        known = {entry.split(" ", 1)[1] for entry in recorded}
        changed = [(c, source) for _, c, source in old_cells if work._hash(source) not in known]
    else:  # no record: only answers that differ from the new kit's count as the student's
        changed = [(c, source) for _, c, source in old_cells
                   if c.get("metadata", {}).get("nbgrader", {}).get("solution") and _grade_id(c) in new_by_id
                   and new_by_id[_grade_id(c)] != source]
    if not changed:
        return pathlib.Path(new_path).read_text(), [], None
    answers = {_grade_id(c): c for c, _ in changed
               if c.get("metadata", {}).get("nbgrader", {}).get("solution") and _grade_id(c) in new_by_id}
    if len(answers) < len(changed):
        return None, [], "you changed or added cells that are not answers"
    nb = json.loads(pathlib.Path(new_path).read_text())
    nb["cells"] = [answers.get(_grade_id(c), c) if _grade_id(c) else c for c in nb["cells"]]
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n", sorted(answers), None


# --- Update ----------------------------------------------------------------------------------

def _same(path, text):
    """Does the file ``path`` already hold ``text`` (a notebook: the same JSON)?"""
    current = path.read_text(errors="replace")
    if current == text:
        return True
    try:
        return path.suffix == ".ipynb" and json.loads(current) == json.loads(text)
    except ValueError:
        return False


def _plan_released(root, new):
    """[(relative path, text or bytes to write, or None to leave it)] and the report's lines."""
    recorded = work.read_manifest(root) or {}
    writes, said = [], []
    for rel in work.released_files(new):
        target, source = root / rel, new / rel
        if not target.exists():
            writes.append((rel, source.read_bytes()))
            said.append(f"added    {rel}")
            continue
        if target.read_bytes() == source.read_bytes():
            continue
        record = recorded.get(rel)
        if record is not None and work.fingerprint(target) == record:
            writes.append((rel, source.read_bytes()))
            said.append(f"updated  {rel}")
            continue
        if rel.endswith(".py"):
            merged, kept, why = merge_module(target.read_text(errors="replace"), source.read_text(), record)
        elif rel.endswith(".ipynb"):
            merged, kept, why = merge_notebook(target, source, record)
        else:
            merged, kept, why = None, [], "you changed it"
        if merged is None:
            if rel.endswith(".ipynb"):
                beside = rel[:-len(".ipynb")] + ".kit-new.ipynb"
                writes.append((beside, source.read_bytes()))
                said.append(f"kept     {rel} whole, as yours: {why}; the new kit's version is {beside}")
            else:
                said.append(f"kept     {rel} whole, as yours: {why}; the new kit's version was not applied")
        elif kept:
            what = "answer(s)" if rel.endswith(".ipynb") else "function(s)"
            names = ", ".join(kept)
            if _same(target, merged):
                said.append(f"kept     {rel}: your {what} {names}; nothing else is new in it")
                continue
            writes.append((rel, merged))
            said.append(f"updated  {rel}, keeping your {what} {names}")
        else:
            writes.append((rel, merged))
            said.append(f"updated  {rel}")
    for rel in sorted(set(recorded) - set(work.released_files(new))):
        if (root / rel).is_file():
            said.append(f"kept     {rel}: the new kit no longer has it")
    return writes, said


def _plan_kit_files(root, new):
    try:
        recorded = json.loads((root / KIT_MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        recorded = {}
    writes, said = [], []
    for name in KIT_FILES:
        target, source = root / name, new / name
        if not source.is_file() or (target.is_file() and target.read_bytes() == source.read_bytes()):
            continue
        if target.is_file() and recorded.get(name) != hashlib.sha256(target.read_bytes()).hexdigest():
            said.append(f"kept     {name}, as you changed it (the new kit's was not applied)")
            continue
        writes.append((name, source.read_bytes()))
        said.append(f"updated  {name}")
    return writes, said


def update(zip_path, root, log=print):
    """Update the kit folder ``root`` from the kit zip ``zip_path``; returns the report's lines."""
    root = pathlib.Path(root)
    if not (root / "cs231n_lib").is_dir() or not (root / "assignments").is_dir():
        raise UpdateError(f"{root} is not a student kit (no cs231n_lib/ and assignments/): run update inside yours")
    with tempfile.TemporaryDirectory(prefix="cs231n-update-") as tmp:
        new = unpack(zip_path, pathlib.Path(tmp))
        writes, said = _plan_released(root, new)
        kit_writes, kit_said = _plan_kit_files(root, new)
        for rel, data in writes + kit_writes:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            mode = (root / rel).stat().st_mode & 0o777 if (root / rel).exists() else None
            write_atomically(root / rel, data, mode=mode)
        if (new / "autograder").is_dir():  # the checks and tools: the kit's own, never the student's
            if (root / "autograder").is_dir():
                shutil.rmtree(root / "autograder")
            shutil.copytree(new / "autograder", root / "autograder",
                            ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(new / work.MANIFEST, root / work.MANIFEST)
        shutil.copyfile(new / KIT_MANIFEST, root / KIT_MANIFEST)
    lines = said + kit_said
    for line in lines:
        log(line)
    kept = sum(1 for line in lines if "keeping your" in line or line.startswith("kept"))
    log(f"updated {root} from {zip_path}: {sum(1 for s in lines if s.startswith('added'))} added, "
        f"{sum(1 for s in lines if s.startswith('updated'))} updated, {kept} holding your work kept as yours")
    return lines
