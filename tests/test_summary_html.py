"""summary.html: score distributions, the share failing each check, reasons by kind with one
anonymised, escaped example each, and what changed when a batch is regraded. Rows are made
here (no grading); the "what changed" test goes through batch.rebuild's results files."""

import base64
import json
import re

from autograder.course import batch, summary_html


def _row(student, total, tests, problem=""):
    return {"student": student, "name": "", "assignment": "00_gradients", "total": total, "max_score": 4,
            "seed": 1, "problem": problem, "source": f"{student}.zip", "submission_sha256": "",
            "tests": {name: {"name": name, "score": score, "max_score": 2, "output": output}
                      for name, score, output in tests}}


NOT_YET = "affine_forward is not implemented yet (see notebook 00)"


def test_the_page_counts_failures_by_check_and_kind_with_anonymised_escaped_examples():
    evil = "<img src=x onerror=alert(1)>"
    rows = [_row("alice", 4, [("a", 2, ""), ("b", 2, "")]),
            _row(evil, 0, [("a", 0, NOT_YET), ("b", 0, f"{evil} raised ValueError: bad")]),
            _row("carol", 2, [("a", 2, ""), ("b", 0, "dx differs from the numeric gradient at (0, 1)")]),
            _row("dave", 0, [("a", 0, "not graded: corrupt zip"), ("b", 0, "not graded: corrupt zip")], "corrupt zip")]
    page = summary_html.page(rows)
    assert "<img src=x" not in page and "onerror=alert(1)&gt;" not in page  # the name is replaced, never markup
    assert "&lt;student&gt; raised ValueError" in page
    # check b failed by 2 of the 3 graded (dave is left out), a by 1 of 3
    assert re.search(r"<td>b</td><td>2 of 3 \(67%\)</td>", page)
    assert re.search(r"<td>a</td><td>1 of 3 \(33%\)</td>", page)
    assert "<b>raised an exception</b> (1)" in page and "<b>differs from the numeric gradient</b> (1)" in page
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 2 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert "http" not in page  # nothing to load: it opens offline


def _result(out, student, score, checks):
    folder = out / student / "00_gradients"
    folder.mkdir(parents=True, exist_ok=True)
    tests = [{"name": n, "score": s, "max_score": 2, "output": ""} for n, s in checks.items()]
    (folder / "results.json").write_text(json.dumps({"score": score, "max_score": 4, "tests": tests, "extra_data": {
        "student": student, "assignment": "00_gradients", "problem": None}}))


def test_a_regraded_batch_shows_whose_scores_changed_by_how_much_and_in_which_checks(tmp_path):
    for student, score in (("alice", 4), ("bob", 2), ("carol", 0)):
        _result(tmp_path, student, score, {"a": min(score, 2), "b": max(score - 2, 0)})
    rows = batch.rebuild(tmp_path)
    summary_html.write(tmp_path, rows)
    assert "What changed" not in (tmp_path / "summary.html").read_text()  # a first run has nothing before it
    _result(tmp_path, "bob", 4, {"a": 2, "b": 2})  # a new grader gives bob check b
    _result(tmp_path, "carol", 0, {"a": 0, "b": 0})
    rows = batch.rebuild(tmp_path)
    summary_html.write(tmp_path, rows)
    page = (tmp_path / "summary.html").read_text()
    assert "1 scores changed" in page
    assert re.search(r"<td>bob</td><td>2</td><td>4</td><td class='up'>\+2</td><td>b: 0 → 2</td>", page)
    batch.rebuild(tmp_path)  # a rerun that changes nothing keeps the view
    summary_html.write(tmp_path, rows)
    assert "1 scores changed" in (tmp_path / "summary.html").read_text()
