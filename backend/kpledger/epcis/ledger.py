"""Reads what the EPCIS export needs from the index: the ledger's events in chain order, and the projection rows
(parcels, consignments, certificates, members, participants) they refer to, loaded in bulk and cached per reader.

The attributes read from projections never change after creation (weights, HS codes, origins, seals, a
member's participant, a certificate's facts), so today's rows describe past events faithfully.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from sqlalchemy import Row, select, tuple_
from sqlalchemy.orm import Session

from kpledger.db import models as m
from kpledger.queries.provenance import lineage

Position = tuple[int, int]  # (block number, log index): a ledger event's place in chain order
CERTIFICATE_EVENTS = ("CertificateIssued", "ImportConfirmed", "ImportDiscrepancy", "CertificateVoided")
_CHUNK = 500
_Row = TypeVar("_Row", bound=m.Base)


def position(row: Row) -> Position:
    return row.block_number, row.log_index


class LedgerReader:
    """One session's view of the index for the export; every lookup is cached for the reader's lifetime."""

    def __init__(self, session: Session):
        self.s = session
        self._rows: dict[type[m.Base], dict[Any, Any]] = {
            t: {} for t in (m.Parcel, m.Consignment, m.Certificate, m.Member, m.Participant)}
        self._groups: dict[tuple[str, int], list[Row]] = {}

    # ------------------------------------------------------------ ledger events

    def events_at(self, positions: Iterable[Position]) -> list[Row]:
        """The ledger events at these positions, in chain order."""
        wanted = sorted(set(positions))
        rows: list[Row] = []
        key = tuple_(m.Event.block_number, m.Event.log_index)
        for i in range(0, len(wanted), _CHUNK):
            rows += self.s.execute(select(m.Event.__table__).where(key.in_(wanted[i:i + _CHUNK]))).all()
        return sorted(rows, key=position)

    def events_after(self, after: Position | None, names: Sequence[str], limit: int, *, since: int | None = None,
                     before: int | None = None, before_exempt: Sequence[str] = ()) -> list[Row]:
        """Up to `limit` ledger events named `names` after `after`, in chain order, recorded at or after `since`
        and before `before` (block time, seconds; events named in `before_exempt` are not held to `before`)."""
        query = select(m.Event.__table__).where(m.Event.name.in_(names))
        if after is not None:
            query = query.where(tuple_(m.Event.block_number, m.Event.log_index) > tuple_(*after))
        if since is not None:
            query = query.where(m.Event.timestamp >= since)
        if before is not None:
            query = query.where((m.Event.timestamp < before) | m.Event.name.in_(before_exempt))
        query = query.order_by(m.Event.block_number, m.Event.log_index).limit(limit)
        return list(self.s.execute(query).all())

    def split_group(self, row: Row) -> list[Row]:
        """Every ParcelSplit event of the split `row` belongs to (one per child), in chain order."""
        group = (row.tx_hash, row.args["parentId"])
        if group not in self._groups:
            siblings = self.s.execute(select(m.Event.__table__).where(
                m.Event.tx_hash == row.tx_hash, m.Event.name == "ParcelSplit")).all()
            self._groups[group] = sorted((r for r in siblings if r.args["parentId"] == group[1]), key=position)
        return self._groups[group]

    def issuing_event(self, certificate: m.Certificate) -> Row:
        rows = self.s.execute(select(m.Event.__table__).where(
            m.Event.tx_hash == certificate.issued_tx, m.Event.name == "CertificateIssued")).all()
        return next(r for r in rows if r.args["certificateKey"] == certificate.key)

    def offered_seal(self, lot_id: int, at: Position) -> str | None:
        """The seal id named by the last offer of `lot_id` before `at` (what a mismatch was checked against)."""
        step = self.s.execute(
            select(m.CustodyStep.seal_id).where(
                m.CustodyStep.lot_id == lot_id, m.CustodyStep.kind == "offered",
                tuple_(m.CustodyStep.block_number, m.CustodyStep.log_index) < tuple_(*at))
            .order_by(m.CustodyStep.block_number.desc(), m.CustodyStep.log_index.desc()).limit(1)).scalar()
        return step

    # ------------------------------------------------------------ which events tell a lot's story

    def provenance_lots(self, lot_id: int) -> tuple[set[int], set[int]] | None:
        """(lots, consumed): the lots whose events make up `lot_id`'s provenance (the parcels back to the mines
        and every consignment they travelled in), and the parcels whose consuming split or merge belongs to it
        (a parcel's own end, when it was split or merged). None if no such lot."""
        consignment = self.consignment(lot_id)
        if consignment is not None:
            parcels, consumed = list(consignment.parcel_ids), set()
        elif self.parcel(lot_id) is not None:
            parcels, consumed = [lot_id], {lot_id}
        else:
            return None
        lots: set[int] = set()
        for parcel_id in parcels:
            ancestry, links = lineage(self.s, parcel_id)
            children = {link.child_id for link in links if link.parent_id == parcel_id}
            lots |= set(ancestry) - children
        lots |= set(self.s.execute(select(m.ConsignmentParcel.consignment_id).where(
            m.ConsignmentParcel.parcel_id.in_(lots))).scalars())
        return lots, consumed

    def positions_of(self, lots: set[int], consumed: AbstractSet[int] = frozenset()) -> set[Position]:
        """Positions of the ledger events about `lots`: their custody steps, the splits and merges that consumed
        the `consumed` parcels, and the certificate events of consignments among them."""
        steps = select(m.CustodyStep.block_number, m.CustodyStep.log_index)
        found: set[Position] = set()
        ids = sorted(lots)
        for i in range(0, len(ids), _CHUNK):
            found.update(position(r) for r in self.s.execute(steps.where(m.CustodyStep.lot_id.in_(ids[i:i + _CHUNK]))))
        if consumed:
            children = select(m.ParcelLink.child_id).where(m.ParcelLink.parent_id.in_(sorted(consumed)))
            found.update(position(r) for r in self.s.execute(steps.where(
                m.CustodyStep.lot_id.in_(children), m.CustodyStep.kind.in_(("split", "merged")))))
        certificates = self.s.execute(select(m.Certificate).where(m.Certificate.consignment_id.in_(ids))).scalars()
        for cert in certificates:
            self._rows[m.Certificate][cert.key] = cert
            found |= self._certificate_positions(cert)
        return found

    def _certificate_positions(self, cert: m.Certificate) -> set[Position]:
        txs = sorted({entry["tx"] for entry in cert.history if entry["event"] in CERTIFICATE_EVENTS})
        rows = self.s.execute(select(m.Event.__table__).where(
            m.Event.tx_hash.in_(txs), m.Event.name.in_(CERTIFICATE_EVENTS))).all()
        return {position(r) for r in rows if r.args["certificateKey"] == cert.key}

    # ------------------------------------------------------------ projection rows, in bulk

    def prefetch(self, rows: Sequence[Row]) -> None:
        """Loads, a few queries for all, the projection rows the mapping of `rows` will look up."""
        lots: set[int] = set()
        accounts: set[str] = set()
        keys: set[str] = set()
        for row in rows:
            a = row.args
            for name in ("parcelId", "parentId", "childId", "consignmentId", "lotId"):
                if name in a:
                    lots.add(a[name])
            lots.update(a.get("sourceIds", ()))
            lots.update(a.get("parcelIds", ()))
            for name in ("producer", "holder", "from", "to", "authority", "importer"):
                if name in a:
                    accounts.add(a[name])
            if "certificateKey" in a:
                keys.add(a["certificateKey"])
        self._load(m.Certificate, keys)
        lots |= {c.consignment_id for c in self._rows[m.Certificate].values() if c is not None}
        self._load(m.Consignment, lots)
        lots |= {pid for c in self._rows[m.Consignment].values() if c is not None for pid in c.parcel_ids}
        self._load(m.Parcel, lots)
        self._load(m.Member, accounts)
        self._load(m.Participant, {x.participant for x in self._rows[m.Member].values() if x is not None})

    def _load(self, table: type[m.Base], keys: Iterable[Any]) -> None:
        cache = self._rows[table]
        missing = sorted(k for k in keys if k not in cache)
        pk = table.__mapper__.primary_key[0]
        for i in range(0, len(missing), _CHUNK):
            chunk = missing[i:i + _CHUNK]
            for row in self.s.execute(select(table).where(pk.in_(chunk))).scalars():
                cache[getattr(row, pk.name)] = row
            for key in chunk:
                cache.setdefault(key, None)

    def _get(self, table: type[_Row], key: Any) -> _Row | None:
        cache = self._rows[table]
        if key not in cache:
            cache[key] = self.s.get(table, key)
        return cache[key]

    def parcel(self, parcel_id: int) -> m.Parcel | None:
        return self._get(m.Parcel, parcel_id)

    def consignment(self, consignment_id: int) -> m.Consignment | None:
        return self._get(m.Consignment, consignment_id)

    def certificate(self, key: str) -> m.Certificate | None:
        return self._get(m.Certificate, key)

    def member(self, account: str) -> m.Member | None:
        return self._get(m.Member, account)

    def participant(self, code: str) -> m.Participant | None:
        return self._get(m.Participant, code)

    def country(self, account: str) -> str | None:
        member = self.member(account)
        return member.participant if member else None

    def parties(self) -> tuple[list[m.Member], list[m.Participant]]:
        """Every member and participant looked up so far (the party master data of a document)."""
        members = [x for x in self._rows[m.Member].values() if x is not None]
        participants = [x for x in self._rows[m.Participant].values() if x is not None]
        return members, participants

