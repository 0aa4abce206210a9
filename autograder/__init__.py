"""The course's grader: trusted numeric gradients, the checks, release, grading and the CLI.

Student code never runs in the grading process: ``sandbox`` starts a worker process that
imports the student's ``cs231n_lib`` and sends back plain values (``codec``), and the
checks compare them here.
"""
