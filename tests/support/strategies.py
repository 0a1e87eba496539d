"""Hypothesis strategies shared by the property tests: random values of an ABI type, and random JSON values of an
action's field as a client sends them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from kpledger.chain.abi import _split
from kpledger.core.actions import Kind

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


def abi_values(type_: str, *, as_json: bool = False) -> st.SearchStrategy[Any]:
    """Random values of an ABI type (`uint64`, `bytes32`, `(address,uint256)[]`, ...); fixed-size bytes as hex
    strings with `as_json` (the JSON a client sends), as bytes otherwise (what eth_abi encodes)."""
    if type_.endswith("[]"):
        return st.lists(abi_values(type_[:-2], as_json=as_json), max_size=3)
    if type_.startswith("("):
        return st.tuples(*(abi_values(t, as_json=as_json) for t in _split(type_[1:-1])))
    if type_ == "string":
        return st.text(max_size=70)
    if type_ == "bytes":
        return st.binary(max_size=100)
    if type_ == "address":
        return addresses
    if type_ == "bool":
        return st.booleans()
    if type_.startswith("bytes"):
        size = int(type_[5:])
        raw = st.binary(min_size=size, max_size=size)
        return raw.map(lambda b: "0x" + b.hex()) if as_json else raw
    return st.integers(min_value=0, max_value=2 ** int(type_.removeprefix("uint")) - 1)


def field_values(kind: Kind | str) -> st.SearchStrategy[Any]:
    """Random JSON values of an action's field kind (or EIP-712 type), as a client sends them."""
    if isinstance(kind, Kind) and kind.struct is not None:
        return st.lists(st.fixed_dictionaries({n: field_values(k) for n, k in kind.struct.fields}), max_size=4)
    return abi_values(kind.eip712 if isinstance(kind, Kind) else kind, as_json=True)
