"""Processes that grade one task at a time, where a process's death costs only its task.

``ProcessPoolExecutor`` breaks as a whole when one of its processes dies (killed by the
kernel for memory, say): every task still pending fails, and which one killed it is lost.
Here each process has a pipe of its own and runs one task at a time, so the pool always
knows which task a dead process held. That task is reported as a death (with how it
died), a fresh process takes the dead one's place, and every other task runs as usual.

``memory_mb`` puts each process in a control group of its own with that memory limit
(where the grader may make one): a grader process that outgrows it is the one the kernel
kills, not a neighbour or the run itself. The sandboxes a process starts get groups
beside it, not inside it, so student code keeps its own, separate limit.
"""

import dataclasses
import multiprocessing
import multiprocessing.connection
import signal

from ..sandbox import limits


@dataclasses.dataclass
class Outcome:
    task: object
    value: object = None  # what func returned
    death: str | None = None  # how the process died while it held the task


_END = object()


def _serve(conn, func, initializer, group):
    if group is not None:
        limits.own_groups()  # remembered before moving: the sandboxes' groups go beside this one
        group.join()
    if initializer is not None:
        initializer()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(func(task))


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _Slot:
    def __init__(self, context, func, initializer, memory_mb):
        self.group = limits.ControlGroup.create(memory_mb << 20, 512) if memory_mb else None
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=_serve, args=(child, func, initializer, self.group), daemon=True)
        self.proc.start()
        child.close()
        self.task, self.memory_mb = None, memory_mb

    def death(self):
        """How the process died, in words (after it has)."""
        self.proc.join()
        code = self.proc.exitcode
        how = (f"was killed by {_signal_name(-code)}" if code is not None and code < 0
               else f"exited with code {code}")
        if self.group and self.group.out_of_memory():
            how += f" after it reached its memory limit of {self.memory_mb} MB"
        elif code == -signal.SIGKILL:
            how += " (the kernel does this to a process that takes too much memory)"
        return f"the grading process {how}"

    def close(self):
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()
        if self.group:
            self.group.remove()


def can_limit(memory_mb):
    """Whether a process here can be given a memory limit of its own (a control group)."""
    group = limits.ControlGroup.create(memory_mb << 20, 8)
    if group:
        group.remove()
    return bool(group)


def run(func, tasks, jobs, initializer=None, memory_mb=None):
    """Yield an ``Outcome`` for each of ``tasks`` as it finishes: ``func(task)`` run in one of
    ``jobs`` processes, or how the process running it died."""
    context = multiprocessing.get_context("spawn")
    tasks, pending = iter(tasks), []  # read lazily: the caller may add tasks while this runs
    slots = []

    def more():
        if not pending:
            task = next(tasks, _END)
            if task is not _END:
                pending.append(task)
        return bool(pending)

    try:
        while more() or any(s.task is not None for s in slots):
            for slot in [s for s in slots if s.task is None and not s.proc.is_alive()]:
                slots.remove(slot)  # died between tasks: nothing of a task was lost
                slot.close()
            while more():
                slot = next((s for s in slots if s.task is None), None)
                if slot is None:
                    if len(slots) >= jobs:
                        break
                    slot = _Slot(context, func, initializer, memory_mb)
                    slots.append(slot)
                slot.task = pending.pop()
                try:
                    slot.conn.send(slot.task)
                except OSError:  # it died just now: the wait below reports it
                    pass
            busy = [s for s in slots if s.task is not None]
            ready = multiprocessing.connection.wait([s.conn for s in busy] + [s.proc.sentinel for s in busy])
            for slot in busy:
                if slot.conn not in ready and slot.proc.sentinel not in ready:
                    continue
                task, slot.task = slot.task, None
                try:
                    outcome = Outcome(task, value=slot.conn.recv())
                except (EOFError, OSError):
                    outcome = Outcome(task, death=slot.death())
                    slots.remove(slot)
                    slot.close()
                yield outcome
    finally:
        for slot in slots:
            slot.close()
