"""The relayer account's transaction nonces: a lock-protected counter, never behind the chain."""

from __future__ import annotations

import threading


class NonceCounter:
    """Next relayer nonce; callers hold `lock` across allocate, sign, journal and send."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._next: int | None = None

    @property
    def ready(self) -> bool:
        """Whether the counter was initialised from the chain."""
        return self._next is not None

    def sync(self, chain_pending: int, journal_next: int) -> int:
        """Moves the counter up to what the chain and the journal have used (never down)."""
        with self.lock:
            self._next = max(self._next or 0, chain_pending, journal_next)
            return self._next

    def reset(self) -> None:
        """Forgets the counter (another relayer account: `sync()` again before allocating)."""
        with self.lock:
            self._next = None

    def peek(self) -> int:
        """The nonce the next allocation will return."""
        assert self._next is not None, "sync() first"
        return self._next

    def allocate(self) -> int:
        """Takes the next nonce (caller holds `lock`)."""
        assert self._next is not None, "sync() first"
        nonce = self._next
        self._next += 1
        return nonce

    def release(self, nonce: int) -> None:
        """Gives back the last allocated nonce when it was neither journaled nor sent."""
        if self._next == nonce + 1:
            self._next = nonce
