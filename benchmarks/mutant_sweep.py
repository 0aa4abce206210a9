"""How robust the checks are over many draws of the hidden checks' inputs.

The test suite proves every mutant caught, and every alternative given full marks, on a
fixed seed or two (tests/test_checks.py, tests/test_alternatives.py). This sweep grades
each of them over seeds 0 .. N-1 instead, the way ``grading.grade(lib, seed=s,
assignments=[its assignment])`` grades a student, and prints

* for every MUTANT (a realistic bug, solutions/hidden_checks/nbNN_*.py), the fraction of
  seeds on which every check it names in ``breaks`` fails ("caught"); only those checks
  are run, since the others cannot change that verdict;
* for every ALTERNATIVE (a correct implementation written another way), the fraction of
  seeds on which it gets full marks on every check of its notebook.

The target is 100% for both: a check that catches a bug only on some draws has no
distinguishing case in every draw, and one that fails correct code on some draws is
wrong. Each row lists the first seeds that missed, and the checks that decided, so a
failure can be reproduced with ``grading.grade(..., seed=s)``. The exit code is 0 when
every row reaches 100%, 1 otherwise.

Submissions are graded in a pool of processes (--jobs, default: every core), each in its
own sandbox, as grade-all does.

Usage: python benchmarks/mutant_sweep.py --seeds 50 [--assignments 06 07 08] [--names NAME ...]
"""

import argparse
import concurrent.futures
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import grading, mutation  # noqa: E402
from autograder.registry import load_checks  # noqa: E402


def plan(assignments=None, names=None, kinds=("mutants", "alternatives")):
    """[(kind, item, assignment)] for the mutants and alternatives selected."""
    hidden = grading.hidden_checks_dir()
    checks = load_checks(hidden)
    chosen = []

    def wanted(item, assignment):
        number = assignment.split("_")[0]
        return ((not assignments or number in assignments or assignment in assignments)
                and (not names or any(n in item.name for n in names)))

    if "mutants" in kinds:
        for m in mutation.load_mutants(hidden):
            (assignment,) = {checks[name].assignment for name in m.breaks}
            if wanted(m, assignment):
                chosen.append(("mutant", m, assignment))
    if "alternatives" in kinds:
        for a in mutation.load_alternatives(hidden):
            (assignment,) = {c.assignment for c in checks.values() for tag in a.qualnames if tag in c.tags}
            if wanted(a, assignment):
                chosen.append(("alternative", a, assignment))
    return chosen


def judge(kind, breaks, lib, assignment, seed, isolate):
    """(passed?, the checks that decided) for one item on one seed; runs in a pool process."""
    names = list(breaks) if kind == "mutant" else None
    results = grading.grade(lib, assignments=[assignment], names=names, seed=seed, isolate=isolate)
    failed = sorted(t["name"] for t in results["tests"] if t["score"] < t["max_score"])
    if kind == "mutant":
        missed = sorted(set(breaks) - set(failed))
        return not missed, missed
    return results["score"] == results["max_score"] > 0, failed


def progress_bar(total):
    try:
        from tqdm import tqdm
    except ImportError:  # the sweep works without it, only less chatty
        return None
    return tqdm(total=total, unit="grade", desc="grading", file=sys.stderr)


def sweep(items, seeds, jobs, isolate, workdir):
    """{item index: {seed: (passed, checks)}}, grading every (item, seed) in a pool."""
    libs = []
    for i, (kind, item, _) in enumerate(items):
        target = pathlib.Path(workdir) / f"{i}" / "cs231n_lib"
        if kind == "mutant":
            libs.append(mutation.apply(grading.SOLUTIONS / "cs231n_lib", target, [item]))
        else:
            libs.append(mutation.apply_alternatives(grading.SOLUTIONS / "cs231n_lib", target, [item]))
    outcome = {i: {} for i in range(len(items))}
    bar = progress_bar(len(items) * len(seeds))
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for i, (kind, item, assignment) in enumerate(items):
            breaks = item.breaks if kind == "mutant" else ()
            for s in seeds:
                futures[pool.submit(judge, kind, breaks, str(libs[i]), assignment, s, isolate)] = (i, s)
        for future in concurrent.futures.as_completed(futures):
            i, s = futures[future]
            outcome[i][s] = future.result()
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    return outcome


def report(items, outcome, seeds):
    """The table, one row per item; returns how many rows are below 100%."""
    below = 0
    for kind, title, what in (("mutant", "MUTANTS", "caught"), ("alternative", "ALTERNATIVES", "full marks")):
        rows = [(i, item, assignment) for i, (k, item, assignment) in enumerate(items) if k == kind]
        if not rows:
            continue
        width = max(len(item.name) for _, item, _ in rows)
        print(f"\n{title} ({what} on the fraction of {len(seeds)} seeds)")
        print(f"{'name'.ljust(width)}  notebook            {what:>10}  seeds that missed (checks)")
        for i, item, assignment in rows:
            passed = [s for s in seeds if outcome[i][s][0]]
            missed = [s for s in seeds if not outcome[i][s][0]]
            below += bool(missed)
            where = ", ".join(f"{s} ({', '.join(outcome[i][s][1]) or '-'})" for s in missed[:3])
            where += " ..." if len(missed) > 3 else ""
            print(f"{item.name.ljust(width)}  {assignment:<18}  {len(passed) / len(seeds):>9.0%}  {where}")
    return below


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20, metavar="N",
                        help="grade on the hidden-check seeds 0 .. N-1 (default %(default)s)")
    parser.add_argument("--assignments", nargs="+", metavar="NN",
                        help="only the mutants and alternatives of these notebooks, e.g. 06 07 (default: all)")
    parser.add_argument("--names", nargs="+", metavar="TEXT",
                        help="only the mutants and alternatives whose name contains one of these texts")
    parser.add_argument("--only", choices=["mutants", "alternatives"], help="sweep only one of the two kinds")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="grading processes side by side (default: every core, %(default)s here)")
    parser.add_argument("--no-isolation", action="store_true",
                        help="run the code without the OS sandbox (a machine without user namespaces)")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    items = plan(args.assignments, args.names, (args.only,) if args.only else ("mutants", "alternatives"))
    if not items:
        parser.error("no mutant or alternative matches the selection")
    seeds = list(range(args.seeds))
    print(f"{len(items)} mutants and alternatives x {len(seeds)} seeds = {len(items) * len(seeds)} gradings, "
          f"{args.jobs} at a time", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="mutant-sweep-") as workdir:
        outcome = sweep(items, seeds, args.jobs, not args.no_isolation, workdir)
    below = report(items, outcome, seeds)
    print(f"\n{len(items) - below} of {len(items)} at 100%" + (f"; {below} below the target" if below else ""))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
