"""Write the trusted grader's scores into nbgrader's gradebook.

``nbgrader autograde`` runs each student's notebook in a kernel where the student's own
cells run too, so a notebook can redefine ``check`` and pass every test cell. After
autograde, ``python -m autograder sync-gradebook ASSIGNMENT`` grades each submitted
library with ``autograder grade`` (separate process, comparisons here) and puts those
scores on the matching graded cells, so nbgrader's gradebook, formgrader and feedback
show the score that counts. Every cell whose score changes is reported. It also writes
the trusted verdict (the points, and for a failure the reason) as the output of each
graded cell of the autograded notebook, which ``nbgrader generate_feedback`` shows the
student (see ``feedback``).
"""

import pathlib

from . import feedback
from .. import grading


def sync(course, assignment, solutions=None, log=print):
    """Grade every autograded submission of ``assignment``; returns {student: [changes]}."""
    from nbgrader.api import Gradebook, MissingEntry

    course = pathlib.Path(course)
    solutions = pathlib.Path(solutions or course / "solutions")
    checks = {c.name for c in grading.load_checks(grading.hidden_checks_dir(solutions)).values()
              if c.assignment == assignment}
    submitted = sorted(p for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
    if not submitted:
        raise FileNotFoundError(f"no submissions of {assignment} in {course / 'submitted'}")
    changes = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for folder in submitted:
            student = folder.parent.name
            # The submitted copy, not the autograded one: notebook cells ran beside that.
            lib = folder / "cs231n_lib"
            missing = "not graded"
            if not (lib / "__init__.py").is_file():
                results = {"tests": []}
                missing = "no cs231n_lib/ folder (with its __init__.py) was submitted beside the notebook"
                log(f"{student}: no cs231n_lib in the submission; every check scores 0")
            else:
                results = grading.grade(lib, [assignment], solutions=solutions)
            tests = {t["name"]: t for t in results["tests"]}
            scores = {name: t["score"] for name, t in tests.items()}
            try:
                notebook = gb.find_submission_notebook(assignment, assignment, student)
            except MissingEntry:
                log(f"{student}: not autograded yet (run nbgrader autograde {assignment} first); skipped")
                continue
            autograded = course / "autograded" / student / assignment / f"{assignment}.ipynb"
            if autograded.is_file() and not autograded.is_symlink():
                feedback.annotate(autograded, tests, checks, missing)
            changes[student] = []
            for grade in notebook.grades:
                if grade.name not in checks:
                    continue  # written answers are graded by hand
                ours = scores.get(grade.name, 0)
                if grade.auto_score != ours:
                    changes[student].append((grade.name, grade.auto_score, ours))
                    grade.auto_score = ours
                    grade.needs_manual_grade = False
            gb.db.commit()
            for name, before, after in changes[student]:
                log(f"{student}: {name}: nbgrader gave {before}, the grader gives {after}")
    return changes
