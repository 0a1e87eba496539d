"""The backend's long-lived services, built once from Settings and shared by the API."""

from __future__ import annotations

from dataclasses import dataclass

from kpledger.chain.contracts import Chain
from kpledger.core.config import Settings
from kpledger.db.session import Database
from kpledger.indexer.follower import Indexer
from kpledger.relay import Relayer


@dataclass
class Services:
    settings: Settings
    chain: Chain
    db: Database
    indexer: Indexer | None = None
    relayer: Relayer | None = None

    @classmethod
    def build(cls, settings: Settings) -> Services:
        return cls(settings=settings, chain=Chain(settings), db=Database(settings.database_url))

    def start(self) -> None:
        """Lets the relayer recover its journal and starts the indexer thread."""
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
