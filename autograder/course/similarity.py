"""Places to look for copied code: ``grade-all ... --similarity [--against DIR]``.

What is compared is only what students wrote: the functions that hold a solution region in
the reference (``release.solution_regions``), each taken from the student's library (the
last definition of a name, as Python would use it), minus every fingerprint of the released
stub of that function, so starter and provided code match nothing. Each function's text is
tokenised with ``tokenize`` (never run): comments, blank lines, indentation and statement
strings (docstrings) are dropped, identifiers become one placeholder (attributes after a
``.`` stay: ``np.maximum`` is what was written, ``x`` is a choice of name) and other strings
another. Fingerprints are winnowed hashes of K-token windows (Schleimer, Wilkerson and
Aiken's winnowing, as MOSS): any run of at least K + W - 1 tokens shared by two submissions
shares a fingerprint, wherever it stands, so renamed variables, reformatting, changed
comments, moved functions and reordered statements do not hide a copy.

A pair's similarity is the share of the smaller side's fingerprints that the other holds.
Pairs of one assignment at or above ``--similarity-threshold`` are listed, highest first, in
``similarity.csv`` and ``similarity.html`` (self-contained; every student text escaped),
with the functions involved and their shared lines marked. It is a list of places to look,
never a verdict: short functions have few ways to be written.

Why not ``copydetect`` (PyPI 0.5.0, a MOSS-like winnowing tool, pure Python): it fingerprints
whole files after pygments lexing, so it would need a file per student function to say which
functions match and to subtract the stub per function, it brings pygments, jinja2 and its own
HTML report (which we would have to trust to escape student text), and it is not installed
here. Its core, k-grams and a winnowing window over a token list, is the forty lines below,
over the ``tokenize`` tokens the grader already trusts; no new dependency.
"""

import ast
import csv
import hashlib
import html
import io
import keyword
import pathlib
import tokenize

from .. import grading
from . import intake, submission

K, W = 8, 4  # tokens per k-gram; the winnowing window (any shared run of K + W - 1 = 11 tokens is seen)
THRESHOLD = 0.5
MIN_FINGERPRINTS = 6  # a side with fewer (a stub with a line or two) says too little to list
SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
        tokenize.ENCODING, tokenize.ENDMARKER}
MAX_FILE = 1 << 20
SHOWN = 200  # pairs shown side by side in the page (similarity.csv lists them all)


# -- what students wrote ----------------------------------------------------------------------
def tasks(solutions=grading.SOLUTIONS):
    """{(module, function): assignment} for every function with a solution region."""
    from .release import notebook_of_functions, solution_regions

    owner, found = notebook_of_functions(), {}
    for path in sorted((pathlib.Path(solutions) / "cs231n_lib").glob("*.py")):
        text = path.read_text()
        functions = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)]
        for begin, _ in solution_regions(text.splitlines(), path):
            inside = [f for f in functions if f.lineno <= begin + 1 <= f.end_lineno]
            name = min(inside, key=lambda f: f.end_lineno - f.lineno).name
            found[path.stem, name] = owner.get(f"{path.stem}.{name}", "unknown")
    return found


def functions(text, wanted):
    """{name: source} of the last definition of each ``wanted`` name (module level or in a class)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    lines, found = text.splitlines(), {}
    for node in tree.body:
        for f in [node] + (node.body if isinstance(node, ast.ClassDef) else []):
            if isinstance(f, ast.FunctionDef) and f.name in wanted:
                start = min([f.lineno] + [d.lineno for d in f.decorator_list])
                found[f.name] = "\n".join(line[f.col_offset:] if line[:f.col_offset].isspace() else line
                                          for line in lines[start - 1:f.end_lineno]) + "\n"
    return found


def tokens(source):
    """[(normalised token, line)] of one function's source (see the module's docstring)."""
    out, start = [], True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in SKIP:
                start = start or tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
                continue
            if tok.type == tokenize.STRING and start:
                continue  # a docstring, or a string standing as a statement: it does nothing
            text = tok.string
            if tok.type == tokenize.NAME and not keyword.iskeyword(text) and not (out and out[-1][0] == "."):
                text = "V"
            elif tok.type in (tokenize.STRING, tokenize.FSTRING_START if hasattr(tokenize, "FSTRING_START") else -1):
                text = "S"
            out.append((text, tok.start[0]))
            start = False
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def fingerprints(source):
    """{hash: (first line, last line)} winnowed from the K-grams of ``source``'s tokens."""
    toks = tokens(source)
    grams = [(int.from_bytes(hashlib.blake2b("\0".join(t for t, _ in toks[i:i + K]).encode(), digest_size=8).digest(),
                             "big"), toks[i][1], toks[i + K - 1][1]) for i in range(len(toks) - K + 1)]
    chosen = {}
    for i in range(max(len(grams) - W + 1, 1 if grams else 0)):
        window = grams[i:i + W]
        h = min(window, key=lambda g: g[0])  # (ties: the first; the choice is the same in every copy)
        chosen.setdefault(h[0], (h[1], h[2]))
    return chosen


class Work:
    """One side of a comparison: a student's (or a known solution's) functions of one assignment."""

    def __init__(self, who, assignment, sources, stubs):
        self.who, self.assignment, self.sources, self.prints = who, assignment, {}, {}
        for name, source in sources.items():
            prints = {h: at for h, at in fingerprints(source).items() if h not in stubs.get(name, ())}
            if prints:
                self.sources[name], self.prints[name] = source, prints
        self.all = {h for prints in self.prints.values() for h in prints}


def library_work(who, assignment, library, task_map, stubs):
    """A ``Work`` from a library given as {relative path: bytes}."""
    sources = {}
    for rel, data in sorted(library.items()):
        module = pathlib.PurePosixPath(rel).stem
        wanted = {f for (m, f), a in task_map.items() if m == module and a == assignment}
        if wanted and len(data) <= MAX_FILE:
            sources.update(functions(data.decode("utf-8", "replace"), wanted))
    return Work(who, assignment, sources, stubs)


def stub_prints(task_map, stubs_dir):
    """{function: its stub's fingerprints} (functions of one name share; their stubs are alike)."""
    found = {}
    for path in sorted(pathlib.Path(stubs_dir).glob("*.py")):
        wanted = {f for m, f in task_map if m == path.stem}
        for name, source in functions(path.read_text(), wanted).items():
            found.setdefault(name, set()).update(fingerprints(source))
    return found


# -- comparing --------------------------------------------------------------------------------
def compare(works, known=(), threshold=THRESHOLD):
    """[(similarity, a, b, {function: (lines of a, lines of b)})], highest first: every pair of
    ``works`` of one assignment, and each work against each of ``known`` (of any assignment)."""
    pairs = []
    by = {}
    for w in works:
        by.setdefault(w.assignment, []).append(w)
    candidates = [(a, b) for group in by.values() for i, a in enumerate(group) for b in group[i + 1:]]
    candidates += [(w, k) for w in works for k in known]
    for a, b in candidates:
        shared = a.all & b.all
        small = min(len(a.all), len(b.all))
        if small < MIN_FINGERPRINTS or len(shared) / small < threshold:
            continue
        involved = {}
        for side, other in ((a, b), (b, a)):
            for name, prints in side.prints.items():
                lines = {n for h, (first, last) in prints.items() if h in shared for n in range(first, last + 1)}
                if lines:
                    involved.setdefault(name, [set(), set()])[side is b] |= lines
        pairs.append((len(shared) / small, a, b, involved))
    pairs.sort(key=lambda p: (-p[0], p[1].who, p[2].who))
    return pairs


def known_works(folder, task_map, stubs):
    """Each entry of ``folder`` (a folder of .py files, or one .py file) as a known solution."""
    works = []
    for entry in sorted(pathlib.Path(folder).iterdir()):
        files = sorted(entry.rglob("*.py")) if entry.is_dir() else [entry] if entry.suffix == ".py" else []
        library = {p.name: p.read_bytes() for p in files if p.is_file() and not p.is_symlink()}
        for assignment in sorted(set(task_map.values())):
            work = library_work(f"known: {entry.name}", assignment, library, task_map, stubs)
            if work.all:
                works.append(work)
    return works


def report(subs, out, against=None, solutions=grading.SOLUTIONS, stubs_dir=grading.ROOT / "cs231n_lib",
           threshold=THRESHOLD):
    """Compare the submissions ``subs`` (intake.Submission) and write similarity.csv and .html in ``out``."""
    task_map = tasks(solutions)
    stubs = stub_prints(task_map, stubs_dir)
    works = []
    for sub in subs:
        if sub.problem or not sub.assignment:
            continue
        try:
            found = submission.read(sub.source, sub.assignment)
        except (submission.SubmissionError, OSError, RecursionError, UnicodeError):
            continue  # it scores 0 with its reason in the gradebook
        works.append(library_work(intake.printable(sub.student), sub.assignment, found.library, task_map, stubs))
    known = known_works(against, task_map, stubs) if against else []
    pairs = compare(works, known, threshold)
    write(out, pairs, len(works), threshold)
    return pairs


# -- the files --------------------------------------------------------------------------------
def _cell(value):
    from .batch import _cell as cell

    return cell(value)


def write(out, pairs, count, threshold):
    from ..files import write_atomically

    out = pathlib.Path(out)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["assignment", "a", "b", "similarity", "functions"])
    for score, a, b, involved in pairs:
        writer.writerow([a.assignment, _cell(a.who), _cell(b.who), f"{score:.2f}", " ".join(sorted(involved))])
    write_atomically(out / "similarity.csv", buffer.getvalue())
    write_atomically(out / "similarity.html", page(pairs, count, threshold))


def _side(source, marked):
    rows = []
    for n, line in enumerate(source.splitlines(), 1):
        text = html.escape(line) or " "
        rows.append(f"<mark>{text}</mark>" if n in marked else text)
    return "<pre>" + "\n".join(rows) + "</pre>"


STYLE = ("body{font-family:sans-serif;margin:2em;max-width:110em}pre{background:#f6f6f6;padding:.5em;"
         "overflow-x:auto;font-size:85%}mark{background:#ffe08a}.pair{display:grid;grid-template-columns:1fr 1fr;"
         "gap:1em}.note{background:#eef4ff;padding:.7em;border-left:4px solid #4a7bd0}td,th{padding:.2em .6em}")


def page(pairs, count, threshold):
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Similar code</title><style>{STYLE}</style>"
             "</head><body><h1>Similar code: places to look</h1>",
             "<p class='note'>This is a list of places to look, never a verdict. Short functions have few ways "
             "to be written, and students may work together where the course allows it. Only what students "
             "wrote is compared (starter code is subtracted); names, comments, layout and order do not count."
             "</p>",
             f"<p>{count} submissions compared; {len(pairs)} pairs share at least {threshold:.0%} of the smaller "
             "side's fingerprints."
             + (f" The first {SHOWN} are shown here; similarity.csv lists them all." if len(pairs) > SHOWN else "")
             + "</p>"]
    pairs = pairs[:SHOWN]
    if pairs:
        parts.append("<table><tr><th>#</th><th>assignment</th><th>a</th><th>b</th><th>similarity</th>"
                     "<th>functions</th></tr>")
        for i, (score, a, b, involved) in enumerate(pairs, 1):
            parts.append(f"<tr><td><a href='#p{i}'>{i}</a></td><td>{e(a.assignment)}</td><td>{e(a.who)}</td>"
                         f"<td>{e(b.who)}</td><td>{score:.0%}</td><td>{e(', '.join(sorted(involved)))}</td></tr>")
        parts.append("</table>")
    for i, (score, a, b, involved) in enumerate(pairs, 1):
        parts.append(f"<h2 id='p{i}'>{i}. {e(a.who)} and {e(b.who)}: {score:.0%} ({e(a.assignment)})</h2>")
        for name, (lines_a, lines_b) in sorted(involved.items()):
            parts.append(f"<h3>{e(name)}</h3><div class='pair'><div>{e(a.who)}"
                         f"{_side(a.sources.get(name, '(not written)'), lines_a)}</div><div>{e(b.who)}"
                         f"{_side(b.sources.get(name, '(not written)'), lines_b)}</div></div>")
    parts.append("</body></html>")
    return "\n".join(parts)
