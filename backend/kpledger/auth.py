"""Signed requests for off-chain documents: who is asking, proven by a signature a wallet can show.

The signer signs (EIP-191 personal message) a readable text naming the method, the path, the
time and the SHA-256 of the body; the backend accepts it within a short window.
"""

from __future__ import annotations

import hashlib
import time

from eth_account import Account
from eth_account.messages import encode_defunct

from kpledger.core.errors import InvalidSignature, Unauthorized

HEADERS = ("X-KP-Signer", "X-KP-Timestamp", "X-KP-Signature")


def request_text(method: str, path: str, timestamp: int, body: bytes = b"") -> str:
    return (f"KP Ledger request\n{method.upper()} {path}\ntimestamp: {timestamp}\n"
            f"body-sha256: {hashlib.sha256(body).hexdigest()}")


def sign_request(private_key: bytes | str, method: str, path: str, body: bytes = b"",
                 timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate one request as the key's account."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = Account.sign_message(encode_defunct(text=request_text(method, path, timestamp, body)), private_key)
    return {"X-KP-Signer": Account.from_key(private_key).address, "X-KP-Timestamp": str(timestamp),
            "X-KP-Signature": "0x" + bytes(signed.signature).hex()}


def verify_request(headers: dict[str, str], method: str, path: str, body: bytes, window: int,
                   now: float | None = None) -> str:
    """The authenticated account, or Unauthorized / InvalidSignature."""
    values = [headers.get(h) or headers.get(h.lower()) for h in HEADERS]
    if not all(values):
        raise Unauthorized("this document is shown only to the parties and authorities concerned: sign the request",
                           code="AuthenticationRequired", details={"headers": list(HEADERS)})
    signer, stamp, signature = values
    if not stamp.isdigit() or abs((time.time() if now is None else now) - int(stamp)) > window:
        raise InvalidSignature(f"request timestamp outside the {window}s window", code="StaleRequest")
    try:
        recovered = Account.recover_message(encode_defunct(text=request_text(method, path, int(stamp), body)),
                                            signature=signature)
    except Exception as exc:  # malformed signature bytes
        raise InvalidSignature("malformed request signature") from exc
    if recovered.lower() != signer.lower():
        raise InvalidSignature("the request signature is not the signer's")
    return recovered
