"""The worker: the only process that imports a student's ``cs231n_lib``.

Started by ``autograder.sandbox`` as
``python -I -B -S worker.py LIB_DIR REQUEST_FD REPLY_FD [SITE_DIR ...]``, normally inside a
bubblewrap sandbox where this file and ``codec.py`` beside it are read-only and the
library is a private copy. It says ``ready`` once numpy is imported, and only then loads
the library (its ``__init__`` is student code). It answers requests to call library
functions with plain values (``codec``); it never sees what the grader expects. Calls
to a ``Callback`` go back to the grader, which evaluates them.
"""

import importlib
import importlib.util
import os
import pathlib
import sys
import traceback
import warnings

# -I leaves this file's folder off sys.path: put it (for codec.py) and numpy's folder first.
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), *sys.argv[4:]]
import codec  # noqa: E402


def _where(exc, lib_dir):
    """'file.py:line' of the deepest traceback frame inside the student's library."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(lib_dir)]
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{pathlib.Path(exc.filename).name}:{exc.lineno}"
    if not frames:
        return None
    return f"{pathlib.Path(frames[-1].filename).name}:{frames[-1].lineno}"


def _describe(exc, lib_dir):
    kind = {NotImplementedError: "not_implemented", SystemExit: "exit"}.get(type(exc), "exception")
    try:
        text = str(exc)[:4000]
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    except BaseException:  # a student's exception whose __str__ raises
        message = type(exc).__name__
    if isinstance(exc, SystemExit):
        message = f"called sys.exit({str(exc.code)[:100]})"
    return {"kind": kind, "message": message, "where": _where(exc, lib_dir)}


class Channel:
    """The two pipes to the grader; ``call_back`` lets a Callback reach it mid-request."""

    def __init__(self, request_fd, reply_fd):
        self.request_fd, self.reply_fd = request_fd, reply_fd

    def send(self, value, keep=None):
        codec.write_message(self.reply_fd, codec.encode(value, keep=keep))

    def receive(self, resolve=None):
        return codec.decode(codec.read_message(self.request_fd), resolve=resolve)

    def call_back(self, ident, args):
        self.send({"callback": ident, "args": list(args)})
        answer = self.receive()
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer["value"]


class Library:
    """The student's package, loaded by path under the name ``cs231n_lib``."""

    def __init__(self, lib_dir, channel):
        self.dir = str(pathlib.Path(lib_dir).resolve())
        self.channel = channel
        self.objects = {}
        init = pathlib.Path(self.dir) / "__init__.py"
        spec = importlib.util.spec_from_file_location("cs231n_lib", init, submodule_search_locations=[self.dir])
        package = importlib.util.module_from_spec(spec)
        sys.modules["cs231n_lib"] = package
        spec.loader.exec_module(package)

    def function(self, qualname):
        module_name, _, func_name = qualname.rpartition(".")
        try:
            module = importlib.import_module(f"cs231n_lib.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cs231n_lib.{module_name}":
                raise LookupError(f"cs231n_lib/{module_name}.py is missing") from None
            raise
        func = getattr(module, func_name, None)
        if not callable(func):
            raise LookupError(f"cs231n_lib/{module_name}.py has no function {func_name}")
        return func

    def keep(self, obj):
        ident = len(self.objects)
        self.objects[ident] = obj
        return ident

    def resolve(self, node):
        if "opaque" in node:
            return self.objects[node["opaque"]]
        if "rng" in node:
            import numpy as np

            return np.random.default_rng(node["rng"])
        ident, call_back = node["callback"], self.channel.call_back

        def f(*args):
            return call_back(ident, args)

        return f


def _pick(result, index):
    if index is None:
        return result
    if not isinstance(result, tuple) or len(result) <= index:
        raise TypeError(f"returned {type(result).__name__}, expected a tuple such as (out, cache)")
    return result[index]


def serve(lib, request):
    if request["op"] == "attribute":  # e.g. a network's params, for the grader to recompute its accuracy
        return getattr(request["object"], request["name"])
    func = lib.function(request["func"])
    pick = request.get("pick")
    if request["op"] == "map":
        return [_pick(func(*args, **kwargs), pick) for args, kwargs in request["calls"]]
    args, kwargs = request["args"], request["kwargs"]
    result = _pick(func(*args, **kwargs), pick)
    return (result, list(args)) if request.get("return_args") else result


QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)  # hidden by default


def _warnings_text(caught):
    """The distinct warnings a call raised, e.g. 'RuntimeWarning: overflow encountered in exp'."""
    seen = []
    for w in caught:
        if issubclass(w.category, QUIET_WARNINGS):
            continue
        text = f"{w.category.__name__}: {str(w.message)[:200]}"
        if text not in seen:
            seen.append(text)
    return seen[:5]


def main(lib_dir, request_fd, reply_fd):
    import resource

    import numpy  # noqa: F401  (imported before the library, so 'ready' means numpy works)

    # Set here rather than by the launcher: inside the sandbox's user namespace this counts
    # only the sandbox's own processes.
    limit = int(os.environ.get("CS231N_MAX_PROCESSES", "64"))
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))

    channel = Channel(request_fd, reply_fd)
    channel.send({"ready": True})
    lib, load_error = None, None
    try:
        lib = Library(lib_dir, channel)
    except BaseException as exc:  # a broken __init__.py fails every request, clearly
        load_error = _describe(exc, str(pathlib.Path(lib_dir).resolve()))
        load_error["message"] = "cs231n_lib/__init__.py failed to import: " + load_error["message"]
    while True:
        try:
            data = codec.read_message(request_fd)
        except EOFError:
            return
        reply = {"error": load_error}
        if lib is not None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    request = codec.decode(data, resolve=lib.resolve)
                    reply = {"ok": serve(lib, request)}
                except LookupError as exc:
                    reply = {"error": {"kind": "missing", "message": str(exc), "where": None}}
                except BaseException as exc:  # student code may raise anything, even SystemExit
                    reply = {"error": _describe(exc, lib.dir)}
            reply["warnings"] = _warnings_text(caught)
        try:
            payload = codec.encode(reply, keep=lib.keep if lib else None)
        except BaseException as exc:
            payload = codec.encode({"error": {"kind": "exception", "message": f"could not send the result: {exc}",
                                              "where": None}})
        codec.write_message(reply_fd, payload)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
