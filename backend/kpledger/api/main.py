"""The FastAPI application: middleware, error translation, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from kpledger.api.routes import documents, epcis, health, reads, statistics, writes
from kpledger.core.config import Settings, get_settings
from kpledger.core.errors import KPError, PayloadTooLarge
from kpledger.services import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # sync routes (reads) and the document routes' database work run in anyio's thread pool (40 threads by
        # default); relayed writes are async and hold no thread while they wait for their batch
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        svc = services or Services.build(settings)
        app.state.services = svc
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(
        title="KP Ledger",
        summary="Chain-of-custody ledger for rough diamonds under the Kimberley Process",
        version="0.1.0",
        lifespan=lifespan,
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                       allow_headers=["*"])

    app.add_middleware(BodyLimit, settings=settings)

    add_error_handlers(app)

    # body limits: BodyLimit refuses a declared Content-Length early; FastAPI's per-router limit counts the bytes
    # actually streamed (a chunked body declares none). Reads carry documents to verify, like document routes.
    app.include_router(health.router, max_body_size=settings.max_body_bytes)
    app.include_router(writes.router, max_body_size=settings.max_body_bytes)
    app.include_router(reads.router, max_body_size=settings.max_document_bytes)
    app.include_router(documents.router, max_body_size=settings.max_document_bytes)
    app.include_router(epcis.router, max_body_size=settings.max_body_bytes)
    app.include_router(statistics.router, max_body_size=settings.max_body_bytes)
    if settings.frontend_dir.is_dir():
        # the static viewer (frontend-static/): mounted last, so every API route above takes precedence
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="viewer")
    return app


def add_error_handlers(app: FastAPI) -> None:
    """Every refusal in one shape, `{"code", "message", "details"}`: the backend's errors, unknown paths and
    methods, and schema violations."""

    @app.exception_handler(KPError)
    async def kp_error(_request: Request, exc: KPError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}.get(exc.status_code,
                                                                                     f"HTTP{exc.status_code}")
        return JSONResponse(status_code=exc.status_code, content={
            "code": code, "message": str(exc.detail), "details": {}}, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={
            "code": "InvalidRequest", "message": "the request does not match the schema",
            "details": {"errors": errors}})


class BodyLimit:
    """Refuses a body whose declared length is over the limit (plain ASGI: Starlette's BaseHTTPMiddleware
    costs a task and a stream per request, measurable on the write path)."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            documents = scope["path"].startswith(("/v1/documents", "/v1/verify"))
            limit = self.settings.max_document_bytes if documents else self.settings.max_body_bytes
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and length.isdigit() and int(length) > limit:
                response = _error_response(PayloadTooLarge(f"request body over {limit} bytes",
                                                           details={"limit": limit}))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error_response(exc: KPError) -> JSONResponse:
    return JSONResponse(status_code=exc.status, content=exc.to_dict())
