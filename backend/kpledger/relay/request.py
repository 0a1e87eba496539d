"""A write request as the relayer sees it: typed message, off-chain signature check, request id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_utils import keccak

from kpledger.core.actions import ACTIONS, Action, Kind
from kpledger.signing import typed_data
from kpledger.signing.typed_data import SignedIntent


def _convert(kind: Kind, value: Any) -> Any:
    """One JSON value as its ABI / EIP-712 Python value (bytes32 hex -> bytes, address -> checksum)."""
    if kind.struct is not None:
        return [{n: _convert(k, item[n]) for n, k in kind.struct.fields} for item in value]
    type_ = kind.eip712
    if type_.endswith("[]"):
        return [_convert(Kind(type_[:-2], None), v) for v in value]
    if type_.startswith("bytes"):
        return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
    if type_ == "address":
        return typed_data.checksum(value)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _padded(data: bytes) -> bytes:
    """A dynamic ABI value's tail: its length, then the bytes padded to whole words."""
    return len(data).to_bytes(32, "big") + data.ljust(-(-len(data) // 32) * 32, b"\0")


def _encode_request_key(action: str, signer: str, nonce: int, signature: bytes) -> bytes:
    """abi.encode(string action, address signer, uint256 nonce, bytes signature), written out directly
    (eth_abi's validating encoder cost more than the rest of the request id); tested against eth_abi."""
    action_tail = _padded(action.encode())
    return b"".join((
        (4 * 32).to_bytes(32, "big"),
        bytes.fromhex(signer[2:]).rjust(32, b"\0"),
        nonce.to_bytes(32, "big"),
        (4 * 32 + len(action_tail)).to_bytes(32, "big"),
        action_tail,
        _padded(signature),
    ))


@dataclass(frozen=True)
class WriteRequest:
    """A validated request body for one action, with its message converted to ABI values."""

    action: str
    intent: SignedIntent

    @classmethod
    def from_body(cls, action: str, body: dict[str, Any]) -> WriteRequest:
        """Builds the request from a schema-validated body ({message, signer, nonce, deadline, signature})."""
        message = {name: _convert(kind, body["message"][name]) for name, kind in ACTIONS[action].fields}
        signature = bytes.fromhex(body["signature"][2:])
        intent = SignedIntent(action, message, typed_data.checksum(body["signer"]), int(body["nonce"]),
                              int(body["deadline"]), signature)
        return cls(action, intent)

    @property
    def spec(self) -> Action:
        return ACTIONS[self.action]

    @property
    def contract(self) -> str:
        return ACTIONS[self.action].contract

    @cached_property
    def request_id(self) -> str:
        """keccak256(abi.encode(action, signer, nonce, signature)): the idempotency key."""
        i = self.intent
        return "0x" + keccak(_encode_request_key(self.action, i.signer, i.nonce, i.signature)).hex()

    def body(self) -> dict[str, Any]:
        """The request as JSON (for the journal)."""
        i = self.intent
        return {"message": _jsonable(i.message), "signer": i.signer, "nonce": i.nonce, "deadline": i.deadline,
                "signature": "0x" + i.signature.hex()}

    def recovered_signer(self, chain_id: int, verifying_contract: str) -> str | None:
        """The address that produced the signature over the typed data (None if it is not an ECDSA signature)."""
        i = self.intent
        if len(i.signature) != 65:
            return None
        try:
            message_digest = typed_data.digest(self.action, i.message, i.signer, i.nonce, i.deadline, chain_id=chain_id,
                                           verifying_contract=verifying_contract)
        except (ValueError, TypeError, KeyError):  # a value outside its type: nobody signed this
            return None
        return typed_data.recover(message_digest, i.signature)
