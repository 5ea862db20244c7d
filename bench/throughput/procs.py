"""CPU time and resident memory of a process and its descendants, read from /proc.

CPU of a tree = Σ over its live processes of utime + stime + cutime + cstime. A child that
exits and is reaped moves its whole time into its parent's cutime/cstime, so a before/after
difference stays right when Celery replaces a pool process mid-phase.
"""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def parse_stat(line: str) -> tuple[float, float]:
    """(own CPU seconds, reaped children's CPU seconds) from one /proc/<pid>/stat line."""
    fields = line.rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    """Live descendants of ``pid``, found through /proc/<pid>/task/*/children."""
    out: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            out.extend(children)
            stack.extend(children)
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and all its descendants, dead (reaped) or alive."""
    total = 0.0
    for member in [pid, *descendants(pid)]:
        try:
            own, reaped = parse_stat(Path(f"/proc/{member}/stat").read_text())
        except (OSError, IndexError, ValueError):
            continue
        total += own + reaped
    return total


def tree_pss(pid: int) -> int:
    """Proportional bytes of ``pid`` and its live descendants: each shared page split among the
    processes that map it, so pages a pool inherits from its main process count once."""
    total = 0
    for member in [pid, *descendants(pid)]:
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its live descendants (shared pages counted per process)."""
    total = 0
    for member in [pid, *descendants(pid)]:
        try:
            resident = int(Path(f"/proc/{member}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident * PAGE_SIZE
    return total
