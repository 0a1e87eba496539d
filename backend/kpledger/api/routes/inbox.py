"""An account's inbox: offers to accept, certificates to confirm, consignments awaiting a certificate."""

from __future__ import annotations

from typing import Annotated, Any

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path, Query

from kpledger.api.deps import DbDep, ServicesDep
from kpledger.api.schemas.errors import errors
from kpledger.api.schemas.inbox import DEFAULT_LIMIT, MAX_LIMIT, Inbox
from kpledger.queries.inbox import inbox

router = APIRouter(prefix="/v1", tags=["reads"])

AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]


def _is_governance(services: Any, address: str) -> bool | None:
    """Whether `address` holds the registry's governance (default admin) role; None if the chain cannot say."""
    try:
        return services.chain.view("KPRegistry", "defaultAdmin") == address
    except Exception:  # any transport failure: the inbox is still useful without this flag
        return None


@router.get("/accounts/{address}/inbox", response_model=Inbox, response_model_by_alias=True,
            responses=errors(503))
def read_inbox(address: AddressPath, db: DbDep, services: ServicesDep,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """What waits for this account on the ledger, by role; public ledger facts only (no documents)."""
    account = to_checksum_address(address)
    with db.session() as s:
        answer = inbox(s, account, limit)
    return {**answer, "governance": _is_governance(services, account)}
