"""Calendar periods of the KP statistics, in UTC: quarters and half-years, and which one a moment falls in."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Period:
    label: str  # 2026-Q1, 2026-H2
    start: int  # unix seconds, inclusive
    end: int  # unix seconds, exclusive

    def view(self) -> dict[str, Any]:
        return {"period": self.label, "start": iso_utc(self.start), "end": iso_utc(self.end)}


def _month_start(year: int, month: int) -> int:
    if month > 12:
        year, month = year + 1, month - 12
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


def iso_utc(seconds: int) -> str:
    """Unix seconds as ISO 8601 in UTC: 2026-01-01T00:00:00Z."""
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def quarters(year: int, quarter: int | None = None) -> list[Period]:
    """The quarters of `year` (or just one), in order."""
    return [Period(f"{year}-Q{q}", _month_start(year, 3 * q - 2), _month_start(year, 3 * q + 1))
            for q in ([quarter] if quarter else (1, 2, 3, 4))]


def halves(year: int, half: int | None = None) -> list[Period]:
    """The half-years of `year` (or just one), in order."""
    return [Period(f"{year}-H{h}", _month_start(year, 6 * h - 5), _month_start(year, 6 * h + 1))
            for h in ([half] if half else (1, 2))]


def period_of(periods: Sequence[Period], moment: int) -> Period | None:
    """The period of `periods` (sorted by start) that holds `moment`, if any."""
    i = bisect.bisect_right([p.start for p in periods], moment) - 1
    return periods[i] if i >= 0 and moment < periods[i].end else None
