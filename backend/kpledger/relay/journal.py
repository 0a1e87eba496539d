"""The relay journal: every accepted request, committed (fsynced) before its transaction is sent."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from kpledger.db.models import RelayRequest, RelayTransaction
from kpledger.db.session import Database

PENDING, SENT, MINED, FAILED = "pending", "sent", "mined", "failed"
UNFINISHED = (PENDING, SENT)


class Journal:
    """Reads and writes RelayRequest rows, one committed transaction per change."""

    def __init__(self, db: Database):
        self.db = db

    def get(self, request_id: str) -> RelayRequest | None:
        """The journaled request with this id, if any."""
        with self.db.session() as s:
            return s.get(RelayRequest, request_id)

    def status(self, request_id: str) -> str | None:
        """The journaled request's status, None if it was never journaled (a light query for the write path)."""
        with self.db.engine.connect() as conn:
            return conn.execute(select(RelayRequest.status).where(RelayRequest.id == request_id)).scalar()

    def run_rows(self, request_ids: list[str]) -> dict[str, RelayRequest]:
        """The rows of those requests that are journaled and not failed (one query for a whole batch)."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.id.in_(request_ids), RelayRequest.status != FAILED)
            return {row.id: row for row in s.scalars(q)}

    def record_batch(self, entries: list[tuple[str, str, str, dict[str, Any]]], *, relayer_nonce: int, raw_tx: str,
                     tx_hash: str) -> None:
        """Journals the requests of one batch transaction ((id, action, signer, body) in call order) in one commit.

        The raw transaction is stored once (relay_transactions), new requests are inserted in bulk, and a
        failed request submitted again (a retry, rare) is updated in place."""
        now = time.time()
        ids = [e[0] for e in entries]
        with self.db.transaction() as s:
            s.execute(insert(RelayTransaction), [{"tx_hash": tx_hash, "relayer_nonce": relayer_nonce,
                                                 "raw_tx": raw_tx, "created_at": now}])
            retried = set(s.scalars(select(RelayRequest.id).where(RelayRequest.id.in_(ids))))
            rows = [{"id": request_id, "action": action, "signer": signer, "body": body, "status": PENDING,
                     "relayer_nonce": relayer_nonce, "tx_hash": tx_hash,
                     "batch_index": index, "block_number": None, "result": None,
                     "error": None, "created_at": now, "updated_at": now}
                    for index, (request_id, action, signer, body) in enumerate(entries)]
            if fresh := [r for r in rows if r["id"] not in retried]:
                s.execute(insert(RelayRequest), fresh)
            for row in rows:
                if row["id"] in retried:
                    fields = {k: v for k, v in row.items() if k not in ("id", "action", "signer", "created_at")}
                    s.execute(update(RelayRequest).where(RelayRequest.id == row["id"]).values(**fields))

    def raw_tx(self, row: RelayRequest) -> str | None:
        """The signed transaction of a journaled request (None once it was refused outright)."""
        if row.tx_hash is None or row.relayer_nonce is None:
            return None
        with self.db.session() as s:
            return s.scalar(select(RelayTransaction.raw_tx).where(RelayTransaction.tx_hash == row.tx_hash))

    def record_replacement(self, current_hash: str, nonce: int, raw_tx: str, tx_hash: str) -> None:
        """Journals a re-signed version of a transaction (same nonce, higher fees) and points its requests at it,
        in one fsynced commit, before it is sent. The earlier versions stay: whichever is mined settles them."""
        with self.db.transaction() as s:
            s.execute(insert(RelayTransaction), [{"tx_hash": tx_hash, "relayer_nonce": nonce, "raw_tx": raw_tx,
                                                 "created_at": time.time()}])
            s.execute(update(RelayRequest).where(RelayRequest.tx_hash == current_hash)
                      .values(tx_hash=tx_hash, updated_at=time.time()))

    def versions(self, nonce: int) -> list[str]:
        """The hashes of every version signed for a relayer nonce, oldest first."""
        with self.db.session() as s:
            return list(s.scalars(select(RelayTransaction.tx_hash).where(RelayTransaction.relayer_nonce == nonce)
                                  .order_by(RelayTransaction.created_at)))

    def signed_at(self, tx_hash: str) -> float | None:
        """When a journaled transaction version was signed (epoch seconds)."""
        with self.db.session() as s:
            return s.scalar(select(RelayTransaction.created_at).where(RelayTransaction.tx_hash == tx_hash))

    def point_to(self, hashes: list[str], mined_hash: str) -> None:
        """Points the requests of any of these versions at the one that was mined."""
        with self.db.transaction() as s:
            s.execute(update(RelayRequest).where(RelayRequest.tx_hash.in_(hashes))
                      .values(tx_hash=mined_hash, updated_at=time.time()))

    def forget_transaction(self, tx_hash: str) -> None:
        """Drops a signed transaction the node refused outright (its nonce is reused by another one)."""
        with self.db.transaction() as s:
            s.execute(delete(RelayTransaction).where(RelayTransaction.tx_hash == tx_hash))

    def update_many(self, changes: dict[str, dict[str, Any]], *, durable: bool = True) -> dict[str, RelayRequest]:
        """Sets fields of several journaled requests in one commit; returns the updated rows by id.

        `durable=False` for outcomes read from a receipt: a row that loses its outcome (power loss, not a
        process crash) is still pending with its nonce used, and the reconciler finalises it again."""
        now = time.time()
        with self.db.transaction(durable=durable) as s:
            rows = {r.id: r for r in s.scalars(select(RelayRequest).where(RelayRequest.id.in_(list(changes))))}
            for request_id, fields in changes.items():
                row = rows[request_id]
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = now
        return rows

    def update(self, request_id: str, **fields: Any) -> None:
        """Sets fields of a journaled request and commits."""
        with self.db.transaction() as s:
            row = s.get(RelayRequest, request_id)
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = time.time()

    def mark_sent(self, request_ids: list[str]) -> None:
        """Marks requests `sent` if they are still `pending` (never overwrites an outcome)."""
        with self.db.transaction() as s:
            s.execute(update(RelayRequest).where(RelayRequest.id.in_(request_ids), RelayRequest.status == PENDING)
                      .values(status=SENT, updated_at=time.time()))

    def next_nonce(self) -> int:
        """One past the highest relayer nonce the journal used (0 when empty)."""
        with self.db.session() as s:
            top = s.scalar(select(func.max(RelayRequest.relayer_nonce)))
        return 0 if top is None else top + 1

    def from_nonce(self, nonce: int) -> list[RelayRequest]:
        """Requests whose relayer nonce is `nonce` or above, in nonce order (not on chain if the chain is there)."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.relayer_nonce >= nonce).order_by(RelayRequest.relayer_nonce)
            return list(s.scalars(q))

    def unmined_raw_from(self, nonce: int) -> list[str]:
        """The signed transactions (latest version) of unfinished requests with relayer nonce `nonce` or above, in
        nonce order, once each."""
        with self.db.session() as s:
            q = (select(RelayRequest.relayer_nonce, RelayTransaction.raw_tx).distinct()
                 .join(RelayTransaction, RelayTransaction.tx_hash == RelayRequest.tx_hash)
                 .where(RelayRequest.status.in_(UNFINISHED), RelayRequest.relayer_nonce >= nonce)
                 .order_by(RelayRequest.relayer_nonce))
            return [raw for _nonce, raw in s.execute(q)]

    def unfinished_below(self, nonce: int) -> list[RelayRequest]:
        """Pending or sent requests whose relayer nonce the chain has used (their receipt is due)."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.status.in_(UNFINISHED),
                                           RelayRequest.relayer_nonce < nonce).order_by(RelayRequest.relayer_nonce)
            return list(s.scalars(q))

    def unfinished_of(self, signer: str) -> list[RelayRequest]:
        """A signer's requests accepted but not mined yet."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.signer == signer, RelayRequest.status.in_(UNFINISHED))
            return list(s.scalars(q))
