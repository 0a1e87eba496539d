"""A lean JSON-RPC 2.0 client for the hot paths (relayer, indexer): one keep-alive connection per thread.

web3.py's HTTPProvider goes through `requests` and web3's middleware for every call, about a millisecond
of CPU each; the relayer and the indexer make several calls per batch and per block, and they share the
GIL with the API's event loop, so that cost capped relayed-write throughput. This client speaks plain
JSON-RPC 2.0 over `http.client` (standard methods only, so it works against anvil, Besu or any other
node) and supports batch requests (a JSON array of calls in one POST, JSON-RPC 2.0 section 6), which
turn several round trips into one. web3.py stays the tool for ABIs, contract objects and deployment.

Outcomes are kept apart: `RpcError` when the node answered with an error object, `ChainUnavailable`
when it could not be reached (connection refused or reset, timeout, an answer that is not JSON).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from kpledger.chain.errors import RpcError
from kpledger.core.errors import ChainUnavailable

TRANSPORT_ERRORS = (OSError, http.client.HTTPException, TimeoutError, ValueError)
# calls per batch request: under Besu's default --rpc-http-max-batch-size (1024); the indexer asks for up to one
# block header per block of a log range (KP_LOG_RANGE, 2,000) when the node's logs carry no blockTimestamp
MAX_BATCH = 500


CHAIN_ADVICE = "start the chain (make run starts the embedded one) or correct KP_RPC_URL, then try again"


def transport_failure(exc: BaseException) -> str:
    """What went wrong on the way to the node, in words (never the exception's text, which may name the node)."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: is it running?"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "the connection was closed"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    return type(exc).__name__


class JsonRpc:
    """JSON-RPC over HTTP(S) with a persistent connection per calling thread."""

    def __init__(self, url: str, timeout: float = 30.0, headers: dict[str, str] | None = None,
                 max_batch: int = MAX_BATCH):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) JSON-RPC URL: {url}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._local = threading.local()
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.max_batch = max_batch

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one call; RpcError when the node refuses it, ChainUnavailable when unreachable."""
        answer = self._post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        if not isinstance(answer, dict):
            raise ChainUnavailable(f"{method}: the node's answer is not a JSON-RPC response")
        return _result(answer)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one request (in requests of at most `max_batch` calls: Besu refuses a whole batch over
        its --rpc-http-max-batch-size, 1024 by default); each item is the call's result, or the RpcError it got
        (not raised)."""
        if len(calls) > self.max_batch:
            return [out for i in range(0, len(calls), self.max_batch)
                    for out in self._batch(calls[i:i + self.max_batch])]
        return self._batch(calls)

    def _batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        if not calls:
            return []
        ids = range(len(calls))  # ids need only be unique within the request
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in zip(ids, calls,
                                                                                              strict=True)]
        answer = self._post(body)
        if isinstance(answer, dict):  # a node without batch support answers one error object
            error = _error(answer)
            raise error if error is not None else ChainUnavailable("the node answered a batch with one object")
        by_id = {a.get("id"): a for a in answer if isinstance(a, dict)}
        out: list[Any] = []
        for i in ids:
            item = by_id.get(i)
            if item is None:
                raise ChainUnavailable("the node's batch answer lacks a call")
            error = _error(item)
            out.append(error if error is not None else item.get("result"))
        return out

    def close(self) -> None:
        """Closes the calling thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ------------------------------------------------------------ transport

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
        return conn

    def _post(self, payload: Any) -> Any:
        body = json.dumps(payload, separators=(",", ":")).encode()
        # a kept-alive connection the node closed fails on first use: one retry on a fresh connection (the
        # calls we make are reads, or sends a node deduplicates by hash, so a repeat is harmless)
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request("POST", self._path, body, self._headers)
                response = conn.getresponse()
                data = response.read()
            except TRANSPORT_ERRORS as exc:
                self.close()
                if attempt == 0 and isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError,
                                                     ConnectionResetError)):
                    continue
                # the exception's text may name the node (and credentials in its URL): only its kind is told
                raise ChainUnavailable(f"the backend cannot reach its chain node ({transport_failure(exc)}): "
                                       f"{CHAIN_ADVICE}") from exc
            if response.will_close:
                self.close()
            try:
                return json.loads(data)
            except ValueError as exc:
                raise ChainUnavailable(f"the node answered HTTP {response.status}, not JSON-RPC") from exc
        raise AssertionError("unreachable")


def _error(answer: dict[str, Any]) -> RpcError | None:
    error = answer.get("error")
    if not error:
        return None
    if isinstance(error, str):
        return RpcError(error)
    return RpcError(str(error.get("message", "")), rpc_code=error.get("code"), data=error.get("data"))


def _result(answer: dict[str, Any]) -> Any:
    error = _error(answer)
    if error is not None:
        raise error
    return answer.get("result")
