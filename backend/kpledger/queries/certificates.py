"""Read-side queries over KP certificates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.core.errors import NotFound
from kpledger.db import models as m
from kpledger.queries.views import certificate_view, parcel_view


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
