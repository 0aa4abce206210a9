"""The real nbgrader, run as an instructor runs it, agrees with ``autograder grade``.

A temporary course folder gets the instructor's source; ``nbgrader generate_assignment``
releases it; four students submit the released notebook with a library each (the
reference, the untouched stubs, a buggy one, and a correct one that triggers numpy
warnings); ``nbgrader autograde`` grades them. Every graded cell's score must equal the
score of the check with the same name, and the student's own library must be what ran.
A fifth student submits the stubs with a notebook cell that disarms ``check``: nbgrader
gives full marks, and ``sync-gradebook`` puts the trusted scores (zero) in the gradebook.
"""

import filecmp

import pytest

import json
import shutil

from conftest import REFERENCE_LIB, SOLUTIONS, STUB_LIB, lib_with
from autograder import course, demo, gradebook, grading

ASSIGNMENTS = course.assignment_ids(SOLUTIONS)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = course.make_course(tmp_path_factory.mktemp("course"), SOLUTIONS)
    libs_dir = tmp_path_factory.mktemp("libs")
    libs = {
        "reference": REFERENCE_LIB,
        "stubs": STUB_LIB,
        "buggy": demo.buggy_library(SOLUTIONS, libs_dir / "buggy" / "cs231n_lib"),
        # correct, but overflows in exp for x = -1000: a RuntimeWarning on stderr
        "warns": lib_with(libs_dir / "warns", "activations",
                          "def sigmoid_forward(x):\n    out = 1 / (1 + np.exp(-x))\n    return out, out"),
    }
    for student, lib in libs.items():
        for assignment in ASSIGNMENTS:
            course.add_submission(folder, student, assignment, lib)
    for assignment in ASSIGNMENTS:  # untouched stubs, and a notebook cell that disarms check()
        notebook = course.add_submission(folder, "tamper", assignment, STUB_LIB) / f"{assignment}.ipynb"
        nb = json.loads(notebook.read_text())
        nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                               "source": "check = lambda name: None"})
        notebook.write_text(json.dumps(nb))
    for assignment in ASSIGNMENTS:
        course.autograde(folder, assignment)
    ours = {student: {t["name"]: t["score"] for t in grading.grade(lib)["tests"]} for student, lib in libs.items()}
    return folder, libs, ours


@pytest.mark.parametrize("student", ["reference", "stubs", "buggy", "warns"])
def test_nbgrader_scores_equal_autograder_scores(graded, student):
    folder, _, ours = graded
    for assignment in ASSIGNMENTS:
        theirs = {name: score for name, score in course.nbgrader_scores(folder, assignment, student).items()
                  if not name.startswith("q_")}  # q_*: written answers, graded by hand
        checks = {name: ours[student][name] for name, c in grading.load_checks(grading.hidden_checks_dir()).items()
                  if c.assignment == assignment}
        assert theirs == checks


def test_the_examples_span_the_range(graded):
    _, _, ours = graded
    total = {student: sum(scores.values()) for student, scores in ours.items()}
    assert total["stubs"] == 0 < total["buggy"] < total["reference"] == total["warns"]


def test_the_students_own_library_is_what_got_graded(graded):
    folder, libs, _ = graded
    for student, lib in libs.items():
        for assignment in ASSIGNMENTS:
            graded_lib = folder / "autograded" / student / assignment / "cs231n_lib"
            comparison = filecmp.dircmp(lib, graded_lib, ignore=["__pycache__"])
            assert not comparison.diff_files and not comparison.left_only, (student, assignment)


def test_a_notebook_can_fool_nbgrader_but_the_gradebook_sync_restores_the_truth(graded, tmp_path):
    folder, _, ours = graded
    copy = shutil.copytree(folder, tmp_path / "course")
    fooled = {a: course.nbgrader_scores(copy, a, "tamper") for a in ASSIGNMENTS}
    assert all(score > 0 for scores in fooled.values() for name, score in scores.items() if not name.startswith("q_"))
    for assignment in ASSIGNMENTS:
        changes = gradebook.sync(copy, assignment, SOLUTIONS, log=lambda *_: None)
        assert changes["tamper"] and not any(changes[s] for s in ("reference", "stubs", "buggy", "warns"))
        synced = course.nbgrader_scores(copy, assignment, "tamper")
        assert all(score == ours["stubs"][name] == 0 for name, score in synced.items() if not name.startswith("q_"))
