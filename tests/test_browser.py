"""In the browser, as students see it: JupyterLab served from the student kit, driven by a real
headless Chromium (Debian's ``chromium``, through Playwright). A failing ``check()`` shows one
short line and a passing one its success; a notebook run but not saved is noticed by pack."""

import contextlib
import json
import os
import re
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


@contextlib.contextmanager
def jupyterlab(kit, tmp_path):
    """JupyterLab 4 on 127.0.0.1 serving ``kit``, whose kernels import the kit's autograder; no
    autosave (a test decides what is saved), no news pop-up, every cell rendered."""
    settings = tmp_path / "settings"
    for plugin, values in [("docmanager-extension/plugin", {"autosave": False}),
                           ("apputils-extension/notification", {"fetchNews": "false"}),
                           ("notebook-extension/tracker", {"windowingMode": "none"})]:
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
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={kit}", "--ServerApp.open_browser=False",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=kit, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield {"url": url, "token": token, "runtime": runtime}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@contextlib.contextmanager
def browser_page(tmp_path):
    """A page of a real headless Chromium (Debian's) with an empty profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def open_and_run_all(page, lab, notebook):
    page.goto(f"{lab['url']}/lab/tree/{notebook}?token={lab['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for()  # the kernel is up
    # Run > Run All Cells, as a student would
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def kit_with(student_kit, tmp_path, modules):
    """A copy of the kit with ``modules`` of cs231n_lib replaced by the reference's."""
    kit = tmp_path / "kit"
    shutil.copytree(student_kit, kit, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    for name in modules:
        shutil.copy(REFERENCE_LIB / f"{name}.py", kit / "cs231n_lib" / f"{name}.py")
    return kit


@pytest.fixture
def lab(student_kit, tmp_path):
    """JupyterLab serving a kit whose activations are implemented (the reference's) and whose
    layers are the stubs, with a notebook of two checks."""
    kit = kit_with(student_kit, tmp_path, ["activations"])
    folder = kit / "assignments" / "01_activations"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "from autograder.notebook import setup, check\nQUICK = setup()",
        'check("sigmoid_forward")',
        'check("affine_forward")',
    )])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "try_checks.ipynb")
    with jupyterlab(kit, tmp_path) as server:
        yield {**server, "notebook": folder / "try_checks.ipynb", "shots": tmp_path, "kit": kit}


def test_a_failing_check_shows_one_line_and_a_passing_one_its_success(lab, tmp_path, monkeypatch):
    from autograder.course import pack

    saved = lab["notebook"].stat().st_mtime
    with browser_page(tmp_path) as page:
        open_and_run_all(page, lab, "assignments/01_activations/try_checks.ipynb")
        page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first.wait_for()
        page.get_by_text("passed sigmoid_forward").wait_for()
        page.screenshot(path=str(lab["shots"] / "checks.png"))
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        passing = cells.nth(1).locator(".jp-OutputArea").inner_text().strip()
        failing = cells.nth(2).locator(".jp-OutputArea").inner_text().strip()
    assert passing == "passed sigmoid_forward: 1/1 points"
    stub = (lab["kit"] / "cs231n_lib" / "layers.py").read_text().splitlines()
    line = next(i for i, text in enumerate(stub, 1) if 'NotImplementedError("layers.affine_forward' in text)
    assert failing == f"affine_forward failed: layers.affine_forward is not implemented yet (at layers.py:{line})", failing
    for frame in ("Traceback", "autograder", "File ", "notebook.py", "---->"):
        assert frame not in failing

    # The notebook ran in JupyterLab but was never saved: pack says so, from the server's API.
    assert lab["notebook"].stat().st_mtime == saved
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(lab["runtime"]))
    said = pack.kernel_warning(lab["notebook"])
    assert said and "its kernel ran cell [" in said and "after the file was last saved" in said
    assert pack.kernel_warning(pathlib.Path(REFERENCE_LIB / "layers.py")) is None


def test_a_released_notebook_runs_clean_with_a_progress_widget_and_plots(student_kit, tmp_path):
    """Notebook 00 as released, against a finished library: Run All Cells gives no error, the
    Solver's tqdm bar is a widget and the plots are images (screenshots in tmp_path)."""
    kit = kit_with(student_kit, tmp_path, [p.stem for p in REFERENCE_LIB.glob("*.py")])
    notebook = kit / "assignments" / "00_gradients" / "00_gradients.ipynb"
    code_cells = sum(1 for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code" and c.source.strip())
    with jupyterlab(kit, tmp_path) as lab, browser_page(tmp_path) as page:
        open_and_run_all(page, lab, "assignments/00_gradients/00_gradients.ipynb")
        page.wait_for_function(
            """n => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                   .filter(e => /\\[\\d+\\]/.test(e.textContent)).length >= n""", arg=code_cells,
            polling=500, timeout=240_000)
        page.screenshot(path=str(tmp_path / "notebook00.png"))
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        shown_errors = [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
        images = page.locator(".jp-OutputArea-output img")
        widget = page.locator(".jp-OutputArea-output .widget-hprogress")  # ipywidgets 8's progress bar
        n_images, n_widgets = images.count(), widget.count()
        if n_images:
            images.last.screenshot(path=str(tmp_path / "plot.png"))
        if n_widgets:
            widget.first.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "progress.png"))
    assert not shown_errors
    assert n_images >= 3  # the notebook's figures, drawn as images
    assert n_widgets >= 1  # tqdm.auto drew its bar with ipywidgets, not as text


def test_a_library_file_opened_from_the_file_browser_is_edited_saved_and_checked_again(lab, tmp_path):
    """The student's loop, in the browser: a check fails on the stub; the student opens
    cs231n_lib/layers.py from JupyterLab's file browser (one click from the kit's root), edits it
    in the editor, saves it, runs the check again and reads one line naming the function and
    the line of the file as it is now (two lines were added above it)."""
    layers = lab["notebook"].parents[2] / "cs231n_lib" / "layers.py"
    stub = layers.read_text()
    todo = re.search(r'    # TODO \(00_gradients\): implement affine_forward\.\n    raise NotImplementedError\('
                     r'"layers\.affine_forward[^\n]*\n', stub).group()
    edited = "# my notes, added at the top\n\n" + stub.replace(
        todo, '    N = x.shape[0]\n    raise ValueError("my bug here")\n', 1)
    line = next(i for i, text in enumerate(edited.splitlines(), 1) if "my bug here" in text)
    with browser_page(tmp_path) as page:
        open_and_run_all(page, lab, "assignments/01_activations/try_checks.ipynb")
        page.get_by_text("affine_forward failed: layers.affine_forward is not implemented yet").wait_for()
        # the file browser, at the kit's root: the library is one click away
        page.locator(".jp-BreadCrumbs-home").first.click()
        page.locator(".jp-DirListing-item", has_text="cs231n_lib").first.dblclick()
        page.locator(".jp-DirListing-item", has_text="layers.py").first.dblclick()
        editor = page.locator(".jp-FileEditor .cm-content").first
        editor.wait_for()
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(edited)
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while layers.read_text() != edited and time.monotonic() < deadline:
            time.sleep(0.2)
        assert layers.read_text() == edited  # saved from the browser, byte for byte
        page.locator(".lm-TabBar-tab", has_text="try_checks.ipynb").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        said = f"affine_forward failed: layers.affine_forward raised ValueError: my bug here (at layers.py:{line})"
        page.get_by_text(said).wait_for()
        page.screenshot(path=str(tmp_path / "edited.png"))
        shown = page.locator(".jp-Notebook .jp-CodeCell").nth(2).locator(".jp-OutputArea").inner_text().strip()
    assert shown == said
