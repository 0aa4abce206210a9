"""A grader running as root must not make student code root.

bubblewrap maps the sandbox's user to the user who started it. Started by root, student
code would be the host's uid 0 without capabilities, which is still enough to write the
kernel's settings under /proc/sys (they are checked by owner, not by capability) or to
change the modes of root's files it holds open. So a root grader starts bwrap as the
unprivileged user ``nobody``.

bwrap must then still reach what it binds (the Python runtime, numpy, the worker, the
library's copy, bwrap itself), which may sit in folders only root may enter (``/root``, a
pytest temp folder). So, between fork and exec, the child moves to a mount namespace of
its own, mounts a small tmpfs over an existing folder such as ``/mnt`` (there only, the
host does not see it) and bind-mounts each of those paths into it, while still root;
then it becomes nobody for good. The mounts vanish with the namespace.
"""

import ctypes
import ctypes.util
import os
import pathlib

NOBODY = 65534
CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18
STAGES = ("/mnt", "/media", "/srv", "/opt", "/var/tmp", "/tmp")  # one existing folder is covered, in the child only

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def running_as_root():
    return os.geteuid() == 0


class Staging:
    """Where each of ``paths`` appears, for bwrap started as nobody."""

    def __init__(self, paths):
        self.stage = next((s for s in STAGES if os.path.isdir(s) and os.stat(s).st_mode & 0o001), None)
        if self.stage is None:
            raise OSError(f"none of {', '.join(STAGES)} exists to stage the sandbox's files in")
        self.points = {pathlib.Path(p).resolve(): f"{self.stage}/{i}" for i, p in enumerate(dict.fromkeys(paths))}

    def __getitem__(self, path):
        """Where ``path``, or the staged folder that holds it, appears."""
        path = pathlib.Path(path).resolve()
        for source, point in self.points.items():
            if path == source or source in path.parents:
                return str(pathlib.Path(point) / path.relative_to(source))
        raise KeyError(path)

    def apply_in_child(self):
        """Between fork and exec: private mounts, the staged paths, then become nobody for good."""
        _check(_libc.unshare(CLONE_NEWNS), "unshare")
        _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        sources = {point: os.open(source, os.O_PATH) for source, point in self.points.items()}
        _check(_libc.mount(b"tmpfs", self.stage.encode(), b"tmpfs", 0, b"mode=0755,size=64k"), f"tmpfs on {self.stage}")
        for point, fd in sources.items():
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(point, 0o755)
            else:
                os.close(os.open(point, os.O_CREAT | os.O_WRONLY, 0o755))
            _check(_libc.mount(f"/proc/self/fd/{fd}".encode(), point.encode(), None, MS_BIND | MS_REC, None),
                   f"bind onto {point}")
            os.close(fd)
        become_nobody()


def become_nobody():
    """For good: no supplementary groups, and nobody's group and user, real, effective and saved."""
    become(NOBODY)


def become(uid):
    """For good: no supplementary groups, and ``uid`` as user and group, real, effective and saved."""
    uid = NOBODY if uid is None else uid
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


FRESH_UIDS = (0x60000000, 0x7FFF0000)  # far above any account's uid, below the 32-bit user-namespace edge


def _uids_in_use():
    used = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                used.add(os.stat(entry.path).st_uid)
            except OSError:
                pass
    return used


def fresh_uid():
    """A uid (and gid of the same number) that no account and no running process has: each
    sandbox a user of its own, so one student's worker can neither signal another's nor read
    its files. Only root can become it."""
    import pwd
    import secrets

    used = _uids_in_use()
    while True:
        uid = FRESH_UIDS[0] + secrets.randbelow(FRESH_UIDS[1] - FRESH_UIDS[0])
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in used:
                return uid


def readable_by_nobody(folder):
    """Let nobody read ``folder`` (a private copy made by root) and enter its subfolders;
    nothing there is writable but by root."""
    for here, dirs, files in os.walk(folder):
        os.chmod(here, 0o755)
        for name in files:
            os.chmod(os.path.join(here, name), 0o644)


def readable_by(folder, uid):
    """Let ``uid`` alone read ``folder`` (a private copy made by root): root's, in group
    ``uid``, readable by the group and no one else; ``None``: by everyone (``readable_by_nobody``)."""
    if uid is None or not running_as_root():
        return readable_by_nobody(folder)
    for here, dirs, files in os.walk(folder):
        os.chown(here, 0, uid)
        os.chmod(here, 0o750)
        for name in files:
            os.chown(os.path.join(here, name), 0, uid)
            os.chmod(os.path.join(here, name), 0o640)


def exposed(paths):
    """The files under ``paths`` that a user other than their owner and group may read (by
    the modes' "other" bits and the folders above): what a sandbox's own user could copy."""
    found = []
    for root in paths:
        root = pathlib.Path(root)
        if not root.exists():
            continue
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and nobody_may(path):
                found.append(path)
    return found


def nobody_may(path, file_mode=0o004):
    """Whether nobody (neither owner nor group) may reach ``path`` and has ``file_mode`` on it
    (0o004 read, 0o005 read and run), judging by the modes' "other" bits."""
    path = pathlib.Path(path).resolve()
    try:
        if any(not os.stat(folder).st_mode & 0o001 for folder in path.parents):
            return False
        return os.stat(path).st_mode & file_mode == file_mode
    except OSError:
        return False


def interpreter_for_nobody(executable):
    """An interpreter nobody may run: ``executable``, or else the system's of the same version
    (/usr/bin/pythonX.Y: its extension modules load the same packages); None if neither."""
    import sys

    for candidate in (executable, f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"):
        if candidate and nobody_may(candidate, 0o005):
            return str(candidate)
    return None
