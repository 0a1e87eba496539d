"""A relayed write's timeline, for its log event: when it was queued, simulated, sent and mined."""

from __future__ import annotations

import time
from typing import Any


class WriteTrace:
    """Monotonic stamps of one write request's steps (None: not reached), filled by the relayer's threads."""

    __slots__ = ("start", "taken", "simulated", "sent", "mined", "request_id", "signer", "batch_calls")

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.taken: float | None = None  # the batch sender took it from the queue
        self.simulated: float | None = None  # its batch's simulation answered
        self.sent: float | None = None  # journaled and sent
        self.mined: float | None = None  # its receipt was read and its outcome recorded
        self.request_id: str | None = None
        self.signer: str | None = None
        self.batch_calls: int | None = None

    def fields(self, indexed: float | None = None) -> dict[str, Any]:
        """The timings in ms since the request arrived (queued: waiting for the batch sender)."""
        def ms(stamp: float | None) -> float | None:
            return None if stamp is None else round((stamp - self.start) * 1000, 1)

        return {"queued_ms": ms(self.taken), "simulated_ms": ms(self.simulated), "sent_ms": ms(self.sent),
                "mined_ms": ms(self.mined), "indexed_ms": ms(indexed), "batch_calls": self.batch_calls}
