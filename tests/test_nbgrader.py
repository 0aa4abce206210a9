"""The real nbgrader, run as an instructor runs it, agrees with ``autograder grade``.

A temporary course folder gets the instructor's source; ``nbgrader generate_assignment``
releases it; four students submit the released notebook with a library each (the
reference, the untouched stubs, a buggy one, and a correct one that triggers numpy
warnings); ``nbgrader autograde`` grades them. Every graded cell's score must equal the
score of the check with the same name, and the student's own library must be what ran.
"""

import filecmp

import pytest

from conftest import DEMO_BUGS, REFERENCE_LIB, SOLUTIONS, STUB_LIB, lib_with
from autograder import course, grading, mutation

ASSIGNMENTS = course.assignment_ids(SOLUTIONS)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = course.make_course(tmp_path_factory.mktemp("course"), SOLUTIONS)
    libs_dir = tmp_path_factory.mktemp("libs")
    libs = {
        "reference": REFERENCE_LIB,
        "stubs": STUB_LIB,
        "buggy": mutation.apply(REFERENCE_LIB, libs_dir / "buggy" / "cs231n_lib", DEMO_BUGS),
        # correct, but overflows in exp for x = -1000: a RuntimeWarning on stderr
        "warns": lib_with(libs_dir / "warns", "activations",
                          "def sigmoid_forward(x):\n    out = 1 / (1 + np.exp(-x))\n    return out, out"),
    }
    for student, lib in libs.items():
        for assignment in ASSIGNMENTS:
            course.add_submission(folder, student, assignment, lib)
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
