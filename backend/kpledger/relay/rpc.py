"""How the relayer reads a node's JSON-RPC refusals (the calls themselves go through `kpledger.chain.jsonrpc`)."""

from __future__ import annotations

from kpledger.relay.errors import RpcError


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
