"""The HTTP server: uvicorn with its httptools protocol, plus the limits on request heads that uvicorn lacks.

uvicorn's httptools protocol has no deadline for a request head, no limit on its size or on its number of header
fields (its h11 protocol only caps an unfinished head's size, and costs more CPU per request), and its connection
limit (`limit_concurrency`) counts every open connection, so heads that never finish keep every client on 503.
`HeadLimitedProtocol` adds, per connection:

- a deadline (`KP_HEAD_TIMEOUT_SECONDS`) from the moment a connection has no request in progress (just opened, or
  its last response sent) to the end of its next head: past it, 408 (or a plain close when not a byte came) and the
  connection closed (slowloris);
- a size (`KP_MAX_HEAD_BYTES`) and a count of header fields (`KP_MAX_HEADERS`): past either, 431 and the connection
  closed; an unfinished head holds at most the size limit and one read (the rest is never read);
- under the connection limit (`KP_MAX_CONNECTIONS`), a new connection closes the oldest one that has no request in
  progress (an unfinished head, an idle keep-alive connection), so only requests being served can fill the limit.

The per-request cost is a dict insertion and removal and a few comparisons (no timer per request: one sweep a
second for the whole server); `python -m kpledger.api` and `make run` both serve through `server()`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from kpledger.core.config import Settings
from kpledger.core.errors import HeadersTooLarge, KPError, RequestTimeout, ServerBusy


class HeadGuard:
    """What the connections of one server share: the limits, and the connections waiting for a head (oldest
    first, with the time they started waiting)."""

    def __init__(self, settings: Settings):
        self.timeout = settings.head_timeout_seconds
        self.max_bytes = settings.max_head_bytes
        self.max_headers = settings.max_headers
        self.max_connections = settings.max_connections
        self.waiting: dict[HeadLimitedProtocol, float] = {}
        self._sweeping: asyncio.TimerHandle | None = None

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Starts the sweep of expired heads on the server's loop (once)."""
        if self._sweeping is None:
            self._sweeping = loop.call_later(min(1.0, self.timeout / 4), self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        expired = loop.time() - self.timeout
        while self.waiting:
            protocol, since = next(iter(self.waiting.items()))
            if since > expired:
                break
            protocol.expire()
        self._sweeping = loop.call_later(min(1.0, self.timeout / 4), self._sweep, loop)


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline, a size and a count limit on request heads (module docstring)."""

    guard: HeadGuard  # set by protocol_class(), one per server

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting = self.guard.waiting
        self.head_bytes = 0  # bytes received for the unfinished head, in reads before the current one
        self.read_bytes = 0  # the size of the read being parsed
        self.read_body = 0  # body bytes the parser gave out of the read being parsed
        self.head_start = 0  # where in the read being parsed the unfinished head began (body bytes before it)
        self.in_head = False  # a message began and its head is not complete
        self.refused = False

    # --- the head's life: waiting from connection_made / on_response_complete to on_headers_complete

    def _wait(self) -> None:
        if self not in self.waiting:
            self.waiting[self] = self.loop.time()
            self.head_bytes = 0

    def _done(self) -> None:
        self.waiting.pop(self, None)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait()
        self.guard.watch(self.loop)
        # room for the newcomer: the oldest connections without a request in progress are closed
        waiting = self.waiting
        while len(self.connections) >= self.guard.max_connections and len(waiting) > 1:
            oldest = next(iter(waiting))
            oldest.close(ServerBusy("the server is at its connection limit and closed this connection, which had "
                                    "not sent a whole request"))
            self.connections.discard(oldest)

    def connection_lost(self, exc: Exception | None) -> None:
        self._done()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        # a head begins: what came before it in this read was the previous request's body, not this head
        self.in_head, self.head_bytes, self.head_start = True, 0, self.read_body
        if self not in self.waiting:  # a pipelined request's head (a connection without a request already waits)
            self._wait()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle until the next request (or uvicorn's keep-alive close)
            self._wait()

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # the refusal is sent; what follows is dropped unread
        self.read_bytes, self.read_body, self.head_start = len(data), 0, 0
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if not self.refused:  # on_headers_complete refused the head (and answered): not a malformed request
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self.in_head:  # the head is still unfinished after this read (the rest of a body answered early is not)
            self.head_bytes += len(data) - self.head_start
            if self.head_bytes > self.guard.max_bytes:
                self.refuse(self._too_large())

    def on_body(self, body: bytes) -> None:
        self.read_body += len(body)
        HttpToolsProtocol.on_body(self, body)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.waiting.pop(self, None)
        # the head is at most what came before this read plus this read: counted exactly only when that bound is over
        if len(self.headers) > self.guard.max_headers or (
                self.head_bytes + self.read_bytes > self.guard.max_bytes
                and len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers) > self.guard.max_bytes):
            self.refuse(self._too_large())
            raise HeadRefused  # stops the parser: no request cycle for this head
        HttpToolsProtocol.on_headers_complete(self)

    def _too_large(self) -> HeadersTooLarge:
        return HeadersTooLarge(f"the request head is over {self.guard.max_bytes} bytes or "
                               f"{self.guard.max_headers} header fields",
                               details={"max_bytes": self.guard.max_bytes, "max_headers": self.guard.max_headers})

    def expire(self) -> None:
        """The head did not arrive in time."""
        self.close(RequestTimeout(f"the request head did not arrive within {self.guard.timeout:g} s",
                                  code="RequestHeadTimeout", details={"timeout_seconds": self.guard.timeout}))

    def close(self, error: KPError) -> None:
        """Closes a connection without a request in progress: answering `error` if part of a head came, silently
        if none did (a response to an idle keep-alive connection would be taken for the answer to its next request)."""
        if self.in_head:
            self.refuse(error)
        else:
            self._done()
            self.refused = True
            self.transport.close()

    def refuse(self, error: KPError) -> None:
        """Answers `error` as JSON and closes the connection."""
        self._done()
        self.refused = True
        if self.transport.is_closing():
            return
        body = json.dumps(error.to_dict(), separators=(",", ":")).encode()
        head = [STATUS_LINE[error.status]]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()


class HeadRefused(Exception):
    """Raised in a parser callback to stop parsing a refused head (httptools turns it into a parser error)."""


def protocol_class(settings: Settings) -> type[HeadLimitedProtocol]:
    """A protocol class for one server, its connections sharing one HeadGuard."""
    return type("KPHttpProtocol", (HeadLimitedProtocol,), {"guard": HeadGuard(settings)})


def server(app: Any, settings: Settings, port: int | None = None, **options: Any) -> uvicorn.Server:
    """The uvicorn server of `app` with the head limits and the connection limit of `settings`."""
    return uvicorn.Server(uvicorn.Config(
        app, host=settings.host, port=settings.port if port is None else port, http=protocol_class(settings),
        limit_concurrency=settings.max_connections, log_config=None, **options))
