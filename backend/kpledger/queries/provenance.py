"""Read-side queries over the index: parcels, consignments, certificates and a parcel's provenance."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import BigInteger, literal, select
from sqlalchemy.orm import Session

from kpledger.core.errors import NotFound
from kpledger.db import models as m
from kpledger.queries.roles import role_names


def certificate_status(cert: m.Certificate, now: float | None = None) -> str:
    """Stored status, with an unused certificate past its expiry reported as expired."""
    now = time.time() if now is None else now
    if cert.status == "issued" and cert.expires_at < now:
        return "expired"
    return cert.status


def participant_view(p: m.Participant) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "index": p.index, "status": p.status}


def member_view(member: m.Member) -> dict[str, Any]:
    return {"address": member.address, "participant": member.participant, "roles": role_names(member.roles)}


def parcel_view(p: m.Parcel, offer: m.Offer | None = None) -> dict[str, Any]:
    return {
        "id": p.id, "kind": "parcel", "holder": p.holder, "points": p.points, "carats": p.points / 100,
        "stones": p.stones, "hs_code": p.hs_code, "origins": p.origins, "mixed_origin": len(p.origins) > 1,
        "status": p.status, "consignment_id": p.consignment_id if p.sealed else None, "sealed": p.sealed,
        "document_hash": p.document_hash, "created_by": p.created_by, "created_block": p.created_block,
        "created_tx": p.created_tx, "created_at": p.created_at,
        "offer": None if offer is None else {"to": offer.recipient, "from": offer.sender, "seal_id": offer.seal_id},
    }


def certificate_view(c: m.Certificate, now: float | None = None) -> dict[str, Any]:
    return {
        "number": c.number, "key": c.key, "status": certificate_status(c, now), "consignment_id": c.consignment_id,
        "exporter": c.exporter, "importer": c.importer, "points": c.points, "carats": c.points / 100,
        "parcel_count": c.parcel_count, "hs_codes": c.hs_codes, "origins": c.origins,
        "mixed_origin": len(c.origins) > 1, "issued_at": c.issued_at, "expires_at": c.expires_at,
        "document_hash": c.document_hash, "issued_by": c.issued_by, "issued_block": c.issued_block,
        "issued_tx": c.issued_tx, "importer_account": c.importer_account, "history": c.history,
    }


def step_view(s: m.CustodyStep) -> dict[str, Any]:
    return {
        "lot_id": s.lot_id, "kind": s.kind, "from": s.sender, "to": s.recipient, "from_country": s.sender_country,
        "to_country": s.recipient_country, "seal_id": s.seal_id, "certificate_key": s.certificate_key,
        "reason": s.reason, "block": s.block_number, "log_index": s.log_index, "tx_hash": s.tx_hash,
        "timestamp": s.timestamp,
    }


def get_parcel(session: Session, parcel_id: int) -> dict[str, Any]:
    parcel = session.get(m.Parcel, parcel_id)
    if parcel is None:
        raise NotFound(f"no parcel {parcel_id}", code="ParcelNotFound", details={"parcel_id": parcel_id})
    return parcel_view(parcel, session.get(m.Offer, parcel_id))


def get_consignment(session: Session, consignment_id: int) -> dict[str, Any]:
    c = session.get(m.Consignment, consignment_id)
    if c is None:
        raise NotFound(f"no consignment {consignment_id}", code="ConsignmentNotFound",
                       details={"consignment_id": consignment_id})
    offer = session.get(m.Offer, consignment_id)
    cert = session.get(m.Certificate, c.certificate_key) if c.certificate_key else None
    parcels = session.execute(select(m.Parcel).where(m.Parcel.id.in_(c.parcel_ids))).scalars().all()
    return {
        "id": c.id, "kind": "consignment", "holder": c.holder, "seal_id": c.seal_id, "status": c.status,
        "points": c.points, "carats": c.points / 100, "parcel_ids": c.parcel_ids,
        "origins": sorted({code for p in parcels for code in p.origins}),
        "hs_codes": sorted({p.hs_code for p in parcels}),
        "created_block": c.created_block, "created_tx": c.created_tx, "created_at": c.created_at,
        "offer": None if offer is None else {"to": offer.recipient, "from": offer.sender, "seal_id": offer.seal_id},
        "certificate": None if cert is None else certificate_view(cert),
    }


def get_certificate(session: Session, number: str) -> dict[str, Any]:
    cert = session.execute(select(m.Certificate).where(m.Certificate.number == number)).scalar_one_or_none()
    if cert is None:
        raise NotFound(f"no certificate {number}", code="CertificateNotFound", details={"number": number})
    view = certificate_view(cert)
    consignment = session.get(m.Consignment, cert.consignment_id)
    ids = consignment.parcel_ids if consignment else []
    parcels = session.execute(select(m.Parcel).where(m.Parcel.id.in_(ids)).order_by(m.Parcel.id)).scalars()
    view["parcels"] = [parcel_view(p) for p in parcels]
    view["seal_id"] = consignment.seal_id if consignment else None
    return view


def lineage(session: Session, parcel_id: int) -> tuple[dict[int, Any], list[m.ParcelLink]]:
    """The parcel, every ancestor back to the registrations at the mines, and the parcel's direct children.

    One recursive query walks the links upwards whatever the depth of the lineage.
    """
    ancestors = select(literal(parcel_id, BigInteger).label("id")).cte("ancestors", recursive=True)
    ancestors = ancestors.union(
        select(m.ParcelLink.parent_id).join(ancestors, m.ParcelLink.child_id == ancestors.c.id))
    ids = select(ancestors.c.id)
    # two indexed lookups: an OR of the two would scan the links table
    links = list(session.execute(select(m.ParcelLink).where(m.ParcelLink.child_id.in_(ids))).scalars())
    links += session.execute(select(m.ParcelLink).where(m.ParcelLink.parent_id == parcel_id)).scalars()
    wanted = select(ancestors.c.id).union(select(m.ParcelLink.child_id).where(m.ParcelLink.parent_id == parcel_id))
    # plain rows, not ORM instances: a deep lineage has hundreds of rows and instances cost ~10x more
    parcels = {p.id: p for p in session.execute(select(m.Parcel.__table__).where(m.Parcel.id.in_(wanted)))}
    return parcels, links


def verdict(crossings: list[dict[str, Any]], certificates: dict[str, dict[str, Any]],
            steps: list[dict[str, Any]]) -> dict[str, Any]:
    """A buyer's plain answer: is every border crossing covered by a confirmed KP certificate?"""
    problems = []
    for crossing in crossings:
        cert = certificates.get(crossing["certificate_key"] or "")
        route = f"{crossing['from_country']} -> {crossing['to_country']}"
        if cert is None:
            problems.append(f"crossing {route} has no KP certificate")
        elif cert["status"] == "delivered":
            problems.append(f"crossing {route} under {cert['number']}: import not yet confirmed")
        elif cert["status"] != "confirmed":
            problems.append(f"crossing {route} under {cert['number']}: certificate {cert['status']}")
    mismatches = [s for s in steps if s["kind"] == "seal_mismatch"]
    notes = [f"seal mismatch recorded on lot {s['lot_id']} (transfer refused)" for s in mismatches]
    if problems:
        return {"status": "incomplete", "summary": "; ".join(problems), "problems": problems, "notes": notes}
    if not crossings:
        summary = "no border crossing: the goods have stayed in their country of origin"
    else:
        summary = f"every border crossing ({len(crossings)}) covered by a confirmed KP certificate"
    return {"status": "ok", "summary": summary, "problems": [], "notes": notes}


def provenance(session: Session, parcel_id: int) -> dict[str, Any]:
    """Custody timeline, lineage graph, certificates, country path and verdict for one parcel."""
    parcel = get_parcel(session, parcel_id)
    parcels, links = lineage(session, parcel_id)
    children = {link.child_id for link in links if link.parent_id == parcel_id}
    ancestry_ids = set(parcels) - children  # the parcel and its ancestors: whose history this is
    consignment_ids = session.execute(select(m.ConsignmentParcel.consignment_id).where(
        m.ConsignmentParcel.parcel_id.in_(ancestry_ids))).scalars().all()
    lots = sorted(ancestry_ids | set(consignment_ids))
    steps = [step_view(s) for s in session.execute(
        select(m.CustodyStep.__table__).where(m.CustodyStep.lot_id.in_(lots))
        .order_by(m.CustodyStep.block_number, m.CustodyStep.log_index))]
    keys = {s["certificate_key"] for s in steps if s["certificate_key"]}
    # two indexed lookups (an OR of the two would scan the table)
    certs = {c.key: c for c in session.execute(select(m.Certificate).where(m.Certificate.key.in_(keys))).scalars()}
    certs.update((c.key, c) for c in session.execute(
        select(m.Certificate).where(m.Certificate.consignment_id.in_(consignment_ids))).scalars())
    certs = list(certs.values())
    certificates = {c.key: certificate_view(c) for c in certs}
    crossings = [s for s in steps if s["kind"] == "transferred" and s["from_country"] != s["to_country"]]
    mines = sorted({p.id for p in parcels.values() if p.created_by == "registered" and p.id in ancestry_ids})
    path: list[str] = []
    for code in [parcels[i].origins[0] for i in mines] + [c["to_country"] for c in crossings]:
        if code and (not path or path[-1] != code):
            path.append(code)
    return {
        "parcel": parcel,
        "timeline": steps,
        "lineage": {
            "nodes": [parcel_view(p) for p in sorted(parcels.values(), key=lambda p: p.id)],
            "edges": [{"from": link.parent_id, "to": link.child_id, "kind": link.kind} for link in links],
            "roots": mines,
        },
        "certificates": sorted(certificates.values(), key=lambda c: c["issued_block"]),
        "crossings": crossings,
        "country_path": path,
        "origins": parcel["origins"],
        "verdict": verdict(crossings, certificates, steps),
    }


def list_participants(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(m.Participant).order_by(m.Participant.code)).scalars()
    return [participant_view(p) for p in rows]


def get_participant(session: Session, code: str) -> dict[str, Any]:
    p = session.get(m.Participant, code)
    if p is None:
        raise NotFound(f"{code} is not a KP participant on this ledger", code="ParticipantNotFound",
                       details={"code": code})
    members = session.execute(select(m.Member).where(m.Member.participant == code)
                              .order_by(m.Member.address)).scalars()
    return {**participant_view(p), "members": [member_view(x) for x in members if x.roles]}


def get_account(session: Session, address: str) -> dict[str, Any]:
    member = session.get(m.Member, address)
    if member is None:
        raise NotFound(f"{address} is not a member of any participant", code="AccountNotFound",
                       details={"address": address})
    return member_view(member)
