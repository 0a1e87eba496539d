"""`kp account show`: who an account is (its public name, participant, roles by name, licence, and the history of
its profile)."""

from __future__ import annotations

import click

from kpledger.cli.base import ADDRESS, Ctx, cli, pass_ctx
from kpledger.cli.views import account_text
from kpledger.client import ClientError


@cli.group()
def account() -> None:
    """Accounts of the ledger: companies (licensed operators) and authorities."""


@account.command("show")
@click.argument("address", type=ADDRESS, required=False)
@pass_ctx
def account_show(obj: Ctx, address: str | None) -> None:
    """Show who ADDRESS is (default: your keystore's account): its operator or authority name, participant, roles,
    licence number and registry reference, and every profile it had."""
    c = obj.client(sign=False)
    shown = c.member(address or obj.keystore_address())
    if obj.as_json:
        return obj.emit(shown)
    changers: dict[str, str | None] = {}
    for change in shown.get("profile_changes") or []:
        by = change["changed_by"]
        if by not in changers:
            try:
                changers[by] = c.member(by).get("name")
            except ClientError:  # a dismissed authority, ...: shown by its address
                changers[by] = None
    obj.emit(shown, account_text(shown, c.participant_names(), changers))
