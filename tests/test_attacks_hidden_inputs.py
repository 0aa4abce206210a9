"""Students see no hidden inputs, anywhere (issue 13, section 5), through the real commands.

Student code may put whatever it is given into what the grader shows: an exception's
text, a warning, a file or a module global that a later check's message prints. Each
attack below carries the inputs of the hidden checks that far; what a student reads (the
`grade` table, results.json's checks, summary.md) must not hold them, and the full
messages must still reach the instructor (results.json's instructor-only tests).
"""

import json
import pathlib
import re
import subprocess
import sys

import mistune
import pytest

from conftest import ROOT, lib_with
from autograder import report
from autograder.sandbox import isolation

pytestmark = pytest.mark.skipif(not isolation()[0], reason=f"no sandbox on this machine: {isolation()[1]}")

TOKEN = re.compile(r"LEAK\[[-0-9.,e]*\]")

# Every input sigmoid_forward and tanh_forward see comes back as a token: sigmoid_forward
# raises it (its checks fail), tanh_forward warns it (its checks pass, with a note).
TELL = '''
import warnings as _warnings
import numpy as _np


def _token(x):
    return "LEAK[" + ",".join(f"{v:.6f}" for v in _np.ravel(_np.asarray(x, dtype=float))[:3]) + "]"


def sigmoid_forward(x):
    raise ValueError(_token(x))


_tanh_forward = tanh_forward


def tanh_forward(x):
    _warnings.warn(_token(x))
    return _tanh_forward(x)
'''

# Notebook 01's functions keep what they see, in a module global and in files; notebook 02's
# fit_zero_center prints all of it in its (visible) message.
KEEP = '''
import numpy as _np


def _keep(x):
    _np.__dict__.setdefault("_seen", []).append("LEAK[" + ",".join(f"{v:.6f}" for v in _np.ravel(x)[:3]) + "]")
    for path in ("/tmp/seen.txt", "seen.txt"):  # the sandbox's /tmp, and its working folder
        try:
            with open(path, "a") as f:
                f.write(_np.__dict__["_seen"][-1] + "\\n")
        except OSError:
            pass


_sigmoid_forward = sigmoid_forward


def sigmoid_forward(x):
    _keep(x)
    return _sigmoid_forward(x)
'''
PRINT = '''
def fit_zero_center(X_train, per_channel=False):
    import numpy
    said = list(getattr(numpy, "_seen", []))
    for path in ("/tmp/seen.txt", "seen.txt"):
        try:
            said += open(path).read().split()
        except OSError:
            pass
    raise ValueError("STASH<" + "|".join(said) + ">")
'''


def grade(lib, out, *assignments, seed):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--lib", str(lib), "--quiet", "--seed",
                           str(seed), "--json", str(out), "--assignment", *assignments], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    return done.stdout, json.loads(out.read_text())


def student_texts(stdout, results):
    """Everything of a `grade` run a student may be shown: the table and results.json but its
    instructor-only tests."""
    return stdout + json.dumps({**results, "tests": report.graded_tests(results)})


def test_a_hidden_checks_inputs_reach_neither_the_table_nor_the_results_a_student_reads(tmp_path):
    lib = lib_with(tmp_path, "activations", TELL)
    stdout, results = grade(lib, tmp_path / "results.json", "01", seed=101)
    checks = {t["name"]: t for t in report.graded_tests(results)}
    instructor = {t["extra_data"]["check"]: t["output"] for t in results["tests"] if t not in checks.values()}
    assert {"sigmoid_hidden", "tanh_hidden"} <= set(instructor)
    visible = {tok for t in checks.values() if not t.get("extra_data", {}).get("hidden_check")
               for tok in TOKEN.findall(t["output"])}
    hidden = {tok for text in instructor.values() for tok in TOKEN.findall(text)} - visible
    assert hidden, instructor  # the attack carried hidden inputs into the full messages (a raise and a warning)
    assert not hidden & set(TOKEN.findall(student_texts(stdout, results)))
    assert checks["tanh_hidden"]["score"] == checks["tanh_hidden"]["max_score"]
    assert checks["tanh_hidden"]["output"] == "passed" and "LEAK[" in instructor["tanh_hidden"]
    assert checks["sigmoid_hidden"]["output"] == report.hidden_reason(checks["sigmoid_hidden"]["tags"])
    assert f"- sigmoid_hidden: {report.hidden_reason(checks['sigmoid_hidden']['tags'])}" in stdout
    assert "instructor only" in stdout  # the table says where the full messages are
    # the student texts still say what is wrong with a visible check, inputs and all
    assert TOKEN.search(checks["sigmoid_forward"]["output"])


def test_what_one_assignment_kept_of_its_hidden_inputs_never_reaches_the_next_ones_messages(tmp_path):
    lib = lib_with(tmp_path, "activations", KEEP)
    lib = lib_with(tmp_path / "both", "preprocessing", PRINT, base=lib)
    stdout, results = grade(lib, tmp_path / "results.json", "01", "02", seed=102)
    said = next(t["output"] for t in results["tests"] if t["name"] == "fit_zero_center")
    # a fresh worker, with its own /tmp and working folder, for notebook 02: it kept nothing
    assert "STASH<>" in said, said
    assert "LEAK[" not in student_texts(stdout, results)
    failing = [t for t in report.graded_tests(results) if t["score"] < t["max_score"]]
    assert failing and all("preprocessing.fit_zero_center" in t["tags"] for t in failing)  # 01 passed
    # the files were written in the sandbox's own folders, which went with it
    assert not [p for p in (pathlib.Path("/tmp/seen.txt"), ROOT / "seen.txt", lib / "seen.txt") if p.exists()]


PAYLOAD = ("![pixel](http://evil.example/p.png) <img src=x onerror=alert(1)> [win](javascript:alert(1)) "
           "<script>alert(2)</script> **loud** www.evil.example")


def test_student_text_in_summary_md_is_shown_not_rendered(tmp_path):
    from test_batch import grade_all, submission_folder

    subs = tmp_path / "subs"
    loud = lib_with(tmp_path / "loud", "activations", f"def sigmoid_forward(x):\n    raise ValueError({PAYLOAD!r})\n")
    submission_folder(subs / "mallory" / "01_activations", loud)
    submission_folder(subs / "![me](javascript:alert(1))<img src=x>" / "01_activations", None)  # no library
    done = grade_all(subs, "--out", tmp_path / "out", "--jobs", "1", "--seed", "103", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "out" / "summary.md").read_text()
    html = mistune.create_markdown(plugins=["url", "table", "strikethrough"])(summary)
    assert not re.search(r"<(img|a|script|b|strong|em|del)\b", html), html
    text = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert "![me](javascript:alert(1))<img src=x>" in text  # shown as written
