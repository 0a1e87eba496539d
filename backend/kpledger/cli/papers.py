"""`kp certificate compose | file | print | slip | verify`: the certificate's `kp-certificate/1` document, the
ledger's print of it and the public verification slip, and a customs officer's check of the paper, PDF or JSON
they were handed."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import click

from kpledger import client as kc
from kpledger.certificates import kpcert
from kpledger.certificates.kpcert import LedgerFacts, Particulars
from kpledger.cli.base import ADDRESS, FILE, USD, Ctx, output_options, pass_ctx, save
from kpledger.cli.certificates import DAY, DEFAULT_VALIDITY_DAYS, certificate, certificate_document_in
from kpledger.cli.documents import show_verdict
from kpledger.cli.views import certificate_status, certificate_text
from kpledger.client import ClientError, KPClient
from kpledger.core.errors import KPError
from kpledger.core.words import carats, visible


def _sha256(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- compose and file (exporting authority)


@certificate.command("compose")
@click.option("--consignment", "consignment_id", type=click.IntRange(1, 2**40), required=True,
              help="The sealed consignment the certificate will cover.")
@click.option("--number", required=True, help="Certificate number, prefixed with your ISO code (BW0000001).")
@click.option("--importer-account", type=ADDRESS, required=True,
              help="Account of the licensed importer: its name and participant come from the ledger.")
@click.option("--seal", "seal_label", required=True,
              help="The seal's label as written on the container (its id must be the consignment's).")
@click.option("--value-usd", type=USD, required=True, help="Value in US dollars, at most 2 decimals (confidential).")
@click.option("--authority-address", required=True, help="Postal address of the issuing authority.")
@click.option("--exporter-address", required=True, help="Postal address of the exporter.")
@click.option("--importer-address", required=True, help="Postal address of the importer.")
@click.option("--officer", required=True, help="Name of the validating officer.")
@click.option("--place", required=True, help="Place of validation.")
@click.option("--authority-name", help="The issuing authority's name; default: your account's public name.")
@click.option("--expires-days", type=click.IntRange(1, 3_650), default=DEFAULT_VALIDITY_DAYS, show_default=True,
              help="Validity in days from today (UTC).")
@click.option("--replaces", help="Number of the voided certificate this one corrects.")
@output_options
@pass_ctx
def certificate_compose(obj: Ctx, consignment_id: int, number: str, importer_account: str, seal_label: str,
                        value_usd: str, authority_address: str, exporter_address: str, importer_address: str,
                        officer: str, place: str, authority_name: str | None, expires_days: int,
                        replaces: str | None, output: str | None, force: bool) -> None:
    """Compose the kp-certificate/1 document of a certificate you will issue (exporting authority).

    The public facts come from the ledger (the consignment's weight, parcels, HS codes, origins, holder and seal;
    the participants' and companies' names); you give the particulars the ledger does not hold. Then anchor it with
    `kp certificate issue --consignment ID --document FILE` (today, UTC) and file it with `kp certificate file
    FILE`. Written to NUMBER.json unless -o says otherwise."""
    c = obj.client(sign=False)
    box = c.consignment(consignment_id)
    if authority_name is None:
        authority_name = c.member(obj.keystore_address()).get("name")
        if not authority_name:
            raise click.UsageError("your account has no public name on the ledger: give --authority-name")
    issued_at = int(time.time()) - 60  # as `kp certificate issue` signs it today
    doc = kpcert.compose_from_ledger(
        number=number, consignment=box, importer=c.member(importer_account), participant_names=c.participant_names(),
        authority_name=authority_name, issued_at=issued_at, expires_at=issued_at + expires_days * DAY,
        particulars=Particulars(seal_label=seal_label, value_usd=value_usd, authority_address=authority_address,
                                exporter_address=exporter_address, importer_address=importer_address,
                                officer=officer, place=place), replaces=replaces)
    body = kc.certificate_document_bytes(doc)
    where = save(body, output or f"{doc['number']}.json", force)
    obj.emit({"path": where, "sha256": _sha256(body), "document": doc},
             f"composed certificate {doc['number']} ({carats(doc['carats'])}, {visible(doc['exporter']['name'])} -> "
             f"{visible(doc['importer']['name'])})"
             f"\n  written to {where}\n  SHA-256 {_sha256(body)}\n  next: kp certificate issue --consignment "
             f"{consignment_id} --document {where}   (today, UTC)")


@certificate.command("file")
@click.argument("document", type=FILE)
@pass_ctx
def certificate_file(obj: Ctx, document: Path) -> None:
    """File a certificate's kp-certificate/1 DOCUMENT (a party: the issuing authority, the exporter, ...).

    Its bytes are sent as they are: their SHA-256 must be the hash anchored at issue. The ledger checks it against
    the chain and prints it; the answer gives the print's SHA-256 (kp certificate print saves it)."""
    doc = certificate_document_in(document)
    if doc is None:
        raise ClientError("DocumentInvalid", f"{document} is not a kp-certificate/1 JSON document (a parcel's or "
                                             "another document: kp document file)", {"path": str(document)})
    answer = obj.client().file_document("certificates", doc["number"], document.read_bytes(), "application/json")
    obj.emit(answer, f"filed the document of certificate {doc['number']}"
                     f"{' (it was filed already)' if answer.get('already_filed') else ''}\n"
                     f"  SHA-256 {answer['sha256']} (the hash anchored on chain)\n"
                     f"  printed: the ledger's PDF has SHA-256 {answer.get('printed_sha256')}")


# ---------------------------------------------------------------- prints


@certificate.command("print")
@click.argument("number")
@click.option("--html", is_flag=True, help="The HTML page to print from a browser instead of the PDF.")
@output_options
@pass_ctx
def certificate_print(obj: Ctx, number: str, html: bool, output: str | None, force: bool) -> None:
    """Save the printed certificate NUMBER (the ledger's one-page PDF with its QR code), for its parties and both
    authorities (signed request). Written to NUMBER.pdf unless -o says otherwise; the PDF is checked against the
    SHA-256 the ledger publishes for its print."""
    c = obj.client()
    number = number.upper()
    data = c.printable_certificate(number, pdf=not html)
    digest = _sha256(data)
    if not html:
        published = (c.certificate(number).get("document") or {}).get("printed_sha256")
        if published != digest:
            raise ClientError("PrintMismatch", f"the PDF received ({digest}) is not the print whose SHA-256 the "
                                               f"ledger publishes ({published}): not written",
                              {"sha256": digest, "printed_sha256": published})
    where = save(data, output or f"{number}.{'html' if html else 'pdf'}", force)
    if where != "standard output":
        obj.emit({"path": where, "sha256": digest, "bytes": len(data)},
                 f"wrote {where} ({len(data)} bytes, SHA-256 {digest}"
                 f"{'' if html else ': the ledger print, unaltered'})")


@certificate.command("slip")
@click.argument("number")
@output_options
@pass_ctx
def certificate_slip(obj: Ctx, number: str, output: str | None, force: bool) -> None:
    """Save the public verification slip of certificate NUMBER (A6 PDF for the container's label: the chain's facts
    and a QR code of the verification page; no key needed). Written to NUMBER-slip.pdf unless -o says otherwise."""
    number = number.upper()
    data = obj.client(sign=False).verification_slip(number)
    where = save(data, output or f"{number}-slip.pdf", force)
    if where != "standard output":
        obj.emit({"path": where, "sha256": _sha256(data), "bytes": len(data)},
                 f"wrote {where} ({len(data)} bytes)")


# ---------------------------------------------------------------- a customs officer's check


def _facts(cert: dict[str, Any]) -> LedgerFacts:
    """The chain's facts of a certificate read, as the document check takes them."""
    return LedgerFacts(number=cert["number"], exporter=cert["exporter"], importer=cert["importer"],
                       points=cert["points"], parcel_count=cert["parcel_count"], hs_codes=tuple(cert["hs_codes"]),
                       origins=tuple(cert["origins"]), issued_at=cert["issued_at"], expires_at=cert["expires_at"],
                       exporter_account=cert.get("exporter_account"), importer_account=cert.get("importer_account"),
                       replaces=cert.get("replaces"), seal_id=cert.get("seal_id"))


def _check(c: KPClient, path: Path, number: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ledger's verdict on the file for the certificate (only its SHA-256 is sent) and the certificate: the
    answer (`matches` "document", "print" or None, the verdict, and the fields a kp-certificate/1 document that is not
    genuine states otherwise than the chain) and the certificate's read."""
    try:
        doc = certificate_document_in(path)
    except KPError:  # a kp-certificate/1 document that breaks the schema: compared by its hash only
        doc = None
    number = (number or (doc or {}).get("number") or "").upper()
    if not number:
        raise click.UsageError(f"{path} is not a kp-certificate/1 document: give --number (printed on the paper)")
    cert = c.certificate(number)
    digest = kc.document_hash(path)
    checked = c.verdict(digest, certificate=number)
    verdict = checked["verdict"]
    answer = {"number": number, "path": str(path), "sha256": digest,
              "matches": verdict["record"]["match"] if checked["matches"] else None,
              "anchored": cert["document_hash"], "printed_sha256": (cert.get("document") or {}).get("printed_sha256"),
              "status": certificate_status(cert), "verdict": verdict}
    if not verdict["genuine"] and doc is not None:
        answer["disagreements"] = kpcert.disagreements(doc, _facts(cert))
    return answer, cert


@certificate.command("verify")
@click.argument("file", type=FILE)
@click.option("--number", help="The certificate's number, as printed on the paper; default: the JSON document's.")
@pass_ctx
def certificate_verify(obj: Ctx, file: Path, number: str | None) -> None:
    """Check a certificate FILE you were handed (the ledger's PDF print, or the kp-certificate/1 JSON document)
    against the ledger (only its SHA-256 is sent): the ledger's verdict in words, then the certificate to compare with
    the paper and the container.

    Exit 0 only when the file is genuine, of this certificate, and the certificate authorises a crossing or records
    one. Exit 1: the file is neither the anchored document nor the ledger's print of it (DocumentMismatch; a JSON
    document names the fields that differ; another certificate's file says whose it is), or the certificate is
    voided, superseded or expired (CertificateVoided, CertificateSuperseded, CertificateExpired)."""
    c = obj.client(sign=False)
    answer, cert = _check(c, file, number)
    fields = "; ".join(f"{d['field']}: the file states {json.dumps(d['document'])}, the ledger "
                       f"{json.dumps(d['ledger'])}" for d in answer.get("disagreements") or [])
    show_verdict(obj, answer, file, certificate_text(cert, c.participant_names()),
                 f" It differs from certificate {answer['number']} in {fields}." if fields else "")
