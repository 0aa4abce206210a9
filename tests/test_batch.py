"""grade-all: a folder of submissions graded on every core, resumably, with untrusted input.

The end-to-end tests run the real command (subprocess, real sandbox); the attacks on
intake (zip-slip, links, bombs, odd names) run in-process on small hand-made zips.
"""

import csv
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from conftest import REFERENCE_LIB, ROOT, STUB_LIB, lib_with
from autograder import grading
from autograder.course import batch, intake

NOTEBOOK = ROOT / "assignments" / "01_activations" / "01_activations.ipynb"
ASSIGNMENT = "01_activations"


def max_score():
    from autograder.registry import load_checks

    return sum(c.points for c in grading.select(load_checks(grading.hidden_checks_dir(grading.SOLUTIONS)),
                                                 [ASSIGNMENT]))


def submission_folder(target, lib, notebook=NOTEBOOK):
    target.mkdir(parents=True)
    if notebook:
        shutil.copy(notebook, target / f"{ASSIGNMENT}.ipynb")
    if lib:
        shutil.copytree(lib, target / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def zip_folder(folder, archive, extra=()):
    """Zip ``folder``'s contents at the zip's root, plus raw (ZipInfo or name, bytes) ``extra`` entries."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(pathlib.Path(folder).rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
        for info, data in extra:
            zf.writestr(info, data)
    return archive


def grade_all(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "autograder", "grade-all", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def gradebook(out):
    with open(out / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_a_mixed_folder_is_graded_and_every_broken_submission_costs_only_its_student(tmp_path):
    subs, work = tmp_path / "subs", tmp_path / "work"
    subs.mkdir()
    # nbgrader's layout: the reference, a library with a bug, one that does not import.
    submission_folder(subs / "alice" / ASSIGNMENT, REFERENCE_LIB)
    buggy = lib_with(work / "buggy", "activations", "def sigmoid_backward(dout, cache):\n    return dout\n")
    submission_folder(subs / "carol" / ASSIGNMENT, buggy)
    broken = lib_with(work / "broken", "activations", "def oops(:\n")
    submission_folder(subs / "frank" / ASSIGNMENT, broken)
    # a folder that is a link to the reference (it must not get the reference's marks)
    (subs / "mallory").mkdir()
    (subs / "mallory" / ASSIGNMENT).symlink_to(subs / "alice" / ASSIGNMENT)
    # LMS zips: the stubs (Canvas-style name), garbage, no notebook, a notebook that is not JSON, zip-slip
    zip_folder(submission_folder(work / "bob", STUB_LIB), subs / "bob_1234_5678_01_activations.zip")
    (subs / "dave_01_activations.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    zip_folder(submission_folder(work / "erin", REFERENCE_LIB, notebook=None), subs / "erin_01_activations.zip")
    gina = submission_folder(work / "gina", REFERENCE_LIB, notebook=None)
    (gina / f"{ASSIGNMENT}.ipynb").write_text("{ this is not json")
    zip_folder(gina, subs / "gina_01_activations.zip")
    zip_folder(submission_folder(work / "trudy", REFERENCE_LIB), subs / "trudy_01_activations.zip",
               extra=[("../../pwned.py", b"print('escaped')"), ("/tmp/pwned-abs.py", b"")])
    # a link to the reference's file in a zip, and one in a folder: never followed
    link = zipfile.ZipInfo("cs231n_lib/activations.py")
    link.create_system, link.external_attr = 3, 0o120777 << 16
    linked = submission_folder(work / "linda", REFERENCE_LIB)
    (linked / "cs231n_lib" / "activations.py").unlink()
    zip_folder(linked, subs / "linda_01_activations.zip", extra=[(link, str(REFERENCE_LIB / "activations.py"))])
    (linked / "cs231n_lib" / "activations.py").symlink_to(REFERENCE_LIB / "activations.py")
    shutil.copytree(linked, subs / "luke" / ASSIGNMENT, symlinks=True)
    # a zip bomb in the library: 64 MB of zeros, 64 kB on disk
    zip_folder(submission_folder(work / "zed", REFERENCE_LIB), subs / "zed_01_activations.zip",
               extra=[("cs231n_lib/bomb.py", b"\0" * (64 << 20))])
    # a student name that is a path trick, and a name a spreadsheet would run
    zip_folder(submission_folder(work / "dots", REFERENCE_LIB), subs / ".._01_activations.zip")
    zip_folder(submission_folder(work / "formula", STUB_LIB), subs / "=cmd()_01_activations.zip")
    (subs / "notes.txt").write_text("not a submission")

    out = tmp_path / "results"
    done = grade_all(subs, "--out", out, "--jobs", "2", "--assignment", "01")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "ignored notes.txt" in done.stdout
    rows = {r["student"]: r for r in gradebook(out)}
    full = max_score()
    assert len(gradebook(out)) == len(rows) == 14
    assert float(rows["alice"]["total"]) == float(rows[".."]["total"]) == full
    assert float(rows["1234"]["total"]) == 0 and not rows["1234"]["problem"]  # Canvas: keyed by the user id
    assert rows["1234"]["name"] == "bob" and rows["alice"]["name"] == ""
    assert 0 < float(rows["carol"]["total"]) < full and rows["carol"]["sigmoid_backward"] == "0"
    assert rows["carol"]["sigmoid_forward"] == "1" and rows["carol"]["seed"].isdigit()
    assert float(rows["frank"]["total"]) == 0
    frank = json.loads((out / "frank" / ASSIGNMENT / "results.json").read_text())
    assert all("SyntaxError" in t["output"] for t in frank["tests"]  # hidden checks' texts: instructor-only tests
               if not t.get("extra_data", {}).get("hidden_check"))
    assert all("SyntaxError" in t["output"] for t in frank["tests"] if t["visibility"] == "hidden")
    for student in ("linda", "luke"):  # the link was left out, with a note: the reference was not reached
        results = json.loads((out / student / ASSIGNMENT / "results.json").read_text())
        assert results["score"] == 0 and "activations.py: a symbolic link" in results["output"]
    reasons = {"dave": "not a readable zip", "erin": "no 01_activations.ipynb",
               "gina": "01_activations.ipynb is not a readable notebook", "trudy": "unsafe name",
               "mallory": "symbolic link", "zed": "exceed 16 MB"}
    for student, says in reasons.items():
        assert float(rows[student]["total"]) == 0 and says in rows[student]["problem"], rows[student]
        results = json.loads((out / student / ASSIGNMENT / "results.json").read_text())
        assert results["score"] == 0 and results["max_score"] == full and says in results["output"]
        assert all(says in t["output"] for t in results["tests"])
    assert "'=cmd()" in (out / "gradebook.csv").read_text()  # not a formula in a spreadsheet
    assert not list(tmp_path.rglob("pwned*")) and not pathlib.Path("/tmp/pwned-abs.py").exists()
    # every results file lies inside RESULTS, one per student
    files = sorted(out.rglob("results.json"))
    assert len(files) == 14 and all(out.resolve() in f.resolve().parents for f in files)
    alice = json.loads((out / "alice" / ASSIGNMENT / "results.json").read_text())
    assert set(alice) >= {"score", "max_score", "tests", "execution_time", "output", "extra_data"}
    assert {"name", "score", "max_score", "output", "visibility", "tags"} <= set(alice["tests"][0])
    assert alice["extra_data"]["seed"] == int(rows["alice"]["seed"]) and "bubblewrap" in alice["extra_data"]["isolation"]
    summary = (out / "summary.md").read_text()
    assert "sigmoid_backward" in summary and "erin" in summary and "Checks most students fail" in summary
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _children(pid):
    found = set()
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def test_a_killed_run_resumes_without_losing_or_duplicating_and_a_resubmission_is_regraded(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "results"
    names = [f"s{i}" for i in range(8)]
    for name in names:
        submission_folder(subs / name / ASSIGNMENT, REFERENCE_LIB)
    command = [sys.executable, "-m", "autograder", "grade-all", str(subs), "--out", str(out), "--jobs", "1",
               "--quiet", "--assignment", "01"]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(out.glob("*/*/results.json")) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    pool = _children(first.pid)
    os.kill(first.pid, signal.SIGKILL)  # the real process, mid-run
    first.wait()
    time.sleep(1)
    assert pool and not any(pathlib.Path(f"/proc/{p}").exists() and
                            "zombie" not in pathlib.Path(f"/proc/{p}/status").read_text() for p in pool)
    kept = {f: (f.stat().st_mtime_ns, json.loads(f.read_text())["extra_data"]["graded_at"])
            for f in out.glob("*/*/results.json")}  # every file that exists is whole JSON
    assert 1 <= len(kept) < len(names), "the run was not killed midway"

    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} already graded and unchanged, {len(names) - len(kept)} to grade" in again.stdout
    assert all(f.stat().st_mtime_ns == when for f, (when, _) in kept.items())  # not graded twice
    rows = gradebook(out)
    assert sorted(r["student"] for r in rows) == names  # nothing lost, nothing twice
    assert all(float(r["total"]) == max_score() for r in rows)
    assert not list(out.rglob(".results.json.*"))

    # s3 resubmits (a bug); only s3 is graded again, and the gradebook still has one row for s3
    activations = subs / "s3" / ASSIGNMENT / "cs231n_lib" / "activations.py"
    activations.write_text(activations.read_text() + "\n\ndef sigmoid_backward(dout, cache):\n    return dout\n")
    third = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert f"{len(names) - 1} already graded and unchanged, 1 to grade" in third.stdout, third.stdout
    rows = {r["student"]: r for r in gradebook(out)}
    assert len(rows) == len(names) and float(rows["s3"]["total"]) < max_score()


# -- what batch grading adds around the layout (submission.py has the zip attacks' own tests) --
def test_student_names_that_are_path_tricks_become_single_safe_folder_names(tmp_path):
    for name in ("..", ".", "a/b", "../../etc", "x\nInjected", os.fsdecode(b"\xff\xfe"), "-rf", "", "A" * 300,
                 "CON", "alice"):
        safe = batch.safe_name(name)
        assert safe not in (".", "..") and "/" not in safe and "\n" not in safe and 0 < len(safe) <= 64
        assert batch.safe_name(name) != batch.safe_name(name + "x")
        (tmp_path / "out" / safe).mkdir(parents=True)  # one real folder, inside out/
        assert (tmp_path / "out" / safe).resolve().parent == (tmp_path / "out").resolve()
    assert batch.safe_name("alice") == "alice"


def test_odd_file_names_are_staged_and_changes_change_the_fingerprint(tmp_path):
    archive = tmp_path / "w.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{ASSIGNMENT}.ipynb", NOTEBOOK.read_bytes())
        zf.writestr("cs231n_lib/__init__.py", b"")
        zf.writestr("cs231n_lib/cafXX.py", b"y = 2\n")
    archive.write_bytes(archive.read_bytes().replace(b"cafXX", b"caf\x82\xff"))  # not UTF-8: read as cp437
    assignment, _ = intake.stage(archive, tmp_path / "s1")
    assert assignment == ASSIGNMENT and len(list((tmp_path / "s1" / "cs231n_lib").glob("*.py"))) == 2
    folder = submission_folder(tmp_path / "f", REFERENCE_LIB)
    odd = folder / "cs231n_lib" / os.fsdecode(b"bad\xff.py")  # a file name that is not UTF-8
    odd.write_text("z = 3\n")
    before = intake.fingerprint(folder)
    intake.stage(folder, tmp_path / "s2", ASSIGNMENT)
    assert (tmp_path / "s2" / "cs231n_lib" / odd.name).read_text() == "z = 3\n"
    odd.write_text("z = 4\n")
    assert intake.fingerprint(folder) != before
    (folder / "cs231n_lib" / "ln.py").symlink_to("/etc/passwd")  # links count by their target, unread
    assert intake.fingerprint(folder) != before


def test_the_name_pattern_follows_nbgrader_zip_collect(tmp_path):
    inner = submission_folder(tmp_path / "w" / ASSIGNMENT, REFERENCE_LIB)
    subs = tmp_path / "subs"
    subs.mkdir()
    with zipfile.ZipFile(subs / "jo_20260101_x.zip", "w") as zf:  # one folder at the root, no NN_ in the name
        for path in inner.rglob("*"):
            zf.write(path, path.relative_to(inner.parent).as_posix())
    shutil.copy(subs / "jo_20260101_x.zip", subs / "jo_20260301_x.zip")
    (subs / "kim_98_76_02_preprocessing.zip").write_bytes(b"")
    (subs / "no-underscore-or-zip").write_bytes(b"")
    found, notes = batch.discover(subs, r"^(?P<student_id>[^_]+)_(?P<timestamp>\d+)_.*\.zip$")
    assert [(s.student, s.assignment, s.origin) for s in found if s.student == "jo"] == \
        [("jo", ASSIGNMENT, "jo_20260301_x.zip")]
    assert any("superseded jo_20260101_x.zip" in n for n in notes)
    found, notes = batch.discover(subs)  # the default: two zips for jo, alike inside, and no timestamp to choose by
    jo, kim = found
    assert jo.student == "jo" and "2 submissions found" in jo.problem and "nothing tells which" in jo.problem
    assert (kim.student, kim.name, kim.assignment, kim.problem) == ("98", "kim", "02_preprocessing", None)  # Canvas
    assert any("ignored no-underscore-or-zip" in n for n in notes)


@pytest.mark.parametrize("args, says", [
    (["--name-pattern", "(?P<who>.*)"], "(?P<student_id>...)"),
    (["--name-pattern", "(unclosed"], "not a regular expression"),
    (["--jobs", "0"], "at least 1"),
    (["--against", "."], "--against needs --similarity"),
    (["--similarity", "--similarity-threshold", "0"], "must be in (0, 1]"),
    (["--times", "t.csv"], "--times needs --course"),
    (["--course", "missing.toml"], "missing.toml"),
])
def test_bad_options_exit_2_with_a_reason(tmp_path, args, says):
    done = grade_all(tmp_path, "--out", tmp_path / "out", *args)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    missing = grade_all(tmp_path / "nowhere", "--out", tmp_path / "out")
    assert missing.returncode == 2 and "not a folder of submissions" in missing.stderr


def test_an_nbgrader_course_folder_means_its_submitted_folder(tmp_path):
    submission_folder(tmp_path / "course" / "submitted" / "ann" / ASSIGNMENT, REFERENCE_LIB)
    (tmp_path / "course" / "source").mkdir()
    found, notes = batch.discover(tmp_path / "course")
    assert [(s.student, s.assignment) for s in found] == [("ann", ASSIGNMENT)]
    assert any("grading its submitted/ folder" in n for n in notes)


def test_a_canvas_download_with_a_resubmission_a_late_zip_and_a_custom_pattern(tmp_path):
    """Real zips as Canvas names them: students keyed by Canvas's numeric user id with the name in
    its own column; a resubmission (`-1`) and a re-upload told apart by the dates inside the zip
    are graded, saying which and why; a custom pattern with --assignment 00 gives that
    assignment to a zip whose notebooks do not say."""
    nb00 = ROOT / "assignments" / "00_gradients" / "00_gradients.ipynb"
    right = submission_folder(tmp_path / "right" / "w", REFERENCE_LIB, None)
    shutil.copy(nb00, right / "00_gradients.ipynb")
    wrong = submission_folder(tmp_path / "wrong" / "w", STUB_LIB, None)
    shutil.copy(nb00, wrong / "00_gradients.ipynb")
    canvas = tmp_path / "canvas"
    canvas.mkdir()
    zip_folder(right, canvas / "smithjane_10001_50001_00_gradients.zip")
    zip_folder(wrong, canvas / "doejohn_10002_50002_00_gradients.zip")
    zip_folder(right, canvas / "doejohn_LATE_10002_50012_00_gradients-1.zip")

    def dated(folder, archive, year):  # the same layout, every entry dated in ``year``
        with zipfile.ZipFile(archive, "w") as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.writestr(zipfile.ZipInfo(path.relative_to(folder).as_posix(), (year, 5, 1, 12, 0, 0)),
                                path.read_bytes())

    dated(wrong, canvas / "roemary_10003_50003_submission.zip", 2025)  # no assignment, no -N in the names
    dated(right, canvas / "roemary_10003_50033_submission.zip", 2026)
    out = tmp_path / "out"
    done = grade_all(canvas, "--out", out, "--jobs", "2", "--seed", "5", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 submissions found: 0 already graded and unchanged, 3 to grade with 2 processes" in done.stdout
    full = sum(c.points for c in grading.select(
        __import__("autograder.registry", fromlist=["load_checks"]).load_checks(
            grading.hidden_checks_dir(grading.SOLUTIONS)), ["00_gradients"]))
    rows = {r["student"]: r for r in gradebook(out)}
    assert {s: (r["name"], r["assignment"], float(r["total"]), r["problem"]) for s, r in rows.items()} == {
        "10001": ("smithjane", "00_gradients", full, ""),
        "10002": ("doejohn", "00_gradients", full, ""),
        "10003": ("roemary", "00_gradients", full, "")}
    from autograder.files import default_mode

    for made in (out / "gradebook.csv", out / "summary.md", out / "10002" / "00_gradients" / "results.json"):
        assert made.stat().st_mode & 0o777 == default_mode(), made  # the user's umask, as the plot's
    late = json.loads((out / "10002" / "00_gradients" / "results.json").read_text())
    assert ("graded doejohn_LATE_10002_50012_00_gradients-1.zip, not doejohn_10002_50002_00_gradients.zip: the LMS "
            "numbered it -1, the latest upload of that file") in late["output"]
    assert "10002: graded doejohn_LATE_10002_50012_00_gradients-1.zip" in done.stdout
    redone = json.loads((out / "10003" / "00_gradients" / "results.json").read_text())
    assert ("graded roemary_10003_50033_submission.zip, not roemary_10003_50003_submission.zip: its files are the "
            "newest (dated 2026-05-01 12:00:00 inside the zip)") in redone["output"]

    # A custom pattern, and a zip of a whole folder: two notebooks at its root, so the name and the
    # notebooks do not say which assignment; --assignment 00 does.
    lms = tmp_path / "lms"
    lms.mkdir()
    both = submission_folder(tmp_path / "both" / "w", REFERENCE_LIB, None)
    shutil.copy(nb00, both / "00_gradients.ipynb")
    shutil.copy(NOTEBOOK, both / "01_activations.ipynb")
    zip_folder(both, lms / "kim-final.zip")
    out2 = tmp_path / "out2"
    done = grade_all(lms, "--out", out2, "--name-pattern", r"^(?P<student_id>[a-z]+)-final\.zip$",
                     "--assignment", "00", "--seed", "5", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 to grade with 1 process\n" in done.stdout
    (row,) = gradebook(out2)
    assert (row["student"], row["assignment"], float(row["total"]), row["problem"]) == ("kim", "00_gradients", full, "")
    assert not (out2 / "kim" / "unknown").exists()


def _row(student, total, tests, problem=""):
    return {"student": student, "name": "", "assignment": "00_gradients", "total": total, "max_score": 4,
            "seed": 1, "problem": problem, "source": f"{student}.zip", "submission_sha256": "",
            "tests": {name: {"name": name, "score": score, "max_score": 2, "output": output}
                      for name, score, output in tests}}


def test_the_summary_groups_reasons_by_kind_keeps_ungraded_apart_and_files_follow_the_umask(tmp_path):
    from autograder.course import summary

    long_reason = ("affine_backward: dx differs from the numeric gradient (rel. error 3.1e-01 > 1e-07), worst at "
                   "index (2, 1): got 0.91234, expected 0.20001; the upstream gradient dout must multiply every "
                   "term of the chain rule")
    rows = [
        _row("ann", 2, [("affine_forward", 2, "passed"), ("affine_backward", 0, long_reason)]),
        _row("bob", 2, [("affine_forward", 2, "passed"), ("affine_backward", 0, long_reason.replace("3.1", "2.2"))]),
        _row("cy", 0, [("affine_forward", 0, "layers.affine_forward raised SyntaxError: invalid syntax (at layers.py:3)"),
                       ("affine_backward", 0, "layers.affine_forward raised SyntaxError: invalid syntax (at layers.py:3)")]),
        _row("dee", 4, [("affine_forward", 2, "passed"), ("affine_backward", 2, "passed")]),
        _row("eve", 0, [("affine_forward", 0, "not graded: no 00_gradients.ipynb at the top of the submission"),
                        ("affine_backward", 0, "not graded: no 00_gradients.ipynb at the top of the submission")],
             problem="no 00_gradients.ipynb at the top of the submission"),
    ]
    old = os.umask(0o027)
    try:
        text = summary.summarize(tmp_path, rows)
    finally:
        os.umask(old)
    assert "## 00_gradients: 5 submissions, 4 graded, 1 not graded" in text
    assert "score of the 4 graded (% of 4): mean 50.0, median 50.0, min 0.0, max 100.0; full marks: 1" in text
    assert "| differs from the numeric gradient | 2 | 2 |" in text  # two students, counted across them
    assert "| syntax error | 1 | 2 |" in text  # one student's syntax error is one student, however many checks
    assert "| affine_backward | 3 | 4 | differs from the numeric gradient |" in text
    example = next(line for line in text.splitlines() if line.startswith("| affine_backward"))
    quoted = example.split(" | ")[-1].rstrip(" |")
    assert quoted.endswith(" …") and long_reason.startswith(quoted[:-2])
    assert long_reason[len(quoted) - 2] == " "  # cut between words
    assert "Not graded (score 0 in the gradebook, left out of the statistics above): 1" in text
    assert "- eve: no 00_gradients.ipynb" in text and "not graded | " not in text  # not a reason kind either
    for name in ("summary.md", "summary.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640, name
    assert summary.kind_of("sigmoid_forward did not finish within 10 s (an endless loop?)") == "timeout"
    assert summary.kind_of("layers.affine_forward is not implemented yet (at layers.py:30)") == "not implemented"
