"""KP statistics from the index: a participant's trade per quarter, its production per half-year, and a year's
summary of every participant, each figure with the certificates or parcels that make it up.

Trade. A certificate counts for its exporting participant (flow "export", partner: the importing participant) and
for its importing participant (flow "import", partner: the exporting participant), in the period of its border
crossing (basis "crossing", the default: the block time of the hand-off that spent the certificate) or of its
issue (basis "issue": the certificate's `issuedAt`, voided certificates left out). A certificate not yet used has
no crossing and counts on the issue basis only. Carats by HS code are the parcels sealed in the certificate's
consignment (exact: their sum is the certificate's weight, checked on chain). The value in US dollars comes from
the filed certificate document (`kpledger.core.document_facts.certificate_value_usd`) and is read only when asked for.

Production. The parcels registered at origin (`ParcelRegistered`: the producer's own country) in the period, by
block time. The ledger records no production value.

Periods are calendar quarters and half-years in UTC. Everything is read in a few bulk queries per report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, null, or_, select
from sqlalchemy.orm import Session

from kpledger.core.constants import AUTHORITY, carats_text, hs_text
from kpledger.core.document_facts import certificate_value_usd
from kpledger.core.errors import Forbidden
from kpledger.db import models as m
from kpledger.queries.participants import get_participant
from kpledger.queries.periods import Period, halves, iso_utc, period_of, quarters

BASES = ("crossing", "issue")
FLOWS = ("export", "import")
_CHUNK = 500  # keys per SELECT ... IN (...)
BASIS_NOTES = {
    "crossing": "a certificate counts in the period in which its consignment crossed the border: the block time "
                "(UTC) of the custody hand-off that spent the certificate; certificates not yet used are not counted",
    "issue": "a certificate counts in the period of its issue date (issuedAt on the certificate, UTC); voided "
             "certificates are not counted",
}
PRODUCTION_NOTE = ("parcels registered at origin (ParcelRegistered: a licensed producer of the participant) in the "
                   "period, by block time (UTC)")
VALUE_SOURCE = "value_usd of the filed certificate document (shown only to an authority of the participant)"


def usd_text(amount: Decimal) -> str:
    """A USD amount with at least its cents: 41300000 -> "41300000.00"."""
    exponent = amount.as_tuple().exponent  # a letter for NaN and infinities, which are not amounts
    return str(amount.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent >= -2 else amount)


# ------------------------------------------------------------ who may see values


def check_value_reader(s: Session, account: str, code: str) -> None:
    """The value of a participant's trade is shown to that participant's authorities only."""
    member = s.get(m.Member, account)
    if member is None or member.participant != code or not member.roles & AUTHORITY:
        raise Forbidden(f"the value of {code}'s trade is shown only to an authority of {code}", code="NotEntitled",
                        details={"account": account, "participant": code})


# ------------------------------------------------------------ trade: the certificates of a period

_CERTIFICATE = (m.Certificate.key, m.Certificate.number, m.Certificate.consignment_id, m.Certificate.exporter,
                m.Certificate.importer, m.Certificate.points, m.Certificate.parcel_count, m.Certificate.origins,
                m.Certificate.issued_at, m.Certificate.status, m.Certificate.document_hash, m.Certificate.history)


@dataclass
class Counted:
    """One certificate as a trade report counts it."""

    row: Row
    flow: str
    partner: str
    period: Period
    crossed_at: int | None
    parcels: list[tuple[int, int, int]] = field(default_factory=list)  # (parcel id, HS code, points)
    value: Decimal | None = None
    value_status: str = "not_requested"  # filed | not_filed | unreadable | not_requested

    def by_hs(self) -> dict[int, int]:
        points: dict[int, int] = defaultdict(int)
        for _, hs, p in self.parcels:
            points[hs] += p
        return dict(sorted(points.items()))


def _crossing_time(history: list[dict[str, Any]]) -> int | None:
    return next((entry["timestamp"] for entry in history if entry["event"] == "CertificateUsed"), None)


def _crossed_in(s: Session, code: str, start: int, end: int) -> list[Row]:
    """The participant's certificates whose consignment crossed the border in [start, end), with the crossing
    time (read from the partial index of crossings, then the certificates by primary key)."""
    crossing = (select(m.CustodyStep.certificate_key.label("crossed_key"), m.CustodyStep.timestamp.label("crossed_at"))
                .where(m.CustodyStep.certificate_key.is_not(None), m.CustodyStep.timestamp >= start,
                       m.CustodyStep.timestamp < end).subquery())
    query = (select(*_CERTIFICATE, crossing.c.crossed_at)
             .join(crossing, crossing.c.crossed_key == m.Certificate.key)
             .where(or_(m.Certificate.exporter == code, m.Certificate.importer == code)))
    return list(s.execute(query).all())


def _issued_in(s: Session, code: str, start: int, end: int) -> list[Row]:
    """The participant's certificates issued in [start, end), voided ones left out (one indexed range per side)."""
    rows: list[Row] = []
    for side in (m.Certificate.exporter, m.Certificate.importer):
        rows += s.execute(select(*_CERTIFICATE, null().label("crossed_at")).where(
            side == code, m.Certificate.issued_at >= start, m.Certificate.issued_at < end,
            m.Certificate.status != "voided")).all()
    return rows


def _parcels_of(s: Session, consignment_ids: Iterable[int]) -> dict[int, list[tuple[int, int, int]]]:
    """The parcels sealed in each consignment: (parcel id, HS code, points), by parcel id."""
    found: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    ids = sorted(set(consignment_ids))
    for i in range(0, len(ids), _CHUNK):
        rows = s.execute(select(m.ConsignmentParcel.consignment_id, m.Parcel.id, m.Parcel.hs_code, m.Parcel.points)
                         .join(m.Parcel, m.Parcel.id == m.ConsignmentParcel.parcel_id)
                         .where(m.ConsignmentParcel.consignment_id.in_(ids[i:i + _CHUNK])))
        for consignment_id, parcel_id, hs, points in rows:
            found[consignment_id].append((parcel_id, hs, points))
    for parcels in found.values():
        parcels.sort()
    return found


def _documents(s: Session, anchored: Mapping[str, str]) -> dict[str, bytes]:
    """The documents filed for these certificates (number -> document hash anchored on chain), by number, when
    they are the ones anchored."""
    found: dict[str, bytes] = {}
    wanted = sorted(anchored)
    for i in range(0, len(wanted), _CHUNK):
        for number, digest, content in s.execute(select(m.Document.reference, m.Document.sha256, m.Document.content)
                                                 .where(m.Document.kind == "certificate",
                                                        m.Document.reference.in_(wanted[i:i + _CHUNK]))):
            if anchored[number] == digest:
                found[number] = content
    return found


def counted_certificates(s: Session, code: str, periods: Sequence[Period], basis: str,
                         with_value: bool) -> list[Counted]:
    """Every certificate the participant's trade report counts in `periods` (contiguous), in order of time."""
    start, end = periods[0].start, periods[-1].end
    rows = _crossed_in(s, code, start, end) if basis == "crossing" else _issued_in(s, code, start, end)
    counted: list[Counted] = []
    for row in rows:
        moment = row.crossed_at if basis == "crossing" else row.issued_at
        period = period_of(periods, moment)
        if period is None:
            continue
        export = row.exporter == code
        crossed = row.crossed_at if basis == "crossing" else _crossing_time(row.history)
        counted.append(Counted(row, "export" if export else "import", row.importer if export else row.exporter,
                               period, crossed))
    parcels = _parcels_of(s, (c.row.consignment_id for c in counted))
    for c in counted:
        c.parcels = parcels.get(c.row.consignment_id, [])
    if with_value:
        documents = _documents(s, {c.row.number: c.row.document_hash for c in counted})
        for c in counted:
            document = documents.get(c.row.number)
            c.value = None if document is None else certificate_value_usd(document)
            c.value_status = "not_filed" if document is None else "filed" if c.value is not None else "unreadable"
    counted.sort(key=lambda c: (c.crossed_at if basis == "crossing" else c.row.issued_at, c.row.number))
    return counted


# ------------------------------------------------------------ trade: the report


@dataclass
class _Cell:
    points: int = 0
    numbers: list[str] = field(default_factory=list)
    value: Decimal = Decimal(0)
    value_unknown: int = 0
    value_not_split: Decimal = Decimal(0)

    def view(self, with_value: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"carats": carats_text(self.points), "certificates": len(self.numbers)}
        if with_value:
            out |= {"value_usd": usd_text(self.value), "value_unknown": self.value_unknown}
        return out


def _certificate_view(c: Counted, with_value: bool) -> dict[str, Any]:
    r = c.row
    out = {
        "number": r.number, "period": c.period.label, "flow": c.flow, "partner": c.partner, "exporter": r.exporter,
        "importer": r.importer, "carats": carats_text(r.points),
        "carats_by_hs": {hs_text(hs): carats_text(p) for hs, p in c.by_hs().items()},
        "parcel_count": r.parcel_count, "parcel_ids": [p[0] for p in c.parcels], "consignment_id": r.consignment_id,
        "origins": r.origins, "status": r.status, "issued_at": iso_utc(r.issued_at),
        "crossed_at": None if c.crossed_at is None else iso_utc(c.crossed_at),
    }
    if with_value:
        out |= {"value_usd": None if c.value is None else usd_text(c.value), "value_status": c.value_status}
    return out


def trade_report(s: Session, code: str, year: int, quarter: int | None = None, basis: str = "crossing",
                 with_value: bool = False) -> dict[str, Any]:
    """A participant's imports and exports per quarter by partner and HS code (one quarter, or the year's four),
    with totals and the certificates behind every figure."""
    participant = get_participant(s, code)  # 404 ParticipantNotFound
    periods = quarters(year, quarter)
    counted = counted_certificates(s, code, periods, basis, with_value)
    cells: dict[tuple[str, str, str, int], _Cell] = defaultdict(_Cell)
    totals: dict[tuple[str, str], _Cell] = {(p.label, f): _Cell() for p in periods for f in FLOWS}
    for c in counted:
        split = c.by_hs()
        total = totals[(c.period.label, c.flow)]
        total.points += c.row.points
        total.numbers.append(c.row.number)
        if c.value is None:
            total.value_unknown += 1
        else:
            total.value += c.value
            if len(split) > 1:  # one value for several HS codes: in the totals, not split between rows
                total.value_not_split += c.value
        for hs, points in split.items():
            cell = cells[(c.period.label, c.flow, c.partner, hs)]
            cell.points += points
            cell.numbers.append(c.row.number)
            if c.value is not None and len(split) == 1:
                cell.value += c.value
            else:
                cell.value_unknown += 1
    names = {p.code: p.name for p in s.execute(select(m.Participant.code, m.Participant.name))}
    rows = [{"period": period, "flow": flow, "partner": partner, "partner_name": names.get(partner, partner),
             "hs_code": hs_text(hs), **cell.view(with_value), "certificate_numbers": cell.numbers}
            for (period, flow, partner, hs), cell in sorted(cells.items(), key=lambda kv: (
                kv[0][0], FLOWS.index(kv[0][1]), kv[0][2], kv[0][3]))]
    total_rows = []
    for (period, flow), cell in totals.items():
        row = {"period": period, "flow": flow, **cell.view(with_value)}
        if with_value:
            row["value_usd_not_split_by_hs"] = usd_text(cell.value_not_split)
        total_rows.append(row)
    value: dict[str, Any] = {"shown": with_value}
    if with_value:
        statuses = [c.value_status for c in counted]
        value |= {"source": VALUE_SOURCE, "unknown": statuses.count("not_filed") + statuses.count("unreadable"),
                  "not_filed": statuses.count("not_filed"), "unreadable": statuses.count("unreadable"),
                  "note": "a certificate whose document is not filed, or states no readable value_usd, counts with "
                          "its carats and its value unknown; a certificate covering several HS codes has one value, "
                          "counted in the totals and not split between the HS rows"}
    else:
        value["note"] = ("values in USD come from the confidential certificate documents: an authority of the "
                         "participant asks for them with value=true in a signed request")
    return {
        "report": "trade", "participant": {"code": participant["code"], "name": participant["name"]},
        "year": year, "quarter": quarter, "basis": basis, "basis_note": BASIS_NOTES[basis],
        "periods": [p.view() for p in periods], "value": value, "rows": rows, "totals": total_rows,
        "certificates": [_certificate_view(c, with_value) for c in counted],
    }


# ------------------------------------------------------------ production


def _registered_in(s: Session, start: int, end: int) -> list[Row]:
    return list(s.execute(select(m.Parcel.id, m.Parcel.points, m.Parcel.hs_code, m.Parcel.origins,
                                 m.Parcel.created_at).where(
        m.Parcel.created_by == "registered", m.Parcel.created_at >= start, m.Parcel.created_at < end)
        .order_by(m.Parcel.created_at, m.Parcel.id)).all())


def production_report(s: Session, code: str, year: int, half: int | None = None) -> dict[str, Any]:
    """A participant's production per half-year by HS code: the carats registered at origin, with the parcels."""
    participant = get_participant(s, code)
    periods = halves(year, half)
    cells: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for parcel in _registered_in(s, periods[0].start, periods[-1].end):
        period = period_of(periods, parcel.created_at)
        if period is not None and parcel.origins == [code]:  # a registration's origin is its producer's country
            cells[(period.label, parcel.hs_code)].append(parcel)
    rows = [{"period": period, "hs_code": hs_text(hs), "carats": carats_text(sum(p.points for p in parcels)),
             "parcels": len(parcels), "parcel_ids": [p.id for p in parcels]}
            for (period, hs), parcels in sorted(cells.items())]
    totals = []
    for p in periods:
        mine = [x for (label, _), parcels in cells.items() if label == p.label for x in parcels]
        totals.append({"period": p.label, "carats": carats_text(sum(x.points for x in mine)), "parcels": len(mine)})
    return {
        "report": "production", "participant": {"code": participant["code"], "name": participant["name"]},
        "year": year, "half": half, "basis_note": PRODUCTION_NOTE, "periods": [p.view() for p in periods],
        "value": {"shown": False, "note": "the ledger records no production value (parcel documents carry none)"},
        "rows": rows, "totals": totals,
    }


# ------------------------------------------------------------ every participant's year


def _label(periods: Sequence[Period], moment: int) -> str:
    """The label of the period holding `moment` (one of the year's: the queries keep the moments inside it)."""
    period = period_of(periods, moment)
    assert period is not None, f"{moment} is outside {periods[0].label}..{periods[-1].label}"
    return period.label


def _figure() -> dict[str, Any]:
    return {"points": 0, "count": 0}


def summary(s: Session, year: int, basis: str = "crossing") -> dict[str, Any]:
    """Every participant's exports, imports (carats and certificates, per quarter and for the year) and production
    (carats and parcels, per half-year and for the year): public figures only."""
    qs, hs = quarters(year), halves(year)
    start, end = qs[0].start, qs[-1].end
    if basis == "crossing":
        crossing = (select(m.CustodyStep.certificate_key.label("crossed_key"),
                           m.CustodyStep.timestamp.label("moment"))
                    .where(m.CustodyStep.certificate_key.is_not(None), m.CustodyStep.timestamp >= start,
                           m.CustodyStep.timestamp < end).subquery())
        trade = s.execute(select(m.Certificate.exporter, m.Certificate.importer, m.Certificate.points,
                                 crossing.c.moment).join(crossing, crossing.c.crossed_key == m.Certificate.key))
    else:
        trade = s.execute(select(m.Certificate.exporter, m.Certificate.importer, m.Certificate.points,
                                 m.Certificate.issued_at.label("moment")).where(
            m.Certificate.issued_at >= start, m.Certificate.issued_at < end, m.Certificate.status != "voided"))
    figures: dict[str, dict[str, dict[str, dict[str, int]]]] = defaultdict(
        lambda: {kind: defaultdict(_figure) for kind in ("exports", "imports", "production")})

    def add(code: str, kind: str, label: str, points: int) -> None:
        for key in (label, str(year)):
            figure = figures[code][kind][key]
            figure["points"] += points
            figure["count"] += 1

    for exporter, importer, points, moment in trade:
        label = _label(qs, moment)
        add(exporter, "exports", label, points)
        add(importer, "imports", label, points)
    for parcel in _registered_in(s, start, end):
        add(parcel.origins[0], "production", _label(hs, parcel.created_at), parcel.points)
    names = {p.code: p.name for p in s.execute(select(m.Participant.code, m.Participant.name))}
    labels = {"exports": [q.label for q in qs], "imports": [q.label for q in qs], "production": [h.label for h in hs]}
    count_name = {"exports": "certificates", "imports": "certificates", "production": "parcels"}

    def view(kind: str, found: dict[str, dict[str, int]]) -> dict[str, Any]:
        return {label: {"carats": carats_text(found[label]["points"]), count_name[kind]: found[label]["count"]}
                for label in [*labels[kind], str(year)]}

    participants = [{"code": code, "name": names.get(code, code),
                     **{kind: view(kind, figures[code][kind]) for kind in ("exports", "imports", "production")}}
                    for code in sorted(figures)]
    world: dict[str, Any] = {}
    for kind in ("exports", "production"):  # world imports = world exports: every certificate has both ends
        found: dict[str, dict[str, int]] = defaultdict(_figure)
        for code in figures:
            for label, figure in figures[code][kind].items():
                found[label]["points"] += figure["points"]
                found[label]["count"] += figure["count"]
        world[kind] = view(kind, found)
    return {"report": "summary", "year": year, "basis": basis, "basis_note": BASIS_NOTES[basis],
            "production_note": PRODUCTION_NOTE, "quarters": [q.view() for q in qs], "halves": [h.view() for h in hs],
            "participants": participants, "world": world}
