"""In the browser, as students see it: JupyterLab served from the student kit, driven by a real
headless Chromium (Debian's ``chromium``, through Playwright). A failing ``check()`` shows one
short line and a passing one its success; a notebook run but not saved is noticed by pack."""

import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from conftest import REFERENCE_LIB

CHROMIUM = os.environ.get("CS231N_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _why_not():
    if not CHROMIUM:
        return ("no chromium found (looked for `chromium` and `chromium-browser` on PATH and $CS231N_CHROMIUM): "
                "`make test` installs Debian's `chromium` with apt-get when run as root; otherwise "
                "`sudo apt-get install chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (`pip install -e '.[dev]'` installs it)"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(student_kit, tmp_path):
    """JupyterLab on 127.0.0.1 serving a copy of the kit whose activations are implemented (the
    reference's) and whose layers are the stubs; its kernels import the kit's autograder."""
    kit = tmp_path / "kit"
    shutil.copytree(student_kit, kit, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    shutil.copy(REFERENCE_LIB / "activations.py", kit / "cs231n_lib" / "activations.py")
    folder = kit / "assignments" / "01_activations"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "from autograder.notebook import setup, check\nQUICK = setup()",
        'check("sigmoid_forward")',
        'check("affine_forward")',
    )])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "try_checks.ipynb")
    settings = tmp_path / "settings"  # no autosave (the test saves nothing), no news pop-up
    for plugin, values in [("docmanager-extension/plugin", {"autosave": False}),
                           ("apputils-extension/notification", {"fetchNews": "false"})]:
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    runtime = tmp_path / "runtime"
    env = {**os.environ, "PYTHONPATH": str(kit), "JUPYTER_RUNTIME_DIR": str(runtime),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "PYTHONDONTWRITEBYTECODE": "1"}
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={kit}", "--ServerApp.open_browser=False",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=kit, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield {"url": url, "token": token, "notebook": folder / "try_checks.ipynb", "runtime": runtime,
               "shots": tmp_path}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_a_failing_check_shows_one_line_and_a_passing_one_its_success(lab, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from autograder.course import pack

    saved = lab["notebook"].stat().st_mtime
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(45_000)
            page.goto(f"{lab['url']}/lab/tree/assignments/01_activations/try_checks.ipynb?token={lab['token']}")
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for()  # the kernel is up
            # Run > Run All Cells, as a student would
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            failed = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            failed.first.wait_for()
            page.get_by_text("passed sigmoid_forward").wait_for()
            page.screenshot(path=str(lab["shots"] / "checks.png"), full_page=True)

            cells = page.locator(".jp-Notebook .jp-CodeCell")
            passing = cells.nth(1).locator(".jp-OutputArea").inner_text().strip()
            failing = cells.nth(2).locator(".jp-OutputArea").inner_text().strip()
        finally:
            browser.close()
    assert passing == "passed sigmoid_forward: 1/1 points"
    assert failing == "affine_forward failed: layers.affine_forward is not implemented yet (at layers.py:30)", failing
    for frame in ("Traceback", "autograder", "File ", "notebook.py", "---->"):
        assert frame not in failing

    # The notebook ran in JupyterLab but was never saved: pack says so, from the server's API.
    assert lab["notebook"].stat().st_mtime == saved
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(lab["runtime"]))
    said = pack.kernel_warning(lab["notebook"])
    assert said and "its kernel ran code at" in said and "after the file was last saved" in said
    assert pack.kernel_warning(pathlib.Path(REFERENCE_LIB / "layers.py")) is None
