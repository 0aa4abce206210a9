"""The real nbgrader, run as an instructor runs it, agrees with ``autograder grade``.

A temporary course folder gets the instructor's source; ``nbgrader generate_assignment``
releases it; students submit the released notebooks with a library each, and ``nbgrader
autograde`` grades them. Every graded cell's score must equal the score of the check with
the same name, and the student's own library must be what ran.

Executing whole notebooks is the slow part, so each student submits only the notebooks
where it adds something:

* ``alternatives0``, ``alternatives1``, ...: every ``ALTERNATIVES`` entry of the hidden
  checks, packed so that no library replaces a function twice: correct code written the
  ways students write it gets full marks through nbgrader too, including a textbook
  sigmoid whose numpy warnings must cost nothing. Each notebook is submitted with the
  alternatives of its own functions only, so that slow loops written for notebook 00 do
  not slow down the training experiments of the others;
* ``stubs``: the untouched stubs score zero, so no graded cell passes by itself (every
  notebook);
* ``buggy``: the demo's realistic bugs lose exactly the points the grader takes (the
  notebooks they break);
* ``tamper``: the stubs with a notebook cell that disarms ``check``: nbgrader gives full
  marks, and ``sync-gradebook`` puts the trusted scores (zero) in the gradebook (one
  notebook: the trick is the same in every one).
"""

import filecmp
import json
import shutil

import pytest

from conftest import REFERENCE_LIB, SOLUTIONS, STUB_LIB
from autograder import grading, mutation
from autograder.course import demo, gradebook
from autograder.course import nbcourse as course

ASSIGNMENTS = course.assignment_ids(SOLUTIONS)
CHECKS = grading.load_checks(grading.hidden_checks_dir())
BUGS = [m for m in mutation.load_mutants(SOLUTIONS / "hidden_checks") if m.name in demo.DEMO_BUGS]


def checks_of(assignment):
    return {name: c for name, c in CHECKS.items() if c.assignment == assignment}


def alternatives_for(pack, assignment):
    """The alternatives of ``pack`` that replace functions the checks of ``assignment`` tag."""
    tags = {tag for c in checks_of(assignment).values() for tag in c.tags}
    return [a for a in pack if set(a.qualnames) & tags]


ALTERNATIVES = mutation.load_alternatives(SOLUTIONS / "hidden_checks")
PACKS = {f"alternatives{i}": pack for i, pack in enumerate(mutation.packs(ALTERNATIVES))}
SUBMITS = {  # student -> the notebooks it submits
    **{student: [a for a in ASSIGNMENTS if alternatives_for(pack, a)] for student, pack in PACKS.items()},
    "stubs": ASSIGNMENTS,
    "buggy": sorted({CHECKS[name].assignment for m in BUGS for name in m.breaks}),
}
SUBMITS = {student: assignments for student, assignments in SUBMITS.items() if assignments}
ALTERNATIVE_STUDENTS = [student for student in PACKS if student in SUBMITS]
TAMPERED = ASSIGNMENTS[:1]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = course.make_course(tmp_path_factory.mktemp("course"), SOLUTIONS)
    libs_dir = tmp_path_factory.mktemp("libs")
    buggy = demo.buggy_library(SOLUTIONS, libs_dir / "buggy" / "cs231n_lib")
    libs = {}  # (student, assignment) -> the library submitted with that notebook
    for student, assignments in SUBMITS.items():
        for assignment in assignments:
            if student in PACKS:
                lib = mutation.apply_alternatives(REFERENCE_LIB, libs_dir / student / assignment / "cs231n_lib",
                                                  alternatives_for(PACKS[student], assignment))
            else:
                lib = {"stubs": STUB_LIB, "buggy": buggy}[student]
            libs[student, assignment] = lib
            course.add_submission(folder, student, assignment, lib)
    for assignment in TAMPERED:  # untouched stubs, and a notebook cell that disarms check()
        notebook = course.add_submission(folder, "tamper", assignment, STUB_LIB) / f"{assignment}.ipynb"
        nb = json.loads(notebook.read_text())
        nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                               "source": "check = lambda name: None"})
        notebook.write_text(json.dumps(nb))
    for assignment in ASSIGNMENTS:
        course.autograde(folder, assignment)
    submissions_of = {}  # library -> the (student, assignment) pairs it was submitted with
    for key, lib in libs.items():
        submissions_of.setdefault(lib, []).append(key)
    ours = {}  # (student, assignment) -> {check: score} from autograder grade
    for lib, keys in submissions_of.items():
        results = grading.grade(lib, assignments=sorted({assignment for _, assignment in keys}))
        for student, assignment in keys:
            ours[student, assignment] = {t["name"]: t["score"] for t in results["tests"]
                                         if t["assignment"] == assignment}
    return folder, libs, ours


def nbgrader_check_scores(folder, assignment, student):
    return {name: score for name, score in course.nbgrader_scores(folder, assignment, student).items()
            if not name.startswith("q_")}  # q_*: written answers, graded by hand


@pytest.mark.parametrize("student", sorted(SUBMITS))
def test_nbgrader_scores_equal_autograder_scores(graded, student):
    folder, _, ours = graded
    for assignment in SUBMITS[student]:
        assert nbgrader_check_scores(folder, assignment, student) == ours[student, assignment], assignment


def test_every_alternative_gets_full_marks_through_nbgrader(graded):
    folder, _, _ = graded
    for student in ALTERNATIVE_STUDENTS:
        for assignment in SUBMITS[student]:
            full = {name: c.points for name, c in checks_of(assignment).items()}
            assert nbgrader_check_scores(folder, assignment, student) == full, (student, assignment)
    submitted = {a.name for student in ALTERNATIVE_STUDENTS for assignment in SUBMITS[student]
                 for a in alternatives_for(PACKS[student], assignment)}
    released = {a.name for a in ALTERNATIVES if any(alternatives_for([a], x) for x in ASSIGNMENTS)}
    assert submitted == released  # each alternative with a notebook went with it


def test_the_examples_span_the_range(graded):
    _, _, ours = graded
    for assignment in SUBMITS["buggy"]:
        total = {student: sum(ours[student, assignment].values()) for student in SUBMITS
                 if assignment in SUBMITS[student]}
        most = sum(c.points for c in checks_of(assignment).values())
        assert total["stubs"] == 0 < total["buggy"] < most, assignment
        assert all(total[student] == most for student in ALTERNATIVE_STUDENTS if student in total), assignment


def test_the_students_own_library_is_what_got_graded(graded):
    folder, libs, _ = graded
    for (student, assignment), lib in libs.items():
        graded_lib = folder / "autograded" / student / assignment / "cs231n_lib"
        comparison = filecmp.dircmp(lib, graded_lib, ignore=["__pycache__"])
        assert not comparison.diff_files and not comparison.left_only, (student, assignment)


def test_a_notebook_can_fool_nbgrader_but_the_gradebook_sync_restores_the_truth(graded, tmp_path):
    folder, _, ours = graded
    copy = shutil.copytree(folder, tmp_path / "course")
    for assignment in TAMPERED:
        fooled = nbgrader_check_scores(copy, assignment, "tamper")
        assert fooled and all(score > 0 for score in fooled.values())
        changes = gradebook.sync(copy, assignment, SOLUTIONS, log=lambda *_: None)
        assert changes["tamper"] and not any(changes[s] for s in changes if s != "tamper")
        synced = nbgrader_check_scores(copy, assignment, "tamper")
        assert synced == {name: 0 for name in ours["stubs", assignment]}
