"""The projector's batch: the projection rows one batch of events reads and writes, cached as plain dicts, read
ahead a few hundred keys per query (`prefetch`) and written with one executemany per table (`flush`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kpledger.chain.decoder import DecodedLog
from kpledger.db import models as m
from kpledger.indexer.bulk import insert_rows, update_rows

Model = type[m.Base]
_SHARED_IDS: dict[Model, Model] = {m.Parcel: m.Consignment, m.Consignment: m.Parcel}  # a lot id names one or the other
# for `prefetch`: the arguments that may name an existing row of a table (reading one too many is harmless),
# and the ones that name a row the event creates (so not in the database before)
_REFERS: dict[Model, tuple[str, ...]] = {
    m.Participant: ("participant",), m.Member: ("account", "producer", "holder", "from", "to"),
    m.Consignment: ("lotId", "consignmentId"), m.Parcel: ("lotId", "parentId", "sourceIds", "parcelIds"),
    m.Certificate: ("certificateKey", "replacedKey", "byKey")}
_CREATES: dict[str, tuple[Model, str]] = {
    "ParticipantAdmitted": (m.Participant, "participant"), "ParcelRegistered": (m.Parcel, "parcelId"),
    "ParcelSplit": (m.Parcel, "childId"), "ParcelsMerged": (m.Parcel, "parcelId"),
    "ConsignmentSealed": (m.Consignment, "consignmentId"), "CertificateIssued": (m.Certificate, "certificateKey")}
_IN_CHUNK = 500  # keys per SELECT ... IN (...)


class CachedRow(dict):
    """A projection row as a plain dict with attribute access (ORM instances cost ~0.1 ms each to build)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class ProjectionBatch:
    """One batch of events' projection rows inside one session, written in bulk by `flush()`.

    Rows are plain dicts cached for the batch: new ones are inserted and changed ones updated with one
    executemany per table at `flush()`; custody steps, links and memberships are appended in bulk.
    """

    TABLES: tuple[Model, ...] = (m.Participant, m.Member, m.Parcel, m.Consignment, m.Certificate)

    def __init__(self, session: Session):
        self.s = session
        self._countries: dict[str, str | None] = {}
        self._rows: dict[Model, dict[Any, CachedRow | None]] = {t: {} for t in self.TABLES}
        self._new: dict[Model, dict[Any, CachedRow]] = {t: {} for t in self.TABLES}  # created this batch
        self._loaded: dict[Model, dict[Any, dict[str, Any]]] = {t: {} for t in self.TABLES}  # as read from the DB
        self._inserts: dict[Model, list[dict[str, Any]]] = {m.CustodyStep: [], m.ParcelLink: [],
                                                             m.ConsignmentParcel: [], m.ProfileChange: []}
        self._offers: dict[int, dict[str, Any] | None] = {}  # lot id -> open offer (None: closed) this batch

    def flush(self) -> None:
        """Writes the batch: new rows inserted, changed rows updated, append-only rows inserted, in bulk."""
        for table in self.TABLES:
            rows, new, loaded = self._rows[table], self._new[table], self._loaded[table]
            if new:
                insert_rows(self.s, table.__table__, list(new.values()))
            changed = [row for k, row in rows.items() if row is not None and k not in new and loaded.get(k) != row]
            if changed:
                update_rows(self.s, table.__table__, changed)
            # written: later events read them back from the database (the caches stay bounded)
            rows.clear()
            loaded.clear()
            new.clear()
        for table, appended in self._inserts.items():
            if appended:
                insert_rows(self.s, table.__table__, appended)
                appended.clear()
        if self._offers:
            self.s.execute(delete(m.Offer).where(m.Offer.lot_id.in_(list(self._offers))))
            insert_rows(self.s, m.Offer.__table__, [row for row in self._offers.values() if row is not None])
            self._offers.clear()

    def get(self, table: Model, key: Any) -> CachedRow | None:
        """The row of `key` (None: absent), read once per batch; absences are remembered too (a lot id is
        looked up as a consignment and as a parcel, and only one of them exists)."""
        rows = self._rows[table]
        if key in rows:
            return rows[key]
        other = _SHARED_IDS.get(table)
        if other is not None and self._rows[other].get(key) is not None:
            rows[key] = None  # parcels and consignments share one id space (KPLedger._nextId)
            return None
        pk = table.__mapper__.primary_key[0]
        found = self.s.execute(select(table.__table__).where(pk == key)).mappings().first()
        if found is None:
            rows[key] = None
            return None
        row = rows[key] = CachedRow(found)
        self._loaded[table][key] = dict(found)
        return row

    def require(self, table: Model, key: Any) -> CachedRow:
        """The row of `key`, which the event being applied names as existing (the contract checked it: a missing
        row means an index that does not follow the chain)."""
        row = self.get(table, key)
        if row is None:
            raise LookupError(f"{table.__name__} {key!r}: named by an event, absent from the index")
        return row

    def prefetch(self, logs: Iterable[DecodedLog]) -> None:
        """Reads, a few hundred keys per query, the rows the coming events will `get`: one SELECT per row
        costs more than the rest of an event's work. Rows the events create are not looked for."""
        wanted: dict[Model, set[Any]] = {t: set() for t in self.TABLES}
        created: dict[Model, set[Any]] = {t: set() for t in self.TABLES}
        for log in logs:
            a = log.args
            for table, names in _REFERS.items():
                keys = wanted[table]
                for name in names:
                    value = a.get(name)
                    if isinstance(value, list):
                        keys.update(value)
                    elif value is not None:
                        keys.add(value)
            made = _CREATES.get(log.name)
            if made is not None:
                created[made[0]].add(a[made[1]])
        wanted[m.Member].difference_update(self._countries)
        lots = created[m.Parcel] | created[m.Consignment]  # one id space: a new parcel is no old consignment
        created[m.Parcel] = created[m.Consignment] = lots
        for table in (m.Participant, m.Member, m.Certificate, m.Consignment):
            self._read(table, wanted[table] - created[table])
        # a consignment's hand-off or opening reaches all its parcels
        for row in self._rows[m.Consignment].values():
            if row is not None:
                wanted[m.Parcel].update(row.parcel_ids)
        self._read(m.Parcel, wanted[m.Parcel] - created[m.Parcel])

    def _read(self, table: Model, keys: set[Any]) -> None:
        rows, loaded = self._rows[table], self._loaded[table]
        missing = [k for k in keys if k not in rows]
        if not missing:
            return
        pk = table.__mapper__.primary_key[0]
        for i in range(0, len(missing), _IN_CHUNK):
            chunk = missing[i:i + _IN_CHUNK]
            for found in self.s.execute(select(table.__table__).where(pk.in_(chunk))).mappings():
                key = found[pk.name]
                rows[key] = CachedRow(found)
                loaded[key] = dict(found)
            for key in chunk:
                rows.setdefault(key, None)  # absent: remembered, as by `get`

    def add(self, table: Model, pk: Any, /, **values: Any) -> CachedRow:
        row = self._rows[table][pk] = self._new[table][pk] = CachedRow(values)
        return row

    def country(self, account: str | None) -> str | None:
        """The participant of a member account (None: not a member), read once per projector."""
        if account is None:
            return None
        if account not in self._countries:
            member = self.get(m.Member, account)
            self._countries[account] = member.participant if member else None
        return self._countries[account]
