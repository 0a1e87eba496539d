"""A parcel's provenance: its custody timeline, lineage back to the mines, certificates and a verdict."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, literal, select
from sqlalchemy.orm import Session

from kpledger.db import models as m
from kpledger.queries.parcels import get_parcel
from kpledger.queries.views import certificate_view, parcel_view, step_view


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
