"""Printed KP certificates: the full certificate for its parties (HTML to print, one-page PDF) from the filed
`kp-certificate/1` document, and a public verification slip (PDF) with the chain's facts only, for the container's
label. Each carries a QR code of the certificate's public verification page (`<public viewer>/#/certificate/N`)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request, Response

from kpledger.api.deps import DbDep, public_base_url, signed_caller
from kpledger.api.pages import GUARDS, page_headers
from kpledger.api.routes.documents import require_party
from kpledger.api.schemas.errors import errors
from kpledger.certificates import kpcert, payload, render, verification_url
from kpledger.certificates.kpcert import utc_date
from kpledger.core.errors import Conflict, KPError
from kpledger.db.session import Database
from kpledger.queries import certificates, participants
from kpledger.queries import documents as q

router = APIRouter(prefix="/v1/certificates", tags=["certificates"])

Number = Annotated[str, Path(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$", description="KP certificate number")]
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
# the printable page is self-contained: its own inline style and SVG, nothing loaded, no script
PRINTABLE_HTML = page_headers(f"default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; {GUARDS}")


def _filed_document(db: Database, number: str, signer: str) -> tuple[dict[str, Any], str]:
    """The certificate's filed document (parsed) and its SHA-256, for a party; 409 DocumentNotPrintable when the
    filed document predates the schema."""
    with db.session() as s:
        anchored, parties = q.anchored(s, "certificate", number)
        require_party(signer, parties)
        filed = q.filed(s, "certificate", number, anchored)
        body = filed.content
    try:
        return kpcert.parse(body), anchored
    except KPError:
        raise Conflict("the filed document of this certificate is not a kp-certificate/1 document (filed before the "
                       "schema): it cannot be printed", code="DocumentNotPrintable",
                       details={"number": number}) from None


def _html(db: Database, number: str, signer: str, base: str) -> Response:
    document, sha256 = _filed_document(db, number, signer)
    with db.session() as s:
        names = participants.participant_names(s)
        qr = payload.qr_content(base, number, certificates.issue_payload(s, number))
    html = render.printable_html(document, verification_url(base, number), sha256, names, qr)
    return Response(html, media_type="text/html; charset=utf-8", headers={**PRIVATE, **PRINTABLE_HTML})


def _pdf(db: Database, number: str, signer: str, base: str) -> Response:
    with db.session() as s:
        anchored, parties = q.anchored(s, "certificate", number)
        require_party(signer, parties)
        printed = q.printed(s, number)
        pdf = printed.content if printed is not None else None
    if pdf is None:  # filed by a version that did not print: printed now, and kept
        document, sha256 = _filed_document(db, number, signer)
        with db.session() as s:
            names = participants.participant_names(s)
            qr = payload.qr_content(base, number, certificates.issue_payload(s, number))
        pdf = render.printable_pdf(document, verification_url(base, number), sha256, names, qr)
        with db.transaction() as s:
            q.store_print(s, number, pdf, signer)
    return Response(pdf, media_type="application/pdf", headers={
        **PRIVATE, "Content-Disposition": f'inline; filename="{number}.pdf"'})


async def _signed(request: Request) -> str:
    return signed_caller(request, await request.body())


@router.get("/{number}/printable", response_class=Response,
            responses={200: {"content": {"text/html": {}}}, **errors(401, 403, 404)})
async def read_printable_certificate(number: Number, request: Request, db: DbDep) -> Response:
    """The certificate as an HTML page to print (every Annex I field, the value in USD, the QR code of its
    verification page), for its parties and both authorities (signed request, as for its document)."""
    signer = await _signed(request)
    return await anyio.to_thread.run_sync(_html, db, number, signer, public_base_url(request))


@router.get("/{number}/printable.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, **errors(401, 403, 404)})
async def read_printable_certificate_pdf(number: Number, request: Request, db: DbDep) -> Response:
    """The certificate as a one-page PDF, printed by the ledger when its document was filed (always the same bytes:
    their SHA-256 is `document.printed_sha256` of the certificate), for its parties (signed request)."""
    signer = await _signed(request)
    return await anyio.to_thread.run_sync(_pdf, db, number, signer, public_base_url(request))


@router.get("/{number}/slip.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, **errors(404)})
def read_verification_slip(number: Number, request: Request, db: DbDep) -> Response:
    """A public A6 verification slip for the container's label: the chain's facts (no value, no addresses) and a QR
    code of the verification page. Anyone may print it: everything on it is public on the ledger."""
    with db.session() as s:
        view = certificates.get_certificate(s, number)
        countries = participants.participant_names(s)
        signed = certificates.issue_payload(s, number)
    view["issued_date"], view["expiry_date"] = utc_date(view["issued_at"]), utc_date(view["expires_at"])
    base = public_base_url(request)
    pdf = render.slip_pdf(view, countries, verification_url(base, number), payload.qr_content(base, number, signed))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{number}-slip.pdf"', "X-Content-Type-Options": "nosniff"})
