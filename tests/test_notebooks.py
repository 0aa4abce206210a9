"""The notebooks: graded cells match the checks, masters run clean, releases fail only
where student code is needed."""

import json
import re

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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_master_notebook_runs_clean_with_the_reference(assignment, monkeypatch):
    monkeypatch.setenv("CS231N_SOLUTIONS", str(SOLUTIONS))  # the instructor's own kernel: hidden checks too
    nb = nbformat.read(master(assignment), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(  # what record() kept, to check the prose's quotes
        f"import json\nfrom autograder.notebook import recorded\nprint({RECORDED!r} + json.dumps(recorded()))"))
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(master(assignment).parent)}}).execute()
    outputs = [o for c in nb.cells[:-1] if c.cell_type == "code" for o in c.outputs]
    assert any(o.get("output_type") == "display_data" for o in outputs)  # it has plots
    assert not any(o.get("name") == "stderr" and "Warning" in o.get("text", "") for o in outputs)
    values = json.loads(nb.cells[-1].outputs[0]["text"].strip()[len(RECORDED):])
    problems = check_quotes([c.source for c in nb.cells if c.cell_type == "markdown"], values)
    assert not problems, "prose quotes numbers the notebook did not measure:\n" + "\n".join(problems)


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
