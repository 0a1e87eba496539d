"""The KP Ledger API client's transport: one HTTP exchange, refusals as `ClientError`, the deployment's config, and
signed requests (`kpledger.signing.requests`) for what only the parties concerned may read or file.

`kpledger.client.KPClient` builds on it (writes and reads); `kpledger.client.documents` adds the documents, prints,
verification and statistics.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Self

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from kpledger.signing.requests import sign_request

DEFAULT_TTL = 3600
KEEPALIVE_S = 2.0  # under the API server's keep-alive timeout


class ClientError(Exception):
    """A refusal by the API (or a failure to reach it), with the API's machine-readable code."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None,
                 status: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status


class ApiClient:
    """One API deployment over HTTP, with an optional key to sign with."""

    def __init__(self, base_url: str, key: bytes | str | LocalAccount | None = None, *,
                 ttl: int = DEFAULT_TTL, timeout: float = 120.0, http: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.account: LocalAccount | None = (
            key if isinstance(key, LocalAccount) else Account.from_key(key) if key is not None else None)
        self.ttl = ttl
        # idle connections dropped after 2 s, before the server drops them (uvicorn: 5 s): a request sent on a
        # connection the server is closing fails with "server disconnected" (the soak saw 3 in 43,000 requests)
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout,
                                         limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S))
        self._config: dict[str, Any] | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def address(self) -> str:
        if self.account is None:
            raise ClientError("NoKey", "this client has no key to sign with")
        return self.account.address

    def request(self, method: str, path: str, body: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Any:
        """One HTTP exchange (a JSON `body` or raw `content`); returns the parsed JSON answer or raises ClientError."""
        headers = {"content-type": "application/octet-stream"} if content is not None else None
        response = self._exchange(method, path, json=body, content=content, headers=headers)
        try:
            return response.json()
        except ValueError:
            return None

    def _exchange(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One HTTP exchange; the response if it succeeded, else ClientError with the API's code and message."""
        try:
            response = self.http.request(method, path, **kw)
        except httpx.InvalidURL as exc:  # a control character in a number or code: nothing was sent
            raise ClientError("InvalidArgument", f"{path!r} cannot be sent: {exc}") from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ClientError("Unreachable", f"the KP Ledger API at {self.base_url} is not reachable (nothing "
                                             "answers there): is it running? Start it with make run, or give its "
                                             "URL with --api / KP_API") from exc
        except httpx.TimeoutException as exc:
            raise ClientError("Unreachable", f"the KP Ledger API at {self.base_url} did not answer in time: a write "
                                             "may still be recorded, so look (kp parcel show, kp status) before "
                                             "repeating it") from exc
        except httpx.HTTPError as exc:
            raise ClientError("Unreachable", f"the exchange with the KP Ledger API at {self.base_url} failed "
                                             f"({type(exc).__name__}): is it running? (make run)") from exc
        if response.is_success:
            return response
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and "code" in data:
            raise ClientError(str(data["code"]), str(data.get("message", "")), data.get("details") or {},
                              response.status_code)
        detail = data.get("detail") if isinstance(data, dict) else None
        message = detail if isinstance(detail, str) else response.text[:500] or response.reason_phrase
        raise ClientError(f"HTTP{response.status_code}", f"{method} {path}: {message}", status=response.status_code)

    def get(self, path: str) -> Any:
        """GET a read endpoint; returns its JSON."""
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body; returns the JSON answer."""
        return self.request("POST", path, body)

    @property
    def config(self) -> dict[str, Any]:
        """The deployment's chain id and contract addresses (fetched once)."""
        if self._config is None:
            self._config = self.get("/v1/config")
        return self._config

    def _signed(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> dict[str, str]:
        """Headers of a signed request (`path` with its query string) as this client's account."""
        if self.account is None:
            raise ClientError("NoKey", "documents are shown to the parties only: this client has no key to sign with")
        headers = sign_request(self.account.key, method, self.base_url + path, body, content_type=content_type,
                               chain_id=int(self.config["chain_id"]))
        return {**headers, "content-type": content_type} if content_type else headers

    def signed_exchange(self, method: str, path: str, content: bytes = b"", content_type: str = "") -> httpx.Response:
        """A signed request (for the parties concerned); the response, or ClientError. A signature names its second,
        so the same request twice within one second is a replay to the API: it is signed again the next second
        (once; these requests are idempotent)."""
        for retry in (False, True):
            headers = self._signed(method, path, content, content_type)
            try:
                return self._exchange(method, path, content=content or None, headers=headers)
            except ClientError as exc:
                if exc.code != "ReplayedRequest" or retry:
                    raise
                time.sleep(1.01 - time.time() % 1)
        raise AssertionError("unreachable")

    def signed_get(self, path: str) -> httpx.Response:
        """A signed GET (for the parties concerned); the response, or ClientError."""
        return self.signed_exchange("GET", path)
