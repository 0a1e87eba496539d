"""Decodes raw logs of the ledger's contracts into (event name, args) without web3's per-log overhead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address

from kpledger.chain.contracts import CONTRACTS, Artifacts, Deployment, abi_type


@dataclass(frozen=True)
class EventSpec:
    contract: str
    name: str
    indexed: tuple[tuple[str, str], ...]  # (name, type)
    data: tuple[tuple[str, str, dict[str, Any]], ...]  # (name, type, abi input)


@dataclass(frozen=True)
class DecodedLog:
    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    timestamp: int | None
    tx_hash: str
    log_index: int


def _json(value: Any, abi_input: dict[str, Any]) -> Any:
    """ABI value -> JSON value: bytes as 0x-hex (bytes2 as its ASCII code), addresses checksummed."""
    t = abi_input["type"]
    if t.endswith("[]"):
        inner = {**abi_input, "type": t[:-2]}
        return [_json(v, inner) for v in value]
    if t.startswith("tuple"):
        return {c["name"]: _json(v, c) for c, v in zip(abi_input["components"], value, strict=True)}
    if t == "bytes2":
        return value.rstrip(b"\x00").decode("ascii", "replace")
    if t == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


class LogDecoder:
    """topic0 -> event spec for the three contracts at their deployed addresses."""

    def __init__(self, artifacts: Artifacts, deployment: Deployment):
        self.addresses = {deployment.address(c).lower(): c for c in CONTRACTS}
        self._specs: dict[tuple[str, bytes], tuple[EventSpec, dict[str, Any]]] = {}
        for contract in CONTRACTS:
            for item in artifacts.abis[contract]:
                if item["type"] != "event" or item.get("anonymous"):
                    continue
                spec = EventSpec(
                    contract, item["name"],
                    tuple((i["name"], abi_type(i)) for i in item["inputs"] if i["indexed"]),
                    tuple((i["name"], abi_type(i), i) for i in item["inputs"] if not i["indexed"]),
                )
                self._specs[(contract, event_abi_to_log_topic(item))] = (spec, item)

    def decode(self, log: dict[str, Any]) -> DecodedLog | None:
        """A raw JSON-RPC log (hex strings) -> DecodedLog, or None for logs of no interest."""
        contract = self.addresses.get(log["address"].lower())
        topics = log["topics"]
        if contract is None or not topics:
            return None
        found = self._specs.get((contract, bytes.fromhex(topics[0][2:])))
        if found is None:
            return None  # e.g. AccessControl's own RoleGranted: our events carry what we need
        spec, item = found
        args: dict[str, Any] = {}
        inputs = {i["name"]: i for i in item["inputs"]}
        for (name, typ), topic in zip(spec.indexed, topics[1:], strict=True):
            (value,) = abi_decode([typ], bytes.fromhex(topic[2:]))
            args[name] = _json(value, inputs[name])
        if spec.data:
            values = abi_decode([t for _, t, _ in spec.data], bytes.fromhex(log["data"][2:]))
            for (name, _, abi_input), value in zip(spec.data, values, strict=True):
                args[name] = _json(value, abi_input)
        ts = log.get("blockTimestamp")
        return DecodedLog(contract, spec.name, args, int(log["blockNumber"], 16), log["blockHash"],
                          int(ts, 16) if ts else None, log["transactionHash"], int(log["logIndex"], 16))
