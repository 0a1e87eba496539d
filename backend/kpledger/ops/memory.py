"""Finding what grows in the server's memory, read at GET /admin/debug/memory (admin API): the process (resident
memory, threads, descriptors), the C allocator (glibc's heap in use and free: native memory such as SQLite's page
caches, and fragmentation), Python's allocated blocks and live objects by type (diffed against the first and the
previous reading), the database pool; with KP_DEBUG_MEMORY=true also tracemalloc snapshots diffed by allocation
site (debugging only: tracing every allocation costs CPU and memory)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

FRAMES = 3  # frames kept per allocation: who called the allocating code (more frames cost more CPU)
_IGNORED = (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            tracemalloc.Filter(False, "<unknown>"))


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


M_ARENA_MAX = -8  # mallopt parameter (malloc.h)


def _libc() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def limit_arenas(count: int) -> bool:
    """Caps glibc's malloc arenas (as MALLOC_ARENA_MAX would), before the server starts its threads.

    glibc gives threads arenas of their own (up to 8 per core), and each keeps the memory freed in it: the
    soak measured the backend's C heap holding 7 MB free after a minute and 22 MB after eight, in use flat, as
    worker threads came and went. Two arenas keep that small for a server whose threads mostly wait."""
    libc = _libc()
    return bool(libc is not None and hasattr(libc, "mallopt") and libc.mallopt(M_ARENA_MAX, count) == 1)


def trim() -> None:
    """Gives the C heap's free pages back to the system (glibc's malloc_trim; a few ms)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _mallinfo() -> dict[str, float] | None:
    """glibc's allocator totals (mallinfo2, glibc 2.33+), in MB; None elsewhere."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    mb = 2**20
    return {"heap_mb": round(info.arena / mb, 1), "in_use_mb": round(info.uordblks / mb, 1),
            "free_mb": round(info.fordblks / mb, 1), "mmapped_mb": round(info.hblkhd / mb, 1)}


def process_reading(pool_status: str | None = None) -> dict[str, Any]:
    """Cheap facts about this process's memory (no tracing needed)."""
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kb = {k: int(v.split()[0]) / 1024 for k, v in fields.items() if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}
    return {"rss_mb": round(kb.get("VmRSS", 0), 1), "peak_rss_mb": round(kb.get("VmHWM", 0), 1),
            "anon_mb": round(kb.get("RssAnon", 0), 1), "threads": threading.active_count(),
            "fds": len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else None,
            "python_blocks": sys.getallocatedblocks(), "malloc": _mallinfo(), "db_pool": pool_status}


class MemoryProbe:
    """Keeps the first snapshot (after start-up) and the previous one; each reading diffs against both."""

    def __init__(self, pool_status: Any = None) -> None:
        self._pool_status = pool_status  # a callable giving the database pool's status line
        self._lock = threading.Lock()
        self._first: tracemalloc.Snapshot | None = None
        self._previous: tracemalloc.Snapshot | None = None
        self._first_types: Counter[str] = Counter()
        self._previous_types: Counter[str] = Counter()
        self._first_at = self._previous_at = 0.0

    def start(self) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(FRAMES)

    def reading(self, top: int = 25) -> dict[str, Any]:
        """Traced memory now, the allocation sites that grew most since the first and the previous reading (by
        traceback), and the object types whose live count grew."""
        with self._lock:
            gc.collect()
            tracing = tracemalloc.is_tracing()
            snapshot = tracemalloc.take_snapshot().filter_traces(_IGNORED) if tracing else None
            types = Counter(type(o).__qualname__ for o in gc.get_objects())
            now = time.time()
            if self._first_at == 0.0:
                self._first, self._first_types, self._first_at = snapshot, types, now
            out: dict[str, Any] = {"process": process_reading(self._pool_status() if self._pool_status else None),
                                   "objects": sum(types.values()), "tracing": tracing,
                                   "since_first_s": round(now - self._first_at, 1),
                                   "types_since_first": _type_diff(types, self._first_types, top)}
            if snapshot is not None and self._first is not None:
                out["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 2)
                out["since_first"] = _diff(snapshot, self._first, top)
            if self._previous_at:
                out["since_previous_s"] = round(now - self._previous_at, 1)
                out["types_since_previous"] = _type_diff(types, self._previous_types, top)
                if snapshot is not None and self._previous is not None:
                    out["since_previous"] = _diff(snapshot, self._previous, top)
            self._previous, self._previous_types, self._previous_at = snapshot, types, now
            return out


def _diff(new: tracemalloc.Snapshot, old: tracemalloc.Snapshot, top: int) -> list[dict[str, Any]]:
    stats = new.compare_to(old, "traceback")
    return [{"size_diff_kb": round(s.size_diff / 1024, 1), "size_kb": round(s.size / 1024, 1),
             "count_diff": s.count_diff, "where": [f"{f.filename}:{f.lineno}" for f in s.traceback]}
            for s in stats[:top] if s.size_diff > 0]


def _type_diff(new: Counter[str], old: Counter[str], top: int) -> list[tuple[str, int, int]]:
    grown = [(name, count - old.get(name, 0), count) for name, count in new.items() if count > old.get(name, 0)]
    return sorted(grown, key=lambda g: -g[1])[:top]
