"""python -m autograder pack ASSIGNMENT: a student checks their work and makes the zip to hand in.

It runs the assignment's visible checks on the student's ``cs231n_lib`` and prints the
score table, warns about what would cost points and is easy to fix (a notebook that may
not be saved, functions still raising NotImplementedError, written answers not given),
and writes ``submissions/ASSIGNMENT.zip`` in the layout of ``submission``. It only reads
the student's files: the checks run on a private copy of the library, and the zip is
the one file it writes.
"""

import ast
import datetime
import json
import os
import pathlib
import sys

from . import submission
from .. import grading, report
from ..notebook import find_library
from ..registry import load_checks

OUTBOX = "submissions"


class PackError(Exception):
    """Bad input (no such assignment, no notebook); the message says what to do."""


def kit_root(start=None):
    """The folder holding the student's cs231n_lib/ and assignments/: the nearest above ``start``."""
    try:
        return find_library(start)
    except FileNotFoundError as exc:
        raise PackError(f"{exc} Run pack inside your course folder (the one with cs231n_lib/ and assignments/).")


def resolve(root, assignment):
    """The assignment id named by ``assignment`` (an id or its number, e.g. 01)."""
    ids = sorted(p.name for p in (root / "assignments").glob("[0-9][0-9]_*") if p.is_dir())
    if not ids:
        raise PackError(f"no assignments/ folder with notebooks in {root}")
    matches = [i for i in ids if assignment in (i, i.split("_")[0])] if assignment else []
    if len(matches) != 1:
        said = f"there is no assignment {assignment!r}." if assignment else "which assignment?"
        raise PackError(f"{said} Give one of {', '.join(ids)} (e.g. `python -m autograder pack {ids[0]}`)")
    return matches[0]


# --- Warnings ------------------------------------------------------------------------------

def _when(seconds):
    return datetime.datetime.fromtimestamp(seconds).strftime("%H:%M:%S on %b %d")


def checkpoint_warning(notebook):
    """A warning when JupyterLab's checkpoint of ``notebook`` is newer than the notebook (what
    was compared: the two files' modification times)."""
    checkpoint = notebook.parent / ".ipynb_checkpoints" / f"{notebook.stem}-checkpoint.ipynb"
    if checkpoint.is_file() and checkpoint.stat().st_mtime > notebook.stat().st_mtime + 1:
        return (f"{notebook.name} is older than its checkpoint {checkpoint.relative_to(notebook.parent)} "
                f"(saved {_when(notebook.stat().st_mtime)}, checkpoint {_when(checkpoint.stat().st_mtime)}): "
                "open it in JupyterLab and save it (File > Save Notebook), or File > Revert to Checkpoint")
    return None


def _local_servers():
    """(url, token, root_dir) of the Jupyter servers running on this machine, from their runtime files."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return []
    servers = []
    for path in sorted(pathlib.Path(jupyter_runtime_dir()).glob("jpserver-*.json")):
        try:
            info = json.loads(path.read_text())
            os.kill(int(info["pid"]), 0)  # still running?
        except (OSError, ValueError, KeyError, TypeError):
            continue
        host = info.get("hostname") or ""
        url = str(info.get("url", ""))
        if host in ("localhost", "127.0.0.1", "::1", "") and url.startswith("http://") and (
                "//localhost:" in url or "//127.0.0.1:" in url or "//[::1]:" in url):
            servers.append((url, str(info.get("token", "")), pathlib.Path(info.get("root_dir", "/"))))
    return servers


def _get(url, token):
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # localhost only, never a proxy
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    with opener.open(request, timeout=2) as reply:
        return json.loads(reply.read(1 << 20))


def _saved_runs(notebook):
    """{execution count: source} of the code cells saved in ``notebook`` with their run."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
        return {c["execution_count"]: "".join(c.get("source", "")).strip() for c in cells
                if isinstance(c, dict) and isinstance(c.get("execution_count"), int)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _kernel_last_run(kernel_id, timeout=2):
    """(execution count, source) of the last cell the kernel ``kernel_id`` ran ((0, "") if none),
    asked of the kernel itself (a history request through its connection file, which runs no
    code); None when it cannot be asked."""
    try:
        from jupyter_client import BlockingKernelClient
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return None
    connection = pathlib.Path(jupyter_runtime_dir()) / f"kernel-{kernel_id}.json"
    if not connection.is_file():
        return None
    client = BlockingKernelClient(connection_file=str(connection))
    try:
        client.load_connection_file()
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        msg_id = client.history(raw=True, output=False, hist_access_type="range", session=0, start=0, stop=None)
        deadline = datetime.datetime.now().timestamp() + timeout
        while (left := deadline - datetime.datetime.now().timestamp()) > 0:
            reply = client.get_shell_msg(timeout=left)
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                runs = [(int(line[1]), str(line[2]).strip()) for line in reply["content"].get("history") or []
                        if str(line[2]).strip()]
                return max(runs) if runs else (0, "")
    except Exception:  # a busy or vanished kernel tells us nothing
        return None
    finally:
        client.stop_channels()
    return None


def kernel_warning(notebook):
    """A warning when a running JupyterLab has a kernel for ``notebook`` that ran a cell after the
    notebook was last saved. What is compared: the kernel's last run (its execution count and
    source, asked of the kernel) with the cells saved in the file, and the kernel's last
    activity (from the server's /api/sessions) with the file's modification time. A notebook
    merely reopened starts or reuses a kernel whose last run is in the file (or that ran
    nothing), so it is not warned about. JupyterLab keeps unsaved edits in the browser, where nothing else can see them;
    this is the trace they leave."""
    saved = notebook.stat().st_mtime
    for url, token, root in _local_servers():
        try:
            sessions = _get(url.rstrip("/") + "/api/sessions", token)
        except Exception:  # a server that does not answer in time tells us nothing
            continue
        for s in sessions if isinstance(sessions, list) else []:
            try:
                if (root / s["path"]).resolve() != notebook.resolve():
                    continue
                active = datetime.datetime.fromisoformat(s["kernel"]["last_activity"].replace("Z", "+00:00"))
                kernel_id = str(s["kernel"]["id"])
            except (KeyError, TypeError, ValueError, OSError):
                continue
            if active.timestamp() <= saved + 2:
                continue
            last = _kernel_last_run(kernel_id)
            if last is not None and (last[0] == 0 or _saved_runs(notebook).get(last[0]) == last[1]):
                continue  # it ran nothing, or the file holds its last run (that cell, with that count)
            ran = last[0] if last else 0
            return (f"JupyterLab has {notebook.name} open and its kernel ran {f'cell [{ran}]' if ran else 'code'} "
                    f"after the file was last saved (saved {_when(saved)}, kernel last active "
                    f"{_when(active.timestamp())}): save it in JupyterLab (File > Save All), then pack again")
    return None


def unimplemented(lib, tags):
    """'module.function' of ``tags`` that still raise NotImplementedError in ``lib`` (or are
    missing), read from the source without running it."""
    found = []
    for tag in sorted(set(tags)):
        module, _, function = tag.partition(".")
        try:
            tree = ast.parse((lib / f"{module}.py").read_text(errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue  # a module that does not parse fails its checks, with the reason
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function]
        if not defs:
            found.append(f"{tag} (missing)")
            continue
        for node in ast.walk(defs[-1]):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                    found.append(tag)
                    break
    return found


def unanswered(notebook):
    """How many written answers of ``notebook`` still hold nbgrader's placeholder."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    return sum(1 for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")
               and "YOUR ANSWER HERE" in "".join(c.get("source", "")))


# --- Pack ----------------------------------------------------------------------------------

def pack(assignment=None, start=None, out=None, log=print, warn=None):
    """Check and pack ``assignment`` of the course folder above ``start``; returns (exit code, zip path).

    Exit code 0 whenever the zip was written, failed checks and warnings included (the last
    line it logs counts them: a warning is advice, not a failure). Raises PackError
    (nothing written) on bad input and submission.SubmissionError when the work does not
    fit the layout.
    """
    warn = warn or (lambda text: print(f"warning: {text}", file=sys.stderr))
    root = kit_root(start)
    assignment = resolve(root, assignment)
    notebook = root / "assignments" / assignment / submission.notebook_name(assignment)
    lib = root / submission.LIBRARY
    if not notebook.is_file():
        raise PackError(f"no notebook at {notebook}: pack expects assignments/{assignment}/{notebook.name}")
    out = pathlib.Path(out) if out else root / OUTBOX / submission.zip_name(assignment)
    if out.suffix != ".zip" or out.is_dir():
        raise PackError(f"--out must name a .zip file, not {out}")
    if out.resolve().is_relative_to(lib.resolve()):
        raise PackError(f"--out must not be inside {lib}")

    warnings = [w for w in (checkpoint_warning(notebook), kernel_warning(notebook)) if w]
    if not warnings:
        log(f"{notebook.name}: saved {_when(notebook.stat().st_mtime)}; its checkpoint is not newer and no "
            "running JupyterLab ran it since (save open editors before packing: unsaved edits live in the browser)")
    checks = [c for c in load_checks().values() if c.assignment == assignment]
    missing = unimplemented(lib, [t for c in checks for t in c.tags])
    if missing:
        warnings.append(f"{len(missing)} function(s) still raise NotImplementedError or are missing: "
                        + ", ".join(missing))
    open_answers = unanswered(notebook)
    if open_answers:
        warnings.append(f"{open_answers} written answer(s) in {notebook.name} still say YOUR ANSWER HERE")

    from ..sandbox import isolation

    isolated, why = isolation()
    if not isolated:
        log(f"note: checks run in a separate process, but not in an isolated sandbox here: {why}")
    results = grading.grade(lib, [assignment], hidden=False, isolate=isolated)
    log(report.table(results))
    log("These are the visible checks; grading also runs hidden checks on other inputs.\n")

    packed = submission.collect(assignment, notebook, lib)
    replaced = out.exists()
    submission.write(packed, out)
    for note in packed.notes:
        log(f"note: {note}")
    for text in warnings:
        warn(text)
    size = out.stat().st_size
    log(f"{'replaced' if replaced else 'wrote'} {out} ({notebook.name} and {len(packed.library)} files of "
        f"{submission.LIBRARY}/, {size / 1024:.0f} KB): hand in this file")
    log(summary_line(results, warnings))
    return 0, out


def summary_line(results, warnings):
    """The last line pack prints: what the zip holds in brief, so that a warning is not mistaken for a failure."""
    failed = sum(1 for t in results["tests"] if t["score"] < t["max_score"])
    parts = [f"{failed} of {len(results['tests'])} visible checks failed" if failed
             else f"all {len(results['tests'])} visible checks passed"]
    if warnings:
        parts.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} (above)")
    return f"packed: {', '.join(parts)}; score {results['score']:g} / {results['max_score']:g}"
