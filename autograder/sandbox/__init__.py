"""The trust boundary: student code runs here, and only here.

* ``process.Sandbox`` starts the worker, sends requests, enforces deadlines and bounds
  what comes back;
* ``bwrap`` builds the OS sandbox the worker runs in, ``limits`` its resource limits;
* ``worker`` is the program inside, the only one that imports student code;
* ``codec`` is the wire format between the two, which decodes nothing but plain values.
"""

from .codec import Callback, Opaque, Rng
from .process import Sandbox, SandboxError, StudentError, arrays_in

__all__ = ["Callback", "Opaque", "Rng", "Sandbox", "SandboxError", "StudentError", "arrays_in", "isolation"]


def isolation():
    """(True, how) if student code can be isolated on this machine, else (False, why not)."""
    from . import bwrap

    tool, why = bwrap.detect()
    return (True, f"bubblewrap sandbox ({tool})") if tool else (False, why)
