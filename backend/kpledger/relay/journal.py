"""The relay journal: every accepted request, committed (fsynced) before its transaction is sent."""

from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, update

from kpledger.db.models import RelayRequest, RelayTransaction
from kpledger.db.session import Database

PENDING, SENT, MINED, FAILED = "pending", "sent", "mined", "failed"
UNFINISHED = (PENDING, SENT)
Entry = tuple[str, str, str, dict[str, Any]]  # a request journaled with its batch: (id, action, signer, body)


def acknowledged(row: RelayRequest) -> bool:
    """Whether the relayer owes the request to the chain because it was mined once (its client may have been
    answered `mined`): such a row keeps its result while it waits again after a reorganisation
    (`Receipts.reconcile`), until it is mined again or the chain refuses it for good (`failed`)."""
    return row.result is not None and row.status != FAILED


class Journal:
    """Reads and writes RelayRequest rows, one committed transaction per change."""

    def __init__(self, db: Database):
        self.db = db

    def get(self, request_id: str) -> RelayRequest | None:
        """The journaled request with this id, if any."""
        with self.db.session() as s:
            return s.get(RelayRequest, request_id)

    def duplicates(self, request_ids: list[str]) -> dict[str, RelayRequest]:
        """The duplicate check, the only one: the rows of those requests that were run before (journaled and not
        failed), which are answered from the journal and never run again. A failed request was not executed:
        submitted again, it runs again under the same id. One query for a whole batch."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.id.in_(request_ids), RelayRequest.status != FAILED)
            return {row.id: row for row in s.scalars(q)}

    def record_batch(self, entries: list[Entry], *, relayer: str, relayer_nonce: int, raw_tx: str,
                     tx_hash: str) -> None:
        """Journals the requests of one batch transaction ((id, action, signer, body) in call order) in one commit.

        The raw transaction is stored once (relay_transactions), new requests are inserted in bulk, and a
        failed request submitted again (a retry, rare) is updated in place."""
        now = time.time()
        ids = [e[0] for e in entries]
        with self.db.transaction() as s:
            s.execute(insert(RelayTransaction), [{"tx_hash": tx_hash, "relayer_nonce": relayer_nonce,
                                                 "relayer": relayer, "raw_tx": raw_tx, "created_at": now}])
            retried = set(s.scalars(select(RelayRequest.id).where(RelayRequest.id.in_(ids))))
            rows = [{"id": request_id, "action": action, "signer": signer, "body": body, "status": PENDING,
                     "relayer_nonce": relayer_nonce, "relayer": relayer, "tx_hash": tx_hash,
                     "batch_index": index, "block_number": None, "result": None,
                     "error": None, "created_at": now, "updated_at": now}
                    for index, (request_id, action, signer, body) in enumerate(entries)]
            if fresh := [r for r in rows if r["id"] not in retried]:
                s.execute(insert(RelayRequest), fresh)
            for row in rows:
                if row["id"] in retried:
                    fields = {k: v for k, v in row.items() if k not in ("id", "action", "signer", "created_at")}
                    s.execute(update(RelayRequest).where(RelayRequest.id == row["id"]).values(**fields))

    def refuse_batch(self, tx_hash: str, request_ids: list[str], error: dict[str, Any]) -> None:
        """A batch transaction the node refused outright (nothing ran; its nonce is reused): forgets it and marks its
        requests failed with `error`, in one commit."""
        with self.db.transaction() as s:
            s.execute(delete(RelayTransaction).where(RelayTransaction.tx_hash == tx_hash))
            s.execute(update(RelayRequest).where(RelayRequest.id.in_(request_ids)).values(
                status=FAILED, relayer_nonce=None, error=error, updated_at=time.time()))

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
            relayer = s.scalar(select(RelayTransaction.relayer).where(RelayTransaction.tx_hash == current_hash))
            s.execute(insert(RelayTransaction), [{"tx_hash": tx_hash, "relayer_nonce": nonce, "relayer": relayer,
                                                 "raw_tx": raw_tx, "created_at": time.time()}])
            s.execute(update(RelayRequest).where(RelayRequest.tx_hash == current_hash)
                      .values(tx_hash=tx_hash, updated_at=time.time()))

    def versions(self, relayer: str | None, nonce: int) -> list[str]:
        """The hashes of every version `relayer` signed for a nonce, oldest first."""
        with self.db.session() as s:
            return list(s.scalars(select(RelayTransaction.tx_hash).where(RelayTransaction.relayer == relayer,
                                                                         RelayTransaction.relayer_nonce == nonce)
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

    def reissue(self, calls: list[tuple[str, int | None]], *, relayer: str, relayer_nonce: int, raw_tx: str,
                tx_hash: str) -> None:
        """Journals a new transaction that executes again the calls of requests whose earlier transaction cannot
        (`(request id, its call's index in the new transaction)`), and points those requests at it, `sent`, in one
        fsynced commit before it is sent. Their result stays (`acknowledged`)."""
        now = time.time()
        with self.db.transaction() as s:
            s.execute(insert(RelayTransaction), [{"tx_hash": tx_hash, "relayer_nonce": relayer_nonce,
                                                 "relayer": relayer, "raw_tx": raw_tx, "created_at": now}])
            for request_id, index in calls:
                s.execute(update(RelayRequest).where(RelayRequest.id == request_id).values(
                    relayer=relayer, relayer_nonce=relayer_nonce, tx_hash=tx_hash, batch_index=index, status=SENT,
                    block_number=None, error=None, updated_at=now))

    def refuse_reissue(self, tx_hash: str, rows: list[RelayRequest]) -> None:
        """A re-issue the node refused outright: forgets it and points its requests back at the transaction they
        had, `sent` (the reconciler finds them there again), in one commit."""
        now = time.time()
        with self.db.transaction() as s:
            s.execute(delete(RelayTransaction).where(RelayTransaction.tx_hash == tx_hash))
            for row in rows:
                s.execute(update(RelayRequest).where(RelayRequest.id == row.id).values(
                    relayer=row.relayer, relayer_nonce=row.relayer_nonce, tx_hash=row.tx_hash,
                    batch_index=row.batch_index, status=SENT, updated_at=now))

    def of_transactions(self, tx_hashes: list[str]) -> list[RelayRequest]:
        """The requests of these transactions, in relayer-nonce and call order."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.tx_hash.in_(tx_hashes)).order_by(
                RelayRequest.relayer_nonce, RelayRequest.batch_index)
            return list(s.scalars(q))

    def mined_since(self, relayer: str, block: int, chunk: int = 500) -> dict[str, int]:
        """The transactions of `relayer` the journal records as mined at `block` or later, with their block: read
        newest nonce first, and stopping at the first older one (nonces are mined in order)."""
        found: dict[str, int] = {}
        below: int | None = None
        with self.db.session() as s:
            while True:
                q = select(RelayRequest.relayer_nonce, RelayRequest.tx_hash, RelayRequest.block_number).where(
                    RelayRequest.relayer == relayer, RelayRequest.relayer_nonce.is_not(None))
                if below is not None:  # the rest of a nonce shares its transaction: skipping it loses nothing
                    q = q.where(RelayRequest.relayer_nonce < below)
                page = s.execute(q.order_by(RelayRequest.relayer_nonce.desc()).limit(chunk)).all()
                for _nonce, tx_hash, mined_in in page:
                    if mined_in is None or tx_hash is None:
                        continue  # without an outcome yet
                    if mined_in < block:
                        return found
                    found[tx_hash] = mined_in
                if len(page) < chunk:
                    return found
                below = page[-1][0]

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
            if row is None:
                raise LookupError(f"no journaled request {request_id}")
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = time.time()

    def mark_sent(self, request_ids: list[str]) -> None:
        """Marks requests `sent` if they are still `pending` (never overwrites an outcome)."""
        with self.db.transaction() as s:
            s.execute(update(RelayRequest).where(RelayRequest.id.in_(request_ids), RelayRequest.status == PENDING)
                      .values(status=SENT, updated_at=time.time()))

    def next_nonce(self, relayer: str) -> int:
        """One past the highest nonce of `relayer` the journal used (0 when none)."""
        with self.db.session() as s:
            top = s.scalar(select(func.max(RelayRequest.relayer_nonce)).where(RelayRequest.relayer == relayer))
        return 0 if top is None else top + 1

    def from_nonce(self, relayer: str, nonce: int) -> list[RelayRequest]:
        """Requests sent by `relayer` at nonce `nonce` or above, in nonce order (not on chain if the chain is
        there)."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.relayer == relayer, RelayRequest.relayer_nonce >= nonce
                                           ).order_by(RelayRequest.relayer_nonce)
            return list(s.scalars(q))

    def unmined_raw_from(self, relayer: str, nonce: int) -> list[str]:
        """The signed transactions (latest version) of `relayer`'s unfinished requests with relayer nonce `nonce` or
        above, in nonce order, once each."""
        with self.db.session() as s:
            q = (select(RelayRequest.relayer_nonce, RelayTransaction.raw_tx).distinct()
                 .join(RelayTransaction, RelayTransaction.tx_hash == RelayRequest.tx_hash)
                 .where(RelayRequest.relayer == relayer, RelayRequest.status.in_(UNFINISHED),
                        RelayRequest.relayer_nonce >= nonce)
                 .order_by(RelayRequest.relayer_nonce))
            return [raw for _nonce, raw in s.execute(q)]

    def unfinished_below(self, relayer: str, nonce: int) -> list[RelayRequest]:
        """Pending or sent requests of `relayer` whose nonce the chain has used (their receipt is due)."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.relayer == relayer, RelayRequest.status.in_(UNFINISHED),
                                           RelayRequest.relayer_nonce < nonce).order_by(RelayRequest.relayer_nonce)
            return list(s.scalars(q))

    def adopt(self, relayer: str) -> int:
        """Gives rows journaled with a nonce but no relayer address (older journals whose signed transaction did not
        decode) to `relayer`; returns how many."""
        with self.db.transaction() as s:
            s.execute(update(RelayTransaction).where(RelayTransaction.relayer.is_(None)).values(relayer=relayer))
            done = s.execute(update(RelayRequest).where(RelayRequest.relayer.is_(None),
                                                        RelayRequest.relayer_nonce.is_not(None))
                             .values(relayer=relayer))
            return cast(CursorResult, done).rowcount  # an UPDATE's result is a CursorResult

    def unfinished_relayers(self) -> set[str]:
        """Relayer addresses that have journaled requests without an outcome."""
        with self.db.session() as s:
            return {a for a in s.scalars(select(RelayRequest.relayer).distinct().where(
                RelayRequest.status.in_(UNFINISHED), RelayRequest.relayer.is_not(None))) if a is not None}

    def counts(self) -> tuple[dict[str, int], int]:
        """Requests per status, and the number of transactions with requests not finished."""
        with self.db.engine.connect() as conn:
            by_status = dict(conn.execute(select(RelayRequest.status, func.count()).group_by(RelayRequest.status)
                                          ).all())
            pending = conn.execute(select(func.count(func.distinct(RelayRequest.tx_hash))).where(
                RelayRequest.status.in_(UNFINISHED))).scalar() or 0
        return {k: int(v) for k, v in by_status.items()}, int(pending)

    def counts_by_relayer(self) -> dict[str, dict[str, int]]:
        """Requests per relayer address and status ("none": refused before a transaction)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(RelayRequest.relayer, RelayRequest.status, func.count())
                                .group_by(RelayRequest.relayer, RelayRequest.status)).all()
        out: dict[str, dict[str, int]] = {}
        for relayer, status, count in rows:
            out.setdefault(relayer or "none", {})[status] = int(count)
        return out

    def unfinished_of(self, signer: str) -> list[RelayRequest]:
        """A signer's requests accepted but not mined yet."""
        with self.db.session() as s:
            q = select(RelayRequest).where(RelayRequest.signer == signer, RelayRequest.status.in_(UNFINISHED))
            return list(s.scalars(q))
