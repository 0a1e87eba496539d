"""Finding what grows in the server's memory: tracemalloc snapshots diffed over time, and live objects counted by
type (KP_DEBUG_MEMORY=true; read at GET /admin/debug/memory). Debugging only: tracing allocations costs CPU and
memory."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from collections import Counter
from typing import Any

FRAMES = 3  # frames kept per allocation: who called the allocating code (more frames cost more CPU)
_IGNORED = (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            tracemalloc.Filter(False, "<unknown>"))


class MemoryProbe:
    """Keeps the first snapshot (after start-up) and the previous one; each reading diffs against both."""

    def __init__(self) -> None:
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
        if not tracemalloc.is_tracing():
            return {"tracing": False}
        with self._lock:
            gc.collect()
            snapshot = tracemalloc.take_snapshot().filter_traces(_IGNORED)
            types = Counter(type(o).__qualname__ for o in gc.get_objects())
            now = time.time()
            if self._first is None:
                self._first, self._first_types, self._first_at = snapshot, types, now
            out: dict[str, Any] = {"tracing": True, "traced_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 2),
                                   "since_first_s": round(now - self._first_at, 1),
                                   "since_first": _diff(snapshot, self._first, top),
                                   "types_since_first": _type_diff(types, self._first_types, top)}
            if self._previous is not None:
                out["since_previous_s"] = round(now - self._previous_at, 1)
                out["since_previous"] = _diff(snapshot, self._previous, top)
                out["types_since_previous"] = _type_diff(types, self._previous_types, top)
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
