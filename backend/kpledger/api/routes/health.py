"""Liveness and configuration: what a client needs to sign intents for this deployment."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kpledger.api.deps import ServicesDep
from kpledger.api.schemas.errors import errors
from kpledger.chain.errors import RpcError
from kpledger.chain.jsonrpc import CHAIN_ADVICE
from kpledger.core.config import Environment
from kpledger.core.errors import ChainUnavailable

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "lagging", "stalled"] = Field(
        description="ok; lagging: the index is more than 5 blocks behind the chain; stalled: the relayer's "
                    "transactions have waited unmined longer than KP_RELAYER_STALL_SECONDS (writes wait, then 503)")
    reason: str | None = Field(None, description="why the status is not ok, a stable code: IndexLagging, "
                                                 "RelayerStalled")
    message: str | None = Field(None, description="the reason for a person")
    chain_id: int
    latest_block: int
    indexed_block: int
    lag: int


class Config(BaseModel):
    chain_id: int
    contracts: dict[str, str]
    start_block: int
    environment: Environment = Field(description="the backend's KP_ENVIRONMENT: development (`make run`, public test "
                                                 "keys welcome), test, or production (development keys refused)")


@router.get("/healthz", response_model=Health, responses=errors(503))
def read_health(services: ServicesDep) -> Health:
    try:
        latest = int(services.chain.rpc.call("eth_blockNumber"), 16)
    except (ChainUnavailable, RpcError) as exc:
        # the node's address may carry credentials: it is logged for the operator, never answered
        log.warning("health check: chain not reachable (%s)", exc.code)
        raise ChainUnavailable(f"the backend cannot reach its chain node: {CHAIN_ADVICE}") from None
    indexed = services.indexer.indexed_block if services.indexer is not None else -1
    lag = max(0, latest - indexed)
    position = {"chain_id": services.chain.deployment.chain_id, "latest_block": latest, "indexed_block": indexed,
                "lag": lag}
    stalled = services.relayer.stalled() if services.relayer is not None else None
    if stalled is not None:
        return Health(status="stalled", reason="RelayerStalled", message=(
            f"the relayer's transactions have waited unmined for {stalled['waited_s']} s (its nonce on chain "
            f"{stalled['chain_nonce']}, next {stalled['next_nonce']}): writes wait and answer 503; the log says why "
            "(the node refusing them: relayer balance, fees above KP_MAX_FEE_PER_GAS_WEI)"), **position)
    if lag > 5:
        return Health(status="lagging", reason="IndexLagging", message=f"the index is {lag} blocks behind the chain",
                      **position)
    return Health(status="ok", **position)


@router.get("/v1/config", response_model=Config)
def read_config(services: ServicesDep) -> Config:
    d = services.chain.deployment
    return Config(chain_id=d.chain_id, contracts=services.chain.addresses, start_block=d.start_block,
                  environment=services.settings.environment)
