"""What a student reads about each graded cell in nbgrader's feedback: the trusted result.

nbgrader's feedback shows, per graded cell, the score in the gradebook and the output the
cell printed while ``nbgrader autograde`` ran it. When ``sync-gradebook`` changes a score
(a notebook that disarmed ``check``), that output says nothing, or lies; and a hidden
check's own message describes the inputs it tried, which must stay hidden. So
``sync-gradebook`` replaces the output of every graded check cell in the autograded
notebook with the trusted grader's verdict (``cell_text``), before ``nbgrader
generate_feedback`` turns the notebook into feedback:

* a passed check: the points;
* a failed visible check: the points and the grader's message (what is wrong and where,
  as ``autograder check`` says it), cleaned of control characters and cut to
  ``MAX_CHARS``;
* a failed hidden check: the points and which functions it exercises, never its message:
  the inputs and regimes of hidden checks stay in ``solutions/hidden_checks/``.

nbconvert escapes the text of a stream output, so a message cannot turn into HTML.
"""

import json
import pathlib

from ..files import write_atomically
from ..report import hidden_reason, student_text  # noqa: F401 (hidden_reason: the text a hidden failure shows)
from ..sandbox.process import clean

MAX_CHARS = 600
PREFIX = "autograder:"


def reason(test):
    """Why ``test`` (a test entry of ``grading.grade``'s results) lost points; "passed" if it did not.
    The student text (``report.student_text``): a hidden check's only says what it exercises."""
    passed = test["score"] >= test["max_score"]
    hidden = test.get("visibility") == "hidden"
    return clean(student_text(hidden, passed, test.get("tags", []), "passed" if passed else test["output"]),
                 limit=MAX_CHARS)


def cell_text(test):
    return f"{PREFIX} {test['score']:g} / {test['max_score']:g} points: {reason(test)}\n"


def annotate(notebook, tests, checks, missing="not graded"):
    """Replace the outputs of the graded cells of ``notebook`` (an autograded notebook) named
    in ``checks`` with ``cell_text`` of their test in ``tests`` ({check name: test entry});
    one without a test says ``missing``. Other cells keep their outputs. Written atomically,
    with the file's permissions kept (nbgrader makes autograded notebooks read-only).
    Returns the names of the cells annotated."""
    notebook = pathlib.Path(notebook)
    nb = json.loads(notebook.read_text())
    done = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        name = meta.get("grade_id")
        if cell.get("cell_type") != "code" or not meta.get("grade") or not isinstance(name, str) \
                or name not in checks:
            continue
        if name in tests:
            text = cell_text(tests[name])
            stream = "stdout" if tests[name]["score"] >= tests[name]["max_score"] else "stderr"
        else:
            text, stream = f"{PREFIX} 0 points: {missing}\n", "stderr"
        cell["outputs"] = [{"output_type": "stream", "name": stream, "text": text}]
        done.append(name)
    write_atomically(notebook, json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                     mode=notebook.stat().st_mode & 0o777)
    return done
