"""`kp document file | get | verify`: the off-chain documents whose SHA-256 the ledger anchors (a parcel's, a
certificate's), filed and read by the parties and authorities concerned (signed requests), and checked by anyone."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

import click

from kpledger.cli.base import FILE, Ctx, cli, output_options, pass_ctx, save
from kpledger.client import ClientError, KPClient

KINDS = {"certificate": "certificates", "parcel": "parcels"}
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
    """Check that FILE is the document certificate or parcel REFERENCE anchored on chain (SHA-256 compared; no key
    needed); exit 1 if it is not."""
    kind = kind.lower()
    ref = _reference(kind, reference)
    c = obj.client(sign=False)
    answer = c.verify(file.read_bytes(), str(ref)) if kind == "certificate" else c.verify(file.read_bytes(),
                                                                                            parcel_id=int(ref))
    if not answer.get("matches"):
        raise ClientError("DocumentMismatch", f"{file} ({answer.get('sha256')}) is not the document {kind} {ref} "
                                              f"anchored ({answer.get('anchored')})", answer)
    obj.emit(answer, f"✓ {file} is the document {kind} {ref} anchored on chain (SHA-256 {answer['sha256']})")
