"""Similarity (grade-all --similarity): only what students wrote is compared, a disguised copy
is found, honest different implementations and starter code are not, student text is escaped.

The submissions are made here: the reference, a pack of ALTERNATIVES (another correct way to
write every function), the stub, and the reference disguised (names changed, functions in
reverse order, comments and layout changed). Pure text work: no grading, no sandbox.
"""

import io
import pathlib
import re
import tokenize

import pytest

from conftest import REFERENCE_LIB, ROOT, STUB_LIB
from autograder import grading, mutation
from autograder.course import intake, similarity

ASSIGNMENT = "01_activations"
RENAME = {"x": "inp", "out": "result", "cache": "saved", "dout": "upstream", "dx": "grad_in", "alpha": "slope",
          "mask": "keep", "w": "weights", "b": "bias"}


def disguised(text):
    """``text`` with local names renamed, comments replaced, blank lines added and its functions reversed."""
    toks = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string in RENAME:
            tok = tok._replace(string=RENAME[tok.string])
        elif tok.type == tokenize.COMMENT:
            tok = tok._replace(string="# my own idea")
        toks.append(tok)
    renamed = tokenize.untokenize(toks)
    head, *defs = re.split(r"\n(?=def )", renamed)
    return head + "\n\n\n" + "\n\n\n".join(reversed(defs))


def library(folder, change=None):
    lib = {p.name: p.read_bytes() for p in pathlib.Path(folder).glob("*.py")}
    if change:
        lib["activations.py"] = change(lib["activations.py"].decode()).encode()
    return lib


@pytest.fixture(scope="module")
def setup():
    tasks = similarity.tasks()
    return tasks, similarity.stub_prints(tasks, STUB_LIB)


def work(setup, who, lib):
    return similarity.library_work(who, ASSIGNMENT, lib, *setup)


def alternatives_lib(tmp_path):
    mine = [a for a in mutation.load_alternatives(grading.SOLUTIONS / "hidden_checks") if a.module == "activations"]
    return mutation.apply_alternatives(REFERENCE_LIB, tmp_path / "alt", mutation.packs(mine)[0])


def test_a_disguised_copy_is_flagged_with_its_functions_and_honest_work_and_starter_code_are_not(setup, tmp_path):
    honest = work(setup, "honest", library(REFERENCE_LIB))
    other = work(setup, "other", library(alternatives_lib(tmp_path)))
    copy = work(setup, "copier", library(REFERENCE_LIB, disguised))
    stub = work(setup, "starter", library(STUB_LIB))
    stub_too = work(setup, "starter too", library(STUB_LIB))
    assert not stub.all  # starter code leaves nothing to compare
    assert copy.all == honest.all  # names, comments, layout and order change no fingerprint
    pairs = similarity.compare([honest, other, copy, stub, stub_too])
    assert [(a.who, b.who) for _, a, b, _ in pairs] == [("honest", "copier")]
    score, _, _, involved = pairs[0]
    assert score == 1.0
    assert {"sigmoid_forward", "maxout_backward", "elu_forward"} <= set(involved)
    assert all(lines_a and lines_b for lines_a, lines_b in involved.values())
    text = disguised(library(REFERENCE_LIB)["activations.py"].decode())  # the disguise did change the text
    assert "def sigmoid_forward(inp)" in text and text.index("maxout_backward") < text.index("sigmoid_forward")


def test_a_copy_of_a_known_solution_is_found_and_one_assignment_is_not_compared_with_another(setup, tmp_path):
    known = tmp_path / "known" / "github-repo"
    known.mkdir(parents=True)
    (known / "activations.py").write_bytes(library(REFERENCE_LIB)["activations.py"])
    works = similarity.known_works(tmp_path / "known", *setup)
    assert [w.assignment for w in works] == [ASSIGNMENT]
    copy = work(setup, "copier", library(REFERENCE_LIB, disguised))
    elsewhere = similarity.library_work("same code, other assignment", "00_gradients", library(REFERENCE_LIB), *setup)
    pairs = similarity.compare([copy, elsewhere], works)
    assert [(a.who, b.who) for _, a, b, _ in pairs] == [("copier", "known: github-repo")]


def test_the_page_escapes_student_names_and_code_and_says_it_is_no_verdict(setup, tmp_path):
    name = "<img src=x onerror=alert(1)>"
    evil = lambda text: text.replace("def sigmoid_forward(x):", "def sigmoid_forward(x):  # </pre><script>x()</script>")
    subs = []
    for who, change in ((name, None), ("b&b", evil)):
        folder = tmp_path / "subs" / who.replace("/", "_") / ASSIGNMENT
        (folder / "cs231n_lib").mkdir(parents=True)
        notebook = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        (folder / notebook.name).write_bytes(notebook.read_bytes())
        for rel, data in library(REFERENCE_LIB, change).items():
            (folder / "cs231n_lib" / rel).write_bytes(data)
        subs.append(intake.Submission(student=who, assignment=ASSIGNMENT, source=folder, origin=who))
    pairs = similarity.report(subs, tmp_path)
    assert len(pairs) == 1
    page = (tmp_path / "similarity.html").read_text()
    assert "never a verdict" in page
    assert "<img" not in page and "<script" not in page and "&lt;img src=x" in page and "b&amp;b" in page
    assert "<mark>" in page
    rows = (tmp_path / "similarity.csv").read_text().splitlines()
    assert rows[0] == "assignment,a,b,similarity,functions" and ",1.00," in rows[1]
