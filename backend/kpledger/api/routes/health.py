"""Liveness and configuration: what a client needs to sign intents for this deployment."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kpledger.api.deps import ServicesDep
from kpledger.core.errors import ChainUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    chain_id: int
    latest_block: int
    indexed_block: int
    lag: int


class Config(BaseModel):
    chain_id: int
    contracts: dict[str, str]
    start_block: int


@router.get("/healthz", response_model=Health)
def read_health(services: ServicesDep) -> Health:
    try:
        latest = services.chain.w3.eth.block_number
    except Exception as exc:  # any transport failure means the chain is not reachable
        raise ChainUnavailable(f"chain not reachable: {exc}") from exc
    indexed = services.indexer.indexed_block if services.indexer is not None else -1
    lag = max(0, latest - indexed)
    return Health(status="ok" if lag <= 5 else "lagging", chain_id=services.chain.deployment.chain_id,
                  latest_block=latest, indexed_block=indexed, lag=lag)


@router.get("/v1/config", response_model=Config)
def read_config(services: ServicesDep) -> Config:
    d = services.chain.deployment
    return Config(chain_id=d.chain_id, contracts=services.chain.addresses, start_block=d.start_block)
