"""Student code as an attacker: each class of attack loses the points of the checks it
targets, leaves no trace (no file outside its scratch folder, no surviving process) and
stays within bounds (the grader's memory, the grading time).

Each attack is a realistic piece of student code appended to an otherwise correct library.
Attacks that would only show themselves by succeeding (reading the solutions, reaching
the network) return the reference's answer when they succeed and garbage when they fail,
so the verdict itself says whether they got through.
"""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from conftest import ROOT, SOLUTIONS, failed, full_output, lib_with
from autograder import grading
from autograder.sandbox import Sandbox, isolation

pytestmark = pytest.mark.skipif(not isolation()[0], reason=f"no sandbox on this machine: {isolation()[1]}")

SIGMOID = {"sigmoid_forward", "sigmoid_backward", "sigmoid_hidden"}
MARKER = "cs231n-attack-marker"


def attack(tmp_path, body, *, module="activations", func="sigmoid_forward(x)"):
    """A correct library whose ``func`` runs ``body`` (which may return) before the reference."""
    return lib_with(tmp_path, module, f"_reference_{func.split('(')[0]} = {func.split('(')[0]}\n"
                    f"def {func}:\n{body}\n    return _reference_{func.split('(')[0]}({func.split('(')[1]}")


def grade(lib, names=SIGMOID, **kw):
    return grading.grade(lib, names=sorted(names), seed=kw.pop("seed", 0), **kw)


def survivors():
    """Processes, anywhere on the machine, whose command line carries MARKER."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and MARKER.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def snapshot(folder):
    return {p: p.stat().st_mtime_ns for p in pathlib.Path(folder).rglob("*")
            if "__pycache__" not in p.parts and ".pytest_cache" not in p.parts}


@pytest.fixture
def no_trace():
    """Asserts afterwards: the course folder is unchanged, no marker file or process is left,
    no sandbox folder or control group outlives its sandbox."""
    watched = [ROOT / "autograder", ROOT / "solutions", ROOT / "cs231n_lib", ROOT / "assignments"]
    before = {folder: snapshot(folder) for folder in watched}
    temp = pathlib.Path(tempfile.gettempdir())
    ours = f"cs231n-sandbox-{os.getpid()}-*"  # this process's sandboxes (tests may run side by side)
    yield
    for folder in watched:
        assert snapshot(folder) == before[folder], f"{folder} changed"
    assert not list(temp.glob(f"{MARKER}*")) and not list(pathlib.Path.home().glob(f"{MARKER}*"))
    deadline = time.monotonic() + 2
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert survivors() == []
    assert not list(temp.glob(ours))
    assert not list(pathlib.Path("/sys/fs/cgroup").glob(f"**/{ours}"))


def test_student_code_cannot_read_the_solutions(tmp_path, no_trace):
    # With the course folder in view, this returns the reference's own answer.
    lib = attack(tmp_path, f"""
    import importlib.util, sys
    for folder in [{str(SOLUTIONS)!r}, '/work', '/root', '..', '../..']:
        try:
            spec = importlib.util.spec_from_file_location('stolen', folder + '/cs231n_lib/activations.py')
            stolen = importlib.util.module_from_spec(spec); spec.loader.exec_module(stolen)
            return stolen.sigmoid_forward(x)
        except Exception:
            pass
    return x * 0, None""")
    assert failed(grade(lib)) == SIGMOID


def test_student_code_cannot_write_outside_its_scratch_folder(tmp_path, no_trace):
    targets = [ROOT / "autograder" / f"{MARKER}.py", SOLUTIONS / "cs231n_lib" / "activations.py",
               ROOT / "cs231n_lib" / "layers.py", pathlib.Path(tempfile.gettempdir()) / MARKER,
               pathlib.Path.home() / MARKER, "/submission/cs231n_lib/activations.py", "/grader/codec.py"]
    lib = attack(tmp_path, f"""
    for path in {[str(t) for t in targets]!r}:
        try:
            with open(path, 'a') as f:
                f.write('\\nraise SystemExit  # {MARKER}\\n')
        except OSError:
            pass""")
    assert failed(grade(lib)) == set()  # a later check would fail if a module had been changed
    assert (SOLUTIONS / "cs231n_lib" / "activations.py").read_text().count(MARKER) == 0


def test_student_code_cannot_see_signal_or_forge_the_grader(tmp_path, no_trace):
    results = tmp_path / "results.json"
    lib = attack(tmp_path, f"""
    import os, signal
    for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:
        try:
            cmdline = open(f'/proc/{{pid}}/cmdline', 'rb').read().split(b'\\0')
            if b'--json' in cmdline:
                path = cmdline[cmdline.index(b'--json') + 1].decode()
                open(path, 'w').write('{{"score": 999}}')
        except OSError:
            pass
    for pid in [os.getppid(), 1, -1]:
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    return x * 0, None""")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--lib", lib, "--seed", "0", "--json", results,
                           "--check", *sorted(SIGMOID), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    graded = json.loads(results.read_text())
    assert graded["score"] == 0 and graded["max_score"] == 3


def test_nothing_student_code_starts_outlives_grading(tmp_path, no_trace):
    lib = attack(tmp_path, f"""
    import os, subprocess, sys
    if getattr(sys, 'started', False):  # once is enough
        return _reference_sigmoid_forward(x)
    sys.started = True
    script = "import time, pathlib\\nfor _ in range(100):\\n    time.sleep(0.1)\\n" \\
             "    pathlib.Path('{tempfile.gettempdir()}/{MARKER}').write_text('late')"
    subprocess.Popen([sys.executable, '-c', script, '{MARKER}'], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.fork() == 0:  # a double fork, the classic daemon
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, '-c', script, '{MARKER}-daemon'])
        os._exit(0)""")
    assert failed(grade(lib)) == set()
    time.sleep(0.3)  # long enough for a survivor to write its file (no_trace looks for it)


def test_the_functions_given_to_a_numeric_gradient_routine_give_nothing_away(tmp_path, no_trace):
    # A wrong (one-sided) routine that first searches f for a way to the exact gradient.
    lib = attack(tmp_path, """
    import gc, inspect
    places = [f, getattr(f, '__self__', None), *(c.cell_contents for c in (f.__closure__ or ()))]
    places += list(inspect.getclosurevars(f).nonlocals.values()) + list(inspect.getclosurevars(f).globals.values())
    for place in places:
        for name in ('gradient', 'grad', 'derivative', 'cubic_sum_grad'):
            if callable(getattr(place, name, None)):
                return place.__getattribute__(name)(x)
    x = x.astype(float)
    grad = np.zeros_like(x)
    fx = f(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]; x[ix] = old + 1e-5
        grad[ix] = (f(x) - fx) / 1e-5
        x[ix] = old
    return grad""", module="gradient_check", func="eval_numerical_gradient(f, x, verbose=False, h=1e-5)")
    names = {"eval_numerical_gradient", "gradient_check_hidden"}
    assert failed(grade(lib, names)) == names


def test_a_seed_fixed_by_the_environment_repeats_a_run_and_a_bad_one_is_refused(monkeypatch):
    monkeypatch.setenv(grading.SEED_VARIABLE, " 1234 ")
    assert grading.new_seed() == 1234
    monkeypatch.setenv(grading.SEED_VARIABLE, "twelve")
    with pytest.raises(ValueError, match="not a whole number"):
        grading.new_seed()
    monkeypatch.setenv(grading.SEED_VARIABLE, "")
    assert grading.new_seed() != grading.new_seed()  # fresh draws of 31 bits


def test_hidden_inputs_are_fresh_each_run_and_the_seed_repeats_them(tmp_path, monkeypatch):
    monkeypatch.delenv(grading.SEED_VARIABLE)  # the tests' fixed seed, see conftest.py
    lib = lib_with(tmp_path, "activations", "")
    first, second = grading.grade(lib, names=["sigmoid_hidden"]), grading.grade(lib, names=["sigmoid_hidden"])
    assert first["seed"] != second["seed"]
    # A bug that shows only on some inputs (the first input's first entry positive): the
    # verdict depends on the seed, and the recorded seed repeats it.
    flaky = lib_with(tmp_path / "flaky", "activations", "_f, _calls = sigmoid_forward, []\n"
                     "def sigmoid_forward(x):\n    out, cache = _f(x)\n    _calls.append(1)\n"
                     "    if len(_calls) == 1 and x.size and float(x.flat[0]) > 0:\n        out = out * 1.01\n"
                     "    return out, cache")
    verdicts = {s: grading.grade(flaky, names=["sigmoid_hidden"], seed=s)["score"] for s in range(12)}
    assert set(verdicts.values()) == {0, 1}, "the inputs do not depend on the seed"
    assert all(grading.grade(flaky, names=["sigmoid_hidden"], seed=s)["score"] == v for s, v in verdicts.items())


def test_student_code_has_no_network(tmp_path, no_trace):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    lib = attack(tmp_path, f"""
    import socket
    for host in ('127.0.0.1', 'localhost', '10.0.2.2'):
        try:
            socket.create_connection((host, {port}), timeout=0.5).sendall(b'{MARKER}')
            return x * 0, None
        except OSError:
            pass""")
    assert failed(grade(lib)) == set()
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def peak_memory_mb():
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


@pytest.mark.parametrize("body, says", [
    ("    return np.ones(10_000_000), None", "returned too much data"),
    ("    raise ValueError('x' * 50_000_000)", "more characters cut"),
    ("    print('y' * 200_000_000)", "passed"),  # read as it comes, only its end kept
    ("    print('y' * 30_000_000, flush=True)\n    import os; os._exit(1)", "its last output"),
    ("    import warnings\n    for i in range(10000):\n        warnings.warn(str(i) * 10000)", "note: your code raised"),
])
def test_floods_are_cut_and_the_grader_stays_small(tmp_path, no_trace, body, says):
    lib = attack(tmp_path, body)
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # restart the peak-memory count
    before = peak_memory_mb()
    results = grade(lib, {"sigmoid_forward"})
    output = results["tests"][0]["output"]
    assert says in output and len(output) <= 3000, output[:300]
    assert peak_memory_mb() - before < 150


def test_slow_code_cannot_stretch_grading_beyond_the_budget(tmp_path, no_trace):
    lib = lib_with(tmp_path, "activations", "import time\n" + "".join(
        f"_{name} = {name}\ndef {name}(*args):\n    time.sleep(0.9)\n    return _{name}(*args)\n"
        for name in ["sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward"]))
    start = time.monotonic()
    results = grading.grade(lib, assignments=["01"], seed=0, timeout=1, budget=3)
    assert time.monotonic() - start < 3 + 2  # the budget, plus starting and stopping workers
    assert "used up its grading time" in full_output(results["tests"][-1])


@pytest.mark.parametrize("junk", [
    b'{"ok": {"list": [1, 2, 3]}, "extra": [[[[9999',  # cut short
    b'{"dict": {"callback": {"list": [1]}, "args": {"list": []}}}',  # a call back to nothing
    b'{"dict": {"ok": 1, "warnings": 5}}',
    b'{"dict": {"error": "a string, not a description"}}',
    b'{"dict": {"ok": {"array": 0, "dtype": "<f8", "shape": [1000000000]}}}',  # data it does not hold
])
def test_a_forged_reply_costs_only_that_check_and_the_next_worker_is_fresh(tmp_path, no_trace, junk):
    lib = attack(tmp_path, f"""
    import os, struct, sys
    fd = int(sys.argv[3])  # the reply pipe: write a reply of our own, then garbage
    junk = {junk!r}
    os.write(fd, struct.pack('<Q', len(junk) + 16) + struct.pack('<2Q', len(junk), 0) + junk)
    os.write(fd, b'\\xff' * 64)""")
    results = grade(lib, SIGMOID | {"tanh_forward", "tanh_hidden"})
    assert failed(results) == SIGMOID
    said = next(t["output"] for t in results["tests"] if t["name"] == "sigmoid_forward")
    assert "malformed reply" in said or "returned too much data" in said, said


def run_in_sandbox(tmp_path, code, memory_mb=4096):
    """Call ``probe()`` defined by ``code`` in a sandbox; returns what it returned."""
    lib = lib_with(tmp_path, "layers", code)
    with Sandbox(lib, memory_mb=memory_mb) as sandbox:
        sandbox.set_deadline(60)
        return sandbox.call("layers.probe")


def test_the_sandbox_sees_only_what_it_needs(tmp_path):
    seen = run_in_sandbox(tmp_path, """
def probe():
    import os, sys
    walk = sorted(os.path.join(d, n) for d, dirs, files in os.walk('/', topdown=True)
                  for n in files if not d.startswith(('/proc', '/sys', '/dev', '/usr', '/lib', '/bin', '/sbin', sys.base_prefix)))
    return {'walk': walk, 'uid': os.getuid(), 'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
            'cwd': os.getcwd(), 'env': sorted(os.environ), 'writable': [p for p in ('/', '/grader', '/submission', '/usr', '/scratch', '/tmp')
                                                                          if os.access(p, os.W_OK)]}""")
    assert all(path.startswith(("/grader/", "/submission/cs231n_lib/", "/etc/ld.so.cache")) for path in seen["walk"]), seen["walk"]
    assert not any("hidden_checks" in path or "solutions" in path for path in seen["walk"])
    assert seen["uid"] != 0 and len(seen["pids"]) <= 3 and seen["cwd"] == "/scratch"
    assert seen["writable"] == ["/scratch", "/tmp"]
    assert not any(k.startswith(("PYTHON", "JPY", "JUPYTER", "NBGRADER")) and k != "PYTHONHASHSEED" for k in seen["env"])


def control_groups():
    from autograder.sandbox.limits import ControlGroup

    group = ControlGroup.create(1 << 30, 8)
    if group:
        group.remove()
    return bool(group)


def test_the_number_of_processes_is_limited(tmp_path):
    counts = run_in_sandbox(tmp_path, """
def probe():
    import os, time
    children = 0
    for _ in range(200):
        try:
            if os.fork() == 0:
                time.sleep(5)
                os._exit(0)
            children += 1
        except OSError:
            break
    return children""")
    assert counts < 64


@pytest.mark.skipif(not control_groups(), reason="no control group can be created here: memory is limited per process")
def test_the_memory_limit_covers_the_whole_sandbox(tmp_path):
    memory = run_in_sandbox(tmp_path / "memory", """
def probe():
    import os
    pids = []
    for _ in range(4):  # four processes of 400 MB each: under the per-process limit, over the total
        pid = os.fork()
        if pid == 0:
            block = np.ones(50_000_000)
            os._exit(0)
        pids.append(pid)
    return [os.waitpid(pid, 0)[1] for pid in pids]""", memory_mb=1024)
    assert any(status != 0 for status in memory), "four 400 MB processes fit in a 1 GB sandbox"


def test_without_a_sandbox_grade_refuses_and_check_says_so(tmp_path):
    env = {**os.environ, "CS231N_BWRAP": "/nonexistent/bwrap"}
    lib = lib_with(tmp_path, "activations", "")
    # run outside the checkout: a gradebook.db there (make release writes one) is a secret too
    run = lambda *args: subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=tmp_path, env=env,
                                       capture_output=True, text=True, timeout=120)
    refused = run("grade", "--lib", lib, "--check", "sigmoid_forward")
    assert refused.returncode == 2 and "cannot be isolated" in refused.stderr and "--allow-unisolated" in refused.stderr
    out = tmp_path / "results.json"
    secrets = ["--solutions", SOLUTIONS]
    from autograder.sandbox import privileges

    if os.geteuid() == 0 and privileges.nobody_may(SOLUTIONS / "cs231n_lib" / "__init__.py"):
        # student code would run as nobody, who may read this checkout's reference: refused
        exposed = run("grade", "--lib", lib, "--check", "sigmoid_forward", "--allow-unisolated", *secrets)
        assert exposed.returncode == 2 and "every user may read" in exposed.stderr, exposed.stderr
        private = tmp_path / "solutions"  # pytest's folders are root's alone
        for part in ("cs231n_lib", "hidden_checks"):
            shutil.copytree(SOLUTIONS / part, private / part, ignore=shutil.ignore_patterns("__pycache__"))
        secrets = ["--solutions", private]
    allowed = run("grade", "--lib", lib, "--check", "sigmoid_forward", "--allow-unisolated", "--json", out, *secrets)
    assert allowed.returncode == 0, allowed.stderr
    assert "NOT ISOLATED" in json.loads(out.read_text())["extra_data"]["isolation"]
    checked = run("check", "--lib", lib, "--check", "sigmoid_forward")
    assert checked.returncode == 0 and checked.stderr.count("not in an isolated sandbox") == 1


def test_the_writable_folders_are_small_and_private(tmp_path):
    written = run_in_sandbox(tmp_path, """
def probe():
    sizes = {}
    for folder in ('/scratch', '/tmp'):
        total = 0
        try:
            for i in range(1000):
                with open(f'{folder}/fill{i}', 'wb') as f:
                    for _ in range(16):
                        f.write(b'z' * (1 << 20))
                        total += 1 << 20
        except OSError:
            pass
        sizes[folder] = total
    return sizes""")
    assert all(0 < size <= 64 << 20 for size in written.values()), written
