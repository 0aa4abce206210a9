"""The submissions test_nbgrader and test_attacks_nbgrader grade through the real nbgrader.

All of them go through one ``nbgrader autograde`` of every assignment (sandboxed kernels,
as ``nbgrader_config.py`` sets them up) and then ``sync-gradebook`` of each; notebooks are
submitted ``trimmed`` (nbround). Who submits what:

* ``alternatives0``, ``alternatives1``, ...: each notebook once, with the ``ALTERNATIVES`` of
  one pack (packed so that no library replaces a function twice) for that notebook's
  functions, the packs taking turns; every pack submits at least one notebook;
* ``buggy``: the demo's realistic bugs, on the notebook they break that test_exchange's bob
  does not submit;
* ``tamper``: the stubs with a notebook cell that disarms ``check``;
* ``mallory``: the stubs and notebook 00 with one hostile cell per attack (``ATTACKS``);
* ``swapped``: the stubs, whose library is replaced by the reference on disk after autograde.
"""

import json
import pathlib

import nbround
from conftest import REFERENCE_LIB, SOLUTIONS, STUB_LIB
from autograder import grading, mutation
from autograder.course import demo, gradebook
from autograder.course import nbcourse

SEED = 1234
ASSIGNMENTS = nbcourse.assignment_ids(SOLUTIONS)
ATTACKED = "00_gradients"
CHECKS = grading.load_checks(grading.hidden_checks_dir())
ALTERNATIVES = mutation.load_alternatives(SOLUTIONS / "hidden_checks")
PACKS = {f"alternatives{i}": pack for i, pack in enumerate(mutation.packs(ALTERNATIVES))}
BUGS = [m for m in mutation.load_mutants(SOLUTIONS / "hidden_checks") if m.name in demo.DEMO_BUGS]


def checks_of(assignment):
    return {name: c for name, c in CHECKS.items() if c.assignment == assignment}


def alternatives_for(pack, assignment):
    """The alternatives of ``pack`` that replace functions the checks of ``assignment`` tag."""
    tags = {tag for c in checks_of(assignment).values() for tag in c.tags}
    return [a for a in pack if set(a.qualnames) & tags]


def _alternative_submissions():
    submits = {}
    for i, assignment in enumerate(ASSIGNMENTS):
        students = [s for s, pack in PACKS.items() if alternatives_for(pack, assignment)]
        if students:
            submits.setdefault(students[i % len(students)], []).append(assignment)
    for student, pack in PACKS.items():  # a pack that lost every turn still submits one notebook
        if student not in submits:
            own = [a for a in ASSIGNMENTS if alternatives_for(pack, a)]
            if own:
                submits[student] = own[:1]
    return submits


SUBMITS = {  # student -> the notebooks it submits
    **_alternative_submissions(),
    "buggy": sorted({CHECKS[name].assignment for m in BUGS for name in m.breaks} - {ATTACKED})[:1],
    "tamper": [ATTACKED],
}
ALTERNATIVE_STUDENTS = [student for student in PACKS if student in SUBMITS]
CLASSMATE = "tamper"  # whose submission the writer attacks
ATTACKER = "mallory"

# Each attack is one cell; {course} is the course folder, which an attacker may well know.
ATTACKS = {
    # (a) swap the submitted library for the reference before sync-gradebook grades it
    "swapper": """# attack: swapper
import pathlib, shutil
course = pathlib.Path({course!r})
for target in [course / "submitted" / "mallory" / "00_gradients" / "cs231n_lib", pathlib.Path.cwd() / "cs231n_lib"]:
    try:
        shutil.copytree(course / "solutions" / "cs231n_lib", target, dirs_exist_ok=True)
        print("ATTACK-SUCCEEDED swapped", target)
    except Exception as exc:
        print("swap failed:", type(exc).__name__)
""",
    # (b) read the hidden checks, the reference and the gradebook, and print them into the feedback
    "reader": """# attack: reader
import os, pathlib, sys
course = pathlib.Path({course!r})
wanted = [course / "solutions" / "hidden_checks" / "nb00_gradients.py", course / "solutions" / "cs231n_lib" / "layers.py",
          course / "gradebook.db", pathlib.Path("../../../solutions/hidden_checks/nb00_gradients.py")]
skip = {{"/proc", "/sys", "/dev", "/usr", sys.prefix, sys.base_prefix}}
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
    wanted += [pathlib.Path(root, name) for name in files if name.startswith("nb0") or name.endswith(".db")]
for path in wanted:
    try:
        print("ATTACK-READ", path, path.read_bytes().decode("utf-8", "replace"))
    except Exception as exc:
        print("cannot read", path, type(exc).__name__)
""",
    # (c) write into a classmate's submission, the course's files and the hidden checks
    "writer": """# attack: writer
import pathlib
course = pathlib.Path({course!r})
targets = [course / "submitted" / {classmate!r} / "00_gradients" / "cs231n_lib" / "layers.py",
           course / "submitted" / {classmate!r} / "00_gradients" / "00_gradients.ipynb",
           course / "gradebook.db", course / "nbgrader_config.py", course / "solutions" / "hidden_checks" / "nb00_gradients.py",
           pathlib.Path("../../{classmate}/00_gradients/cs231n_lib/layers.py"), pathlib.Path("cs231n_lib/layers.py")]
for target in targets:
    try:
        with open(target, "a") as f:
            f.write("\\n# ATTACK-WROTE\\n")
        print("ATTACK-SUCCEEDED wrote", target)
    except Exception as exc:
        print("cannot write", target, type(exc).__name__)
""",
    # (d) plant solutions/ beside and above the working folder, for check() to import
    "planter": """# attack: planter
import pathlib
for folder in [pathlib.Path.cwd(), pathlib.Path.cwd().parent, pathlib.Path("/tmp")]:
    try:
        (folder / "solutions" / "hidden_checks").mkdir(parents=True, exist_ok=True)
        (folder / "solutions" / "hidden_checks" / "nb00_gradients.py").write_text({planted!r})
        print("planted in", folder)
    except Exception as exc:
        print("cannot plant in", folder, type(exc).__name__)
""",
}
# What the planter hands in beside its notebook, and writes where it can: a hidden-check
# module that says so when imported.
PLANTED = 'print("ATTACK-SUCCEEDED planted checks imported")\n'
SWAPPED = "swapped"  # (a) past the sandbox: its library is replaced on disk between autograde and sync


def grade(released, env, tmp):
    """Submit, autograde, snapshot nbgrader's scores, swap one library on disk, sync.

    Returns a dict: course, libs {(student, assignment): lib}, before and after
    {(student, assignment): {cell: score}} (nbgrader's, then after sync), ours
    {(student, assignment): {check: score}} (``autograder grade``), sync_log, autograde_output.
    """
    course = nbround.copy_course(released, tmp / "course")
    buggy = demo.buggy_library(SOLUTIONS, tmp / "libs" / "buggy" / "cs231n_lib")
    libs = {}
    for student, assignments in SUBMITS.items():
        for assignment in assignments:
            if student in PACKS:
                lib = mutation.apply_alternatives(REFERENCE_LIB, tmp / "libs" / student / assignment / "cs231n_lib",
                                                  alternatives_for(PACKS[student], assignment))
            else:
                lib = {"buggy": buggy, "tamper": STUB_LIB}[student]
            libs[student, assignment] = lib
            nbround.submit(course, student, assignment, lib)
    nbround.insert_cell(course / "submitted" / "tamper" / ATTACKED / f"{ATTACKED}.ipynb", "check = lambda name: None")
    folder = nbround.submit(course, ATTACKER, ATTACKED, STUB_LIB)
    libs[ATTACKER, ATTACKED] = STUB_LIB
    for index, source in enumerate(ATTACKS.values()):
        code = source.format(course=str(course), classmate=CLASSMATE, planted=PLANTED)
        nbround.insert_cell(folder / f"{ATTACKED}.ipynb", code, index=1 + index)
    nbround.submit(course, SWAPPED, ATTACKED, STUB_LIB)
    libs[SWAPPED, ATTACKED] = STUB_LIB
    planted = course / "submitted" / ATTACKER / ATTACKED / "solutions" / "hidden_checks"
    planted.mkdir(parents=True)
    (planted / "nb00_gradients.py").write_text(PLANTED)
    output = nbround.autograde_all(course, env)
    keys = sorted(libs)
    before = {key: nbcourse.nbgrader_scores(course, key[1], key[0]) for key in keys}
    # (a), the way past the sandbox: the submitted library is replaced on disk after autograde
    # (as a kernel run with CS231N_UNSANDBOXED_KERNELS=1 could, from the notebook).
    for path in REFERENCE_LIB.glob("*.py"):
        (course / "submitted" / SWAPPED / ATTACKED / "cs231n_lib" / path.name).write_text(path.read_text())
    sync_log = []
    for assignment in sorted({a for _, a in keys}):
        gradebook.sync(course, assignment, course / "solutions", log=sync_log.append, seed=SEED)
    after = {key: nbcourse.nbgrader_scores(course, key[1], key[0]) for key in keys}
    ours = {}
    by_lib = {}
    for key, lib in libs.items():
        by_lib.setdefault(lib, []).append(key)
    for lib, lib_keys in by_lib.items():
        results = grading.grade(lib, sorted({a for _, a in lib_keys}), seed=SEED)
        for student, assignment in lib_keys:
            ours[student, assignment] = {t["name"]: t["score"] for t in results["tests"]
                                         if t["assignment"] == assignment}
    results = {key: json.loads((gradebook.collected_folder(course / "submitted" / key[0] / key[1])
                                / "results.json").read_text()) for key in keys}
    return {"course": course, "libs": libs, "before": before, "after": after, "ours": ours, "sync_log": sync_log,
            "autograde_output": output, "results": results}


def check_scores(scores):
    """Only the checks' cells (q_*: written answers, graded by hand)."""
    return {name: score for name, score in scores.items() if name in CHECKS}


def visible(scores):
    return {name: score for name, score in scores.items() if name in CHECKS and not CHECKS[name].hidden}


def hidden(scores):
    return {name: score for name, score in scores.items() if name in CHECKS and CHECKS[name].hidden}


def autograded_notebook(course, student, assignment=ATTACKED):
    return pathlib.Path(course) / "autograded" / student / assignment / f"{assignment}.ipynb"


def attack_output(course, attack):
    """What the attacker's cell ``attack`` (a key of ATTACKS) printed while nbgrader ran it."""
    nb = json.loads(autograded_notebook(course, ATTACKER).read_text())
    [cell] = [c for c in nb["cells"] if "".join(c["source"]).startswith(f"# attack: {attack}\n")]
    return "".join("".join(o.get("text", "")) + o.get("evalue", "") for o in cell["outputs"])
