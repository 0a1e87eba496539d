"""`kp`: the KP Ledger command line for mines, exporters, importers, authorities and governance.

Every write is signed locally with the key of an encrypted keystore and submitted through the API's
relayer; nothing but the signature leaves the machine.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from kpledger import client as kc
from kpledger.client import ClientError, KPClient, Part
from kpledger.core.constants import hs_code, reasons_help

DEFAULT_API = "http://127.0.0.1:8000"
DEFAULT_KEYSTORE = Path.home() / ".kp" / "keystore.json"
REASONS_HELP = reasons_help()


# ---------------------------------------------------------------- parameter types


class Carats(click.ParamType):
    """A carat amount with at most 2 decimals, converted to points."""

    name = "CARATS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return kc.points(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class HsCode(click.ParamType):
    """A rough-diamond HS code, written 7102.10 or 710210."""

    name = "HS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return hs_code(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Address(click.ParamType):
    """A 0x account address, returned checksummed."""

    name = "ADDRESS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not is_address(value):
            self.fail(f"{value!r} is not an account address", param, ctx)
        return to_checksum_address(value)


class Role(click.ParamType):
    """An operator role name."""

    name = "ROLE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if value.lower() not in kc.ROLES:
            self.fail(f"unknown role {value!r} (known: {', '.join(kc.ROLES)})", param, ctx)
        return value.lower()


class PartSpec(click.ParamType):
    """A split part: CARATS:HS[:STONES[:DOCUMENT]] (DOCUMENT a file, hashed with SHA-256, or 0x-hex)."""

    name = "CARATS:HS[:STONES[:DOCUMENT]]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Part:
        if isinstance(value, Part):
            return value
        bits = value.split(":", 3)
        if len(bits) < 2:
            self.fail(f"{value!r}: expected CARATS:HS[:STONES[:DOCUMENT]]", param, ctx)
        try:
            stones = int(bits[2]) if len(bits) > 2 and bits[2] else 0
            doc = _hash_of(bits[3]) if len(bits) > 3 else kc.ZERO32
            return Part(points=kc.points(bits[0]), hs_code=hs_code(bits[1]), stones=stones, document_hash=doc)
        except (ValueError, OSError) as exc:
            self.fail(f"{value!r}: {exc}", param, ctx)


def _hash_of(value: str) -> str:
    """A document reference: 0x-hex of 32 bytes as is, else the SHA-256 of the named file."""
    return value.lower() if kc._HEX32.match(value) else kc.document_hash(value)


CARATS, ADDRESS, ROLE, PART, HS = Carats(), Address(), Role(), PartSpec(), HsCode()
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
REASON = click.IntRange(0, 65_535)


# ---------------------------------------------------------------- context and output


@dataclass
class Ctx:
    """Global options, and the client built from them on first use."""

    api: str
    keystore: Path
    password_file: Path | None
    as_json: bool
    _client: KPClient | None = field(default=None, repr=False)

    def password(self, confirm: bool = False) -> str:
        """The keystore password: --password-file, then KP_PASSWORD, then a prompt."""
        if self.password_file is not None:
            return self.password_file.read_text().rstrip("\r\n")
        if "KP_PASSWORD" in os.environ:
            return os.environ["KP_PASSWORD"]
        return click.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm)

    def account(self) -> LocalAccount:
        """Decrypts the keystore."""
        if not self.keystore.is_file():
            raise ClientError("NoKeystore", f"no keystore at {self.keystore} (kp key new / kp key import, "
                                            "or give --keystore / KP_KEYSTORE)")
        try:
            stored = json.loads(self.keystore.read_text())
        except (ValueError, OSError) as exc:
            raise ClientError("KeystoreUnreadable", f"{self.keystore} is not a keystore file ({exc})") from exc
        try:
            key = Account.decrypt(stored, self.password())
        except ValueError as exc:
            wrong = "MAC mismatch" in str(exc)
            message = (f"wrong password for {self.keystore}: try again (KP_PASSWORD, --password-file or the prompt)"
                       if wrong else f"cannot decrypt {self.keystore}: {exc}")
            raise ClientError("KeystoreLocked", message) from exc
        return Account.from_key(key)

    def client(self, sign: bool = True) -> KPClient:
        """The API client; with the decrypted key when `sign`."""
        if self._client is None or (sign and self._client.account is None):
            self._client = KPClient(self.api, self.account() if sign else None)
        return self._client

    def emit(self, data: Any, text: str | None = None) -> None:
        """Prints `data` as JSON under --json, else `text` (or a readable rendering of `data`)."""
        if self.as_json:
            click.echo(json.dumps(data, indent=2, sort_keys=True))
        else:
            click.echo(text if text is not None else render(data))

    def written(self, answer: dict[str, Any]) -> None:
        """Prints the answer to a write: action, status, block, tx hash and resulting ids."""
        if answer.get("indexed") is False:
            click.echo(f"note: the API has not indexed block {answer.get('block_number')} yet; reads may lag behind",
                       err=True)
        if self.as_json:
            return self.emit(answer)
        lines = [f"{answer.get('action', 'request')} {answer.get('status', '?')}"
                 + (f" in block {answer['block_number']}" if answer.get("block_number") is not None else "")
                 + (" (duplicate submission: same request as before)" if answer.get("duplicate") else "")]
        lines.append(f"  tx: {answer.get('tx_hash')}")
        for key, value in (answer.get("result") or {}).items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            lines.append(f"  {key}: {shown}")
        click.echo("\n".join(lines))


def render(data: Any, indent: int = 0) -> str:
    """A readable, indented rendering of JSON data."""
    pad = "  " * indent
    if isinstance(data, dict):
        lines = []
        for key, value in data.items():
            if isinstance(value, dict | list) and value and not _flat(value):
                lines.append(f"{pad}{key}:")
                lines.append(render(value, indent + 1))
            else:
                lines.append(f"{pad}{key}: {_scalar(value)}")
        return "\n".join(lines)
    if isinstance(data, list):
        out = []
        for item in data:
            if isinstance(item, dict | list) and item:
                body = render(item, indent + 1)
                out.append(f"{pad}- {body[len(pad) + 2:]}")  # first line shares the dash
            else:
                out.append(f"{pad}- {_scalar(item)}")
        return "\n".join(out)
    return pad + _scalar(data)


def _flat(value: dict | list) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "[]"
    if isinstance(value, dict):
        return "{}"
    return "-" if value is None else str(value)


def fail(ctx: click.Context, exc: ClientError) -> NoReturn:
    """Reports a refusal as `error CODE: message` on stderr (and the JSON on stdout under --json); exit 1."""
    click.echo(f"error {exc.code}: {exc.message}", err=True)
    obj = ctx.find_object(Ctx)
    if obj is not None and obj.as_json:
        click.echo(json.dumps({"error": {"code": exc.code, "message": exc.message, "details": exc.details,
                                         "status": exc.status}}, indent=2))
    elif exc.details:
        click.echo(f"  details: {json.dumps(exc.details, sort_keys=True)}", err=True)
    ctx.exit(1)


class KPGroup(click.Group):
    """The root group: every failure is one line `error CODE: message` on stderr, never a traceback. Refusals and
    an unreachable API exit 1; an argument the ledger cannot take exits 2, like click's usage errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClientError as exc:
            fail(ctx, exc)
        except (ValueError, ArithmeticError) as exc:  # a value the ledger cannot hold (a 33-byte reason, ...)
            click.echo(f"error InvalidArgument: {exc}", err=True)
            ctx.exit(2)
        except OSError as exc:
            fail(ctx, ClientError("FileError", f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")))
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: still one line, and how to report it
            fail(ctx, ClientError("InternalError", f"{type(exc).__name__}: {exc} (a bug in kp: please report it "
                                                   "with the command you ran)"))


pass_ctx = click.make_pass_decorator(Ctx)


# ---------------------------------------------------------------- root


@click.group(cls=KPGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--api", envvar="KP_API", default=DEFAULT_API, show_default=True, metavar="URL",
              help="Base URL of the KP Ledger API (env KP_API).")
@click.option("--keystore", envvar="KP_KEYSTORE", default=DEFAULT_KEYSTORE, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Encrypted keystore holding your signing key (env KP_KEYSTORE).")
@click.option("--password-file", envvar="KP_PASSWORD_FILE", type=FILE,
              help="File holding the keystore password; else env KP_PASSWORD, else a prompt.")
@click.option("--json", "as_json", is_flag=True, help="Machine output: print the API's JSON answers.")
@click.pass_context
def cli(ctx: click.Context, api: str, keystore: Path, password_file: Path | None, as_json: bool) -> None:
    """KP Ledger: record rough-diamond parcels, custody hand-offs and KP certificates.

    Writes are signed with your key (EIP-712) and relayed by the API: you need no ether.
    Refusals print `error CODE: message` on stderr and exit with status 1.
    """
    ctx.obj = Ctx(api=api, keystore=keystore, password_file=password_file, as_json=as_json)


# ---------------------------------------------------------------- keys


@cli.group()
def key() -> None:
    """Create, import and show your signing key (an encrypted keystore file)."""


def _keystore_option(f: Any) -> Any:
    return click.option("--keystore", "keystore_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="Keystore file (overrides the global --keystore).")(f)


def _write_keystore(obj: Ctx, path: Path | None, private_key: bytes | str, force: bool) -> None:
    target = path or obj.keystore
    if target.exists() and not force:
        raise ClientError("KeystoreExists", f"{target} exists (use --force to overwrite it)")
    account = Account.from_key(private_key)
    encrypted = Account.encrypt(account.key, obj.password(confirm=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(encrypted, f)
    obj.emit({"address": account.address, "keystore": str(target)},
             f"{account.address}\n  keystore: {target}")


@key.command("new")
@_keystore_option
@click.option("--force", is_flag=True, help="Overwrite an existing keystore.")
@pass_ctx
def key_new(obj: Ctx, keystore_path: Path | None, force: bool) -> None:
    """Create a new random key and store it encrypted (scrypt)."""
    _write_keystore(obj, keystore_path, Account.create().key, force)


@key.command("import")
@_keystore_option
@click.option("--private-key-file", type=FILE,
              help="File holding the 0x-hex private key; else env KP_PRIVATE_KEY, else a hidden prompt.")
@click.option("--force", is_flag=True, help="Overwrite an existing keystore.")
@pass_ctx
def key_import(obj: Ctx, keystore_path: Path | None, private_key_file: Path | None, force: bool) -> None:
    """Import an existing private key into an encrypted keystore."""
    if private_key_file is not None:
        raw = private_key_file.read_text().strip()
    elif "KP_PRIVATE_KEY" in os.environ:
        raw = os.environ["KP_PRIVATE_KEY"].strip()
    else:
        raw = click.prompt("Private key (0x-hex)", hide_input=True).strip()
    try:
        Account.from_key(raw)
    except (ValueError, TypeError) as exc:
        raise ClientError("InvalidKey", f"not a private key: {exc}") from None
    _write_keystore(obj, keystore_path, raw, force)


@key.command("show")
@_keystore_option
@pass_ctx
def key_show(obj: Ctx, keystore_path: Path | None) -> None:
    """Print the address of the keystore's key (no password needed)."""
    target = keystore_path or obj.keystore
    if not target.is_file():
        raise ClientError("NoKeystore", f"no keystore at {target}")
    address = to_checksum_address("0x" + json.loads(target.read_text())["address"].removeprefix("0x"))
    obj.emit({"address": address, "keystore": str(target)}, address)


# ---------------------------------------------------------------- participants and governance


@cli.group()
def participant() -> None:
    """Participants (ISO 3166-1 alpha-2 codes; the EU is one). Writes are for governance."""


@participant.command("admit")
@click.argument("code")
@click.argument("name")
@pass_ctx
def participant_admit(obj: Ctx, code: str, name: str) -> None:
    """Admit participant CODE (e.g. BW) named NAME (governance)."""
    obj.written(obj.client().admit_participant(code.upper(), name))


@participant.command("suspend")
@click.argument("code")
@click.option("--reason", default="", help="Short reason text (up to 32 bytes) or 0x-hex bytes32.")
@pass_ctx
def participant_suspend(obj: Ctx, code: str, reason: str) -> None:
    """Suspend participant CODE: its authorities and operators can do nothing (governance)."""
    obj.written(obj.client().suspend_participant(code.upper(), reason))


@participant.command("reinstate")
@click.argument("code")
@pass_ctx
def participant_reinstate(obj: Ctx, code: str) -> None:
    """Reinstate suspended participant CODE (governance)."""
    obj.written(obj.client().reinstate_participant(code.upper()))


@participant.command("show")
@click.argument("code", required=False)
@pass_ctx
def participant_show(obj: Ctx, code: str | None) -> None:
    """Show participant CODE, or list all participants."""
    c = obj.client(sign=False)
    obj.emit(c.participant(code.upper()) if code else c.get("/v1/participants"))


@cli.group()
def authority() -> None:
    """Appoint and dismiss the authorities of a participant (governance)."""


@authority.command("appoint")
@click.argument("code")
@click.argument("address", type=ADDRESS)
@click.option("--name", required=True, help="The authority's name as it appears on certificates "
                                            "(e.g. 'Government Diamond Valuator, Gaborone').")
@pass_ctx
def authority_appoint(obj: Ctx, code: str, address: str, name: str) -> None:
    """Appoint ADDRESS as an authority of participant CODE, under a name."""
    obj.written(obj.client().appoint_authority(code.upper(), address, name))


@authority.command("dismiss")
@click.argument("code")
@click.argument("address", type=ADDRESS)
@pass_ctx
def authority_dismiss(obj: Ctx, code: str, address: str) -> None:
    """Dismiss ADDRESS as an authority of participant CODE."""
    obj.written(obj.client().dismiss_authority(code.upper(), address))


@cli.group()
def governance() -> None:
    """Parameters of the ledger set by the KP Chair / Secretariat."""


@governance.command("validity")
@click.option("--days", type=click.IntRange(1, 3_650), required=True,
              help="The longest validity a KP certificate may have, in days.")
@pass_ctx
def governance_validity(obj: Ctx, days: int) -> None:
    """Set the longest validity of KP certificates (governance)."""
    obj.written(obj.client().set_max_certificate_validity(days * 86_400))


@cli.group()
def operator() -> None:
    """License and revoke your participant's operators (authorities)."""


_ROLES_HELP = f"Role to grant or revoke; repeat for several ({', '.join(r for r in kc.ROLES if r != 'authority')})."


_PROFILE_OPTIONS = (
    click.option("--name", required=True, help="Legal name of the company (public, as authorities publish it)."),
    click.option("--licence", "licence_number", required=True, help="National licence number."),
    click.option("--registry-ref", default="", help="Country-specific registry reference, if there is one."),
)


def _profile_options(f: Any) -> Any:
    for option in reversed(_PROFILE_OPTIONS):
        f = option(f)
    return f


@operator.command("license")
@click.argument("address", type=ADDRESS)
@click.option("--role", "roles", type=ROLE, multiple=True, required=True, help=_ROLES_HELP)
@_profile_options
@pass_ctx
def operator_license(obj: Ctx, address: str, roles: tuple[str, ...], name: str, licence_number: str,
                     registry_ref: str) -> None:
    """License ADDRESS as an operator of your participant with the given roles, under its legal name."""
    obj.written(obj.client().license_operator(address, roles, name, licence_number, registry_ref))


@operator.command("update")
@click.argument("address", type=ADDRESS)
@_profile_options
@pass_ctx
def operator_update(obj: Ctx, address: str, name: str, licence_number: str, registry_ref: str) -> None:
    """Update the public profile (name, licence, registry reference) of operator ADDRESS."""
    obj.written(obj.client().update_operator_profile(address, name, licence_number, registry_ref))


@operator.command("revoke")
@click.argument("address", type=ADDRESS)
@click.option("--role", "roles", type=ROLE, multiple=True, required=True, help=_ROLES_HELP)
@pass_ctx
def operator_revoke(obj: Ctx, address: str, roles: tuple[str, ...]) -> None:
    """Revoke roles of operator ADDRESS."""
    obj.written(obj.client().revoke_operator(address, roles))


# ---------------------------------------------------------------- parcels


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
    """Show parcel PARCEL_ID."""
    obj.emit(obj.client(sign=False).parcel(parcel_id))


@parcel.command("provenance")
@click.argument("parcel_id", type=int)
@pass_ctx
def parcel_provenance(obj: Ctx, parcel_id: int) -> None:
    """Trace parcel PARCEL_ID back to its mines: lineage and custody history."""
    obj.emit(obj.client(sign=False).provenance(parcel_id))


# ---------------------------------------------------------------- consignments and custody


@cli.group()
def consignment() -> None:
    """Sealed consignments: seal parcels into a container, open it, show it."""


@consignment.command("seal")
@click.argument("parcel_ids", type=int, nargs=-1, required=True)
@click.option("--seal", "seal", required=True, help="Seal id: the label on the tamper-evident seal, or 0x-hex.")
@pass_ctx
def consignment_seal(obj: Ctx, parcel_ids: tuple[int, ...], seal: str) -> None:
    """Seal parcels PARCEL_IDS into a consignment."""
    obj.written(obj.client().seal_consignment(parcel_ids, kc.seal_id(seal)))


@consignment.command("open")
@click.argument("consignment_id", type=int)
@pass_ctx
def consignment_open(obj: Ctx, consignment_id: int) -> None:
    """Open consignment CONSIGNMENT_ID; its parcels become loose."""
    obj.written(obj.client().open_consignment(consignment_id))


@consignment.command("show")
@click.argument("consignment_id", type=int)
@pass_ctx
def consignment_show(obj: Ctx, consignment_id: int) -> None:
    """Show consignment CONSIGNMENT_ID."""
    obj.emit(obj.client(sign=False).consignment(consignment_id))


@cli.group()
def custody() -> None:
    """Two-phase hand-offs of a lot (parcel or consignment): offer, accept or reject, withdraw."""


_SEAL_HELP = "Seal id: the label on the seal of the consignment or parcel packaging, or 0x-hex."


@custody.command("offer")
@click.argument("lot_id", type=int)
@click.option("--to", "recipient", type=ADDRESS, required=True, help="Address of the recipient.")
@click.option("--seal", "seal", required=True, help=_SEAL_HELP)
@pass_ctx
def custody_offer(obj: Ctx, lot_id: int, recipient: str, seal: str) -> None:
    """Offer lot LOT_ID to a recipient (a crossing needs a sealed consignment and a live certificate)."""
    obj.written(obj.client().offer(lot_id, recipient, kc.seal_id(seal)))


@custody.command("accept")
@click.argument("lot_id", type=int)
@click.option("--seal", "seal", required=True,
              help="The seal id you received (a mismatch is recorded and blocks the transfer).")
@pass_ctx
def custody_accept(obj: Ctx, lot_id: int, seal: str) -> None:
    """Accept lot LOT_ID offered to you, attesting the seal you received."""
    answer = obj.client().accept(lot_id, kc.seal_id(seal))
    obj.written(answer)
    if not obj.as_json and (answer.get("result") or {}).get("transferred") is False:
        click.echo("warning: the seal did not match; the mismatch is recorded and custody did not move", err=True)


@custody.command("reject", epilog=REASONS_HELP)
@click.argument("lot_id", type=int)
@click.option("--reason", type=REASON, required=True, help="Reason code (see below).")
@pass_ctx
def custody_reject(obj: Ctx, lot_id: int, reason: int) -> None:
    """Reject the offer of lot LOT_ID."""
    obj.written(obj.client().reject(lot_id, reason))


@custody.command("withdraw")
@click.argument("lot_id", type=int)
@pass_ctx
def custody_withdraw(obj: Ctx, lot_id: int) -> None:
    """Withdraw your pending offer of lot LOT_ID."""
    obj.written(obj.client().withdraw_offer(lot_id))


# ---------------------------------------------------------------- certificates


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


@certificate.command("confirm")
@click.argument("number")
@pass_ctx
def certificate_confirm(obj: Ctx, number: str) -> None:
    """Confirm the import under certificate NUMBER (importing authority)."""
    obj.written(obj.client().confirm_import(number))


@certificate.command("discrepancy", epilog=REASONS_HELP)
@click.argument("number")
@click.option("--reason", type=REASON, required=True, help="Reason code (see below).")
@click.option("--evidence", type=FILE, help="Evidence document (SHA-256 anchored).")
@pass_ctx
def certificate_discrepancy(obj: Ctx, number: str, reason: int, evidence: Path | None) -> None:
    """Record a discrepancy on the import under certificate NUMBER (importing authority)."""
    obj.written(obj.client().record_discrepancy(number, reason, kc.document_hash(evidence) if evidence
                                                else kc.ZERO32))


@certificate.command("void", epilog=REASONS_HELP)
@click.argument("number")
@click.option("--reason", type=REASON, required=True, help="Reason code (see below).")
@pass_ctx
def certificate_void(obj: Ctx, number: str, reason: int) -> None:
    """Void certificate NUMBER before it is used (issuing authority)."""
    obj.written(obj.client().void_certificate(number, reason))


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


def main() -> None:
    """Entry point of the `kp` console script."""
    cli(prog_name="kp")


if __name__ == "__main__":
    main()
