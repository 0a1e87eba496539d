"""Signed requests for off-chain documents: who is asking, proven by a signature a wallet can show.

The signer signs (EIP-191 personal message) a readable text naming the method, the host, the path with its query
string, the chain, the time and the SHA-256 of the body. The backend accepts it once, within a short window: the
signature cannot be replayed, nor sent to another backend, another chain, or another path or query.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

from eth_account import Account
from eth_account.messages import encode_defunct

from kpledger.core.errors import InvalidSignature, Unauthorized

HEADERS = ("X-KP-Signer", "X-KP-Timestamp", "X-KP-Signature")
_SIGNER = re.compile(r"0x[0-9a-fA-F]{40}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")


def request_text(method: str, host: str, target: str, chain_id: int, timestamp: int, body: bytes = b"",
                 content_type: str = "") -> str:
    """What the signer signs: `target` is the path with its query string, `host` the Host the request goes to,
    `content_type` the type a filed body is stored with."""
    return (f"KP Ledger request\n{method.upper()} {target}\nhost: {host.lower()}\nchain: {chain_id}\n"
            f"timestamp: {timestamp}\ncontent-type: {content_type}\nbody-sha256: {hashlib.sha256(body).hexdigest()}")


def sign_request(private_key: bytes | str, method: str, url: str, body: bytes = b"", *, chain_id: int,
                 content_type: str = "", timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate one request to `url` (scheme, host, path and query) as the key's account; a body
    sent with a Content-Type must name it here too."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timestamp = int(time.time()) if timestamp is None else timestamp
    text = request_text(method, parts.netloc, target, chain_id, timestamp, body, content_type)
    signed = Account.sign_message(encode_defunct(text=text), private_key)
    return {"X-KP-Signer": Account.from_key(private_key).address, "X-KP-Timestamp": str(timestamp),
            "X-KP-Signature": "0x" + bytes(signed.signature).hex()}


class ReplayGuard:
    """Signatures seen within the window, each accepted once (in memory: one backend process; see SECURITY.md).

    Bounded: entries leave as soon as their window has passed (oldest first, at every check), so the memory held
    is what the window's traffic needs, never more than `capacity` entries (then new signed requests are refused
    until old ones expire)."""

    def __init__(self, window: int, capacity: int = 200_000):
        self.window = window
        self.capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()  # in order of first use
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def first_use(self, key: str, now: float) -> bool:
        """Records a signed request's key; False if it was used before (within the window)."""
        with self._lock:
            seen = self._seen
            while seen:
                _oldest, at = next(iter(seen.items()))
                if now - at <= self.window:
                    break
                seen.popitem(last=False)
            if key in seen:
                return False
            if len(seen) >= self.capacity:
                raise Unauthorized("too many signed requests in the window; try again shortly",
                                   code="TooManySignedRequests")
            seen[key] = now
            return True


def verify_request(headers: dict[str, str], method: str, host: str, target: str, body: bytes, *, chain_id: int,
                   window: int, replays: ReplayGuard | None = None, now: float | None = None) -> str:
    """The authenticated account of a signed request, or Unauthorized / InvalidSignature with a code.

    `headers` are the request's (lower-case names accepted), `host` its Host header, `target` its path and
    query string as received."""
    values = [headers.get(h) or headers.get(h.lower()) for h in HEADERS]
    if not any(values):
        raise Unauthorized("this document is shown only to the parties and authorities concerned: sign the request",
                           code="AuthenticationRequired", details={"headers": list(HEADERS)})
    signer, stamp, signature = values
    for name, value, pattern in zip(HEADERS, values, (_SIGNER, _TIMESTAMP, _SIGNATURE), strict=True):
        if value is None or not pattern.fullmatch(value):
            raise Unauthorized(f"header {name} is missing or malformed", code="MalformedRequestSignature",
                               details={"header": name})
    assert signer is not None and stamp is not None and signature is not None
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > window:
        raise InvalidSignature(f"request timestamp outside the {window}s window", code="StaleRequest")
    content_type = headers.get("content-type") or headers.get("Content-Type") or ""
    text = request_text(method, host, target, chain_id, int(stamp), body, content_type)
    try:
        recovered = Account.recover_message(encode_defunct(text=text), signature=signature)
    except Exception as exc:  # a signature that is no point on the curve
        raise InvalidSignature("malformed request signature") from exc
    if recovered.lower() != signer.lower():
        raise InvalidSignature("the request signature is not the signer's over this method, host, path, chain, "
                               "time and body")
    # keyed by what was signed, not by the signature's bytes (an ECDSA signature has a second, malleated form)
    if replays is not None and not replays.first_use(f"{recovered}:{hashlib.sha256(text.encode()).hexdigest()}", now):
        raise Unauthorized("this signed request was already used: sign each request afresh", code="ReplayedRequest")
    return recovered
