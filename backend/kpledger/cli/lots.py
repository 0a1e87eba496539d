"""`kp parcel`, `kp consignment`, `kp custody`: parcels, sealed consignments and two-phase hand-offs."""

from __future__ import annotations

from pathlib import Path

import click

from kpledger import client as kc
from kpledger.cli.base import ADDRESS, CARATS, FILE, HS, PART, Ctx, action_command, cli, echo, pass_ctx
from kpledger.cli.views import consignment_text, parcel_text, provenance_text
from kpledger.client import Part


@cli.group()
def parcel() -> None:
    """Parcels: register at origin (producers), split, merge, show, trace provenance."""


@parcel.command("register")
@click.option("--carats", type=CARATS, required=True, help="Weight in carats, at most 2 decimals (123.45).")
@click.option("--hs", "hs", type=HS, required=True,
              help="HS code: 7102.10 unsorted, 7102.21 industrial, 7102.31 non-industrial (or 710210, ...).")
@click.option("--origin", required=True, help="ISO code of the mining country (your own participant).")
@click.option("--document", type=FILE, required=True, help="The parcel document; its SHA-256 is anchored.")
@click.option("--stones", type=click.IntRange(0), default=0, show_default=True, help="Number of stones.")
@pass_ctx
def parcel_register(obj: Ctx, carats: int, hs: int, origin: str, document: Path, stones: int) -> None:
    """Register a newly mined parcel (producers)."""
    obj.written(obj.client().register_parcel(points=carats, hs_code=hs, origin=origin.upper(),
                                             document_hash=kc.document_hash(document), stones=stones))


@parcel.command("split")
@click.argument("parcel_id", type=int)
@click.option("--part", "parts", type=PART, multiple=True, required=True,
              help="A child: CARATS:HS[:STONES[:DOCUMENT]]; repeat for each. Weights must add up exactly.")
@pass_ctx
def parcel_split(obj: Ctx, parcel_id: int, parts: tuple[Part, ...]) -> None:
    """Split parcel PARCEL_ID into parts (e.g. --part 60.00:710231 --part 40.00:710221:12)."""
    obj.written(obj.client().split_parcel(parcel_id, list(parts)))


@parcel.command("merge")
@click.argument("parcel_ids", type=int, nargs=-1, required=True)
@click.option("--document", type=FILE, help="Document of the merged parcel (SHA-256 anchored).")
@pass_ctx
def parcel_merge(obj: Ctx, parcel_ids: tuple[int, ...], document: Path | None) -> None:
    """Merge parcels PARCEL_IDS into one."""
    doc = kc.document_hash(document) if document else kc.ZERO32
    obj.written(obj.client().merge_parcels(parcel_ids, doc))


@parcel.command("show")
@click.argument("parcel_id", type=int)
@pass_ctx
def parcel_show(obj: Ctx, parcel_id: int) -> None:
    """Show parcel PARCEL_ID: weight, HS code, origin, holder by name, status, when recorded (UTC), a pending offer
    (--json: the API's answer)."""
    c = obj.client(sign=False)
    answer = c.parcel(parcel_id)
    obj.emit(answer, None if obj.as_json else parcel_text(answer, c.participant_names()))


@parcel.command("provenance")
@click.argument("parcel_id", type=int)
@pass_ctx
def parcel_provenance(obj: Ctx, parcel_id: int) -> None:
    """Trace parcel PARCEL_ID back to its mines: the verdict, its custody as dated lines (UTC) with names, countries,
    seal checks and certificate numbers, its lineage and its certificates (--json: the API's answer)."""
    c = obj.client(sign=False)
    answer = c.provenance(parcel_id)
    obj.emit(answer, None if obj.as_json else provenance_text(answer, c.participant_names()))


# ---------------------------------------------------------------- consignments and custody


@cli.group()
def consignment() -> None:
    """Sealed consignments: seal parcels into a container, open it, show it."""


@consignment.command("seal")
@click.argument("parcel_ids", type=int, nargs=-1, required=True)
@click.option("--seal", "seal", required=True,
              help="The label on the tamper-evident seal (sent beside its id, so reads show it), or a 0x-hex id.")
@pass_ctx
def consignment_seal(obj: Ctx, parcel_ids: tuple[int, ...], seal: str) -> None:
    """Seal parcels PARCEL_IDS into a consignment."""
    obj.written(obj.client().seal_consignment(parcel_ids, seal))


@consignment.command("show")
@click.argument("consignment_id", type=int)
@pass_ctx
def consignment_show(obj: Ctx, consignment_id: int) -> None:
    """Show consignment CONSIGNMENT_ID: its seal (label and id), parcels, holder by name, when sealed (UTC), its
    certificate by number, a pending offer (--json: the API's answer)."""
    c = obj.client(sign=False)
    answer = c.consignment(consignment_id)
    obj.emit(answer, None if obj.as_json else consignment_text(answer, c.participant_names()))


action_command(consignment, "open", "OpenConsignment", "Open consignment CONSIGNMENT_ID; its parcels become loose.")


@cli.group()
def custody() -> None:
    """Two-phase hand-offs of a lot (parcel or consignment): offer, accept or reject, withdraw."""


_SEAL_HELP = "The label on the seal of the consignment or parcel packaging, or a 0x-hex seal id."


@custody.command("offer")
@click.argument("lot_id", type=int)
@click.option("--to", "recipient", type=ADDRESS, required=True, help="Address of the recipient.")
@click.option("--seal", "seal", required=True, help=_SEAL_HELP)
@pass_ctx
def custody_offer(obj: Ctx, lot_id: int, recipient: str, seal: str) -> None:
    """Offer lot LOT_ID to a recipient (a crossing needs a sealed consignment and a live certificate)."""
    obj.written(obj.client().offer(lot_id, recipient, seal))


@custody.command("accept")
@click.argument("lot_id", type=int)
@click.option("--seal", "seal", required=True,
              help="The label on the seal you received, or its 0x-hex id (a mismatch is recorded and blocks the "
                   "transfer).")
@pass_ctx
def custody_accept(obj: Ctx, lot_id: int, seal: str) -> None:
    """Accept lot LOT_ID offered to you, attesting the seal you received."""
    answer = obj.client().accept(lot_id, seal)
    obj.written(answer)
    if not obj.as_json and (answer.get("result") or {}).get("transferred") is False:
        echo("warning: the seal did not match; the mismatch is recorded and custody did not move", err=True)


action_command(custody, "reject", "RejectCustody", "Reject the offer of lot LOT_ID.")
action_command(custody, "withdraw", "WithdrawOffer", "Withdraw your pending offer of lot LOT_ID.")
