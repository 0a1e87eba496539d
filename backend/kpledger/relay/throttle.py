"""Per-signer throttling: what a signer's failed requests cost the relayer is charged to that signer, in gas, and a
signer that owes too much waits (429 SignerThrottled, with when to retry) while the others' requests go on.

A request refused in the simulation costs the gas its call used there (nothing is sent). A call that passed the
simulation and failed on chain cost the relayer real gas, and only its signer's code (a two-faced ERC-1271 wallet)
or a race can cause it: it is charged ON_CHAIN_WEIGHT times its bound, doubled for every earlier such failure of
the signer not yet forgiven (one is forgiven per STRIKE_MEMORY), so a wallet that keeps failing on chain waits
exponentially longer. The debt drains at REFILL_PER_SECOND; a signer waits while it is over ALLOWANCE. Refusals
that anyone holding a signer's old signature can provoke (a used nonce, a passed deadline) and those that are the
relayer's own doing (a call it did not give enough gas) are not charged. The state is in memory: a restart forgets
it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kpledger.core.errors import SignerThrottled

ALLOWANCE = 10_000_000  # gas of failures a signer may owe and still be served (~100 refused ordinary writes)
REFILL_PER_SECOND = 1_000_000  # gas of failures forgiven per second
ON_CHAIN_WEIGHT = 100  # a failure on chain is charged its bound this many times (doubling with each repeat)
STRIKE_MEMORY = 3_600.0  # seconds after which one earlier failure on chain stops doubling the next one's charge
NOT_CHARGED = frozenset({"KPIntentBadNonce", "KPIntentExpired", "KPRelayBatchInsufficientGas"})
MAX_DOUBLINGS = 20  # the charge of a failure on chain stops doubling here (its wait is then about a year)
PRUNE_OVER = 10_000  # signers tracked before those that owe nothing are dropped


@dataclass
class _Debt:
    gas: float = 0.0  # owed at `at`
    at: float = 0.0
    strikes: int = 0  # failures on chain not forgiven yet, as of `struck_at`
    struck_at: float = 0.0

    def owed(self, now: float) -> float:
        return max(0.0, self.gas - REFILL_PER_SECOND * (now - self.at))

    def live_strikes(self, now: float) -> int:
        return max(0, self.strikes - int((now - self.struck_at) // STRIKE_MEMORY))


class Throttle:
    """The gas each signer's failed requests cost, and whether it must wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._debts: dict[str, _Debt] = {}
        self._lock = threading.Lock()

    def retry_after(self, signer: str) -> int:
        """Seconds the signer must wait before its next request is served (0: now). One dict lookup for a signer
        that owes nothing: the write path's cost."""
        debt = self._debts.get(signer)
        if debt is None:
            return 0
        with self._lock:
            over = debt.owed(self._clock()) - ALLOWANCE
        return math.ceil(over / REFILL_PER_SECOND) if over > 0 else 0

    def check(self, signer: str) -> None:
        """Raises SignerThrottled when the signer must wait."""
        wait = self.retry_after(signer)
        if wait:
            raise SignerThrottled(f"this signer's recent requests failed at the relayer's cost (refused in the "
                                  f"simulation, or failed on chain): retry after {wait} s",
                                  details={"signer": signer, "retry_after": wait})

    def refused(self, signer: str, gas_used: int, code: str) -> None:
        """A request refused in the simulation, whose call used `gas_used` there."""
        if code not in NOT_CHARGED:
            self._charge(signer, gas_used, strike=False)

    def failed_on_chain(self, signer: str, bound: int, code: str) -> None:
        """A call that passed the simulation and failed on chain, sent with gas bound `bound`."""
        if code not in NOT_CHARGED:
            self._charge(signer, bound * ON_CHAIN_WEIGHT, strike=True)

    def _charge(self, signer: str, gas: float, *, strike: bool) -> None:
        with self._lock:
            now = self._clock()
            debt = self._debts.get(signer)
            if debt is None:
                if len(self._debts) >= PRUNE_OVER:
                    self._prune(now)
                debt = self._debts[signer] = _Debt(at=now, struck_at=now)
            if strike:
                debt.strikes = debt.live_strikes(now) + 1
                debt.struck_at = now
                gas *= 2 ** min(debt.strikes - 1, MAX_DOUBLINGS)
            debt.gas, debt.at = debt.owed(now) + gas, now

    def _prune(self, now: float) -> None:
        for signer in [s for s, d in self._debts.items() if d.owed(now) == 0 and d.live_strikes(now) == 0]:
            del self._debts[signer]
