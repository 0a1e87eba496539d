"""`kp key`: create, import and show the signing key (an encrypted keystore)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from eth_account import Account

from kpledger.cli.base import FILE, Ctx, cli, pass_ctx
from kpledger.client import ClientError


@cli.group()
def key() -> None:
    """Create, import and show your signing key (an encrypted keystore file)."""


def keystore_option(f: Any) -> Any:
    return click.option("--keystore", "keystore_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="Keystore file (overrides the global --keystore).")(f)


def write_keystore(obj: Ctx, path: Path | None, private_key: bytes | str, force: bool) -> Path:
    """Encrypts `private_key` into `path` (else the global --keystore) with a new password; prints the address."""
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
    return target


@key.command("new")
@keystore_option
@click.option("--force", is_flag=True, help="Overwrite an existing keystore.")
@pass_ctx
def key_new(obj: Ctx, keystore_path: Path | None, force: bool) -> None:
    """Create a new random key and store it encrypted (scrypt)."""
    write_keystore(obj, keystore_path, Account.create().key, force)


@key.command("import")
@keystore_option
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
    write_keystore(obj, keystore_path, raw, force)


@key.command("show")
@keystore_option
@pass_ctx
def key_show(obj: Ctx, keystore_path: Path | None) -> None:
    """Print the address of the keystore's key (no password needed)."""
    target = keystore_path or obj.keystore
    address = obj.keystore_address(target)
    obj.emit({"address": address, "keystore": str(target)}, address)


