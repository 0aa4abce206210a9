"""The student kit and `pack`: what students get, that it installs and runs on its own, and
that packing checks, warns and writes the submission without touching the student's files."""

import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import REFERENCE_LIB, ROOT, SOLUTIONS
from autograder.course import kit, pack, release, submission


@pytest.fixture
def kit_copy(student_kit, tmp_path):
    """A kit a student works in (a copy, so each test starts from the released kit)."""
    return pathlib_copy(student_kit, tmp_path / "cs231n-kit")


def pathlib_copy(source, target):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    return target


def run(kit_dir, *args, python=sys.executable):
    """``python -m autograder`` in the kit: the working folder comes first on sys.path, so the
    kit's own autograder/ runs, not this checkout's."""
    return subprocess.run([python, "-m", "autograder", *map(str, args)], cwd=kit_dir, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def tree_state(folder, skip=("submissions",)):
    """{relative path: (sha256, mode, mtime)} of every file and folder, ``skip`` left out."""
    state = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in skip:
            continue
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        state[rel.as_posix()] = (digest, st.st_mode, st.st_mtime_ns)
    return state


def test_the_kit_holds_what_students_get(student_kit):
    names = {p.relative_to(student_kit).as_posix() for p in student_kit.rglob("*") if p.is_file()}
    assert {"README.md", "Makefile", "pyproject.toml", "nbgrader_config.py", "cs231n_lib/__init__.py", "autograder/notebook.py",
            "autograder/course/pack.py", "autograder/course/submission.py", "autograder/sandbox/worker.py",
            "assignments/01_activations/01_activations.ipynb"} <= names
    assert {f"autograder/{rel.as_posix()}" for rel in kit.grader_files()} == {n for n in names if n.startswith("autograder/")}
    from autograder.files import default_mode

    assert student_kit.stat().st_mode & 0o777 == default_mode(directory=True)  # the umask's, not a temp folder's 0700
    assert len([n for n in names if n.startswith("autograder/checks/nb")]) == len(list((ROOT / "autograder" / "checks").glob("nb*.py")))

    readme = (student_kit / "README.md").read_text()
    block = re.search(r"## Two commands\n\n```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make lab", "make pack A=01_activations"]
    makefile = (student_kit / "Makefile").read_text()
    assert re.search(r"^lab: ", makefile, re.M) and re.search(r"^pack: ", makefile, re.M)
    assert "pip install --quiet -e ." in makefile

    import tomllib

    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    theirs = tomllib.loads((student_kit / "pyproject.toml").read_text())
    assert set(theirs["project"]["dependencies"]) == set(ours)  # nbgrader too: fetch, submit, feedback
    assert theirs["tool"]["setuptools"]["packages"] == ["autograder", "autograder.checks", "autograder.course",
                                                       "autograder.sandbox"]


def test_the_kit_as_a_zip_unpacks_to_the_same_kit(student_kit, generated_release, tmp_path):
    import zipfile

    path = kit.write_kit_zip(SOLUTIONS, tmp_path / "cs231n-kit-2026.zip", log=lambda *_: None,
                             generated=generated_release)
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path / "unpacked")
    unpacked = tmp_path / "unpacked" / "cs231n-kit-2026"
    files = lambda folder: {p.relative_to(folder) for p in folder.rglob("*")  # noqa: E731
                            if p.is_file() and "__pycache__" not in p.parts}
    assert files(unpacked) == files(student_kit)
    assert (unpacked / "README.md").read_text() == (student_kit / "README.md").read_text()


def test_the_kit_offers_only_the_student_commands(student_kit):
    done = run(student_kit, "--help")
    assert done.returncode == 0 and re.search(r"check .*\n.*list .*\n.*pack ", done.stdout)
    assert not re.search(r"^\s+(grade|release|demo|sync-gradebook)\s", done.stdout, re.M)
    done = run(student_kit, "release")
    assert done.returncode == 2 and "invalid choice" in done.stderr and "Traceback" not in done.stderr
    # every module of the kit's grader imports with only what the kit holds
    modules = [".".join(("autograder", *rel.with_suffix("").parts)).removesuffix(".__init__")
               for rel in kit.grader_files() if rel.name != "__main__.py"]
    code = f"import importlib\nfor m in {modules!r}: importlib.import_module(m)\nprint(importlib.import_module('autograder').__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=student_kit, capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(student_kit / "autograder" / "__init__.py")  # the kit's, not this checkout's


def test_updating_a_kit_never_overwrites_student_work(kit_copy, generated_release):
    write = lambda force=False: kit.write_kit(SOLUTIONS, kit_copy, force=force, log=lambda *_: None,  # noqa: E731
                                             generated=generated_release)
    write()  # an untouched kit updates silently
    module = kit_copy / "cs231n_lib" / "activations.py"
    module.write_text(re.sub(r'raise NotImplementedError\("activations.sigmoid_forward[^\n]*',
                             "out = 1 / (1 + np.exp(-x))", module.read_text(), count=1))
    (kit_copy / "README.md").write_text((kit_copy / "README.md").read_text() + "\nmy notes\n")
    before = tree_state(kit_copy)
    with pytest.raises(release.ReleaseRefused) as refused:
        write()
    assert "README.md" in str(refused.value)
    assert tree_state(kit_copy) == before
    (kit_copy / "README.md").write_text((kit_copy / "README.md").read_text().replace("\nmy notes\n", ""))
    with pytest.raises(release.ReleaseRefused, match="activations.py: sigmoid_forward would be lost"):
        write()
    assert tree_state(kit_copy) == tree_state(kit_copy) and "1 / (1 + np.exp(-x))" in module.read_text()
    write(force=True)
    assert "1 / (1 + np.exp(-x))" not in module.read_text()
    with pytest.raises(release.ReleaseError, match="instructor's course folder"):
        kit.write_kit(SOLUTIONS, ROOT, generated=generated_release)


def test_pack_checks_warns_and_writes_the_layout_without_touching_student_files(kit_copy):
    before = tree_state(kit_copy)
    done = run(kit_copy, "pack", "01")
    assert done.returncode == 0, done.stderr  # a zip was written: warnings and failed checks are no error
    assert done.stdout.rstrip().splitlines()[-1] == "packed: 12 of 12 visible checks failed, 2 warnings (above); score 0 / 14"
    assert re.search(r"TOTAL\s+0\s+14", done.stdout) and "activations.gelu_forward is not implemented yet" in done.stdout
    assert "still raise NotImplementedError" in done.stderr and "activations.sigmoid_forward" in done.stderr
    assert "3 written answer(s)" in done.stderr
    assert "its checkpoint is not newer and no running JupyterLab ran it" in done.stdout  # what was compared
    assert tree_state(kit_copy) == before  # nothing of the student's changed, not even a timestamp
    packed = submission.read(kit_copy / "submissions" / "01_activations.zip", "01_activations")
    assert packed.notebook == (kit_copy / "assignments" / "01_activations" / "01_activations.ipynb").read_bytes()
    assert set(packed.library) == {p.name for p in (kit_copy / "cs231n_lib").glob("*.py")}


def test_pack_of_finished_work_passes_without_warnings(kit_copy):
    for path in REFERENCE_LIB.glob("*.py"):
        shutil.copy(path, kit_copy / "cs231n_lib" / path.name)
    notebook = kit_copy / "assignments" / "01_activations" / "01_activations.ipynb"
    notebook.write_text(notebook.read_text().replace("YOUR ANSWER HERE", "Because the gradient vanishes."))
    done = run(kit_copy, "pack", "01_activations", "--out", kit_copy.parent / "hand-in" / "mine.zip")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"TOTAL\s+14\s+14", done.stdout) and "warning" not in done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == "packed: all 12 visible checks passed; score 14 / 14"
    assert submission.read(kit_copy.parent / "hand-in" / "mine.zip").assignment == "01_activations"


def test_pack_warns_when_the_checkpoint_is_newer_than_the_notebook(kit_copy):
    notebook = kit_copy / "assignments" / "01_activations" / "01_activations.ipynb"
    assert pack.checkpoint_warning(notebook) is None
    checkpoint = notebook.parent / ".ipynb_checkpoints" / "01_activations-checkpoint.ipynb"
    checkpoint.parent.mkdir()
    shutil.copy(notebook, checkpoint)
    os.utime(notebook, (time.time() - 600, time.time() - 600))
    said = pack.checkpoint_warning(notebook)
    assert "older than its checkpoint" in said and "saved" in said and "Save Notebook" in said


@pytest.mark.parametrize("args, says", [
    (["pack", "99"], "there is no assignment '99'. Give one of 00_gradients"),
    (["pack"], "which assignment? Give one of"),
    (["pack", "01", "--out", "x.txt"], "must name a .zip file"),
])
def test_pack_bad_input_exits_2_and_writes_nothing(kit_copy, args, says):
    done = run(kit_copy, *args)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    assert not (kit_copy / "submissions").exists()


def test_pack_outside_a_course_folder_says_where_to_run_it(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "pack", "01"], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "Run pack inside your course folder" in done.stderr


def reuse_installed_packages(venv):
    """A new virtual environment that sees this one's installed packages (a .pth file), so
    pip finds every dependency of the kit already there and installs only the kit itself:
    the kit's own requirements are still resolved, without unpacking JupyterLab again."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    (site,) = venv.glob("lib/python*/site-packages")
    ours = [p for p in sys.path if p.endswith("site-packages") and pathlib.Path(p).is_dir()]
    (site / "_reuse_installed.pth").write_text("\n".join(ours) + "\n")


def test_the_kit_installs_in_a_fresh_venv_and_its_notebook_runs_there(kit_copy):
    """`make lab`'s set-up step in a new virtual environment (which reuses the packages
    installed here), then the released 00 notebook executed by that environment's kernel
    against the stubs: each check cell fails with one short line and no frame of the grader."""
    reuse_installed_packages(kit_copy / ".venv")
    student = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a student's shell: not our checkout
    done = subprocess.run(["make", "-C", str(kit_copy), ".venv/.installed", f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, timeout=900,
                          env={**student, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    python = kit_copy / ".venv" / "bin" / "python"
    where = subprocess.run([python, "-c", "import autograder; print(autograder.__file__)"], cwd="/",
                           capture_output=True, text=True, env=student)
    assert where.stdout.strip() == str(kit_copy / "autograder" / "__init__.py")

    notebook = kit_copy / "assignments" / "00_gradients" / "00_gradients.ipynb"
    script = ("import nbformat, nbclient, sys\n"
              "nb = nbformat.read(sys.argv[1], as_version=4)\n"
              "nbclient.NotebookClient(nb, allow_errors=True, timeout=300, kernel_name='python3',\n"
              "    resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
              "nbformat.write(nb, sys.argv[3])\n")
    executed = kit_copy.parent / "executed.ipynb"
    done = subprocess.run([python, "-c", script, notebook, notebook.parent, executed], capture_output=True,
                          text=True, timeout=600, env=student)
    assert done.returncode == 0, done.stderr[-3000:]
    import nbformat

    cells = nbformat.read(executed, as_version=4).cells
    printed = "".join(o.get("text", "") for c in cells if c["cell_type"] == "code" for o in c["outputs"])
    assert f"Using cs231n_lib from {kit_copy / 'cs231n_lib'}" in printed
    checks = [c for c in cells if c["source"].startswith("check(")]
    assert len(checks) >= 8
    for cell in checks:
        (error,) = [o for o in cell["outputs"] if o["output_type"] == "error"]
        name = re.match(r'check\("(\w+)"\)', cell["source"]).group(1)
        assert error["ename"] == "CheckFailed" and "is not implemented yet" in error["evalue"]
        shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error["traceback"]))
        assert shown == f"{name} failed: {error['evalue']}"  # one line: no grader frames, no traceback


def test_pack_shows_only_visible_checks_whatever_student_code_raises(kit_copy):
    """pack runs the visible checks alone (a kit has no hidden ones, and pack never looks for
    them), so what student code puts into a message can only be a visible check's input."""
    from test_attacks_hidden_inputs import TELL

    for path in REFERENCE_LIB.glob("*.py"):
        shutil.copy(path, kit_copy / "cs231n_lib" / path.name)
    module = kit_copy / "cs231n_lib" / "activations.py"
    module.write_text(module.read_text() + TELL)
    done = run(kit_copy, "pack", "01")
    assert done.returncode == 0, done.stderr  # the zip was written
    assert "sigmoid_forward raised ValueError: LEAK[" in done.stdout  # a visible check's own input
    assert "_hidden" not in done.stdout and "(hidden)" not in done.stdout and "instructor only" not in done.stdout


def test_make_lab_opens_jupyterlab_at_the_kit_root_and_as_root_says_allow_root(kit_copy, tmp_path):
    """The kit's Makefile's own `lab` command, run by make: JupyterLab serves the kit's root, so the
    notebooks and cs231n_lib/ are both in its file browser; as root it passes --allow-root and says so."""
    venv = kit_copy / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "jupyter").symlink_to(pathlib.Path(sys.executable).parent / "jupyter")
    (kit_copy / ".venv" / ".installed").touch()  # set up already: make goes straight to JupyterLab
    port, token = _free_port(), "kit-lab-test-token"
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"ip": "127.0.0.1", "port": port, "open_browser": False},
        "IdentityProvider": {"token": token}}))
    # a student's shell: not inside `make test`, whose make would number this one make[1] and say so
    shell = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    env = {**shell, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "make-lab.log", "w+")
    lab = subprocess.Popen(["make", "lab"], cwd=kit_copy, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        listing = _wait_for_json(f"http://127.0.0.1:{port}/api/contents/?token={token}", lab, log)
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)  # make and the JupyterLab it started, by our own process group
        lab.wait(timeout=30)
    log.seek(0)
    said = log.read()
    names = {item["name"] for item in listing["content"]}
    assert {"assignments", "cs231n_lib", "README.md"} <= names, names
    if os.geteuid() == 0:
        assert "running as root, so JupyterLab starts with --allow-root" in said
        assert re.search(r"^\.venv/bin/jupyter lab --ServerApp\.root_dir=\. --allow-root$", said, re.M), said[:2000]
    # and for anyone else, the same command without --allow-root
    dry = subprocess.run(["make", "-n", "lab", "ROOT_FLAG="], cwd=kit_copy, capture_output=True, text=True, env=shell)
    assert dry.stdout.split("\n")[-2].strip() == ".venv/bin/jupyter lab --ServerApp.root_dir=.", dry.stdout
    assert "--allow-root" not in dry.stdout


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_json(url, process, log, seconds=90):
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + seconds
    while True:
        try:
            with opener.open(url, timeout=2) as reply:
                return json.loads(reply.read())
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise AssertionError("make lab did not serve JupyterLab:\n" + log.read()[-3000:])
            time.sleep(0.3)


def test_pack_warns_of_a_cell_run_after_the_save_and_not_of_a_notebook_only_reopened(kit_copy, tmp_path,
                                                                                   monkeypatch):
    """A real JupyterLab server: reopening a saved notebook starts a kernel (its activity is newer
    than the file) but runs no cell, so pack says nothing; a cell run after the save is warned
    about; once the file holds that cell's run, it is not."""
    import urllib.request

    from jupyter_client import BlockingKernelClient
    from test_browser import jupyterlab

    rel = "assignments/01_activations/01_activations.ipynb"
    notebook = kit_copy / rel
    old = time.time() - 600
    os.utime(notebook, (old, old))  # saved ten minutes ago
    with jupyterlab(kit_copy, tmp_path) as lab:
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(lab["runtime"]))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(
            f"{lab['url']}/api/sessions", method="POST", headers={"Authorization": f"token {lab['token']}"},
            data=json.dumps({"path": rel, "type": "notebook", "name": "", "kernel": {"name": "python3"}}).encode())
        with opener.open(request, timeout=60) as reply:
            kernel_id = json.loads(reply.read())["kernel"]["id"]
        client = BlockingKernelClient(connection_file=str(lab["runtime"] / f"kernel-{kernel_id}.json"))
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)  # the kernel answered: its activity is now newer than the file
            assert pack.kernel_warning(notebook) is None  # reopened, nothing run
            client.execute_interactive("x = 1", timeout=60)
            said = pack.kernel_warning(notebook)
            assert said and "its kernel ran cell [1] after the file was last saved" in said, said
            nb = json.loads(notebook.read_text())
            cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
            cell["execution_count"] = 1
            notebook.write_text(json.dumps(nb))
            os.utime(notebook, (old, old))
            assert pack.kernel_warning(notebook)  # a count 1 in the file, but of another cell: still unsaved
            cell["source"] = "x = 1"
            notebook.write_text(json.dumps(nb))
            os.utime(notebook, (old, old))  # the run is in the file, whatever its time says
            assert pack.kernel_warning(notebook) is None
        finally:
            client.stop_channels()
