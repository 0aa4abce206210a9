"""Resource limits for one sandbox: memory, processes, CPU, file sizes.

Per-process limits (``setrlimit``) always apply, but ``RLIMIT_AS`` bounds one process, not
a process tree, and ``RLIMIT_NPROC`` is not enforced for root. So where the grader may
create control groups (cgroup v2, or the v1 ``memory`` and ``pids`` hierarchies) each
sandbox also gets a group of its own, which bounds the memory and the number of
processes of everything inside it together, and lets ``kill_all`` reach every process.

The group also gets a CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``; ``cpus`` CPUs'
worth of time per period), so that sandboxes side by side share the machine fairly, and
counts the CPU time of everything in it (v2 ``cpu.stat``, v1 ``cpuacct.usage``): time
limits count that, not the wall clock of a crowded machine (``cpu_seconds``).
"""

import functools
import os
import pathlib
import resource
import signal
import time
import uuid

CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")


class Limits:
    def __init__(self, memory_mb=4096, processes=64, cpu_seconds=600, file_mb=64, cpus=1.0):
        self.memory_mb, self.processes = memory_mb, processes
        self.cpu_seconds, self.file_mb = cpu_seconds, file_mb
        self.cpus = cpus
        self.group = ControlGroup.create(memory_mb << 20, processes, cpus)

    def describe(self):
        whole = "for the whole sandbox" if self.group else "per process (no control group could be created)"
        cpu = (f", {self.cpus:g} CPU" if self.group and self.group.cpu_limited else "")
        return f"{self.memory_mb} MB of memory and {self.processes} processes{cpu} {whole}"

    def cpu_used(self):
        """Seconds of CPU that everything in the sandbox has used, or None where not counted."""
        return self.group.cpu_seconds() if self.group else None

    def apply_in_child(self):
        """Run between fork and exec: join the group, then lower the per-process limits.

        RLIMIT_NPROC is left to the worker: set here, it would count every process of the
        grader's user, outside the sandbox's user namespace too.
        """
        if self.group:
            self.group.join()
        for limit, value in [(resource.RLIMIT_AS, self.memory_mb << 20), (resource.RLIMIT_CORE, 0),
                             (resource.RLIMIT_CPU, self.cpu_seconds), (resource.RLIMIT_FSIZE, self.file_mb << 20)]:
            resource.setrlimit(limit, (value, value))

    def out_of_memory(self):
        return bool(self.group) and self.group.out_of_memory()

    def release(self):
        if self.group:
            self.group.remove()


PREFIX = "cs231n-sandbox-"  # + the grader's pid + "-" + a random part, for folders and groups
_swept = []


def _dead(name):
    """Whether the grader that made ``name`` (PREFIX + pid + ...) is gone."""
    try:
        os.kill(int(name[len(PREFIX):].split("-")[0]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError, OverflowError):
        return False
    return False


def sweep_stale():
    """Once per grader: remove the folders and control groups of graders that were killed."""
    if _swept:
        return
    _swept.append(True)
    import shutil
    import tempfile

    for folder in pathlib.Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        if _dead(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        own = _own_paths()
    except (OSError, ValueError):
        return
    parents = [CGROUP_ROOT / own[""]] if "" in own else []
    parents += [CGROUP_ROOT / c / own[c] for c in V1_CONTROLLERS if c in own]
    for parent in parents:
        for folder in parent.glob(PREFIX + "*") if parent.is_dir() else []:
            if _dead(folder.name):
                try:
                    ControlGroup([folder], 2 if parent == CGROUP_ROOT / own.get("", "-") else 1).remove(seconds=1)
                except OSError:
                    pass


def own_groups():
    """{hierarchy: path} of this process's groups when first asked (see ``_own_paths``): a pool
    process asks before it moves into a group of its own, so sandboxes go beside it."""
    return _own_paths()


@functools.cache
def _own_paths():
    """{hierarchy: path} from /proc/self/cgroup ('' is the cgroup v2 hierarchy)."""
    paths = {}
    for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path.lstrip("/")
    return paths


V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
PERIOD_US = 100_000


class ControlGroup:
    """A fresh control group (v2, or v1 memory + pids, with cpu and cpuacct where they can
    be had) below the grader's own. ``folders[0]`` holds the memory controller."""

    def __init__(self, folders, version, cpu_limited=False, usage=None):
        self.folders, self.version = folders, version
        self.cpu_limited = cpu_limited
        self.usage = usage  # (file, unit in seconds): v2 cpu.stat in us, v1 cpuacct.usage in ns

    @classmethod
    def create(cls, memory_bytes, processes, cpus=None):
        try:
            own = _own_paths()
        except (OSError, ValueError):
            return None
        name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"  # the grader's pid: whose it is
        for attempt in (cls._create_v2, cls._create_v1):
            try:
                group = attempt(own, name, memory_bytes, processes, cpus)
            except OSError:
                group = None
            if group:
                return group
        return None

    @classmethod
    def _create_v2(cls, own, name, memory_bytes, processes, cpus):
        if "" not in own or not (CGROUP_ROOT / "cgroup.controllers").is_file():
            return None
        parent = CGROUP_ROOT / own[""]
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            return None  # enabling them would need a parent without processes of its own
        folder = parent / name
        folder.mkdir()
        group = cls([folder], 2)
        try:
            (folder / "memory.max").write_text(str(memory_bytes))
            (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(processes))
            if cpus and "cpu" in enabled:
                (folder / "cpu.max").write_text(f"{int(cpus * PERIOD_US)} {PERIOD_US}")
                group.cpu_limited = True
            if (folder / "cpu.stat").is_file():
                group.usage = (folder / "cpu.stat", 1e-6)
        except OSError:
            group.remove()
            raise
        return group

    @classmethod
    def _create_v1(cls, own, name, memory_bytes, processes, cpus):
        if "memory" not in own or "pids" not in own:
            return None
        folders = [CGROUP_ROOT / c / own[c] / name for c in ("memory", "pids")]
        group = cls([], 1)
        try:
            for folder in folders:
                folder.mkdir()
                group.folders.append(folder)
            (folders[0] / "memory.limit_in_bytes").write_text(str(memory_bytes))
            (folders[1] / "pids.max").write_text(str(processes))
        except OSError:
            group.remove()
            raise
        for controller in ("cpu", "cpuacct") if cpus else ():  # optional: without them, wall time counts
            folder = CGROUP_ROOT / controller / own.get(controller, "-") / name
            try:
                if controller in own and (CGROUP_ROOT / controller / own[controller]).is_dir():
                    if not folder.is_dir():  # cpu and cpuacct may be one hierarchy (cpu,cpuacct)
                        folder.mkdir()
                        group.folders.append(folder)
                    if controller == "cpu":
                        (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                        (folder / "cpu.cfs_quota_us").write_text(str(int(cpus * PERIOD_US)))
                        group.cpu_limited = True
                    else:
                        group.usage = (folder / "cpuacct.usage", 1e-9)
            except OSError:
                pass
        return group

    def cpu_seconds(self):
        """CPU seconds used by everything in the group so far, or None where not counted."""
        if self.usage is None:
            return None
        path, unit = self.usage
        try:
            text = path.read_text()
            if path.name == "cpu.stat":
                text = dict(line.split() for line in text.splitlines())["usage_usec"]
            return int(text) * unit
        except (OSError, ValueError, KeyError):
            return None

    def join(self):
        for folder in self.folders:
            (folder / "cgroup.procs").write_text("0")  # 0: the writing process itself

    def pids(self):
        found = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def out_of_memory(self):
        try:
            if self.version == 2:
                events = dict(line.split() for line in (self.folders[0] / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
            return int((self.folders[0] / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def kill_all(self, seconds=5.0):
        """SIGKILL every process in the group until none is left; False if some outlived ``seconds``."""
        if self.version == 2 and (self.folders[0] / "cgroup.kill").exists():
            (self.folders[0] / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.001)
        return False

    def remove(self, seconds=5.0):
        self.kill_all(seconds)
        deadline = time.monotonic() + seconds
        for folder in reversed(self.folders):
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy for a moment after its last process has exited
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.001)

    def __bool__(self):
        return bool(self.folders)
