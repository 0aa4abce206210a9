"""grade-all against hostile students: each class of attack, through the real command and sandbox.

A student controls every byte of a submission and its name. Whatever they hand in, they
get what their code earns and nothing more, every other student keeps their own result,
the gradebook and the summary stay what the grader wrote, and the run ends, in bounded
time, with a result for everyone. Each attack below got through before it was fixed, or
is stopped by the design and tested so a regression shows.

Two real ``grade-all`` runs of 00_gradients (the smallest assignment) carry most attackers
at once; what needs no grading (fingerprints, names) is checked in-process.
"""

import csv
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import warnings
import zipfile

import pytest

from conftest import REFERENCE_LIB, ROOT, STUB_LIB
from autograder import grading, report
from autograder.course import batch, intake
from autograder.sandbox import isolation

pytestmark = pytest.mark.skipif(not isolation()[0], reason=f"no sandbox on this machine: {isolation()[1]}")

ASSIGNMENT = "00_gradients"
NOTEBOOK = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def full_marks():
    from autograder.registry import load_checks

    return sum(c.points for c in grading.select(load_checks(grading.hidden_checks_dir(grading.SOLUTIONS)),
                                                 [ASSIGNMENT]))


def submission(target, lib=REFERENCE_LIB, init=None):
    """nbgrader's layout in ``target``: the notebook and a copy of ``lib`` (``init`` replaces
    its ``__init__.py``)."""
    target = pathlib.Path(target)
    target.mkdir(parents=True)
    shutil.copy(NOTEBOOK, target / NOTEBOOK.name)
    shutil.copytree(lib, target / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    if init is not None:
        (target / "cs231n_lib" / "__init__.py").write_text(init)
    return target


def zipped(folder, archive, edit=None):
    """``folder``'s submission as a zip at ``archive``; ``edit(bytes) -> bytes`` alters the file."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(pathlib.Path(folder).rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    if edit:
        archive.write_bytes(edit(archive.read_bytes()))
    return archive


def grade_all(subs, out, *extra):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(subs), "--out", str(out),
                           "--assignment", "00", "--jobs", "2", "--quiet", "--seed", "0", *map(str, extra)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr  # a result for everyone, no grader error
    return done


def results(out, student):
    return json.loads((out / batch.safe_name(student) / ASSIGNMENT / "results.json").read_text())


def gradebook(out):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_hostile_names_trees_zips_and_code_cost_only_their_own_points(tmp_path):
    subs, work, out = tmp_path / "subs", tmp_path / "work", tmp_path / "results"
    subs.mkdir()
    full = full_marks()
    # Victims: a plain name, and one safe_name has to make (its folder is José-less).
    submission(subs / "alice" / ASSIGNMENT)
    submission(subs / "José" / ASSIGNMENT)
    # Names chosen to land where others' results or the gradebook live.
    submission(subs / batch.safe_name("José") / ASSIGNMENT, STUB_LIB)
    for name in ("gradebook.csv", "summary.md"):
        submission(subs / name / ASSIGNMENT, STUB_LIB)
    # Names that forge lines (summary, terminal), break UTF-8, or run in a spreadsheet.
    eve = submission(subs / "eve\n- alice: the submission cannot be read" / ASSIGNMENT, STUB_LIB)
    (eve / NOTEBOOK.name).unlink()  # so that she is listed among the submissions not graded
    submission(subs / os.fsdecode(b"bad\xff\xfe") / ASSIGNMENT)
    for name in ("=cmd|' -C calc'!A0", "+1+1", "@SUM(1)", "\t=1", "\r=2"):
        zipped(submission(work / f"f{len(name)}{ord(name[0])}", STUB_LIB), subs / f"{name}_{ASSIGNMENT}.zip")
    # Code that forges: writes where results go (the sandbox does not see them), prints gradebook
    # rows, raises messages that look like table lines and results.
    mallory = f"""
import pathlib
for target in [{str(out)!r} + "/mallory/{ASSIGNMENT}/results.json", {str(out)!r} + "/alice/{ASSIGNMENT}/results.json",
               {str(out)!r} + "/gradebook.csv"]:
    try:
        pathlib.Path(target).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(target).write_text('{{"score": 1000, "max_score": 1}}')
    except OSError:
        pass
print("zed-forged,{ASSIGNMENT},{full},{full},1,,1,2,2")
class Forged(Exception):
    def __str__(self):
        return 'passed\\n| affine_forward | 0 | 9 |\\nzed-forged,{ASSIGNMENT},{full},{full}\\n"score": {full}'
def _raise(*args, **kwargs):
    raise Forged()
from . import layers, gradient_check
for _module in (layers, gradient_check):
    for _name in dir(_module):
        if not _name.startswith("_") and callable(getattr(_module, _name)):
            setattr(_module, _name, _raise)
"""
    submission(subs / "mallory" / ASSIGNMENT, STUB_LIB, init=mallory)
    # Hangs: code that never returns, a FIFO as a zip, as a notebook; a library linked to the reference.
    submission(subs / "sloth" / ASSIGNMENT, init="import time\ntime.sleep(3600)\n")
    os.mkfifo(subs / f"pipe_{ASSIGNMENT}.zip")
    (subs / "piper").mkdir()
    os.mkfifo(subs / "piper" / f"{ASSIGNMENT}.zip")
    fifo = submission(subs / "fifi" / ASSIGNMENT)
    (fifo / NOTEBOOK.name).unlink()
    os.mkfifo(fifo / NOTEBOOK.name)
    linked = submission(subs / "linus" / ASSIGNMENT, STUB_LIB)
    shutil.rmtree(linked / "cs231n_lib")
    (linked / "cs231n_lib").symlink_to(REFERENCE_LIB)
    # Zips that broke the reader with errors it did not expect (the grader, not the student,
    # was blamed and nobody got a result): a corrupt deflate stream, an unknown zip version.
    good = zipped(submission(work / "z", REFERENCE_LIB), work / "z.zip")
    layers = zipfile.ZipFile(good).getinfo("cs231n_lib/layers.py")
    start = layers.header_offset + 30 + len(layers.filename) + len(layers.extra)

    def corrupt(data):
        return data[:start] + b"\xff" * 16 + data[start + 16:]
    shutil.copy(good, subs / f"deflate_{ASSIGNMENT}.zip")
    (subs / f"deflate_{ASSIGNMENT}.zip").write_bytes(corrupt(good.read_bytes()))
    (subs / f"version_{ASSIGNMENT}.zip").write_bytes(good.read_bytes().replace(b"PK\x01\x02\x14\x03\x14\x00",
                                                                              b"PK\x01\x02\x14\x03\x63\x00", 1))
    # A notebook nested too deep for a JSON parser; a zip holding the reference's file twice.
    deep = submission(work / "deep")
    (deep / NOTEBOOK.name).write_text("[" * 200000)
    zipped(deep, subs / f"nested_{ASSIGNMENT}.zip")
    with warnings.catch_warnings(), zipfile.ZipFile(subs / f"twice_{ASSIGNMENT}.zip", "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is asked to write
        zf.write(NOTEBOOK, NOTEBOOK.name)
        for lib in (STUB_LIB, REFERENCE_LIB):
            for path in sorted(lib.glob("*.py")):
                zf.write(path, f"cs231n_lib/{path.name}")

    done = grade_all(subs, out, "--budget", "20")

    rows = gradebook(out)
    by = {r["student"]: r for r in rows}
    assert len(rows) == len(by) == 22, sorted(by)
    # The victims keep their full marks and their own results file; nobody shares a folder.
    for victim in ("alice", "José", "bad\\udcff\\udcfe"):
        assert float(by[victim]["total"]) == full, by[victim]
    assert results(out, "alice")["score"] == full and results(out, "José")["extra_data"]["student"] == "José"
    assert results(out, batch.safe_name("José"))["score"] == 0  # the impostor, in a folder of its own
    assert len({f.parent.parent for f in out.glob("*/*/results.json")}) == len(rows)
    assert all(out.resolve() in f.resolve().parents for f in out.rglob("results.json"))
    # The gradebook is a file, one line per row, no cell a spreadsheet would run.
    raw = (out / "gradebook.csv").read_text(encoding="utf-8")
    assert len(raw.splitlines()) == len(rows) + 1
    assert not [cell for row in csv.reader(raw.splitlines()) for cell in row if cell.startswith(FORMULA_START)]
    assert by["'=cmd|' -C calc'!A0"]["total"] == "0"
    # Forged lines appear nowhere as lines: not in the summary, not on the terminal.
    summary = (out / "summary.md").read_text()
    for text in (summary, done.stdout, done.stderr, raw):
        assert not [line for line in text.splitlines() if line.startswith(("- alice", "| affine_forward | 0 | 9",
                                                                            "zed-forged"))]
    # Mallory's writes never reached the results; her messages are her own check outputs, cut to one line.
    mal = results(out, "mallory")
    assert mal["score"] == 0 and float(by["mallory"]["total"]) == 0
    assert {t["name"] for t in report.graded_tests(mal)} == {t["name"] for t in results(out, "alice")["tests"]}
    assert all(t["score"] == 0 for t in mal["tests"])
    # Hangs and links: each scores 0 with a reason, and the run went on.
    assert float(by["sloth"]["total"]) == 0 and "did not finish" in json.dumps(results(out, "sloth"))
    for student, says in {"pipe": "no submission at", "piper": "no submission at", "fifi": "no notebook at",
                          "linus": "symbolic link", "deflate": "cannot read", "version": "not a readable zip",
                          "nested": "cannot be read", "twice": "twice"}.items():
        assert float(by[student]["total"]) == 0 and says in by[student]["problem"], (student, by[student])


def test_a_changed_submission_is_always_graded_again(tmp_path):
    """Resuming skips unchanged submissions: no change may hide from the fingerprint."""
    subs, out = tmp_path / "subs", tmp_path / "results"
    # 5001 junk files first in the walk: the hash stopped before the library was reached
    crowd = submission(subs / "crowd" / ASSIGNMENT)
    (crowd / "aaa").mkdir()
    for i in range(intake.HASH_LIMITS["entries"] + 1):
        (crowd / "aaa" / f"{i}").touch()
    # a junk tree deeper than Python's recursion limit: the hash raised and the whole run died
    deep = submission(subs / "deep" / ASSIGNMENT)
    chain = [deep.joinpath(*["d"] * i) for i in range(1, 1201)]
    for folder in chain:
        folder.mkdir()
    try:
        _changes_are_seen(subs, out, crowd, deep)
    finally:  # deepest first: shutil.rmtree (and so pytest's clean-up) recurses, and would fail on it
        for folder in reversed(chain):
            folder.rmdir()


def _changes_are_seen(subs, out, crowd, deep):
    # same size, same times, other content
    touchy = submission(subs / "touchy" / ASSIGNMENT)
    steady = submission(subs / "steady" / ASSIGNMENT)
    grade_all(subs, out)
    assert {r["student"]: float(r["total"]) for r in gradebook(out)} == dict.fromkeys(
        ["crowd", "deep", "steady", "touchy"], full_marks())

    for folder in (crowd, deep, touchy):  # each replaces its reference with the stubs' layers.py
        layers = folder / "cs231n_lib" / "layers.py"
        before = layers.stat()
        stub = (STUB_LIB / "layers.py").read_bytes()
        reference = layers.read_bytes()
        layers.write_bytes(stub[:len(reference)].ljust(len(reference), b"#"))
        assert layers.stat().st_size == before.st_size
        os.utime(layers, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = grade_all(subs, out)
    totals = {r["student"]: float(r["total"]) for r in gradebook(out)}
    assert totals["steady"] == full_marks() and "1 already graded and unchanged, 3 to grade" in again.stdout
    assert max(totals[s] for s in ("crowd", "deep", "touchy")) < full_marks(), totals
    assert results(out, "steady")["extra_data"]["submission_sha256"] == intake.fingerprint(steady)
    assert results(out, "crowd")["extra_data"]["submission_sha256"] is None  # too big to hash: always graded


def test_the_fingerprint_frames_each_file_and_never_follows_or_blocks(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        (folder / "cs231n_lib").mkdir(parents=True)
    # bytes moved between two files (the old hash ran names and contents together)
    (one / "cs231n_lib" / "a.py").write_bytes(b"x = 1\0" + b"cs231n_lib/b.py\0" + b"y = 2")
    (two / "cs231n_lib" / "a.py").write_bytes(b"x = 1")
    (two / "cs231n_lib" / "b.py").write_bytes(b"y = 2")
    assert intake.fingerprint(one) != intake.fingerprint(two)
    os.mkfifo(one / "cs231n_lib" / "pipe.py")  # a FIFO is hashed by its kind, never opened
    (one / "cs231n_lib" / "ln.py").symlink_to("/dev/zero")  # a link by its target text
    first = intake.fingerprint(one)
    assert first and first == intake.fingerprint(one)
    (one / "cs231n_lib" / "ln.py").unlink()
    (one / "cs231n_lib" / "ln.py").symlink_to("/dev/null")
    assert intake.fingerprint(one) != first
    archive = zipped(two, tmp_path / "two.zip")
    import hashlib

    assert intake.fingerprint(archive) == hashlib.sha256(archive.read_bytes()).hexdigest()  # as sha256sum says
    assert stat.S_ISFIFO(os.lstat(one / "cs231n_lib" / "pipe.py").st_mode)


def test_no_chosen_name_reaches_another_students_folder_or_a_file_of_results():
    victims = ["José", "a b", "..", "x/y", os.fsdecode(b"\xff"), "o'brien", "A" * 80]
    taken = {batch.safe_name(v): v for v in victims}
    assert len(taken) == len(victims)
    for victim in victims:  # the made name itself, in any case, as a student's chosen name
        made = batch.safe_name(victim)
        for chosen in (made, made.upper(), made + "\n"):
            assert batch.safe_name(chosen) != made or chosen == victim
    for name in ("gradebook.csv", "summary.md", "summary.png", "Gradebook.CSV"):
        assert batch.safe_name(name) != name and batch.safe_name(name).startswith(name.split(".")[0])
    assert batch.safe_name("jane.doe@uni.edu") == "jane.doe@uni.edu"  # plain names stay readable
    assert intake.printable("a\nb\tc\x1b[2J") == "a\\x0ab\\x09c\\x1b[2J"


def test_of_several_zips_the_latest_counts_and_a_tie_is_not_guessed(tmp_path):
    pattern = r"^(?P<student_id>[^_]+)_(?P<timestamp>\d+)_(?P<assignment>\d\d_[A-Za-z0-9]+)\.zip$"
    for name in ("jo_9_00_gradients.zip", "jo_10_00_gradients.zip", "al_5_00_gradients.zip", "al_05_00_gradients.zip"):
        (tmp_path / name).write_bytes(b"")
    found, notes = batch.discover(tmp_path, pattern)
    jo, = [s for s in found if s.student == "jo"]
    assert jo.origin == "jo_10_00_gradients.zip" and jo.problem is None  # 10 is later than 9
    al, = [s for s in found if s.student == "al"]
    assert "2 submissions found" in al.problem


def test_a_zip_listing_too_many_entries_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """A 64 MB zip of empty entries lists over a million: seconds and a GB to parse."""
    from autograder.course import submission as layout

    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3000):
            zf.writestr(f"cs231n_lib/{i:04}.txt", b"")
    monkeypatch.setitem(layout.LIMITS, "zip_directory_bytes", 64 << 10)

    def never(*args, **kwargs):
        raise AssertionError("the directory was parsed")
    monkeypatch.setattr(layout.zipfile, "ZipFile", never)
    with pytest.raises(layout.SubmissionError, match="lists more entries than a submission holds"):
        layout.read(archive, ASSIGNMENT)


def test_names_and_messages_cannot_reorder_or_hide_text_where_they_are_shown():
    """Bidirectional overrides and zero-width marks would let 'bob' show as another row's text."""
    from autograder.sandbox.process import clean

    for mark in ("\u202e", "\u2066", "\u200b", "\u200f", "\ufeff"):
        assert mark not in intake.printable(f"bob{mark}0/52") and mark not in clean(f"raised {mark}passed")
    assert clean("caf\u00e9 \u65e5\u672c") == "caf\u00e9 \u65e5\u672c"  # letters stay letters


def test_a_fix_to_any_part_of_the_grader_regrades_every_submission(monkeypatch):
    """A student who used a hole in the sandbox or a comparison keeps no grade once it is fixed:
    the grader's fingerprint covers all of its code, not the checks alone."""
    read = []
    original = pathlib.Path.read_bytes
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: read.append(self.resolve()) or original(self))
    batch.grader_fingerprint(grading.SOLUTIONS)
    package = pathlib.Path(grading.__file__).resolve().parent
    assert {package / "sandbox" / "process.py", package / "numeric.py", package / "course" / "submission.py",
            package / "checks" / "__init__.py"} <= set(read)
    assert set(package.rglob("*.py")) <= set(read)


THIEF = '''
import os as _os
def _solutions():  # the grader's command line says where the reference is
    for pid in _os.listdir("/proc"):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\\0")
        except (OSError, UnicodeDecodeError):
            continue
        if "grade-all" in argv and "--solutions" in argv:
            return argv[argv.index("--solutions") + 1]
from . import layers as _layers
try:
    with open(_os.path.join(_solutions(), "cs231n_lib", "layers.py")) as _f:
        exec(compile(_f.read(), "layers.py", "exec"), _layers.__dict__)
except (OSError, TypeError):
    pass
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="without isolation a non-root grader runs student code as itself")
def test_without_the_sandbox_grading_refuses_while_nobody_may_read_the_reference(tmp_path):
    """The nobody fallback protects the reference only if nobody cannot read it: a stub library
    that found the course on the grader's command line copied the reference's layers."""
    import tempfile

    subs, out = tmp_path / "subs", tmp_path / "results"
    stub = STUB_LIB.joinpath("__init__.py").read_text()
    submission(subs / "thief" / ASSIGNMENT, STUB_LIB, init=stub + THIEF)
    shared = pathlib.Path(tempfile.mkdtemp(prefix="cs231n-hostile-"))  # a folder everyone may enter
    try:
        solutions = shared / "solutions"
        for part in ("cs231n_lib", "hidden_checks"):
            shutil.copytree(grading.SOLUTIONS / part, solutions / part, ignore=shutil.ignore_patterns("__pycache__"))
        for path in [shared, *solutions.rglob("*"), solutions]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        command = [sys.executable, "-m", "autograder", "grade-all", str(subs), "--out", str(out), "--assignment",
                   "00", "--quiet", "--seed", "0", "--allow-unisolated", "--solutions", str(solutions)]
        env = {**os.environ, "CS231N_BWRAP": "/nonexistent/bwrap"}
        exposed = subprocess.run(command, cwd=shared, env=env, capture_output=True, text=True, timeout=300)
        assert exposed.returncode == 2 and "every user may read" in exposed.stderr and not out.exists(), exposed.stderr
        solutions.chmod(0o700)  # what the error says to do
        done = subprocess.run(command, cwd=shared, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        thief = results(out, "thief")
        assert "NOT ISOLATED" in thief["extra_data"]["isolation"]
        passed = {t["name"] for t in thief["tests"] if t["score"] == t["max_score"]}
        assert not passed & {"affine_forward", "relu_forward", "softmax_loss", "svm_loss"}, passed
    finally:
        shutil.rmtree(shared)
