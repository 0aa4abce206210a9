"""The course's nbgrader settings that take code; ``nbgrader_config.py`` calls ``configure(c)``.

Student notebooks never run with the instructor's rights or view: ``configure`` makes
nbgrader start every kernel it executes a notebook in (autograde, validate) from the
kernelspec ``cs231n-sandboxed`` (``autograder/sandbox/kernel.py``), which runs the kernel in
the bubblewrap sandbox and talks to it over IPC sockets in a private folder. Where no sandbox
can be made, that kernel does not start, and nbgrader's log says why and what to install
(``CS231N_UNSANDBOXED_KERNELS=1`` is the explicit opt-out). ``nbgrader_config.py`` names the
kernel itself too, so that an error here leaves nbgrader without a kernel, never unsandboxed.

nbgrader, run on this course as it comes, prints warnings that tell an instructor nothing.
Each has a cause; where the cause can be removed it is, and what is only noise is filtered
by its exact text, so that every other warning still shows:

* ``Attribute 'checksum' for cell X_hidden has changed!`` for every hidden-test cell of
  every submission (nbgrader issue #1961). The gradebook records a cell's checksum before
  generate_assignment strips its hidden tests, so the cell a student hands back, exactly as
  released, never matches. ``RestoreHiddenTests`` puts the hidden tests back silently when
  the submitted cell is the released one (what nbgrader would do anyway, with the warning);
  a cell the student did change is still restored with nbgrader's warning.
* ``Kernel is running over TCP without encryption`` from every grading kernel: the
  sandboxed kernel has no network, so it talks over IPC sockets (files in a folder only it
  and the instructor reach), and ipykernel warns only about TCP.
* SQLAlchemy 2's ``Object of type <SubmittedAssignment> not in session, add operation
  along ... will not proceed``: nbgrader's gradebook code relies on SQLAlchemy 1's
  cascades and adds the objects itself right after; the records are complete (the tests
  read them back), so this one message is filtered.
* ``Alternative text is missing on N image(s)`` from generate_feedback: plots carry no alt
  text, and nbconvert gives each a generic one; nothing for the instructor to do.

Feedback pages wrap the text of outputs (``WrapOutputs``): the trusted verdict that
``sync-gradebook`` writes into each graded cell ("got ... / expected ...") sits in a
``<pre>``, which nbconvert's style scrolls sideways, so its end was out of sight. The rule
only styles; every output's text stays escaped by nbconvert as before.
"""

import logging
import os
import re
import warnings

from nbformat import from_dict
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
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


# nbgrader's feedback page uses nbconvert's classic template (div.output_subarea; JupyterLab's names too) and
# Bootstrap 3, whose pre breaks words anywhere (word-break: break-all): lines wrap between words.
WRAP_CSS = ("div.output_subarea pre, .jp-OutputArea-output pre "
            "{ white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere; }")


class WrapOutputs(Preprocessor):
    """generate_feedback's last preprocessor: adds ``WRAP_CSS`` to the page's inline styles."""

    enabled = Bool(True)  # nbconvert skips a registered preprocessor that is not enabled

    def preprocess(self, nb, resources):
        inlining = resources.setdefault("inlining", {})
        inlining["css"] = [*inlining.get("css", []), WRAP_CSS]
        return nb, resources


def snapshot_submission(**kwargs):
    """Before autograde runs a submission: keep a copy of its library as collected (``gradebook.snapshot``)."""
    from .gradebook import snapshot_hook

    snapshot_hook(**kwargs)


def use_sandboxed_kernels(c):
    """Execute notebooks in the sandboxed kernel, over IPC (``autograder/sandbox/kernel.py``)."""
    from ..sandbox import kernel

    path = os.environ.get("JUPYTER_PATH", "")
    if str(kernel.JUPYTER_DIR) not in path.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(kernel.JUPYTER_DIR), path) if p)
    c.Execute.kernel_name = kernel.KERNEL_NAME
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = kernel.socket_prefix()


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
    c.Autograde.pre_convert_hook = snapshot_submission
    from nbgrader.converters import GenerateFeedback

    c.GenerateFeedback.preprocessors = [*GenerateFeedback.class_traits()["preprocessors"].default(), WrapOutputs]

    use_sandboxed_kernels(c)

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
