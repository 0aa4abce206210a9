"""A hostile student's review of the sandbox: attacks that tests/test_attacks.py does not try.

Each test is a real attack on ``autograder grade`` (or on the Sandbox it runs student code
in). A test marked ``xfail(strict=True)`` is an attack that still gets through today: it
fails because the attack works, and it starts passing (so strict xfail turns red) the day
the hole is closed; then drop the mark. Nothing here changes the machine: the sysctl and
chmod probes open for writing without writing, or set the mode a file already has.
"""

import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import REFERENCE_LIB, ROOT, failed, full_output, lib_with
from autograder import grading, report
from autograder.sandbox import Sandbox, SandboxError, bwrap, isolation, limits

pytestmark = pytest.mark.skipif(not isolation()[0], reason=f"no sandbox on this machine: {isolation()[1]}")

SIGMOID = {"sigmoid_forward", "sigmoid_backward", "sigmoid_hidden"}
AS_ROOT = os.geteuid() == 0


def attack(tmp_path, body, *, module="activations", func="sigmoid_forward(x)"):
    """A correct library whose ``func`` runs ``body`` (which may return) before the reference."""
    name, params = func.split("(")
    return lib_with(tmp_path, module, f"_reference_{name} = {name}\ndef {func}:\n{body}\n"
                    f"    return _reference_{name}({params}")


def grade(lib, names=SIGMOID, **kw):
    return grading.grade(lib, names=sorted(names), seed=kw.pop("seed", 0), **kw)


def peak_memory_mb():
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


class Traces:
    """Where this test's sandboxes put their folders and control groups."""

    def __init__(self, folder):
        self.folder, self.groups = folder, []

    def left(self):
        return sorted(p.name for p in self.folder.iterdir()) + [str(g) for g in self.groups if g.exists()]

    def assert_none_left(self):
        assert self.left() == [], "sandbox folders or control groups were left behind"


def remove_tree(folder):
    """shutil.rmtree recurses, and some trees here are deeper than the recursion limit."""
    order, stack = [], [pathlib.Path(folder)]
    while stack:
        path = stack.pop()
        order.append(path)
        for entry in os.scandir(path):
            if entry.is_dir(follow_symlinks=False):
                stack.append(pathlib.Path(entry.path))
            else:
                os.unlink(entry.path)
    for path in reversed(order):
        os.rmdir(path)


@pytest.fixture
def traces(tmp_path, monkeypatch):
    """Sandbox folders go to a folder of this test's own, and control groups are recorded.
    Tests assert that none is left (an xfail covers only the test's call, not teardown);
    teardown removes whatever is left, so that a test that xfails leaves no trace either."""
    folder = tmp_path / "sandboxes"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    found, create = Traces(folder), limits.ControlGroup.create.__func__

    def recording(cls, *args):
        group = create(cls, *args)
        if group:
            found.groups.extend(group.folders)
        return group

    monkeypatch.setattr(limits.ControlGroup, "create", classmethod(recording))
    yield found
    for path in folder.iterdir():
        remove_tree(path)
    for group in reversed(found.groups):
        if group.exists():
            limits.ControlGroup([group], 1).remove()


def run_in_sandbox(tmp_path, code, memory_mb=4096):
    """Call ``probe()`` defined by ``code`` in a sandbox; returns what it returned."""
    lib = lib_with(tmp_path, "layers", code)
    with Sandbox(lib, memory_mb=memory_mb) as sandbox:
        sandbox.set_deadline(60)
        return sandbox.call("layers.probe")


# -- 1. escape: the sandbox user is the host's root when the grader runs as root ----------------

def host_uids(pid):
    """The host uids of ``pid`` and all its descendants."""
    uids, todo = {}, [pid]
    while todo:
        current = todo.pop()
        status = pathlib.Path(f"/proc/{current}/status").read_text()
        uids[current] = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        for task in pathlib.Path(f"/proc/{current}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    return uids


def test_the_sandbox_user_is_not_the_hosts_root(tmp_path, traces):
    # Run as root, bwrap would map the sandbox's user to host uid 0: no capabilities, but every
    # owner check on host objects passes (global sysctls such as kernel.core_pattern, the modes
    # of root's files it holds open).
    lib = lib_with(tmp_path, "layers", """
def probe():
    import os
    try:  # opened for writing, closed without writing a byte
        os.close(os.open('/proc/sys/kernel/core_pattern', os.O_WRONLY))
        sysctl = True
    except OSError:
        sysctl = False
    chmod = []
    for fd in (0, 1, 2):  # what the grader handed over, given the mode it already has
        try:
            os.fchmod(fd, os.fstat(fd).st_mode & 0o7777)
            if not os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):
                chmod.append(fd)
        except OSError:
            pass
    return {'can write kernel.core_pattern': sysctl, 'host files it may chmod': chmod}""")
    with Sandbox(lib) as sandbox:
        sandbox.set_deadline(60)
        seen = sandbox.call("layers.probe")
        uids = host_uids(sandbox.proc.pid)
    assert seen["can write kernel.core_pattern"] is False, seen
    assert seen["host files it may chmod"] == [], seen
    assert len(uids) >= 2 and 0 not in uids.values(), uids


# -- 2. a worker that stops reading hangs the grader: writes have no deadline -------------------

def test_a_worker_that_stops_reading_cannot_hang_the_grader(tmp_path, monkeypatch, traces):
    lib = lib_with(tmp_path, "gradient_check", """
def eval_numerical_gradient_array(f, x, df, h=1e-5):
    import sys, time
    sys.path.insert(0, '/grader')
    import codec
    big = np.zeros(2_000_000)  # 16 MB: the grader's answer f(big) is as large, far over a pipe's 64 KiB
    codec.write_message(int(sys.argv[3]), codec.encode({"callback": 0, "args": [big]}))
    time.sleep(3600)  # and never read it""")
    sandboxes, start = [], Sandbox.start

    def recording_start(self):
        sandboxes.append(self)
        return start(self)

    monkeypatch.setattr(Sandbox, "start", recording_start)
    finished = threading.Event()

    def watchdog():  # what an instructor would do by hand after a while: kill the sandbox
        if not finished.wait(15):
            for sandbox in sandboxes:
                try:
                    os.killpg(sandbox.proc.pid, signal.SIGKILL)
                except (AttributeError, OSError):
                    pass

    threading.Thread(target=watchdog, daemon=True).start()
    began = time.monotonic()
    try:
        results = grade(lib, {"eval_numerical_gradient_array"}, timeout=3, budget=6)
    finally:
        finished.set()
    assert time.monotonic() - began < 6 + 5, "the grader hung until the sandbox was killed from outside"
    assert failed(results) == {"eval_numerical_gradient_array"}
    traces.assert_none_left()


# -- 3. a submitted cs231n_lib that is a symbolic link is followed --------------------------------

@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_a_library_that_is_a_symbolic_link_is_not_followed(tmp_path, traces, relative):
    submission = tmp_path / "submitted" / "alice" / "01_activations"
    submission.mkdir(parents=True)
    (submission / "cs231n_lib").symlink_to(os.path.relpath(REFERENCE_LIB, submission) if relative else REFERENCE_LIB)
    try:
        results = grade(submission / "cs231n_lib")
    except Exception:  # refusing the submission is a fine answer
        return
    assert failed(results) == SIGMOID


# -- 4. a reply's structure is decoded without bounds: 30 MB become gigabytes in the grader --------

def test_a_reply_of_many_small_nodes_keeps_the_grader_small(tmp_path, traces):
    lib = attack(tmp_path, """
    import os, struct, sys
    junk = b'[' + b'{},' * 10_000_000 + b'0]'  # 30 MB of JSON: ten million empty dicts
    os.write(int(sys.argv[3]), struct.pack('<3Q', len(junk) + 16, len(junk), 0) + junk)
    import time; time.sleep(60)""")
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # restart the peak-memory count
    before = peak_memory_mb()
    results = grade(lib, {"sigmoid_forward"})
    assert failed(results) == {"sigmoid_forward"}
    assert peak_memory_mb() - before < 200


# -- 5. copy_library: odd trees crash it and leave a sandbox folder behind for every check --------

def deep_tree(lib, levels=1200):
    """lib/a/a/.../a/x.py, deeper than Python's recursion limit."""
    fd = os.open(lib, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir("a", dir_fd=fd)
        fd, old = os.open("a", os.O_RDONLY, dir_fd=fd), fd
        os.close(old)
    os.close(os.open("x.py", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    os.close(fd)


def long_path(lib):
    """A .py file whose path fits at the source (4,088 characters) but not in the longer copy."""
    folder = lib
    while 4082 - len(str(folder)) > 250:  # components of 200, then one of 50 to 250 characters
        folder = folder / ("b" * 200)
    folder = folder / ("c" * (4082 - len(str(folder))))
    folder.mkdir(parents=True)
    (folder / "x.py").write_text("")


@pytest.mark.parametrize("tree", [deep_tree, long_path], ids=["1200 levels deep", "4088-character path"])
def test_an_odd_tree_in_the_library_leaves_nothing_behind(tmp_path, traces, tree):
    lib = lib_with(tmp_path, "activations", "")
    (lib / "extra").mkdir()
    tree(lib / "extra")
    try:
        results = grade(lib, {"sigmoid_forward", "sigmoid_backward"})
        assert len(results["tests"]) == 2
        traces.assert_none_left()
        outputs = [full_output(t) for t in results["tests"]]
        assert not any("grader could not check" in o for o in outputs), outputs
    finally:
        remove_tree(lib / "extra")  # pytest's own clean-up could not


def test_many_empty_files_cannot_stretch_grading_past_its_budget(tmp_path, traces):
    lib = lib_with(tmp_path, "activations", "")
    (lib / "extra").mkdir()
    for i in range(30_000):
        (lib / "extra" / f"m{i}.py").touch()
    began = time.monotonic()
    results = grade(lib, {"sigmoid_forward", "sigmoid_backward", "tanh_forward"}, timeout=2, budget=3)
    elapsed = time.monotonic() - began
    assert len(results["tests"]) == 3
    assert elapsed < 3 + 3, f"grading took {elapsed:.1f} s with a budget of 3 s"


# -- 6. writable places the README does not list, bounded by nothing but the memory limit ---------

def test_dev_is_not_another_unbounded_writable_folder(tmp_path, traces):
    written = run_in_sandbox(tmp_path, """
def probe():
    sizes = {}
    for folder in ('/dev', '/dev/shm'):
        total = 0
        try:
            for i in range(3):
                with open(f'{folder}/fill{i}', 'wb') as f:
                    for _ in range(32):
                        f.write(b'z' * (1 << 20))
                        total += 1
        except OSError:
            pass
        sizes[folder] = total
    return sizes""")
    assert all(mb <= 64 for mb in written.values()), written


def test_without_control_group_or_size_option_the_memory_limit_still_holds(tmp_path, traces, monkeypatch):
    monkeypatch.setattr(bwrap, "version", lambda tool: (0, 9, 0))
    monkeypatch.setattr(limits.ControlGroup, "create", classmethod(lambda cls, *args: None))
    try:
        written = run_in_sandbox(tmp_path, """
def probe():
    total = 0
    try:
        for i in range(24):  # 768 MB
            with open(f'/scratch/fill{i}', 'wb') as f:
                for _ in range(32):
                    f.write(b'z' * (1 << 20))
                    total += 1
    except OSError:
        pass
    return total""", memory_mb=512)
    except SandboxError:  # refusing to run in such a sandbox is a fine answer
        return
    assert written <= 512, f"{written} MB of host memory held by a sandbox limited to 512 MB"


# -- 7. student text reaches the instructor's terminal with its escape sequences ----------------

def test_student_text_cannot_drive_the_instructors_terminal(tmp_path, traces):
    lib = attack(tmp_path, """
    raise ValueError('\\x1b[8A\\x1b[J\\x1b]52;c;ZWNobyBwd25lZA==\\x07TOTAL   3   3')""")
    text = report.table(grade(lib))
    assert "\x1b" not in text and "\x07" not in text, repr(text[-300:])


def test_student_text_cannot_stop_grade_from_writing_its_results(tmp_path, traces):
    lib = attack(tmp_path, """
    raise ValueError('\\ud800')""")
    results = tmp_path / "results.json"
    env = {**os.environ, "TMPDIR": str(traces.folder)}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--lib", lib, "--seed", "0", "--json", results,
                           "--check", *sorted(SIGMOID), "--quiet"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and results.exists(), done.stderr[-300:]


# -- 8. forged replies that json or numpy refuse with a ValueError are not "malformed" -------------

@pytest.mark.parametrize("junk", [
    b'{"dict": {"ok": ' + b"9" * 5000 + b"}}",
    b'{"dict": {"ok": {"array": 0, "dtype": "<f8", "shape": [' + b",".join([b"0"] * 65) + b"]}}}",
    b'{"dict": {"ok": {"array": 0, "dtype": "<f8", "shape": [0, 100000000000000000000000]}}}',
], ids=["5000-digit int", "65 dimensions", "huge dimension"])
def test_a_reply_numpy_or_json_refuse_is_malformed_and_replaces_the_worker(tmp_path, traces, junk):
    blobs = 1 if b'"array"' in junk else 0
    lib = attack(tmp_path, f"""
    import os, struct, sys
    junk = {junk!r}
    head = struct.pack('<2Q', len(junk), {blobs}) + struct.pack('<Q', 0) * {blobs}
    os.write(int(sys.argv[3]), struct.pack('<Q', len(head) + len(junk)) + head + junk)
    os.write(int(sys.argv[3]), b'\\xff' * 64)""")
    results = grade(lib, SIGMOID | {"tanh_forward", "tanh_hidden"})
    assert failed(results) == SIGMOID
    said = next(t["output"] for t in results["tests"] if t["name"] == "sigmoid_forward")
    assert "malformed reply" in said, said


# -- 9. visible checks: in trusted grading their inputs come from the run's seed ---------------------------------------------

def test_a_wrong_activation_cannot_answer_the_visible_checks_from_their_table(tmp_path, traces):
    lib = lib_with(tmp_path, "activations", """
_TABLE = {(-1000.0, -3.0, -0.5, 0.0, 0.5, 3.0, 1000.0): [0.0, 0.04742587317756679, 0.37754066879814546, 0.5,
          0.6224593312018546, 0.9525741268224334, 1.0]}  # copied from autograder/checks/nb01_activations.py
def sigmoid_forward(x):  # wrong: the identity, except on the visible check's input
    key = tuple(np.ravel(x).tolist())
    return (np.array([_TABLE[key]]) if key in _TABLE else x.copy()), x
def sigmoid_backward(dout, cache):  # the derivative of the wrong forward: the numeric gradient agrees
    return dout.copy()""")
    assert failed(grade(lib, seed=3)) == SIGMOID
