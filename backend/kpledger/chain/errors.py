"""How a node's JSON-RPC answers go wrong: `RpcError` (the node answered with an error object) and how to read
the refusals that matter (revert data, a transaction or nonce already known). `ChainUnavailable` (the node could
not be reached) is a domain error in `kpledger.core.errors`."""

from __future__ import annotations

from kpledger.core.errors import KPError


class RpcError(KPError):
    """A JSON-RPC error answer (not a transport failure): carries the node's code, message and data."""

    code, status = "RpcError", 502

    def __init__(self, message: str, *, rpc_code: int | None = None, data: object = None):
        super().__init__(message, details={"rpc_code": rpc_code})
        self.rpc_code = rpc_code
        self.data = data


def revert_data(error: RpcError) -> bytes | None:
    """The revert data of a refused eth_call / eth_estimateGas (None when the error is not a revert)."""
    data = error.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if "revert" in error.message.lower():
        return b""
    return None


def is_known_transaction(error: RpcError) -> bool:
    """Whether a send was refused because the transaction, or its nonce, is already on the node."""
    text = error.message.lower()
    return any(s in text for s in ("already known", "already imported", "known transaction", "nonce too low",
                                   "alreadyknown", "nonce has already been used", "replacement transaction"))


def is_nonce_too_low(error: RpcError) -> bool:
    """Whether a send was refused because the relayer's nonce was already used."""
    text = error.message.lower()
    return "nonce too low" in text or "nonce has already been used" in text
