"""Which EPCIS events: a lot's provenance, and the EPCIS 2.0 event query (filters, paging) over the whole ledger.

A query narrows the ledger's events in SQL where that is cheap and never too strict (event names from the
event types and business steps, block time, the lots an EPC filter names), maps them, and decides on the mapped
EPCIS events themselves: the filters' meaning is read off the same JSON the client receives. Pages follow
chain order; a page token is the position of the last event examined, so every event comes once.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from kpledger.core.errors import InvalidRequest, NotFound
from kpledger.db import models as m
from kpledger.epcis.envelope import with_event_id
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.ledger import LedgerReader, Position, position
from kpledger.epcis.mapping import Mapper
from kpledger.epcis.vocabulary import EVENT_KINDS, cbv_word

Event = dict[str, Any]
CHUNK = 500  # ledger events read per query round trip
SCAN_LIMIT = 20_000  # ledger events examined per page at most: a very selective filter answers a short page


def _values(*names: str) -> Callable[[Event], list[str]]:
    def pick(event: Event) -> list[str]:
        out: list[str] = []
        for name in names:
            value = event.get(name)
            if isinstance(value, list):
                out += value
            elif isinstance(value, str):
                out.append(value)
        return out
    return pick


def _classes(*names: str) -> Callable[[Event], list[str]]:
    return lambda event: [q["epcClass"] for name in names for q in event.get(name, ())]


def _parties(side: str, kind: str | None = None) -> Callable[[Event], list[str]]:
    return lambda event: [p[side] for p in event.get(f"{side}List", ()) if kind is None or p["type"] == kind]


def _id_of(name: str) -> Callable[[Event], list[str]]:
    return lambda event: [event[name]["id"]] if name in event else []


def _transactions(kind: str) -> Callable[[Event], list[str]]:
    return lambda event: [t["bizTransaction"] for t in event.get("bizTransactionList", ()) if t.get("type") == kind]


# EPCIS 2.0 query parameters (those that make sense for this ledger) -> the values of an event they look at;
# an event matches when it has one of the parameter's values
MATCHERS: dict[str, Callable[[Event], list[str]]] = {
    "MATCH_epc": _values("epcList", "childEPCs", "inputEPCList", "outputEPCList"),
    "MATCH_parentID": _values("parentID"),
    "MATCH_anyEPC": _values("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID"),
    "MATCH_epcClass": _classes("quantityList", "childQuantityList"),
    "MATCH_inputEPCClass": _classes("inputQuantityList"),
    "MATCH_outputEPCClass": _classes("outputQuantityList"),
    "MATCH_anyEPCClass": _classes("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
    "EQ_action": _values("action"),
    "EQ_bizStep": lambda event: [cbv_word(event["bizStep"], "BizStep")] if "bizStep" in event else [],
    "EQ_disposition": lambda event: [cbv_word(event["disposition"], "Disp")] if "disposition" in event else [],
    "EQ_readPoint": _id_of("readPoint"),
    "EQ_bizLocation": _id_of("bizLocation"),
    "EQ_eventID": _values("eventID"),
    "EQ_bizTransaction_cert": _transactions("cert"),
    "EQ_source": _parties("source"),
    "EQ_destination": _parties("destination"),
    **{f"EQ_{side}_{kind}": _parties(side, kind) for side in ("source", "destination")
       for kind in ("owning_party", "possessing_party", "location")},
}
_LOT_MATCHERS = ("MATCH_epc", "MATCH_parentID", "MATCH_anyEPC", "MATCH_epcClass", "MATCH_inputEPCClass",
                 "MATCH_outputEPCClass", "MATCH_anyEPCClass")
CBV_PARAMS = {"EQ_bizStep": "BizStep", "EQ_disposition": "Disp"}


def places(event: Event) -> set[str]:
    """Every party and place an event names: its sources, destinations, bizLocation and readPoint."""
    return {*_parties("source")(event), *_parties("destination")(event), *_id_of("bizLocation")(event),
            *_id_of("readPoint")(event)}


@dataclass
class EventFilter:
    event_types: set[str] | None = None
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    matches: dict[str, set[str]] = field(default_factory=dict)  # MATCHERS name -> wanted values
    place: str | None = None  # a participant's URI: only events that name it as party or place

    def __post_init__(self) -> None:
        for name, family in CBV_PARAMS.items():
            if name in self.matches:
                self.matches[name] = {cbv_word(v, family) for v in self.matches[name]}

    def accepts(self, event: Event) -> bool:
        if self.event_types is not None and event["type"] not in self.event_types:
            return False
        if not _within(event["eventTime"], self.ge_event_time, self.lt_event_time):
            return False
        if not _within(event["recordTime"], self.ge_record_time, self.lt_record_time):
            return False
        if self.place is not None and self.place not in places(event):
            return False
        return all(wanted.intersection(MATCHERS[name](event)) for name, wanted in self.matches.items())

    def names(self) -> list[str]:
        """The ledger events that can map to an accepted EPCIS event (by event type and business step)."""
        steps = self.matches.get("EQ_bizStep")
        return [name for name, (kind, step) in EVENT_KINDS.items()
                if (self.event_types is None or kind in self.event_types) and (steps is None or step in steps)]


def _within(text: str, ge: datetime | None, lt: datetime | None) -> bool:
    moment = datetime.fromisoformat(text)
    return (ge is None or moment >= ge) and (lt is None or moment < lt)


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


# ------------------------------------------------------------ page tokens

_TOKEN = re.compile(r"^v1:([0-9]{1,15}):([0-9]{1,9})$")


def encode_token(at: Position) -> str:
    return base64.urlsafe_b64encode(f"v1:{at[0]}:{at[1]}".encode()).decode().rstrip("=")


def decode_token(token: str) -> Position:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _TOKEN.match(text)
    if match is None:
        raise InvalidRequest("nextPageToken is not a token this server issued", code="InvalidPageToken",
                             details={"nextPageToken": token[:100]})
    return int(match[1]), int(match[2])


# ------------------------------------------------------------ the engine


class EventSource:
    """Maps ledger events to EPCIS events (with their IDs) for one session and one identifier base."""

    def __init__(self, session: Session, ids: Identifiers, context: list[Any]):
        self.reader = LedgerReader(session)
        self.mapper = Mapper(self.reader, ids)
        self.ids, self.context = ids, context

    def _map(self, rows: list[Row]) -> Iterator[tuple[Row, Event | None]]:
        self.reader.prefetch(rows)
        for row in rows:
            event = self.mapper.map(row)
            yield row, None if event is None else with_event_id(event, self.context)

    def lot(self, lot_id: int) -> list[Event]:
        """Every EPCIS event of a lot's provenance, in chain order."""
        scope = self.reader.provenance_lots(lot_id)
        if scope is None:
            raise NotFound(f"no lot {lot_id}", code="LotNotFound", details={"lot_id": lot_id})
        rows = self.reader.events_at(self.reader.positions_of(*scope))
        # a split's EPCIS event stands at its first ParcelSplit: reach it from whichever child is in scope
        firsts = {position(r): r for r in (self.reader.split_group(r)[0] if r.name == "ParcelSplit" else r
                                           for r in rows)}
        ordered = [firsts[p] for p in sorted(firsts)]
        return [event for _, event in self._map(ordered) if event is not None]

    def page(self, wanted: EventFilter, after: Position | None, per_page: int,
             scan_limit: int = SCAN_LIMIT) -> tuple[list[Event], Position | None]:
        """Up to `per_page` matching events after `after`, and where the next page starts (None: no more)."""
        found: list[tuple[Position, Event]] = []
        examined = 0
        last: Position | None = after
        for rows in self._candidates(wanted, after):
            for row, event in self._map(rows):
                examined += 1
                last = position(row)
                if event is not None and wanted.accepts(event):
                    found.append((last, event))
                    if len(found) > per_page:
                        return [e for _, e in found[:per_page]], found[per_page - 1][0]
            if examined >= scan_limit:
                return [e for _, e in found], last
        return [e for _, e in found], None

    def _candidates(self, wanted: EventFilter, after: Position | None) -> Iterator[list[Row]]:
        names = wanted.names()
        if not names:
            return
        lots = self._filter_lots(wanted)
        if lots is not None:
            positions = sorted(p for p in self.reader.positions_of(lots, lots) if after is None or p > after)
            for i in range(0, len(positions), CHUNK):
                rows = [r for r in self.reader.events_at(positions[i:i + CHUNK]) if r.name in names]
                if rows:
                    yield rows
            return
        since = max((s for s in (_seconds(wanted.ge_event_time), _seconds(wanted.ge_record_time)) if s is not None),
                    default=None)
        exempt: tuple[str, ...]
        if wanted.lt_record_time is not None:
            before, exempt = _seconds(wanted.lt_record_time), ()
        else:  # a void's record time comes after the eventTime of the issuing event it repeats
            before, exempt = _seconds(wanted.lt_event_time), ("CertificateVoided",)
        while True:
            rows = self.reader.events_after(after, names, CHUNK, since=since, before=before, before_exempt=exempt)
            if not rows:
                return
            yield rows
            after = position(rows[-1])

    def _filter_lots(self, wanted: EventFilter) -> set[int] | None:
        """The lots an EPC filter names, with the consignments that held those parcels (their aggregations name
        the parcels); None when no EPC filter narrows the query."""
        uris = [wanted.matches[name] for name in _LOT_MATCHERS if name in wanted.matches]
        if not uris:
            return None
        # every EPC filter must hold: the lots of the most selective one are enough to find all candidates
        lots = min((self._lot_ids(group) for group in uris), key=len)
        if lots:
            lots |= set(self.reader.s.execute(select(m.ConsignmentParcel.consignment_id).where(
                m.ConsignmentParcel.parcel_id.in_(sorted(lots)))).scalars())
        return lots

    def _lot_ids(self, uris: Iterable[str]) -> set[int]:
        """The lot ids of those of `uris` that name a lot."""
        return {lot_id for lot_id in map(self.ids.lot_id, uris) if lot_id is not None}
