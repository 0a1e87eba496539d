"""FastAPI dependencies: the application's long-lived services, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kpledger.api.services import Services
from kpledger.chain.contracts import Chain
from kpledger.core.config import Settings
from kpledger.db.session import Database
from kpledger.signing.requests import verify_request


def services_of(request: Request) -> Services:
    """The services of the app serving `request` (also used without dependency injection on the write path)."""
    return request.app.state.services


async def get_services(request: Request) -> Services:
    # async: a sync dependency costs every request (relayed writes included) a hop through the thread pool
    return services_of(request)


def signed_caller(request: Request, body: bytes) -> str:
    """The account that signed this request (kpledger.signing.requests): its signature checked, once, over the
    method, the Host, the path and query string as received, the chain, the content type, the time and `body`."""
    services = services_of(request)
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return verify_request(dict(request.headers), request.method, request.headers.get("host", ""), target, body,
                          chain_id=services.chain.deployment.chain_id, window=services.settings.auth_window_seconds,
                          replays=services.replays)


def public_base_url(request: Request) -> str:
    """The public URL of this API and its viewer (`KP_PUBLIC_BASE_URL`): configured, never the request's Host."""
    return services_of(request).settings.public_base_url


def get_settings_dep(request: Request) -> Settings:
    return services_of(request).settings


def get_chain(request: Request) -> Chain:
    return services_of(request).chain


def get_db(request: Request) -> Database:
    return services_of(request).db


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ChainDep = Annotated[Chain, Depends(get_chain)]
DbDep = Annotated[Database, Depends(get_db)]
ServicesDep = Annotated[Services, Depends(get_services)]
