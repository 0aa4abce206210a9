"""make demo: release the course, then grade three bundled example submissions.

The demo releases into a temporary folder, never into the checkout: a student's
cs231n_lib/ and notebooks there are neither overwritten nor mistaken for the stubs.

* reference -- the instructor's solutions/cs231n_lib: full marks;
* stubs     -- the freshly released cs231n_lib/ stubs: zero, every check saying what to do;
* buggy     -- the reference with the realistic bugs named in DEMO_BUGS applied (they are
               defined with the hidden checks, in solutions/hidden_checks/).
"""

import pathlib
import tempfile

from .. import grading, mutation, report
from . import release

DEMO_BUGS = ["affine_forgets_bias", "softmax_unstable", "relu_backward_forgets_dout", "sigmoid_backward_drops_factor",
             "elu_forgets_alpha"]


def buggy_library(solutions, target):
    bugs = [m for m in mutation.load_mutants(solutions / "hidden_checks") if m.name in DEMO_BUGS]
    return mutation.apply(solutions / "cs231n_lib", target, bugs)


def run(solutions):
    solutions = solutions.resolve()
    summary = []
    with tempfile.TemporaryDirectory(prefix="cs231n-demo-") as tmp:
        released = pathlib.Path(tmp) / "release"
        print("== Releasing the course from", solutions, "into a temporary folder")
        print("   (the checkout's cs231n_lib/ and assignments/ are not touched; `make release` updates them)")
        release.release(solutions, released)
        buggy = buggy_library(solutions, pathlib.Path(tmp) / "buggy" / "cs231n_lib")
        for label, lib in [("reference", solutions / "cs231n_lib"), ("stubs", released / "cs231n_lib"),
                           ("buggy", buggy)]:
            print(f"\n== Grading the {label} submission ({lib})\n")
            results = grading.grade(lib, solutions=solutions)
            print(report.table(results))
            summary.append((label, results["score"], results["max_score"]))
    print("\n== Summary")
    print(f"{'submission':<12} {'score':>6} {'max':>5}")
    for label, score, most in summary:
        print(f"{label:<12} {score:>6g} {most:>5g}")
    print(f"\nThe buggy library carries these bugs: {', '.join(DEMO_BUGS)}")
    return 0
