"""The log decoder's hand-sliced topics and data give what eth_abi gives, for every event of the three ABIs."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import event_abi_to_log_topic, to_checksum_address

from kpledger.chain.abi import to_json as _json
from kpledger.chain.contracts import CONTRACTS, Artifacts, Deployment, abi_type
from kpledger.chain.decoder import LogDecoder
from tests.support.stack import MANIFEST

ADDRESSES = {"KPRegistry": "0x" + "11" * 20, "KPLedger": "0x" + "22" * 20, "KPCertificates": "0x" + "33" * 20}


def value_of(abi_input: dict[str, Any], rng: random.Random) -> Any:
    """A random value of an ABI parameter, as eth_abi encodes it."""
    t = abi_input["type"]
    if t.endswith("[]"):
        return [value_of({**abi_input, "type": t[:-2]}, rng) for _ in range(rng.randrange(4))]
    if t == "tuple":
        return tuple(value_of(c, rng) for c in abi_input["components"])
    if t.startswith("uint"):
        return rng.randrange(2 ** int(t[4:] or 256))
    if t == "address":
        return to_checksum_address(rng.randbytes(20))
    if t == "bool":
        return rng.random() < 0.5
    if t == "string":
        return "KP-" + str(rng.randrange(10**6))
    if t == "bytes2":
        return rng.choice([b"BW", b"EU", b"CA"])
    if t.startswith("bytes"):
        return rng.randbytes(int(t[5:]))
    raise AssertionError(f"no generator for {t}")


def events() -> list[tuple[str, dict[str, Any]]]:
    abis = Artifacts(MANIFEST).abis
    return [(c, item) for c in CONTRACTS for item in abis[c] if item["type"] == "event" and not item.get("anonymous")]


@pytest.fixture(scope="module")
def decoder() -> LogDecoder:
    deployment = Deployment(31337, to_checksum_address(ADDRESSES["KPRegistry"]),
                            to_checksum_address(ADDRESSES["KPLedger"]),
                            to_checksum_address(ADDRESSES["KPCertificates"]), 0)
    return LogDecoder(Artifacts(MANIFEST), deployment)


@pytest.mark.parametrize(("contract", "item"), events(), ids=lambda x: x if isinstance(x, str) else x["name"])
def test_every_event_decodes_as_eth_abi_decodes_it(decoder, contract, item):
    rng = random.Random(item["name"])
    for _ in range(20):
        values = {i["name"]: value_of(i, rng) for i in item["inputs"]}
        indexed = [i for i in item["inputs"] if i["indexed"]]
        data = [i for i in item["inputs"] if not i["indexed"]]
        topics = ["0x" + event_abi_to_log_topic(item).hex()]
        topics += ["0x" + abi_encode([abi_type(i)], [values[i["name"]]]).hex() for i in indexed]
        raw = {"address": ADDRESSES[contract], "topics": topics, "blockNumber": "0x10", "blockHash": "0x" + "ab" * 32,
               "transactionHash": "0x" + "cd" * 32, "logIndex": "0x3",
               "data": "0x" + abi_encode([abi_type(i) for i in data], [values[i["name"]] for i in data]).hex()}
        expected = {}
        for i, topic in zip(indexed, topics[1:], strict=True):
            (value,) = abi_decode([abi_type(i)], bytes.fromhex(topic[2:]))
            expected[i["name"]] = _json(value, i)
        decoded_data = abi_decode([abi_type(i) for i in data], bytes.fromhex(raw["data"][2:]))
        for i, value in zip(data, decoded_data, strict=True):
            expected[i["name"]] = _json(value, i)
        decoded = decoder.decode(raw)
        assert (decoded.contract, decoded.name, decoded.block_number, decoded.log_index) == (
            contract, item["name"], 16, 3)
        assert decoded.args == expected


def test_logs_of_other_contracts_or_events_are_skipped(decoder):
    topic = "0x" + "00" * 32
    assert decoder.decode({"address": ADDRESSES["KPLedger"], "topics": [topic], "data": "0x"}) is None
    assert decoder.decode({"address": "0x" + "44" * 20, "topics": [topic], "data": "0x"}) is None
    assert decoder.decode({"address": ADDRESSES["KPLedger"], "topics": [], "data": "0x"}) is None
