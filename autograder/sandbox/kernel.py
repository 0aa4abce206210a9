"""nbgrader's grading kernels, started inside the bubblewrap sandbox.

nbgrader runs each student's notebook in a Jupyter kernel; started as it comes, that kernel
is the instructor, sees the whole course folder and may rewrite it. The kernelspec
``cs231n-sandboxed`` (``jupyter/kernels/``, put on ``JUPYTER_PATH`` by
``autograder/course/nbconfig.py``) starts this file instead of ``ipykernel_launcher``. It runs
outside the sandbox, as the instructor, with only the standard library and this package
(``python -I``: nothing from the working folder, which is the student's), and:

* copies the submission's library (``cs231n_lib/`` of the working folder nbgrader gives the
  kernel, with the limits of ``process.copy_library``) into a private folder, bound
  read-only as ``/submission``, the kernel's working folder;
* binds the Python runtime, its site-packages and the ``autograder`` package read-only,
  gives the kernel a private, bounded ``/tmp`` and starts ``ipykernel_launcher`` in bwrap
  (no network, own PID namespace, as nobody for a root instructor, with the limits of
  ``limits.py``). The course folder, ``solutions/``, other submissions and the gradebook
  are not there;
* talks ZMQ over IPC sockets, not TCP (``c.KernelManager.transport = "ipc"``): the kernel
  binds them in a private folder bound writable as ``/run/kernel``, and the host's socket
  paths, where the kernel manager connects, are symbolic links to them. With no network in
  the sandbox, the kernel reaches nothing else: not the instructor's own kernels either.

Where no sandbox can be made, the kernel does not start and says why and what to install;
``CS231N_UNSANDBOXED_KERNELS=1`` runs it unsandboxed instead, as nbgrader does by default.
Inside, ``CS231N_KERNEL_SANDBOX=1`` tells ``check()`` that the whole kernel is the sandbox.
"""

import json
import os
import pathlib
import shutil
import signal
import sys
import tempfile

if __name__ == "__main__":  # started as a file with -I: the package is two folders up
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from autograder.sandbox import bwrap, privileges  # noqa: E402
from autograder.sandbox.limits import PREFIX, Limits, sweep_stale  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
KERNEL_NAME = "cs231n-sandboxed"
JUPYTER_DIR = HERE / "jupyter"  # a JUPYTER_PATH entry: kernels/cs231n-sandboxed/kernel.json
OPT_OUT = "CS231N_UNSANDBOXED_KERNELS"
MARKER = "CS231N_KERNEL_SANDBOX"
PASSED = ("NBGRADER_EXECUTION", "CS231N_GRADING_SEED")  # the instructor's variables the notebook may read
RUN, SUBMISSION, CODE = "/run/kernel", "/submission", "/grader/lib"  # paths inside
SOCKETS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
LIMITS = {"memory_mb": 4096, "processes": 256, "cpu_seconds": 3600}  # a whole notebook, every cell


class KernelError(Exception):
    pass


def socket_prefix():
    """For the kernel manager (``c.KernelManager.ip``): where the host ends of this process's
    kernels' sockets go, a private folder removed at exit (or, if the process is killed, by
    the next sandbox's sweep)."""
    import atexit

    folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-sockets-")
    atexit.register(shutil.rmtree, folder, True)
    return f"{folder}/kernel"


def private_folder(workdir, connection):
    """A fresh folder with ``submission/cs231n_lib`` (the working folder's library, copied
    with limits) and ``run/connection.json`` (``connection`` with the sockets' path inside)."""
    from autograder.sandbox.process import StudentError, copy_library

    folder = pathlib.Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-kernel-"))
    (folder / "submission").mkdir()
    notes = []
    library = pathlib.Path(workdir) / "cs231n_lib"
    if library.is_dir() and not library.is_symlink():
        try:
            copy_library(library, folder / "submission" / "cs231n_lib")
        except (StudentError, OSError, RecursionError, ValueError) as exc:
            shutil.rmtree(folder / "submission" / "cs231n_lib", ignore_errors=True)
            notes.append(f"the submitted cs231n_lib was not given to the notebook: {getattr(exc, 'message', exc)}")
    elif library.is_symlink():
        notes.append("the submitted cs231n_lib is a symbolic link; it was not given to the notebook")
    privileges.readable_by_nobody(folder / "submission")
    run = folder / "run"
    run.mkdir(mode=0o700)
    inside = {**connection, "transport": "ipc", "ip": f"{RUN}/k"}
    (run / "connection.json").write_text(json.dumps(inside))
    if privileges.running_as_root():  # the kernel is nobody: its sockets' folder must be its own
        for path in (run, run / "connection.json"):
            os.chown(path, privileges.NOBODY, privileges.NOBODY)
    return folder, notes


def link_sockets(connection, run):
    """Symbolic links from the host paths the kernel manager connects to, to the kernel's sockets."""
    links = []
    for key in SOCKETS:
        host = pathlib.Path(f"{connection['ip']}-{connection[key]}")
        if host.is_symlink() or host.exists():
            host.unlink()
        host.symlink_to(run / f"k-{connection[key]}")
        links.append(host)
    return links


def environment():
    env = {"HOME": "/tmp", "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONPATH": CODE,
           "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "CS231N_MAX_PROCESSES": str(LIMITS["processes"]), MARKER: "1", "LANG": "C.UTF-8",
           "JPY_PARENT_PID": "1"}  # its parent is the sandbox's init: no banner, no poller
    env.update({name: os.environ[name] for name in PASSED if name in os.environ})
    return env


def binds():
    """(host, inside) pairs bound read-only: the runtime, the environment's packages, autograder."""
    _, base = bwrap.python_runtime()
    found = [] if str(base).startswith("/usr/") else [(base, base)]
    prefix = pathlib.Path(sys.prefix).resolve()
    if prefix != base and not str(prefix).startswith("/usr/"):
        found.append((prefix, pathlib.Path(sys.prefix)))
    found.append((HERE.parent, f"{CODE}/autograder"))
    found += [(path, path) for path in map(pathlib.Path, ("/etc/fonts",)) if path.is_dir()]  # matplotlib's fc-list
    return found


def command(tool, folder, extra):
    limits = Limits(**LIMITS)
    program = [sys.executable, "-m", "ipykernel_launcher", "-f", f"{RUN}/connection.json", *extra]
    bound = [*binds(), (folder / "submission", SUBMISSION)]
    argv, prepare_child = bwrap.launch(tool, program, None, limits, bound=bound,
                                       writable_bound=[(folder / "run", RUN)], environment=environment(),
                                       chdir=SUBMISSION)
    return argv, prepare_child, limits


def parse(argv):
    """(connection file, the other arguments) of ``-f FILE ARGS...``."""
    if len(argv) < 2 or argv[0] != "-f":
        raise KernelError("usage: kernel.py -f CONNECTION_FILE [kernel arguments]")
    return pathlib.Path(argv[1]), argv[2:]


def main(argv):
    import subprocess

    connection_file, extra = parse(argv)
    if os.environ.get(OPT_OUT) == "1":
        print(f"cs231n kernel: {OPT_OUT}=1: this notebook runs unsandboxed, with your rights", file=sys.stderr)
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file), *extra])
    connection = json.loads(connection_file.read_text())
    if connection.get("transport") != "ipc" or not os.path.isabs(connection.get("ip", "")):
        raise KernelError("the sandboxed kernel needs c.KernelManager.transport = 'ipc' and an absolute "
                          "c.KernelManager.ip (autograder/course/nbconfig.py sets both; is nbgrader_config.py "
                          "loading it?)")
    tool, why = bwrap.detect()
    if tool is None:
        raise KernelError(f"the notebook's kernel cannot be sandboxed: {why}. To grade without the sandbox "
                          f"(student code then runs with your rights), set {OPT_OUT}=1")
    sweep_stale()
    folder, notes = private_folder(os.getcwd(), connection)
    links, limits, child = [], None, None

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        for note in notes:
            print(f"cs231n kernel: {note}", file=sys.stderr)
        links = link_sockets(connection, folder / "run")
        argv, prepare_child, limits = command(tool, folder, extra)
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=prepare_child)
        return child.wait()
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        if limits is not None:
            limits.release()
        for link in links:
            try:
                link.unlink()
            except OSError:
                pass
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KernelError as exc:
        print(f"cs231n kernel: {exc}", file=sys.stderr)
        sys.exit(3)
