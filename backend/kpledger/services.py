"""The backend's long-lived services, built once from Settings and shared by the API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kpledger.chain.contracts import Chain
from kpledger.core.config import Settings
from kpledger.db.session import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    chain: Chain
    db: Database
    indexer: Any = None  # kpledger.indexer.follower.Indexer
    relayer: Any = None  # kpledger.relay.relayer.Relayer
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(settings=settings, chain=Chain(settings), db=Database(settings.database_url))

    def start(self) -> None:
        """Starts the indexer thread and lets the relayer recover its journal."""
        from kpledger.indexer.follower import Indexer
        from kpledger.relay.relayer import Relayer

        self.relayer = Relayer(self.settings, self.chain, self.db)
        self.relayer.recover()
        self.indexer = Indexer(self.settings, self.chain, self.db)
        self.relayer.on_mined = self.indexer.poke  # read-your-writes answers without waiting for the next poll
        self.indexer.start()

    def stop(self) -> None:
        if self.indexer is not None:
            self.indexer.stop()
        if self.relayer is not None:
            self.relayer.close()
