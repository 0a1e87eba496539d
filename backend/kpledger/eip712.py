"""EIP-712 digests of the ledger's intents, and signer recovery, for the relayer's hot path.

`eth_account.messages.encode_typed_data` handles any typed data, which makes it general and slow (about
a fifth of a relayed write's CPU time went there). The intents use a handful of field types, so their
digests can be computed directly: type hashes and domain separators are computed once, values are
encoded by the rules of EIP-712 (`encodeData`), and the signer is recovered with coincurve
(libsecp256k1). The tests check these digests against eth_account's on random intents of every kind.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from coincurve import PublicKey
from eth_utils import keccak, to_checksum_address

from kpledger.intents import INTENTS, NONCE_DEADLINE, IntentType

DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_UINT = re.compile(r"uint(\d+)$")
_BYTES_N = re.compile(r"bytes(\d+)$")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@lru_cache(maxsize=65_536)
def checksum(address: str | bytes) -> str:
    """The EIP-55 form of an address (memoised: the same signers and contracts come back on every request)."""
    return to_checksum_address(address)


def _encode_type(name: str, fields: tuple[tuple[str, str], ...]) -> str:
    return f"{name}({','.join(f'{t} {n}' for n, t in fields)})"


@cache
def _structs(action: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """The action's struct types by name: the primary type (with nonce and deadline) and referenced ones."""
    kind: IntentType = INTENTS[action]
    return {kind.primary_type: (*kind.fields, *NONCE_DEADLINE), **dict(kind.extra_types)}


@cache
def _type_hash(action: str, struct: str) -> bytes:
    """keccak(encodeType(struct)): the struct's own definition then the types it references, sorted by name."""
    structs = _structs(action)
    referenced = sorted({t.removesuffix("[]") for _n, t in structs[struct]} & (structs.keys() - {struct}))
    return keccak(text="".join(_encode_type(s, structs[s]) for s in (struct, *referenced)))


def _word(type_: str, value: Any, action: str) -> bytes:
    """encodeData of one member: a 32-byte word."""
    if type_.endswith("[]"):
        item = type_[:-2]
        return keccak(b"".join(_word(item, v, action) for v in value))
    if type_ in _structs(action):
        return hash_struct(action, type_, value)
    if type_ == "string":
        return keccak(value.encode() if isinstance(value, str) else bytes(value))
    if type_ == "bytes":
        return keccak(bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value))
    if type_ == "address":
        raw = bytes.fromhex(checksum(value)[2:])
        return raw.rjust(32, b"\0")
    if type_ == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"not a bool: {value!r}")
        return int(value).to_bytes(32, "big")
    if match := _UINT.match(type_):
        bits = int(match.group(1))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
            raise ValueError(f"not a {type_}: {value!r}")
        return value.to_bytes(32, "big")
    if match := _BYTES_N.match(type_):
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
        if len(raw) != int(match.group(1)):
            raise ValueError(f"not a {type_}: {value!r}")
        return raw.ljust(32, b"\0")
    raise ValueError(f"unsupported EIP-712 type {type_}")


def hash_struct(action: str, struct: str, value: dict[str, Any]) -> bytes:
    """hashStruct(value) = keccak(typeHash || encodeData(value))."""
    fields = _structs(action)[struct]
    return keccak(_type_hash(action, struct) + b"".join(_word(t, value[n], action) for n, t in fields))


@cache
def domain_separator(contract: str, chain_id: int, verifying_contract: str) -> bytes:
    """The domain separator of one of the ledger's contracts (name = contract name, version 1)."""
    return keccak(DOMAIN_TYPEHASH + keccak(text=contract) + keccak(text="1") + chain_id.to_bytes(32, "big")
                  + bytes.fromhex(checksum(verifying_contract)[2:]).rjust(32, b"\0"))


def digest(action: str, message: dict[str, Any], nonce: int, deadline: int, *, chain_id: int,
           verifying_contract: str) -> bytes:
    """The EIP-712 digest a participant signs for `action` (message = its business fields)."""
    kind = INTENTS[action]
    body = hash_struct(action, kind.primary_type, {**message, "nonce": nonce, "deadline": deadline})
    return keccak(b"\x19\x01" + domain_separator(kind.contract, chain_id, verifying_contract) + body)


def recover(message_digest: bytes, signature: bytes) -> str | None:
    """The address whose key made a 65-byte (r, s, v) signature of the digest; None if it is not valid."""
    if len(signature) != 65:
        return None
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v >= 27:
        v -= 27
    if v not in (0, 1) or not 0 < r < SECP256K1_N or not 0 < s < SECP256K1_N:
        return None
    try:
        key = PublicKey.from_signature_and_message(signature[:64] + bytes([v]), message_digest, hasher=None)
    except Exception:  # not a point on the curve: no signer
        return None
    return checksum(keccak(key.format(compressed=False)[1:])[-20:])
