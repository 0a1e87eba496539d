"""Off-chain documents (certificates with values and parties; parcel documents), for entitled parties only.

A document is accepted only if its SHA-256 is the hash anchored on chain, and only from a party
entitled to it; it is served only to such parties, authenticated by a signed request.
"""

from __future__ import annotations

import hashlib
import time
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.api.deps import DbDep, SettingsDep
from kpledger.auth import verify_request
from kpledger.core.config import Settings
from kpledger.core.errors import Forbidden, InvalidRequest, NotFound
from kpledger.db import models as m
from kpledger.db.session import Database

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


def _anchored(s: Session, kind: str, reference: str) -> tuple[str, set[str]]:
    """The hash anchored on chain for a certificate's or a parcel's document, and who is entitled to it."""
    if kind == "certificate":
        cert, parties = certificate_parties(s, reference)
        return cert.document_hash, parties
    parcel, parties = parcel_parties(s, int(reference))
    return parcel.document_hash, parties


def _file(db: Database, kind: str, reference: str, signer: str, body: bytes, content_type: str) -> dict:
    with db.transaction() as s:
        anchored, parties = _anchored(s, kind, reference)
        _entitled(signer, parties)
        return _store(s, kind, reference, anchored, body, content_type, signer)


def _read(db: Database, kind: str, reference: str, signer: str) -> Response:
    with db.session() as s:
        anchored, parties = _anchored(s, kind, reference)
        _entitled(signer, parties)
        return _serve(s, anchored)


async def _filed(request: Request, db: Database, settings: Settings, kind: str, reference: str) -> dict:
    """Files a document: the body is read on the event loop, the database work runs in a worker thread."""
    signer, body = await _caller(request, settings)
    content_type = request.headers.get("content-type", "application/octet-stream")
    return await anyio.to_thread.run_sync(_file, db, kind, reference, signer, body, content_type)


async def _served(request: Request, db: Database, settings: Settings, kind: str, reference: str) -> Response:
    signer, _ = await _caller(request, settings)
    return await anyio.to_thread.run_sync(_read, db, kind, reference, signer)


@router.put("/certificates/{number}")
async def file_certificate_document(number: Number, request: Request, db: DbDep, settings: SettingsDep) -> dict:
    """Files the certificate's document (its SHA-256 must be the hash anchored on chain)."""
    return await _filed(request, db, settings, "certificate", number)


@router.get("/certificates/{number}")
async def read_certificate_document(number: Number, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """The certificate's document, for its parties and the authorities concerned (signed request)."""
    return await _served(request, db, settings, "certificate", number)


@router.put("/parcels/{parcel_id}")
async def file_parcel_document(parcel_id: ParcelId, request: Request, db: DbDep, settings: SettingsDep) -> dict:
    """Files a parcel's document (its SHA-256 must be the hash anchored on chain)."""
    return await _filed(request, db, settings, "parcel", str(parcel_id))


@router.get("/parcels/{parcel_id}")
async def read_parcel_document(parcel_id: ParcelId, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """A parcel's document, for those who held it and the authorities concerned (signed request)."""
    return await _served(request, db, settings, "parcel", str(parcel_id))
