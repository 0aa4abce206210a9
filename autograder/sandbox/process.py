"""Run student code in a worker process, sandboxed, and get plain values back.

``Sandbox(lib_dir)`` copies the library's ``.py`` files once to a private folder and starts
``worker.py`` lazily, inside bubblewrap (``bwrap.py``) with resource limits (``limits.py``).
Every call has a deadline, for sending the request as well as for the reply. A call that
runs past it, a worker that dies (``sys.exit``, ``os._exit``, a crash, the memory limit) or
a reply that is too large or malformed raises ``StudentError``; the worker is then killed
with everything it started, and the next call starts a fresh one from the same copy.

A check's time (``set_deadline``) counts the CPU time of everything in the sandbox where
its control group counts it (``limits.py``), with a wall-clock backstop of ``WALL_FACTOR``
times as long for code that waits instead of computing; elsewhere it is wall time. The
grader's own work during the check is bounded too (``guard.py``), and so are the trusted
functions student code calls back (``Callback``): ``CALLBACK_CALLS`` calls and
``CALLBACK_BYTES`` of arguments per check in all.

The worker's only channels are pipes: requests, replies, and its output, which is read as
it comes and only its end kept. Every text that comes from student code goes through
``clean``: cut to ``TEXT_LIMIT`` characters, valid UTF-8, no terminal control characters.

``isolate=False`` runs the same worker without the OS sandbox (a student's self-check on a
machine without user namespaces, a container such as Gradescope's that allows none): a
separate process with limits, nothing more; under a root grader it runs as a user of its
own (``privileges.fresh_uid``: no two sandboxes share one, so one student's worker can
neither signal nor read another's), from copies of the worker and the library that only
that user may read, so it can neither read what only root may (the hidden checks, the
reference) nor write the results.
"""

import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import bwrap, codec, privileges
from .guard import Guard
from .limits import Limits, sweep_stale

HERE = pathlib.Path(__file__).resolve().parent
REPLY_LIMIT = 64 << 20  # bytes: the largest legitimate reply is well under 1 MB
TEXT_LIMIT = 2000  # characters of student-made text (messages, output) kept in any result
LIBRARY_LIMITS = {"bytes": 16 << 20, "files": 2000, "depth": 8}  # of a submitted library's copy
START_SECONDS = 60
WALL_FACTOR = 3  # where CPU time is counted: wall seconds allowed per CPU second of a check
CALLBACK_CALLS = 20_000  # per check: the most a correct library needs is a few thousand
CALLBACK_BYTES = 32 << 20  # per check, of arguments sent to callbacks
# All control characters but tab and newline, and the invisible ones that reorder or hide
# text where it is shown (bidirectional overrides and isolates, zero-width marks).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class StudentError(Exception):
    """Student code failed: ``kind`` is one of missing, not_implemented, exception, exit,
    crash, timeout, too_large, malformed, refused; ``message`` says what happened in words a
    student understands."""

    def __init__(self, kind, message, where=None):
        super().__init__(message)
        self.kind, self.message, self.where = kind, message, where


class SandboxError(Exception):
    """The sandbox itself could not run (not the student's fault): an error of the grader."""


def clean(text, limit=TEXT_LIMIT):
    """Student-made ``text`` made safe to store and print: cut, valid UTF-8, no control characters."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + f" ... [{len(text) - limit:,} more characters cut]"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates become \udxxx
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       text)


def arrays_in(value):
    """The numpy arrays in a decoded value, depth first, dicts in their order (as the worker counts)."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in arrays_in(v)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays_in(v)]
    return []


def copy_library(source, target):
    """Copy the regular ``.py`` files of ``source`` (and its sub-packages) into ``target``.

    Symbolic links are not followed (one could point at the reference solutions), other
    kinds of file (a FIFO would block the reader) are skipped, and the size, the number of
    files and the depth are bounded.
    """
    source, target = pathlib.Path(source), pathlib.Path(target)
    if source.is_symlink():
        raise StudentError("refused", "cs231n_lib is a symbolic link; submit the folder itself")
    total, files = 0, 0
    for folder, subfolders, names in os.walk(source):
        relative = pathlib.Path(folder).relative_to(source)
        if len(relative.parts) >= LIBRARY_LIMITS["depth"]:
            subfolders[:] = []
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and not os.path.islink(os.path.join(folder, d)))
        files += len(names)
        if files > LIBRARY_LIMITS["files"]:
            raise StudentError("too_large", f"cs231n_lib holds more than {LIBRARY_LIMITS['files']} files")
        for name in sorted(names):
            path = pathlib.Path(folder, name)
            if not name.endswith(".py") or path.is_symlink() or not path.is_file():
                continue
            total += path.stat().st_size
            if total > LIBRARY_LIMITS["bytes"]:
                raise StudentError("too_large", f"the library's .py files exceed {LIBRARY_LIMITS['bytes'] >> 20} MB")
            copy = target / relative / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy, follow_symlinks=False)


def _chain(*steps):
    def run():
        for step in steps:
            step()
    return run


class Sandbox:
    def __init__(self, lib_dir, memory_mb=4096, isolate=True):
        self.lib_dir = pathlib.Path(lib_dir).absolute()
        self.memory_mb = memory_mb
        self.isolate = isolate
        self.proc = None
        self.folder = None
        self.refusal = None  # a StudentError that every call raises (the library could not be copied)
        self.deadline = None
        self.seconds = None
        self.guard = Guard(self._grader_overran)
        self.overran = False  # the grader's own work was cut short: the worker's state is unknown
        self.uid = None  # the user a root grader runs an unisolated worker as
        self._cpu = [0.0, 0.0]  # CPU seconds of earlier workers in this check, and the mark in this one's
        self.callback_calls = self.callback_bytes = 0
        self.timeouts = 0  # checks cut short by their time limit (a crowded machine can cause them)
        self.warnings = []  # warnings raised by student code since the last take_warnings()
        self.output = b""

    # -- process management -------------------------------------------------------------
    def _prepare(self):
        """Make the private folder and the library's copy, once for every worker to come."""
        sweep_stale()
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix=f"cs231n-sandbox-{os.getpid()}-"))
        try:
            copy_library(self.lib_dir, self.folder / "cs231n_lib")
            # Whatever the grader's umask: the worker may run as another user, and must read its copy.
            if privileges.running_as_root() and not self.isolate:
                self.uid = privileges.fresh_uid()
            privileges.readable_by(self.folder / "cs231n_lib", self.uid)
        except StudentError as exc:
            self.refusal = exc
        except (OSError, RecursionError, ValueError) as exc:  # names too long, a tree too deep, ...
            self.refusal = StudentError("refused", f"cs231n_lib could not be copied ({type(exc).__name__}: "
                                        f"{clean(exc, 200)})")

    def start(self):
        with self.guard.paused():
            self._start()

    def _start(self):
        tool = None
        if self.isolate:
            tool, why = bwrap.detect()
            if tool is None:
                raise SandboxError(why)
        if self.folder is None:
            self._prepare()
        if self.refusal:
            raise self.refusal
        library = self.folder / "cs231n_lib"
        self.limits = Limits(memory_mb=self.memory_mb)
        self._cpu[1] = 0.0  # a fresh group has used nothing yet
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        self.out_r, out_w = os.pipe()
        stdin_r, stdin_w = os.pipe()
        os.close(stdin_w)  # reading stdin gives end-of-file at once
        for fd in (self.req_w, self.out_r):
            os.set_blocking(fd, False)
        self.output = b""
        if tool:
            argv, prepare_child = bwrap.launch(tool, bwrap.worker_program([req_r, rep_w]), library, self.limits)
            env = {}  # bwrap sets the worker's own
        else:
            site = sorted({str(folder.parent) for folder, _ in bwrap.package_dirs()})
            python, worker, prepare_child = sys.executable, HERE / "worker.py", self.limits.apply_in_child
            if privileges.running_as_root():  # never student code as root: as a user of its own, from copies
                python, worker = self._nobody_can_run()
                uid = self.uid
                prepare_child = _chain(self.limits.apply_in_child, lambda: privileges.become(uid))
            argv = [python, "-I", "-B", "-S", str(worker), str(library), str(req_r), str(rep_w), *site]
            env = bwrap.worker_environment(self.folder, self.limits.processes)
        try:
            self.proc = subprocess.Popen(argv, stdin=stdin_r, stdout=out_w, stderr=out_w, cwd=self.folder, env=env,
                                         pass_fds=(req_r, rep_w), start_new_session=True, preexec_fn=prepare_child)
        except (OSError, subprocess.SubprocessError) as exc:
            for fd in (self.req_w, self.rep_r, self.out_r):
                os.close(fd)
            self.limits.release()
            raise SandboxError(f"the sandbox could not start: {exc}") from None
        finally:
            for fd in (req_r, rep_w, out_w, stdin_r):
                os.close(fd)
        self._await_ready()

    def _nobody_can_run(self):
        """(interpreter, worker) that nobody may run: the worker's own copy beside the library's
        (the grader's folder may be root's only: on Gradescope it holds the hidden checks)."""
        python = privileges.interpreter_for_nobody(sys.executable)
        if python is None:
            raise SandboxError(f"student code would run as nobody, who may not run {sys.executable} (it sits in "
                               "a folder only root may enter); install Python where every user can run it")
        for folder, _ in bwrap.package_dirs():
            if not privileges.nobody_may(folder, 0o005):
                raise SandboxError(f"student code would run as nobody, who may not read {folder}")
        copy = self.folder / "grader"
        copy.mkdir(exist_ok=True)
        for name in bwrap.WORKER_FILES:
            shutil.copyfile(HERE / name, copy / name)
        privileges.readable_by(self.folder, self.uid)
        return python, copy / "worker.py"

    def _await_ready(self):
        deadline = time.monotonic() + START_SECONDS
        try:
            reply = codec.decode(codec.read_message(self.rep_r, wait=lambda: self._select(
                lambda: max(deadline - time.monotonic(), 0)), limit=1024))
            if reply != {"ready": True}:
                raise codec.Malformed("no ready message")
        except (EOFError, OSError, TimeoutError, codec.Malformed) as exc:
            tail = self.output_tail()
            self.stop()
            raise SandboxError(f"the sandboxed worker did not start ({type(exc).__name__}); "
                               f"its output: {tail or '(none)'}") from None

    def stop(self):
        """Kill the worker and everything it started; the library's copy stays for the next."""
        with self.guard.paused():
            self._stop()

    def _stop(self):
        if self.proc is None:
            return
        for fd in (self.req_w, self.rep_r, self.out_r):
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
        used = self.limits.cpu_used()
        if used is not None:  # what this worker used of the check's time stays used
            self._cpu[0] += used - self._cpu[1]
        self.limits.release()  # kills whatever is left in the control group
        self.proc = None

    def close(self):
        self.guard.stop()  # a check's bounds on this process end with its sandbox, set_deadline(None) or not
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the pipes --------------------------------------------------------------------------
    def _drain(self):
        """Read what the worker printed so far, keeping only the end."""
        for _ in range(64):  # at most 4 MB per call: a flood cannot keep the grader here
            try:
                chunk = os.read(self.out_r, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self.output = (self.output + chunk)[-4 * TEXT_LIMIT:]

    def output_tail(self, lines=5):
        """The end of what the worker printed (student prints, tracebacks of a crash), cleaned."""
        self._drain()
        text = self.output.decode(errors="replace").strip().splitlines()
        return clean("\n".join(text[-lines:]))

    def _select(self, remaining, write=False):
        """Wait until the worker can be read from (or written to), reading its output meanwhile;
        raises TimeoutError when ``remaining()`` (the seconds to wait at most before asking
        again, or None for no limit) says 0."""
        want = self.req_w if write else self.rep_r
        while True:
            timeout = remaining()
            if timeout is not None and timeout <= 0:
                raise TimeoutError
            readable, writable, _ = select.select([self.rep_r, self.out_r] if not write else [self.out_r],
                                                  [self.req_w] if write else [], [], timeout)
            if self.out_r in readable:
                self._drain()
            if want in readable or want in writable:
                return

    def _timeout(self):
        self.timeouts += 1
        self.stop()
        raise StudentError("timeout", f"did not finish within {self.seconds:.3g} s (an endless loop?)")

    def _send(self, value):
        data = codec.encode(value)
        view = memoryview(codec.frame(data))
        while view:
            try:
                self._select(self._remaining, write=True)
            except TimeoutError:
                self._timeout()
            try:
                view = view[os.write(self.req_w, view):]
            except BlockingIOError:
                pass

    def _receive(self, func):
        def wait():
            try:
                self._select(self._remaining)
            except TimeoutError:
                self._timeout()

        try:
            data = codec.read_message(self.rep_r, wait=wait, limit=REPLY_LIMIT)
            self.last_size = len(data)
            return codec.decode(data)
        except codec.TooLarge as exc:
            self._fail("too_large", f"{func} returned too much data: {exc}")
        except codec.Malformed as exc:
            self._fail("malformed", f"{func}: the process running your code sent a malformed reply ({clean(exc, 200)})")

    # -- deadlines ------------------------------------------------------------------------
    def set_deadline(self, seconds):
        """Every call until the next set_deadline must finish within ``seconds`` in all (of
        CPU time where it is counted), and so must the grader's own work meanwhile; the
        callbacks' budget starts afresh. ``None`` ends the check."""
        self.guard.stop()
        if self.overran:  # the grader was interrupted mid-call: never reuse that worker
            self.overran = False
            self.stop()
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self._cpu = [0.0, (self.limits.cpu_used() or 0.0) if self.proc is not None else 0.0]
        self.callback_calls = self.callback_bytes = 0
        if seconds is not None:
            self.guard.start(seconds)

    def cpu_used(self):
        """CPU seconds the workers used since set_deadline, or None where it is not counted."""
        now = self.limits.cpu_used() if self.proc is not None else None
        if now is None:
            return self._cpu[0] if self._cpu[0] else None
        return self._cpu[0] + now - self._cpu[1]

    def _remaining(self):
        """Seconds to wait at most before looking at the check's time again; 0 when it is up."""
        if self.deadline is None:
            return None
        used = self.cpu_used()
        if used is None:
            return max(self.deadline - time.monotonic(), 0)
        wall = self.deadline + (WALL_FACTOR - 1) * self.seconds - time.monotonic()
        cpu = self.seconds - used
        if cpu <= 0 or wall <= 0:
            return 0
        return min(wall, max(cpu / self.limits.cpus, 0.01))

    def _grader_overran(self):
        self.overran = True
        self.timeouts += 1
        raise StudentError("timeout", f"did not finish within {self.seconds:.3g} s: checking what your code "
                           "returned took the grader too long (far more data than the docstring asks for?)")

    # -- calls ----------------------------------------------------------------------------
    def _fail(self, kind, message):
        self.stop()  # never reuse a worker that misbehaved
        raise StudentError(kind, message)

    def request(self, message, callbacks=None):
        if self.overran:
            self.overran = False
            self.stop()
        if self.proc is None:
            self.start()
        func = message["func"]
        try:
            self._send(message)
            reply = self._receive(func)
            while isinstance(reply, dict) and "callback" in reply:
                self._spend_callback(func)
                self._send(self._call_back(reply, callbacks or {}))
                reply = self._receive(func)
        except (EOFError, BrokenPipeError, ConnectionResetError):  # the worker died: an exit, a crash, a limit
            self._died(func)
        except (StudentError, SandboxError):
            raise
        except Exception as exc:  # anything else the worker's messages caused: never reuse it
            self._fail("malformed", f"{func}: the process running your code sent a malformed reply "
                       f"({type(exc).__name__})")
        if not (isinstance(reply, dict) and ("ok" in reply or isinstance(reply.get("error"), dict))
                and isinstance(reply.get("warnings", []), list)):
            self._fail("malformed", f"{func}: the process running your code sent a malformed reply")
        self.warnings = (self.warnings + [clean(w, 300) for w in reply.get("warnings", [])[:5]])[:20]
        if "error" in reply:
            self._raise(func, reply["error"])
        return reply["ok"]

    def _spend_callback(self, func):
        """Count one call back and its arguments' bytes against the check's budget."""
        self.callback_calls += 1
        self.callback_bytes += self.last_size
        if self.callback_calls > CALLBACK_CALLS:
            self._fail("too_large", f"{func} called the function it was given more than {CALLBACK_CALLS:,} times")
        if self.callback_bytes > CALLBACK_BYTES:
            self._fail("too_large", f"{func} passed more than {CALLBACK_BYTES >> 20} MB of arguments in all to the "
                       "function it was given")

    def _call_back(self, reply, callbacks):
        """Evaluate a trusted function on arguments sent by student code."""
        ident, args = reply["callback"], reply.get("args")
        func = callbacks.get(ident) if isinstance(ident, int) else None
        if func is None or not isinstance(args, list):
            return {"error": "no such function"}
        try:
            value = func(*args)
        except Exception as exc:  # student code passed something the function cannot take
            return {"error": clean(f"{type(exc).__name__}: {exc}", 300)}
        if len(codec.encode(value)) > REPLY_LIMIT:
            return {"error": "the value is too large"}
        return {"value": value}

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
        kind, message, where = (clean(err.get(k) or "", 300 if k != "message" else TEXT_LIMIT)
                                for k in ("kind", "message", "where"))
        at = f" (at {where})" if where else ""
        inner = clean(err.get("function") or "", 200)
        inner = inner if re.fullmatch(r"[A-Za-z_][\w.]*", inner) and inner.split(".")[-1] != "<module>" else ""
        not_implemented = f"{func} is not implemented yet{at}"
        if inner and not (inner == func or inner.startswith(func + ".") or func.startswith(inner + ".")):
            not_implemented = f"{func} uses {inner}, which is not implemented yet{at}: fix that first"
        text = {"missing": message,
                "not_implemented": not_implemented,
                "exit": f"{func} {message}{at}; library code must return, not exit"}.get(kind, f"{func} raised {message}{at}")
        raise StudentError(kind, text, where or None)

    def take_warnings(self):
        taken, self.warnings = self.warnings, []
        return list(dict.fromkeys(taken))

    def call(self, func, *args, pick=None, return_args=False, shared=False, callbacks=None, **kwargs):
        """``func(*args, **kwargs)`` in the worker. ``return_args``: (result, the arguments as the
        call left them). ``shared``: (result, arguments, pairs), where (i, j) in pairs says that
        array i of the result shares memory with array j of the arguments there (arrays counted
        depth first, as ``arrays_in`` does): aliasing that no copy across the boundary shows."""
        reply = self.request({"op": "call", "func": func, "args": list(args), "kwargs": kwargs,
                              "pick": pick, "return_args": return_args, "shared": shared}, callbacks)
        if shared:
            ok = isinstance(reply, tuple) and len(reply) == 3 and isinstance(reply[2], list)
            if ok:
                n, m = len(arrays_in(reply[0])), len(arrays_in(reply[1]))
                ok = all(isinstance(p, list) and len(p) == 2 and all(type(k) is int for k in p)
                         and 0 <= p[0] < n and 0 <= p[1] < m for p in reply[2])
            if not ok:
                self._fail("malformed", f"{func}: the process running your code sent a malformed reply")
            reply = reply[0], reply[1], {tuple(p) for p in reply[2]}
        return reply

    def attribute(self, obj, name):
        """``obj.name`` for an object kept in the worker (an ``Opaque``), e.g. a model's ``reg``
        or ``params`` after a function trained it: the caller's objects as a call left them. It
        is student data like any reply: check its type and shape before use."""
        if not isinstance(obj, codec.Opaque) or not name.isidentifier():
            raise ValueError(f"attribute() reads a plain attribute of an Opaque, not {name!r} of {obj!r}")
        return self.request({"op": "attr", "func": f"{obj.type_name}.{name}", "obj": obj, "name": name})

    def map(self, func, arg_tuples, pick=None):
        """Call ``func(*args)`` for each tuple in one round trip; returns the list of results."""
        calls = [[list(args), {}] for args in arg_tuples]
        return self.request({"op": "map", "func": func, "calls": calls, "pick": pick})
