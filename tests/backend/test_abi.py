"""kpledger.chain.abi encodes every function the relayer calls exactly as eth_abi does, and refuses bad values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import encode as eth_abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from kpledger.chain import abi
from kpledger.chain.abi import _split
from kpledger.chain.contracts import abi_type

from conftest import MANIFEST

RELAYED = ("KPRegistry", "KPLedger", "KPCertificates", "KPRelayBatch")


def signatures() -> list[tuple[str, list[str]]]:
    """(name, argument types) of every BySig function and of the batch entry points, from the build."""
    types = json.loads(MANIFEST.read_text())["contractTypes"]
    out = []
    for contract in RELAYED:
        for item in types[contract]["abi"]:
            if item["type"] == "function" and (item["name"].endswith("BySig") or contract == "KPRelayBatch"):
                out.append((f"{contract}.{item['name']}", [abi_type(i) for i in item["inputs"]]))
    return out


SIGNATURES = signatures()


def values(type_: str) -> st.SearchStrategy[Any]:
    if type_.endswith("[]"):
        return st.lists(values(type_[:-2]), max_size=3)
    if type_.startswith("("):
        return st.tuples(*(values(t) for t in _split(type_[1:-1])))
    if type_ == "string":
        return st.text(max_size=70)
    if type_ == "bytes":
        return st.binary(max_size=100)
    if type_ == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if type_ == "bool":
        return st.booleans()
    if type_.startswith("bytes"):
        return st.binary(min_size=int(type_[5:]), max_size=int(type_[5:]))
    return st.integers(min_value=0, max_value=2 ** int(type_[4:]) - 1)


def test_the_build_has_relayed_functions() -> None:
    assert len(SIGNATURES) >= 20


@pytest.mark.parametrize(("name", "types"), SIGNATURES, ids=[n for n, _ in SIGNATURES])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_encoding_matches_eth_abi(name: str, types: list[str], data: st.DataObject) -> None:
    args = data.draw(st.tuples(*(values(t) for t in types)), label=name)
    assert abi.encode(types, list(args)) == eth_abi_encode(types, list(args))


@pytest.mark.parametrize(("types", "args"), [
    (["uint8"], [256]), (["uint48"], [-1]), (["uint256"], [True]), (["bool"], [1]), (["address"], ["0x1234"]),
    (["address"], [b"\0" * 19]), (["bytes32"], [b"\0" * 33]), (["string"], [b"not text"]), (["uint32[]"], [5]),
    (["(uint8,bool)"], [(1,)]), (["int256"], [1]), (["uint256[2]"], [[1, 2]]),
])
def test_bad_values_and_types_are_refused(types: list[str], args: list[Any]) -> None:
    with pytest.raises(ValueError):
        abi.encode(types, args)
