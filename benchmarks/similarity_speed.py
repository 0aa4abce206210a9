"""How much ``grade-all --similarity`` adds to grading: 500 generated submissions.

STUDENTS submissions of one assignment are generated as nbgrader's ``STUDENT/ASSIGNMENT/``
folders, in turn: the reference, the reference with each pack of ALTERNATIVES, the reference
with names renamed (a disguised copy) and the stub. The comparison (``similarity.report``:
reading, fingerprinting, every pair) is timed on all of them. Grading time is estimated from
a small measured run: ``grade-all --seed 0 --jobs 1`` on MEASURE of them, per submission,
times STUDENTS, divided by the cores grade-all would use. The target: similarity adds at most
10% to the grading time. On a shared machine both numbers are inflated alike.

Usage: python benchmarks/similarity_speed.py [--students 500] [--measure 2] [--assignment 01_activations]
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import grading, mutation  # noqa: E402
from autograder.course import batch, intake, similarity  # noqa: E402


def libraries(assignment, scratch):
    """The kinds of library the submissions cycle through."""
    modules = {m for (m, _), a in similarity.tasks().items() if a == assignment}
    mine = [a for a in mutation.load_alternatives(grading.SOLUTIONS / "hidden_checks") if a.module in modules]
    libs = [grading.SOLUTIONS / "cs231n_lib", ROOT / "cs231n_lib"]
    for i, pack in enumerate(mutation.packs(mine)):
        libs.append(mutation.apply_alternatives(grading.SOLUTIONS / "cs231n_lib", scratch / f"alt{i}", pack))
    renamed = shutil.copytree(grading.SOLUTIONS / "cs231n_lib", scratch / "renamed",
                              ignore=shutil.ignore_patterns("__pycache__"))
    for path in renamed.glob("*.py"):
        path.write_text(re.sub(r"\b(x|out|cache|dout|dx)\b", lambda m: m.group() + "_", path.read_text()))
    return libs + [renamed]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--measure", type=int, default=2)
    parser.add_argument("--assignment", default="01_activations")
    args = parser.parse_args()
    scratch = pathlib.Path(tempfile.mkdtemp())
    try:
        notebook = ROOT / "assignments" / args.assignment / f"{args.assignment}.ipynb"
        libs = libraries(args.assignment, scratch)
        subs = scratch / "submitted"
        for i in range(args.students):
            folder = subs / f"student{i:04d}" / args.assignment
            folder.mkdir(parents=True)
            shutil.copy(notebook, folder / notebook.name)
            shutil.copytree(libs[i % len(libs)], folder / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
        found, _ = intake.discover(subs)
        began = time.perf_counter()
        pairs = similarity.report(found, scratch)
        compare = time.perf_counter() - began
        few = scratch / "few"
        for i in range(args.measure):
            shutil.copytree(subs / f"student{i:04d}", few / f"student{i:04d}")
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(few), "--out", str(scratch / "out"),
                        "--seed", "0", "--jobs", "1", "--quiet"], cwd=ROOT, check=True, capture_output=True)
        per = (time.perf_counter() - began) / args.measure
        grading_time = per * args.students / batch.cores()
        print(f"{args.students} submissions of {args.assignment}: similarity {compare:.1f} s "
              f"({len(pairs)} pairs listed); grading about {grading_time:.0f} s "
              f"({per:.1f} s per submission on one core, {batch.cores()} cores)")
        print(f"similarity adds {100 * compare / grading_time:.1f}% to the grading time (target: at most 10%)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
