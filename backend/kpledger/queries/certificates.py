"""Read-side queries over KP certificates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.certificates import payload
from kpledger.certificates.kpcert import LedgerFacts
from kpledger.core.errors import NotFound
from kpledger.db import models as m
from kpledger.queries.names import names_of
from kpledger.queries.seals import label_of, labels_of
from kpledger.queries.views import certificate_accounts, certificate_view, parcel_view

PRINTED = "certificate-pdf"  # record_documents kind of the PDF printed from a filed certificate document


def certificate_row(session: Session, number: str) -> m.Certificate:
    cert = session.execute(select(m.Certificate).where(m.Certificate.number == number)).scalar_one_or_none()
    if cert is None:
        raise NotFound(f"no certificate {number}", code="CertificateNotFound", details={"number": number})
    return cert


def number_of(session: Session, key: str) -> str | None:
    """The number of the certificate with this key, if the index has it."""
    return session.execute(select(m.Certificate.number).where(m.Certificate.key == key)).scalar_one_or_none()


def get_certificate(session: Session, number: str) -> dict[str, Any]:
    """A certificate with names, its parcels, seal (id and label), the certificates it replaces or that replace it,
    and whether its document is filed (with the SHA-256 of the PDF printed from it: a verifier compares a PDF it
    holds with it)."""
    cert = certificate_row(session, number)
    consignment = session.get(m.Consignment, cert.consignment_id)
    ids = consignment.parcel_ids if consignment else []
    parcels = session.execute(select(m.Parcel).where(m.Parcel.id.in_(ids)).order_by(m.Parcel.id)).scalars().all()
    names = names_of(session, [*certificate_accounts(cert), *(p.holder for p in parcels)])
    view = certificate_view(cert, names=names)
    view["parcels"] = [parcel_view(p, names=names) for p in parcels]
    view["seal_id"] = consignment.seal_id if consignment else None
    # the label from the consignment's sealing write or from the certificate's filed document, both kept checked
    view["seal_label"] = label_of(labels_of(session, [view["seal_id"]]), view["seal_id"])
    filed = dict(session.execute(select(m.Document.kind, m.Document.sha256).where(
        m.Document.reference == number, m.Document.kind.in_(("certificate", PRINTED)))).all())
    view["document"] = {"filed": filed.get("certificate") == cert.document_hash, "printed_sha256": filed.get(PRINTED)}
    return view


def ledger_facts(session: Session, number: str) -> LedgerFacts:
    """What the chain recorded for a certificate, as its document must state it."""
    cert = certificate_row(session, number)
    consignment = session.get(m.Consignment, cert.consignment_id)
    return LedgerFacts(
        number=cert.number, exporter=cert.exporter, importer=cert.importer, points=cert.points,
        parcel_count=cert.parcel_count, hs_codes=tuple(cert.hs_codes), origins=tuple(cert.origins),
        issued_at=cert.issued_at, expires_at=cert.expires_at, exporter_account=cert.exporter_account,
        importer_account=cert.importer_account, replaces=cert.replaces,
        seal_id=consignment.seal_id if consignment else None)


def issue_payload(session: Session, number: str) -> str | None:
    """The signed QR payload of a certificate (`kpledger.certificates.payload`): the IssueCertificate intent its
    authority signed, as the relay journal kept it, if it is the one the chain recorded (in the issuing transaction,
    same number, document hash and signer); None for a certificate issued without this relayer (directly on chain):
    its QR carries the URL only."""
    cert = session.execute(select(m.Certificate).where(m.Certificate.number == number)).scalar_one_or_none()
    if cert is None:
        return None
    # the requests of the transaction that issued it (tx_hash is indexed, and the journal points a request at the
    # version of its transaction that was mined): a few rows, never a scan of the journal
    rows = session.execute(select(m.RelayRequest.signer, m.RelayRequest.body).where(
        m.RelayRequest.tx_hash == cert.issued_tx, m.RelayRequest.action == payload.ACTION,
        m.RelayRequest.status != "failed")).all()
    for signer, body in rows:
        message = body["message"]
        if message.get("number") == number and signer.lower() == cert.issued_by.lower() and \
                str(message.get("documentHash", "")).lower() == cert.document_hash.lower():
            return payload.encode(message, body["signer"], int(body["nonce"]), int(body["deadline"]),
                                  body["signature"])
    return None
