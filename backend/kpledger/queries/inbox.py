"""A participant account's inbox: what waits for it on the ledger, from the index tables (public facts only).

- offers waiting for the account's acceptance, and its own offers not accepted yet;
- for an importing authority: certificates of its participant's imports that crossed and await confirmation;
- for a holder: its sealed consignments with no live certificate; for an exporting authority, those of its
  participant's exporters;
- what the account holds (live parcels, sealed consignments), for the forms that act on them.

Every account shown comes with the name a person reads and its participant (`from_name`, `holder_name`, ...),
from one names lookup for the whole inbox (`kpledger.queries.names`), every seal id with its label (`seal_label`,
one lookup too); weights also as exact carats (`carats`).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from kpledger.core.constants import ROLES, carats_text, role_names
from kpledger.db import models as m
from kpledger.queries.names import names_of
from kpledger.queries.seals import label_of, labels_of
from kpledger.queries.views import (
    Names,
    certificate_accounts,
    certificate_view,
    name_of,
    participant_of,
    participant_view,
)

# a consignment whose certificate is one of these (or past its expiry while unused) needs a new one
_DEAD = ("voided",)


def _page(session: Session, query: Select, limit: int) -> tuple[list[Any], int]:
    """The first `limit` rows of a query and the total count."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = list(session.execute(query.limit(limit)).scalars())
    return rows, total


def _lot_summaries(session: Session, lot_ids: list[int]) -> dict[int, dict[str, Any]]:
    """kind, points, parcel count, HS codes and origins of parcels and consignments, by id."""
    out: dict[int, dict[str, Any]] = {}
    consignments = session.execute(select(m.Consignment).where(m.Consignment.id.in_(lot_ids))).scalars().all()
    parcel_ids = set(lot_ids) | {p for c in consignments for p in c.parcel_ids}
    parcels = {p.id: p for p in session.execute(select(m.Parcel).where(m.Parcel.id.in_(parcel_ids))).scalars()}
    keys = [c.certificate_key for c in consignments if c.certificate_key]
    numbers = {key: number for key, number in session.execute(
        select(m.Certificate.key, m.Certificate.number).where(m.Certificate.key.in_(keys)))}
    for c in consignments:
        inside = [parcels[p] for p in c.parcel_ids if p in parcels]
        out[c.id] = {"kind": "consignment", "points": c.points, "carats": carats_text(c.points),
                     "parcel_count": len(c.parcel_ids),
                     "hs_codes": sorted({p.hs_code for p in inside}),
                     "origins": sorted({o for p in inside for o in p.origins}), "status": c.status,
                     "certificate": numbers.get(c.certificate_key or "")}
    for lot_id in lot_ids:
        if lot_id not in out and lot_id in parcels:
            p = parcels[lot_id]
            out[lot_id] = {"kind": "parcel", "points": p.points, "carats": carats_text(p.points), "parcel_count": 1,
                           "hs_codes": [p.hs_code],
                           "origins": list(p.origins), "status": p.status, "certificate": None}
    return out


def _offers(session: Session, where: Any, limit: int) -> tuple[list[dict[str, Any]], int]:
    rows, total = _page(session, select(m.Offer).where(where).order_by(m.Offer.lot_id), limit)
    lots = _lot_summaries(session, [o.lot_id for o in rows])
    unknown = {"kind": "parcel", "points": 0, "carats": carats_text(0), "parcel_count": 0, "hs_codes": [],
               "origins": [], "status": "unknown", "certificate": None}
    return [{"lot_id": o.lot_id, "from": o.sender, "to": o.recipient, "seal_id": o.seal_id,
             **lots.get(o.lot_id, unknown)} for o in rows], total


def _needing_certificate(session: Session, holders: Select | list[str], limit: int,
                         now: float) -> tuple[list[dict[str, Any]], int]:
    """Sealed consignments of `holders` with no certificate, or one that is voided or expired unused."""
    cert = m.Certificate
    query = (select(m.Consignment)
             .outerjoin(cert, cert.key == m.Consignment.certificate_key)
             .where(m.Consignment.holder.in_(holders), m.Consignment.status == "sealed",
                    or_(m.Consignment.certificate_key.is_(None), cert.status.in_(_DEAD),
                        and_(cert.status == "issued", cert.expires_at < now)))
             .order_by(m.Consignment.id))
    rows, total = _page(session, query, limit)
    lots = _lot_summaries(session, [c.id for c in rows])
    offers = {o.lot_id: o for o in session.execute(
        select(m.Offer).where(m.Offer.lot_id.in_([c.id for c in rows]))).scalars()}
    return [{"consignment_id": c.id, "holder": c.holder, "seal_id": c.seal_id, "points": c.points,
             "carats": carats_text(c.points),
             "parcel_ids": list(c.parcel_ids), "parcel_count": len(c.parcel_ids),
             "hs_codes": lots[c.id]["hs_codes"], "origins": lots[c.id]["origins"],
             "offered_to": offers[c.id].recipient if c.id in offers else None} for c in rows], total


def _named(names: Names, item: dict[str, Any], *fields: str) -> dict[str, Any]:
    """The item with `<field>_name` and `<field>_participant` beside each account field."""
    for name in fields:
        item[f"{name}_name"] = name_of(names, item[name])
        item[f"{name}_participant"] = participant_of(names, item[name])
    return item


def inbox(session: Session, address: str, limit: int, now: float | None = None) -> dict[str, Any]:
    """The inbox of `address` (checksummed): each list capped at `limit` items, with its full count."""
    now = time.time() if now is None else now
    member = session.get(m.Member, address)
    roles = member.roles if member is not None else 0
    participant = session.get(m.Participant, member.participant) if member is not None else None
    is_authority = bool(roles & ROLES["authority"])
    lists: dict[str, tuple[list[dict[str, Any]], int]] = {}
    certificates: dict[str, tuple[list[m.Certificate], int]] = {}  # named once the names are known

    lists["offers_to_me"] = _offers(session, m.Offer.recipient == address, limit)
    lists["my_offers"] = _offers(session, m.Offer.sender == address, limit)
    lists["my_consignments_needing_certificate"] = _needing_certificate(session, [address], limit, now)

    empty: tuple[list[dict[str, Any]], int] = ([], 0)
    if is_authority and participant is not None:
        exporters = select(m.Member.address).where(m.Member.participant == participant.code,
                                                   m.Member.roles.op("&")(ROLES["exporter"]) != 0)
        lists["exporters_consignments_needing_certificate"] = _needing_certificate(session, exporters, limit, now)
        certificates["certificates_to_confirm"] = _page(session, select(m.Certificate).where(
            m.Certificate.importer == participant.code, m.Certificate.status == "delivered",
        ).order_by(m.Certificate.issued_block), limit)
        certificates["certificates_issued_open"] = _page(session, select(m.Certificate).where(
            m.Certificate.exporter == participant.code, m.Certificate.status == "issued",
            m.Certificate.expires_at >= now,
        ).order_by(m.Certificate.issued_block), limit)
    else:
        lists["exporters_consignments_needing_certificate"] = empty
        certificates["certificates_to_confirm"] = certificates["certificates_issued_open"] = ([], 0)

    query = (select(m.Parcel).where(m.Parcel.holder == address, m.Parcel.status == "live",
                                    m.Parcel.sealed.is_(False)).order_by(m.Parcel.id))
    rows, total = _page(session, query, limit)
    offered = set(session.execute(select(m.Offer.lot_id).where(m.Offer.lot_id.in_([p.id for p in rows]))).scalars())
    lists["parcels"] = ([{"id": p.id, "points": p.points, "carats": carats_text(p.points), "stones": p.stones,
                          "hs_code": p.hs_code, "origins": list(p.origins), "document_hash": p.document_hash,
                          "offered": p.id in offered} for p in rows], total)
    held_query = (select(m.Consignment).where(m.Consignment.holder == address, m.Consignment.status != "opened")
                  .order_by(m.Consignment.id))
    held, held_total = _page(session, held_query, limit)
    lots = _lot_summaries(session, [c.id for c in held])
    certs = {c.key: c for c in session.execute(select(m.Certificate).where(
        m.Certificate.key.in_([c.certificate_key for c in held if c.certificate_key]))).scalars()}
    offered = set(session.execute(select(m.Offer.lot_id).where(m.Offer.lot_id.in_([c.id for c in held]))).scalars())

    # one lookup names every account the inbox shows
    accounts: list[str | None] = [address]
    for name in ("offers_to_me", "my_offers"):
        accounts += [a for o in lists[name][0] for a in (o["from"], o["to"])]
    for name in ("my_consignments_needing_certificate", "exporters_consignments_needing_certificate"):
        accounts += [a for c in lists[name][0] for a in (c["holder"], c["offered_to"])]
    for cert in [c for rows, _total in certificates.values() for c in rows] + list(certs.values()):
        accounts += certificate_accounts(cert)
    names = names_of(session, accounts)
    labels = labels_of(session, [item["seal_id"] for name in ("offers_to_me", "my_offers",
                                                              "my_consignments_needing_certificate",
                                                              "exporters_consignments_needing_certificate")
                                 for item in lists[name][0]] + [c.seal_id for c in held])

    for name in ("offers_to_me", "my_offers"):
        for offer in lists[name][0]:
            _named(names, offer, "from", "to")
            offer["seal_label"] = label_of(labels, offer["seal_id"])
    for name in ("my_consignments_needing_certificate", "exporters_consignments_needing_certificate"):
        for item in lists[name][0]:
            _named(names, item, "holder")
            item["seal_label"] = label_of(labels, item["seal_id"])
            item["offered_to_name"] = name_of(names, item["offered_to"])
    for name, (rows, total) in certificates.items():
        lists[name] = ([certificate_view(c, now, names=names) for c in rows], total)
    lists["consignments"] = ([{
        "id": c.id, "status": c.status, "seal_id": c.seal_id, "seal_label": label_of(labels, c.seal_id),
        "points": c.points, "carats": carats_text(c.points),
        "parcel_ids": list(c.parcel_ids), "hs_codes": lots[c.id]["hs_codes"], "origins": lots[c.id]["origins"],
        "offered": c.id in offered,
        "certificate": (certificate_view(certs[c.certificate_key], now, names=names)
                        if c.certificate_key in certs else None),
    } for c in held], held_total)

    return {
        "address": address,
        "member": member is not None and roles != 0,
        "name": member.name if member is not None else None,
        "licence_number": member.licence_number if member is not None else None,
        "participant": participant_view(participant) if participant is not None else None,
        "roles": role_names(roles),
        "limit": limit,
        "counts": {name: total for name, (_rows, total) in lists.items()},
        **{name: rows for name, (rows, _total) in lists.items()},
    }
