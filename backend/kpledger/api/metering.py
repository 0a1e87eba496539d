"""Per-route request metrics: a plain ASGI middleware that times every HTTP request and labels it with the route
template that answered it (`/v1/parcels/{parcel_id}`, never the raw path, so the label set stays small)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kpledger.ops import metrics


def route_label(scope: Scope) -> str:
    """The template of the route that answered: "static" for the viewer's files, "unmatched" for none."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    path = getattr(route, "path_format", None) or getattr(route, "path", "")  # {parcel_id}, not {parcel_id:int}
    return path or "static"


class Metered:
    """Counts and times requests per method, route template and status (Starlette's BaseHTTPMiddleware would
    cost every request a task and a stream: measurable on the write path)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics.observe_request(scope["method"], route_label(scope), status, time.perf_counter() - started)
