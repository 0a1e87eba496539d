"""How the relayer's sender takes a batch off its queue: by count and by encoded size (no chain needed)."""

from __future__ import annotations

import threading
from collections import deque
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from kpledger.core.config import Settings
from kpledger.relay.batcher import Batcher
from kpledger.relay.calls import EXECUTE_SELECTOR, batch_calldata

ADDRESS = "0x" + "11" * 20


def sender_with(queue_data: list[bytes], max_calls: int = 200, max_bytes: int = 900_000) -> Batcher:
    """A Batcher with only what `_take` uses: its queue of (call data) items and its batch settings."""
    r = Batcher.__new__(Batcher)
    r._queue = deque(SimpleNamespace(data=d, alone=False) for d in queue_data)  # type: ignore[misc]
    r._cv = threading.Condition()
    r._stop = threading.Event()
    r._paused = threading.Event()
    r._last_batch = 0
    r.linger = 0.0
    r.settings = SimpleNamespace(batch_max_calls=max_calls, batch_max_bytes=max_bytes)  # type: ignore[assignment]
    return r


def encoded_size(items: list[SimpleNamespace]) -> int:
    """The size in bytes of the execute calldata the relayer builds for these calls."""
    return len(batch_calldata(EXECUTE_SELECTOR, [(ADDRESS, i.data, 2**40) for i in items]))


def test_takes_at_most_the_call_count() -> None:
    r = sender_with([b"\0"] * 10, max_calls=4)
    assert len(r._take()) == 4
    assert len(r._queue) == 6


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 3_000), min_size=1, max_size=120), budget=st.integers(2_000, 60_000))
def test_a_batch_is_the_longest_prefix_whose_encoding_fits_the_budget(sizes: list[int], budget: int) -> None:
    queue = [b"\xab" * n for n in sizes]
    r = sender_with(queue, max_calls=10_000, max_bytes=budget)
    taken, rest = [], list(queue)
    while r._queue:
        batch = r._take()
        assert batch and [i.data for i in batch] == rest[:len(batch)]  # in order, nothing lost
        rest = rest[len(batch):]
        if len(batch) > 1:  # a lone call over the budget still goes (on its own)
            assert encoded_size(batch) <= budget
        if rest:  # and one more would not have fitted
            assert encoded_size([*batch, SimpleNamespace(data=rest[0])]) > budget
        taken += batch
    assert [i.data for i in taken] == queue


def test_a_single_oversized_call_still_goes_alone() -> None:
    huge = bytes(1_000_000)
    r = sender_with([huge, b"\0"])
    assert [i.data for i in r._take()] == [huge]
    assert len(r._take()) == 1


def test_the_default_budget_fits_a_2_mib_request() -> None:
    # the simulation request and the signed transaction each carry the encoded batch once, hex-encoded, with a
    # JSON-RPC envelope of a few hundred bytes (anvil refuses bodies over 2 MiB)
    assert 2 * Settings().batch_max_bytes + 4_096 < 2 * 1024 * 1024
