"""FastAPI dependencies: the application's long-lived services, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from kpledger.chain.contracts import Chain
from kpledger.core.config import Settings
from kpledger.db.session import Database


async def get_services(request: Request) -> Any:
    # async: a sync dependency costs every request (relayed writes included) a hop through the thread pool
    return request.app.state.services


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.services.settings


def get_chain(request: Request) -> Chain:
    return request.app.state.services.chain


def get_db(request: Request) -> Database:
    return request.app.state.services.db


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ChainDep = Annotated[Chain, Depends(get_chain)]
DbDep = Annotated[Database, Depends(get_db)]
ServicesDep = Annotated[Any, Depends(get_services)]
