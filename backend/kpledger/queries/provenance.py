"""A parcel's provenance: its custody timeline, lineage back to the mines, certificates and a verdict."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, literal, select
from sqlalchemy.orm import Session

from kpledger.core.constants import REASONS
from kpledger.core.words import when
from kpledger.db import models as m
from kpledger.queries.names import names_of
from kpledger.queries.parcels import parcel_with_offer
from kpledger.queries.seals import labels_of
from kpledger.queries.views import certificate_accounts, certificate_view, parcel_view, step_view


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


def _reason(code: int | None) -> str:
    return REASONS.get(code or 0, f"reason {code}")


def _voided(cert: dict[str, Any]) -> str:
    """What happened to a voided certificate, in words (when, why, and what replaced it)."""
    entry = next((e for e in reversed(cert["history"]) if e["event"] == "CertificateVoided"), None)
    text = f"certificate {cert['number']} was voided"
    if entry is not None:
        text += f" ({_reason(entry.get('reason'))}) on {when(entry['timestamp'])}"
    if cert.get("superseded_by"):
        text += f" and replaced by {cert['superseded_by']}"
    return text


def verdict(crossings: list[dict[str, Any]], certificates: dict[str, dict[str, Any]],
            steps: list[dict[str, Any]]) -> dict[str, Any]:
    """A buyer's plain answer: is every border crossing covered by a confirmed KP certificate?

    A discrepancy stays in the answer after the importing authority resolved it by confirming the import (a note:
    the crossing is covered), and a voided or superseded certificate of these goods is noted with its replacement."""
    problems, notes = [], []
    for crossing in crossings:
        cert = certificates.get(crossing["certificate_key"] or "")
        route = f"{crossing['from_country']} -> {crossing['to_country']}"
        if cert is None:
            problems.append(f"crossing {route} has no KP certificate")
            continue
        under = f"crossing {route} under {cert['number']}"
        discrepancy, resolution = cert.get("discrepancy"), cert.get("resolution")
        if discrepancy is not None:
            recorded = f"a discrepancy ({discrepancy['reason_text']}) was recorded on {when(discrepancy['timestamp'])}"
            if resolution is not None and cert["status"] == "confirmed":
                notes.append(f"{under}: {recorded} and resolved by the importing authority's confirmation on "
                             f"{when(resolution['timestamp'])}")
            else:
                problems.append(f"{under}: {recorded} and is not resolved")
        elif cert["status"] == "delivered":
            problems.append(f"{under}: import not yet confirmed")
        elif cert["status"] != "confirmed":
            problems.append(f"{under}: certificate {cert['status']}")
    used = {c["certificate_key"] for c in crossings}
    notes += [_voided(c) for key, c in certificates.items() if c["status"] == "voided" and key not in used]
    mismatches = [s for s in steps if s["kind"] == "seal_mismatch"]
    notes += [f"seal mismatch recorded on lot {s['lot_id']} (transfer refused)" for s in mismatches]
    if problems:
        return {"status": "incomplete", "summary": "; ".join(problems), "problems": problems, "notes": notes}
    if not crossings:
        summary = "no border crossing: the goods have stayed in their country of origin"
    else:
        summary = f"every border crossing ({len(crossings)}) covered by a confirmed KP certificate"
    return {"status": "ok", "summary": summary, "problems": [], "notes": notes}


def provenance(session: Session, parcel_id: int) -> dict[str, Any]:
    """Custody timeline, lineage graph, certificates, country path and verdict for one parcel."""
    parcel_row, offer, parcel_accounts = parcel_with_offer(session, parcel_id)
    parcels, links = lineage(session, parcel_id)
    children = {link.child_id for link in links if link.parent_id == parcel_id}
    ancestry_ids = set(parcels) - children  # the parcel and its ancestors: whose history this is
    consignment_ids = session.execute(select(m.ConsignmentParcel.consignment_id).where(
        m.ConsignmentParcel.parcel_id.in_(ancestry_ids))).scalars().all()
    lots = sorted(ancestry_ids | set(consignment_ids))
    step_rows = session.execute(select(m.CustodyStep.__table__).where(m.CustodyStep.lot_id.in_(lots))
                                .order_by(m.CustodyStep.block_number, m.CustodyStep.log_index)).all()
    keys = {s.certificate_key for s in step_rows if s.certificate_key}
    # two indexed lookups (an OR of the two would scan the table)
    certs = {c.key: c for c in session.execute(select(m.Certificate).where(m.Certificate.key.in_(keys))).scalars()}
    certs.update((c.key, c) for c in session.execute(
        select(m.Certificate).where(m.Certificate.consignment_id.in_(consignment_ids))).scalars())
    # one lookup for every name on the page: the parties of the steps, the holders, the certificates' accounts
    names = names_of(session, parcel_accounts + [a for s in step_rows for a in (s.sender, s.recipient)]
                     + [p.holder for p in parcels.values()]
                     + [a for c in certs.values() for a in certificate_accounts(c)])
    labels = labels_of(session, [s.seal_id for s in step_rows] + [offer.seal_id if offer else None])
    parcel = parcel_view(parcel_row, offer, names=names, labels=labels)
    steps = [step_view(s, names, labels) for s in step_rows]
    certificates = {c.key: certificate_view(c, names=names) for c in certs.values()}
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
            "nodes": [parcel_view(p, names=names) for p in sorted(parcels.values(), key=lambda p: p.id)],
            "edges": [{"from": link.parent_id, "to": link.child_id, "kind": link.kind} for link in links],
            "roots": mines,
        },
        "certificates": sorted(certificates.values(), key=lambda c: c["issued_block"]),
        "crossings": crossings,
        "country_path": path,
        "origins": parcel["origins"],
        "verdict": verdict(crossings, certificates, steps),
    }
