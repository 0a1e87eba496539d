"""An indexer of a test's chain, run in-process, and its catching up."""

from __future__ import annotations

from kpledger.chain.contracts import Chain
from kpledger.core.config import Settings
from kpledger.db.session import Database
from kpledger.dev.stack import MANIFEST
from kpledger.indexer import Indexer
from tests.support.stack import Node


def make_indexer(node: Node, db_url: str | None = None, **options) -> Indexer:
    settings = Settings(environment="test", rpc_url=node.url, data_dir=node.data_dir, build_manifest=MANIFEST,
                        database_url=db_url, **options)
    return Indexer(settings, Chain(settings), Database(settings.database_url))


def catch_up(indexer: Indexer) -> None:
    while indexer.step():
        pass
