"""The course's nbgrader settings that take code; ``nbgrader_config.py`` calls ``configure(c)``.

nbgrader, run on this course as it comes, prints warnings that tell an instructor nothing.
Each has a cause; where the cause can be removed it is, and what is only noise is filtered
by its exact text, so that every other warning still shows:

* ``Attribute 'checksum' for cell X_hidden has changed!`` for every hidden-test cell of
  every submission (nbgrader issue #1961). The gradebook records a cell's checksum before
  generate_assignment strips its hidden tests, so the cell a student hands back, exactly as
  released, never matches. ``RestoreHiddenTests`` puts the hidden tests back silently when
  the submitted cell is the released one (what nbgrader would do anyway, with the warning);
  a cell the student did change is still restored with nbgrader's warning.
* ``Kernel is running over TCP without encryption`` from every grading kernel: the kernel
  manager provisions CurveZMQ keys when the kernel declares it can use them (ipykernel
  does), so the traffic is encrypted and the kernel has nothing to warn about.
* SQLAlchemy 2's ``Object of type <SubmittedAssignment> not in session, add operation
  along ... will not proceed``: nbgrader's gradebook code relies on SQLAlchemy 1's
  cascades and adds the objects itself right after; the records are complete (the tests
  read them back), so this one message is filtered.
* ``Alternative text is missing on N image(s)`` from generate_feedback: plots carry no alt
  text, and nbconvert gives each a generic one; nothing for the instructor to do.
"""

import logging
import re
import warnings

from nbformat import from_dict
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

SQLALCHEMY_NOISE = r"Object of type <\w+> not in session, \w+ operation along '[\w.]+' will not proceed"
LOG_NOISE = {  # logger (the nbgrader app) -> messages that are noise
    "GenerateFeedbackApp": re.compile(r"Alternative text is missing on \d+ image\(s\)\.$"),
}


class RestoreHiddenTests(OverwriteCells):
    """nbgrader's OverwriteCells, without its warning for a hidden-test cell handed back as released."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None  # nbgrader itself warns about it
            if source is not None and source.locked and source.source != cell.source:
                released = from_dict({"source": source.source})
                if ClearHiddenTests(parent=self)._remove_hidden_test_region(released) \
                        and released.source == cell.source:
                    cell.source = source.source
        return super().preprocess_cell(cell, resources, cell_index)


class _Drop(logging.Filter):
    def __init__(self, pattern):
        super().__init__()
        self.pattern = pattern

    def filter(self, record):
        return not self.pattern.match(record.getMessage())


def configure(c):
    """Apply the settings to nbgrader's config object ``c``."""
    from nbgrader.converters import Autograde

    default = Autograde.class_traits()["sanitize_preprocessors"].default()
    c.Autograde.sanitize_preprocessors = [RestoreHiddenTests if p is OverwriteCells else p for p in default]

    try:
        import zmq
        from jupyter_client.manager import KernelManager
    except ImportError:
        pass
    else:
        if "transport_encryption" in KernelManager.class_traits() and zmq.has("curve"):
            c.KernelManager.transport_encryption = "auto"

    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:
        pass
    else:
        warnings.filterwarnings("ignore", message=SQLALCHEMY_NOISE, category=SAWarning)

    for name, pattern in LOG_NOISE.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Drop) for f in logger.filters):
            logger.addFilter(_Drop(pattern))
