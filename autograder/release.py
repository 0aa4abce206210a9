"""Release: generate the student material from the instructor's single source.

* ``cs231n_lib/``: each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of the
  reference library becomes a uniform stub naming the notebook and the function; the rest
  (signatures, docstrings, provided code) is copied as it is.
* ``assignments/``: the master notebooks go through the real ``nbgrader generate_assignment``
  in a temporary course folder, which strips solution cells and hidden tests.
"""

import ast
import pathlib
import shutil
import tempfile

from . import course
from .registry import load_checks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class ReleaseError(Exception):
    pass


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


def release_notebooks(solutions, target):
    """Run nbgrader generate_assignment for every assignment; write them under ``target``."""
    for assignment in course.assignment_ids(solutions):
        if (solutions / assignment / "cs231n_lib").exists():
            raise ReleaseError(f"{solutions / assignment} holds a cs231n_lib: nbgrader autograde would "
                               "replace each student's library with it; keep it in solutions/cs231n_lib")
    with tempfile.TemporaryDirectory(prefix="cs231n-release-") as tmp:
        try:
            released = course.make_course(tmp, solutions) / "assignments"
        except course.NbgraderError as exc:
            raise ReleaseError(str(exc)) from None
        if target.exists():
            shutil.rmtree(target)
        released.mkdir(exist_ok=True)
        shutil.copytree(released, target)


def release(solutions, out, log=print):
    """Regenerate ``out/cs231n_lib`` and ``out/assignments`` from ``solutions``."""
    solutions, out = pathlib.Path(solutions), pathlib.Path(out)
    release_library(solutions / "cs231n_lib", out / "cs231n_lib")
    log(f"wrote {out / 'cs231n_lib'} (stubs)")
    release_notebooks(solutions, out / "assignments")
    log(f"wrote {out / 'assignments'} ({', '.join(course.assignment_ids(solutions))})")
