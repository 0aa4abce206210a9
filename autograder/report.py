"""What grading produces: the score table, one section per assignment, and Gradescope JSON."""

GRADESCOPE_TEST_KEYS = ("name", "score", "max_score", "status", "output", "visibility", "tags")


def gradescope(results):
    """Gradescope's results.json: score, max_score, a test entry per check, and in
    ``extra_data`` the seed of the hidden checks' inputs and how student code was isolated."""
    tests = [{k: t[k] for k in GRADESCOPE_TEST_KEYS} for t in results["tests"]]
    extra = {k: results[k] for k in ("seed", "isolation") if k in results}
    summary = {"score": results["score"], "max_score": results["max_score"], "tests": tests}
    if extra:
        summary["extra_data"] = extra
        summary["output"] = f"Graded with seed {extra.get('seed')}; {extra.get('isolation')}."
    return summary


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
            said = t["output"]
            lines.append(f"- {said}" if said.startswith(t["name"]) else f"- {t['name']}: {said}")
    return "\n".join(lines)
