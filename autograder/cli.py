"""python -m autograder: release the course, grade libraries, self-check, run the demo."""

import argparse
import json
import os
import pathlib
import sys

from . import grading, report
from .files import write_atomically

EXIT_CODES = """exit codes:
  0  grading finished and every check passed (release/demo: done)
  1  grading finished and some checks failed (the table says which)
  2  bad command line or input (e.g. the library folder does not exist)
  3  the grader itself failed (a bug in the grader: please report it)"""


def epilog(example, codes):
    """A subcommand's help ending: an example, then its exit codes (code, meaning) one a line."""
    lines = "\n".join(f"  {code:<3} {meaning}" for code, meaning in codes)
    return f"example:\n  {example}\n\nexit codes:\n{lines}"


GRADE_CODES = [(0, "every check passed"), (1, "some checks failed (the table says which)"),
               (2, "bad command line or input (e.g. no such library folder, no such check)"),
               (3, "the grader itself failed (please report it)")]


def _progress(enabled):
    """A progress callback for grading.grade, and a function that removes the bar."""
    if not enabled:
        return None, lambda: None
    from tqdm.auto import tqdm

    bars = []

    def step(c, total):
        if not bars:
            bars.append(tqdm(total=total, unit="check", leave=False, file=sys.stderr))
        bars[0].set_description(c.name)
        bars[0].update(1)

    return step, lambda: bars and bars[0].close()




def refuse_exposed_secrets(isolated, solutions, others=()):
    """Without the sandbox a root grader runs student code as a user of its own, which
    protects the instructor's files only if that user cannot read them (Gradescope's run
    makes them root's alone; an instructor's checkout is usually readable by all, and student
    code finds it from the grader's command line in /proc): the whole of ``solutions`` (the
    reference, the hidden checks, the master notebooks), the course's gradebook.db, and
    ``others`` (other students' submissions, the results). Returns 2 after saying so, else None."""
    from .sandbox import privileges

    if isolated or not privileges.running_as_root():
        return None
    folders = [pathlib.Path(p) for p in ([solutions] if solutions is not None else []) + list(others)]
    gradebooks = {f.parent / "gradebook.db" for f in folders} | {pathlib.Path("gradebook.db")}
    exposed = privileges.exposed(folders + sorted(gradebooks))
    if not exposed:
        return None
    print(f"error: without the sandbox, student code runs as a user of its own, and every user may read "
          f"{exposed[0]} ({len(exposed)} such files of the reference, hidden checks, master notebooks, gradebook or "
          f"other submissions): student code could copy them. Make them root's alone (chmod -R go-rwx "
          f"{' '.join(str(f) for f in folders)}) or grade where bubblewrap works.", file=sys.stderr)
    return 2


def cmd_grade(args, hidden=True):
    from .sandbox import SandboxError, isolation

    lib = pathlib.Path(args.lib)
    if not (lib / "__init__.py").is_file():
        print(f"error: {lib} is not a cs231n_lib folder (no __init__.py there)", file=sys.stderr)
        return 2
    isolated, why = isolation()
    if not isolated:
        if hidden and not args.allow_unisolated:
            print(f"error: student code cannot be isolated on this machine: {why}\n"
                  "Grade elsewhere, or pass --allow-unisolated to grade without isolation (the results will say so).",
                  file=sys.stderr)
            return 2
        if not hidden:
            print(f"note: checks run in a separate process, but not in an isolated sandbox here: {why}",
                  file=sys.stderr)
    solutions = pathlib.Path(args.solutions) if hidden else None
    if hidden and grading.hidden_checks_dir(solutions) is None:
        print(f"note: no reference library and hidden checks in {solutions}; running the visible checks only",
              file=sys.stderr)
    elif hidden and refuse_exposed_secrets(isolated, solutions):
        return 2
    step, close = _progress(not args.quiet and sys.stderr.isatty())
    try:
        results = grading.grade(lib, args.assignment, args.names, solutions=solutions, hidden=hidden,
                                seed=args.seed, timeout=args.timeout, progress=step, isolate=isolated,
                                budget=args.budget)
    except SandboxError as exc:
        print(f"error: the sandbox failed, so nothing was graded: {exc}", file=sys.stderr)
        return 3
    finally:
        close()
    if not results["tests"]:
        print(f"error: no checks match --assignment {' '.join(args.assignment or [])} "
              f"--check {' '.join(args.names or [])} (`python -m autograder list` shows them)", file=sys.stderr)
        return 2
    if args.json:  # first: whatever happens to the terminal, the results are safe
        write_atomically(args.json, json.dumps(report.gradescope(results), indent=2))
    print(report.table(results))
    redacted = sum("instructor_output" in t for t in results["tests"])
    if redacted:  # the table is what a student may see; the inputs of hidden checks stay out of it
        where = (f"in {args.json} (the tests named '... (instructor only)', which Gradescope hides from students)"
                 if args.json else "with --json FILE, in the tests named '... (instructor only)'")
        print(f"\nThe full messages of {redacted} hidden checks, which may quote their inputs, are for instructors "
              f"only: {where}")
    if hidden:
        print(f"\nseed {results['seed']} (--seed {results['seed']} repeats these inputs); {results['isolation']}")
    if args.json:
        print(f"\nresults written to {args.json}")
    return 0 if results["score"] == results["max_score"] else 1


def cmd_list(args):
    from .registry import load_checks

    for c in load_checks(grading.hidden_checks_dir(args.solutions)).values():
        kind = "hidden " if c.hidden else "visible"
        print(f"{c.assignment:<16} {c.name:<32} {kind} {c.points:>3g}  {', '.join(c.tags)}")
    return 0


def cmd_release(args):
    from .course import release

    try:
        if args.student_kit and args.student_kit.endswith(".zip"):
            from .course import kit
            kit.write_kit_zip(pathlib.Path(args.solutions), pathlib.Path(args.student_kit))
        elif args.student_kit:
            from .course import kit
            kit.write_kit(pathlib.Path(args.solutions), pathlib.Path(args.student_kit), force=args.force)
        else:
            release.release(pathlib.Path(args.solutions), pathlib.Path(args.out), force=args.force)
    except release.ReleaseError as exc:  # ReleaseRefused lists what would be lost
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_pack(args):
    from .course import pack, submission

    try:
        code, _ = pack.pack(args.assignment, out=args.out)
    except (pack.PackError, submission.SubmissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


def cmd_update(args):
    from .course import pack, update

    try:
        root = pack.kit_root()
        if (root / "solutions").exists():
            raise update.UpdateError(f"{root} is an instructor's course folder (it has solutions/); run update in "
                                     "a student kit")
        update.update(pathlib.Path(args.kit), root)
    except (pack.PackError, update.UpdateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_sync(args):
    from .course import gradebook

    try:
        seed = args.seed
        if seed is None and os.environ.get("CS231N_GRADING_SEED", "").isdigit():
            seed = int(os.environ["CS231N_GRADING_SEED"])
        changes = gradebook.sync(pathlib.Path(args.course), args.assignment, args.solutions, seed=seed)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changed = sum(bool(c) for c in changes.values())
    print(f"{len(changes)} submissions of {args.assignment} graded; {changed} had cells whose score changed")
    return 0


def cmd_grade_written(args):
    from .course import gradebook

    try:
        points = gradebook.grade_written(pathlib.Path(args.course), args.assignment, args.student, args.cell,
                                         args.score)
    except gradebook.GradeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.student}: {args.cell}: {args.score:g} / {points:g} points (manual score; sync-gradebook keeps it)")
    return 0


def cgroups():
    """Whether this grader can make control groups (which end every process a sandbox leaves)."""
    from .sandbox.limits import ControlGroup

    group = ControlGroup.create(64 << 20, 8)
    if group:
        group.remove()
    return bool(group)


def cmd_grade_all(args):
    from .course import batch
    from .sandbox import isolation, privileges

    submissions = pathlib.Path(args.submissions)
    if not submissions.is_dir():
        print(f"error: {submissions} is not a folder of submissions", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    isolated, why = isolation()
    if not isolated and not args.allow_unisolated:
        print(f"error: student code cannot be isolated on this machine: {why}\n"
              "Grade elsewhere, or pass --allow-unisolated to grade without isolation (the results will say so).",
              file=sys.stderr)
        return 2
    solutions = pathlib.Path(args.solutions)
    if grading.hidden_checks_dir(solutions) is None:
        print(f"note: no reference library and hidden checks in {solutions}; running the visible checks only",
              file=sys.stderr)
        solutions = None
    if refuse_exposed_secrets(isolated, solutions, [submissions, args.out]):
        return 2
    if not isolated and not privileges.running_as_root() and ((args.jobs or batch.cores()) > 1 or not cgroups()):
        print("error: without the sandbox and without root, every student's code would run as one user, who could "
              "signal or read the code of the one beside it: grade unisolated only as root (each submission then "
              "runs as a user of its own), or with --jobs 1 where control groups can be made", file=sys.stderr)
        return 2
    if args.similarity_threshold is not None and not 0 < args.similarity_threshold <= 1:
        print("error: --similarity-threshold must be in (0, 1]", file=sys.stderr)
        return 2
    if args.against and not (args.similarity and pathlib.Path(args.against).is_dir()):
        print("error: --against needs --similarity and a folder of known solutions", file=sys.stderr)
        return 2
    course = times = None
    if args.course:
        import csv

        from .course import latedays

        try:
            course = latedays.load(args.course)
            times = latedays.read_times(args.times) if args.times else None
        except (OSError, latedays.CourseError, KeyError, csv.Error) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    elif args.times:
        print("error: --times needs --course (the due dates)", file=sys.stderr)
        return 2
    import re

    try:
        if args.name_pattern is not None and "student_id" not in re.compile(args.name_pattern).groupindex:
            print("error: --name-pattern needs a group (?P<student_id>...) that names the student", file=sys.stderr)
            return 2
    except re.error as exc:
        print(f"error: --name-pattern is not a regular expression: {exc}", file=sys.stderr)
        return 2
    try:
        done = batch.run(submissions, pathlib.Path(args.out), jobs=args.jobs, solutions=solutions, seed=args.seed,
                         isolate=isolated, budget=args.budget, pattern=args.name_pattern, only=args.assignment,
                         force=args.force, progress=not args.quiet, pool_memory_mb=args.pool_memory_mb,
                         timeout=args.timeout, similar=args.similarity, against=args.against,
                         course=course, times=times, threshold=args.similarity_threshold)
    except KeyboardInterrupt:
        print("\ninterrupted: every result written so far is kept; run the same command again to grade the rest",
              file=sys.stderr)
        return 130
    out = pathlib.Path(args.out)
    lines = done["summary"].splitlines()
    print("\n".join(lines[:60]) + (f"\n... ({len(lines) - 60} more lines in summary.md)" if len(lines) > 60 else ""))
    per = f" ({done['seconds'] / done['graded']:.2f} s per submission)" if done["graded"] else ""
    print(f"graded {done['graded']}, unchanged {done['skipped']}, in {done['seconds']:.1f} s{per}")
    print(f"gradebook: {out / 'gradebook.csv'} ({len(done['rows'])} rows); "
          f"summary: {out / 'summary.md'}, {out / 'summary.png'}, {out / 'summary.html'}")
    if done["similarity"]:
        print(f"similarity: {done['similarity']['pairs']} pairs to look at, in {out / 'similarity.html'} and "
              f"{out / 'similarity.csv'} ({done['similarity']['seconds']:.1f} s)")
    broken = [r for r in done["rows"] if r["problem"]]
    if broken:
        print(f"{len(broken)} submission{'s' if len(broken) != 1 else ''} could not be graded "
              "(score 0; the reason is in summary.md and in their results.json)")
    if done["errors"]:
        print(f"error: the grader failed on {len(done['errors'])} submissions (not graded; run again to retry):",
              file=sys.stderr)
        for line in done["errors"]:
            print(f"  {line}", file=sys.stderr)
        return 3
    return 0


def cmd_export_gradescope(args):
    from .course import gradescope

    try:
        assignment, count = gradescope.export(args.assignment, pathlib.Path(args.output), pathlib.Path(args.solutions))
    except gradescope.ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: Gradescope autograder for {assignment} ({count} files: setup.sh, run_autograder, the "
          "grader, the reference and this assignment's hidden checks).\nUpload it as the assignment's "
          "autograder (Configure Autograder > Zip file upload); students upload the zip `pack` makes.")
    return 0


def cmd_demo(args):
    from .course import demo

    return demo.run(pathlib.Path(args.solutions))


GRADESCOPE_HELP = """\
Write autograder.zip for one assignment: upload it as the assignment's autograder on Gradescope
(Configure Autograder > Zip file upload); students upload the zip `pack` made for them.

Gradescope runs setup.sh once, as root, when it builds the assignment's image, then for each
submission run_autograder, which grades the files in /autograder/submission and writes
/autograder/results/results.json. The zip holds those two scripts, requirements.txt, the grader,
the reference cs231n_lib and this assignment's hidden checks, and nothing of other assignments.

Student code runs in a bubblewrap sandbox where /autograder does not exist, as user nobody. Where
Docker forbids the namespaces bubblewrap needs, it runs as nobody in a separate process with the
same limits, after the reference, the hidden checks and the results folder are made root's
alone; every results.json says which of the two ran. Set CS231N_REQUIRE_ISOLATION=1 to give
score 0 with the reason instead of grading without the sandbox.

For tests, CS231N_GRADESCOPE_ROOT stands for /autograder and CS231N_PYTHON names the interpreter;
setup.sh skips apt-get with CS231N_SETUP_SKIP_SYSTEM=1 and pip with CS231N_SETUP_SKIP_PIP=1."""


STUDENT_DOC = "python -m autograder: check your cs231n_lib and pack an assignment to hand in."


def student_kit():
    """Is this a student kit (the instructor's tooling is not here)? Then only check, list and pack exist."""
    return not (pathlib.Path(__file__).resolve().parent / "course" / "release.py").is_file()


def default_library():
    """The nearest cs231n_lib above the working folder (as a notebook finds it), else this checkout's."""
    from .notebook import find_library

    try:
        return str(find_library() / "cs231n_lib")
    except FileNotFoundError:
        return str(grading.ROOT / "cs231n_lib")


def build_parser():
    root = grading.ROOT
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=STUDENT_DOC if student_kit() else __doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def grading_options(p):
        p.add_argument("--assignment", nargs="+", metavar="ID",
                       help="only these assignments, by id or number (e.g. 00_gradients or 01)")
        p.add_argument("--check", nargs="+", metavar="NAME", dest="names",
                       help="only these checks, by name (e.g. sigmoid_backward; see `list`)")
        p.add_argument("--json", metavar="FILE", help="also write the results in Gradescope's results.json format")
        p.add_argument("--timeout", type=float, metavar="S", help="seconds allowed per check (default: each check's own, 10 s)")
        p.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs (default: a fresh one, "
                       "printed and written to the results, so a grade can be repeated)")
        p.add_argument("--budget", type=float, default=grading.BUDGET_SECONDS, metavar="S",
                       help="seconds allowed for the whole library (default %(default)g)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    c = sub.add_parser("check", help="students: run the visible checks on your own cs231n_lib",
                       description="Run the visible checks on your cs231n_lib, each in a separate process, and print "
                       "the score table\nand, for each failed check, one line saying what is wrong and where.",
                       epilog=epilog("python -m autograder check --assignment 01 --check sigmoid_backward", GRADE_CODES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--lib", default=default_library(), metavar="DIR",
                   help="default: the nearest cs231n_lib above this folder, here %(default)s")
    grading_options(c)
    c.set_defaults(run=lambda a: cmd_grade(a, hidden=False), allow_unisolated=True)

    ls = sub.add_parser("list", help="list the checks with their points and tags",
                        description="List every check: its assignment, name, visible or hidden, points, and the "
                        "library functions\nit exercises. Hidden checks are listed only where the instructor's "
                        "solutions/ is.", epilog=epilog("python -m autograder list | grep 01_activations",
                                                        [(0, "listed"), (2, "bad command line"),
                                                         (3, "a check module failed to load")]),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ls.add_argument("--solutions", default=str(root / "solutions"), metavar="DIR",
                    help="the instructor's source, whose hidden_checks/ are listed too when it is there "
                    "(default: %(default)s)")
    ls.set_defaults(run=cmd_list)

    p = sub.add_parser(
        "pack", help="students: check one assignment and write the zip to hand in",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run ASSIGNMENT's visible checks on your cs231n_lib and print the score table, warn about\n"
        "an unsaved notebook, functions that still raise NotImplementedError and unanswered questions,\n"
        "and write submissions/ASSIGNMENT.zip: ASSIGNMENT.ipynb and cs231n_lib/ (.py files), the layout\n"
        "the graders expect. Run it inside your course folder. It never changes your files.",
        epilog="example:\n  python -m autograder pack 01_activations      # or: make pack A=01_activations\n\n"
        "exit codes:\n  0  zip written (its last line counts the failed checks and the warnings, if any)\n"
        "  2  no zip written: bad input (no such assignment, no notebook, a library that breaks the layout)\n"
        "  3  no zip written: internal error")
    p.add_argument("assignment", nargs="?", metavar="ASSIGNMENT", help="e.g. 01_activations, or just 01")
    p.add_argument("--out", metavar="FILE.zip", help="where to write the zip (default: submissions/ASSIGNMENT.zip)")
    p.set_defaults(run=cmd_pack)

    u = sub.add_parser(
        "update", help="students: take a newer kit from your course, keeping your work",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Bring a newer student kit's notebooks, provided code and checks into the kit you work in.\n"
        "Functions you implemented and questions you answered are kept as you wrote them; a file it\n"
        "cannot merge is kept whole. It lists what it added, updated and kept. Run it inside your kit.",
        epilog="example:\n  python -m autograder update ~/Downloads/cs231n-kit.zip    # or: make update KIT=...\n\n"
        "exit codes:\n  0  updated\n  2  not a kit zip, or not run inside a kit; nothing written\n  3  internal error")
    u.add_argument("kit", metavar="KIT.zip", help="the new kit, as your course sent it")
    u.set_defaults(run=cmd_update)

    if not student_kit():  # a student kit has none of the instructor's tooling these commands need
        add_instructor_commands(sub, grading_options)
    return parser


def add_instructor_commands(sub, grading_options):
    root = grading.ROOT
    g = sub.add_parser("grade", help="grade a cs231n_lib folder (instructors: visible and hidden checks)",
                       description="Grade one cs231n_lib folder with the visible and the hidden checks, student code "
                       "isolated by\nbubblewrap; print the score table, and with --json write Gradescope's "
                       "results.json.",
                       epilog=epilog("python -m autograder grade --lib submissions/alice/cs231n_lib --assignment 01 "
                                     "--seed 7 --json alice.json", GRADE_CODES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("--lib", required=True, metavar="DIR", help="the cs231n_lib folder to grade")
    g.add_argument("--solutions", default=str(root / "solutions"), metavar="DIR",
                   help="the instructor's source with the reference cs231n_lib and hidden_checks (default: %(default)s)")
    g.add_argument("--allow-unisolated", action="store_true",
                   help="grade even where student code cannot be isolated (no bubblewrap or user namespaces); "
                   "the results say that grading was not isolated")
    grading_options(g)
    g.set_defaults(run=cmd_grade)

    r = sub.add_parser(
        "release", help="generate assignments/ and the cs231n_lib/ stubs from solutions/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Regenerate the student material from the instructor's solutions/: the cs231n_lib/\n"
        "stubs, the assignments/ notebooks (nbgrader generate_assignment) and .release-manifest.json,\n"
        "the record of what was released.",
        epilog="Release never silently overwrites work. If a released file changed since the last\n"
        "release (an implemented function, an answered question, an added cell), release writes\n"
        "nothing, lists what would be lost and exits 2, e.g.\n"
        "  cs231n_lib/layers.py: affine_forward, relu_backward would be lost\n"
        "Copy that work elsewhere first, or pass --force to overwrite it. Outputs and the metadata\n"
        "JupyterLab writes when a notebook is opened or run do not count as changes; files that\n"
        "release did not make are left alone.\n\n"
        + epilog("python -m autograder release --student-kit dist/cs231n-kit.zip",
                 [(0, "released"), (2, "refused because work would be lost (nothing was written), or bad input"),
                  (3, "internal error")]))
    r.add_argument("--solutions", default=str(root / "solutions"), metavar="DIR",
                   help="the instructor's source (default: %(default)s)")
    r.add_argument("--out", default=str(root), metavar="DIR",
                   help="where assignments/ and cs231n_lib/ are written (default: %(default)s)")
    r.add_argument("--force", action="store_true",
                   help="overwrite released files even when they hold work done since the last release")
    r.add_argument("--student-kit", metavar="DIR|KIT.zip",
                   help="instead, write what students get into DIR (or as a zip): the notebooks, the stubs, the "
                   "visible checks, `pack`, and a README with two commands; no solutions, no hidden checks. "
                   "Updating a kit a student works in never overwrites their work")
    r.set_defaults(run=cmd_release)

    s = sub.add_parser("sync-gradebook", help="after nbgrader autograde: put the trusted grader's scores "
                       "into nbgrader's gradebook",
                       description="After `nbgrader autograde`, grade each autograded submission of ASSIGNMENT with "
                       "this grader\n(sandboxed) and write its scores into nbgrader's gradebook, replacing the "
                       "scores of nbgrader's\nin-kernel test cells.",
                       epilog=epilog("python -m autograder sync-gradebook 01_activations --course .",
                                     [(0, "the gradebook was updated"), (2, "no such course or assignment"),
                                      (3, "internal error")]),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("assignment", help="the assignment id, e.g. 01_activations")
    s.add_argument("--course", default=".", metavar="DIR", help="the nbgrader course folder (default: here)")
    s.add_argument("--solutions", metavar="DIR", help="the instructor's source (default: COURSE/solutions)")
    s.add_argument("--seed", type=int,
                   help="seed of the hidden checks' inputs (default: $CS231N_GRADING_SEED, else a fresh one)")
    s.set_defaults(run=cmd_sync)

    w = sub.add_parser("grade-written", help="after nbgrader autograde: give a written answer its score by hand",
                       description="Give the written-answer cell CELL of STUDENT's ASSIGNMENT the score SCORE in "
                       "nbgrader's\ngradebook (its manual score, as nbgrader's formgrader sets it). "
                       "sync-gradebook keeps it;\n`nbgrader generate_feedback` shows it.",
                       epilog=epilog("python -m autograder grade-written 00_gradients alice q_centred_differences 2",
                                     [(0, "the score was set"), (2, "no such submission or cell, a check's cell, "
                                      "or a score out of range"), (3, "internal error")]),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    w.add_argument("assignment", help="the assignment id, e.g. 00_gradients")
    w.add_argument("student", help="the student id, as in submitted/<student>/")
    w.add_argument("cell", help="the written answer's grade id, e.g. q_centred_differences")
    w.add_argument("score", type=float, help="the points it earns (0 to the cell's points)")
    w.add_argument("--course", default=".", metavar="DIR", help="the nbgrader course folder (default: here)")
    w.set_defaults(run=cmd_grade_written)

    from .course import batch

    ga = sub.add_parser(
        "grade-all", help="grade a folder of submissions on every core, resumably, into a gradebook",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Grade every submission under SUBMISSIONS, each in its own sandbox, --jobs at a time.\n\n"
        "SUBMISSIONS may hold, mixed:\n"
        "  STUDENT/ASSIGNMENT/        nbgrader's submitted/ layout (ASSIGNMENT.ipynb and cs231n_lib/ inside)\n"
        "  STUDENT/ASSIGNMENT.zip     the same as a zip (what `pack` makes)\n"
        "  NAME.zip                   zips downloaded from an LMS, read directly; --name-pattern says how\n"
        "                             NAME gives the student (and the assignment, or the notebook inside does)\n\n"
        "It writes RESULTS/STUDENT/ASSIGNMENT/results.json (Gradescope's format, with the seed and the\n"
        "submission's sha256), RESULTS/gradebook.csv (a row per student and assignment: total, one column\n"
        "per check, the seed, why a submission could not be graded), RESULTS/summary.md (the checks most\n"
        "students fail), RESULTS/summary.png (the score distribution) and RESULTS/summary.html (one page:\n"
        "score distributions, the share failing each check, reasons by kind with an example each, and\n"
        "whose scores changed since the previous gradebook, kept in RESULTS/.previous/).\n\n"
        "With --similarity it also compares the code each student wrote (starter code subtracted; names,\n"
        "comments, layout and order do not count) with every other submission of the same assignment and\n"
        "with --against's known solutions, and lists the pairs to look at, side by side, in\n"
        "RESULTS/similarity.html and RESULTS/similarity.csv: places to look, never a verdict.\n"
        "With --course the gradebook also gets days late, late days used and left, and the total after the\n"
        "course's late policy.\n\n"
        "Run it again at any time: an interrupted run resumes where it stopped. Results are written\n"
        "atomically, one file per submission, and only submissions that are new or changed since (or\n"
        "whose checks changed) are graded again; the gradebook is rebuilt from the results files.\n"
        "A broken submission (unreadable or unsafe zip, wrong layout, missing or corrupt notebook)\n"
        "scores 0 with the reason, and the others go on.",
        epilog="example:\n  python -m autograder grade-all course/submitted --out results --jobs 4\n"
        "  python -m autograder grade-all downloads/ --out results \\\n"
        "      --name-pattern '^(?P<student_id>[^_]+)_(?P<timestamp>\\d+)_.*\\.zip$' --assignment 01\n"
        "  python -m autograder grade-all course/submitted --out results --similarity --against public-solutions/\n"
        "  python -m autograder grade-all downloads/ --out results --course course.toml --times times.csv\n\n"
        "exit codes:\n  0  every submission found has a result (some may have scored 0: see summary.md)\n"
        "  2  bad command line or input\n  3  the grader failed on some submissions (they have no result; rerun)\n"
        "  130  interrupted (Ctrl-C): what was graded is kept; rerun to grade the rest")
    ga.add_argument("submissions", metavar="SUBMISSIONS", help="the folder of submissions")
    ga.add_argument("--out", required=True, metavar="RESULTS", help="where results, gradebook and summary go")
    ga.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: all cores)")
    ga.add_argument("--assignment", nargs="+", metavar="ID", help="only these assignments (id or number)")
    ga.add_argument("--name-pattern", default=None, metavar="REGEXP",
                    help="how an LMS zip's file name names its student, as nbgrader zip_collect's named_regexp: "
                    "groups student_id (required), name, assignment, timestamp and attempt (optional). Default: "
                    "Canvas's names, keyed by its numeric user id, else what comes before the first _ "
                    "(see the patterns below)")
    ga.add_argument("--solutions", default=str(root / "solutions"), metavar="DIR",
                    help="the instructor's source with the reference and hidden checks (default: %(default)s)")
    ga.add_argument("--seed", type=int, help="one seed for every submission's hidden inputs (default: a fresh "
                    "seed per submission, recorded in the gradebook)")
    ga.add_argument("--timeout", type=float, metavar="S",
                    help="seconds of CPU allowed per check (default: each check's own, 10 s)")
    ga.add_argument("--budget", type=float, default=grading.BUDGET_SECONDS, metavar="S",
                    help="seconds allowed per submission (default %(default)g)")
    ga.add_argument("--force", action="store_true", help="grade every submission again, even unchanged ones")
    ga.add_argument("--pool-memory-mb", type=int, metavar="MB",
                    help="memory for each grading process (not student code, which has its own limit): one that "
                    "outgrows it costs only the submission it grades (default: no limit of its own)")
    ga.add_argument("--allow-unisolated", action="store_true",
                    help="grade even where student code cannot be isolated; the results say so")
    ga.add_argument("--similarity", action="store_true",
                    help="also list pairs of submissions whose student-written code is alike (similarity.html)")
    ga.add_argument("--against", metavar="DIR", help="with --similarity: a folder of known solutions (each entry a "
                    "folder of cs231n_lib .py files, or one .py file), e.g. public repositories")
    ga.add_argument("--similarity-threshold", type=float, metavar="F", help="with --similarity: the share of the "
                    "smaller side's fingerprints a pair must share to be listed (default 0.5)")
    ga.add_argument("--course", metavar="TOML", help="the course file: due dates, the late-day allowance, the "
                    "penalty and extensions; adds the late-day columns to the gradebook (see latedays.py)")
    ga.add_argument("--times", metavar="CSV", help="with --course: submission times (student,assignment,"
                    "submitted_at), where the layout carries none (else timestamp.txt, or the zip's entry times)")
    ga.add_argument("--quiet", action="store_true", help="no progress bar")
    ga.set_defaults(run=cmd_grade_all)

    from .course import gradescope

    gs = sub.add_parser(
        "export-gradescope", help="write a Gradescope autograder.zip for one assignment",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=GRADESCOPE_HELP,
        epilog=epilog("python -m autograder export-gradescope --assignment 01 -o autograder.zip",
                      [(0, "written"), (2, "unknown assignment, or no reference and hidden checks"),
                       (3, "internal error")]))
    gs.add_argument("--assignment", required=True, metavar="ID", help="the assignment, by id or number (e.g. 01)")
    gs.add_argument("-o", "--output", default="autograder.zip", metavar="ZIP", help="default: %(default)s")
    gs.add_argument("--solutions", default=str(root / "solutions"), metavar="DIR",
                    help="the instructor's source with the reference and hidden checks (default: %(default)s)")
    gs.set_defaults(run=cmd_export_gradescope)

    d = sub.add_parser("demo", help="release, then grade the reference, the stubs and a buggy library",
                       description="Release the course into a temporary folder (this checkout's cs231n_lib/ and "
                       "assignments/ are\nnot touched), then grade three libraries: the reference (full marks), the "
                       "fresh stubs (zero,\neach check saying what to do) and the reference with realistic bugs.",
                       epilog=epilog("python -m autograder demo", [(0, "done"), (2, "bad command line"),
                                                                   (3, "internal error")]),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--solutions", default=str(root / "solutions"), metavar="DIR",
                   help="the instructor's source to release and grade with (default: %(default)s)")
    d.set_defaults(run=cmd_demo)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 3
    except Exception as exc:  # the grader never ends in a bare traceback
        print(f"internal error: {type(exc).__name__}: {exc}\n(this is a bug in the grader, "
              "not in your code; please report it with the command you ran)", file=sys.stderr)
        return 3
