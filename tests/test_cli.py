"""The command line as instructors and students use it: tables, JSON, exit codes, help."""

import json
import subprocess
import sys

import pytest

from conftest import REFERENCE_LIB, ROOT, STUB_LIB


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_grading_the_reference_prints_a_table_and_gradescope_json(tmp_path):
    out = tmp_path / "results.json"
    done = run("grade", "--lib", REFERENCE_LIB, "--json", out)
    assert done.returncode == 0, done.stderr
    assert "00_gradients" in done.stdout and "01_activations" in done.stdout and "TOTAL" in done.stdout
    results = json.loads(out.read_text())
    assert results["score"] == results["max_score"] == sum(t["max_score"] for t in results["tests"])
    for t in results["tests"]:
        assert set(t) - {"extra_data"} == {"name", "score", "max_score", "status", "output", "visibility", "tags",
                                           "execution_time"}
        assert t["visibility"] == "visible" and all("." in tag for tag in t["tags"])
    # every check passed: no instructor-only test; the hidden checks are marked as such
    assert sum(t.get("extra_data", {}).get("hidden_check", False) for t in results["tests"]) > 10
    assert "layers.relu_backward" in next(t for t in results["tests"] if t["name"] == "relu_backward")["tags"]


def test_the_stubs_exit_1_with_every_failure_explained():
    done = run("grade", "--lib", STUB_LIB, "--assignment", "01")
    assert done.returncode == 1
    assert "TOTAL" in done.stdout and "00_gradients" not in done.stdout
    assert "activations.gelu_forward is not implemented yet" in done.stdout


def test_one_check_can_be_run_alone():
    done = run("check", "--lib", STUB_LIB, "--check", "sigmoid_backward")
    assert done.returncode == 1
    assert "sigmoid_backward" in done.stdout and "tanh_forward" not in done.stdout


def test_the_student_command_runs_only_visible_checks(tmp_path):
    out = tmp_path / "r.json"
    done = run("check", "--lib", REFERENCE_LIB, "--json", out)
    assert done.returncode == 0
    assert {t["visibility"] for t in json.loads(out.read_text())["tests"]} == {"visible"}
    assert "(hidden)" not in done.stdout


@pytest.mark.parametrize("args, says", [
    (["grade", "--lib", "no/such/dir"], "is not a cs231n_lib folder"),
    (["grade", "--lib", REFERENCE_LIB, "--assignment", "99"], "no checks match"),
    (["check", "--lib", REFERENCE_LIB, "--check", "no_such_check"], "no checks match"),
    (["grade"], "--lib"),
    (["sync-gradebook", "00_gradients", "--course", "/nonexistent"], "no submissions of 00_gradients"),
    (["grade-written", "00_gradients", "alice", "q_centred_differences", "2", "--course", "/nonexistent"],
     "no gradebook.db"),
])
def test_bad_input_exits_2_without_a_traceback(args, says):
    done = run(*args)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_an_internal_failure_exits_3_without_a_traceback(tmp_path):
    (tmp_path / "cs231n_lib").symlink_to(REFERENCE_LIB)
    (tmp_path / "hidden_checks").mkdir()
    (tmp_path / "hidden_checks" / "nb99_broken.py").write_text("this is not python\n")
    done = run("grade", "--lib", REFERENCE_LIB, "--solutions", tmp_path)
    assert done.returncode == 3 and "internal error" in done.stderr and "Traceback" not in done.stderr


def test_help_explains_commands_and_exit_codes():
    done = run("--help")
    for word in ("grade", "check", "release", "demo", "list", "grade-all", "export-gradescope", "exit codes"):
        assert word in done.stdout
    assert "Gradescope" in run("grade", "--help").stdout
    batch = run("grade-all", "--help").stdout
    assert all(w in batch for w in ("--jobs", "gradebook.csv", "zip_collect", "resume", "student_id"))
    gradescope = run("export-gradescope", "--help").stdout
    assert all(w in gradescope for w in ("setup.sh", "run_autograder", "nobody", "CS231N_GRADESCOPE_ROOT"))


def test_list_shows_every_check_with_points():
    done = run("list")
    assert done.returncode == 0
    assert "maxout_hidden" in done.stdout and "layers.affine_backward" in done.stdout


def test_the_demo_releases_and_grades_three_submissions(tmp_path):
    """In a checkout where a student has implemented functions, the demo still grades fresh
    stubs (zero) and leaves the student's library and notebooks as they were."""
    import shutil

    shutil.copytree(ROOT / "solutions", tmp_path / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REFERENCE_LIB, tmp_path / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "assignments").mkdir()
    (tmp_path / "assignments" / "notes.ipynb").write_text("my answers")
    student = {p: p.read_bytes() for p in tmp_path.glob("[ac]*/*") if p.is_file()}
    done = run("demo", "--solutions", tmp_path / "solutions")
    assert done.returncode == 0, done.stderr
    assert {p: p.read_bytes() for p in tmp_path.glob("[ac]*/*") if p.is_file()} == student
    assert not (tmp_path / ".release-manifest.json").exists()
    rows = dict(line.split()[:2] for line in done.stdout.split("== Summary")[1].splitlines()[2:5])
    maximum = run("grade", "--lib", REFERENCE_LIB, "--quiet").stdout.split("TOTAL")[1].split()[1]
    assert rows["reference"] == maximum and rows["stubs"] == "0" and 0 < float(rows["buggy"]) < float(maximum)


def test_every_command_says_what_it_does_with_an_example_and_its_exit_codes():
    import re

    for command in ("check", "list", "pack", "update", "grade", "release", "sync-gradebook", "grade-written",
                    "grade-all", "export-gradescope", "demo"):
        shown = run(command, "--help").stdout
        purpose = shown.split("\n\n")[1]  # after the usage lines
        assert not purpose.startswith(("options:", "positional")), (command, shown[:400])
        assert re.search(r"^example:\n  python -m autograder " + command, shown, re.M), command
        assert re.search(r"^exit codes:\n  0 ", shown, re.M), command
    for command in ("list", "demo"):
        assert re.search(r"--solutions DIR\s+the instructor's source", run(command, "--help").stdout), command
    gradescope = run("export-gradescope", "--help").stdout
    assert "``" not in gradescope and "intake" not in gradescope and "grading.grade" not in gradescope


def test_the_score_table_stays_aligned_for_long_names():
    from autograder import report

    tests = [{"name": name, "visibility": visibility, "score": 2, "max_score": 2, "assignment": "00_gradients",
              "output": "passed"} for name, visibility in [("rel_error", "visible"),
                                                           ("gradient_check_hidden", "hidden"),
                                                           ("a_check_with_a_really_long_name_indeed", "visible")]]
    lines = report.table({"score": 6, "max_score": 6, "tests": tests}).splitlines()
    rows = [line for line in lines if line.strip() and not line.startswith("What")]
    assert len({len(line) for line in rows}) == 1, "\n".join(lines)  # the numbers end in one column
