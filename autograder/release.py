"""Release: generate the student material from the instructor's single source.

* ``cs231n_lib/``: each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of the
  reference library becomes a uniform stub naming the notebook and the function; the rest
  (signatures, docstrings, provided code) is copied as it is.
* ``assignments/``: the master notebooks go through the real ``nbgrader generate_assignment``
  in a temporary course folder, which strips solution cells and hidden tests.
"""

import ast
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from .registry import load_checks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ASSIGNMENT_DIR = re.compile(r"^\d\d_\w+$")


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


def assignment_ids(solutions):
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and ASSIGNMENT_DIR.match(p.name))


def release_notebooks(solutions, target, config):
    """Run nbgrader generate_assignment for every assignment; write them under ``target``."""
    with tempfile.TemporaryDirectory(prefix="cs231n-release-") as tmp:
        course = pathlib.Path(tmp)
        shutil.copy(config, course / "nbgrader_config.py")
        for assignment in assignment_ids(solutions):
            shutil.copytree(solutions / assignment, course / "solutions" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            done = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                 "--log-level=WARN"], cwd=course, capture_output=True, text=True)
            if done.returncode != 0:
                raise ReleaseError(f"nbgrader generate_assignment {assignment} failed:\n{done.stdout}{done.stderr}")
        if target.exists():
            shutil.rmtree(target)
        (course / "assignments").mkdir(exist_ok=True)
        shutil.copytree(course / "assignments", target)


def release(solutions, out, log=print):
    """Regenerate ``out/cs231n_lib`` and ``out/assignments`` from ``solutions``."""
    solutions, out = pathlib.Path(solutions), pathlib.Path(out)
    config = pathlib.Path(__file__).resolve().parents[1] / "nbgrader_config.py"
    release_library(solutions / "cs231n_lib", out / "cs231n_lib")
    log(f"wrote {out / 'cs231n_lib'} (stubs)")
    release_notebooks(solutions, out / "assignments", config)
    log(f"wrote {out / 'assignments'} ({', '.join(assignment_ids(solutions))})")
