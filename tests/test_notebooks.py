"""The notebooks: graded cells match the checks, masters run clean, releases fail only
where student code is needed."""

import json
import os
import platform
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT, SOLUTIONS
from autograder import grading
from autograder.course import nbcourse as course
from autograder.course.quotes import check_quotes

ASSIGNMENTS = course.assignment_ids(SOLUTIONS)
CHECKS = grading.load_checks(grading.hidden_checks_dir())
HIDDEN = re.compile(r"^### BEGIN HIDDEN TESTS\ncheck\(\"(\w+)\"\)\n### END HIDDEN TESTS$")


def master(assignment):
    return SOLUTIONS / assignment / f"{assignment}.ipynb"


def graded_cells(path):
    for cell in json.loads(path.read_text())["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            yield meta, "".join(cell["source"]).strip()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_cells_are_exactly_the_checks(assignment):
    seen = {}
    for meta, source in graded_cells(master(assignment)):
        name = meta["grade_id"]
        c = CHECKS[name]
        assert c.assignment == assignment and meta["points"] == c.points, name
        if c.hidden:
            assert HIDDEN.match(source) and HIDDEN.match(source).group(1) == name, source
        else:
            assert source == f'check("{name}")', source
        seen[name] = meta["points"]
    assert set(seen) == {n for n, c in CHECKS.items() if c.assignment == assignment}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_slow_cells_shrink_while_nbgrader_grades(assignment):
    sources = ["".join(c["source"]) for c in json.loads(master(assignment).read_text())["cells"]]
    assert "QUICK = setup()" in sources[0] or any("QUICK = setup()" in s for s in sources[:3])
    assert sum("QUICK" in s for s in sources) >= 2


def execute(path, allow_errors):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


RECORDED = "recorded numbers: "
REPORT = ("import json\nfrom threadpoolctl import threadpool_info\nfrom autograder.notebook import recorded\n"
          "blas = [i.get('architecture') for i in threadpool_info() if i.get('internal_api') == 'openblas']\n"
          f"print({RECORDED!r} + json.dumps({{'values': recorded(), 'blas': blas}}))")

# A second floating-point path: OpenBLAS's kernels for another x86 core type round matrix
# products differently (tests/test_notebooks.py shows it does), so a chaotic training number
# moves in its last digits just as it does on another machine. Every quote must hold on both.
SECOND_PATH = {"OPENBLAS_CORETYPE": "Sandybridge"}


def run_master(assignment, env=None):
    """The master notebook executed with the reference (in a kernel with ``env`` added to its
    environment); returns it with what record() kept and the OpenBLAS core types it used."""
    nb = nbformat.read(master(assignment), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))  # what record() kept, to check the prose's quotes
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(master(assignment).parent)}})
    # the instructor's own kernel: the hidden checks come from the folder CS231N_SOLUTIONS names
    client.execute(env={**os.environ, "CS231N_SOLUTIONS": str(SOLUTIONS), **(env or {})})
    report = json.loads(nb.cells[-1].outputs[0]["text"].strip()[len(RECORDED):])
    return nb, report["values"], report["blas"]


def quote_problems(nb, values):
    return check_quotes([c.source for c in nb.cells if c.cell_type == "markdown"], values)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_master_notebook_runs_clean_with_the_reference(assignment):
    nb, values, _ = run_master(assignment)
    outputs = [o for c in nb.cells[:-1] if c.cell_type == "code" for o in c.outputs]
    assert any(o.get("output_type") == "display_data" for o in outputs)  # it has plots
    assert not any(o.get("name") == "stderr" and "Warning" in o.get("text", "") for o in outputs)
    problems = quote_problems(nb, values)
    assert not problems, "prose quotes numbers the notebook did not measure:\n" + "\n".join(problems)


def on_x86():
    return platform.machine().lower() in ("x86_64", "amd64")


@pytest.mark.skipif(not on_x86(), reason="the second path is an x86 core type of OpenBLAS")
def test_the_second_floating_point_path_rounds_differently():
    product = ("import hashlib, numpy as np\nr = np.random.default_rng(0)\n"
               "a, b = r.standard_normal((300, 500)), r.standard_normal((500, 200))\n"
               "print(hashlib.sha256((a @ b).tobytes()).hexdigest())")
    digests = {}
    for name, env in [("default", {}), ("second", SECOND_PATH)]:
        done = subprocess.run([sys.executable, "-c", product], capture_output=True, text=True, check=True,
                              env={**os.environ, "OPENBLAS_NUM_THREADS": "1", **env})
        digests[name] = done.stdout.strip()
    assert digests["default"] != digests["second"], "OpenBLAS rounds the same on both paths"


@pytest.mark.skipif(not on_x86(), reason="the second path is an x86 core type of OpenBLAS")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_quotes_hold_on_a_second_floating_point_path(assignment):
    nb, values, blas = run_master(assignment, SECOND_PATH)
    assert blas and all(b.lower() == SECOND_PATH["OPENBLAS_CORETYPE"].lower() for b in blas), blas
    problems = quote_problems(nb, values)
    assert not problems, (f"with OPENBLAS_CORETYPE={SECOND_PATH['OPENBLAS_CORETYPE']}, prose quotes numbers "
                          "the notebook did not measure:\n" + "\n".join(problems))


def stub_error(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return o["ename"], o["evalue"]
    return None


def shown_traceback(cell):
    """What JupyterLab shows of a cell's error: its traceback lines, colours removed."""
    (error,) = [o for o in cell.outputs if o.get("output_type") == "error"]
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error["traceback"]))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_released_notebook_fails_only_where_student_code_is_needed(assignment):
    nb = execute(ROOT / "assignments" / assignment / f"{assignment}.ipynb", allow_errors=True)
    errors = [(c, stub_error(c)) for c in nb.cells if c.cell_type == "code" and stub_error(c)]
    assert errors
    for cell, (name, value) in errors:
        is_check = cell.metadata.get("nbgrader", {}).get("grade")
        if is_check:
            assert name == "CheckFailed" and "is not implemented yet" in value, (cell.source, value)
            # one line, as JupyterLab shows it: no traceback through the grader
            assert shown_traceback(cell) == f"{cell.metadata['nbgrader']['grade_id']} failed: {value}"
        else:
            assert name == "NotImplementedError" and "implement it, see notebook" in value, (cell.source, name, value)


def test_edits_to_the_library_take_effect_without_a_restart(tmp_path):
    import shutil

    shutil.copytree(ROOT / "cs231n_lib", tmp_path / "cs231n_lib")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in [
        "from autograder.notebook import setup\nsetup()\nfrom cs231n_lib import layers",
        "import pathlib, time\ntime.sleep(0.05)\npath = pathlib.Path('cs231n_lib/layers.py')\n"
        "path.write_text(path.read_text() + '\\n\\ndef answer():\\n    return 42\\n')",
        "print(layers.answer())",
    ]])
    path = tmp_path / "edit.ipynb"
    nbformat.write(nb, path)
    done = execute(path, allow_errors=False)
    assert done.cells[2].outputs[0]["text"].strip() == "42"
