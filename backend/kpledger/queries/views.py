"""How index rows read: the views every query returns (addresses, ISO codes, decimals as the API shows them)."""

from __future__ import annotations

import time
from typing import Any

from kpledger.core.constants import carats_text, role_names
from kpledger.db import models as m


def participant_view(p: m.Participant) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "index": p.index, "status": p.status}


def member_view(member: m.Member) -> dict[str, Any]:
    return {"address": member.address, "participant": member.participant, "roles": role_names(member.roles)}


def certificate_status(cert: m.Certificate, now: float | None = None) -> str:
    """Stored status, with an unused certificate past its expiry reported as expired."""
    now = time.time() if now is None else now
    if cert.status == "issued" and cert.expires_at < now:
        return "expired"
    return cert.status


def certificate_view(c: m.Certificate, now: float | None = None) -> dict[str, Any]:
    return {
        "number": c.number, "key": c.key, "status": certificate_status(c, now), "consignment_id": c.consignment_id,
        "exporter": c.exporter, "importer": c.importer, "points": c.points, "carats": carats_text(c.points),
        "parcel_count": c.parcel_count, "hs_codes": c.hs_codes, "origins": c.origins,
        "mixed_origin": len(c.origins) > 1, "issued_at": c.issued_at, "expires_at": c.expires_at,
        "document_hash": c.document_hash, "issued_by": c.issued_by, "issued_block": c.issued_block,
        "issued_tx": c.issued_tx, "importer_account": c.importer_account, "history": c.history,
    }


def parcel_view(p: m.Parcel, offer: m.Offer | None = None) -> dict[str, Any]:
    return {
        "id": p.id, "kind": "parcel", "holder": p.holder, "points": p.points, "carats": carats_text(p.points),
        "stones": p.stones, "hs_code": p.hs_code, "origins": p.origins, "mixed_origin": len(p.origins) > 1,
        "status": p.status, "consignment_id": p.consignment_id if p.sealed else None, "sealed": p.sealed,
        "document_hash": p.document_hash, "created_by": p.created_by, "created_block": p.created_block,
        "created_tx": p.created_tx, "created_at": p.created_at,
        "offer": None if offer is None else {"to": offer.recipient, "from": offer.sender, "seal_id": offer.seal_id},
    }


def step_view(s: m.CustodyStep) -> dict[str, Any]:
    return {
        "lot_id": s.lot_id, "kind": s.kind, "from": s.sender, "to": s.recipient, "from_country": s.sender_country,
        "to_country": s.recipient_country, "seal_id": s.seal_id, "certificate_key": s.certificate_key,
        "reason": s.reason, "block": s.block_number, "log_index": s.log_index, "tx_hash": s.tx_hash,
        "timestamp": s.timestamp,
    }
