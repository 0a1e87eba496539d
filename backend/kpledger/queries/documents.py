"""Off-chain documents in the index: who is entitled to a record's document, and the filed documents themselves
(which record a file is, and whether it still counts: `kpledger.queries.verdicts`)."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.core.constants import AUTHORITY
from kpledger.core.errors import Conflict, NotFound
from kpledger.db import models as m
from kpledger.queries.certificates import PRINTED, certificate_row


def parcel_row(session: Session, parcel_id: int) -> m.Parcel:
    parcel = session.get(m.Parcel, parcel_id)
    if parcel is None:
        raise NotFound(f"no parcel {parcel_id}", code="ParcelNotFound", details={"parcel_id": parcel_id})
    return parcel


def _authorities(s: Session, countries: set[str]) -> set[str]:
    rows = s.execute(select(m.Member.address, m.Member.roles).where(m.Member.participant.in_(countries))).all()
    return {address for address, roles in rows if roles & AUTHORITY}


def _lot_parties(s: Session, lot_ids: list[int]) -> set[str]:
    """Every account that held these lots (registered, sealed, split, merged or received them)."""
    held = ("registered", "sealed", "split", "merged", "transferred")
    rows = s.execute(select(m.CustodyStep.sender, m.CustodyStep.recipient).where(
        m.CustodyStep.lot_id.in_(lot_ids), m.CustodyStep.kind.in_(held))).all()
    return {a for row in rows for a in row if a}


def certificate_parties(s: Session, number: str) -> tuple[m.Certificate, set[str]]:
    """A certificate and the accounts entitled to its document: both authorities, its issuer, the consignment's
    holders and the importer that received it (lower-case addresses)."""
    cert = certificate_row(s, number)
    parties = _authorities(s, {cert.exporter, cert.importer}) | _lot_parties(s, [cert.consignment_id])
    parties |= {cert.issued_by} | ({cert.importer_account} if cert.importer_account else set())
    return cert, {p.lower() for p in parties}


def parcel_parties(s: Session, parcel_id: int) -> tuple[m.Parcel, set[str]]:
    """A parcel and the accounts entitled to its document: those who held it (or a consignment it travelled in)
    and the authorities of their countries and of its origins (lower-case addresses)."""
    parcel = parcel_row(s, parcel_id)
    containers = s.execute(select(m.ConsignmentParcel.consignment_id)
                           .where(m.ConsignmentParcel.parcel_id == parcel_id)).scalars().all()
    holders = _lot_parties(s, [parcel_id, *containers])
    countries = set(parcel.origins) | {mem.participant for mem in s.execute(
        select(m.Member).where(m.Member.address.in_(holders))).scalars()}
    return parcel, {p.lower() for p in holders | _authorities(s, countries)}


def anchored(s: Session, kind: str, reference: str) -> tuple[str, set[str]]:
    """The hash anchored on chain for a certificate's or a parcel's document, and who is entitled to it."""
    if kind == "certificate":
        cert, parties = certificate_parties(s, reference)
        return cert.document_hash, parties
    parcel, parties = parcel_parties(s, int(reference))
    return parcel.document_hash, parties


def store(s: Session, kind: str, reference: str, digest: str, body: bytes, content_type: str, by: str) -> bool:
    """Files the document of a record; False if it was filed already (the first filing's content type stays: a
    different one is refused)."""
    content_type = content_type[:100]
    existing = s.get(m.Document, (kind, reference))
    if existing is not None:
        if existing.sha256 != digest or existing.content_type != content_type:
            raise Conflict("this record's document is filed already, with its content type fixed by that filing",
                           code="DocumentAlreadyFiled",
                           details={"content_type": existing.content_type, "sha256": existing.sha256})
        return False
    s.add(m.Document(kind=kind, reference=reference, sha256=digest, content_type=content_type, content=body,
                     uploaded_by=by, uploaded_at=time.time()))
    return True


def filed(s: Session, kind: str, reference: str, digest: str) -> m.Document:
    """The document filed for a record, if it is the one the record anchored."""
    document = s.get(m.Document, (kind, reference))
    if document is None or document.sha256 != digest:
        raise NotFound("the document has not been filed with this backend", code="DocumentNotFiled")
    return document


def store_print(s: Session, number: str, pdf: bytes, by: str) -> str:
    """Keeps the PDF printed from a certificate's filed document (the one print a verifier's PDF is compared with);
    returns its SHA-256."""
    digest = "0x" + hashlib.sha256(pdf).hexdigest()
    if s.get(m.Document, (PRINTED, number)) is None:
        s.add(m.Document(kind=PRINTED, reference=number, sha256=digest, content_type="application/pdf", content=pdf,
                         uploaded_by=by, uploaded_at=time.time()))
    return digest


def printed(s: Session, number: str) -> m.Document | None:
    """The PDF printed from a certificate's filed document, if it was printed."""
    return s.get(m.Document, (PRINTED, number))
