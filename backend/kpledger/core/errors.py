"""One exception hierarchy for the backend; translated to HTTP only at the API edge.

Every refusal has a stable machine-readable `code` and a human `message`. Refusals decoded from
the contracts keep the contract's custom error name as their code (e.g. `KPLedgerNotHolder`).
"""

from __future__ import annotations

from typing import Any


class KPError(Exception):
    """Root of every error the backend reports."""

    code: str = "KPError"
    status: int = 500

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidRequest(KPError, ValueError):
    code, status = "InvalidRequest", 422


class PayloadTooLarge(KPError, ValueError):
    code, status = "PayloadTooLarge", 413


class RequestTooLarge(PayloadTooLarge):
    """A relayed call needs more gas than the relayer may give one call (split it into smaller requests)."""

    code = "RequestTooLarge"


class TooManyRequests(KPError):
    code, status = "TooManyRequests", 429

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before trying again (the answer's Retry-After header), when known."""
        value = self.details.get("retry_after")
        return int(value) if value is not None else None


class SignerThrottled(TooManyRequests):
    """The signer's recent requests failed at the relayer's cost: its requests wait (`retry_after` seconds)."""

    code = "SignerThrottled"


class RequestTimeout(KPError, TimeoutError):
    code, status = "RequestTimeout", 408


class HeadersTooLarge(KPError, ValueError):
    """A request head over the server's size or header-count limit (kpledger.api.server)."""

    code, status = "RequestHeadTooLarge", 431


class ServerBusy(KPError, ConnectionError):
    """The server is at its connection limit."""

    code, status = "ServerBusy", 503


class NotFound(KPError, LookupError):
    code, status = "NotFound", 404


class Unauthorized(KPError, PermissionError):
    code, status = "Unauthorized", 401


class Forbidden(KPError, PermissionError):
    code, status = "Forbidden", 403


class InvalidSignature(Unauthorized):
    code = "InvalidSignature"


class Conflict(KPError):
    code, status = "Conflict", 409


class ChainRefusal(KPError):
    """The contracts refused the action (a custom error decoded from the revert data)."""

    status = 409
    PERMISSION_CODES = ("NotOperator", "MissingRole", "NotHolder", "NotRecipient", "NotAuthority",
                        "ForeignAuthority", "Unauthorized", "ParticipantSuspended", "OnlyLedger")
    SIGNATURE_CODES = ("KPIntentInvalidSignature", "KPIntentBadNonce", "KPIntentExpired")

    def __init__(self, message: str, *, code: str, details: dict[str, Any] | None = None):
        super().__init__(message, code=code, details=details)
        if code in self.SIGNATURE_CODES:
            self.status = 401
        elif any(code.endswith(p) for p in self.PERMISSION_CODES) or code.startswith("AccessControl"):
            self.status = 403


class ChainUnavailable(KPError, ConnectionError):
    code, status = "ChainUnavailable", 503


class PathMismatch(InvalidRequest):
    """A path parameter differs from the message field of the same name."""

    code = "PathMismatch"


class IntentExpired(Unauthorized):
    """The intent's deadline has passed (checked before simulating; same code as the contracts' error)."""

    code = "KPIntentExpired"


class RelayFailed(KPError):
    """The relayer could not get the request on chain (the node refused the transaction outright)."""

    code, status = "RelayFailed", 502


class DocumentInvalid(InvalidRequest):
    """A filed document does not follow its schema (details: each violation's path and message)."""

    code = "DocumentInvalid"


class DocumentDisagreesWithLedger(InvalidRequest):
    """A filed document's fields disagree with what the chain recorded (details: each disagreeing field)."""

    code = "DocumentDisagreesWithLedger"


class SealLabelMismatch(InvalidRequest):
    """A seal label sent beside a signed seal id does not hash to it (keccak-256 of its UTF-8 bytes)."""

    code = "SealLabelMismatch"
