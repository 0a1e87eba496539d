"""Account addresses in their EIP-55 checksummed form, through one memoised function.

`to_checksum_address` hashes the address with keccak on every call; the same few signers, relayers and contracts
come back on every request and in every log, so the backend checksums through this cache (one for the whole
process: the signing path and the log decoder share it)."""

from __future__ import annotations

from functools import lru_cache

from eth_utils import to_checksum_address

CACHED_ADDRESSES = 100_000  # ~20 MB at most; a busy year's distinct accounts are in the thousands


@lru_cache(maxsize=CACHED_ADDRESSES)
def checksum(address: str | bytes) -> str:
    """The EIP-55 form of an address given as 0x-hex (any case) or 20 bytes; ValueError if it is not one."""
    return to_checksum_address(address)
