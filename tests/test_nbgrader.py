"""The real nbgrader, run as an instructor runs it, agrees with ``autograder grade``.

The session's course (``conftest.released_course``: the README's ``autograder release``)
gets the submissions of ``nbgrader_submissions``; one ``nbgrader autograde`` runs every
notebook in the sandboxed kernel, then ``sync-gradebook`` writes the trusted scores.

* In the notebook, every visible check's cell scores what the check scores in ``autograder
  grade``; hidden checks never run there (the kernel cannot see them), so their cells score
  0 until ``sync-gradebook``, after which every cell has the trusted score;
* alternatives (each notebook once, the packs taking turns) get full marks, and their
  visible checks full marks from nbgrader itself, textbook sigmoid's numpy warnings included;
* the stubs score zero (the attack students hand in stubs), the demo's bugs lose exactly
  the grader's points;
* a notebook cell that disarms ``check`` fools nbgrader, and sync takes the marks back,
  reporting that student only;
* the library graded is the student's own, as collected.
"""

import filecmp

from nbgrader_submissions import (ALTERNATIVE_STUDENTS, ATTACKER, SUBMITS, SWAPPED, check_scores, checks_of,
                                  hidden, visible)


def submissions(graded):
    return sorted(graded["libs"])


def test_in_the_notebook_visible_checks_score_what_the_grader_does_and_hidden_ones_wait(nbgrader_graded):
    for key in submissions(nbgrader_graded):
        if key[0] in (ATTACKER, "tamper"):
            continue  # they change check() or what it sees
        before, ours = nbgrader_graded["before"][key], nbgrader_graded["ours"][key]
        assert visible(before) == visible(ours), key
        assert set(hidden(before).values()) == {0}, key


def test_after_sync_every_cell_has_the_trusted_score(nbgrader_graded):
    for key in submissions(nbgrader_graded):
        assert check_scores(nbgrader_graded["after"][key]) == nbgrader_graded["ours"][key], key


def test_every_alternative_gets_full_marks_through_nbgrader(nbgrader_graded):
    seen = set()
    for student in ALTERNATIVE_STUDENTS:
        for assignment in SUBMITS[student]:
            full = {name: c.points for name, c in checks_of(assignment).items()}
            assert check_scores(nbgrader_graded["after"][student, assignment]) == full, (student, assignment)
            assert visible(nbgrader_graded["before"][student, assignment]) == visible(full), (student, assignment)
            seen.add(assignment)
    assert seen == {a for student in ALTERNATIVE_STUDENTS for a in SUBMITS[student]} and len(seen) >= 5


def test_the_examples_span_the_range(nbgrader_graded):
    ours = nbgrader_graded["ours"]
    [assignment] = SUBMITS["buggy"]
    most = sum(c.points for c in checks_of(assignment).values())
    assert 0 < sum(ours["buggy", assignment].values()) < most
    for student in (ATTACKER, SWAPPED, "tamper"):
        assert sum(ours[student, "00_gradients"].values()) == 0  # the stubs
        assert sum(check_scores(nbgrader_graded["after"][student, "00_gradients"]).values()) == 0
    assert sum(nbgrader_graded["before"][SWAPPED, "00_gradients"].values()) == 0  # no check passes by itself


def test_the_students_own_library_is_what_got_graded(nbgrader_graded):
    course = nbgrader_graded["course"]
    for (student, assignment), lib in nbgrader_graded["libs"].items():
        if student == "swapped":
            continue  # replaced on purpose after autograde (test_attacks_nbgrader)
        for graded_lib in (course / "autograded" / student / assignment / "cs231n_lib",
                           course / "collected" / student / assignment / "cs231n_lib"):
            comparison = filecmp.dircmp(lib, graded_lib, ignore=["__pycache__"])
            assert not comparison.diff_files and not comparison.left_only, (student, assignment, graded_lib)
        assert nbgrader_graded["results"][student, assignment]["library_changed"] is False, (student, assignment)


def test_a_notebook_can_fool_nbgrader_but_the_gradebook_sync_restores_the_truth(nbgrader_graded):
    fooled = visible(nbgrader_graded["before"]["tamper", "00_gradients"])
    assert fooled and all(score > 0 for score in fooled.values())
    assert check_scores(nbgrader_graded["after"]["tamper", "00_gradients"]) == \
        {name: 0 for name in nbgrader_graded["ours"]["tamper", "00_gradients"]}
    reported = {line.split(":")[0] for line in nbgrader_graded["sync_log"] if "nbgrader gave" in line}
    assert reported == {"tamper"}
