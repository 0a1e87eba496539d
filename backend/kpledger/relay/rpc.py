"""Raw JSON-RPC calls with two outcomes kept apart: the node answered an error, or it was unreachable."""

from __future__ import annotations

from typing import Any

import requests
from web3 import Web3

from kpledger.core.errors import ChainUnavailable
from kpledger.relay.errors import RpcError

TRANSPORT_ERRORS = (requests.RequestException, OSError, TimeoutError)


def call(w3: Web3, method: str, params: list[Any]) -> Any:
    """The result of one JSON-RPC call; RpcError when the node refuses it, ChainUnavailable when unreachable."""
    try:
        answer = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    except TRANSPORT_ERRORS as exc:
        raise ChainUnavailable(f"chain not reachable: {type(exc).__name__}") from exc
    except Exception as exc:  # web3 wraps some transport failures (e.g. bad JSON from a dying node)
        raise ChainUnavailable(f"chain not reachable: {exc}") from exc
    error = answer.get("error")
    if error:
        if isinstance(error, str):
            raise RpcError(error)
        raise RpcError(str(error.get("message", "")), rpc_code=error.get("code"), data=error.get("data"))
    return answer.get("result")


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
