"""The instructor's view of a grade-all run: ``RESULTS/summary.md`` and ``RESULTS/summary.png``.

Per assignment: the score statistics of the submissions that were graded (a submission that
could not be graded scores 0 in the gradebook, but is listed apart here and left out of the
statistics: it says nothing about what students understood), why checks fail, grouped by
kind ("differs from the numeric gradient", "not implemented", "syntax error", "timeout",
...) and counted across students, and the checks most students fail with the kind of reason
most of them got. Reasons are quoted whole, never cut inside a word.
"""

import pathlib
import re
import statistics

from . import markdown

# (kind, what in a check's message shows it), first match wins; the messages are the grader's
KINDS = [
    ("not graded", re.compile(r"^not graded: ")),
    ("builds on earlier work that fails", re.compile(r"^this check builds on ")),
    ("not implemented", re.compile(r"is not implemented yet")),
    ("syntax error", re.compile(r"\b(SyntaxError|IndentationError|TabError)\b")),
    ("import error", re.compile(r"\b(ImportError|ModuleNotFoundError)\b")),
    ("timeout", re.compile(r"did not finish within|used up its grading time")),
    ("crash or memory", re.compile(r"the process running your code (ran out of memory|was killed|exited|stopped)")),
    ("differs from the numeric gradient", re.compile(r"differs from the numeric gradient")),
    ("differs from the expected values", re.compile(r"differs from (the expected values|the reference)")),
    ("wrong shape", re.compile(r"has shape .* but should have shape")),
    ("wrong type or None", re.compile(r"should be (an array|a single)| is None: |should return a tuple")),
    ("not finite (NaN or inf)", re.compile(r"it should be finite|is (nan|inf|-inf) at index")),
    ("raised an exception", re.compile(r" raised [A-Z]\w*(Error|Exception)")),
]
OTHER = "other"


def kind_of(output):
    """The kind of reason a failed check's ``output`` gives (see KINDS)."""
    text = str(output or "")
    for kind, pattern in KINDS:
        if pattern.search(text):
            return kind
    return OTHER


def first_words(text, limit=160):
    """The first line of ``text``, cut at a word boundary near ``limit`` (with "…") when longer."""
    line = str(text or "").splitlines()[0] if text else ""
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def failing_checks(rows):
    """{assignment: [(check, failed, graded, kind most of them got, an example reason)]}, most failed first;
    and {assignment: {kind: (students, failed checks)}}. Ungraded submissions are left out."""
    by, kinds = {}, {}
    for row in rows:
        if row["problem"]:
            continue
        counted = kinds.setdefault(row["assignment"], {})
        seen = set()
        for name, t in row["tests"].items():
            entry = by.setdefault(row["assignment"], {}).setdefault(name, [0, 0, {}])
            entry[1] += 1
            if t.get("score", 0) < t.get("max_score", 0):
                entry[0] += 1
                kind = kind_of(t.get("output"))
                count, example = entry[2].get(kind, (0, str(t.get("output", ""))))
                entry[2][kind] = (count + 1, example)
                students, checks = counted.get(kind, (0, 0))
                counted[kind] = (students + (kind not in seen), checks + 1)
                seen.add(kind)
    table = {}
    for assignment, checks in sorted(by.items()):
        lines = []
        for name, (failed, graded, reasons) in checks.items():
            if failed:
                kind = max(reasons, key=lambda k: (reasons[k][0], k))
                lines.append((name, failed, graded, kind, reasons[kind][1]))
        table[assignment] = sorted(lines, key=lambda x: (-x[1], x[0]))
    return table, kinds


def _cell(value):
    """Student text in a table cell: escaped, so it shows as text (see markdown.py)."""
    return markdown.text(value)


def summarize(out, rows, top=5):
    """Write summary.md and summary.png into ``out`` (see the module's docstring); return the text."""
    from ..files import write_atomically

    out = pathlib.Path(out)
    by = {}
    for row in rows:
        by.setdefault(row["assignment"], []).append(row)
    lines = [f"# Grading summary: {len(rows)} submissions, {len({r['student'] for r in rows})} students", ""]
    failing, kinds = failing_checks(rows)
    for assignment, group in sorted(by.items()):
        graded = [r for r in group if not r["problem"]]
        broken = [r for r in group if r["problem"]]
        most = max((r["max_score"] for r in group), default=0) or 1
        lines.append(f"## {_cell(assignment)}: {len(group)} submissions, {len(graded)} graded, {len(broken)} not graded")
        if graded:
            scores = [100 * r["total"] / most for r in graded]
            lines.append(f"score of the {len(graded)} graded (% of {most:g}): mean {statistics.mean(scores):.1f}, "
                         f"median {statistics.median(scores):.1f}, min {min(scores):.1f}, max {max(scores):.1f}; "
                         f"full marks: {sum(s >= 100 for s in scores)}")
        else:
            lines.append("no submission could be graded: no score statistics")
        if kinds.get(assignment):
            lines += ["", "Why checks fail, by kind:", "", "| kind of reason | students | failed checks |",
                      "|---|---|---|"]
            for kind, (students, checks) in sorted(kinds[assignment].items(), key=lambda kv: (-kv[1][0], kv[0])):
                lines.append(f"| {kind} | {students} | {checks} |")
        if failing.get(assignment):
            lines += ["", "Checks most students fail:", "", "| check | failed | of | most common kind | for example |",
                      "|---|---|---|---|---|"]
            for name, failed, graded_n, kind, example in failing[assignment][:top]:
                lines.append(f"| {_cell(name)} | {failed} | {graded_n} | {kind} | {_cell(first_words(example))} |")
        if broken:
            lines += ["", f"Not graded (score 0 in the gradebook, left out of the statistics above): {len(broken)}", ""]
            lines += [f"- {_cell(r['student'])}: {_cell(r['problem'])}" for r in broken]
        lines.append("")
    text = "\n".join(lines)
    write_atomically(out / "summary.md", text)
    _plot(out / "summary.png", by)
    return text


def _plot(path, by):
    """The score distribution of each assignment's graded submissions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from ..files import write_atomically

    n = max(len(by), 1)
    fig = Figure(figsize=(4.5 * min(n, 3), 3.2 * ((n + 2) // 3)), layout="constrained")
    FigureCanvasAgg(fig)
    for i, (assignment, group) in enumerate(sorted(by.items())):
        ax = fig.add_subplot((n + 2) // 3, min(n, 3), i + 1)
        graded = [r for r in group if not r["problem"]]
        most = max((r["max_score"] for r in group), default=0) or 1
        ax.hist([100 * r["total"] / most for r in graded], bins=[i * 10 for i in range(11)], color="tab:blue",
                edgecolor="white")
        apart = len(group) - len(graded)
        ax.set(title=f"{assignment} ({len(graded)} graded" + (f", {apart} not" if apart else "") + ")",
               xlabel="score (%)", ylabel="students", xlim=(0, 100))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not by:
        fig.text(0.5, 0.5, "no results yet", ha="center")
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    write_atomically(path, buffer.getvalue())

