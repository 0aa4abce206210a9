"""``RESULTS/summary.html``: where the class struggles, on one self-contained page.

Beside ``summary.md`` (same rows, same kinds of reason: ``summary.kind_of``): per assignment
the score distribution of the graded submissions (an inline PNG, with title, axis labels and
units), per check the share of graded submissions that failed it (a chart and a table), and
per check the reasons grouped by kind with their counts and one example each, anonymised (no
student named; the student's own id and name, when the message quotes them, replaced).

"What changed": when the gradebook a run rebuilds differs from the one before (a new
grader, a fixed check, resubmissions), ``batch.rebuild`` keeps the old one as
``RESULTS/.previous/gradebook.csv``; the page lists the students whose total changed, by
how much, and in which checks. Every student text is escaped with ``html.escape``; the page
loads nothing (it opens offline).
"""

import base64
import csv
import html
import io
import pathlib

from .summary import OTHER, failing_checks, first_words, kind_of

PREVIOUS = pathlib.Path(".previous") / "gradebook.csv"
NOT_CHECKS = {"student", "name", "assignment", "total", "max_score", "seed", "problem", "source", "submission_sha256"}
STYLE = ("body{font-family:sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse;margin:.5em 0}"
         "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}.up{color:#176117}"
         ".down{color:#a11}")


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def histogram(assignment, scores):
    from matplotlib.ticker import MaxNLocator

    fig = _figure(5, 3)
    ax = fig.add_subplot()
    ax.hist(scores, bins=[i * 10 for i in range(11)], color="tab:blue", edgecolor="white")
    ax.set(title=f"{assignment}: score distribution ({len(scores)} graded)", xlabel="score (% of the maximum)",
           ylabel="submissions", xlim=(0, 100))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig)


def failure_chart(assignment, shares):
    """Horizontal bars: the % of graded submissions that failed each check (most failed at the top)."""
    fig = _figure(7, 0.6 + 0.28 * len(shares))
    ax = fig.add_subplot()
    names = [n for n, _ in shares][::-1]
    ax.barh(range(len(names)), [s for _, s in shares][::-1], color="tab:red")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set(title=f"{assignment}: checks failed", xlabel="failed (% of graded submissions)", xlim=(0, 100))
    return _png(fig)


def anonymised(text, row):
    text = str(text or "")
    for who in (row.get("student"), row.get("name")):
        if who and len(str(who)) > 2:
            text = text.replace(str(who), "<student>")
    return text


def reasons(rows):
    """{(assignment, check): {kind: [count, example]}} over the failed checks of graded submissions."""
    found = {}
    for row in rows:
        if row["problem"]:
            continue
        for name, t in row["tests"].items():
            if t.get("score", 0) < t.get("max_score", 0):
                entry = found.setdefault((row["assignment"], name), {}).setdefault(kind_of(t.get("output")),
                                                                                  [0, None])
                entry[0] += 1
                entry[1] = entry[1] or first_words(anonymised(t.get("output"), row), 240)
    return found


def read_gradebook(path):
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeError):
        return None


def changes(previous, current):
    """[(assignment, student, old total, new total, [(check, old, new)])] of the rows whose total changed."""
    def key(row):
        return row.get("assignment", ""), row.get("student", "")

    old = {key(r): r for r in previous}
    found = []
    for row in current:
        before = old.get(key(row))
        if before is None:
            continue
        try:
            a, b = float(before.get("total") or 0), float(row.get("total") or 0)
        except ValueError:
            continue
        if a != b:
            checks = [(c, before.get(c, ""), row.get(c, "")) for c in row if c not in NOT_CHECKS
                      and before.get(c, "") != row.get(c, "")]
            found.append((key(row)[0], key(row)[1], a, b, checks))
    return sorted(found, key=lambda c: (c[0], -abs(c[3] - c[2]), c[1]))


def page(rows, previous=None, current=None):
    e = html.escape
    by = {}
    for row in rows:
        by.setdefault(row["assignment"], []).append(row)
    failing, _ = failing_checks(rows)
    why = reasons(rows)
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Where the class struggles</title>"
             f"<style>{STYLE}</style></head><body><h1>Where the class struggles</h1>",
             f"<p>{len(rows)} submissions of {len({r['student'] for r in rows})} students. Ungraded submissions "
             "(score 0 in the gradebook) are left out of the statistics; summary.md lists them.</p>"]
    if previous is not None and current is not None:
        changed = changes(previous, current)
        parts.append(f"<h2>What changed since the previous gradebook</h2><p>{len(changed)} scores changed.</p>")
        if changed:
            parts.append("<table><tr><th>assignment</th><th>student</th><th>before</th><th>now</th><th>change</th>"
                         "<th>checks (before → now)</th></tr>")
            for assignment, student, a, b, checks in changed:
                detail = "; ".join(f"{c}: {x or '–'} → {y or '–'}" for c, x, y in checks)
                parts.append(f"<tr><td>{e(assignment)}</td><td>{e(student)}</td><td>{a:g}</td><td>{b:g}</td>"
                             f"<td class='{'up' if b > a else 'down'}'>{b - a:+g}</td><td>{e(detail)}</td></tr>")
            parts.append("</table>")
    for assignment, group in sorted(by.items()):
        graded = [r for r in group if not r["problem"]]
        most = max((r["max_score"] for r in group), default=0) or 1
        parts.append(f"<h2>{e(assignment)}</h2><p>{len(graded)} of {len(group)} submissions graded.</p>")
        if graded:
            parts.append(histogram(assignment, [100 * r["total"] / most for r in graded]))
        lines = failing.get(assignment, [])
        if lines:
            parts.append(failure_chart(assignment, [(n, 100 * f / g) for n, f, g, _, _ in lines]))
            parts.append("<table><tr><th>check</th><th>failed</th><th>kinds of reason (count: one example)</th></tr>")
            for name, failed, of, _, _ in lines:
                kinds = sorted(why.get((assignment, name), {}).items(), key=lambda kv: (-kv[1][0], kv[0] == OTHER))
                cell = "<br>".join(f"<b>{e(k)}</b> ({n}): <code>{e(example or '')}</code>" for k, (n, example) in kinds)
                parts.append(f"<tr><td>{e(name)}</td><td>{failed} of {of} ({100 * failed / of:.0f}%)</td>"
                             f"<td>{cell}</td></tr>")
            parts.append("</table>")
        elif graded:
            parts.append("<p>Every graded submission passed every check.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write(out, rows):
    """summary.html in ``out``, with the "what changed" view when ``out`` keeps a previous gradebook."""
    from ..files import write_atomically

    out = pathlib.Path(out)
    previous = read_gradebook(out / PREVIOUS)
    current = read_gradebook(out / "gradebook.csv") if previous is not None else None
    write_atomically(out / "summary.html", page(rows, previous, current))
