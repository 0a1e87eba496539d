"""EIP-712 for the ledger's intents: the domain, the typed data a participant signs, digests and signatures.

Two paths compute the same thing. `typed_data` + `sign_intent` go through eth_account's general
`encode_typed_data` (what wallets do; used by clients and tests). The relayer's hot path uses `digest` and
`recover`: `encode_typed_data` handles any typed data, which makes it general and slow (about a fifth of a
relayed write's CPU time went there); the intents use a handful of field types, so their digests are computed
directly (type hashes and domain separators once, values by the rules of EIP-712 `encodeData`) and the signer is
recovered with coincurve (libsecp256k1). The tests check the two against each other on random intents of every
kind. The types themselves come from the action table (`kpledger.core.actions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from coincurve import PublicKey
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from kpledger.core.actions import ACTIONS, authorization
from kpledger.core.addresses import checksum  # the process's one cache (eip712.checksum stays importable)

VERSION = "1"  # every ledger contract is EIP712(<its name>, "1")
DOMAIN_FIELDS = (("name", "string"), ("version", "string"), ("chainId", "uint256"), ("verifyingContract", "address"))
DOMAIN_TYPE = [{"name": n, "type": t} for n, t in DOMAIN_FIELDS]
DOMAIN_TYPEHASH = keccak(text="EIP712Domain(" + ",".join(f"{t} {n}" for n, t in DOMAIN_FIELDS) + ")")
_UINT = re.compile(r"uint(\d+)$")
_BYTES_N = re.compile(r"bytes(\d+)$")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _encode_type(name: str, fields: tuple[tuple[str, str], ...]) -> str:
    return f"{name}({','.join(f'{t} {n}' for n, t in fields)})"


@cache
def _structs(action: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """The action's struct types by name: the primary type (with the authorization fields) and referenced ones."""
    return {name: tuple((f["name"], f["type"]) for f in fields) for name, fields in ACTIONS[action].types().items()}


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
    return keccak(DOMAIN_TYPEHASH + keccak(text=contract) + keccak(text=VERSION) + chain_id.to_bytes(32, "big")
                  + bytes.fromhex(checksum(verifying_contract)[2:]).rjust(32, b"\0"))


def digest(action: str, message: dict[str, Any], signer: str, nonce: int, deadline: int, *, chain_id: int,
           verifying_contract: str) -> bytes:
    """The EIP-712 digest a participant signs for `action` (message = its business fields)."""
    spec = ACTIONS[action]
    body = hash_struct(action, spec.name, {**message, **authorization(signer, nonce, deadline)})
    return keccak(b"\x19\x01" + domain_separator(spec.contract, chain_id, verifying_contract) + body)


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


# ---------------------------------------------------------------- typed data and signing (the general path)


def domain(contract: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The EIP-712 domain of one of the ledger's contracts (name = contract name, version 1)."""
    return {"name": contract, "version": VERSION, "chainId": chain_id, "verifyingContract": verifying_contract}


def typed_data(action: str, message: dict[str, Any], signer: str, nonce: int, deadline: int, *, chain_id: int,
               verifying_contract: str) -> dict[str, Any]:
    """The full EIP-712 typed data of an intent, as `eth_signTypedData_v4` takes it."""
    spec = ACTIONS[action]
    return {"types": {"EIP712Domain": DOMAIN_TYPE, **spec.types()}, "primaryType": spec.name,
            "domain": domain(spec.contract, chain_id, verifying_contract),
            "message": {**message, **authorization(signer, nonce, deadline)}}


@dataclass(frozen=True)
class SignedIntent:
    """A signed action, ready for its `...BySig` function: `args` then `authorization`."""

    action: str
    message: dict[str, Any]
    signer: str
    nonce: int
    deadline: int
    signature: bytes

    @property
    def authorization(self) -> tuple[str, int, int, bytes]:
        return (self.signer, self.nonce, self.deadline, self.signature)

    @property
    def args(self) -> list[Any]:
        """Positional arguments of the `...BySig` function, before the authorization."""
        return ACTIONS[self.action].call_args(self.message)


def sign_intent(private_key: bytes | str, action: str, message: dict[str, Any], *, chain_id: int,
                verifying_contract: str, nonce: int, deadline: int, signer: str | None = None) -> SignedIntent:
    """Signs `message` (the action's business fields) as the EIP-712 intent `action`, as a wallet would.

    `signer` is the account the intent acts for: by default the key's own address; a contract wallet's address
    (ERC-1271) when the key is one its `isValidSignature` accepts as is."""
    signer = signer or Account.from_key(private_key).address
    signable = encode_typed_data(full_message=typed_data(action, message, signer, nonce, deadline, chain_id=chain_id,
                                                         verifying_contract=verifying_contract))
    signed = Account.sign_message(signable, private_key=private_key)
    return SignedIntent(action, message, signer, nonce, deadline, bytes(signed.signature))
