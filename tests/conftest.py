"""Shared fixtures. Tests import the *reference* library as ``cs231n_lib``."""

import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
REFERENCE_LIB = SOLUTIONS / "cs231n_lib"
STUB_LIB = ROOT / "cs231n_lib"

# The reference package, not the released stubs, is what `import cs231n_lib` means in tests.
sys.path.insert(0, str(SOLUTIONS))

import pytest  # noqa: E402

sys.path.append(str(ROOT))  # autograder, from this checkout (after the reference library)
from autograder import grading, mutation  # noqa: E402

MUTANTS = mutation.load_mutants(SOLUTIONS / "hidden_checks")

# No verdict may depend on a fresh random draw. Tests pass explicit seeds; whatever grades
# without one (grade-all, run_autograder, nbgrader's kernels, started as subprocesses that
# inherit this) takes this fixed seed. A test of fresh seeds removes it (monkeypatch.delenv).
os.environ[grading.SEED_VARIABLE] = "20261208"
SEED = 0  # the seed tests pass explicitly


@pytest.fixture(scope="session")
def reference_results():
    """The reference library graded once for the whole session."""
    return grading.grade(REFERENCE_LIB, seed=SEED)


@pytest.fixture(scope="session")
def stub_results():
    return grading.grade(STUB_LIB, seed=SEED)


def lib_with(tmp_path, module, code, base=REFERENCE_LIB):
    """A copy of ``base`` whose ``module`` ends with ``code`` (later definitions win)."""
    import shutil

    target = tmp_path / "cs231n_lib"
    shutil.copytree(base, target, ignore=shutil.ignore_patterns("__pycache__"))
    path = target / f"{module}.py"
    path.write_text(path.read_text() + "\n\n" + code + "\n")
    return target


def full_output(test):
    """A test entry's full message: a hidden check's is kept apart from what students read."""
    return test.get("instructor_output", test["output"])


def failed(results):
    return {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}


@pytest.fixture(scope="session")
def generated_release(tmp_path_factory):
    """What release generates from solutions/, once per session (nbgrader takes half a minute)."""
    from autograder.course import release

    out = tmp_path_factory.mktemp("generated") / "out"
    release.generate(SOLUTIONS, out)
    return out


@pytest.fixture(scope="session")
def student_kit(tmp_path_factory, generated_release):
    """The student kit, written once per session; tests that change it work on a copy."""
    from autograder.course import kit

    folder = tmp_path_factory.mktemp("kit") / "cs231n-kit"
    return kit.write_kit(SOLUTIONS, folder, log=lambda *_: None, generated=generated_release)


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """The session's one nbgrader course: a fresh clone's layout, released with the README's
    first command (``nbgrader generate_assignment`` of every notebook, recorded in its
    gradebook). (folder, environment, what release printed); work on ``nbround.copy_course``."""
    import nbround

    tmp = tmp_path_factory.mktemp("released")
    env = nbround.environment(tmp)
    course = nbround.fresh_clone(tmp / "course")
    return course, env, nbround.release(course, env)


@pytest.fixture(scope="session")
def nbgrader_graded(released_course, tmp_path_factory):
    """Every submission of tests/test_nbgrader.py and tests/test_attacks_nbgrader.py, graded
    by one ``nbgrader autograde`` and then ``sync-gradebook`` (``nbgrader_submissions``)."""
    import nbgrader_submissions

    course, env, _ = released_course
    return nbgrader_submissions.grade(course, env, tmp_path_factory.mktemp("nbgrader"))


# make test runs the suite in several processes (pytest-xdist, --dist loadgroup). Tests of
# one group run in one process, so a fixture they share is built once: each file is a group
# (its module fixtures), the files that share the release or the nbgrader course are one
# group each, and the files of many independent slow tests are spread over every process.
SPREAD = {"test_notebooks", "test_checks", "test_alternatives"}
JOINED = {"test_release": "release", "test_kit": "release", "test_browser": "release",
          "test_nbgrader": "nbgrader", "test_attacks_nbgrader": "nbgrader", "test_exchange": "nbgrader"}


def pytest_collection_modifyitems(items):
    for item in items:
        name = item.module.__name__.rpartition(".")[2]
        if name not in SPREAD:
            item.add_marker(pytest.mark.xdist_group(JOINED.get(name, name)))
