"""The one nbgrader course the nbgrader tests share, and how they drive it.

``fresh_clone`` lays a folder out like a fresh clone of the course (the autograder,
solutions/, the committed release, nbgrader_config.py, ``.venv`` pointing at this Python);
``release`` runs the README's first instructor command in it, as written: the only course
build of the session (``conftest.released_course``). Each test module then works on a copy
(``copy_course``), which costs milliseconds.

Executing notebooks is what costs, so ``trimmed`` submits a notebook as a student who
deleted every cell of their own (experiments, plots): what is left is the setup cell, the
written answers and every graded cell, which nbgrader runs exactly as in the full notebook.
The full notebooks run in test_exchange's round.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLONE_FOLDERS = ("autograder", "solutions", "assignments", "cs231n_lib")
CLONE_FILES = ("nbgrader_config.py", ".release-manifest.json")


def readme_commands(marker):
    """The lines of the README's bash block that contains ``marker``, comments left out."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    block = next(b for b in blocks if marker in b)
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


INSTRUCTOR = readme_commands("nbgrader release_assignment")
STUDENT = readme_commands("nbgrader fetch_assignment")


def run(command, cwd, env):
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"`{command}` failed in {cwd}:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def environment(tmp):
    """The instructor's (and students') environment: this Python's scripts first, private Jupyter folders."""
    env = {**os.environ, "PATH": os.path.join(sys.prefix, "bin") + os.pathsep + os.environ.get("PATH", ""),
           "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"), "JUPYTER_DATA_DIR": str(tmp / "jupyter-data")}
    for name in ("NBGRADER_EXECUTION", "CS231N_SOLUTIONS", "CS231N_UNSANDBOXED_KERNELS", "PYTHONPATH"):
        env.pop(name, None)
    return env


def fresh_clone(course):
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in CLONE_FOLDERS:
        shutil.copytree(ROOT / name, course / name, ignore=ignore)
    for name in CLONE_FILES:
        shutil.copy(ROOT / name, course / name)
    (course / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return course


def release(course, env):
    """The README's first instructor command (``autograder release``), as written; its output."""
    return run(INSTRUCTOR[0], course, env)


def copy_course(course, target):
    return pathlib.Path(shutil.copytree(course, target, symlinks=True))


def trimmed(notebook):
    """``notebook`` (a path) with only the cells nbgrader knows (setup, answers, graded checks)."""
    nb = json.loads(pathlib.Path(notebook).read_text())
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader")]
    pathlib.Path(notebook).write_text(json.dumps(nb, indent=1))


def insert_cell(notebook, source, index=1):
    """Add a student's code cell ``source`` to ``notebook`` (after the setup cell by default)."""
    nb = json.loads(pathlib.Path(notebook).read_text())
    nb["cells"].insert(index, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                               "source": source})
    pathlib.Path(notebook).write_text(json.dumps(nb, indent=1))


def submit(course, student, assignment, lib, trim=True):
    """``student`` hands in the released notebook of ``assignment`` and the library ``lib``."""
    from autograder.course import nbcourse

    folder = nbcourse.add_submission(course, student, assignment, lib)
    if trim:
        trimmed(folder / f"{assignment}.ipynb")
    return folder


def autograde_all(course, env):
    """One ``nbgrader autograde`` process for every assignment (as ``nbcourse.ASSIGNMENT_GLOB``)."""
    from autograder.course import nbcourse

    return run(f".venv/bin/nbgrader autograde '{nbcourse.ASSIGNMENT_GLOB}' --force", course, env)
