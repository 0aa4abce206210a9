"""nbgrader's whole round through its real exchange, run with the README's commands as written.

A course folder laid out like a fresh clone (the autograder, solutions/, the committed
release, nbgrader_config.py pointing at a temporary exchange) runs the instructor's
commands of the README (the first, ``autograder release``, is the session's one course
build, ``conftest.released_course``; this module goes on from a copy of it); three
students, each in a folder of their own with nbgrader's exchange settings, run the student
commands, each from a copy of the student kit (its own nbgrader_config.py, exchange from
``CS231N_EXCHANGE``). Their whole notebooks run, in nbgrader's sandboxed kernels:

* ``alice`` submits the reference library and answers a written question, which the
  README's ``grade-written`` grades by hand before ``sync-gradebook`` (which must keep it);
* ``bob`` submits the demo's realistic bugs (visible and hidden checks fail);
* ``mallory`` submits the stubs with a notebook cell that disarms ``check`` (nbgrader
  gives full marks; ``sync-gradebook`` takes them back), a changed test cell (nbgrader's
  checksum warning must still say so) and a function whose error message is HTML.

The feedback each student fetches must show the trusted grader's score and, for each
failed check, its reason; nothing of the hidden checks' inputs; and nbgrader's output
must carry no warning except the one mallory earned.
"""

import html
import json
import re
import shutil

import pytest

import nbround
from conftest import REFERENCE_LIB, SOLUTIONS, STUB_LIB, full_output
from autograder import grading
from autograder.course import demo, feedback, kit
from nbround import INSTRUCTOR, STUDENT, run
from test_release import secrets

ASSIGNMENT = "00_gradients"
COURSE_ID = "cs231n-training"
ANSWER = ("alice: the centred quotient cancels the even Taylor terms, so its error shrinks like h squared "
          "(a marker to find in the feedback: 7f3a)")
SCRIPT = "<script>alert('mallory')</script>"
CHANGED_CELL = "rel_error"  # mallory edits this locked test cell
CHECKS = {name: c for name, c in grading.load_checks(grading.hidden_checks_dir()).items()
          if c.assignment == ASSIGNMENT}


SEED = "1234"  # the hidden checks' inputs, in sync-gradebook and in the notebooks


def cell_of(nb, grade_id):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


WRITTEN = next(re.search(r"grade-written \S+ (\w+) (\w+) ([\d.]+)", c) for c in INSTRUCTOR if "grade-written" in c)


def student_kit(course, folder):
    """The student kit as ``release --student-kit`` writes it, from the released ``course``:
    the kit's own files, the released notebooks and stubs, and ``.venv`` (this Python)."""
    folder.mkdir(parents=True)
    kit._stage(folder, sorted(p.name for p in (course / "assignments").iterdir() if p.is_dir()))
    for name in ("assignments", "cs231n_lib"):
        shutil.copytree(course / name, folder / name)
    (folder / ".venv").symlink_to(nbround.sys.prefix, target_is_directory=True)
    return folder


def edit(student, home, lib):
    """What each student does between fetching and submitting: works on the kit's library and the notebook."""
    shutil.rmtree(home / "cs231n_lib")
    shutil.copytree(lib, home / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    folder = home / ASSIGNMENT
    path = folder / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(path.read_text())
    if student == "alice":
        cell_of(nb, "q_centred_differences")["source"] = ANSWER
    if student == "mallory":
        nb["cells"].insert(2, {"cell_type": "code", "id": "mine", "metadata": {}, "execution_count": None,
                               "outputs": [], "source": "check = lambda name: None"})
        cell_of(nb, CHANGED_CELL)["source"] = 'print("all good")'
        layers = home / "cs231n_lib" / "layers.py"
        stub = 'raise NotImplementedError("layers.relu_forward: implement it, see notebook 00_gradients")'
        assert stub in layers.read_text()
        layers.write_text(layers.read_text().replace(stub, f'raise ValueError("{SCRIPT}")'))
    path.write_text(json.dumps(nb, indent=1))


@pytest.fixture(scope="module")
def round_trip(released_course, tmp_path_factory):
    released, env, release_output = released_course
    tmp = tmp_path_factory.mktemp("exchange")
    course, exchange = nbround.copy_course(released, tmp / "course"), tmp / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)  # nbgrader wants an exchange everyone can write to
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Exchange.root = {str(exchange)!r}\n"
                "c.ExchangeCollect.check_owner = False  # every student here is the same OS user\n")
    env = {**env, "CS231N_GRADING_SEED": SEED}
    student_env = {**env, kit.EXCHANGE_VARIABLE: str(exchange)}

    buggy = demo.buggy_library(SOLUTIONS, tmp / "buggy" / "cs231n_lib")
    libs = {"alice": REFERENCE_LIB, "bob": buggy, "mallory": STUB_LIB}
    homes = {}
    for student in libs:
        home = homes[student] = student_kit(course, tmp / "students" / student / "cs231n-kit")
        with open(home / "nbgrader_config.py", "a") as f:  # the exchange knows students by OS user; here all are one
            f.write(f"c.Exchange.cache = {str(home / '.nbgrader-cache')!r}\n"
                    f"c.CourseDirectory.student_id = {student!r}\n")

    def students(commands):
        for student, home in homes.items():
            for command in commands:
                run(command, home, student_env)
                if "fetch_assignment" in command:
                    edit(student, home, libs[student])

    outputs = {INSTRUCTOR[0]: release_output}  # run by released_course
    for command in INSTRUCTOR[1:]:
        outputs[command] = run(command, course, env)
        with open(tmp / "outputs.txt", "a") as f:  # to read when a test fails
            f.write(f"$ {command}\n{outputs[command]}\n")
        if "release_assignment" in command:
            students(STUDENT[:-1])  # fetch, link the library, submit
    students(STUDENT[-1:])  # fetch_feedback

    pages = {}
    for student, home in homes.items():
        [page] = (home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
        pages[student] = page.read_text()
    libs = {student: home / "cs231n_lib" for student, home in homes.items()}  # as submitted
    tested = {student: grading.grade(lib, [ASSIGNMENT], seed=int(SEED)) for student, lib in libs.items()
              if student != "alice"}
    trusted = {"alice": {name: {"name": name, "score": c.points, "max_score": c.points, "visibility": "visible",
                                "output": "passed", "tags": list(c.tags)} for name, c in CHECKS.items()}}
    trusted.update({student: {t["name"]: t for t in results["tests"]} for student, results in tested.items()})
    return {"course": course, "env": env, "outputs": outputs, "pages": pages, "trusted": trusted, "libs": libs,
            "feedback": {student: next((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
                         for student, home in homes.items()}}


def graded_cells(page):
    """{grade id: (score shown, points shown, the autograder's text or None)} of a feedback page."""
    parts = re.split(r'<a name="([\w-]+)"></a>', page)
    cells = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        if name == "top" or name.startswith("comment-"):
            continue  # the page's top, a grader's comment
        body = body.split('<div class="cell ')[0]
        score = re.search(r"Score: ([\d.]+) / ([\d.]+)", body)
        text = re.search(r"<pre>(autograder: .*?)</pre>", body, re.S)
        cells[name] = (float(score[1]), float(score[2]), html.unescape(text[1]) if text else None)
    return cells


def test_the_readme_round_is_complete():
    verbs = [re.search(r"(?:nbgrader|autograder) ([\w-]+)", line)[1] for line in INSTRUCTOR]
    assert verbs == ["release", "release_assignment", "collect", "autograde", "grade-written", "sync-gradebook",
                     "generate_feedback", "release_feedback"]
    assert [re.search(r"nbgrader (\w+)|^ln", line)[1] for line in STUDENT] == ["fetch_assignment", None, "submit",
                                                                                 "fetch_feedback"]
    assert all(ASSIGNMENT in line for line in INSTRUCTOR[1:] + STUDENT)
    assert all(f"--course {COURSE_ID}" in line for line in STUDENT if "nbgrader" in line)
    # the kit's README gives its students the same commands
    assert all(line in kit.readme_text([ASSIGNMENT]) for line in STUDENT)
    assert f'course_id = "{COURSE_ID}"' in kit.NBGRADER_CONFIG


def test_feedback_shows_the_trusted_score_of_every_check_with_its_reason(round_trip):
    for student, page in round_trip["pages"].items():
        cells, trusted = graded_cells(page), round_trip["trusted"][student]
        for name, test in trusted.items():
            score, points, text = cells[name]
            assert (score, points) == (test["score"], test["max_score"]), (student, name)
            assert text == feedback.cell_text(test), (student, name)
        written = float(WRITTEN[3]) if student == WRITTEN[1] else 0.0  # the one answer graded by hand
        assert cells[WRITTEN[2]][0] == written, student  # set before sync-gradebook, which kept it
        total = re.search(r"\(Score: ([\d.]+) / ([\d.]+)\)", page)
        assert float(total[1]) == sum(t["score"] for t in trusted.values()) + written, student
        assert float(total[2]) == sum(points for _, points, _ in cells.values())
    failed = {student: sorted(n for n, t in tests.items() if t["score"] < t["max_score"])
              for student, tests in round_trip["trusted"].items()}
    assert not failed["alice"] and failed["mallory"] == sorted(CHECKS)
    assert {"affine_forward", "affine_hidden"} <= set(failed["bob"]) < set(CHECKS)


def test_a_visible_failure_says_what_is_wrong_and_a_hidden_one_only_what_it_exercises(round_trip):
    cells = graded_cells(round_trip["pages"]["bob"])
    assert "differs from the expected values" in cells["affine_forward"][2]
    assert cells["affine_hidden"][2] == f"autograder: 0 / {CHECKS['affine_hidden'].points:g} points: " \
                                        f"{feedback.hidden_reason(CHECKS['affine_hidden'].tags)}\n"
    assert "affine_forward" in cells["affine_hidden"][2]


def test_feedback_shows_no_hidden_check_input_and_no_solution(round_trip):
    hidden = {line for line in secrets() if not re.fullmatch(r'check\("\w+"\)', line)}
    hidden_outputs = {}  # student -> what their failed hidden checks said (and no visible check said too)
    for student, tests in round_trip["trusted"].items():
        visible = {t["output"] for t in tests.values() if t["visibility"] == "visible"}
        hidden_outputs[student] = [full_output(t) for t in tests.values() if t["visibility"] == "hidden"
                                   and t["score"] < t["max_score"] and full_output(t) not in visible]
    assert hidden_outputs["bob"]
    for student, page in round_trip["pages"].items():
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        # a warning or a traceback may quote the student's own code, which alice and bob based on the reference
        own = {line.strip() for path in round_trip["libs"][student].glob("*.py") for line in path.read_text().splitlines()}
        assert not [line for line in hidden - own if line in text], student
        assert "from the reference (" not in text and "worst at index" not in graded_cells(page)["affine_hidden"][2]
        assert not [output for output in hidden_outputs[student] if output in text], student


def test_a_students_message_stays_text(round_trip):
    page = round_trip["pages"]["mallory"]
    assert SCRIPT not in page and "&lt;script&gt;alert(" in page
    assert SCRIPT in graded_cells(page)["relu_forward"][2]


def test_the_submission_holds_the_notebook_and_the_students_library(round_trip):
    for student, lib in round_trip["libs"].items():
        submitted = round_trip["course"] / "submitted" / student / ASSIGNMENT
        assert (submitted / f"{ASSIGNMENT}.ipynb").is_file()
        copy = submitted / "cs231n_lib"
        assert copy.is_dir() and not copy.is_symlink(), student
        assert (copy / "layers.py").read_text() == (lib / "layers.py").read_text(), student


def test_the_students_own_work_comes_back(round_trip):
    assert ANSWER in html.unescape(round_trip["pages"]["alice"])
    assert ANSWER not in html.unescape(round_trip["pages"]["bob"])


def test_sync_reports_the_notebook_that_fooled_nbgrader(round_trip):
    [sync] = [out for command, out in round_trip["outputs"].items() if "sync-gradebook" in command]
    changed = {line.split(":")[0] for line in sync.splitlines() if "nbgrader gave" in line}
    assert changed == {"mallory"}


# ipykernel, shutting a kernel down, now and then races its own sockets and prints this
# traceback (an upstream bug, not a warning of nbgrader's); exactly it is tolerated.
KERNEL_SHUTDOWN_RACE = re.compile(r"[^\n]*Uncaught exception in ZMQStream callback\nTraceback \(most recent call last\):\n"
                                  r"(?:\s[^\n]*\n)*zmq\.error\.ZMQError: Socket operation on non-socket\n?")


def test_grading_prints_no_warning_but_the_one_a_student_earned(round_trip):
    printed = KERNEL_SHUTDOWN_RACE.sub("", "\n".join(round_trip["outputs"].values()))
    warnings = [line for line in printed.splitlines() if re.search(r"warn|\berror\b|traceback", line, re.I)]
    assert len(warnings) == 1, warnings
    assert f"Attribute 'checksum' for cell {CHANGED_CELL} has changed" in warnings[0]


def test_releasing_again_keeps_the_grades(round_trip):
    from nbgrader.api import Gradebook

    def scores():
        with Gradebook(f"sqlite:///{round_trip['course'] / 'gradebook.db'}") as gb:
            return {(s.student.id, g.name): g.score for s in gb.assignment_submissions(ASSIGNMENT)
                    for n in s.notebooks for g in n.grades}

    before = scores()
    assert {student for student, _ in before} == {"alice", "bob", "mallory"}
    out = run(INSTRUCTOR[0], round_trip["course"], round_trip["env"])
    assert "gradebook.db" in out and not re.search(r"warn|\berror\b", out, re.I)
    assert scores() == before


def test_a_long_verdict_wraps_in_the_browser(round_trip, tmp_path):
    """bob's feedback in a narrow Chromium window: no verdict scrolls sideways (a screenshot
    is left in the test's folder)."""
    import test_browser
    from autograder.course import nbconfig

    feedback_page = round_trip["feedback"]["bob"]
    assert nbconfig.WRAP_CSS in feedback_page.read_text()
    if test_browser._why_not():
        pytest.skip(test_browser._why_not())
    unwrapped = tmp_path / "unwrapped.html"  # the same page without the rule: the test would see the bug
    unwrapped.write_text(feedback_page.read_text().replace(nbconfig.WRAP_CSS, ""))
    measure = ("els => els.filter(e => e.textContent.startsWith('autograder:'))"
               ".map(e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right])")
    with test_browser.browser_page(tmp_path) as page:
        page.set_viewport_size({"width": 640, "height": 900})
        page.goto(unwrapped.as_uri())
        before = page.eval_on_selector_all("pre", measure)
        page.goto(feedback_page.as_uri())
        sizes = page.eval_on_selector_all("pre", measure)
        page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)
    assert len(sizes) == len(CHECKS)
    assert any(scroll > client for scroll, client, _ in before), before
    assert all(scroll <= client and right <= 640 for scroll, client, right in sizes), sizes  # within the window


def test_sync_again_keeps_every_manual_score(round_trip):
    """A grader's own score (a written answer, or an override of a check in the formgrader)
    stays through another sync-gradebook; only nbgrader's automatic scores are replaced."""
    from nbgrader.api import Gradebook

    db = f"sqlite:///{round_trip['course'] / 'gradebook.db'}"
    with Gradebook(db) as gb:
        override = gb.find_grade("affine_forward", ASSIGNMENT, ASSIGNMENT, "bob")
        override.manual_score = 1.5
        gb.db.commit()
    [sync] = [command for command in INSTRUCTOR if "sync-gradebook" in command]
    run(sync, round_trip["course"], round_trip["env"])
    with Gradebook(db) as gb:
        grade = gb.find_grade
        assert grade(WRITTEN[2], ASSIGNMENT, ASSIGNMENT, WRITTEN[1]).score == float(WRITTEN[3])
        kept = grade("affine_forward", ASSIGNMENT, ASSIGNMENT, "bob")
        assert (kept.manual_score, kept.score, kept.auto_score) == (1.5, 1.5, 0)
