"""Real processes in fault tests: who a process's children are, and whether one still runs."""

from __future__ import annotations

from pathlib import Path


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state is [0], parent [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid`."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = _stat(int(status.parent.name))
            except (OSError, ValueError):
                continue
            if int(fields[1]) == parent:
                child = int(status.parent.name)
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return _stat(pid)[0] != "Z"
    except OSError:
        return False


def newest(pids: set[int]) -> int:
    """The process started last (field 22 of stat, its start time in clock ticks)."""
    return max(pids, key=lambda pid: int(_stat(pid)[19]))


def eldest(pids: set[int]) -> int:
    """The process the others descend from: its parent is not among them (process ids wrap
    around on a busy machine, so the lowest id is not always the oldest), then the earliest
    started (field 22 of stat)."""
    roots = [pid for pid in pids if int(_stat(pid)[1]) not in pids] or list(pids)
    return min(roots, key=lambda pid: int(_stat(pid)[19]))
