"""Operator endpoints: `/metrics` (Prometheus) and the admin API (`/admin/...`), each behind its own bearer token
and absent unless configured (KP_METRICS=on with KP_METRICS_TOKEN; KP_ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, SecretStr

from kpledger.api.deps import services_of
from kpledger.core.errors import ChainUnavailable, NotFound, Unauthorized
from kpledger.ops import metrics


def _bearer(request: Request, token: SecretStr | None, what: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if token is None or scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.get_secret_value().encode()):
        raise Unauthorized(f"{what} needs `Authorization: Bearer <token>`", code="TokenRequired")


def metrics_token(request: Request) -> None:
    _bearer(request, services_of(request).settings.metrics_token, "/metrics")


def admin_token(request: Request) -> None:
    _bearer(request, services_of(request).settings.admin_token, "the admin API")


metrics_router = APIRouter(tags=["operations"], include_in_schema=False)
admin_router = APIRouter(prefix="/admin", tags=["operations"], include_in_schema=False,
                         dependencies=[Depends(admin_token)])


@metrics_router.get("/metrics", dependencies=[Depends(metrics_token)])
def read_metrics() -> Response:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


class Rotation(BaseModel):
    new_key: SecretStr = Field(..., description="the new relayer key, 64 hex digits (with or without 0x)")
    drain_timeout: float = Field(60.0, gt=0, le=600, description="seconds to wait for in-flight transactions")


@admin_router.get("/relayer")
def read_relayer(request: Request) -> dict[str, Any]:
    """The relayer account, its balance and nonce, and the journal's requests per relayer address and status."""
    relayer = services_of(request).relayer
    if relayer is None:
        raise ChainUnavailable("the relayer is not running")
    return relayer.status()


@admin_router.post("/relayer/rotate")
async def rotate_relayer(request: Request, body: Rotation) -> dict[str, Any]:
    """Drains the relayer (no new batch; in-flight receipts awaited), switches to the new key, resumes."""
    relayer = services_of(request).relayer
    if relayer is None:
        raise ChainUnavailable("the relayer is not running")
    return await anyio.to_thread.run_sync(relayer.rotate, body.new_key.get_secret_value(), body.drain_timeout)


@admin_router.get("/debug/memory")
def read_memory(request: Request, top: Annotated[int, Query(ge=1, le=200)] = 25) -> dict[str, Any]:
    """The process's memory, the C heap, Python objects by type, diffed against the first and the previous reading;
    tracemalloc's allocation sites too with KP_DEBUG_MEMORY=true."""
    probe = services_of(request).memory
    if probe is None:
        raise NotFound("no memory probe", code="MemoryProbeOff")
    return probe.reading(top)
