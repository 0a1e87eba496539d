"""The backend's periodic readings for operators: the relayer's balance (warned about when low on a chain that
charges fees), the journal's counts and the index lag, every `monitor_interval` seconds, into the metrics; and the
C heap's free pages given back to the system at the same pace (see `ops.memory.limit_arenas`)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kpledger.chain.errors import RpcError
from kpledger.core.config import Settings
from kpledger.core.errors import ChainUnavailable
from kpledger.indexer import Indexer
from kpledger.ops import memory, metrics
from kpledger.relay import Relayer

log = logging.getLogger(__name__)

LOW_BALANCE_REPEAT = 600.0  # seconds between repeated low-balance warnings


class Monitor:
    """A daemon thread reading what the operators watch; `read()` once is what each round does."""

    def __init__(self, settings: Settings, relayer: Relayer, indexer: Indexer):
        self.settings, self.relayer, self.indexer = settings, relayer, indexer
        self.low_since: float | None = None
        self._warned_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            memory.trim()  # freed C memory back to the system (glibc keeps it otherwise)
            try:
                self.read()
            except (ChainUnavailable, RpcError, RuntimeError) as exc:
                log.debug("monitor: chain not readable (%s)", type(exc).__name__)
            except Exception:  # never let the thread die; next round
                log.exception("monitor reading failed")
            self._stop.wait(self.settings.monitor_interval)

    def read(self) -> dict[str, Any]:
        """One round: chain head and the indexed block's times, the relayer's balance and fees, journal counts."""
        address = self.relayer.address
        indexed = self.indexer.indexed_block
        answers = self.relayer.chain.rpc.batch([
            ("eth_getBlockByNumber", ["latest", False]), ("eth_getBlockByNumber", [hex(max(indexed, 0)), False]),
            ("eth_getBalance", [address, "latest"]), ("eth_gasPrice", [])])
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        head, at_index, balance, gas_price = answers
        head_number = int(head["number"], 16)
        lag_s = int(head["timestamp"], 16) - int(at_index["timestamp"], 16) if at_index else 0.0
        metrics.index_position(indexed, head_number, lag_s if head_number > indexed else 0.0)
        by_status, pending_txs = self.relayer.journal.counts()
        metrics.journal_counts(by_status, pending_txs)
        wei = int(balance, 16)
        charged = int(gas_price, 16) > 0 or int(head.get("baseFeePerGas") or "0x0", 16) > 0
        low = charged and wei < self.settings.relayer_min_balance_wei
        metrics.balance(wei, low)
        self._warn(low, address, wei)
        return {"head": head_number, "indexed": indexed, "balance_wei": wei, "low_balance": low,
                "journal": by_status, "pending_transactions": pending_txs}

    def _warn(self, low: bool, address: str, wei: int) -> None:
        now = time.monotonic()
        fields = {"relayer": address, "balance_wei": wei, "threshold_wei": self.settings.relayer_min_balance_wei}
        if low and (self.low_since is None or now - self._warned_at >= LOW_BALANCE_REPEAT):
            log.warning("relayer balance low: fund the relayer account", extra={"fields": fields})
            self._warned_at = now
            self.low_since = self.low_since or now
        elif not low and self.low_since is not None:
            log.info("relayer balance back above the threshold", extra={"fields": fields})
            self.low_since = None
