"""Refusals specific to relayed writes (subclasses of the backend's error hierarchy)."""

from __future__ import annotations

from kpledger.core.errors import InvalidRequest, KPError, Unauthorized


class PathMismatch(InvalidRequest):
    """A path parameter differs from the message field of the same name."""

    code = "PathMismatch"


class IntentExpired(Unauthorized):
    """The intent's deadline has passed (checked before simulating; same code as the contracts' error)."""

    code = "KPIntentExpired"


class RpcError(KPError):
    """A JSON-RPC error answer (not a transport failure): carries the node's code, message and data."""

    code, status = "RpcError", 502

    def __init__(self, message: str, *, rpc_code: int | None = None, data: object = None):
        super().__init__(message, details={"rpc_code": rpc_code})
        self.rpc_code = rpc_code
        self.data = data
