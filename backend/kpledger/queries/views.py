"""How index rows read: the views every query returns (addresses, ISO codes, decimals as the API shows them).

Beside every account a view gives the name a person reads (the operator's licensed legal name or the authority's
public name, `MemberProfileChanged`) and its participant, from a `Names` map that the query builds with one lookup
per request (`kpledger.queries.names`); an account with no profile reads as None. Likewise beside every seal id its
label (`seal_label`, from a `Labels` map: `kpledger.queries.seals`), None when the ledger never learnt it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row

from kpledger.core.constants import REASONS, carats_text, role_names
from kpledger.db import models as m
from kpledger.queries.seals import NO_LABELS, Labels, label_of

Party = tuple[str | None, str | None]  # (public name, participant code) of an account
Names = Mapping[str, Party]
NO_NAMES: Names = {}


def participant_view(p: m.Participant) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "index": p.index, "status": p.status}


def member_view(member: m.Member) -> dict[str, Any]:
    return {"address": member.address, "participant": member.participant, "roles": role_names(member.roles),
            "name": member.name, "licence_number": member.licence_number, "registry_ref": member.registry_ref}


def profile_change_view(change: m.ProfileChange) -> dict[str, Any]:
    return {"name": change.name, "licence_number": change.licence_number, "registry_ref": change.registry_ref,
            "changed_by": change.changed_by, "block": change.block_number, "tx_hash": change.tx_hash,
            "timestamp": change.timestamp}


def name_of(names: Names, address: str | None) -> str | None:
    return names.get(address, (None, None))[0] if address else None


def participant_of(names: Names, address: str | None) -> str | None:
    return names.get(address, (None, None))[1] if address else None


def certificate_status(cert: m.Certificate, now: float | None = None) -> str:
    """Stored status, with an unused certificate past its expiry reported as expired."""
    now = time.time() if now is None else now
    if cert.status == "issued" and cert.expires_at < now:
        return "expired"
    return cert.status


def corrections(history: list[dict[str, Any]], names: Names = NO_NAMES
                ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The last discrepancy the importing authority recorded and the confirmation that resolved it, both kept (a
    confirmation after a discrepancy closes the certificate without erasing the dispute)."""
    discrepancy = resolution = None
    for entry in history:
        if entry["event"] == "ImportDiscrepancy":
            reason = entry.get("reason")
            discrepancy = {"reason": reason, "reason_text": REASONS.get(reason or 0, "unknown reason"),
                           "evidence_hash": entry.get("evidenceHash"), "authority": entry.get("authority"),
                           "authority_name": name_of(names, entry.get("authority")), "timestamp": entry["timestamp"],
                           "block": entry["block"], "tx": entry["tx"]}
            resolution = None
        elif entry["event"] == "ImportConfirmed" and discrepancy is not None:
            resolution = {"authority": entry.get("authority"), "authority_name": name_of(names, entry.get("authority")),
                          "timestamp": entry["timestamp"], "block": entry["block"], "tx": entry["tx"]}
    return discrepancy, resolution


def certificate_accounts(c: m.Certificate) -> list[str | None]:
    """The accounts a certificate's view names (for the names lookup): its parties and the authorities that acted."""
    return [c.exporter_account, c.importer_account, c.issued_by, *(e.get("authority") for e in c.history)]


def certificate_view(c: m.Certificate, now: float | None = None, *, names: Names = NO_NAMES) -> dict[str, Any]:
    discrepancy, resolution = corrections(c.history, names)
    return {
        "number": c.number, "key": c.key, "status": certificate_status(c, now), "consignment_id": c.consignment_id,
        "exporter": c.exporter, "importer": c.importer, "points": c.points, "carats": carats_text(c.points),
        "parcel_count": c.parcel_count, "hs_codes": c.hs_codes, "origins": c.origins,
        "mixed_origin": len(c.origins) > 1, "issued_at": c.issued_at, "expires_at": c.expires_at,
        "document_hash": c.document_hash, "issued_by": c.issued_by, "issued_by_name": name_of(names, c.issued_by),
        "issued_block": c.issued_block, "issued_tx": c.issued_tx,
        "exporter_account": c.exporter_account, "exporter_name": name_of(names, c.exporter_account),
        "importer_account": c.importer_account, "importer_name": name_of(names, c.importer_account),
        "replaces": c.replaces, "superseded_by": c.superseded_by,
        "discrepancy": discrepancy, "resolution": resolution, "history": c.history,
    }


def offer_view(offer: m.Offer | None, names: Names = NO_NAMES, labels: Labels = NO_LABELS) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {"to": offer.recipient, "to_name": name_of(names, offer.recipient), "from": offer.sender,
            "from_name": name_of(names, offer.sender), "seal_id": offer.seal_id,
            "seal_label": label_of(labels, offer.seal_id)}


def parcel_view(p: m.Parcel, offer: m.Offer | None = None, *, names: Names = NO_NAMES,
                labels: Labels = NO_LABELS) -> dict[str, Any]:
    return {
        "id": p.id, "kind": "parcel", "holder": p.holder, "holder_name": name_of(names, p.holder),
        "holder_participant": participant_of(names, p.holder), "points": p.points, "carats": carats_text(p.points),
        "stones": p.stones, "hs_code": p.hs_code, "origins": p.origins, "mixed_origin": len(p.origins) > 1,
        "status": p.status, "consignment_id": p.consignment_id if p.sealed else None, "sealed": p.sealed,
        "document_hash": p.document_hash, "created_by": p.created_by, "created_block": p.created_block,
        "created_tx": p.created_tx, "created_at": p.created_at, "offer": offer_view(offer, names, labels),
    }


def step_view(s: m.CustodyStep | Row[Any], names: Names = NO_NAMES, labels: Labels = NO_LABELS) -> dict[str, Any]:
    """A custody step, as an ORM object or a row of its table (what provenance reads: no objects to build)."""
    return {
        "lot_id": s.lot_id, "kind": s.kind, "from": s.sender, "from_name": name_of(names, s.sender), "to": s.recipient,
        "to_name": name_of(names, s.recipient), "from_country": s.sender_country, "to_country": s.recipient_country,
        "seal_id": s.seal_id, "seal_label": label_of(labels, s.seal_id),
        "certificate_key": s.certificate_key, "reason": s.reason, "block": s.block_number,
        "log_index": s.log_index, "tx_hash": s.tx_hash, "timestamp": s.timestamp,
    }
