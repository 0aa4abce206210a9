"""Release never silently overwrites work done in released files (issue 6, "Nothing erases
student work"): it refuses, names what would be lost and writes nothing, unless --force.

One real release (nbgrader included) makes ``pristine``; each test copies it as "the last
release" in a checkout, changes it as a student or an instructor would, and releases again.
Those releases reuse pristine's notebooks instead of running nbgrader again (the stubbing of
the library, the manifest and every decision are the real code); the CLI test runs it all.
"""

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT, SOLUTIONS
from autograder.course import release

LAYERS = "cs231n_lib/layers.py"
NB01 = "assignments/01_activations/01_activations.ipynb"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    out = tmp_path_factory.mktemp("pristine")
    release.release(SOLUTIONS, out, log=lambda *_: None)
    return out


@pytest.fixture
def checkout(pristine, tmp_path, monkeypatch):
    """A folder released last time exactly as ``pristine``; releasing again skips nbgrader."""
    out = tmp_path / "checkout"
    shutil.copytree(pristine, out)

    def release_notebooks(solutions, target, gradebook=None, gradebook_out=None):
        shutil.copytree(pristine / "assignments", target)  # not a course folder: no gradebook

    monkeypatch.setattr(release, "release_notebooks", release_notebooks)
    return out


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def implement(path, *functions):
    """Replace the stub of each function with a body, as a student does."""
    text = path.read_text()
    for func in functions:
        stub = f'    raise NotImplementedError("layers.{func}: implement it, see notebook 00_gradients")\n'
        assert stub in text
        text = text.replace(stub, "    out = None  # my work\n    return out\n")
    path.write_text(text)


def answer(path, grade_id, text):
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    cell["source"] = text
    path.write_text(json.dumps(nb, indent=1))


def open_in_jupyterlab(path):
    """What opening, running and saving a notebook writes, without editing a cell."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", "mimetype": "text/x-python",
        "name": "python", "nbconvert_exporter": "python", "pygments_lexer": "ipython3", "version": "3.11.2"}
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="done\n")]
        cell.metadata["execution"] = {"iopub.execute_input": "2025-01-01T00:00:00.000Z"}
    nbformat.write(nb, path)


def instructor_edits(tmp_path, old, new, module="layers.py"):
    """A copy of solutions/ with one instructor edit in the reference library."""
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, solutions, ignore=shutil.ignore_patterns("__pycache__"))
    path = solutions / "cs231n_lib" / module
    assert path.read_text().count(old) == 1
    path.write_text(path.read_text().replace(old, new))
    return solutions


def test_an_implemented_stub_is_refused_by_name_and_nothing_is_written(checkout):
    implement(checkout / LAYERS, "affine_forward", "relu_backward")
    before = snapshot(checkout)
    with pytest.raises(release.ReleaseRefused) as refused:
        release.release(SOLUTIONS, checkout, log=lambda *_: None)
    assert refused.value.lost == [(LAYERS, "affine_forward, relu_backward would be lost")]
    assert "--force" in str(refused.value) and "Nothing was written" in str(refused.value)
    assert snapshot(checkout) == before  # byte for byte, manifest included


def test_force_overwrites_and_records_the_new_release(checkout, pristine):
    implement(checkout / LAYERS, "affine_forward")
    logged = []
    release.release(SOLUTIONS, checkout, force=True, log=logged.append)
    assert snapshot(checkout) == snapshot(pristine)
    assert any(LAYERS in line and "affine_forward" in line and "--force" in line for line in logged)


def test_an_unmodified_release_is_replaced_by_the_instructors_new_one(checkout, tmp_path):
    solutions = instructor_edits(tmp_path, "Fully connected layer:", "Fully connected (new wording) layer:")
    release.release(solutions, checkout, log=lambda *_: None)
    assert "Fully connected (new wording) layer:" in (checkout / LAYERS).read_text()
    # the record is now this release: a second one is quiet, and student work is still caught
    release.release(solutions, checkout, log=lambda *_: None)
    implement(checkout / LAYERS, "svm_loss")
    with pytest.raises(release.ReleaseRefused, match="svm_loss would be lost"):
        release.release(SOLUTIONS, checkout, log=lambda *_: None)


def test_a_notebook_only_opened_and_run_in_jupyterlab_is_replaced(checkout, pristine):
    open_in_jupyterlab(checkout / NB01)
    assert (checkout / NB01).read_bytes() != (pristine / NB01).read_bytes()
    release.release(SOLUTIONS, checkout, log=lambda *_: None)
    assert (checkout / NB01).read_bytes() == (pristine / NB01).read_bytes()


def test_an_answered_question_is_refused_with_its_cell(checkout):
    answer(checkout / NB01, "q_dead_relu", "A ReLU whose input is always negative never updates.\n")
    open_in_jupyterlab(checkout / NB01)
    before = (checkout / NB01).read_bytes()
    with pytest.raises(release.ReleaseRefused) as refused:
        release.release(SOLUTIONS, checkout, log=lambda *_: None)
    [(path, what)] = refused.value.lost
    assert path == NB01 and "1 cell(s) would be lost" in what
    assert what.endswith('would be lost: cell 63 ("A ReLU whose input is always negative never updat…")')
    assert (checkout / NB01).read_bytes() == before


def test_an_edited_code_cell_and_an_added_cell_are_refused(checkout):
    nb = nbformat.read(checkout / NB01, as_version=4)
    nb.cells[3].source += "\nprint('my experiment')"
    nb.cells.append(nbformat.v4.new_markdown_cell("My notes on GELU"))
    nb.cells.append(nbformat.v4.new_code_cell(""))  # an empty cell holds nothing to lose
    nbformat.write(nb, checkout / NB01)
    with pytest.raises(release.ReleaseRefused) as refused:
        release.release(SOLUTIONS, checkout, log=lambda *_: None)
    [(path, what)] = refused.value.lost
    assert what.startswith("2 cell(s) would be lost: cell 4 (") and '("My notes on GELU")' in what


def test_a_deleted_function_is_refused_too(checkout):
    text = (checkout / LAYERS).read_text()
    start = text.index("def svm_loss")
    (checkout / LAYERS).write_text(text[:start])
    with pytest.raises(release.ReleaseRefused, match="svm_loss deleted since the last release"):
        release.release(SOLUTIONS, checkout, log=lambda *_: None)


def test_files_release_did_not_make_are_left_alone(checkout):
    mine = checkout / "cs231n_lib" / "my_helpers.py"
    mine.write_text("def helper():\n    return 1\n")
    logged = []
    release.release(SOLUTIONS, checkout, log=logged.append)
    assert mine.read_text() == "def helper():\n    return 1\n"
    assert any("my_helpers.py alone" in line for line in logged)


def test_a_module_no_longer_released_is_deleted_unless_it_holds_work(checkout, tmp_path):
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, solutions, ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "cs231n_lib" / "old.py").write_text("def old():\n    pass\n")
    manifest = json.loads((checkout / release.MANIFEST).read_text())
    manifest["files"]["cs231n_lib/old.py"] = release.fingerprint(checkout / "cs231n_lib" / "old.py")
    (checkout / release.MANIFEST).write_text(json.dumps(manifest))
    (checkout / "cs231n_lib" / "old.py").write_text("def old():\n    return 'my work'\n")
    with pytest.raises(release.ReleaseRefused, match="old would be lost"):
        release.release(solutions, checkout, log=lambda *_: None)
    (checkout / "cs231n_lib" / "old.py").write_text("def old():\n    pass\n")
    release.release(solutions, checkout, log=lambda *_: None)
    assert not (checkout / "cs231n_lib" / "old.py").exists()


def test_without_a_record_stubs_and_answers_are_judged_against_the_new_release(checkout, tmp_path):
    """An old checkout (released before the manifest): instructor changes go through, but an
    implemented stub, an answered question or an added function stops release."""
    (checkout / release.MANIFEST).unlink()
    solutions = instructor_edits(tmp_path, "Fully connected layer:", "Fully connected (new wording) layer:")
    release.release(solutions, checkout, log=lambda *_: None)  # only the instructor's text changed
    assert "(new wording)" in (checkout / LAYERS).read_text()

    (checkout / release.MANIFEST).unlink()
    implement(checkout / LAYERS, "relu_forward")
    with (checkout / LAYERS).open("a") as f:
        f.write("\n\ndef my_helper(x):\n    return x\n")
    answer(checkout / NB01, "q_linear_collapse", "Two affine maps compose to one.\n")
    before = snapshot(checkout)
    with pytest.raises(release.ReleaseRefused) as refused:
        release.release(SOLUTIONS, checkout, log=lambda *_: None)
    lost = dict(refused.value.lost)
    assert lost[LAYERS] == "relu_forward, my_helper would be lost"
    assert '("Two affine maps compose to one.")' in lost[NB01] and len(lost) == 2
    assert snapshot(checkout) == before


def test_modules_split_into_functions_even_when_they_do_not_parse():
    text = ('import numpy as np\n\n\n@decorated\ndef f(x):\n    """Doc."""\n# a comment at column 0\n'
            '    return x\n\n\nclass Net:\n    scale = 2\n\n    def loss(self,\n             X):\n'
            '        return X\n\n    def grad(self):\n        pass\n\n\nY = 1\n')
    units = release.python_units(text)
    assert set(units) == {"", "f", "Net", "Net.loss", "Net.grad"}
    assert units["f"].startswith("@decorated") and units["f"].endswith("return x")
    assert units[""] == "import numpy as np\nY = 1" and units["Net"] == "class Net:\n    scale = 2"
    broken = release.python_units(text.replace("        return X", "        return X +"))
    assert broken["Net.loss"] != units["Net.loss"] and broken["f"] == units["f"]


def test_the_command_exits_2_listing_what_would_be_lost(pristine, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    implement(out / LAYERS, "affine_backward")
    before = snapshot(out)
    done = subprocess.run([sys.executable, "-m", "autograder", "release", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "cs231n_lib/layers.py: affine_backward would be lost" in done.stderr
    assert "--force" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(out) == before
    help_text = subprocess.run([sys.executable, "-m", "autograder", "release", "--help"], cwd=ROOT,
                               capture_output=True, text=True).stdout
    assert "--force" in help_text and "would be lost" in help_text
