"""kpledger.chain.abi encodes every function the relayer calls exactly as eth_abi does, and refuses bad values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import encode as eth_abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from kpledger.chain import abi
from kpledger.chain.contracts import abi_type
from tests.support.stack import MANIFEST
from tests.support.strategies import abi_values

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


def test_the_build_has_relayed_functions() -> None:
    assert len(SIGNATURES) >= 20


@pytest.mark.parametrize(("name", "types"), SIGNATURES, ids=[n for n, _ in SIGNATURES])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_encoding_matches_eth_abi(name: str, types: list[str], data: st.DataObject) -> None:
    args = data.draw(st.tuples(*(abi_values(t) for t in types)), label=name)
    assert abi.encode(types, list(args)) == eth_abi_encode(types, list(args))


@pytest.mark.parametrize(("types", "args"), [
    (["uint8"], [256]), (["uint48"], [-1]), (["uint256"], [True]), (["bool"], [1]), (["address"], ["0x1234"]),
    (["address"], [b"\0" * 19]), (["bytes32"], [b"\0" * 33]), (["string"], [b"not text"]), (["uint32[]"], [5]),
    (["(uint8,bool)"], [(1,)]), (["int256"], [1]), (["uint256[2]"], [[1, 2]]),
])
def test_bad_values_and_types_are_refused(types: list[str], args: list[Any]) -> None:
    with pytest.raises(ValueError):
        abi.encode(types, args)
