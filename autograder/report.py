"""What grading produces: the score table, one section per assignment, and Gradescope JSON.

Every test entry of ``grading.grade`` carries two texts. ``output`` is the *student text*,
the only one any writer here shows (the score table, results.json's test entries,
Gradescope, ``pack``, nbgrader's feedback): for a visible check its message; for a hidden
check "passed" or ``hidden_reason``, which names the functions it exercises and nothing of
its inputs (a message, a warning or an exception text may quote them, and student code
chooses its own exception texts). ``instructor_output``, present where the two differ, is
the full message: in results.json it goes into a test of its own with ``visibility:
hidden`` right after the check's (``INSTRUCTOR_ONLY``), which Gradescope never shows a
student.
"""

GRADESCOPE_TEST_KEYS = ("name", "score", "max_score", "status", "output", "visibility", "tags")
INSTRUCTOR_ONLY = "instructor_only"  # extra_data key of the tests that hold a full message


def hidden_reason(tags):
    functions = ", ".join(tags) or "your functions"
    return (f"a hidden check of {functions} failed: on inputs the visible checks do not try, the results differ "
            "from the reference or the code failed (hidden checks do not say which inputs they use)")


def student_text(hidden, passed, tags, message):
    """What a student may read about a check: ``message``, unless the check is hidden."""
    if not hidden:
        return message
    return "passed" if passed else hidden_reason(tags)


def gradescope(results):
    """Gradescope's results.json: score, max_score, a test entry per check, and in
    ``extra_data`` the seed of the hidden checks' inputs and how student code was isolated.

    Every check's entry is visible and holds its student text (a hidden check's says so in
    ``extra_data.hidden_check``); a check with an instructor text is followed by a hidden
    test named "CHECK (instructor only)" that holds it, worth nothing."""
    tests = []
    for t in results["tests"]:
        entry = {k: t[k] for k in GRADESCOPE_TEST_KEYS}
        entry["execution_time"] = t.get("seconds", 0)
        if t["visibility"] == "hidden":
            entry.update(visibility="visible", extra_data={"hidden_check": True})
        tests.append(entry)
        if "instructor_output" in t:
            tests.append({"name": f"{t['name']} (instructor only)", "score": 0, "max_score": 0,
                          "status": t["status"], "output": t["instructor_output"], "visibility": "hidden",
                          "tags": list(t["tags"]), "execution_time": 0,
                          "extra_data": {INSTRUCTOR_ONLY: True, "check": t["name"]}})
    extra = {k: results[k] for k in ("seed", "isolation") if k in results}
    summary = {"score": results["score"], "max_score": results["max_score"], "tests": tests}
    if extra:
        summary["extra_data"] = extra
        summary["output"] = f"Graded with seed {extra.get('seed')}; {extra.get('isolation')}."
    return summary


def graded_tests(summary):
    """The test entries of a results.json ``summary`` that are checks (not instructor-only texts)."""
    tests = summary.get("tests")
    return [t for t in tests if isinstance(t, dict) and not (isinstance(t.get("extra_data"), dict)
                                                             and t["extra_data"].get(INSTRUCTOR_ONLY))] \
        if isinstance(tests, list) else []


def table(results, width=34):
    """The score table; ``width`` (the name column) grows to fit the longest name, so columns stay aligned."""
    names = [len(t["name"]) + (9 if t.get("visibility") == "hidden" else 0) + 7 for t in results["tests"]]
    width = max([width, *names, *(len(str(t["assignment"])) for t in results["tests"])])
    lines = []
    by_assignment = {}
    for t in results["tests"]:
        by_assignment.setdefault(t["assignment"], []).append(t)
    for assignment, tests in by_assignment.items():
        lines.append(f"{assignment:<{width}} {'score':>6} {'max':>5}")
        for t in tests:
            mark = "ok  " if t["score"] == t["max_score"] else "FAIL"
            hidden = " (hidden)" if t["visibility"] == "hidden" else ""
            lines.append(f"  {mark} {t['name'] + hidden:<{width - 7}} {t['score']:>6g} {t['max_score']:>5g}")
        got, most = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
        lines.append(f"  {'subtotal':<{width - 2}} {got:>6g} {most:>5g}")
        lines.append("")
    lines.append(f"{'TOTAL':<{width}} {results['score']:>6g} {results['max_score']:>5g}")
    failures = [t for t in results["tests"] if t["score"] < t["max_score"]]
    if failures:
        lines.append("")
        lines.append("What went wrong:")
        for t in failures:
            said = t["output"]  # the student text: the table may be shown or sent to a student
            lines.append(f"- {said}" if said.startswith(t["name"]) else f"- {t['name']}: {said}")
    return "\n".join(lines)
