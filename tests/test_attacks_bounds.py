"""Attacks on the grader's own resources and on the students graded beside the attacker.

Each test is a real attack through the real paths (``autograder grade``, ``grade-all``, the
Sandbox they run student code in), with explicit seeds:

* a reply whose shapes broadcast to n x n in the grader's arithmetic;
* a flood of large arguments to a trusted function handed to student code;
* a submission that gets its grading process killed for memory, in a memory-limited pool;
* a timeout in a crowd, which must not be cached as final;
* without the OS sandbox, as root: workers of different students, side by side.
"""

import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from conftest import REFERENCE_LIB, ROOT, lib_with
from autograder.course import batch
from autograder.sandbox import Sandbox, StudentError, isolation, limits, privileges

ISOLATED = isolation()[0]
AS_ROOT = os.geteuid() == 0
ASSIGNMENT = "00_gradients"
NOTEBOOK = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def peak_of(command, env=None):
    """(completed process, peak resident MB of ``command`` and what it waited for)."""
    probe = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr); "
             "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")
    done = subprocess.run([sys.executable, "-c", probe, *map(str, command)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
    peak = int(done.stdout.rsplit("PEAK", 1)[1]) / 1024
    return done, peak


def grade_cli(lib, *args, env=None):
    """(completed ``autograder grade``, peak MB, its results.json)."""
    out = pathlib.Path(lib).parent / "results.json"
    done, peak = peak_of([sys.executable, "-m", "autograder", "grade", "--lib", lib, "--seed", "7", "--json", out,
                          "--quiet", *args], env=env)
    return done, peak, json.loads(out.read_text())


def check_output(results, name):
    return next(t for t in results["tests"] if t["name"] == name)


# -- the grader's arithmetic -----------------------------------------------------------------
BROADCAST = '''
_calls = [0]
_reference_softmax_loss = softmax_loss
def softmax_loss(x, y):
    loss, dx = _reference_softmax_loss(x, y)
    _calls[0] += 1
    if _calls[0] == 1:
        return loss, dx
    import numpy as np
    n = 20000  # (n, 1) - (1, n): 3.2 GB in the grader's arithmetic, from 160 kB replies
    return (np.full((n, 1), loss) if _calls[0] % 2 else np.full((1, n), loss)), dx
'''


@pytest.mark.skipif(not ISOLATED, reason="the sandbox is needed")
def test_replies_that_broadcast_to_n_by_n_fail_on_their_shape_before_any_arithmetic(tmp_path):
    lib = lib_with(tmp_path, "layers", BROADCAST)
    done, peak, found = grade_cli(lib, "--check", "softmax_loss")
    said = check_output(found, "softmax_loss")
    # refused on its shape (the visible check reads the loss as one number), never broadcast
    assert said["score"] == 0 and "shape (1, 20000)" in said["output"], said
    assert peak < 400, f"the grader grew to {peak:.0f} MB"  # 3.1 GB before the shape check


FLOOD = '''
_reference_initial_loss_check = initial_loss_check
def initial_loss_check(loss_fn, X, y, num_classes, rel_tol=0.1):
    import numpy as np
    big = np.zeros(6 << 20)  # 48 MB, twenty times: the grader kept all of them (1.4 GB)
    for _ in range(20):
        try:
            loss_fn(big, y)
        except Exception:
            pass
    return _reference_initial_loss_check(loss_fn, X, y, num_classes, rel_tol)
'''


@pytest.mark.skipif(not ISOLATED, reason="the sandbox is needed")
def test_a_flood_of_large_arguments_to_a_callback_is_cut_off_by_the_checks_budget(tmp_path):
    lib = lib_with(tmp_path, "tuning", FLOOD)
    done, peak, found = grade_cli(lib, "--check", "initial_loss_check")
    said = check_output(found, "initial_loss_check")
    assert said["score"] == 0 and "more than 32 MB of arguments" in said["output"], said
    assert peak < 350, f"the grader grew to {peak:.0f} MB"  # 670 MB and more before the budget


def test_a_recorder_checks_shapes_before_its_function_runs_and_keeps_only_digests_of_large_arrays():
    from autograder.sandbox import Recorder

    seen = []
    recorder = Recorder(lambda a, b: seen.append(a.shape) or a.sum(), like=(np.zeros((3, 1)), np.zeros(4)))
    with pytest.raises(ValueError, match="shape"):
        recorder(np.zeros((1, 3)), np.zeros(4))  # would broadcast against a (3, 1)
    assert seen == [] and recorder.calls == []
    big = np.arange(1 << 16, dtype=np.float64).reshape(-1, 1)[:3]
    assert recorder(big, np.zeros(4)) == 3
    recorder = Recorder(lambda a: 0)
    large = np.ones(1 << 20)
    recorder(large)
    kept = recorder.calls[0][0]
    assert not isinstance(kept, np.ndarray) and kept == large and not kept == large * 2


@pytest.mark.skipif(not ISOLATED, reason="the sandbox is needed")
def test_the_graders_own_work_during_a_check_is_bounded_in_cpu_time_and_memory(tmp_path):
    """Work the grader does on a reply runs under the check's time and a memory bound: a loop
    is cut short (and the worker, which may have been mid-call, is not reused), and an
    allocation past the bound raises MemoryError instead of growing the grader."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    with Sandbox(REFERENCE_LIB) as sandbox:
        sandbox.set_deadline(0.3)
        sandbox.call("activations.sigmoid_forward", np.zeros(3))
        pid = sandbox.proc.pid
        with pytest.raises(StudentError, match="took the grader too long"):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the grader's own endless work
                pass
        sandbox.set_deadline(None)
        assert sandbox.proc is None  # not reused
        sandbox.set_deadline(5)
        with pytest.raises(MemoryError):
            np.ones((40000, 40000))  # 12.8 GB
        sandbox.call("activations.sigmoid_forward", np.zeros(3))
        assert sandbox.proc.pid != pid
        sandbox.set_deadline(None)
    assert resource.getrlimit(resource.RLIMIT_AS) == before


@pytest.mark.skipif(not ISOLATED, reason="the sandbox is needed")
def test_each_sandbox_has_a_cpu_quota_and_its_checks_count_its_cpu_time(tmp_path):
    lib = lib_with(tmp_path, "activations", '''
def spin(seconds):
    import time
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
''')
    with Sandbox(lib) as sandbox:
        sandbox.set_deadline(30)
        sandbox.call("activations.spin", 0.0)
        group = sandbox.limits.group
        if not group or not group.cpu_limited:
            pytest.skip("no CPU controller for the grader here")
        quota = [f for f in group.folders if (f / "cpu.cfs_quota_us").exists() or (f / "cpu.max").exists()][0]
        text = (quota / "cpu.max").read_text() if (quota / "cpu.max").exists() else (
            quota / "cpu.cfs_quota_us").read_text()
        assert text.split()[0] == "100000", text
        sandbox.call("activations.spin", 0.3)
        assert sandbox.cpu_used() >= 0.3
        sandbox.set_deadline(0.2)
        with pytest.raises(StudentError, match="did not finish within 0.2 s"):
            sandbox.call("activations.spin", 1000.0)
        sandbox.set_deadline(None)


# -- one student never costs another ----------------------------------------------------------
def submission(target, lib=REFERENCE_LIB):
    target = pathlib.Path(target)
    target.mkdir(parents=True)
    shutil.copy(NOTEBOOK, target / NOTEBOOK.name)
    shutil.copytree(lib, target / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def results(out, student):
    return json.loads((out / batch.safe_name(student) / ASSIGNMENT / "results.json").read_text())


def grade_all(subs, out, *extra, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(subs), "--out", str(out),
                           "--assignment", "00", "--jobs", "2", "--quiet", "--seed", "11", *map(str, extra)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


# 60 MB from relu_forward: the grader holds it about three times while it reads and decodes it,
# past the 200 MB each grading process may use here.
BOMB = '''
_reference_relu_forward = relu_forward
def relu_forward(x):
    import numpy as np
    return np.zeros(60 << 17), None
'''
LOOP = '''
def rel_error(x, y):
    while True:
        pass
'''


@pytest.mark.skipif(not ISOLATED, reason="the sandbox is needed")
def test_a_submission_that_kills_its_pool_process_costs_only_itself_and_a_timeout_in_a_crowd_is_regraded(tmp_path):
    probe = limits.ControlGroup.create(64 << 20, 8)
    if not probe:
        pytest.skip("no control groups for the grader here")
    probe.remove()  # only a test that groups can be made: no test may leave one behind
    subs, out = tmp_path / "subs", tmp_path / "results"
    for name in ("alice", "bob"):
        submission(subs / name / ASSIGNMENT)
    submission(subs / "mallory" / ASSIGNMENT, lib_with(tmp_path / "m", "layers", BOMB))
    submission(subs / "trudy" / ASSIGNMENT, lib_with(tmp_path / "t", "gradient_check", LOOP))
    done = grade_all(subs, out, "--pool-memory-mb", 200, "--timeout", 1)
    assert done.returncode == 0, done.stdout + done.stderr  # a student's fault is no grader error
    assert "trudy/00_gradients: a check ran out of time while other submissions were graded" in done.stdout
    assert done.stdout.count("mallory/00_gradients: the grading process was killed") == 1, done.stdout
    for name in ("alice", "bob"):
        assert results(out, name)["score"] == results(out, name)["max_score"] > 0
    bomb = results(out, "mallory")
    said = bomb["extra_data"]["problem"]
    assert bomb["score"] == 0 and "could not finish" in said and "SIGKILL" in said and "200 MB" in said, said
    assert "twice, the second time with no other submission beside it" in said
    looped = results(out, "trudy")
    assert looped["extra_data"]["provisional"] is False  # graded again, alone
    lost = {t["name"]: t["output"] for t in looped["tests"] if t["score"] < t["max_score"]}
    lost.update({t["name"].removesuffix(" (instructor only)"): t["output"] for t in looped["tests"]
                 if t.get("extra_data", {}).get("instructor_only")})  # the full messages of hidden checks
    assert "rel_error" in lost and all("did not finish within 1 s" in said for said in lost.values()), lost
    assert "graded again alone" not in looped.get("output", "")
    again = grade_all(subs, out, "--pool-memory-mb", 200, "--timeout", 1)
    assert again.returncode == 0 and "4 already graded and unchanged, 0 to grade" in again.stdout, again.stdout


@pytest.mark.skipif(not AS_ROOT, reason="a uid of its own per sandbox needs root")
def test_without_the_sandbox_two_students_workers_can_neither_signal_nor_read_each_other(tmp_path):
    spy = lib_with(tmp_path, "activations", '''
def spy(folder, pid):
    import os, signal
    said = [str(os.getuid())]
    try:
        open(os.path.join(folder, "cs231n_lib", "activations.py")).read()
        said.append("read")
    except OSError as exc:
        said.append(type(exc).__name__)
    try:
        os.kill(pid, signal.SIGKILL)
        said.append("killed")
    except OSError as exc:
        said.append(type(exc).__name__)
    return said
''')
    with Sandbox(REFERENCE_LIB, isolate=False) as victim, Sandbox(spy, isolate=False) as attacker:
        for box in (victim, attacker):
            box.set_deadline(30)
        victim.call("activations.sigmoid_forward", np.zeros(3))
        uid, read, kill = attacker.call("activations.spy", str(victim.folder), victim.proc.pid)
        assert int(uid) not in (0, privileges.NOBODY, victim.uid) and victim.uid != attacker.uid
        assert read == "PermissionError" and kill == "PermissionError"
        victim.call("activations.sigmoid_forward", np.zeros(3))  # still there


@pytest.mark.skipif(not AS_ROOT, reason="refusing by the modes other users have needs a root grader")
@pytest.mark.parametrize("secret", ["solutions/00_gradients/00_gradients.ipynb", "gradebook.db", "subs/bob"])
def test_without_the_sandbox_grade_all_refuses_while_any_secret_is_readable_by_other_users(tmp_path, secret):
    shared = pathlib.Path(tempfile.mkdtemp(prefix="cs231n-hostile-"))  # a folder everyone may enter
    try:
        solutions, subs = shared / "solutions", shared / "subs"
        for part in ("cs231n_lib", "hidden_checks"):
            shutil.copytree(ROOT / "solutions" / part, solutions / part, ignore=shutil.ignore_patterns("__pycache__"))
        (solutions / ASSIGNMENT).mkdir()
        (solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{}")
        (shared / "gradebook.db").write_bytes(b"")
        submission(subs / "bob" / ASSIGNMENT)
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o700 if path.is_dir() else 0o600)
        shared.chmod(0o755)
        exposed = shared / secret
        for path in [*exposed.rglob("*"), exposed, *exposed.relative_to(shared).parents]:
            path = shared / path if not path.is_absolute() else path
            path.chmod(0o755 if path.is_dir() else 0o644)
        env = {**os.environ, "CS231N_BWRAP": "/nonexistent/bwrap"}
        done = grade_all(subs, shared / "out", "--allow-unisolated", "--solutions", solutions, env=env)
        assert done.returncode == 2 and f"every user may read {exposed}" in done.stderr, done.stderr
        assert not (shared / "out").exists()
    finally:
        shutil.rmtree(shared)
