"""Read-side queries over lots: parcels, consignments and their custody steps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.core.constants import carats_text
from kpledger.core.errors import NotFound
from kpledger.db import models as m
from kpledger.queries.names import names_of
from kpledger.queries.seals import label_of, labels_of
from kpledger.queries.views import (
    certificate_accounts,
    certificate_view,
    name_of,
    offer_view,
    parcel_view,
    participant_of,
)


def parcel_with_offer(session: Session, parcel_id: int) -> tuple[m.Parcel, m.Offer | None, list[str]]:
    """A parcel, its open offer and the accounts they name; ParcelNotFound if there is none."""
    parcel = session.get(m.Parcel, parcel_id)
    if parcel is None:
        raise NotFound(f"no parcel {parcel_id}", code="ParcelNotFound", details={"parcel_id": parcel_id})
    offer = session.get(m.Offer, parcel_id)
    return parcel, offer, [parcel.holder, *((offer.sender, offer.recipient) if offer else ())]


def get_parcel(session: Session, parcel_id: int) -> dict[str, Any]:
    parcel, offer, accounts = parcel_with_offer(session, parcel_id)
    return parcel_view(parcel, offer, names=names_of(session, accounts),
                       labels=labels_of(session, [offer.seal_id if offer else None]))


def get_consignment(session: Session, consignment_id: int) -> dict[str, Any]:
    c = session.get(m.Consignment, consignment_id)
    if c is None:
        raise NotFound(f"no consignment {consignment_id}", code="ConsignmentNotFound",
                       details={"consignment_id": consignment_id})
    offer = session.get(m.Offer, consignment_id)
    cert = session.get(m.Certificate, c.certificate_key) if c.certificate_key else None
    parcels = session.execute(select(m.Parcel).where(m.Parcel.id.in_(c.parcel_ids))).scalars().all()
    names = names_of(session, [c.holder, *((offer.sender, offer.recipient) if offer else ()),
                               *(certificate_accounts(cert) if cert else ())])
    labels = labels_of(session, [c.seal_id, offer.seal_id if offer else None])
    return {
        "id": c.id, "kind": "consignment", "holder": c.holder, "holder_name": name_of(names, c.holder),
        "holder_participant": participant_of(names, c.holder), "seal_id": c.seal_id,
        "seal_label": label_of(labels, c.seal_id), "status": c.status,
        "points": c.points, "carats": carats_text(c.points), "parcel_ids": c.parcel_ids,
        "origins": sorted({code for p in parcels for code in p.origins}),
        "hs_codes": sorted({p.hs_code for p in parcels}),
        "created_block": c.created_block, "created_tx": c.created_tx, "created_at": c.created_at,
        "offer": offer_view(offer, names, labels),
        "certificate": None if cert is None else certificate_view(cert, names=names),
    }


def get_lot(session: Session, lot_id: int) -> dict[str, Any]:
    """A parcel or a consignment, whichever the id names (one id space)."""
    if session.get(m.Consignment, lot_id) is not None:
        return get_consignment(session, lot_id)
    return get_parcel(session, lot_id)
