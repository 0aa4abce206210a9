"""export-gradescope: the autograder.zip, unpacked into a tree laid out like Gradescope's,
set up with its own setup.sh (apt-get and pip skipped: the switches setup.sh documents),
and run with its own run_autograder against real submissions and an attacker.

The tree stands for /autograder through CS231N_GRADESCOPE_ROOT. It is world-traversable,
as /autograder is, so only the bundle's own lockdown keeps student code (running as
nobody) away from the hidden checks and the results.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

import pytest

from conftest import REFERENCE_LIB, ROOT, SOLUTIONS, STUB_LIB, lib_with

ASSIGNMENT = "01_activations"
NOTEBOOK = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
HIDDEN = SOLUTIONS / "hidden_checks" / f"nb{ASSIGNMENT}.py"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "export-gradescope", "--assignment", "01",
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def gradescope(bundle):
    """A fresh /autograder: source/ unpacked from the zip and set up, submission/ empty."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="cs231n-gradescope-test-"))
    root.chmod(0o755)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    (root / "submission").mkdir()
    env = {**os.environ, "CS231N_SETUP_SKIP_SYSTEM": "1", "CS231N_SETUP_SKIP_PIP": "1",
           "CS231N_PYTHON": sys.executable}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stderr
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    yield root
    shutil.rmtree(root, ignore_errors=True)


def run_autograder(root, **env):
    done = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CS231N_GRADESCOPE_ROOT": str(root), "CS231N_PYTHON": sys.executable,
                               **env})
    results = json.loads((root / "results" / "results.json").read_text())
    return done, results


def submit(root, lib, as_zip=True):
    target = root / "submission"
    shutil.rmtree(target)
    folder = target if not as_zip else root / "staging"
    folder.mkdir()
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    shutil.copytree(lib, folder / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    if as_zip:
        target.mkdir()
        with zipfile.ZipFile(target / f"{ASSIGNMENT}.zip", "w") as zf:
            for path in sorted(folder.rglob("*")):
                zf.write(path, path.relative_to(folder).as_posix())
        shutil.rmtree(folder)


def test_the_zip_holds_the_entry_points_and_only_this_assignments_secrets(bundle):
    names = zipfile.ZipFile(bundle).namelist()
    assert {"setup.sh", "run_autograder", "requirements.txt", "grader/assignment.json"} <= set(names)
    assert [n for n in names if "hidden_checks" in n] == [f"grader/solutions/hidden_checks/nb{ASSIGNMENT}.py"]
    assert "grader/solutions/cs231n_lib/activations.py" in names and "grader/autograder/grading.py" in names
    assert not [n for n in names if n.endswith(".ipynb") or "__pycache__" in n]


def test_reference_stub_and_buggy_submissions_get_what_they_deserve(gradescope, tmp_path):
    expected_keys = {"name", "score", "max_score", "output", "visibility", "tags", "execution_time"}
    # setup.sh's pip step too, once: the pinned requirements are this environment's, so pip finds
    # them installed and needs no network
    setup = subprocess.run(["bash", str(gradescope / "source" / "setup.sh")], capture_output=True, text=True,
                           timeout=300, env={**os.environ, "CS231N_SETUP_SKIP_SYSTEM": "1", "CS231N_PYTHON": sys.executable})
    assert setup.returncode == 0 and "packages import" in setup.stdout, setup.stderr
    assert not os.stat(gradescope / "source" / "grader" / "solutions").st_mode & 0o077
    submit(gradescope, REFERENCE_LIB)
    done, ref = run_autograder(gradescope)
    assert done.returncode == 0, done.stderr
    assert ref["score"] == ref["max_score"] > 0 and ref["execution_time"] > 0
    assert all(expected_keys <= set(t) for t in ref["tests"]) and {t["visibility"] for t in ref["tests"]} == \
        {"visible"}  # nothing failed: no instructor-only test
    assert "isolated by bubblewrap" in ref["output"] and "bubblewrap" in ref["extra_data"]["isolation"]
    assert "/" not in ref["output"].split("Isolation:")[1], ref["output"]  # no path of the grading machine

    submit(gradescope, STUB_LIB, as_zip=False)  # loose files, as a drag-and-drop upload gives them
    _, stub = run_autograder(gradescope)
    assert stub["score"] == 0 and stub["max_score"] == ref["max_score"]
    assert "not implemented yet" in next(t for t in stub["tests"] if t["name"] == "sigmoid_forward")["output"]

    buggy = lib_with(tmp_path, "activations", "def sigmoid_backward(dout, cache):\n    return dout\n")
    submit(gradescope, buggy)
    _, bug = run_autograder(gradescope)
    scores = {t["name"]: t["score"] for t in bug["tests"]}
    assert 0 < bug["score"] < ref["max_score"] and scores["sigmoid_backward"] == 0 and scores["tanh_forward"] == 1

    shutil.rmtree(gradescope / "submission")
    (gradescope / "submission").mkdir()
    (gradescope / "submission" / "notes.txt").write_text("forgot the zip")
    _, empty = run_autograder(gradescope)
    assert empty["score"] == 0 and "Not graded" in empty["output"] and "01_activations.ipynb" in empty["output"]


ATTACK = '''

import os as _os
_ROOT = {root!r}
try:  # at import: forge the results
    with open(_ROOT + "/results/results.json", "w") as _f:
        _f.write('{{"score": 999, "tests": []}}')
    _WROTE = "wrote results"
except Exception as _exc:
    _WROTE = type(_exc).__name__
try:  # and tamper with the grader's reference
    with open(_ROOT + "/source/grader/solutions/cs231n_lib/activations.py", "a") as _f:
        _f.write("raise SystemExit")
except Exception:
    pass


def sigmoid_forward(x):  # leak the hidden checks through a check's output
    try:
        with open(_ROOT + "/source/grader/solutions/hidden_checks/nb{assignment}.py") as f:
            said = "read: " + f.read(600)
    except Exception as exc:
        said = "could not read: " + type(exc).__name__
    raise RuntimeError(said + " | " + _WROTE + " | uid " + str(_os.getuid()))
'''


@pytest.mark.parametrize("mode", ["bubblewrap", "no namespaces (fallback)"])
def test_student_code_can_neither_forge_results_nor_read_the_hidden_checks(gradescope, tmp_path, mode):
    env = {"CS231N_BWRAP": "/nonexistent/bwrap"} if mode.startswith("no") else {}
    attack = lib_with(tmp_path, "activations", ATTACK.format(root=str(gradescope), assignment=ASSIGNMENT))
    submit(gradescope, attack)
    done, results = run_autograder(gradescope, **env)
    assert done.returncode == 0, done.stderr
    said = next(t for t in results["tests"] if t["name"] == "sigmoid_forward")["output"]
    uid = int(said.rpartition("uid ")[2].split()[0])
    assert uid == 65534 if mode == "bubblewrap" else uid >= 0x60000000  # nobody, or a fresh user of its own
    assert "could not read" in said and "wrote results" not in said, said
    secret = max(HIDDEN.read_text()[:600].splitlines(), key=len)
    assert len(secret) > 20 and secret not in json.dumps(results)
    for t in results["tests"]:  # only what uses the sabotaged function fails: the reference held
        assert (t["score"] == 0) == ("activations.sigmoid_forward" in t["tags"]), t
    if mode.startswith("no"):
        assert "NOT ISOLATED" in results["output"] and "an unprivileged user of its own" in results["output"]
        assert "/nonexistent" not in results["output"], results["output"]  # the bwrap tried, without its path
    else:
        assert "isolated by bubblewrap" in results["output"]
    assert "raise SystemExit" not in (gradescope / "source/grader/solutions/cs231n_lib/activations.py").read_text()


def test_refusing_to_grade_without_isolation_says_so(gradescope):
    submit(gradescope, REFERENCE_LIB)
    done, results = run_autograder(gradescope, CS231N_BWRAP="/nonexistent/bwrap", CS231N_REQUIRE_ISOLATION="1")
    assert done.returncode == 1 and results["score"] == 0 and "could not isolate" in results["output"]
    assert "/nonexistent" not in json.dumps(results) and "/nonexistent/bwrap" in done.stderr  # the instructor's log


def test_an_unknown_assignment_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "export-gradescope", "--assignment", "99", "-o",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no assignment '99'" in done.stderr and "01_activations" in done.stderr
    assert not out.exists() and "Traceback" not in done.stderr


def test_a_hidden_checks_inputs_stay_in_tests_students_never_see(gradescope, tmp_path):
    """A hidden check's message may quote its inputs (here student code raises and warns
    them): on Gradescope it goes only into a test with visibility hidden; the check's own
    entry, which the student sees, says which functions it exercises."""
    from test_attacks_hidden_inputs import TELL, TOKEN

    submit(gradescope, lib_with(tmp_path, "activations", TELL))
    done, results = run_autograder(gradescope)
    assert done.returncode == 0, done.stderr
    shown = [t for t in results["tests"] if t["visibility"] != "hidden"]
    kept = [t for t in results["tests"] if t["visibility"] == "hidden"]
    assert {t["extra_data"]["check"] for t in kept} >= {"sigmoid_hidden", "tanh_hidden"}
    assert all(t["max_score"] == 0 and t["extra_data"]["instructor_only"] for t in kept)
    visible_inputs = {tok for t in shown if not t.get("extra_data", {}).get("hidden_check")
                      for tok in TOKEN.findall(t["output"])}
    hidden_inputs = {tok for t in kept for tok in TOKEN.findall(t["output"])} - visible_inputs
    assert hidden_inputs
    seen = results["output"] + json.dumps(shown)
    assert not hidden_inputs & set(TOKEN.findall(seen))
    sigmoid_hidden = next(t for t in shown if t["name"] == "sigmoid_hidden")
    assert sigmoid_hidden["score"] == 0 and "a hidden check of activations.sigmoid_forward" in sigmoid_hidden["output"]
    assert results["score"] == sum(t["score"] for t in shown)
