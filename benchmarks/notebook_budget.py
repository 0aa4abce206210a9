"""CPU seconds of each master notebook against its budget, on one or both floating-point paths.

Each master notebook (solutions/NN_topic/NN_topic.ipynb) runs with the reference library in
a fresh kernel, as the test suite runs it; the kernel reports its own CPU time (user +
system, from os.times(), so other work on a shared machine does not count) and the wall
time is printed beside it. The budget is 60 CPU-seconds per notebook and 5 CPU-minutes for
the series; a notebook over it is marked.

``--path second`` runs the kernels with OpenBLAS's Sandybridge kernels, the second
floating-point path on which tests/test_notebooks.py checks every quote; ``--path both``
runs each notebook on both and also prints how many recorded numbers differ between them.

Usage: python benchmarks/notebook_budget.py [--notebooks 04 05] [--path default|second|both]
"""

import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
BUDGET_EACH, BUDGET_ALL = 60.0, 300.0
PATHS = {"default": {}, "second": {"OPENBLAS_CORETYPE": "Sandybridge"}}
REPORT = ("import json, os\nfrom autograder.notebook import recorded\nt = os.times()\n"
          "print('BUDGET' + json.dumps({'cpu': t.user + t.system, 'values': recorded()}))")


def run(assignment, env):
    import nbformat
    from nbclient import NotebookClient

    path = SOLUTIONS / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    # the instructor's own kernel: hidden checks come from the folder CS231N_SOLUTIONS names
    client.execute(env={**os.environ, "PYTHONPATH": str(ROOT), "CS231N_SOLUTIONS": str(SOLUTIONS), **env})
    wall = time.perf_counter() - start
    report = json.loads(nb.cells[-1].outputs[0]["text"].split("BUDGET", 1)[1])
    return report["cpu"], wall, report["values"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="+", metavar="NN", help="numbers or ids of the notebooks (default: all)")
    parser.add_argument("--path", choices=["default", "second", "both"], default="default",
                        help="floating-point path of the kernels' BLAS (default: default)")
    args = parser.parse_args()
    assignments = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and p.name[:2].isdigit())
    if args.notebooks:
        chosen = [a for a in assignments if any(a == n or a.split("_")[0] == n for n in args.notebooks)]
        if len(chosen) < len(args.notebooks):
            parser.error(f"no such notebook among {', '.join(args.notebooks)} (there are {', '.join(assignments)})")
        assignments = chosen
    paths = ["default", "second"] if args.path == "both" else [args.path]
    print(f"{'notebook':20s}" + "".join(f"{p + ' CPU s':>14s}{'wall s':>9s}" for p in paths)
          + ("   numbers that differ" if len(paths) == 2 else ""))
    totals = dict.fromkeys(paths, 0.0)
    for assignment in assignments:
        row, values = f"{assignment:20s}", {}
        for p in paths:
            cpu, wall, values[p] = run(assignment, PATHS[p])
            totals[p] += cpu
            row += f"{cpu:13.1f}{'!' if cpu > BUDGET_EACH else ' '}{wall:9.1f}"
        if len(paths) == 2:
            a, b = values["default"], values["second"]
            row += f"   {sum(a[k] != b.get(k) for k in a)} of {len(a)}"
        print(row, flush=True)
    print(f"{'series':20s}" + "".join(f"{totals[p]:13.1f}{'!' if totals[p] > BUDGET_ALL else ' '}{'':9s}" for p in paths))
    print(f"budget: {BUDGET_EACH:.0f} CPU-s per notebook, {BUDGET_ALL:.0f} CPU-s for the series ('!' = over)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
