"""Course tooling: everything an instructor runs around the grader.

- ``release``: solutions/ -> assignments/ and the cs231n_lib stubs, never erasing work.
- ``nbcourse``: a throw-away nbgrader course folder, driven as an instructor drives nbgrader.
- ``gradebook``: puts the trusted grader's scores into nbgrader's gradebook.
- ``demo``: release into a temporary folder and grade the bundled example submissions.
- ``submission``: the layout of a student's submission (one zip per assignment), written by
  ``pack`` and validated by everything that grades submissions.
- ``batch``: ``grade-all``, a folder of submissions graded on every core, resumably, into a
  gradebook and a summary; ``intake`` stages each untrusted submission for it.
- ``gradescope``: ``export-gradescope``, the autograder.zip, and what runs inside Gradescope.

The trust boundary is not here: student code runs in ``autograder.sandbox`` and is
compared in ``autograder.grading``.
"""
