"""make demo: release the course, then grade three bundled example submissions.

* reference -- the instructor's solutions/cs231n_lib: full marks;
* stubs     -- the released cs231n_lib/, untouched: zero, every check saying what to do;
* buggy     -- the reference with a few realistic bugs (solutions/mutants.py DEMO_BUGS).
"""

import importlib.util
import pathlib
import tempfile

from . import grading, release, report


def load_mutants(solutions):
    spec = importlib.util.spec_from_file_location("_demo_mutants", solutions / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(solutions):
    solutions = solutions.resolve()
    root = solutions.parent
    print("== Releasing the course from", solutions)
    release.release(solutions, root)
    mutants = load_mutants(solutions)
    summary = []
    with tempfile.TemporaryDirectory(prefix="cs231n-demo-") as tmp:
        buggy = mutants.apply(solutions / "cs231n_lib", pathlib.Path(tmp) / "cs231n_lib", mutants.DEMO_BUGS)
        for label, lib in [("reference", solutions / "cs231n_lib"), ("stubs", root / "cs231n_lib"), ("buggy", buggy)]:
            print(f"\n== Grading the {label} submission ({lib})\n")
            results = grading.grade(lib, solutions=solutions)
            print(report.table(results))
            summary.append((label, results["score"], results["max_score"]))
    print("\n== Summary")
    print(f"{'submission':<12} {'score':>6} {'max':>5}")
    for label, score, most in summary:
        print(f"{label:<12} {score:>6g} {most:>5g}")
    print(f"\nThe buggy library carries these bugs: {', '.join(mutants.DEMO_BUGS)}")
    return 0
