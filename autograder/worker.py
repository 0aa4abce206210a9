"""The worker: the only process that imports a student's ``cs231n_lib``.

Started by ``autograder.sandbox`` as ``python -I -B worker.py LIB_DIR REQUEST_FD REPLY_FD``.
It answers requests to call library functions and replies with plain values
(``autograder.codec``); it never sees what the grader expects.
"""

import importlib
import importlib.util
import os
import pathlib
import sys
import traceback


def _import_grader_modules():
    # Only autograder's own helpers come from the project folder; sys.path is restored so
    # that nothing of the student's can shadow them, and nothing of ours shadows theirs.
    root = str(pathlib.Path(__file__).resolve().parents[1])
    sys.path.insert(0, root)
    try:
        from autograder import codec, probes
    finally:
        sys.path.remove(root)
    return codec, probes


codec, probes = _import_grader_modules()


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
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, SystemExit):
        message = f"called sys.exit({exc.code!r})"
    return {"kind": kind, "message": message, "where": _where(exc, lib_dir)}


class Library:
    """The student's package, loaded by path under the name ``cs231n_lib``."""

    def __init__(self, lib_dir):
        self.dir = str(pathlib.Path(lib_dir).resolve())
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
        return probes.PROBES[node["probe"]]


def _pick(result, index):
    if index is None:
        return result
    if not isinstance(result, tuple) or len(result) <= index:
        raise TypeError(f"returned {type(result).__name__}, expected a tuple such as (out, cache)")
    return result[index]


def serve(lib, request):
    func = lib.function(request["func"])
    pick = request.get("pick")
    if request["op"] == "map":
        return [_pick(func(*args, **kwargs), pick) for args, kwargs in request["calls"]]
    args, kwargs = request["args"], request["kwargs"]
    result = _pick(func(*args, **kwargs), pick)
    return (result, list(args)) if request.get("return_args") else result


def main(lib_dir, request_fd, reply_fd):
    lib, load_error = None, None
    try:
        lib = Library(lib_dir)
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
            try:
                request = codec.decode(data, resolve=lib.resolve)
                reply = {"ok": serve(lib, request)}
            except LookupError as exc:
                reply = {"error": {"kind": "missing", "message": str(exc), "where": None}}
            except BaseException as exc:  # student code may raise anything, even SystemExit
                reply = {"error": _describe(exc, lib.dir)}
        try:
            payload = codec.encode(reply, keep=lib.keep if lib else None)
        except BaseException as exc:
            payload = codec.encode({"error": {"kind": "exception", "message": f"could not send the result: {exc}", "where": None}})
        codec.write_message(reply_fd, payload)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
