"""The FastAPI application: middleware, error translation, routers."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kpledger.api.metering import Metered
from kpledger.api.pages import PageFiles
from kpledger.api.routes import (
    actions,
    certificates,
    docs,
    documents,
    epcis,
    health,
    inbox,
    ops,
    reads,
    statistics,
    writes,
)
from kpledger.api.services import Services
from kpledger.core.config import Settings, get_settings
from kpledger.core.errors import KPError, PayloadTooLarge, RequestTimeout, TooManyRequests
from kpledger.ops import metrics


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
        # the ~1M objects of the imported libraries (web3, ReportLab, PyLD, ...) never die: kept out of the cyclic
        # collector, a full collection no longer walks them (it paused every request for ~130 ms)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(
        title="KP Ledger",
        summary="Chain-of-custody ledger for rough diamonds under the Kimberley Process",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py with local assets (FastAPI's own loads them from a CDN)
        redoc_url=None,  # one documentation page: ReDoc would be a second CDN-loaded (or vendored) bundle
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                       allow_headers=["*"])

    app.add_middleware(BodyGuard, settings=settings)
    app.add_middleware(Metered)  # outermost: counts every answer, refusals by the middlewares included

    add_error_handlers(app)

    # body limits: BodyGuard refuses a declared Content-Length early; FastAPI's per-router limit counts the bytes
    # actually streamed (a chunked body declares none). Reads carry documents to verify, like document routes.
    app.include_router(health.router, max_body_size=settings.max_body_bytes)
    app.include_router(writes.router, max_body_size=settings.max_body_bytes)
    app.include_router(reads.router, max_body_size=settings.max_document_bytes)
    app.include_router(documents.router, max_body_size=settings.max_document_bytes)
    app.include_router(epcis.router, max_body_size=settings.max_body_bytes)
    app.include_router(actions.router, max_body_size=settings.max_body_bytes)
    app.include_router(inbox.router, max_body_size=settings.max_body_bytes)
    app.include_router(statistics.router, max_body_size=settings.max_body_bytes)
    app.include_router(certificates.router, max_body_size=settings.max_body_bytes)
    if settings.metrics == "on":
        app.include_router(ops.metrics_router, max_body_size=settings.max_body_bytes)
    if settings.admin_token is not None:
        app.include_router(ops.admin_router, max_body_size=settings.max_body_bytes)
    app.include_router(docs.router)
    if settings.frontend_dir.is_dir():
        # the static viewer (frontend-static/): mounted last, and never for the API's own paths, so a wrong method
        # on an API path is answered by the API (405 with its Allow header), not by the files
        app.router.routes.append(ViewerMount("/", PageFiles(directory=settings.frontend_dir, html=True),
                                             name="viewer"))
    return app


API_PREFIXES = ("/v1/", "/id/", "/contexts/", "/healthz", "/docs", "/redoc", "/openapi.json", "/metrics", "/admin/")


class ViewerMount(Mount):
    """The viewer's static files at "/", for every path but the API's."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIXES):
            return Match.NONE, {}
        return super().matches(scope)


def add_error_handlers(app: FastAPI) -> None:
    """Every refusal in one shape, `{"code", "message", "details"}`: the backend's errors, unknown paths and
    methods, and schema violations."""

    @app.exception_handler(KPError)
    async def kp_error(request: Request, exc: KPError) -> JSONResponse:
        _count_refusal(request, exc.code)
        return _error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, KPError):  # raised while FastAPI read a body parameter (BodyGuard's deadline):
            return await kp_error(request, exc.__cause__)  # FastAPI wraps any such error in a 400
        code = {400: "MalformedRequest", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}.get(
            exc.status_code, f"HTTP{exc.status_code}")
        _count_refusal(request, code)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method of the path, not only those of the first route matching it
            headers["Allow"] = ", ".join(_allowed_methods(app, request.scope))
        return JSONResponse(status_code=exc.status_code, content={
            "code": code, "message": str(exc.detail), "details": {}}, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        _count_refusal(request, "InvalidRequest")
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={
            "code": "InvalidRequest", "message": "the request does not match the schema",
            "details": {"errors": errors}})


def _count_refusal(request: Request, code: str) -> None:
    if request.url.path.startswith("/v1/documents/"):
        metrics.document_refused(code)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every API route of the app, through the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(included.routes)


def _allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods of every API route whose path matches the request's."""
    path = scope["path"]
    return sorted({m for route in _api_routes(app.router.routes) if route.path_regex.match(path)
                   for m in route.methods or ()})


class BodyGuard:
    """Bounds every request body: its declared length (refused at once over the limit) and the time it takes to
    arrive (`body_timeout_seconds`: a client trickling bytes gets 408 and holds no connection). Plain ASGI:
    Starlette's BaseHTTPMiddleware costs a task and a stream per request, measurable on the write path."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        documents = scope["path"].startswith(("/v1/documents", "/v1/verify"))
        limit = self.settings.max_document_bytes if documents else self.settings.max_body_bytes
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and length.isdigit() and len(length) < 20 and int(length) > limit:
            response = _error_response(PayloadTooLarge(f"request body over {limit} bytes", details={"limit": limit}))
            await response(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        timeout = self.settings.body_timeout_seconds
        deadline = loop.time() + timeout

        async def timed_receive() -> Message:
            try:
                return await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise RequestTimeout(f"the request body did not arrive within {timeout:g} s",
                                     details={"timeout_seconds": timeout}) from None

        await self.app(scope, timed_receive, send)


def _error_response(exc: KPError) -> JSONResponse:
    retry_after = exc.retry_after if isinstance(exc, TooManyRequests) else None
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(status_code=exc.status, content=exc.to_dict(), headers=headers)
