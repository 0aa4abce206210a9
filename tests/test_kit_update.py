"""`make update KIT=new.zip`: a student takes a newer kit, built by the release as a real zip,
into the kit they work in. New notebooks and provided code arrive; implemented functions and
answered questions stay as the student wrote them, and the command lists what it kept."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import SOLUTIONS
from autograder.course import kit, release

STUB = 'raise NotImplementedError("activations.sigmoid_forward: implement it, see notebook 01_activations")'
MINE = "return 1 / (1 + np.exp(-x)), x  # my sigmoid"
MY_ANSWER = "Because the gradient vanishes where the sigmoid saturates (my answer)."


def kit_zip(generated_release, tmp_path, name, change):
    """A kit zip made by the release from a copy of the generated release that ``change`` edits."""
    folder = tmp_path / f"{name}-generated"
    shutil.copytree(generated_release, folder)
    change(folder)
    (folder / release.MANIFEST).write_text(release.manifest_text(folder))
    return kit.write_kit_zip(SOLUTIONS, tmp_path / f"{name}.zip", log=lambda *_: None, generated=folder)


def older(folder):
    """The kit as the course sent it first: without notebook 08 yet."""
    shutil.rmtree(folder / "assignments" / "08_babysitting")


def newer(folder):
    """The course's next kit: reworded stubs' docstrings, a new provided function, a new sentence in a notebook."""
    module = folder / "cs231n_lib" / "activations.py"
    text = module.read_text()
    text = text.replace('def sigmoid_forward(x):\n    """', 'def sigmoid_forward(x):\n    """(Reworded.) ', 1)
    text = text.replace('def tanh_forward(x):\n    """', 'def tanh_forward(x):\n    """(Reworded.) ', 1)
    module.write_text(text + "\n\ndef softsign(x):\n    \"\"\"Provided.\"\"\"\n    return x / (1 + abs(x))\n")
    notebook = folder / "assignments" / "01_activations" / "01_activations.ipynb"
    nb = json.loads(notebook.read_text())
    markdown = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    markdown["source"] = "A sentence the course added.\n\n" + "".join(markdown["source"])
    notebook.write_text(json.dumps(nb, indent=1))


def run(kit_dir, *args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=kit_dir, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.fixture
def zips(generated_release, tmp_path):
    return kit_zip(generated_release, tmp_path, "kit-v1", older), kit_zip(generated_release, tmp_path, "kit-v2", newer)


def student_works_in(zip_path, tmp_path):
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path / "home")
    folder = tmp_path / "home" / zip_path.stem
    module = folder / "cs231n_lib" / "activations.py"
    assert STUB in module.read_text()
    module.write_text(module.read_text().replace(STUB, MINE, 1))
    notebook = folder / "assignments" / "01_activations" / "01_activations.ipynb"
    nb = json.loads(notebook.read_text())
    answer = next(c for c in nb["cells"] if "YOUR ANSWER HERE" in "".join(c["source"]))
    answer["source"] = MY_ANSWER
    answer["outputs"] = answer.get("outputs", [])
    notebook.write_text(json.dumps(nb, indent=1))
    (folder / "README.md").write_text((folder / "README.md").read_text() + "\nmy notes\n")
    return folder


def test_update_brings_the_new_kit_and_keeps_every_function_and_answer(zips, tmp_path):
    v1, v2 = zips
    folder = student_works_in(v1, tmp_path)
    assert not (folder / "assignments" / "08_babysitting").exists()

    done = run(folder, "update", v2)
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout
    assert re.search(r"updated  cs231n_lib/activations.py, keeping your function\(s\) sigmoid_forward$", said, re.M)
    assert re.search(r"updated  assignments/01_activations/01_activations.ipynb, keeping your answer\(s\) \S+", said)
    assert "added    assignments/08_babysitting/08_babysitting.ipynb" in said
    assert "kept     README.md, as you changed it" in said
    assert re.search(r"^updated .*: \d+ added, \d+ updated, 3 holding your work kept as yours$", said, re.M)

    module = (folder / "cs231n_lib" / "activations.py").read_text()
    assert MINE in module and STUB not in module  # the student's function
    assert "def softsign(x):" in module  # the new provided code
    assert '"""(Reworded.) ' in module.split("def tanh_forward")[1]  # an untouched stub takes the new text
    nb = json.loads((folder / "assignments" / "01_activations" / "01_activations.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert MY_ANSWER in sources and any(s.startswith("A sentence the course added.") for s in sources)
    assert (folder / "assignments" / "08_babysitting" / "08_babysitting.ipynb").is_file()
    assert (folder / "README.md").read_text().endswith("my notes\n")

    # the updated kit runs its checks on the merged library, and a second update changes nothing
    checked = run(folder, "check", "--check", "sigmoid_forward", "--quiet")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    again = run(folder, "update", v2)
    assert again.returncode == 0 and "0 added, 0 updated" in again.stdout, again.stdout + again.stderr
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts} == before


def test_a_notebook_with_edits_beyond_answers_is_kept_whole_with_the_new_one_beside_it(zips, tmp_path):
    v1, v2 = zips
    folder = student_works_in(v1, tmp_path)
    notebook = folder / "assignments" / "01_activations" / "01_activations.ipynb"
    nb = json.loads(notebook.read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "print('my experiment')", "outputs": [],
                        "execution_count": None})
    notebook.write_text(json.dumps(nb, indent=1))
    mine = notebook.read_bytes()
    done = run(folder, "update", v2)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kept     assignments/01_activations/01_activations.ipynb whole, as yours" in done.stdout
    assert notebook.read_bytes() == mine
    beside = json.loads((notebook.parent / "01_activations.kit-new.ipynb").read_text())
    assert any("".join(c["source"]).startswith("A sentence the course added.") for c in beside["cells"])


def test_update_refuses_what_is_not_a_kit_and_writes_nothing(zips, tmp_path):
    v1, _ = zips
    folder = student_works_in(v1, tmp_path)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    bogus = tmp_path / "photos.zip"
    with zipfile.ZipFile(bogus, "w") as zf:
        zf.writestr("holiday/readme.txt", "not a kit")
    done = run(folder, "update", bogus)
    assert done.returncode == 2 and "is not a student kit" in done.stderr and "Traceback" not in done.stderr
    done = run(folder, "update", tmp_path / "missing.zip")
    assert done.returncode == 2 and "cannot read" in done.stderr
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
