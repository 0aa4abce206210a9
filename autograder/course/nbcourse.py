"""A throw-away nbgrader course folder, driven exactly as an instructor drives nbgrader.

Used by release, the nbgrader tests and the grading benchmark: ``make_course`` releases
with ``nbgrader generate_assignment`` (which also records every assignment in the
course's gradebook), ``add_submission`` lays out
submitted/<student>/<assignment>/{notebook, cs231n_lib/}, ``autograde`` runs
``nbgrader autograde``, and ``nbgrader_scores`` reads the gradebook.
"""

import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys

ROOT_CONFIG = pathlib.Path(__file__).resolve().parents[2] / "nbgrader_config.py"
ASSIGNMENT_DIR = re.compile(r"^\d\d_\w+$")
ASSIGNMENT_GLOB = "[0-9][0-9]_*"  # the same folders, as nbgrader matches them: one process for all
GRADEBOOK = "gradebook.db"  # nbgrader's default database, in the course folder


class NbgraderError(Exception):
    pass


def assignment_ids(solutions):
    """The assignments of a source folder: its NN_topic subfolders."""
    return sorted(p.name for p in pathlib.Path(solutions).iterdir() if p.is_dir() and ASSIGNMENT_DIR.match(p.name))


def nbgrader(course, *args):
    # nbgrader calls the `alembic` command of its environment: put that environment's
    # scripts first on PATH even when this Python was started by its full path.
    scripts = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def copy_gradebook(source, target):
    """Copy the sqlite database ``source`` onto ``target`` in one transaction (sqlite's backup),
    so that a reader of ``target`` sees the old gradebook or the new one, never half of each."""
    src = sqlite3.connect(pathlib.Path(source).resolve().as_uri() + "?mode=ro", uri=True)  # never creates it
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def make_course(folder, solutions, gradebook=None):
    """Copy the instructor's source into ``folder`` and generate every assignment there.

    ``nbgrader generate_assignment`` records each assignment, its notebooks and graded
    cells in ``folder/gradebook.db``; with ``gradebook`` (an existing course's gradebook)
    it starts from a copy of that one, so nbgrader updates it as it would the course's own
    (refusing, for example, to remove cells that have submissions)."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT_CONFIG, folder / "nbgrader_config.py")
    shutil.copytree(solutions, folder / "solutions", ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    if gradebook is not None and pathlib.Path(gradebook).is_file():
        copy_gradebook(gradebook, folder / GRADEBOOK)
    expected = assignment_ids(folder / "solutions")
    if expected:
        nbgrader(folder, "generate_assignment", ASSIGNMENT_GLOB, "--force")
    released = assignment_ids(folder / "assignments") if (folder / "assignments").is_dir() else []
    if released != expected:
        raise NbgraderError(f"nbgrader generate_assignment released {', '.join(released) or 'nothing'}; "
                            f"expected {', '.join(expected)}")
    return folder


def add_submission(course, student, assignment, lib):
    """Submit the released notebook with the library ``lib`` as ``student``'s work."""
    target = pathlib.Path(course) / "submitted" / student / assignment
    shutil.copytree(pathlib.Path(course) / "assignments" / assignment, target)
    shutil.copytree(lib, target / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def autograde(course, assignment, student=None):
    args = ["autograde", assignment, "--force"] + ([f"--student={student}"] if student else [])
    return nbgrader(course, *args)


def nbgrader_scores(course, assignment, student):
    """{grade cell name: auto score} of one autograded notebook, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{pathlib.Path(course) / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: g.auto_score for g in notebook.grades}
