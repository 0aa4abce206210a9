"""The released material is generated, current, uniform and leaks nothing."""

import importlib.util
import json
import pathlib
import re

import pytest

from conftest import ROOT, SOLUTIONS, STUB_LIB
from autograder.course import release

RELEASED = [ROOT / "assignments", STUB_LIB]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, generated_release):
    out = tmp_path_factory.mktemp("release")
    release.release(SOLUTIONS, out, log=lambda *_: None, generated=generated_release)
    return out


def tree(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def stale_files(committed, regenerated):
    """Files of ``committed`` that are not what release generates as ``regenerated``; notebooks
    are compared without what JupyterLab writes when they are only opened or run."""
    return [str(p) for p in tree(committed) if not release.same_release(committed / p, regenerated / p)]


@pytest.mark.parametrize("name", ["assignments", "cs231n_lib"])
def test_released_files_are_current(fresh, name):
    committed, regenerated = ROOT / name, fresh / name
    assert tree(committed) == tree(regenerated), f"run `make release`: {name}/ has other files"
    stale = stale_files(committed, regenerated)
    assert not stale, f"run `make release`: these are stale: {stale}"


def test_the_release_manifest_is_current(fresh):
    assert (ROOT / release.MANIFEST).read_text() == (fresh / release.MANIFEST).read_text(), \
        f"run `make release`: {release.MANIFEST} is stale"


def test_the_gradebook_knows_every_assignment_with_its_graded_cells_and_hidden_tests(generated_release, fresh):
    """`nbgrader autograde` needs the assignments, their graded cells and the source of each
    locked cell (hidden tests included) in the course's gradebook: release generates it
    (tests/test_exchange.py releases into a course folder and grades), and writes it only
    into a course folder, never into a kit (it holds the hidden test cells)."""
    assert not (fresh / "gradebook.db").exists()
    from nbgrader.api import Gradebook

    from autograder.course import nbcourse

    master = {}  # (assignment, grade_id) -> (points, source) from the instructor's notebooks
    for assignment in nbcourse.assignment_ids(SOLUTIONS):
        nb = json.loads((SOLUTIONS / assignment / f"{assignment}.ipynb").read_text())
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                source = "".join(cell["source"]) if meta.get("locked") else None  # answers are cleared
                master[assignment, meta["grade_id"]] = (meta["points"], source)
    recorded = {}
    with Gradebook(f"sqlite:///{generated_release / 'gradebook.db'}") as gb:
        assert sorted(a.name for a in gb.assignments) == nbcourse.assignment_ids(SOLUTIONS)
        for a in gb.assignments:
            assert [n.name for n in a.notebooks] == [a.name]
            sources = {c.name: c.source if c.locked else None for c in a.notebooks[0].source_cells}
            for cell in a.notebooks[0].grade_cells:
                recorded[a.name, cell.name] = (cell.max_score, sources[cell.name])
    assert recorded == master
    assert any("### BEGIN HIDDEN TESTS" in (source or "") for _, source in recorded.values())


def test_opening_a_notebook_in_jupyterlab_does_not_make_it_stale(fresh, tmp_path):
    """JupyterLab fills in language_info when a notebook is opened, and running it adds outputs
    and execution counts: still current. A changed cell source is stale."""
    name = "01_activations/01_activations.ipynb"
    opened = tmp_path / "opened"
    (opened / "01_activations").mkdir(parents=True)
    nb = json.loads((ROOT / "assignments" / name).read_text())
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.2"}
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code.update(execution_count=1, outputs=[{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}])
    code["metadata"]["execution"] = {"iopub.status.idle": "2025-01-01T00:00:00.000Z"}
    (opened / name).write_text(json.dumps(nb, indent=2, sort_keys=True))
    assert stale_files(opened, fresh / "assignments") == []

    answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
    answer["source"] = ["My answer."]
    (opened / name).write_text(json.dumps(nb, indent=2, sort_keys=True))
    assert stale_files(opened, fresh / "assignments") == [name]


def notebook_cells(path):
    return json.loads(path.read_text())["cells"]


def region_lines(text, begin, end):
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def meaningful(lines):
    # short lines ("else:", "return out") say nothing about a solution
    return {s for s in lines if len(re.sub(r"\s", "", s)) >= 12}


def solution_lines():
    """Lines from solution regions, solution cells, model answers and the notebooks' hidden tests."""
    found = set()
    for path in (SOLUTIONS / "cs231n_lib").glob("*.py"):
        found.update(region_lines(path.read_text(), release.BEGIN, release.END))
    for path in SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb"):
        for cell in notebook_cells(path):
            meta, text = cell["metadata"].get("nbgrader", {}), "".join(cell["source"])
            if meta.get("solution") and cell["cell_type"] == "markdown":
                found.update(line.strip() for line in text.splitlines())
            elif meta.get("solution"):
                found.update(region_lines(text, release.BEGIN, release.END) or text.splitlines())
            found.update(region_lines(text, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
    return meaningful(found)


def hidden_check_lines():
    found = set()
    for path in (SOLUTIONS / "hidden_checks").glob("*.py"):
        found.update(line.strip() for line in path.read_text().splitlines()
                     if not line.startswith(("import ", "from ")))
    return meaningful(found)


def secrets():
    """Every line students must not get: solutions, answers, hidden tests and hidden checks."""
    return solution_lines() | hidden_check_lines()


def released_lines(folder):
    for path in folder.rglob("*"):
        if path.suffix == ".py":
            yield path, path.read_text().splitlines()
        elif path.suffix == ".ipynb":
            yield path, [line for c in notebook_cells(path) for line in "".join(c["source"]).splitlines()]


def test_secrets_were_found():
    assert len(secrets()) > 40


@pytest.mark.parametrize("folder", RELEASED, ids=lambda p: p.name)
def test_nothing_secret_reaches_student_material(folder):
    hidden = secrets()
    leaks = [f"{path.relative_to(ROOT)}: {line.strip()}" for path, lines in released_lines(folder)
             for line in lines if line.strip() in hidden]
    assert not leaks
    assert not list(folder.rglob("hidden_checks")) and not list(folder.rglob("nb0*_*.py"))


def kit_lines(student_kit):
    """(file in the kit, line) of every file of the kit: code, notebook cells, README, Makefile..."""
    for path in sorted(p for p in student_kit.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.suffix == ".ipynb":
            lines = [line for c in notebook_cells(path) for line in "".join(c["source"]).splitlines()]
        else:
            lines = path.read_text(errors="replace").splitlines()
        yield from ((path.relative_to(student_kit), line.strip()) for line in lines)


def test_nothing_secret_reaches_the_student_kit(student_kit):
    """The kit: no solution line anywhere (its grader, the visible checks, included: they must
    check against an independent formulation or precomputed values), no hidden check, no
    instructor-only module or name, no copy of a file from solutions/."""
    from autograder.course import kit

    grader = kit.grader_files()
    for rel in grader:
        assert (student_kit / "autograder" / rel).read_bytes() == (ROOT / "autograder" / rel).read_bytes()
    solved = solution_lines()
    leaks = [f"{path}: {line}" for path, line in kit_lines(student_kit) if line in solved]
    assert not leaks, "solution lines in the kit"
    # A hidden check may reuse the public grader's helpers (`A = "01_activations"`, a shared
    # comparison), and those lines are public; a line only hidden checks hold is not.
    public = {line.strip() for rel in grader for line in (ROOT / "autograder" / rel).read_text().splitlines()}
    hidden = hidden_check_lines() - public
    leaks = [f"{path}: {line}" for path, line in kit_lines(student_kit) if line in hidden]
    assert not leaks, "hidden-check lines in the kit"
    files = [p for p in student_kit.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    text = {p: p.read_text(errors="replace") for p in files}
    for word in ("MUTANTS", "ALTERNATIVES", "load_mutants", "BEGIN HIDDEN TESTS", "BEGIN SOLUTION"):
        assert not [p for p in files if word in text[p]], f"{word} is in the kit"
    names = {p.relative_to(student_kit).as_posix() for p in files}
    assert not {"autograder/mutation.py", "autograder/course/release.py", "autograder/course/kit.py",
                "autograder/course/nbcourse.py", "autograder/course/gradebook.py"} & names
    assert not [n for n in names if n.startswith(("solutions/", "tests/", "benchmarks/"))]
    secret_files = [p for p in SOLUTIONS.rglob("*") if p.is_file() and ("hidden_checks" in p.parts or (
        p.suffix in (".py", ".ipynb") and release.BEGIN in p.read_text(errors="replace")))]
    assert len(secret_files) > 10
    copies = {p.read_bytes() for p in secret_files}
    assert not [p for p in files if p.read_bytes() in copies]


def test_every_solution_region_became_the_uniform_stub():
    owner = release.notebook_of_functions()
    for path in (SOLUTIONS / "cs231n_lib").glob("*.py"):
        n_regions = len(release.solution_regions(path.read_text().splitlines(), path))
        stub = (STUB_LIB / path.name).read_text()
        raises = re.findall(r'raise NotImplementedError\("(\w+)\.(\w+): implement it, see notebook (\w+)"\)', stub)
        assert len(raises) == n_regions == len(re.findall(r"# TODO \(\w+\): implement \w+\.", stub))
        for module, func, notebook in raises:
            assert module == path.stem and owner[f"{module}.{func}"] == notebook


def test_stubs_keep_signatures_and_docstrings_and_raise():
    spec = importlib.util.spec_from_file_location("stub_layers", STUB_LIB / "layers.py")
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    from cs231n_lib import layers

    assert stub.affine_forward.__doc__ == layers.affine_forward.__doc__
    with pytest.raises(NotImplementedError, match="layers.affine_forward: implement it, see notebook 00_gradients"):
        stub.affine_forward(None, None, None)


def test_committed_notebooks_carry_no_outputs():
    for path in [*SOLUTIONS.glob("*/*.ipynb"), *(ROOT / "assignments").glob("*/*.ipynb")]:
        for cell in notebook_cells(path):
            assert not cell.get("outputs") and not cell.get("execution_count"), path


@pytest.mark.parametrize("text, error", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    pass\n    ### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "inside a function"),
    ("def unknown():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "no check tags it"),
])
def test_release_refuses_malformed_sources(text, error):
    with pytest.raises(release.ReleaseError, match=error):
        release.stub_module(text, "layers", release.notebook_of_functions())
