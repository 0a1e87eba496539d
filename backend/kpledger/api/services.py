"""The backend's long-lived services, built once from Settings and shared by the API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kpledger.api.monitor import Monitor
from kpledger.chain.contracts import Chain
from kpledger.core.config import Settings
from kpledger.db.session import Database
from kpledger.indexer import Indexer
from kpledger.ops import metrics
from kpledger.ops.memory import MemoryProbe
from kpledger.relay import Relayer
from kpledger.signing.requests import ReplayGuard

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    chain: Chain
    db: Database
    indexer: Indexer | None = None
    relayer: Relayer | None = None
    monitor: Monitor | None = None
    memory: MemoryProbe | None = None  # what /admin/debug/memory reads (tracemalloc with KP_DEBUG_MEMORY)
    replays: ReplayGuard = field(init=False)  # signed document requests seen, each accepted once

    def __post_init__(self) -> None:
        self.replays = ReplayGuard(self.settings.auth_window_seconds)
        if self.settings.admin_token is not None or self.settings.debug_memory:
            self.memory = MemoryProbe(self.db.engine.pool.status)
            if self.settings.debug_memory:
                self.memory.start()

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(settings=settings, chain=Chain(settings), db=Database(settings.database_url))

    def start(self) -> None:
        """Lets the relayer recover its journal and starts the indexer thread."""
        index = self.settings.relayer_dev_key_index(limit=32)
        if index is not None:
            log.warning("THE RELAYER KEY IS KEY #%d OF THE PUBLIC DEVELOPMENT MNEMONIC: anyone can sign with it. "
                        "Fine on the embedded development chain; refused with KP_ENVIRONMENT=production.", index)
        self.relayer = Relayer(self.settings, self.chain, self.db)
        self.relayer.recover()
        self.indexer = Indexer(self.settings, self.chain, self.db)
        self.relayer.on_mined = self.indexer.poke  # read-your-writes answers without waiting for the next poll
        self.indexer.start()
        metrics.queue_depth(lambda: self.relayer.batcher.depth if self.relayer else 0)
        metrics.relayer_address(self.relayer.address)
        self.monitor = Monitor(self.settings, self.relayer, self.indexer)
        self.monitor.start()

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        if self.indexer is not None:
            self.indexer.stop()
        if self.relayer is not None:
            self.relayer.close()
