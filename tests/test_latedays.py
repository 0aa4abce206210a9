"""Late days (grade-all --course): the edges of the policy, from the layout's own times.

Pure date work on made-up rows and small hand-made submissions; no grading."""

import datetime as dt
import zipfile

import pytest

from conftest import REFERENCE_LIB, ROOT
from autograder.course import batch, intake, latedays

COURSE = '''
timezone = "America/Los_Angeles"
late_days = 3
penalty_percent_per_day = 25

[due]
01_activations = "2026-10-09 23:59"
02_preprocessing = "2026-10-16 23:59"
03_initialization = "2026-10-23 23:59"

[extensions]
bob = { 01_activations = "2026-10-12 23:59", 02_preprocessing = 2 }
'''
NOTEBOOK = ROOT / "assignments" / "01_activations" / "01_activations.ipynb"


@pytest.fixture
def course(tmp_path):
    (tmp_path / "course.toml").write_text(COURSE)
    return latedays.load(tmp_path / "course.toml")


def utc(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def row(student, assignment, total=10):
    return {"student": student, "assignment": assignment, "total": total}


def test_due_dates_are_local_times_are_utc_and_exactly_at_the_deadline_is_on_time(course):
    due = course.due_for("alice", "01_activations")  # 23:59 in Los Angeles, summer time: 06:59 UTC next day
    assert due == utc("2026-10-10T06:59:00")
    assert latedays.days_late(utc("2026-10-10T06:59:00"), due) == 0  # exactly at the deadline
    assert latedays.days_late(utc("2026-10-10T06:59:01"), due) == 1  # a second after: a started day
    assert latedays.days_late(utc("2026-10-10T03:00:00"), due) == 0  # 20:00 local on the 9th
    assert latedays.days_late(utc("2026-10-11T06:59:00"), due) == 1
    assert latedays.days_late(utc("2026-10-11T07:00:00"), due) == 2
    assert course.when("2026-10-10 06:59:00.123456 UTC") > due  # nbgrader's timestamp.txt, in UTC
    assert course.when("2026-10-09 23:59") == due  # no zone: the course's
    # extensions, one line per student: a new date, or extra days
    assert course.due_for("bob", "01_activations") == utc("2026-10-13T06:59:00")
    assert course.due_for("bob", "02_preprocessing") == utc("2026-10-19T06:59:00")


def test_late_days_run_out_mid_term_and_then_the_penalty_applies(course):
    rows = [row("alice", "03_initialization"), row("alice", "01_activations"), row("alice", "02_preprocessing")]
    moments = {("alice", "01_activations"): utc("2026-10-11T12:00:00"),  # 2 days late
               ("alice", "02_preprocessing"): utc("2026-10-18T12:00:00"),  # 2 days late: 1 day left to spend
               ("alice", "03_initialization"): utc("2026-10-25T12:00:00")}  # 2 days late: none left
    got = latedays.apply(course, rows, moments)
    columns = ("days_late", "late_days_used", "late_days_left", "total_after_policy")
    table = [tuple(got["alice", a][c] for c in columns)
             for a in ("01_activations", "02_preprocessing", "03_initialization")]
    assert table == [(2, 2, 1, 10), (2, 1, 0, 7.5), (2, 0, 0, 5.0)]
    assert got["alice", "01_activations"]["submitted_at"] == "2026-10-11T12:00:00Z"
    zero = latedays.Course({"due": {"01_activations": "2026-10-09 23:59"}, "penalty": "zero"})
    assert latedays.apply(zero, [row("c", "01_activations")],
                          {("c", "01_activations"): utc("2026-10-10T00:00:01")})["c", "01_activations"][
        "total_after_policy"] == 0


def _zip(path, when):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("01_activations.ipynb", when), NOTEBOOK.read_bytes())
        for lib in sorted(REFERENCE_LIB.glob("*.py")):
            zf.writestr(zipfile.ZipInfo(f"cs231n_lib/{lib.name}", when), lib.read_bytes())


def test_the_graded_submission_counts_so_a_late_resubmission_makes_it_late(course, tmp_path):
    subs = tmp_path / "downloads"
    subs.mkdir()
    _zip(subs / "alice_first.zip", (2026, 10, 9, 20, 0, 0))  # local time, on time
    _zip(subs / "alice_again.zip", (2026, 10, 10, 9, 30, 0))  # the next morning: 1 day late
    folder = tmp_path / "submitted" / "bob" / "01_activations"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-10-13 06:59:00.000000 UTC\n")  # exactly at his extension
    found, _ = intake.discover(subs)
    assert [(s.student, s.source.name) for s in found] == [("alice", "alice_again.zip")]  # intake's choice
    alice = latedays.submitted_at(found[0], course)
    bob = latedays.submitted_at(intake.Submission("bob", "01_activations", folder, "bob"), course)
    got = latedays.apply(course, [row("alice", "01_activations"), row("bob", "01_activations")],
                         {("alice", "01_activations"): alice, ("bob", "01_activations"): bob})
    assert got["alice", "01_activations"]["days_late"] == 1 and got["alice", "01_activations"]["late_days_left"] == 2
    assert got["bob", "01_activations"]["days_late"] == 0
    gs = tmp_path / "gradescope" / "carol"
    gs.mkdir(parents=True)
    (gs / "submission_metadata.json").write_text('{"created_at": "2026-10-09T23:59:00.5-07:00", "users": []}')
    carol = latedays.submitted_at(intake.Submission("carol", "01_activations", gs, "carol"), course)
    assert latedays.days_late(carol, course.due_for("carol", "01_activations")) == 1  # half a second late
    times = tmp_path / "times.csv"  # an LMS export wins over what the zip says
    times.write_text("student,assignment,submitted_at\nalice,01_activations,2026-10-09T22:00:00Z\n")
    assert latedays.submitted_at(found[0], course, latedays.read_times(times)) == utc("2026-10-09T22:00:00")


def test_the_gradebook_gets_the_late_day_columns(course, tmp_path):
    import csv
    import json

    folder = tmp_path / "alice" / "01_activations"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"score": 8, "max_score": 10, "tests": [], "extra_data": {
        "student": "alice", "assignment": "01_activations", "problem": None}}))
    batch.rebuild(tmp_path, late=(course, {("alice", "01_activations"): utc("2026-10-14T12:00:00")}))
    with open(tmp_path / "gradebook.csv", newline="") as f:
        (got,) = list(csv.DictReader(f))
    assert (got["days_late"], got["late_days_used"], got["late_days_left"], got["total_after_policy"]) == (
        "5", "3", "0", "4.0")


def test_a_wrong_course_file_says_where(tmp_path):
    with pytest.raises(latedays.CourseError, match="due.01_activations"):
        latedays.Course({"due": {"01_activations": "next friday"}})
    with pytest.raises(latedays.CourseError, match="extensions.bob"):
        latedays.Course({"due": {}, "extensions": {"bob": {"09_x": 1}}})
