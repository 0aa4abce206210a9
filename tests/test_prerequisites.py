"""A check that fails because earlier work it builds on fails says which, and "fix that first";
a stub reached through provided code is named as the stub, at its line in the file as it is now."""

import re
import shutil

from conftest import REFERENCE_LIB, STUB_LIB
from autograder import grading, registry
from autograder.registry import CheckFailed
from autograder.sandbox import Sandbox, StudentError


AFFINE_STUB = 'raise NotImplementedError("layers.affine_forward:'


def line_of(path, text):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_with_the_stubs_the_overfit_check_sends_the_student_to_notebook_00_first():
    checks = registry.load_checks()
    with Sandbox(STUB_LIB, isolate=grading.isolation()[0]) as sandbox:
        entry = grading.run_check(checks["overfit_small_subset"], sandbox, seed=1)  # as a notebook's check() runs it
    assert entry["score"] == 0
    assert entry["output"].startswith("this check builds on your affine_forward, affine_backward, relu_forward, "
                                      "relu_backward, softmax_loss and he_init (notebook 00_gradients, "
                                      "03_initialization), which fail their own checks: fix those first. "
                                      "affine_forward: layers.affine_forward is not implemented yet (at layers.py:")
    assert "FullyConnectedNet" not in entry["output"] and "\n" not in entry["output"]


def test_a_stub_reached_through_provided_code_is_named_at_its_current_line(tmp_path):
    lib = tmp_path / "cs231n_lib"
    shutil.copytree(REFERENCE_LIB, lib)
    stubbed = (STUB_LIB / "initializers.py").read_text()
    (lib / "initializers.py").write_text("# a comment the student added\n\n" + stubbed)  # lines move down by 2
    line = line_of(lib / "initializers.py", 'raise NotImplementedError("initializers.he:')
    with Sandbox(lib, isolate=grading.isolation()[0]) as sandbox:
        try:
            sandbox.call("fc_net.FullyConnectedNet", [8], input_dim=4, num_classes=3, weight_scale="he", seed=0)
        except StudentError as exc:
            said = exc.message
    assert said == (f"fc_net.FullyConnectedNet uses initializers.he, which is not implemented yet "
                    f"(at initializers.py:{line}): fix that first")
    assert line == line_of(STUB_LIB / "initializers.py", 'raise NotImplementedError("initializers.he:') + 2


def test_the_demo_bugs_of_notebook_00_are_named_by_the_overfit_check_not_regularization(tmp_path):
    from autograder.course import demo
    from conftest import SOLUTIONS

    lib = demo.buggy_library(SOLUTIONS, tmp_path / "cs231n_lib")
    results = grading.grade(lib, ["08"], ["overfit_small_subset"], hidden=False, seed=3)
    (entry,) = results["tests"]
    assert entry["score"] == 0
    assert re.match(r"this check builds on your affine_forward, .*relu_backward.* \(notebook 00_gradients\), which "
                    r"fail their own checks: fix those first\. affine_forward: out .* differs", entry["output"])
    assert "regularization" not in entry["output"]


def test_a_prerequisite_changes_messages_never_scores():
    """Two made-up checks requiring affine_forward, on the stubs: the one that passes keeps its
    points and says passed; the one that fails names affine_forward. Within a whole grading run
    the prerequisite's verdict is reused, not run again."""
    def passes(lib):
        return None

    def fails(lib):
        raise CheckFailed("its own reason")

    made = [registry.Check(f.__name__, "99_test", 1, ("layers.affine_forward",), False, 10.0, f, ("affine_forward",))
            for f in (passes, fails)]
    registry.load_checks()
    verdicts = {}
    with Sandbox(STUB_LIB, isolate=grading.isolation()[0]) as sandbox:
        ok, bad = (grading.run_check(c, sandbox, seed=0, verdicts=verdicts) for c in made)
        verdicts["affine_forward"]["output"] = "affine_forward: the verdict already reached"
        again = grading.run_check(made[1], sandbox, seed=0, verdicts=verdicts)
    assert ok["score"] == 1 and ok["output"] == "passed"
    assert bad["score"] == 0 and bad["output"] == (
        "this check builds on your affine_forward (notebook 00_gradients), which fails its own check: fix that "
        "first. affine_forward: layers.affine_forward is not implemented yet (at layers.py:"
        f"{line_of(STUB_LIB / 'layers.py', AFFINE_STUB)})")
    assert again["output"].endswith("fix that first. affine_forward: the verdict already reached")
