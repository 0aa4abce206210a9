"""Run student code in a worker process, sandboxed, and get plain values back.

``Sandbox(lib_dir)`` copies the library's ``.py`` files to a private folder and starts
``worker.py`` lazily, inside bubblewrap (``bwrap.py``) with resource limits (``limits.py``).
Every call has a deadline. A call that runs past it, a worker that dies (``sys.exit``,
``os._exit``, a crash, the memory limit) or a reply that is too large or malformed raises
``StudentError``; the worker is then killed with everything it started, and the next call
starts a fresh one. The grading process only ever decodes plain values, and every text
that comes from student code is cut to ``TEXT_LIMIT`` characters.

``isolate=False`` runs the same worker without the OS sandbox (a student's self-check on a
machine without user namespaces): a separate process with limits, nothing more.
"""

import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import bwrap, codec
from .limits import Limits

HERE = pathlib.Path(__file__).resolve().parent
REPLY_LIMIT = 64 << 20  # bytes: the largest legitimate reply is well under 1 MB
TEXT_LIMIT = 2000  # characters of student-made text (messages, output) kept in any result
LIBRARY_LIMIT = 16 << 20  # bytes of .py files copied from a submitted library
START_SECONDS = 60


class StudentError(Exception):
    """Student code failed: ``kind`` is one of missing, not_implemented, exception, exit,
    crash, timeout, too_large, malformed; ``message`` says what happened in words a student
    understands."""

    def __init__(self, kind, message, where=None):
        super().__init__(message)
        self.kind, self.message, self.where = kind, message, where


class SandboxError(Exception):
    """The sandbox itself could not run (not the student's fault): an error of the grader."""


def cut(text, limit=TEXT_LIMIT):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f" ... [{len(text) - limit:,} more characters cut]"


def copy_library(source, target):
    """Copy the regular ``.py`` files of ``source`` (and its sub-packages) into ``target``.

    Symbolic links are not followed (one could point at the reference solutions), other
    kinds of file (a FIFO would block the reader) are skipped, and the total size is bounded.
    """
    total = 0
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = pathlib.Path(folder, name)
            if not name.endswith(".py") or path.is_symlink() or not path.is_file():
                continue
            total += path.stat().st_size
            if total > LIBRARY_LIMIT:
                raise StudentError("too_large", f"the library's .py files exceed {LIBRARY_LIMIT >> 20} MB")
            copy = target / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy, follow_symlinks=False)


class Sandbox:
    def __init__(self, lib_dir, memory_mb=4096, isolate=True):
        self.lib_dir = pathlib.Path(lib_dir).resolve()
        self.memory_mb = memory_mb
        self.isolate = isolate
        self.proc = None
        self.deadline = None
        self.seconds = None
        self.warnings = []  # warnings raised by student code since the last take_warnings()

    # -- process management -------------------------------------------------------------
    def start(self):
        tool = None
        if self.isolate:
            tool, why = bwrap.detect()
            if tool is None:
                raise SandboxError(why)
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix=f"cs231n-sandbox-{os.getpid()}-"))
        library = self.folder / "cs231n_lib"
        library.mkdir()
        try:
            copy_library(self.lib_dir, library)
        except StudentError:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.log = open(self.folder / "output.txt", "w+b")
        self.limits = Limits(memory_mb=self.memory_mb)
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        if tool:
            argv = bwrap.command(tool, bwrap.worker_program([req_r, rep_w]), library, self.limits.processes)
            env = {}  # bwrap sets the worker's own
        else:
            site = sorted({str(folder.parent) for folder, _ in bwrap.package_dirs()})
            argv = [sys.executable, "-I", "-B", "-S", str(HERE / "worker.py"), str(library), str(req_r), str(rep_w),
                    *site]
            env = bwrap.worker_environment(self.folder, self.limits.processes)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, cwd=self.folder,
                                         env=env, pass_fds=(req_r, rep_w), start_new_session=True,
                                         preexec_fn=self.limits.apply_in_child)
        finally:
            os.close(req_r)
            os.close(rep_w)
        self._await_ready()

    def _await_ready(self):
        deadline = time.monotonic() + START_SECONDS

        def wait():
            ready, _, _ = select.select([self.rep_r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError

        try:
            reply = codec.decode(codec.read_message(self.rep_r, wait=wait, limit=1024))
            if reply != {"ready": True}:
                raise codec.Malformed("no ready message")
        except (EOFError, OSError, TimeoutError, codec.Malformed) as exc:
            tail = self.output_tail()
            self.stop()
            raise SandboxError(f"the sandboxed worker did not start ({type(exc).__name__}); "
                               f"its output: {tail or '(none)'}") from None

    def stop(self):
        if self.proc is None:
            return
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()
        self.limits.release()  # kills whatever is left in the control group
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def output_tail(self, lines=5):
        """The end of what the worker printed (student prints, tracebacks of a crash), bounded."""
        self.log.flush()
        size = self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, size - TEXT_LIMIT))
        text = self.log.read(TEXT_LIMIT).decode(errors="replace").strip().splitlines()
        return cut("\n".join(text[-lines:]))

    # -- deadlines ------------------------------------------------------------------------
    def set_deadline(self, seconds):
        """Every call until the next set_deadline must finish within ``seconds`` in all."""
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def _wait(self):
        timeout = None if self.deadline is None else self.deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            ready = []
        else:
            ready, _, _ = select.select([self.rep_r], [], [], timeout)
        if not ready:
            self.stop()
            raise StudentError("timeout", f"did not finish within {self.seconds:.3g} s (an endless loop?)")

    # -- calls ----------------------------------------------------------------------------
    def _fail(self, kind, message):
        self.stop()  # never reuse a worker that misbehaved
        raise StudentError(kind, message)

    def _receive(self, func):
        try:
            return codec.decode(codec.read_message(self.rep_r, wait=self._wait, limit=REPLY_LIMIT))
        except codec.TooLarge as exc:
            self._fail("too_large", f"{func} returned too much data: {exc}")
        except codec.Malformed as exc:
            self._fail("malformed", f"{func}: the process running your code sent a malformed reply ({cut(exc, 200)})")

    def request(self, message, callbacks=None):
        if self.proc is None:
            self.start()
        func = message["func"]
        try:
            codec.write_message(self.req_w, codec.encode(message))
            reply = self._receive(func)
            while isinstance(reply, dict) and "callback" in reply:
                answer = self._call_back(reply, callbacks or {})
                codec.write_message(self.req_w, codec.encode(answer))
                reply = self._receive(func)
        except (EOFError, OSError):  # the worker died: sys.exit, os._exit, a crash, a limit
            self._died(func)
        if not (isinstance(reply, dict) and ("ok" in reply or isinstance(reply.get("error"), dict))
                and isinstance(reply.get("warnings", []), list)):
            self._fail("malformed", f"{func}: the process running your code sent a malformed reply")
        self.warnings = (self.warnings + [cut(w, 300) for w in reply.get("warnings", [])[:5]])[:20]
        if "error" in reply:
            self._raise(func, reply["error"])
        return reply["ok"]

    def _call_back(self, reply, callbacks):
        """Evaluate a trusted function on arguments sent by student code."""
        ident, args = reply["callback"], reply.get("args")
        func = callbacks.get(ident) if isinstance(ident, int) else None
        if func is None or not isinstance(args, list):
            return {"error": "no such function"}
        try:
            return {"value": func(*args)}
        except Exception as exc:  # student code passed something the function cannot take
            return {"error": cut(f"{type(exc).__name__}: {exc}", 300)}

    def _died(self, func):
        tail = self.output_tail()
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code > 128 and self.isolate:
            code = 128 - code  # bwrap exits with 128 + N when its child is killed by signal N
        out_of_memory = self.limits.out_of_memory()
        self.stop()
        how = (f"ran out of memory ({self.memory_mb} MB for everything it runs)" if out_of_memory
               else f"was killed by signal {-code}" if code is not None and code < 0
               else f"exited with code {code}" if code is not None else "stopped answering")
        raise StudentError("crash", f"the process running your code {how} during {func}"
                           + (f"; its last output:\n{tail}" if tail else "")) from None

    def _raise(self, func, err):
        kind, message, where = (cut(err.get(k) or "", 300 if k != "message" else TEXT_LIMIT)
                                for k in ("kind", "message", "where"))
        at = f" (at {where})" if where else ""
        text = {"missing": message,
                "not_implemented": f"{func} is not implemented yet{at}",
                "exit": f"{func} {message}{at}; library code must return, not exit"}.get(kind, f"{func} raised {message}{at}")
        raise StudentError(kind, text, where or None)

    def take_warnings(self):
        taken, self.warnings = self.warnings, []
        return list(dict.fromkeys(taken))

    def call(self, func, *args, pick=None, return_args=False, callbacks=None, **kwargs):
        return self.request({"op": "call", "func": func, "args": list(args), "kwargs": kwargs,
                             "pick": pick, "return_args": return_args}, callbacks)

    def map(self, func, arg_tuples, pick=None):
        """Call ``func(*args)`` for each tuple in one round trip; returns the list of results."""
        calls = [[list(args), {}] for args in arg_tuples]
        return self.request({"op": "map", "func": func, "calls": calls, "pick": pick})
