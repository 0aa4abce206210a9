"""Late days: ``grade-all ... --course course.toml [--times times.csv]``.

The course file (read with ``tomllib``)::

    timezone = "America/Los_Angeles"     # due dates below are local times there
    late_days = 4                        # one allowance, shared by every assignment
    penalty_percent_per_day = 20         # per day late beyond the allowance; 100 (or penalty = "zero"): 0 points

    [due]
    01_activations = "2026-10-09 23:59"
    02_preprocessing = "2026-10-16 23:59"

    [extensions]                         # one line per student: a new due date or extra days
    alice = { 01_activations = "2026-10-11 23:59", 02_preprocessing = 1 }

A day late is each started 24 hours after the due date (a submission exactly at the due
date is on time). Late days are spent assignment by assignment, in the order of their due
dates: each takes what it needs of what is left; the days beyond that are penalised. What
counts is the submission that was graded (``intake`` picks the latest of several, so a
resubmission after the deadline makes the assignment late even when an earlier one was on
time: the gradebook says so in its own column).

Submission times, from the layout's own source (first found wins): the ``--times`` CSV
(``student,assignment,submitted_at``, as an LMS exports it); nbgrader's ``timestamp.txt``
beside the notebook; Gradescope's ``submission_metadata.json`` (its ``created_at``) in a
submission folder where that path is used; the newest entry time of an LMS zip. Times with a zone (``Z``,
``+01:00``, nbgrader's `` UTC``) are taken as given; times without one are the course's
local time (zip entries carry no zone). Nothing found: the columns stay empty.
"""

import csv
import datetime as dt
import math
import pathlib
import tomllib
import zoneinfo

from . import intake

COLUMNS = ["submitted_at", "days_late", "late_days_used", "late_days_left", "total_after_policy"]
GRADESCOPE = "submission_metadata.json"
FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f",
           "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


class CourseError(ValueError):
    """The course file is wrong; the message says where."""


class Course:
    def __init__(self, data):
        try:
            self.zone = zoneinfo.ZoneInfo(str(data.get("timezone", "UTC")))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise CourseError(f"timezone: {exc}") from None
        self.allowance = int(data.get("late_days", 0))
        zero = str(data.get("penalty", "")).lower() == "zero"
        self.percent = 100.0 if zero else float(data.get("penalty_percent_per_day", 100))
        self.due = {a: self.when(v, f"due.{a}") for a, v in dict(data.get("due", {})).items()}
        self.extensions = {}
        for student, given in dict(data.get("extensions", {})).items():
            for assignment, value in dict(given).items():
                if assignment not in self.due:
                    raise CourseError(f"extensions.{student}: {assignment} has no due date")
                self.extensions[str(student), assignment] = (
                    self.due[assignment] + dt.timedelta(days=value) if isinstance(value, (int, float))
                    else self.when(value, f"extensions.{student}.{assignment}"))

    def when(self, value, where="a time"):
        """An aware datetime from a TOML datetime or text; without a zone, the course's local time."""
        if isinstance(value, dt.datetime):
            moment = value
        else:
            text = str(value).strip()
            if text.endswith(" UTC"):
                text = text[:-4] + "+00:00"
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                moment = None
                for fmt in FORMATS:
                    try:
                        moment = dt.datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
                if moment is None:
                    raise CourseError(f"{where}: {intake.printable(text, 60)} is not a date and time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def due_for(self, student, assignment):
        return self.extensions.get((student, assignment), self.due.get(assignment))


def load(path):
    try:
        with open(path, "rb") as f:
            return Course(tomllib.load(f))
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: {exc}") from None
    except CourseError:
        raise
    except (TypeError, AttributeError, ValueError) as exc:  # a value of the wrong kind
        raise CourseError(f"{path}: {exc}") from None


def days_late(submitted, due):
    """Started days after ``due`` (0 up to and at the due date itself)."""
    return max(0, math.ceil((submitted - due) / dt.timedelta(days=1)))


# -- submission times -------------------------------------------------------------------------
def read_times(path):
    """{(student, assignment): text} from a CSV with columns student, assignment, submitted_at."""
    with open(path, newline="") as f:
        return {(r["student"], r["assignment"]): r["submitted_at"] for r in csv.DictReader(f)
                if r.get("student") and r.get("assignment") and r.get("submitted_at")}


def submitted_at(sub, course, times=None):
    """When ``sub`` (an intake.Submission) was handed in, as an aware datetime, or None."""
    text = (times or {}).get((sub.student, sub.assignment))
    source = pathlib.Path(sub.source)
    if text is None and source.is_dir() and (source / "timestamp.txt").is_file():
        text = (source / "timestamp.txt").read_text(errors="replace")[:100].strip()
    if text is None and source.is_dir() and (source / GRADESCOPE).is_file():
        text = gradescope_time(source / GRADESCOPE)
    if text is None and source.suffix == ".zip":
        newest = intake.newest_entry(source)
        text = intake._stamp(newest) if newest else None
    try:
        return course.when(text) if text else None
    except CourseError:
        return None


def gradescope_time(path):
    """``created_at`` of Gradescope's ``submission_metadata.json`` (ISO, with its zone), or None."""
    import json

    try:
        if path.stat().st_size > 1 << 20:
            return None
        value = json.loads(path.read_text(errors="replace")).get("created_at")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


# -- the policy -------------------------------------------------------------------------------
def apply(course, rows, moments):
    """{(student, assignment): {column: value}} for the gradebook (see COLUMNS).

    ``moments``: {(student, assignment): aware datetime}. Late days go to assignments in the
    order of their due dates; a row without a due date or a time gets empty columns.
    """
    out = {}
    for student in sorted({r["student"] for r in rows}):
        mine = [r for r in rows if r["student"] == student and course.due_for(student, r["assignment"])]
        mine.sort(key=lambda r: (course.due_for(student, r["assignment"]), r["assignment"]))
        left = course.allowance
        for row in mine:
            moment = moments.get((student, row["assignment"]))
            if moment is None:
                continue
            late = days_late(moment, course.due_for(student, row["assignment"]))
            used = min(late, left)
            left -= used
            factor = max(0.0, 1 - course.percent * (late - used) / 100)
            out[student, row["assignment"]] = {
                "submitted_at": moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "days_late": late, "late_days_used": used, "late_days_left": left,
                "total_after_policy": round(row["total"] * factor, 4)}
    return out
