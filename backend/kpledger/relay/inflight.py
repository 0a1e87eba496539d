"""The batch transactions the receipt thread awaits: a set of transaction hashes behind its own lock.

The receipts stage owns it (`Receipts.in_flight`); the sender enters a batch's hash in it while it still holds the
nonce reservation, right after the journal commit, so a reconciliation (which takes the nonce lock) never sees a
journaled batch that the receipt thread is about to read without seeing it awaited. The reconciler leaves the rows
of an awaited transaction alone; the receipt thread takes its hashes out once their rows have their outcome."""

from __future__ import annotations

import threading
from collections.abc import Iterable


class InFlight:
    """Transaction hashes whose receipt the receipt thread awaits (every signed version of each)."""

    def __init__(self) -> None:
        self._hashes: set[str] = set()
        self._lock = threading.Lock()

    def add(self, tx_hash: str) -> None:
        with self._lock:
            self._hashes.add(tx_hash)

    def discard(self, tx_hashes: Iterable[str]) -> None:
        """Takes these hashes out (those not awaited are ignored)."""
        with self._lock:
            self._hashes.difference_update(tx_hashes)

    def __contains__(self, tx_hash: object) -> bool:
        with self._lock:
            return tx_hash in self._hashes

    def __len__(self) -> int:
        with self._lock:
            return len(self._hashes)

    def __bool__(self) -> bool:
        return len(self) > 0
