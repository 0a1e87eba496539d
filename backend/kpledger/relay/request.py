"""A write request as the relayer sees it: typed message, off-chain signature check, request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_utils import keccak

from kpledger.chain import abi
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


REQUEST_KEY_TYPES = ("string", "address", "uint256", "bytes")  # the idempotency key: abi.encode of these
BODY_FIELDS = ("message", "signer", "nonce", "deadline", "signature")


@dataclass(frozen=True)
class WriteRequest:
    """A validated request body for one action, with its message converted to ABI values once; the body as
    received (`source`) is what the journal keeps, never rebuilt from the ABI values."""

    action: str
    intent: SignedIntent
    source: dict[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_body(cls, action: str, body: dict[str, Any]) -> WriteRequest:
        """Builds the request from a schema-validated body ({message, signer, nonce, deadline, signature})."""
        message = {name: _convert(kind, body["message"][name]) for name, kind in ACTIONS[action].fields}
        signature = bytes.fromhex(body["signature"][2:])
        intent = SignedIntent(action, message, typed_data.checksum(body["signer"]), int(body["nonce"]),
                              int(body["deadline"]), signature)
        return cls(action, intent, body)

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
        return "0x" + keccak(abi.encode(REQUEST_KEY_TYPES, [self.action, i.signer, i.nonce, i.signature])).hex()

    def body(self) -> dict[str, Any]:
        """The request as JSON, for the journal: the schema-validated body it was built from (its five fields),
        which `from_body` reads back when the reconciler settles it."""
        return {name: self.source[name] for name in BODY_FIELDS}

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
