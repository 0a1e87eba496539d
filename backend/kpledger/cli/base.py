"""The `kp` command line's shared parts: parameter types, the context, output, one-line errors, the root group, and
the commands derived from the action table where a command is a plain mapping of arguments to an action's fields."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from kpledger import client as kc
from kpledger.client import ClientError, KPClient, Part
from kpledger.core.actions import ACTIONS, ISO_CODE, Kind
from kpledger.core.constants import hs_code, reasons_help, role_names
from kpledger.core.errors import KPError
from kpledger.core.words import visible

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


class Usd(click.ParamType):
    """An amount in US dollars with at most 2 decimals, kept as the exact decimal string ("41300000.00")."""

    name = "USD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount in USD", param, ctx)
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) \
                or amount >= 10**15:
            self.fail(f"{value!r}: an amount in USD is at least 0, below 10^15, with at most 2 decimals", param, ctx)
        return f"{abs(amount):.2f}"  # abs: -0 is 0


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


CARATS, ADDRESS, ROLE, PART, HS, USD = Carats(), Address(), Role(), PartSpec(), HsCode(), Usd()
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

    def keystore_address(self, path: Path | None = None) -> str:
        """The address of the keystore's key (stored in clear in the file: no password needed)."""
        target = path or self.keystore
        if not target.is_file():
            raise ClientError("NoKeystore", f"no keystore at {target} (kp key new / kp key import, or give "
                                            "--keystore / KP_KEYSTORE)")
        try:
            return to_checksum_address("0x" + str(json.loads(target.read_text())["address"]).removeprefix("0x"))
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise ClientError("KeystoreUnreadable", f"{target} is not a keystore file ({exc})") from exc

    def client(self, sign: bool = True) -> KPClient:
        """The API client; with the decrypted key when `sign`."""
        if self._client is None or (sign and self._client.account is None):
            self._client = KPClient(self.api, self.account() if sign else None)
        return self._client

    def emit(self, data: Any, text: str | None = None) -> None:
        """Prints `data` as JSON under --json (control characters as JSON escapes), else `text` (or a readable
        rendering of `data`)."""
        if self.as_json:
            echo(json.dumps(data, indent=2, sort_keys=True))
        else:
            echo(text if text is not None else render(data))

    def written(self, answer: dict[str, Any]) -> None:
        """Prints the answer to a write: action, status, block, tx hash and resulting ids."""
        if answer.get("indexed") is False:
            echo(f"note: the API has not indexed block {answer.get('block_number')} yet; reads may lag behind",
                 err=True)
        if self.as_json:
            return self.emit(answer)
        lines = [f"{answer.get('action', 'request')} {answer.get('status', '?')}"
                 + (f" in block {answer['block_number']}" if answer.get("block_number") is not None else "")
                 + (" (duplicate submission: same request as before)" if answer.get("duplicate") else "")]
        lines.append(f"  tx: {_scalar(answer.get('tx_hash'))}")
        result = answer.get("result") or {}
        for key, value in result.items():
            if key == "certificate_number":
                continue
            if key == "certificate_key":  # a key means nothing to a person: the certificate's number, or none
                if "number" not in result and result.get("transferred"):
                    number = result.get("certificate_number")
                    lines.append(f"  certificate: {number} (the crossing used it: kp certificate show {number})"
                                 if number else f"  certificate: {self._certificate_of(result.get('lot_id'), value)}")
                continue
            shown = (", ".join(role_names(value)) or "none") if key == "roles" and isinstance(value, int) else value
            lines.append(f"  {key}: {_scalar(shown)}")
        echo("\n".join(lines))

    def _certificate_of(self, lot_id: Any, key: Any) -> str:
        """The certificate a hand-off crossed under, by number (a zero key: a domestic hand-off, no certificate)."""
        if not str(key or "").lower().removeprefix("0x").strip("0"):  # none, or the zero key
            return "none (a domestic hand-off: no border crossed)"
        try:
            cert = self.client(sign=False).consignment(int(lot_id)).get("certificate") or {}
        except (ClientError, TypeError, ValueError):
            cert = {}
        if cert.get("key") == key and cert.get("number"):
            return f"{cert['number']} (the crossing used it: kp certificate show {cert['number']})"
        return f"a KP certificate (kp consignment show {lot_id} names it)"


def echo(text: str, err: bool = False) -> None:
    """Prints a line (or lines) of kp's output. Every character a terminal would act on rather than show (escape
    sequences, carriage returns, bidirectional overrides: the ledger's names are anyone's text) is written visibly
    escaped; kp's own line breaks pass."""
    click.echo(visible(text, keep="\n"), err=err)


def render(data: Any, indent: int = 0) -> str:
    """A readable, indented rendering of JSON data (each value on its line: a line break in a value is escaped)."""
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
        return ", ".join(visible(str(v)) for v in value) if value else "[]"
    if isinstance(value, dict):
        return "{}"
    return "-" if value is None else visible(str(value))


def save(data: bytes, output: str, force: bool) -> str:
    """Writes `data` to the file `output` ("-": stdout), never over an existing file unless `force`; returns where
    it went. To a terminal, the text is shown with what a terminal would act on visibly escaped (a CSV names the
    participants: anyone's text); piped to a file or a program, the bytes are exact."""
    if output == "-":
        sys.stdout.flush()
        stream = click.get_binary_stream("stdout")
        if stream.isatty():
            data = visible(data.decode("utf-8", "replace").replace("\r\n", "\n"), keep="\n").encode()
        stream.write(data)
        return "standard output"
    target = Path(output)
    if target.exists() and not force:
        raise ClientError("FileExists", f"{target} exists (use --force to overwrite it)", {"path": str(target)})
    target.write_bytes(data)
    return str(target)


def output_options(f: Any) -> Any:
    """-o/--output FILE (default: a name the command chooses; "-" for standard output) and --force."""
    f = click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")(f)
    return click.option("-o", "--output", metavar="FILE", help="Where to write it (- for standard output).")(f)


def fail(ctx: click.Context, exc: ClientError) -> NoReturn:
    """Reports a refusal as `error CODE: message` on stderr (and the JSON on stdout under --json); exit 1."""
    echo(f"error {visible(str(exc.code))}: {visible(str(exc.message))}", err=True)  # one line, whatever it quotes
    obj = ctx.find_object(Ctx)
    if obj is not None and obj.as_json:
        echo(json.dumps({"error": {"code": exc.code, "message": exc.message, "details": exc.details,
                                   "status": exc.status}}, indent=2))
    elif exc.details:
        echo(f"  details: {json.dumps(exc.details, sort_keys=True)}", err=True)
    ctx.exit(1)


class KPGroup(click.Group):
    """The root group: every failure is one line `error CODE: message` on stderr, never a traceback. Refusals and
    an unreachable API exit 1; an argument the ledger cannot take exits 2, like click's usage errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClientError as exc:
            fail(ctx, exc)
        except KPError as exc:  # a check run locally with the backend's own code (a document's schema, ...)
            fail(ctx, ClientError(exc.code, exc.message, exc.details))
        except (ValueError, ArithmeticError) as exc:  # a value the ledger cannot hold (a 33-byte reason, ...)
            echo(f"error InvalidArgument: {visible(str(exc))}", err=True)
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


# ---------------------------------------------------------------- commands derived from the action table


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _argument(name: str, kind: Kind) -> click.Parameter:
    """A positional argument for a message field (upper-case ISO codes, checksummed addresses, integers)."""
    snake = _snake(name)
    if kind.eip712 == "address":
        return click.Argument([snake], type=ADDRESS, metavar=snake.upper())
    if kind.eip712.startswith("uint"):
        return click.Argument([snake], type=click.IntRange(0, 2 ** int(kind.eip712[4:]) - 1), metavar=snake.upper())
    return click.Argument([snake], metavar=snake.upper())


def action_command(group: click.Group, name: str, action: str, help_text: str) -> click.Command:
    """A command of `group` that signs `action` from its fields: a `reason` field is a --reason option (the reason
    codes in the epilog), every other field a positional argument in the table's order. For the actions whose
    command is that plain mapping; the others are written out below, with their human inputs (carats, seals)."""
    spec = ACTIONS[action]
    params: list[click.Parameter] = []
    for field_name, kind in spec.fields:
        if field_name == "reason":
            params.append(click.Option(["--reason"], type=REASON, required=True, help="Reason code (see below)."))
        else:
            params.append(_argument(field_name, kind))

    def run(**values: Any) -> None:
        message = {n: values[_snake(n)].upper() if kind is ISO_CODE else values[_snake(n)] for n, kind in spec.fields}
        obj = click.get_current_context().find_object(Ctx)
        assert obj is not None
        obj.written(obj.client().submit(action, message))

    epilog = REASONS_HELP if any(n == "reason" for n, _ in spec.fields) else None
    command = click.Command(name, callback=run, params=params, help=help_text, epilog=epilog)
    group.add_command(command)
    return command
