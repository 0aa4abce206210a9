"""Seconds per submission of a whole nbgrader round: sandboxed grading kernels against unsandboxed.

Three students (the reference, the untouched stubs, the demo's buggy library) submit one
notebook (default 00_gradients, whole) in a temporary nbgrader course. A round is what an
instructor runs after collect: ``nbgrader autograde ASSIGNMENT`` (one process, every
student) and ``autograder sync-gradebook ASSIGNMENT``. It runs:

* sandboxed: the course as it comes, every kernel in bubblewrap (``autograder/sandbox/kernel.py``);
* unsandboxed: the same with ``CS231N_UNSANDBOXED_KERNELS=1`` (the kernel runs as you);
* today (with ``--today DIR``): the same round in a course built from another checkout DIR,
  e.g. the commit before sandboxed kernels, as it ran then (its own nbgrader_config.py
  and autograder, hidden checks inside the kernel).

It prints wall seconds and CPU seconds (of every process the round started) per submission,
and the ratio to the unsandboxed (or today's) round. The issue's bound: sandboxed <= 2x today.
CPU is read from a control group of the round's own (cgroup v2 ``cpu.stat``, or v1
``cpuacct``): bwrap does not reap its sandbox's init, so the parent's rusage misses what
ran inside; without a control group it falls back to rusage and says so.

Usage: python benchmarks/nbgrader_round.py [--assignment 00_gradients] [--repeat N] [--today DIR]
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDENTS = ("reference", "stubs", "buggy")


def course_from(checkout, folder, assignment, env):
    """A course folder from ``checkout``: its autograder, config and the one assignment's source."""
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(checkout / "autograder", folder / "autograder", ignore=ignore)
    shutil.copy(checkout / "nbgrader_config.py", folder / "nbgrader_config.py")
    for name in ("cs231n_lib", "hidden_checks", assignment):
        shutil.copytree(checkout / "solutions" / name, folder / "solutions" / name, ignore=ignore)
    run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force", "--log-level=ERROR"],
        folder, env)
    libs = {"reference": checkout / "solutions" / "cs231n_lib", "stubs": checkout / "cs231n_lib"}
    sys.path.insert(0, str(checkout))
    from autograder.course import demo

    libs["buggy"] = demo.buggy_library(checkout / "solutions", folder.parent / f"{folder.name}-buggy" / "cs231n_lib")
    sys.path.remove(str(checkout))
    for student in STUDENTS:
        target = folder / "submitted" / student / assignment
        shutil.copytree(folder / "release" / assignment if (folder / "release").is_dir()
                        else folder / "assignments" / assignment, target)
        shutil.copytree(libs[student], target / "cs231n_lib", ignore=ignore)
    return folder


class CpuMeter:
    """CPU seconds of every process started with ``join`` as preexec_fn, from a control group."""

    def __init__(self):
        self.folder, self.usage = None, None
        try:
            own = {}
            for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
                _, controllers, path = line.split(":", 2)
                own.update({c: path.lstrip("/") for c in (controllers.split(",") if controllers else [""])})
            name = f"cs231n-bench-{os.getpid()}"
            if "cpuacct" in own and pathlib.Path("/sys/fs/cgroup/cpuacct").is_dir():
                self.folder = pathlib.Path("/sys/fs/cgroup/cpuacct") / own["cpuacct"] / name
                self.usage = lambda: int((self.folder / "cpuacct.usage").read_text()) / 1e9
            elif "" in own and pathlib.Path("/sys/fs/cgroup/cgroup.controllers").is_file():
                self.folder = pathlib.Path("/sys/fs/cgroup") / own[""] / name
                self.usage = lambda: int(dict(line.split() for line in (self.folder / "cpu.stat").read_text()
                                              .splitlines())["usage_usec"]) / 1e6
            if self.folder:
                self.folder.mkdir()
                self.usage()
        except (OSError, ValueError, KeyError):
            self.folder = self.usage = None

    def join(self):
        if self.folder:
            (self.folder / "cgroup.procs").write_text("0")

    def seconds(self):
        if self.usage:
            return self.usage()
        times = os.times()
        return times.children_user + times.children_system

    def close(self):
        if self.folder:
            try:
                self.folder.rmdir()
            except OSError:
                pass


METER = None


def run(argv, cwd, env):
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          preexec_fn=METER.join if METER else None)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, argv))} failed:\n{done.stdout}{done.stderr}")
    return done


def round_once(folder, assignment, env):
    """(wall seconds, CPU seconds) of autograde + sync-gradebook in ``folder``."""
    before, start = METER.seconds(), time.perf_counter()
    run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force", "--log-level=ERROR"], folder, env)
    run([sys.executable, "-m", "autograder", "sync-gradebook", assignment], folder, env)
    return time.perf_counter() - start, METER.seconds() - before


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="00_gradients")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of each kind (default 1)")
    parser.add_argument("--today", type=pathlib.Path, metavar="DIR", help="also run a checkout of the old version")
    args = parser.parse_args()
    global METER
    METER = CpuMeter()
    if METER.usage is None:
        print("note: no control group for the round: CPU seconds miss what ran inside bubblewrap")
    try:
        measure(args)
    finally:
        METER.close()


def measure(args):
    scripts = os.path.dirname(sys.executable)
    base = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}
    base.pop("CS231N_UNSANDBOXED_KERNELS", None)
    with tempfile.TemporaryDirectory(prefix="cs231n-nbround-") as tmp:
        tmp = pathlib.Path(tmp)
        kinds = {"sandboxed": (ROOT, {**base, "PYTHONPATH": str(ROOT)}),
                 "unsandboxed": (ROOT, {**base, "PYTHONPATH": str(ROOT), "CS231N_UNSANDBOXED_KERNELS": "1"})}
        if args.today:
            today = args.today.resolve()
            kinds["today"] = (today, {**base, "PYTHONPATH": str(today)})
        courses = {kind: course_from(checkout, tmp / kind, args.assignment, env)
                   for kind, (checkout, env) in kinds.items()}
        times = {kind: [] for kind in kinds}
        for _ in range(args.repeat):
            for kind, (_, env) in kinds.items():
                wall, cpu = round_once(courses[kind], args.assignment, env)
                times[kind].append((wall / len(STUDENTS), cpu / len(STUDENTS)))
                print(f"  {kind:<12} {wall / len(STUDENTS):6.2f} s wall, {cpu / len(STUDENTS):6.2f} s CPU "
                      "per submission", flush=True)
    print(f"\n{args.assignment}, {len(STUDENTS)} students, autograde + sync-gradebook; mean of {args.repeat}:")
    means = {kind: tuple(statistics.mean(t[i] for t in rows) for i in (0, 1)) for kind, rows in times.items()}
    reference = "today" if "today" in means else "unsandboxed"
    for kind, (wall, cpu) in means.items():
        print(f"{kind:<12} {wall:6.2f} s wall, {cpu:6.2f} s CPU per submission; "
              f"{wall / means[reference][0]:4.2f}x wall, {cpu / means[reference][1]:4.2f}x CPU of {reference}")
    print("target: sandboxed <= 2x today")


if __name__ == "__main__":
    main()
