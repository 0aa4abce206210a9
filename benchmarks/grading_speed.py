"""Seconds per submission: `autograder grade` with and without its sandbox, and
`nbgrader autograde`, in one run.

Three example submissions (the reference, the untouched stubs, a buggy library) of every
assignment are graded three ways in a temporary nbgrader course:

* sandboxed: one `python -m autograder grade --lib DIR` process per submission, all
  assignments, student code in the bubblewrap sandbox (what instructors run);
* unisolated: the same with no sandbox (`--allow-unisolated`, bubblewrap hidden), to
  measure what the sandbox costs;
* nbgrader: one `nbgrader autograde ASSIGNMENT --student S` per submission and assignment,
  as an instructor grading one submission at a time would run it.

Usage: python benchmarks/grading_speed.py [--assignment 00 01] [--repeat N]
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course import demo  # noqa: E402
from autograder.course import nbcourse as course  # noqa: E402


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="grade every submission this many times (default 1)")
    parser.add_argument("--assignment", nargs="+", metavar="NN", help="only these assignments (default: all)")
    args = parser.parse_args()
    solutions = ROOT / "solutions"
    assignments = [a for a in course.assignment_ids(solutions)
                   if not args.assignment or a.split("_")[0] in args.assignment or a in args.assignment]
    if not assignments:
        parser.error(f"no assignment matches {args.assignment}")
    numbers = [a.split("_")[0] for a in assignments]
    with tempfile.TemporaryDirectory(prefix="cs231n-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        folder = course.make_course(tmp / "course", solutions)
        libs = {"reference": solutions / "cs231n_lib", "stubs": ROOT / "cs231n_lib",
                "buggy": demo.buggy_library(solutions, tmp / "buggy" / "cs231n_lib")}
        for student, lib in libs.items():
            for assignment in assignments:
                course.add_submission(folder, student, assignment, lib)
        unisolated_env = {**os.environ, "CS231N_BWRAP": "/nonexistent"}
        sandboxed, unisolated, theirs = [], [], []
        for _ in range(args.repeat):
            for student, lib in libs.items():
                command = [sys.executable, "-m", "autograder", "grade", "--lib", str(lib), "--quiet",
                           "--assignment", *numbers]
                sandboxed.append(timed(lambda: subprocess.run(command, cwd=ROOT, capture_output=True)))
                unisolated.append(timed(lambda: subprocess.run(command + ["--allow-unisolated"], cwd=ROOT,
                                                               env=unisolated_env, capture_output=True)))
                theirs.append(sum(timed(lambda: course.autograde(folder, a, student)) for a in assignments))
                print(f"  {student:<10} sandboxed {sandboxed[-1]:6.2f} s   unisolated {unisolated[-1]:6.2f} s   "
                      f"nbgrader autograde {theirs[-1]:6.2f} s", flush=True)
    ours, bare, nb = (statistics.mean(x) for x in (sandboxed, unisolated, theirs))
    print(f"\nassignments: {', '.join(assignments)}; {len(sandboxed)} submissions graded each way")
    print(f"autograder grade, sandboxed:   {ours:6.2f} s per submission (target <= 3 s)")
    print(f"autograder grade, unisolated:  {bare:6.2f} s per submission")
    print(f"sandbox overhead:              {ours - bare:6.2f} s per submission (target <= 0.5 s)")
    print(f"nbgrader autograde:            {nb:6.2f} s per submission")
    print(f"ratio nbgrader / ours (sandboxed): {nb / ours:5.1f}x")


if __name__ == "__main__":
    main()
