"""What a notebook imports: ``setup()`` finds the library, ``check(name)`` runs one check,
``require(...)`` stops early when earlier notebooks' functions are missing, ``record(name, x)``
keeps a number the prose quotes."""

import inspect
import os
import pathlib
import re
import sys


def find_library(start=None):
    """The folder holding the nearest ``cs231n_lib/``: ``start`` (default: cwd) or a parent."""
    here = pathlib.Path(start or os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "cs231n_lib" / "__init__.py").is_file():
            return folder
    raise FileNotFoundError(
        f"No cs231n_lib/ folder in {here} or any folder above it. Open the notebook from "
        "inside the course folder, or put your cs231n_lib/ next to the notebook."
    )


def setup(verbose=True):
    """Put the nearest ``cs231n_lib`` first on ``sys.path``; return True while nbgrader grades.

    It also keeps BLAS to one thread: the notebooks multiply small matrices, for which
    threads only add overhead, and on a busy 2-core machine they made training 50x slower.
    In IPython it turns on autoreload, so edits to cs231n_lib take effect without a restart.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    try:
        shell = get_ipython()  # noqa: F821 (defined only inside IPython)
        shell.run_line_magic("load_ext", "autoreload")
        shell.run_line_magic("autoreload", "2")
    except NameError:
        pass
    folder = find_library()
    if sys.path[:1] != [str(folder)]:
        sys.path.insert(0, str(folder))
    if verbose:
        print(f"Using cs231n_lib from {folder / 'cs231n_lib'}")
        print("Saved edits to it take effect at the next cell you run. After changing a function's signature or "
              "a module's top level (imports, constants, a class), restart the kernel (Kernel > Restart Kernel): "
              "until then tracebacks may show stale lines (a check's message always reads the file as it is now).")
    return bool(os.environ.get("NBGRADER_EXECUTION"))


SOLUTIONS_VARIABLE = "CS231N_SOLUTIONS"


def find_solutions():
    """The instructor's solutions/ folder (for hidden checks in the instructor's own kernels):
    the folder ``$CS231N_SOLUTIONS`` names, or None when it is not set.

    It is never searched for: a ``solutions/`` folder planted above a notebook is not
    looked at. The configured folder, its ``hidden_checks/`` and ``cs231n_lib/`` (and every
    file in them) must belong to the current user and be writable by no one else, or
    ``PermissionError`` says which one is not.
    """
    configured = os.environ.get(SOLUTIONS_VARIABLE)
    if not configured:
        return None
    folder = pathlib.Path(configured).expanduser().resolve()
    owned = [folder]
    for sub in ("hidden_checks", "cs231n_lib"):
        owned += [folder / sub, *(folder / sub).rglob("*")]
    for path in owned:
        try:
            info = path.lstat()
        except OSError as exc:
            raise PermissionError(f"${SOLUTIONS_VARIABLE}: {path} cannot be read ({exc.strerror})") from None
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise PermissionError(f"${SOLUTIONS_VARIABLE}: {path} must belong to you and be writable by you only "
                                  "(someone else could plant checks there)")
    return folder


_warned_unisolated = []
_kernel_sandboxes = {}  # library folder -> its Sandbox, in the grading kernel only


def sandbox_for(lib):
    """A Sandbox for a self-check: isolated where the machine allows it, else (said once) not."""
    from .sandbox import Sandbox, isolation
    from .sandbox.kernel import MARKER

    if os.environ.get(MARKER) == "1":
        # nbgrader's sandboxed grading kernel: it is the sandbox already, and its library a
        # read-only copy, so one worker serves all its checks, as in `autograder grade`.
        if str(lib) not in _kernel_sandboxes:
            _kernel_sandboxes[str(lib)] = Sandbox(lib, isolate=False)
        return _kernel_sandboxes[str(lib)]
    isolated, why = isolation()
    if not isolated and not _warned_unisolated:
        _warned_unisolated.append(why)
        print(f"note: checks run in a separate process, but not in an isolated sandbox on this machine: {why}",
              file=sys.stderr)
    return Sandbox(lib, isolate=isolated)


class CheckFailed(AssertionError):
    """A check failed in a notebook. IPython (and so JupyterLab and nbgrader's feedback) shows
    only what ``_render_traceback_`` returns, one line naming the check and the reason, not a
    traceback through the grader; elsewhere it is an AssertionError with the reason."""

    def __init__(self, message, name="check"):
        super().__init__(message)
        self.name = name

    def _render_traceback_(self):
        first, *rest = str(self).splitlines() or [""]
        return [f"\x1b[1;31m{self.name} failed:\x1b[0m {first}", *rest]


def check(name):
    """Run one check on the library this notebook uses, in a separate process.

    Prints a line when it passes; raises CheckFailed (an AssertionError) with the reason
    when it fails, so nbgrader scores the cell exactly as ``python -m autograder grade``
    scores the check. Hidden checks draw fresh inputs each time, unless
    CS231N_GRADING_SEED fixes the seed.
    """
    __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks
    from . import grading
    from .registry import load_checks

    lib = find_library() / "cs231n_lib"
    try:
        solutions = find_solutions()
    except PermissionError as exc:
        raise CheckFailed(str(exc), name) from None
    checks = load_checks(grading.hidden_checks_dir(solutions) if solutions else None)
    if name not in checks and solutions is None:
        raise CheckFailed(f"no visible check is named {name!r}: a hidden check is scored by the course's trusted "
                          "grader (`autograder sync-gradebook`), not in this notebook", name)
    if name not in checks:
        raise CheckFailed(f"there is no check named {name!r} (`python -m autograder list` shows them)", name)
    reference = grading.trusted_reference(solutions) if checks[name].hidden else None
    seed = int(os.environ.get("CS231N_GRADING_SEED") or grading.new_seed())
    sandbox = sandbox_for(lib)
    try:
        result = grading.run_check(checks[name], sandbox, reference, seed)
    finally:
        if sandbox is not _kernel_sandboxes.get(str(lib)):
            sandbox.close()
    if result["score"] < result["max_score"]:
        raise CheckFailed(result["output"], name) from None
    print(f"passed {name}: {result['score']:g}/{result['max_score']:g} points")


# --- What a notebook needs from earlier ones ------------------------------------------------

STUB = re.compile(r'raise NotImplementedError\(\s*"[\w.]+: implement it, see notebook')


def missing_functions(names, library=None):
    """Of ``names`` ('module.function'), those the library lacks or still has as the released stub."""
    import importlib

    if library is not None and sys.path[:1] != [str(library)]:
        sys.path.insert(0, str(library))
    missing = []
    for name in names:
        module, _, function = name.rpartition(".")
        try:
            func = getattr(importlib.import_module(f"cs231n_lib.{module}"), function)
            source = inspect.getsource(func)
        except (ImportError, AttributeError, OSError, TypeError):
            missing.append(name)
            continue
        if STUB.search(source):
            missing.append(name)
    return missing


def require(*names):
    """Stop the notebook here, with what to do, if a function it needs from an earlier notebook
    is still the released stub (or is missing). ``names`` are 'module.function' strings.

    It reads the function's source instead of calling it, so it costs nothing and needs no
    inputs; a function counts as implemented once its stub's ``raise NotImplementedError``
    line is gone (the check in the earlier notebook says whether it is right).
    """
    __tracebackhide__ = True  # IPython shows the message, not this helper's frames
    from .registry import load_checks

    owner = {}
    for c in load_checks().values():
        for tag in c.tags:
            owner.setdefault(tag, c.assignment)
    unknown = [n for n in names if n not in owner]
    if unknown:
        raise ValueError(f"require: {', '.join(unknown)} is not a function any notebook asks students to write")
    missing = missing_functions(names)
    if missing:
        todo = "; ".join(f"{n} (implement it, see notebook {owner[n]})" for n in missing)
        raise NotImplementedError(
            f"This notebook builds on functions from earlier notebooks that are not implemented yet: {todo}. "
            "Implement them, run their checks there, then run this notebook again.") from None


# --- Numbers the prose quotes -----------------------------------------------------------------

_recorded = {}


def record(name, value):
    """Keep a measured number under ``name``; returns None, so that a cell ending in ``record(...)``
    echoes nothing.

    Markdown quotes it as ``0.47<!--q name-->`` (or states a bound, ``<!--q name >3-->``);
    the test that executes the master notebook compares every quote with what was recorded
    (``autograder.course.quotes``), so prose cannot drift from the outputs.
    """
    if hasattr(value, "item"):
        value = value.item()  # a numpy scalar or 0-d array -> a Python number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"record({name!r}, ...): a number is needed, got {type(value).__name__}")
    _recorded[name] = value


def recorded():
    """Everything ``record`` kept in this kernel: {name: number}."""
    return dict(_recorded)

