"""Read-side queries over lots: parcels, consignments and their custody steps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.core.constants import carats_text
from kpledger.core.errors import NotFound
from kpledger.db import models as m
from kpledger.queries.views import certificate_view, parcel_view


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
        "points": c.points, "carats": carats_text(c.points), "parcel_ids": c.parcel_ids,
        "origins": sorted({code for p in parcels for code in p.origins}),
        "hs_codes": sorted({p.hs_code for p in parcels}),
        "created_block": c.created_block, "created_tx": c.created_tx, "created_at": c.created_at,
        "offer": None if offer is None else {"to": offer.recipient, "from": offer.sender, "seal_id": offer.seal_id},
        "certificate": None if cert is None else certificate_view(cert),
    }


def get_lot(session: Session, lot_id: int) -> dict[str, Any]:
    """A parcel or a consignment, whichever the id names (one id space)."""
    if session.get(m.Consignment, lot_id) is not None:
        return get_consignment(session, lot_id)
    return get_parcel(session, lot_id)
