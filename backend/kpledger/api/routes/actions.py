"""The write actions as data (`GET /v1/actions`): what a client needs to build, sign and post any intent.

Everything here is derived from the action table (`kpledger.core.actions.ACTIONS`) by `action_table`, with the
domain of this deployment. The participant console signs only what its own pinned copy of the table says
(`frontend-static/console/actions.js`) and refuses an API whose list differs from it.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kpledger.api.deps import ServicesDep
from kpledger.core.actions import ACTIONS
from kpledger.core.constants import ROLES
from kpledger.signing.typed_data import domain

router = APIRouter(prefix="/v1", tags=["writes"])

SignerKind = Literal["governance", "authority", "operator"]


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
    signers: SignerKind
    signer_roles: list[str] = Field(description="the roles a signer must hold one of (for operators, the "
                                                "operator roles that may take the action)")
    summary: str


class ActionsPublic(BaseModel):
    chain_id: int
    actions: list[ActionPublic]
    count: int
    roles: dict[str, int] = Field(description="the registry's role bits by name (LicenseOperator's `roles`)")


def action_table(chain_id: int, addresses: dict[str, str]) -> list[dict[str, Any]]:
    """Every write action of the action table, with this deployment's EIP-712 domain."""
    return [{**a.listing(), "domain": domain(a.contract, chain_id, addresses[a.contract])} for a in ACTIONS.values()]


@router.get("/actions", response_model=ActionsPublic)
def read_actions(services: ServicesDep) -> dict[str, Any]:
    """The write actions: path, EIP-712 types and domain, and who signs each (see docs/pages/writes.md)."""
    chain_id = services.chain.deployment.chain_id
    actions = action_table(chain_id, services.chain.addresses)
    return {"chain_id": chain_id, "actions": actions, "count": len(actions), "roles": ROLES}
