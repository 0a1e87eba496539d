"""The refusal every route answers with, and the statuses each route documents in the OpenAPI (what it really
answers; the API property tests check both)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """A refusal: a stable code (a contract's custom error name, or the backend's), a message and details."""

    code: str
    message: str
    details: dict[str, Any]


MEANINGS: dict[int, str] = {
    400: "MalformedRequest: not a valid HTTP request (e.g. a request line too long), or a body that is not what its "
         "Content-Type says",
    401: "a signature is missing or not valid (AuthenticationRequired, InvalidSignature, StaleRequest, "
         "ReplayedRequest, MalformedRequestSignature, KPIntentBadNonce, KPIntentExpired, ...)",
    403: "the signer may not do or see this (NotEntitled, or the contract's error, e.g. KPLedgerNotOperator)",
    404: "no such record (ParcelNotFound, CertificateNotFound, ParticipantNotFound, DocumentNotFiled, ...)",
    405: "MethodNotAllowed (the Allow header lists the path's methods)",
    408: "RequestTimeout: the body did not arrive in time",
    409: "the ledger refused the action (the contract's custom error as code), or DocumentAlreadyFiled",
    413: "PayloadTooLarge, or RequestTooLarge: a relayed call that needs more gas than one call may have",
    431: "RequestHeadTooLarge: the request's head (its URL and headers) is over the server's size or header-count "
         "limit (KP_MAX_HEAD_BYTES, KP_MAX_HEADERS)",
    422: "InvalidRequest (the request does not match the schema) or a more specific code (PathMismatch, "
         "DocumentMismatch, ...)",
    429: "SignerThrottled: the signer's recent requests failed at the relayer's cost; retry after the Retry-After "
         "header's seconds",
    502: "RelayFailed: the node refused the relayer's transaction",
    503: "ChainUnavailable: the chain cannot be reached (a write is not acknowledged: resubmit the same request)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that can refuse with these statuses (and always with 400, 422 and 431). A request
    that is not valid HTTP is refused by the HTTP server itself, before the app, in plain text: 400 documents both;
    a head over the limits is refused by the server too (kpledger.api.server), in JSON."""
    out: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody, "description": MEANINGS[status]} for status in sorted({400, 422, 431, *statuses})}
    out[400]["content"] = {"text/plain": {}}
    return out


# what every route with a request body can also answer: the body late or too large
BODY = (408, 413)
