"""Attacks from a notebook cell, through the real nbgrader round (``nbgrader_submissions``).

The attacker hands in the stubs and notebook 00 with one hostile cell per attack; nbgrader
runs them in the sandboxed kernel. Each must lose its points (the stubs' 0, after sync-gradebook), see and
change nothing of the course, and leave no trace.
"""

import os
import re
import subprocess
import sys
import tempfile

from conftest import ROOT, SOLUTIONS, STUB_LIB
from nbgrader_submissions import ATTACKED, ATTACKER, ATTACKS, CLASSMATE, SWAPPED, attack_output, check_scores, hidden

HIDDEN_SOURCE = (SOLUTIONS / "hidden_checks" / "nb00_gradients.py").read_text()


def outputs(graded, attack):
    return attack_output(graded["course"], attack)


def test_no_attack_succeeded_from_the_notebook(nbgrader_graded):
    for attack in ATTACKS:
        text = outputs(nbgrader_graded, attack)
        assert "ATTACK-SUCCEEDED" not in text, attack
        assert "cannot" in text or "failed" in text, attack  # the cell ran and was refused
    assert sum(check_scores(nbgrader_graded["after"][ATTACKER, ATTACKED]).values()) == 0


def test_a_notebook_cannot_swap_its_library_for_the_reference(nbgrader_graded):
    course = nbgrader_graded["course"]
    lib = course / "submitted" / ATTACKER / ATTACKED / "cs231n_lib"
    assert (lib / "layers.py").read_text() == (STUB_LIB / "layers.py").read_text()
    assert nbgrader_graded["results"][ATTACKER, ATTACKED]["library_changed"] is False


def test_a_library_swapped_after_collect_is_graded_as_collected_and_said_to_have_changed(nbgrader_graded):
    course = nbgrader_graded["course"]
    swapped = course / "submitted" / SWAPPED / ATTACKED / "cs231n_lib" / "layers.py"
    assert swapped.read_text() == (SOLUTIONS / "cs231n_lib" / "layers.py").read_text()  # the swap happened
    assert sum(check_scores(nbgrader_graded["after"][SWAPPED, ATTACKED]).values()) == 0
    assert nbgrader_graded["results"][SWAPPED, ATTACKED]["library_changed"] is True
    assert f"{SWAPPED}: cs231n_lib changed after it was collected; graded the collected copy" in \
        nbgrader_graded["sync_log"]
    assert not [line for line in nbgrader_graded["sync_log"] if "changed after it was collected" in line
                and not line.startswith(f"{SWAPPED}:")]


def test_a_notebook_cannot_read_the_hidden_checks_the_reference_or_the_gradebook(nbgrader_graded):
    text = outputs(nbgrader_graded, "reader")
    read = re.findall(r"^ATTACK-READ (\S+)", text, re.M)
    assert all(path.startswith("/grader/lib/autograder/") for path in read), read  # the public package only
    lines = {line.strip() for line in HIDDEN_SOURCE.splitlines() if len(line.strip()) > 25}
    assert lines and not [line for line in lines if line in text]
    assert "cannot read" in text and str(nbgrader_graded["course"]) in text  # it tried the real paths


def test_a_notebook_cannot_write_into_a_classmates_submission_or_the_course(nbgrader_graded):
    course = nbgrader_graded["course"]
    assert "cannot write" in outputs(nbgrader_graded, "writer")
    for path in [course / "submitted" / CLASSMATE / ATTACKED / "cs231n_lib" / "layers.py",
                 course / "submitted" / CLASSMATE / ATTACKED / f"{ATTACKED}.ipynb",
                 course / "submitted" / ATTACKER / ATTACKED / "cs231n_lib" / "layers.py",
                 course / "nbgrader_config.py", course / "solutions" / "hidden_checks" / "nb00_gradients.py"]:
        assert b"ATTACK-WROTE" not in path.read_bytes(), path
    assert (course / "solutions" / "hidden_checks" / "nb00_gradients.py").read_text() == HIDDEN_SOURCE


def test_planted_solutions_are_never_imported_and_hidden_checks_wait_for_the_grader(nbgrader_graded):
    text = outputs(nbgrader_graded, "planter")
    assert "ATTACK-SUCCEEDED" not in text and "cannot plant in" in text  # only in its own private /tmp
    assert set(hidden(nbgrader_graded["before"][ATTACKER, ATTACKED]).values()) == {0}
    assert not (nbgrader_graded["course"] / "submitted" / "solutions").exists()


def test_the_kernels_leave_no_trace(nbgrader_graded):
    course = nbgrader_graded["course"]
    left = [p for p in os.listdir(tempfile.gettempdir()) if "-kernel-" in p and p.startswith("cs231n-sandbox-")
            and not _alive(p)]
    assert not left
    names = sorted(p.name for p in (course / "submitted" / ATTACKER / ATTACKED).iterdir())
    assert names == sorted(["cs231n_lib", f"{ATTACKED}.ipynb", "solutions"])  # the planter's own, handed in
    planted = sorted(p.relative_to(course / "submitted" / ATTACKER / ATTACKED) for p in
                     (course / "submitted" / ATTACKER / ATTACKED).rglob("*") if p.is_file())
    assert [str(p) for p in planted if not str(p).startswith("cs231n_lib/")] == \
        [f"{ATTACKED}.ipynb", "solutions/hidden_checks/nb00_gradients.py"]


def _alive(name):
    try:
        os.kill(int(name.split("-")[2]), 0)
        return True
    except (ProcessLookupError, ValueError):
        return False


def test_check_never_imports_a_solutions_folder_planted_above_the_notebook(tmp_path):
    """(d) without nbgrader: a student's own kernel, with solutions/ planted above its folder."""
    planted = tmp_path / "solutions" / "hidden_checks"
    planted.mkdir(parents=True)
    (planted / "nb00_gradients.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n")
    work = tmp_path / "course" / "00_gradients"
    work.mkdir(parents=True)
    import shutil
    shutil.copytree(STUB_LIB, work / "cs231n_lib")
    code = ("from autograder.notebook import check\n"
            "try:\n    check('relu_hidden')\nexcept AssertionError as exc:\n    print('refused:', exc)\n")
    env = {k: v for k, v in os.environ.items() if k != "CS231N_SOLUTIONS"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert "refused: no visible check is named 'relu_hidden'" in done.stdout, done.stdout + done.stderr
    assert not (tmp_path / "imported").exists()


def test_a_configured_solutions_folder_must_be_the_users_own_and_not_writable_by_others(tmp_path, monkeypatch):
    from autograder import notebook

    folder = tmp_path / "solutions"
    for sub in ("hidden_checks", "cs231n_lib"):
        (folder / sub).mkdir(parents=True)
    (folder / "hidden_checks" / "nb00_gradients.py").write_text("")
    monkeypatch.setenv("CS231N_SOLUTIONS", str(folder))
    assert notebook.find_solutions() == folder.resolve()
    (folder / "hidden_checks" / "nb00_gradients.py").chmod(0o666)
    try:
        notebook.find_solutions()
        raise AssertionError("a world-writable hidden check was accepted")
    except PermissionError as exc:
        assert "nb00_gradients.py" in str(exc) and "writable by you only" in str(exc)
    monkeypatch.delenv("CS231N_SOLUTIONS")
    assert notebook.find_solutions() is None


def test_without_a_sandbox_the_grading_kernel_does_not_start_and_says_why(tmp_path):
    import json

    connection = tmp_path / "kernel-1.json"
    connection.write_text(json.dumps({"transport": "ipc", "ip": str(tmp_path / "kernel"), "shell_port": 1,
                                      "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
                                      "key": "k", "signature_scheme": "hmac-sha256"}))
    env = {**os.environ, "CS231N_BWRAP": str(tmp_path / "no-bwrap")}
    env.pop("CS231N_UNSANDBOXED_KERNELS", None)
    done = subprocess.run([sys.executable, "-I", str(ROOT / "autograder" / "sandbox" / "kernel.py"), "-f",
                           str(connection)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "cannot be sandboxed" in done.stderr and "CS231N_UNSANDBOXED_KERNELS=1" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernel-1.json"]  # no socket, nothing started
