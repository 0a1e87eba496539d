"""Off-chain documents (certificates with values and parties; parcel documents), for entitled parties only.

A document is accepted only if its SHA-256 is the hash anchored on chain, and only from a party
entitled to it; it is served only to such parties, authenticated by a signed request. A certificate's document
must also be a `kp-certificate/1` document (422 `DocumentInvalid`) whose public facts are the chain's (422
`DocumentDisagreesWithLedger`, naming each field); once filed, the ledger prints it (PDF) and keeps that print.

Before a certificate is issued, its authority may have the document composed from the ledger's facts and its
particulars (`POST /v1/documents/compose/certificate`), or have a document checked against the terms it is about to
sign (`POST /v1/documents/check/certificate`): the functions `kp certificate compose / issue` run. Both are public
and keep nothing: the sender already holds everything confidential they carry, and nothing of it is stored or
logged until the document is filed.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import anyio.to_thread
from eth_utils import to_checksum_address
from fastapi import APIRouter, Path, Request, Response

from kpledger.api.deps import DbDep, public_base_url, signed_caller
from kpledger.api.schemas.certificates import (
    CertificateComposition,
    CertificateDocumentAgrees,
    CertificateDocumentCheck,
    ComposedCertificate,
)
from kpledger.api.schemas.errors import BODY, errors
from kpledger.certificates import kpcert, payload, render, verification_url
from kpledger.core.document_facts import CERTIFICATE_SCHEMA
from kpledger.core.errors import DocumentInvalid, Forbidden, InvalidRequest
from kpledger.db.session import Database
from kpledger.queries import certificates, parcels, participants, seals
from kpledger.queries import documents as q

router = APIRouter(prefix="/v1/documents", tags=["documents"])
DOCUMENT = {**errors(401, 403, 404), 200: {
    "description": "the document, to download: a certificate's (kp-certificate/1) as application/json, a parcel's as "
                   "application/octet-stream, whatever type the filer sent (named in X-KP-Content-Type)",
    "content": {"application/octet-stream": {}, "application/json": {}}}}
# a document is served in a fixed type, never the one its filer sent (a party could file HTML or SVG, to be rendered
# on the API's origin); the filer's type is kept, told in X-KP-Content-Type
SERVED_AS = {"certificate": "application/json", "parcel": "application/octet-stream"}
DOWNLOAD_NAME = {"certificate": "{}.json", "parcel": "parcel-{}"}
OPAQUE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}

Number = Annotated[str, Path(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$")]
ParcelId = Annotated[int, Path(ge=1, le=2**40)]


async def _caller(request: Request) -> tuple[str, bytes]:
    """The signer of a signed request and its body."""
    body = await request.body()
    return signed_caller(request, body), body


def require_party(signer: str, parties: set[str]) -> None:
    if signer.lower() not in parties:
        raise Forbidden("only the parties and authorities concerned may see or file this document",
                        code="NotEntitled", details={"account": signer})


def _file(db: Database, kind: str, reference: str, signer: str, body: bytes, content_type: str,
          public_base: str) -> dict:
    with db.transaction() as s:
        anchored, parties = q.anchored(s, kind, reference)
        require_party(signer, parties)
        digest = "0x" + hashlib.sha256(body).hexdigest()
        if digest != anchored:
            raise InvalidRequest("the document's SHA-256 is not the hash anchored on chain", code="DocumentMismatch",
                                 details={"sha256": digest, "anchored": anchored})
        document = None
        if kind == "certificate":
            document = kpcert.parse(body)
            kpcert.check(document, certificates.ledger_facts(s, reference))
            seals.remember(s, document["seal"]["id"], document["seal"]["label"], "certificate")  # checked above
        fresh = q.store(s, kind, reference, digest, body, content_type, signer)
        answer = {"sha256": digest, "kind": kind, "reference": reference, "stored": True, "already_filed": not fresh}
        if document is not None:
            printed = q.printed(s, reference)
            qr = payload.qr_content(public_base, reference, certificates.issue_payload(s, reference))
            answer["printed_sha256"] = printed.sha256 if printed is not None else q.store_print(
                s, reference, render.printable_pdf(document, verification_url(public_base, reference), digest,
                                                   participants.participant_names(s), qr), signer)
        return answer


def _read(db: Database, kind: str, reference: str, signer: str) -> Response:
    with db.session() as s:
        anchored, parties = q.anchored(s, kind, reference)
        require_party(signer, parties)
        document = q.filed(s, kind, reference, anchored)
        return Response(document.content, media_type=SERVED_AS[kind], headers={
            "X-KP-SHA256": document.sha256, "X-KP-Content-Type": document.content_type,
            "Content-Disposition": f'attachment; filename="{DOWNLOAD_NAME[kind].format(reference)}"',
            "Cache-Control": "private, no-store", **OPAQUE})


async def _filed(request: Request, db: Database, kind: str, reference: str) -> dict:
    """Files a document: the body is read on the event loop, the database work runs in a worker thread."""
    signer, body = await _caller(request)
    content_type = request.headers.get("content-type", "application/octet-stream")
    return await anyio.to_thread.run_sync(_file, db, kind, reference, signer, body, content_type,
                                          public_base_url(request))


async def _served(request: Request, db: Database, kind: str, reference: str) -> Response:
    signer, _ = await _caller(request)
    return await anyio.to_thread.run_sync(_read, db, kind, reference, signer)


@router.put("/certificates/{number}", responses=errors(*BODY, 401, 403, 404, 409))
async def file_certificate_document(number: Number, request: Request, db: DbDep) -> dict:
    """Files the certificate's `kp-certificate/1` document: its SHA-256 must be the hash anchored on chain
    (`DocumentMismatch`), it must follow the schema (`DocumentInvalid`) and state the chain's facts
    (`DocumentDisagreesWithLedger`, details.fields naming each field that differs). The answer carries the SHA-256
    of the PDF printed from it."""
    return await _filed(request, db, "certificate", number)


@router.get("/certificates/{number}", responses=DOCUMENT)
async def read_certificate_document(number: Number, request: Request, db: DbDep) -> Response:
    """The certificate's document, for its parties and the authorities concerned (signed request)."""
    return await _served(request, db, "certificate", number)


@router.put("/parcels/{parcel_id}", responses=errors(*BODY, 401, 403, 404, 409))
async def file_parcel_document(parcel_id: ParcelId, request: Request, db: DbDep) -> dict:
    """Files a parcel's document (its SHA-256 must be the hash anchored on chain)."""
    return await _filed(request, db, "parcel", str(parcel_id))


@router.get("/parcels/{parcel_id}", responses=DOCUMENT)
async def read_parcel_document(parcel_id: ParcelId, request: Request, db: DbDep) -> Response:
    """A parcel's document, for those who held it and the authorities concerned (signed request)."""
    return await _served(request, db, "parcel", str(parcel_id))


# ---------------------------------------------------------------- before issue: compose, check (public, stateless)


def _sha256(body: bytes) -> str:
    return "0x" + hashlib.sha256(body).hexdigest()


@router.post("/compose/certificate", response_model=ComposedCertificate, responses=errors(*BODY, 404, 409))
def compose_certificate_document(body: CertificateComposition, db: DbDep) -> dict:
    """Composes the `kp-certificate/1` document of a certificate about to be issued on `terms`, as `kp certificate
    compose` does: the weight, parcels, HS codes, origins, exporter and seal from the sealed consignment, the names
    from the registry, the authority's particulars; then checks it against the terms field by field. The answer's
    `text` is the exact bytes to anchor (`sha256`) and file. Nothing is stored.

    Refusals: the consignment not sealed (409 ConsignmentNotSealed), a seal label that is not the consignment's
    (SealMismatch), `authority` not an authority of the exporting participant (NotExportingAuthority), a party
    without a public name (NoPublicName), terms that differ from the consignment (DocumentDisagreesWithLedger)."""
    terms = body.terms.model_dump()
    with db.session() as s:
        consignment = parcels.get_consignment(s, terms["consignmentId"])
        importer = participants.get_account(s, to_checksum_address(terms["importerAccount"]))
        authority = participants.get_account(s, to_checksum_address(body.authority))
        names = {p["code"]: p["name"] for p in participants.list_participants(s)}
    if "authority" not in authority["roles"] or authority["participant"] != consignment["holder_participant"]:
        raise InvalidRequest(f"{authority['address']} is not an authority of {consignment['holder_participant']}, "
                             "the consignment's exporting participant", code="NotExportingAuthority",
                             details={"authority": authority["address"],
                                      "exporting_participant": consignment["holder_participant"]})
    document = kpcert.compose_from_ledger(
        number=terms["number"], consignment=consignment, importer=importer, participant_names=names,
        authority_name=authority.get("name"),
        particulars=kpcert.Particulars(**body.particulars.model_dump()),
        issued_at=terms["issuedAt"], expires_at=terms["expiresAt"], replaces=terms["replaces"])
    kpcert.check_terms(document, kpcert.facts_of_terms(terms, consignment))
    content = kpcert.encode(document)
    return {"document": document, "text": content.decode(), "sha256": _sha256(content),
            "filename": f"{document['number']}.json"}


@router.post("/check/certificate", response_model=CertificateDocumentAgrees, responses=errors(*BODY, 404))
def check_certificate_document(body: CertificateDocumentCheck, db: DbDep) -> dict:
    """Checks a `kp-certificate/1` document against the terms an authority is about to sign, as `kp certificate
    issue` does before signing: the schema (DocumentInvalid, `details.violations`), then every public fact the
    ledger will check at filing (DocumentDisagreesWithLedger, `details.fields` and `details.disagreements`: the same
    words as the filing's 422). The answer's `sha256` is the hash of the document's UTF-8 bytes, the documentHash to
    sign. Nothing is stored."""
    try:
        content = body.document.encode()
    except UnicodeEncodeError:
        raise DocumentInvalid("a certificate document is UTF-8 JSON text: this one is not",
                              details={"schema": CERTIFICATE_SCHEMA}) from None
    document = kpcert.parse(content)
    terms = body.terms.model_dump()
    with db.session() as s:
        consignment = parcels.get_consignment(s, terms["consignmentId"])
    kpcert.check_terms(document, kpcert.facts_of_terms(terms, consignment))
    return {"number": document["number"], "sha256": _sha256(content), "agrees": True}
