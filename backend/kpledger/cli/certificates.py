"""`kp certificate` (issue, confirm, discrepancy, void, show), `kp verify`, `kp status`: KP certificates and document
checks. The certificate's documents and prints (compose, file, print, slip, verify) are in `papers`."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

import click
from eth_utils import to_checksum_address

from kpledger import client as kc
from kpledger.certificates import kpcert
from kpledger.cli.base import ADDRESS, CARATS, FILE, HS, REASON, REASONS_HELP, Ctx, action_command, cli, pass_ctx
from kpledger.cli.documents import show_verdict
from kpledger.cli.views import certificate_text
from kpledger.client import ClientError, KPClient, document_hash
from kpledger.core.constants import hs_code
from kpledger.core.document_facts import CERTIFICATE_SCHEMA

DAY = 86_400
DEFAULT_VALIDITY_DAYS = 30


class IssueTerms(TypedDict):
    """The terms of an IssueCertificate message that a kp-certificate/1 document is checked against."""

    number: str
    importer: str
    importerAccount: str
    consignmentId: int
    points: int
    parcelCount: int
    hsCodes: list[int]
    origins: list[str]
    issuedAt: int
    expiresAt: int
    replaces: str


@cli.group()
def certificate() -> None:
    """KP certificates: compose, issue and file (exporting authority), print, verify, confirm or record a discrepancy
    (importing authority), void."""


def from_consignment(c: KPClient, consignment_id: int) -> dict[str, Any]:
    """What the read API reports of a consignment, for defaults; empty when it is unavailable."""
    try:
        data = c.consignment(consignment_id)
    except ClientError:
        return {}
    return data if isinstance(data, dict) else {}


def certificate_document_in(path: Path) -> dict[str, Any] | None:
    """The `kp-certificate/1` document in the file, checked against the schema (DocumentInvalid); None for any
    other file, whose hash is anchored as is."""
    body = path.read_bytes()
    try:
        content = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(content, dict) or content.get("schema") != CERTIFICATE_SCHEMA:
        return None
    return kpcert.parse(body)


@certificate.command("issue")
@click.option("--number", help="Certificate number, prefixed with your ISO code (BW0000001); default: the "
                               "document's.")
@click.option("--importer", help="ISO code of the importing participant; default: the document's.")
@click.option("--importer-account", type=ADDRESS,
              help="Account of the named, licensed importer, the only one who can receive the consignment; "
                   "default: the document's.")
@click.option("--consignment", "consignment_id", type=click.IntRange(1, 2**40), required=True,
              help="The sealed consignment.")
@click.option("--carats", type=CARATS, help="Total weight; default: the document's, else the consignment's.")
@click.option("--parcels", type=click.IntRange(1, 2**32 - 1), help="Parcel count; default: as --carats.")
@click.option("--hs", "hs_codes", type=HS, multiple=True, help="HS code, 7102.31 or 710231 (repeat); default: as "
                                                               "--carats.")
@click.option("--origin", "origins", multiple=True, help="Country of origin (repeat); default: as --carats.")
@click.option("--expires-days", type=click.FloatRange(min=0, max=3_650, min_open=True),
              help=f"Validity from now, in days (default {DEFAULT_VALIDITY_DAYS}; with a kp-certificate/1 document: "
                   "to its expiry date).")
@click.option("--document", type=FILE, required=True,
              help="The full certificate document, SHA-256 anchored: a kp-certificate/1 JSON document (kp "
                   "certificate compose), checked here against what you sign, or any other file.")
@click.option("--replaces", default=None, help="Number of the voided certificate this one supersedes (a "
                                               "correction); default: the document's.")
@pass_ctx
def certificate_issue(obj: Ctx, number: str | None, importer: str | None, importer_account: str | None,
                      consignment_id: int, carats: int | None, parcels: int | None, hs_codes: tuple[int, ...],
                      origins: tuple[str, ...], expires_days: float | None, document: Path,
                      replaces: str | None) -> None:
    """Issue a certificate for a sealed consignment held by one of your exporters (exporting authority).

    With a kp-certificate/1 document, every term defaults to what the document states, and a document that the
    ledger would refuse to file (a different weight, seal, date, ...) is refused before anything is signed."""
    doc = certificate_document_in(document)
    c = obj.client()
    known = from_consignment(c, consignment_id)
    now = int(time.time())
    issued_at = now - 60
    if doc is not None:
        number = number or doc["number"]
        importer = importer or doc["importing_participant"]["code"]
        importer_account = importer_account or to_checksum_address(doc["importer"]["account"])
        carats = carats if carats is not None else kc.points(doc["carats"])
        parcels = parcels or doc["number_of_parcels"]
        hs_codes = hs_codes or tuple(hs_code(h) for h in doc["hs_codes"])
        origins = origins or tuple(doc["origin"]["countries"])
        replaces = replaces if replaces is not None else doc["replaces"] or ""
        days = (date.fromisoformat(doc["expiry_date"]) - date.fromisoformat(doc["issue_date"])).days
        expires_at = issued_at + (int(expires_days * DAY) if expires_days else days * DAY)
    else:
        expires_at = issued_at + int((expires_days or DEFAULT_VALIDITY_DAYS) * DAY)
    if carats is None:
        carats = known.get("points")
    if parcels is None:
        parcels = len(known["parcel_ids"]) if known.get("parcel_ids") else None
    hs = sorted(set(hs_codes)) or known.get("hs_codes")
    orig = sorted({o.upper() for o in origins}) or known.get("origins")
    missing = [n for n, v in (("--number", number), ("--importer", importer), ("--importer-account",
                                                                               importer_account),
                              ("--carats", carats), ("--parcels", parcels), ("--hs", hs), ("--origin", orig)) if not v]
    if missing:
        raise click.UsageError(f"give {', '.join(missing)} (neither a kp-certificate/1 document nor the read API "
                               "states them)")
    assert number and importer and importer_account and carats and parcels and hs and orig  # for the type checker
    terms: IssueTerms = {"number": number.upper(), "importer": importer.upper(), "importerAccount": importer_account,
             "consignmentId": consignment_id, "points": int(carats), "parcelCount": int(parcels), "hsCodes": hs,
             "origins": orig, "issuedAt": issued_at, "expiresAt": expires_at, "replaces": (replaces or "").upper()}
    if doc is not None:  # refused before anything is signed, with the words the ledger's filing would use
        exporter = {"holder_participant": known.get("holder_participant") or doc["exporting_participant"]["code"],
                    "holder": known.get("holder") or doc["exporter"]["account"],
                    "seal_id": known.get("seal_id") or doc["seal"]["id"]}
        kpcert.check_terms(doc, kpcert.facts_of_terms(terms, exporter))
    obj.written(c.issue_certificate(
        number=terms["number"], importer=terms["importer"], importer_account=importer_account,
        consignment_id=consignment_id, points=terms["points"], parcel_count=terms["parcelCount"], hs_codes=hs,
        origins=orig, issued_at=issued_at, expires_at=expires_at, document_hash=kc.document_hash(document),
        replaces=terms["replaces"]))


@certificate.command("discrepancy", epilog=REASONS_HELP)
@click.argument("number")
@click.option("--reason", type=REASON, required=True, help="Reason code (see below).")
@click.option("--evidence", type=FILE, help="Evidence document (SHA-256 anchored).")
@pass_ctx
def certificate_discrepancy(obj: Ctx, number: str, reason: int, evidence: Path | None) -> None:
    """Record a discrepancy on the import under certificate NUMBER (importing authority)."""
    obj.written(obj.client().record_discrepancy(number, reason, kc.document_hash(evidence) if evidence
                                                else kc.ZERO32))


action_command(certificate, "confirm", "ConfirmImport",
               "Confirm the import under certificate NUMBER (importing authority).")
action_command(certificate, "void", "VoidCertificate", "Void certificate NUMBER before it is used (issuing authority).")


@certificate.command("show")
@click.argument("number")
@pass_ctx
def certificate_show(obj: Ctx, number: str) -> None:
    """Show certificate NUMBER: status and what it means at a border, route, exporter, importer and issuing
    authority by name, carats, parcels, HS codes, origins, validity, seal, corrections, discrepancy, document."""
    c = obj.client(sign=False)
    cert = c.certificate(number.upper())
    obj.emit(cert, None if obj.as_json else certificate_text(cert, c.participant_names()))


# ---------------------------------------------------------------- checks


@cli.command("verify")
@click.option("--certificate", "number", help="Check against this certificate only; else against every "
                                              "certificate and parcel document anchored.")
@click.argument("document", type=FILE)
@pass_ctx
def verify(obj: Ctx, number: str | None, document: Path) -> None:
    """Check DOCUMENT against the ledger (only its SHA-256 is sent): the ledger's verdict, genuine or not (a document
    anchored on chain, or a certificate's print by the ledger) and the record's status now; exit 0 only when it is
    genuine and good (DocumentMismatch, CertificateVoided, ... otherwise). (A certificate's paper or PDF: kp
    certificate verify; one parcel's document: kp document verify.)"""
    c = obj.client(sign=False)
    show_verdict(obj, c.verdict(document_hash(document), certificate=number.upper() if number else None), document)


@cli.command("status")
@pass_ctx
def status(obj: Ctx) -> None:
    """Show the API's health: chain reachable, indexer lag."""
    obj.emit(obj.client(sign=False).health())
