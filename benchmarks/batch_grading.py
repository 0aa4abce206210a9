"""grade-all on 1, 2 and all cores, and nbgrader's own batch grading, in one run.

A temporary nbgrader course gets STUDENTS submissions of every assignment (the reference,
the untouched stubs and a library with realistic bugs, in turn), laid out as nbgrader's
``submitted/<student>/<assignment>/``. The same folder is then graded

* by ``python -m autograder grade-all --jobs N`` for N = 1, 2 and all cores, each time into
  an empty results folder (every submission graded, each in its own sandbox);
* with --nbgrader, also by ``nbgrader autograde ASSIGNMENT`` for every assignment (nbgrader
  grades the students of an assignment one after another; it has no parallel mode). It
  takes minutes, so it is off by default; ``grading_speed.py`` compares one submission.

It prints wall seconds per submission, CPU seconds (user + system, of everything the
command started), the speed-up over one core, and nbgrader's time over ours. On a
machine shared with other work the wall times are inflated and the speed-up is bounded
by the cores that are really free: the load average is printed before and after.

Usage: python benchmarks/batch_grading.py [--students N] [--assignment 00 01] [--nbgrader]
"""

import argparse
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course import demo  # noqa: E402
from autograder.course import nbcourse as course  # noqa: E402


def measured(command, **kwargs):
    """(wall seconds, CPU seconds of the children) of running ``command`` to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4, help="submissions per assignment (default %(default)s)")
    parser.add_argument("--assignment", nargs="+", metavar="NN", help="only these assignments (default: all)")
    parser.add_argument("--nbgrader", action="store_true", help="also time nbgrader autograde on the same folder")
    args = parser.parse_args()
    solutions = ROOT / "solutions"
    assignments = [a for a in course.assignment_ids(solutions)
                   if not args.assignment or a.split("_")[0] in args.assignment or a in args.assignment]
    if not assignments:
        parser.error(f"no assignment matches {args.assignment}")
    cores = os.cpu_count() or 1
    jobs = sorted({1, 2, cores})
    with tempfile.TemporaryDirectory(prefix="cs231n-batch-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        folder = course.make_course(tmp / "course", solutions)
        libs = [solutions / "cs231n_lib", ROOT / "cs231n_lib",
                demo.buggy_library(solutions, tmp / "buggy" / "cs231n_lib")]
        for i in range(args.students):
            for assignment in assignments:
                course.add_submission(folder, f"student{i:03d}", assignment, libs[i % len(libs)])
        count = args.students * len(assignments)
        print(f"{count} submissions ({args.students} students x {len(assignments)} assignments); "
              f"{cores} cores; load average before: {os.getloadavg()[0]:.2f}", flush=True)
        times = {}
        for n in jobs:
            command = [sys.executable, "-m", "autograder", "grade-all", str(folder / "submitted"),
                       "--out", str(tmp / f"results-{n}"), "--jobs", str(n), "--quiet"]
            times[n] = measured(command, cwd=ROOT)
            print(f"  grade-all --jobs {n}: {times[n][0]:7.2f} s wall, {times[n][1]:7.2f} s CPU", flush=True)
        theirs = None
        if args.nbgrader:
            wall = cpu = 0.0
            for assignment in assignments:
                w, c = measured([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                                 "--log-level=ERROR"], cwd=folder,
                                env={**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep
                                     + os.environ.get("PATH", "")})
                wall, cpu = wall + w, cpu + c
            theirs = (wall, cpu)
            print(f"  nbgrader autograde (every assignment): {wall:7.2f} s wall, {cpu:7.2f} s CPU", flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (a shared machine inflates wall times)")
    one = times[1][0]
    print(f"{'':<28} {'s/submission':>12} {'CPU s/sub':>10} {'speed-up':>9}")
    for n in jobs:
        wall, cpu = times[n]
        label = f"grade-all --jobs {n}" + (" (all cores)" if n == cores else "")
        print(f"{label:<28} {wall / count:12.3f} {cpu / count:10.3f} {one / wall:8.2f}x")
    if theirs:
        wall, cpu = theirs
        print(f"{'nbgrader autograde':<28} {wall / count:12.3f} {cpu / count:10.3f} {one / wall:8.2f}x")
        print(f"\nnbgrader autograde / grade-all on all cores: {wall / times[cores][0]:.1f}x the wall time")


if __name__ == "__main__":
    main()
