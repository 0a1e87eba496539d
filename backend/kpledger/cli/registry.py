"""`kp participant`, `kp authority`, `kp governance`, `kp operator`: the registry's writes and reads."""

from __future__ import annotations

from typing import Any

import click

from kpledger import client as kc
from kpledger.cli.base import ADDRESS, ROLE, Ctx, action_command, cli, pass_ctx


@cli.group()
def participant() -> None:
    """Participants (ISO 3166-1 alpha-2 codes; the EU is one). Writes are for governance."""


@participant.command("suspend")
@click.argument("code")
@click.option("--reason", default="", help="Short reason text (up to 32 bytes) or 0x-hex bytes32.")
@pass_ctx
def participant_suspend(obj: Ctx, code: str, reason: str) -> None:
    """Suspend participant CODE: its authorities and operators can do nothing (governance)."""
    obj.written(obj.client().suspend_participant(code.upper(), reason))


@participant.command("show")
@click.argument("code", required=False)
@pass_ctx
def participant_show(obj: Ctx, code: str | None) -> None:
    """Show participant CODE, or list all participants."""
    c = obj.client(sign=False)
    obj.emit(c.participant(code.upper()) if code else c.get("/v1/participants"))


action_command(participant, "admit", "AdmitParticipant", "Admit participant CODE under NAME (governance).")
action_command(participant, "reinstate", "ReinstateParticipant", "Reinstate suspended participant CODE (governance).")


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


action_command(authority, "dismiss", "DismissAuthority", "Dismiss ACCOUNT as an authority of participant PARTICIPANT.")


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


