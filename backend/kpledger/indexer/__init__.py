"""The indexer: the contracts' events followed into the database (`follower.Indexer`: resume, reorgs, rebuild),
projected into the read tables (`projector.Projector`, one handler per event) through a batch of cached rows
(`batch.ProjectionBatch`) written in bulk (`bulk`)."""

from kpledger.indexer.follower import Indexer

__all__ = ["Indexer"]
