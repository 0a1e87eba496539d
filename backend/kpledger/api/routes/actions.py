"""The write actions as data (`GET /v1/actions`): what a client needs to build, sign and post any intent.

The participant console reads this instead of hard-coding EIP-712 types, paths or domains, so a new or
changed intent reaches it without a console release. Everything here is derived from two tables: the
intent types (`kpledger.intents.INTENTS`) and the write routes (`api.routes.writes.ENDPOINTS`);
`action_table` is the one place that joins them.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kpledger.api.deps import ServicesDep
from kpledger.api.routes.writes import ENDPOINTS
from kpledger.intents import INTENTS, domain
from kpledger.queries.roles import ROLES

router = APIRouter(prefix="/v1", tags=["writes"])

Signers = Literal["governance", "authority", "operator"]

# Who may sign each action (the contracts enforce it; clients use it to offer only what an account may do).
# KPRegistry's participant actions are governance's, licences are an authority's; KPCertificates' are the
# authorities'; KPLedger's are the licensed operators'. An action missing here falls back to that rule.
SIGNERS: dict[str, Signers] = {
    "LicenseOperator": "authority",
    "RevokeOperator": "authority",
}
_BY_CONTRACT: dict[str, Signers] = {"KPRegistry": "governance", "KPLedger": "operator",
                                    "KPCertificates": "authority"}


class TypedField(BaseModel):
    name: str = Field(max_length=64)
    type: str = Field(max_length=64)


class DomainPublic(BaseModel):
    name: str
    version: str
    chainId: int  # noqa: N815 - the EIP-712 field name
    verifyingContract: str  # noqa: N815


class ActionPublic(BaseModel):
    action: str = Field(description="the EIP-712 primary type and the action's name")
    method: Literal["POST"]
    path: str = Field(description="path template; {param} is the message field of the same name")
    path_param: str | None
    contract: str
    primary_type: str
    types: dict[str, list[TypedField]] = Field(description="the EIP-712 types, referenced structs included, "
                                                          "without EIP712Domain")
    domain: DomainPublic
    signers: Signers


class ActionsPublic(BaseModel):
    chain_id: int
    actions: list[ActionPublic]
    count: int
    roles: dict[str, int] = Field(description="the registry's role bits by name (LicenseOperator's `roles`)")


def action_table(chain_id: int, addresses: dict[str, str]) -> list[dict[str, Any]]:
    """Every write action: its route (from the write routes) joined with its EIP-712 intent and domain."""
    out = []
    for action, path, _handler, param in ENDPOINTS:
        kind = INTENTS[action]
        out.append({
            "action": action, "method": "POST", "path": path, "path_param": param, "contract": kind.contract,
            "primary_type": kind.primary_type, "types": kind.types(),
            "domain": domain(kind.contract, chain_id, addresses[kind.contract]),
            "signers": SIGNERS.get(action, _BY_CONTRACT[kind.contract]),
        })
    return out


@router.get("/actions", response_model=ActionsPublic)
def read_actions(services: ServicesDep) -> dict[str, Any]:
    """The write actions: path, EIP-712 types and domain, and who signs each (see WRITES.md)."""
    chain_id = services.chain.deployment.chain_id
    actions = action_table(chain_id, services.chain.addresses)
    return {"chain_id": chain_id, "actions": actions, "count": len(actions), "roles": ROLES}
