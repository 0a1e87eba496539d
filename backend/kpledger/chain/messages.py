"""Messages for the refusals whose NatSpec notice cannot say enough on its own: what happened, with the error's data
(which account, which participant, which role by name), and what to do. `Artifacts.decode_error` asks here first
and falls back to the notice; OpenZeppelin's errors carry no notice at all."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from itertools import product
from typing import Any

from eth_utils import keccak

from kpledger.chain import abi
from kpledger.core.constants import ROLES, ZERO32, role_names

GOVERNANCE_ROLE = ZERO32  # OpenZeppelin's DEFAULT_ADMIN_ROLE: the KP Chair / Secretariat
REINSTATE = "governance can reinstate it (kp participant reinstate {p})"


@cache
def _participant_roles() -> dict[str, tuple[str, str]]:
    """role id -> (role name, participant) for every two-letter code: KPRegistry's `keccak256(abi.encode("KP.ROLE",
    code, roleBit))` (`authorityRole`, `operatorRole`), 4,056 hashes computed once, on the first refusal that needs
    them."""
    out = {}
    for a, b in product(string.ascii_uppercase, repeat=2):
        code = a + b
        for name, bit in ROLES.items():
            role = keccak(abi.encode(["string", "bytes2", "uint8"], ["KP.ROLE", code.encode(), bit]))
            out["0x" + role.hex()] = (name, code)
    return out


def role_name(role: str) -> str:
    """A registry role id by name: "governance", "authority of BW", "exporter of EU"; the id itself when unknown."""
    role = role.lower()
    if role == GOVERNANCE_ROLE:
        return "governance"
    known = _participant_roles().get(role)
    return f"{known[0]} of {known[1]}" if known else f"role {role}"


def _unauthorized(d: dict[str, Any]) -> str:
    account, role = d.get("account"), str(d.get("neededRole", ""))
    name = role_name(role)
    if name == "governance":
        return (f"{account} lacks the governance role, which this action needs: only the KP governance (the Chair / "
                "Secretariat) may do it. Sign with the governance keystore (on a development ledger: kp dev "
                "governance).")
    if name.startswith("authority of "):
        who = "governance appoints authorities (kp authority appoint)"
    elif name.startswith("role "):
        who = "see the registry's roles"
    else:
        who = "an authority of that participant licenses operators (kp operator license)"
    return f"{account} lacks the role '{name}', which this action needs: {who}."


def _missing_role(d: dict[str, Any]) -> str:
    names = role_names(int(d.get("role", 0))) or [f"role bits {d.get('role')}"]
    return (f"{d.get('account')} is not licensed as {' or '.join(names)}, which this action needs: an authority of "
            "its participant adds the role (kp operator license ADDRESS --role ...).")


def _account_is_operator(d: dict[str, Any]) -> str:
    p, names = d.get("participant"), role_names(int(d.get("roles", 0)))
    return (f"{d.get('account')} is licensed as {', '.join(names) or 'an operator'} of {p}: an operator is never "
            "appointed authority (separation of duties: it would certify its own exports). Appoint another account, "
            f"or have {p}'s authority revoke its licences first (kp operator revoke ADDRESS --role ...).")


def _suspended(who: str) -> Callable[[dict[str, Any]], str]:
    def render(d: dict[str, Any]) -> str:
        p = d.get("participant")
        return f"participant {p} is suspended: {who}; {REINSTATE.format(p=p)}."
    return render


def _time(value: Any) -> str:
    try:
        return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError, OverflowError):
        return str(value)


MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "AccessControlUnauthorizedAccount": _unauthorized,
    "AccessControlBadConfirmation": lambda d: "an account renounces only its own roles (the confirmation must be the "
                                              "signer's own address)",
    "AccessControlEnforcedDefaultAdminRules": lambda d: "the governance role changes hands only in two steps "
                                                        "(a transfer begun, then accepted after the delay), never "
                                                        "through grantRole, revokeRole or renounceRole",
    "AccessControlEnforcedDefaultAdminDelay": lambda d: "the governance hand-over cannot be completed before "
                                                        f"{_time(d.get('schedule'))}: its delay has not passed yet",
    "AccessControlInvalidDefaultAdmin": lambda d: f"{d.get('defaultAdmin')} cannot take the governance role: only "
                                                  "the account named in a pending hand-over can accept it",
    "InvalidAccountNonce": lambda d: f"the nonce is stale for {d.get('account')} (next: {d.get('currentNonce')}): "
                                     "sign the request again",
    "InvalidShortString": lambda d: "a text is too long for the ledger",
    "StringTooLong": lambda d: f"the text {d.get('str')!r} is too long for the ledger",
    "SafeCastOverflowedUintDowncast": lambda d: f"the value {d.get('value')} is too large (at most {d.get('bits')} "
                                                "bits)",
    "KPLedgerMissingRole": _missing_role,
    "KPLedgerNotOperator": lambda d: f"{d.get('account')} is not a licensed operator of any participant: an "
                                     "authority licenses it first (kp operator license ADDRESS --role ...)",
    "KPRegistryNotAuthority": lambda d: f"{d.get('account')} is not an authority of any participant: governance "
                                        "appoints authorities (kp authority appoint CODE ADDRESS --name ...)",
    "KPCertificatesNotAuthority": lambda d: f"{d.get('account')} is not an authority of an active participant: only "
                                            "the exporting participant's authority issues its certificates, and only "
                                            "the importing participant's confirms them",
    "KPRegistryAccountIsAuthority": lambda d: (
        f"{d.get('account')} is an authority of {d.get('participant')}: an authority is never licensed as an operator "
        "(separation of duties: it would certify its own exports), and only governance names an authority (kp "
        "authority appoint CODE ADDRESS --name ...). License another account."),
    "KPRegistryAccountIsOperator": _account_is_operator,
    "KPRegistryLicenceNumberTaken": lambda d: (
        f"licence number {d.get('licenceNumber')} of {d.get('participant')} is held by {d.get('holder')}, another of "
        "its operators: a licence number names one operator. For the same licensee under a new key, revoke the old "
        "account's licences first (kp operator revoke ADDRESS --role ...), which frees the number."),
    "KPCertificatesReplacesOtherConsignment": lambda d: (
        f"the certificate named in replaces (key {d.get('certificateKey')}) covers consignment "
        f"{d.get('replacedConsignmentId')}, not consignment {d.get('consignmentId')}: a correction is issued for the "
        "same goods; issue this consignment's certificate without replaces"),
    "KPLedgerParticipantSuspended": _suspended("while it is, its operators and authorities can do nothing (but "
                                               "revoke licences and dismiss authorities)"),
    "KPRegistryParticipantSuspended": _suspended("while it is, no one is appointed or licensed for it "
                                                 "(and suspending it again changes nothing)"),
    "KPCertificatesParticipantSuspended": _suspended("while it is, its authorities neither issue nor confirm "
                                                     "certificates, and no certificate may name it as the importing "
                                                     "participant"),
}


def message(code: str, details: dict[str, Any]) -> str | None:
    """The message for a decoded refusal, or None to use its NatSpec notice."""
    render = MESSAGES.get(code)
    return render(details) if render is not None else None
