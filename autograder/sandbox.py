"""Run student code in a separate, limited process and get plain values back.

``Sandbox(lib_dir)`` starts ``worker.py`` lazily, in a scratch folder, with a memory limit
and its own process group. Every call has a deadline; a call that runs past it, or a
worker that dies (``sys.exit``, ``os._exit``, a crash), raises ``StudentError`` and the next
call starts a fresh worker. The grading process only ever decodes plain values.
"""

import os
import pathlib
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import codec

WORKER = pathlib.Path(__file__).with_name("worker.py")


class StudentError(Exception):
    """Student code failed: ``kind`` is one of missing, not_implemented, exception, exit,
    crash, timeout; ``message`` says what happened in words a student understands."""

    def __init__(self, kind, message, where=None):
        super().__init__(message)
        self.kind, self.message, self.where = kind, message, where


class Sandbox:
    def __init__(self, lib_dir, memory_mb=4096):
        self.lib_dir = str(pathlib.Path(lib_dir).resolve())
        self.memory_mb = memory_mb
        self.proc = None
        self.deadline = None

    # -- process management -------------------------------------------------------------
    def _limits(self):
        limit = self.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def start(self):
        self.scratch = tempfile.mkdtemp(prefix="cs231n-worker-")
        self.log = open(os.path.join(self.scratch, "output.txt"), "w+b")
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY_", "JUPYTER"))}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   MPLBACKEND="Agg", PYTHONHASHSEED="0", HOME=self.scratch)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(WORKER), self.lib_dir, str(req_r), str(rep_w)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, cwd=self.scratch,
            env=env, pass_fds=(req_r, rep_w), start_new_session=True, preexec_fn=self._limits,
        )
        os.close(req_r)
        os.close(rep_w)

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
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def output_tail(self, lines=5):
        """The last lines the worker printed (student prints, tracebacks of a crash)."""
        self.log.flush()
        self.log.seek(0)
        text = self.log.read().decode(errors="replace").strip().splitlines()
        return "\n".join(text[-lines:])

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
            raise StudentError("timeout", f"did not finish within {self.seconds:g} s (an endless loop?)")

    # -- calls ----------------------------------------------------------------------------
    def request(self, message):
        if self.proc is None:
            self.start()
        func = message["func"]
        try:
            codec.write_message(self.req_w, codec.encode(message))
            reply = codec.decode(codec.read_message(self.rep_r, wait=self._wait))
        except (EOFError, OSError):  # the worker died: sys.exit, os._exit, a crash
            tail = self.output_tail()
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            self.stop()
            how = (f"killed by signal {-code}" if code is not None and code < 0
                   else f"exited with code {code}" if code is not None else "stopped answering")
            raise StudentError(
                "crash", f"the process running your code {how} during {func}"
                + (f"; its last output:\n{tail}" if tail else "")) from None
        if "error" in reply:
            err = reply["error"]
            kind, at = err["kind"], f" (at {err['where']})" if err.get("where") else ""
            text = {"missing": err["message"],
                    "not_implemented": f"{func} is not implemented yet{at}",
                    "exit": f"{func} {err['message']}{at}; library code must return, not exit"
                    }.get(kind, f"{func} raised {err['message']}{at}")
            raise StudentError(kind, text, err.get("where"))
        return reply["ok"]

    def call(self, func, *args, pick=None, return_args=False, **kwargs):
        return self.request({"op": "call", "func": func, "args": list(args), "kwargs": kwargs,
                             "pick": pick, "return_args": return_args})

    def map(self, func, arg_tuples, pick=None):
        """Call ``func(*args)`` for each tuple in one round trip; returns the list of results."""
        calls = [[list(args), {}] for args in arg_tuples]
        return self.request({"op": "map", "func": func, "calls": calls, "pick": pick})
