"""`kp document file | get | verify`: the off-chain documents whose SHA-256 the ledger anchors (a parcel's, a
certificate's), filed and read by the parties and authorities concerned (signed requests), and checked by anyone."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

import click

from kpledger.cli.base import FILE, Ctx, cli, echo, output_options, pass_ctx, save
from kpledger.client import KINDS as PATH_KINDS
from kpledger.client import ClientError, KPClient, document_hash
from kpledger.core.status import AUTHORISES_NOTHING
from kpledger.core.words import visible

KINDS = {kind.removesuffix("s"): kind for kind in PATH_KINDS}  # certificate -> certificates (the API's path)
KIND = click.Choice(sorted(KINDS), case_sensitive=False)


def _reference(kind: str, reference: str) -> str | int:
    """A certificate number (upper case) or a parcel id (a positive integer)."""
    if kind.lower() == "parcel":
        if not reference.isascii() or not reference.isdigit() or not 1 <= int(reference) <= 2**40:
            raise click.BadParameter(f"{reference!r} is not a parcel id", param_hint="REFERENCE")
        return int(reference)
    return reference.upper()


def _anchored(c: KPClient, kind: str, reference: str | int) -> str:
    """The document hash the record anchored on chain (public)."""
    record = c.certificate(str(reference)) if kind == "certificate" else c.parcel(int(reference))
    return str(record["document_hash"])


@cli.group()
def document() -> None:
    """Off-chain documents (a parcel's, a certificate's): file and read them (parties and authorities concerned,
    signed), check one against the hash its record anchored (anyone)."""


@document.command("file")
@click.argument("kind", type=KIND)
@click.argument("reference")
@click.argument("file", type=FILE)
@click.option("--content-type", help="Media type it is stored and served with; default: from the file's name "
                                     "(application/octet-stream when unknown).")
@pass_ctx
def document_file(obj: Ctx, kind: str, reference: str, file: Path, content_type: str | None) -> None:
    """File FILE as the document of certificate or parcel REFERENCE (a number, an id). Its SHA-256 must be the hash
    the record anchored; a certificate's document is a kp-certificate/1 JSON document (kp certificate file)."""
    kind = kind.lower()
    ref = _reference(kind, reference)
    media = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    answer = obj.client().file_document(KINDS[kind], ref, file.read_bytes(), media)
    obj.emit(answer, f"filed {file} as the document of {kind} {ref} ({media})"
                     f"{' (it was filed already)' if answer.get('already_filed') else ''}\n"
                     f"  SHA-256 {answer['sha256']} (the hash anchored on chain)"
                     + (f"\n  printed: the ledger's PDF has SHA-256 {answer['printed_sha256']}"
                        if answer.get("printed_sha256") else ""))


@document.command("get")
@click.argument("kind", type=KIND)
@click.argument("reference")
@output_options
@pass_ctx
def document_get(obj: Ctx, kind: str, reference: str, output: str | None, force: bool) -> None:
    """Save the document filed for certificate or parcel REFERENCE (parties and authorities concerned, signed),
    after checking that it is the one the record anchored. Without -o it goes to standard output."""
    kind = kind.lower()
    ref = _reference(kind, reference)
    c = obj.client()
    content, media = c.document(KINDS[kind], ref)
    digest = "0x" + hashlib.sha256(content).hexdigest()
    anchored = _anchored(c, kind, ref)
    if digest != anchored:
        raise ClientError("DocumentMismatch", f"the document served for {kind} {ref} ({digest}) is not the one its "
                                              f"record anchored ({anchored}): not written",
                          {"sha256": digest, "anchored": anchored})
    where = save(content, output or "-", force)
    if where != "standard output":
        info: dict[str, Any] = {"path": where, "sha256": digest, "content_type": media, "bytes": len(content)}
        obj.emit(info, f"wrote {where} ({media}, {len(content)} bytes, SHA-256 {digest}: the anchored document)")


@document.command("verify")
@click.argument("kind", type=KIND)
@click.argument("reference")
@click.argument("file", type=FILE)
@pass_ctx
def document_verify(obj: Ctx, kind: str, reference: str, file: Path) -> None:
    """Check FILE against certificate or parcel REFERENCE (no key needed; only its SHA-256 is sent): the ledger's
    verdict, genuine or not (the anchored document, or a certificate's print by the ledger) and the record's status
    now. Exit 0 only when it is genuine, of that record, and the record still counts; else exit 1 with
    DocumentMismatch (not genuine, or another record's) or CertificateVoided / CertificateSuperseded /
    CertificateExpired."""
    kind = kind.lower()
    ref = _reference(kind, reference)
    c = obj.client(sign=False)
    digest = document_hash(file)
    answer = c.verdict(digest, certificate=str(ref)) if kind == "certificate" else c.verdict(digest,
                                                                                             parcel_id=int(ref))
    show_verdict(obj, answer, file)


def refusal(verdict: dict[str, Any]) -> str | None:
    """The stable code `kp` exits 1 with for a verdict that is not good; None for a good one."""
    if verdict["good"]:
        return None
    code = str(verdict["code"])
    return f"Certificate{code.capitalize()}" if code in AUTHORISES_NOTHING else "DocumentMismatch"


def show_verdict(obj: Ctx, answer: dict[str, Any], file: Path, report: str | None = None, more: str = "") -> None:
    """The ledger's verdict on FILE in its words (then `report`, already escaped); a verdict that is not good exits 1
    with its code (`more` added to the message), a good one prints the answer under --json. The API's words and the
    file's name are shown visibly escaped, line breaks too (they are the ledger's text, or anyone's)."""
    verdict = answer["verdict"]
    if not obj.as_json:
        echo(f"{visible(str(verdict['words']))}\n  {visible(file.name)}: SHA-256 {visible(str(answer['sha256']))}"
             + (f"\n\n{report}" if report else ""))
    code = refusal(verdict)
    if code is not None:
        raise ClientError(code, f"{file}: {verdict['words']}{more}", answer)
    if obj.as_json:
        obj.emit(answer)
