"""Off-chain documents (certificates with values and parties; parcel documents), for entitled parties only.

A document is accepted only if its SHA-256 is the hash anchored on chain, and only from a party
entitled to it; it is served only to such parties, authenticated by a signed request.
"""

from __future__ import annotations

import hashlib
import time
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.api.deps import DbDep, SettingsDep
from kpledger.auth import verify_request
from kpledger.core.errors import Forbidden, InvalidRequest, NotFound
from kpledger.db import models as m

router = APIRouter(prefix="/v1/documents", tags=["documents"])

Number = Annotated[str, Path(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$")]
ParcelId = Annotated[int, Path(ge=1, le=2**40)]
AUTHORITY = 1


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
    cert = s.execute(select(m.Certificate).where(m.Certificate.number == number)).scalar_one_or_none()
    if cert is None:
        raise NotFound(f"no certificate {number}", code="CertificateNotFound", details={"number": number})
    parties = _authorities(s, {cert.exporter, cert.importer}) | _lot_parties(s, [cert.consignment_id])
    parties |= {cert.issued_by} | ({cert.importer_account} if cert.importer_account else set())
    return cert, {p.lower() for p in parties}


def parcel_parties(s: Session, parcel_id: int) -> tuple[m.Parcel, set[str]]:
    parcel = s.get(m.Parcel, parcel_id)
    if parcel is None:
        raise NotFound(f"no parcel {parcel_id}", code="ParcelNotFound", details={"parcel_id": parcel_id})
    containers = s.execute(select(m.ConsignmentParcel.consignment_id)
                           .where(m.ConsignmentParcel.parcel_id == parcel_id)).scalars().all()
    holders = _lot_parties(s, [parcel_id, *containers])
    countries = set(parcel.origins) | {mem.participant for mem in s.execute(
        select(m.Member).where(m.Member.address.in_(holders))).scalars()}
    return parcel, {p.lower() for p in holders | _authorities(s, countries)}


async def _caller(request: Request, settings: SettingsDep) -> tuple[str, bytes]:
    body = await request.body()
    signer = verify_request(dict(request.headers), request.method, request.url.path, body,
                            settings.auth_window_seconds)
    return signer, body


def _entitled(signer: str, parties: set[str]) -> None:
    if signer.lower() not in parties:
        raise Forbidden("only the parties and authorities concerned may see or file this document",
                        code="NotEntitled", details={"account": signer})


def _store(s: Session, kind: str, reference: str, anchored: str, body: bytes, content_type: str, by: str) -> dict:
    digest = "0x" + hashlib.sha256(body).hexdigest()
    if digest != anchored:
        raise InvalidRequest("the document's SHA-256 is not the hash anchored on chain", code="DocumentMismatch",
                             details={"sha256": digest, "anchored": anchored})
    s.merge(m.Document(sha256=digest, kind=kind, reference=reference, content_type=content_type[:100],
                       content=body, uploaded_by=by, uploaded_at=time.time()))
    return {"sha256": digest, "kind": kind, "reference": reference, "stored": True}


def _serve(s: Session, anchored: str) -> Response:
    document = s.get(m.Document, anchored)
    if document is None:
        raise NotFound("the document has not been filed with this backend", code="DocumentNotFiled")
    return Response(document.content, media_type=document.content_type,
                    headers={"X-KP-SHA256": document.sha256, "Cache-Control": "private, no-store"})


@router.put("/certificates/{number}")
async def file_certificate_document(number: Number, request: Request, db: DbDep, settings: SettingsDep) -> dict:
    signer, body = await _caller(request, settings)
    with db.transaction() as s:
        cert, parties = certificate_parties(s, number)
        _entitled(signer, parties)
        return _store(s, "certificate", number, cert.document_hash, body,
                      request.headers.get("content-type", "application/octet-stream"), signer)


@router.get("/certificates/{number}")
async def read_certificate_document(number: Number, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    signer, _ = await _caller(request, settings)
    with db.session() as s:
        cert, parties = certificate_parties(s, number)
        _entitled(signer, parties)
        return _serve(s, cert.document_hash)


@router.put("/parcels/{parcel_id}")
async def file_parcel_document(parcel_id: ParcelId, request: Request, db: DbDep, settings: SettingsDep) -> dict:
    signer, body = await _caller(request, settings)
    with db.transaction() as s:
        parcel, parties = parcel_parties(s, parcel_id)
        _entitled(signer, parties)
        return _store(s, "parcel", str(parcel_id), parcel.document_hash, body,
                      request.headers.get("content-type", "application/octet-stream"), signer)


@router.get("/parcels/{parcel_id}")
async def read_parcel_document(parcel_id: ParcelId, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    signer, _ = await _caller(request, settings)
    with db.session() as s:
        parcel, parties = parcel_parties(s, parcel_id)
        _entitled(signer, parties)
        return _serve(s, parcel.document_hash)
