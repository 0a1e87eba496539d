"""The relayer account's transaction nonces: a lock-protected counter, never behind the chain, handed out as
reservations that give their nonce back unless it was journaled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Reservation:
    """One relayer nonce taken under the counter's lock: `keep()` once the transaction signed with it is journaled;
    otherwise the nonce is given back when the reservation ends (an exception, or nothing journaled)."""

    __slots__ = ("nonce", "kept")

    def __init__(self, nonce: int) -> None:
        self.nonce = nonce
        self.kept = False

    def keep(self) -> None:
        """The nonce is used: a journaled transaction carries it, sent or to be sent."""
        self.kept = True

    def give_back(self) -> None:
        """The transaction signed with it will never be mined (the node refused it outright, or the nonce was used
        elsewhere): the nonce is given back when the reservation ends."""
        self.kept = False


class NonceCounter:
    """Next relayer nonce. `reserve()` holds `lock` for the reservation's whole life (allocate, sign, journal,
    send); the reconciler holds the same lock to see the journal and the counter agree."""

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

    @contextmanager
    def reserve(self) -> Iterator[Reservation]:
        """Holds the lock and takes the next nonce; gives it back at the end unless `keep()` was called."""
        with self.lock:
            reservation = Reservation(self.allocate())
            try:
                yield reservation
            finally:
                if not reservation.kept:
                    self.release(reservation.nonce)

    def allocate(self) -> int:
        """Takes the next nonce (caller holds `lock`; `reserve()` is the safe form)."""
        assert self._next is not None, "sync() first"
        nonce = self._next
        self._next += 1
        return nonce

    def release(self, nonce: int) -> None:
        """Gives back the last allocated nonce when it was neither journaled nor sent."""
        with self.lock:
            if self._next == nonce + 1:
                self._next = nonce
