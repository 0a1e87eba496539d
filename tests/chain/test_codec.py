"""The one ABI codec (`kpledger.chain.abi`): its decoding (faster-eth-abi) gives what eth_abi, the reference, gives for
every error, view and event of the build; `to_json` is the one converter; the relay's own request-key encoding is the
codec's `encode`; `Chain.view` and `Chain.call_data` speak to a real node through the one JSON-RPC client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import decode as eth_abi_decode
from eth_abi import encode as eth_abi_encode
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from kpledger.chain import abi
from kpledger.chain.contracts import Chain, abi_type
from kpledger.core.actions import ACTIONS
from kpledger.core.addresses import checksum
from kpledger.core.config import Settings
from kpledger.relay.request import WriteRequest
from kpledger.signing.typed_data import SignedIntent
from tests.support.stack import MANIFEST

CONTRACTS = ("KPRegistry", "KPLedger", "KPCertificates", "KPRelayBatch")


def param_values(param: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Random values of an ABI parameter, as eth_abi takes them."""
    t = param["type"]
    if t.endswith("[]"):
        return st.lists(param_values({**param, "type": t[:-2]}), max_size=3)
    if t == "tuple":
        return st.tuples(*(param_values(c) for c in param["components"]))
    if t == "string":
        return st.text(max_size=40)
    if t == "bytes":
        return st.binary(max_size=80)
    if t == "address":
        return st.binary(min_size=20, max_size=20).map(checksum)
    if t == "bool":
        return st.booleans()
    if t.startswith("bytes"):
        return st.binary(min_size=int(t[5:]), max_size=int(t[5:]))
    return st.integers(min_value=0, max_value=2 ** int(t[4:] or 256) - 1)


def shapes() -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, parameters) of every error's inputs, event's data and function's outputs of the build."""
    types = json.loads(MANIFEST.read_text())["contractTypes"]
    out: dict[str, list[dict[str, Any]]] = {}
    for contract in CONTRACTS:
        for item in types[contract]["abi"]:
            if item["type"] == "error":
                params = item["inputs"]
            elif item["type"] == "event":
                params = [i for i in item["inputs"] if not i["indexed"]]
            elif item["type"] == "function":
                params = item["outputs"]
            else:
                continue
            if params:
                out.setdefault(",".join(abi_type(p) for p in params), params)
    return sorted(out.items())


SHAPES = shapes()


def test_the_build_has_shapes_to_decode() -> None:
    assert len(SHAPES) >= 30


@pytest.mark.parametrize(("types", "params"), SHAPES, ids=[t for t, _ in SHAPES])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_decoding_and_json_match_eth_abi(types: str, params: list[dict[str, Any]], data: st.DataObject) -> None:
    values = data.draw(st.tuples(*(param_values(p) for p in params)))
    abi_types = [abi_type(p) for p in params]
    encoded = eth_abi_encode(abi_types, list(values))
    assert abi.encode(abi_types, list(values)) == encoded
    decoded = abi.decode(abi_types, encoded)
    assert decoded == eth_abi_decode(abi_types, encoded)
    as_json = [abi.to_json(v, p) for v, p in zip(decoded, params, strict=True)]
    reference = [abi.to_json(v, p) for v, p in zip(eth_abi_decode(abi_types, encoded), params, strict=True)]
    assert as_json == reference
    json.dumps(as_json)  # JSON indeed


def test_json_of_each_kind_of_value() -> None:
    param = {"type": "tuple", "components": [
        {"name": "code", "type": "bytes2"}, {"name": "who", "type": "address"}, {"name": "hash", "type": "bytes32"},
        {"name": "codes", "type": "bytes2[]"}, {"name": "n", "type": "uint48"}]}
    value = (b"BW", "0x" + "ab" * 20, b"\x01" * 32, [b"EU", b"C\x00"], 7)
    assert abi.to_json(value, param) == {"code": "BW", "who": checksum("0x" + "ab" * 20), "hash": "0x" + "01" * 32,
                                         "codes": ["EU", "C"], "n": 7}
    assert abi.to_json({"a": [b"\x02", 3], "b": b""}) == {"a": ["0x02", 3], "b": "0x"}


@settings(max_examples=200, deadline=None)
@given(action=st.sampled_from(sorted(ACTIONS)), signer=st.binary(min_size=20, max_size=20).map(checksum),
       nonce=st.integers(min_value=0, max_value=2**256 - 1), signature=st.binary(max_size=200))
def test_the_relays_request_id_hashes_the_codecs_encoding(action: str, signer: str, nonce: int,
                                                           signature: bytes) -> None:
    """keccak(abi.encode(string action, address signer, uint256 nonce, bytes signature)): the relay's request id,
    however relay/request.py encodes it, is the codec's encoding hashed (so that the relay can call the codec; the
    codec section of `make bench` shows what each costs)."""
    request = WriteRequest(action, SignedIntent(action, {}, signer, nonce, 0, signature), {})
    expected = keccak(abi.encode(["string", "address", "uint256", "bytes"], [action, signer, nonce, signature]))
    assert request.request_id == "0x" + expected.hex()


def test_view_and_call_data_through_the_one_json_rpc_client(node) -> None:
    settings_ = Settings(environment="test", rpc_url=node.url, data_dir=node.data_dir)
    chain = Chain(settings_)
    assert chain.view("KPRegistry", "defaultAdmin") == node.registry.functions.defaultAdmin().call()
    assert chain.view("KPLedger", "certificates") == chain.deployment.certificates
    assert chain.view("KPRegistry", "MAX_PARTICIPANTS") == 192
    signer = node.registry.functions.defaultAdmin().call()
    assert chain.call_data("KPLedger", "nonces", [signer, 0]) == node.ledger.encode_abi("nonces", args=[signer, 0])
    assert "w3" not in vars(chain)  # none of the above made a web3.py connection
    with pytest.raises(KeyError):
        chain.call_data("KPLedger", "noSuchFunction")


def test_the_inbox_names_governance_through_a_view_call(server, actors) -> None:
    with server.client() as c:
        assert c.get(f"/v1/accounts/{actors['governance'].address}/inbox").json()["governance"] is True
        assert c.get(f"/v1/accounts/{actors['mine'].address}/inbox").json()["governance"] is False
