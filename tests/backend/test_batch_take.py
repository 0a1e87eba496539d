"""How the relayer's sender takes a batch off its queue: by count and by call-data size (no chain needed)."""

from __future__ import annotations

import threading
from collections import deque
from types import SimpleNamespace

from kpledger.relay import relayer as relayer_module
from kpledger.relay.relayer import BATCH_MAX_HEX_CHARS, Relayer


def sender_with(queue_data: list[str], max_calls: int = 200) -> Relayer:
    """A Relayer with only what `_take` uses: its queue of (call data) items and its batch settings."""
    r = Relayer.__new__(Relayer)
    r._queue = deque(SimpleNamespace(data=d) for d in queue_data)  # type: ignore[misc]
    r._queue_cv = threading.Condition()
    r._stop = threading.Event()
    r._last_batch = 0
    r.batch_linger = 0.0
    r.settings = SimpleNamespace(batch_max_calls=max_calls)  # type: ignore[assignment]
    return r


def test_takes_at_most_the_call_count() -> None:
    r = sender_with(["0x00"] * 10, max_calls=4)
    assert len(r._take()) == 4
    assert len(r._queue) == 6


def test_cuts_a_batch_at_the_call_data_budget_and_keeps_the_rest_in_order() -> None:
    call = "0x" + "ab" * 10_000  # 20,002 hex characters
    per_batch = BATCH_MAX_HEX_CHARS // len(call)
    r = sender_with([call] * (per_batch + 5), max_calls=10_000)
    first = r._take()
    assert len(first) == per_batch
    assert sum(len(i.data) for i in first) <= BATCH_MAX_HEX_CHARS
    assert len(r._take()) == 5


def test_a_single_oversized_call_still_goes_alone() -> None:
    huge = "0x" + "00" * (BATCH_MAX_HEX_CHARS // 2 + 1)
    r = sender_with([huge, "0x00"])
    assert [i.data for i in r._take()] == [huge]
    assert len(r._take()) == 1


def test_the_budget_is_well_under_a_2_mib_request() -> None:
    # the simulation request and the signed transaction each carry the calls once, hex-encoded
    assert relayer_module.BATCH_MAX_HEX_CHARS * 1.2 < 2 * 1024 * 1024
