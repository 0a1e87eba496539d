"""`kp certificate`, `kp verify`, `kp status`: KP certificates and document checks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from kpledger import client as kc
from kpledger.cli.base import ADDRESS, CARATS, FILE, HS, REASON, REASONS_HELP, Ctx, action_command, cli, pass_ctx
from kpledger.client import ClientError, KPClient


@cli.group()
def certificate() -> None:
    """KP certificates: issue (exporting authority), confirm or record a discrepancy (importing), void."""


def _from_consignment(c: KPClient, consignment_id: int) -> dict[str, Any]:
    """What the read API reports of a consignment, for defaults; empty when it is unavailable."""
    try:
        data = c.consignment(consignment_id)
    except ClientError:
        return {}
    return data if isinstance(data, dict) else {}


@certificate.command("issue")
@click.option("--number", required=True, help="Certificate number, prefixed with your ISO code (BW0000001).")
@click.option("--importer", required=True, help="ISO code of the importing participant.")
@click.option("--importer-account", type=ADDRESS, required=True,
              help="Account of the named, licensed importer: the only one who can receive the consignment.")
@click.option("--consignment", "consignment_id", type=int, required=True, help="The sealed consignment.")
@click.option("--carats", type=CARATS, help="Total weight; default: the consignment's.")
@click.option("--parcels", type=click.IntRange(1), help="Parcel count; default: the consignment's.")
@click.option("--hs", "hs_codes", type=HS, multiple=True,
              help="HS code, 7102.31 or 710231 (repeat); default: the consignment's.")
@click.option("--origin", "origins", multiple=True, help="Country of origin (repeat); default: the consignment's.")
@click.option("--expires-days", type=click.FloatRange(min=0, max=3_650, min_open=True), default=30, show_default=True,
              help="Validity from now, in days.")
@click.option("--document", type=FILE, required=True, help="The full certificate document (SHA-256 anchored).")
@click.option("--replaces", default="", help="Number of the voided certificate this one supersedes (a correction).")
@pass_ctx
def certificate_issue(obj: Ctx, number: str, importer: str, importer_account: str, consignment_id: int,
                      carats: int | None, parcels: int | None, hs_codes: tuple[int, ...], origins: tuple[str, ...],
                      expires_days: float, document: Path, replaces: str) -> None:
    """Issue a certificate for a sealed consignment held by one of your exporters (exporting authority)."""
    c = obj.client()
    known = _from_consignment(c, consignment_id) if None in (carats, parcels) or not hs_codes or not origins \
        else {}
    if carats is None:
        carats = known.get("points")
    if parcels is None:
        parcels = known.get("parcel_count") or (len(known["parcel_ids"]) if known.get("parcel_ids") else None)
    hs = list(hs_codes) or known.get("hs_codes")
    orig = [o.upper() for o in origins] or known.get("origins")
    missing = [n for n, v in (("--carats", carats), ("--parcels", parcels), ("--hs", hs), ("--origin", orig))
               if not v]
    if missing:
        raise click.UsageError(f"give {', '.join(missing)} (the read API did not report them)")
    now = int(time.time())
    obj.written(c.issue_certificate(number=number, importer=importer.upper(), importer_account=importer_account,
                                    consignment_id=consignment_id, points=int(carats), parcel_count=int(parcels),
                                    hs_codes=hs, origins=orig, issued_at=now - 60,
                                    expires_at=now + int(expires_days * 86_400),
                                    document_hash=kc.document_hash(document), replaces=replaces.upper()))


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
    """Show certificate NUMBER."""
    obj.emit(obj.client(sign=False).certificate(number))


# ---------------------------------------------------------------- checks


@cli.command("verify")
@click.option("--certificate", "number", help="Check against this certificate only; else against every "
                                              "certificate and parcel document anchored.")
@click.argument("document", type=FILE)
@pass_ctx
def verify(obj: Ctx, number: str | None, document: Path) -> None:
    """Check that DOCUMENT is the one anchored on chain (SHA-256 compared); exit 1 if it is not."""
    answer = obj.client(sign=False).verify(document.read_bytes(), number)
    obj.emit(answer)
    if not answer.get("matches"):
        where = f"certificate {number}" if number else "any certificate or parcel"
        click.echo(f"error DocumentMismatch: {document} ({answer.get('sha256')}) is not the document anchored "
                   f"by {where}", err=True)
        click.get_current_context().exit(1)


@cli.command("status")
@pass_ctx
def status(obj: Ctx) -> None:
    """Show the API's health: chain reachable, indexer lag."""
    obj.emit(obj.client(sign=False).health())


