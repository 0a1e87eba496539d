"""anvil's public test keys (the mnemonic every Foundry and Hardhat user knows): the embedded development chain's
accounts, and the keys a production deployment must never use."""

from __future__ import annotations

from functools import cache
from typing import Final

from coincurve import PrivateKey
from eth_account.hdaccount import key_from_seed, seed_from_mnemonic
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address

MNEMONIC: Final = "test test test test test test test test test test test junk"
# how many of the mnemonic's keys are recognised as development keys (anvil funds 10; tests and benchmarks
# derive a few thousand more, which an operator would never copy into production by accident)
CHECKED_INDEXES: Final = 1_000
# the account `make run` deploys the contracts for as the KP governance (the deployer, key 0, also relays)
GOVERNANCE_INDEX: Final = 1


@cache
def _seed() -> bytes:
    return seed_from_mnemonic(MNEMONIC, "")


def dev_key(index: int) -> bytes:
    """Key `index` of the public test mnemonic (anvil funds 0-9: 0 deploys and relays, 1 is governance)."""
    return key_from_seed(_seed(), f"m/44'/60'/0'/0/{index}")


def address_of(key: bytes) -> ChecksumAddress:
    pub = PrivateKey(key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak(pub)[-20:])


@cache
def _dev_addresses(limit: int) -> dict[str, int]:
    return {address_of(dev_key(i)): i for i in range(limit)}


def dev_key_index(key: str | bytes, limit: int = CHECKED_INDEXES) -> int | None:
    """The mnemonic index of a private key (hex in any case, with or without 0x, or bytes) if it is one of the
    first `limit` public test keys, else None. Compares addresses, not strings. ValueError if it is no key."""
    text = key.strip() if isinstance(key, str) else ""
    raw = key if isinstance(key, bytes) else bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)
    if len(raw) != 32:
        raise ValueError("a private key is 32 bytes")
    return _dev_addresses(limit).get(address_of(raw))
