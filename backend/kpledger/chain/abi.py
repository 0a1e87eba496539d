"""The backend's one ABI codec: `encode`, `decode`, and decoded values as JSON (`to_json`).

Each direction takes the fastest path measured (`make bench`, section codec: this module's path beside the
others, per shape the relayer and the indexer use, MISS when another is faster by more than 10%):

* encode: written here, for the subset of types the ledger's functions use (uintN, bool, address, bytesN, bytes,
  string, T[] and tuples), with ranges and lengths checked. eth_abi validates every value through several layers,
  and faster-eth-abi (its C-compiled fork) still took about twice as long on the relayer's calldata and batches.
  Anything else (intN, fixed-size arrays) raises ValueError, so a future signature cannot be encoded wrongly.
* decode: faster-eth-abi, 3-6x faster than eth_abi (revert data, events with strings or tuples, batch outcomes).
  The log decoder's word slicing for events of static words (`chain.decoder`) stays faster still and is kept.

`tests/chain/test_abi.py` and `test_codec.py` compare both with eth_abi, the reference, on random values of every
signature, event and error of the build.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from faster_eth_abi import decode as _library_decode

from kpledger.core.addresses import checksum

WORD = 32


class _Type:
    dynamic = False
    head = WORD  # bytes in the head of an enclosing sequence: a word, or all of a static tuple's

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError


class _Uint(_Type):
    def __init__(self, bits: int):
        self.limit = 1 << bits

    def encode(self, value: Any) -> bytes:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.limit:
            raise ValueError(f"value {value!r} out of range for uint{self.limit.bit_length() - 1}")
        return value.to_bytes(WORD, "big")


class _Bool(_Type):
    def encode(self, value: Any) -> bytes:
        if not isinstance(value, bool):
            raise ValueError(f"not a bool: {value!r}")
        return int(value).to_bytes(WORD, "big")


class _Address(_Type):
    def encode(self, value: Any) -> bytes:
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) and value[:2] in ("0x", "0X") else value
        if not isinstance(raw, bytes | bytearray) or len(raw) != 20:
            raise ValueError(f"not an address: {value!r}")
        return bytes(raw).rjust(WORD, b"\0")


class _FixedBytes(_Type):
    def __init__(self, size: int):
        self.size = size

    def encode(self, value: Any) -> bytes:
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else value
        if not isinstance(raw, bytes | bytearray) or len(raw) > self.size:
            raise ValueError(f"not a bytes{self.size}: {value!r}")
        return bytes(raw).ljust(WORD, b"\0")


class _Bytes(_Type):
    dynamic = True

    def __init__(self, text: bool):
        self.text = text

    def encode(self, value: Any) -> bytes:
        if self.text:
            if not isinstance(value, str):
                raise ValueError(f"not a string: {value!r}")
            raw = value.encode()
        else:
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) else value
            if not isinstance(raw, bytes | bytearray):
                raise ValueError(f"not bytes: {value!r}")
        padded = -(-len(raw) // WORD) * WORD
        return len(raw).to_bytes(WORD, "big") + bytes(raw).ljust(padded, b"\0")


class _Tuple(_Type):
    def __init__(self, items: Sequence[_Type]):
        self.items = tuple(items)
        self.dynamic = any(t.dynamic for t in self.items)
        self.head_size = sum(t.head for t in self.items)  # of its own items' heads
        self.head = WORD if self.dynamic else self.head_size

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, list | tuple) or len(value) != len(self.items):
            raise ValueError(f"expected {len(self.items)} values, got {value!r}")
        return _encode_sequence(self.items, value, self.head_size)


class _Array(_Type):
    dynamic = True

    def __init__(self, item: _Type):
        self.item = item

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, list | tuple):
            raise ValueError(f"not an array: {value!r}")
        return len(value).to_bytes(WORD, "big") + _encode_sequence([self.item] * len(value), value,
                                                                   self.item.head * len(value))


def _encode_sequence(types: Sequence[_Type], values: Sequence[Any], head: int | None = None) -> bytes:
    """Heads then tails: a static value in place (a static tuple: all its words), a dynamic one as the offset of its
    tail; `head`, the heads' size, when the caller knows it."""
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = sum(t.head for t in types) if head is None else head
    for t, v in zip(types, values, strict=True):
        encoded = t.encode(v)
        if t.dynamic:
            heads.append(offset.to_bytes(WORD, "big"))
            tails.append(encoded)
            offset += len(encoded)
        else:
            heads.append(encoded)
    return b"".join(heads) + b"".join(tails)


def _split(inner: str) -> list[str]:
    """Top-level comma-separated components of a tuple's inside."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p for p in parts if p]


@cache
def _parse(type_: str) -> _Type:
    if type_.endswith("[]"):
        return _Array(_parse(type_[:-2]))
    if type_.startswith("(") and type_.endswith(")"):
        return _Tuple([_parse(p) for p in _split(type_[1:-1])])
    if type_ in ("string", "bytes"):
        return _Bytes(text=type_ == "string")
    if type_ == "address":
        return _Address()
    if type_ == "bool":
        return _Bool()
    if type_.startswith("uint") and type_[4:].isdigit() and 8 <= int(type_[4:]) <= 256 and int(type_[4:]) % 8 == 0:
        return _Uint(int(type_[4:]))
    if type_.startswith("bytes") and type_[5:].isdigit() and 1 <= int(type_[5:]) <= 32:
        return _FixedBytes(int(type_[5:]))
    raise ValueError(f"ABI type {type_} is not supported by kpledger.chain.abi")


@cache
def _sequence(types: tuple[str, ...]) -> _Tuple:
    return _Tuple([_parse(t) for t in types])


def encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """abi.encode(values) for the given types (as eth_abi.encode would produce it)."""
    sequence = _sequence(tuple(types))
    if len(values) != len(sequence.items):
        raise ValueError(f"expected {len(sequence.items)} values, got {len(values)}")
    return _encode_sequence(sequence.items, values, sequence.head_size)


def decode(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """The values of abi.encode(values) for the given types (bytes as bytes, tuples and arrays as tuples)."""
    return _library_decode(list(types), data)


def to_json(value: Any, param: dict[str, Any] | None = None) -> Any:
    """A decoded ABI value as JSON, by its ABI parameter (`{"type", "components"}` as in a contract's ABI): an
    ISO code (bytes2) as its text, an address checksummed, other bytes as 0x-hex, a tuple as an object by its
    components' names, an array item by item. Without a parameter: bytes as 0x-hex, lists and objects item by item
    (an EIP-712 message's values)."""
    if param is None:
        if isinstance(value, bytes):
            return "0x" + value.hex()
        if isinstance(value, list | tuple):
            return [to_json(v) for v in value]
        if isinstance(value, dict):
            return {k: to_json(v) for k, v in value.items()}
        return value
    t = param["type"]
    if t.endswith("]"):
        inner = {**param, "type": t[:t.rindex("[")]}
        return [to_json(v, inner) for v in value]
    if t == "tuple":
        return {c["name"]: to_json(v, c) for c, v in zip(param["components"], value, strict=True)}
    if t == "bytes2":
        return value.rstrip(b"\x00").decode("ascii", "replace")
    if t == "address":
        return checksum(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value
