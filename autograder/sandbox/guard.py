"""Bounds on the grader's own work while a check runs: CPU time and memory.

Everything the grader computes from a reply (comparisons, numeric gradients, a trusted
function called back by student code) is work that a hostile reply could make huge. The
sandbox bounds the worker; ``Guard`` bounds the grader's side of the same check:

* CPU: a ``SIGPROF`` timer (it counts this process's CPU time, not the wall clock of a
  crowded machine) raises ``StudentError("timeout")`` when the check's time is used up;
* memory: a soft ``RLIMIT_AS`` of what the process maps now plus ``memory_mb``, so an
  allocation past it raises ``MemoryError`` instead of growing the grader until the
  kernel kills it. The soft limit only: the hard one stays, and is restored after.

Signals reach only the main thread, so elsewhere the CPU bound is left to the sandbox.
The sandbox's own housekeeping (starting and stopping workers, removing control groups)
runs ``paused()``: an expiry then waits until it is done, since an exception in the middle
of it would leave a control group or a process behind.
"""

import contextlib
import resource
import signal
import threading

GRADER_MEMORY_MB = 1024  # beyond what the grader maps when the check starts


def mapped_bytes():
    """The address space this process maps now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


class Guard:
    def __init__(self, on_expiry):
        self.on_expiry = on_expiry  # called in the signal handler; raises
        self.saved = None
        self.depth = 0  # > 0 while paused()
        self.pending = False  # the time ran out while paused

    def _expired(self, *_):
        if self.depth:
            self.pending = True
        else:
            self.on_expiry()

    @contextlib.contextmanager
    def paused(self):
        """Housekeeping that must not be cut short: an expiry meanwhile is raised after it."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if not self.depth and self.pending and self.saved is not None:
            self.pending = False
            self.on_expiry()

    def start(self, seconds, memory_mb=GRADER_MEMORY_MB):
        if self.saved is not None:
            self.stop()
        handler = None
        if seconds is not None and threading.current_thread() is threading.main_thread():
            handler = signal.signal(signal.SIGPROF, self._expired)
            signal.setitimer(signal.ITIMER_PROF, max(seconds, 0.001))
        limit = resource.getrlimit(resource.RLIMIT_AS)
        try:
            want = mapped_bytes() + (memory_mb << 20)
            if limit[1] == resource.RLIM_INFINITY or want < limit[1]:
                resource.setrlimit(resource.RLIMIT_AS, (want, limit[1]))
        except (OSError, ValueError):
            pass
        self.saved = (handler, limit)

    def stop(self):
        if self.saved is None:
            return
        handler, limit = self.saved
        self.saved = None
        self.pending = False
        if handler is not None:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, handler)
        try:
            resource.setrlimit(resource.RLIMIT_AS, limit)
        except (OSError, ValueError):
            pass
