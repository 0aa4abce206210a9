"""The trust boundary: student code runs here, and only here.

* ``process.Sandbox`` starts the worker, sends requests, enforces deadlines and bounds
  what comes back;
* ``bwrap`` builds the OS sandbox the worker runs in, ``limits`` its resource limits;
* ``worker`` is the program inside, the only one that imports student code;
* ``codec`` is the wire format between the two, which decodes nothing but plain values;
* ``guard`` bounds the grader's own work during a check, ``recorder`` the trusted
  functions that student code calls back.
"""

from .codec import Callback, Opaque, Rng
from .process import Sandbox, SandboxError, StudentError, arrays_in
from .recorder import Recorder

__all__ = ["Callback", "Opaque", "Rng", "Recorder", "Sandbox", "SandboxError", "StudentError", "arrays_in",
           "isolation"]


def isolation():
    """(True, how) if student code can be isolated on this machine, else (False, why not).

    ``how`` ends up in every result a student may read, so it names the tool and its
    version, never a path of the grading machine ("isolated by bubblewrap 0.11.0").
    ``why not`` is for the instructor (it names the bwrap executables that were tried).
    """
    from . import bwrap

    tool, why = bwrap.detect()
    if not tool:
        return False, why
    version = ".".join(map(str, bwrap.version(tool)))
    return True, "isolated by bubblewrap" + (f" {version}" if version != "0" else "")
