"""Decodes raw logs of the ledger's contracts into (event name, args) without web3's per-log overhead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from eth_typing import ABIEvent
from eth_utils import event_abi_to_log_topic

from kpledger.chain import abi
from kpledger.chain.contracts import CONTRACTS, Artifacts, Deployment, abi_type
from kpledger.core.addresses import checksum


@dataclass(frozen=True)
class EventSpec:
    contract: str
    name: str
    indexed: tuple[tuple[str, str], ...]  # (name, type)
    data: tuple[tuple[str, str, dict[str, Any]], ...]  # (name, type, abi input)
    by_hand: bool  # static elementary types and arrays of them in the data: decoded by slicing words
    # readers chosen once per event type, not per log: (name, reader) for the topics, (name, reader of the
    # data and a head's position) for the data
    topic_readers: tuple[tuple[str, Callable[[str], Any]], ...] = ()
    data_readers: tuple[tuple[str, Callable[[str, int], Any]], ...] = ()


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


def _uint(value: str) -> int:
    return int(value, 16)


def _topic_address(topic: str) -> str:
    return checksum("0x" + topic[-40:])


def _word_address(word: str) -> str:
    return checksum("0x" + word[24:])


def _bytes2(value: str) -> str:
    """A bytes2 country code (the first 4 hex digits of a topic or word, after any 0x) as ASCII."""
    return bytes.fromhex(value[:4]).rstrip(b"\x00").decode("ascii", "replace")


def _topic_reader(typ: str) -> Callable[[str], Any]:
    """Reads one indexed topic, by hand for the types the ledger's events index (the codec otherwise)."""
    if typ.startswith("uint"):
        return _uint
    if typ == "address":
        return _topic_address
    if typ == "bytes32":
        return str.lower
    if typ == "bytes2":
        return lambda topic: _bytes2(topic[2:])

    def other(topic: str) -> Any:
        (value,) = abi.decode([typ], bytes.fromhex(topic[2:]))
        return value

    return other


def _word_reader(typ: str) -> Callable[[str], Any]:
    """Reads one 32-byte ABI word (64 hex digits) of a static elementary type, as its JSON value."""
    if typ.startswith("uint"):
        return _uint
    if typ == "address":
        return _word_address
    if typ == "bool":
        return lambda word: word[-1] == "1"
    if typ == "bytes2":
        return _bytes2
    digits = 2 * int(typ[5:])  # bytesN
    return lambda word: "0x" + word[:digits]


def _head_reader(typ: str) -> Callable[[str, int], Any] | None:
    """Reads one parameter of the data from its head word: a static elementary value, or a dynamic array
    of them (the head holds the offset of its length word, the elements follow); None for other types."""
    if _static(typ):
        read = _word_reader(typ)
        return lambda data, at: read(data[at: at + 64])
    if typ.endswith("[]") and _static(typ[:-2]):
        read = _word_reader(typ[:-2])

        def array(data: str, at: int) -> list[Any]:
            length_at = 2 * int(data[at: at + 64], 16)
            first = length_at + 64
            return [read(data[i: i + 64]) for i in range(first, first + 64 * int(data[length_at: first], 16), 64)]

        return array
    return None


def _static(typ: str) -> bool:
    """A static elementary type (one word): no arrays, tuples, strings or dynamic bytes."""
    if "[" in typ or "(" in typ:
        return False
    return typ.startswith("uint") or typ in ("address", "bool") or (typ.startswith("bytes") and typ != "bytes")


class LogDecoder:
    """topic0 -> event spec for the three contracts at their deployed addresses."""

    def __init__(self, artifacts: Artifacts, deployment: Deployment):
        self.addresses = {deployment.address(c).lower(): c for c in CONTRACTS}
        # (address, topic0 as lower-case hex) -> spec: the raw log's strings are looked up as they come
        self._specs: dict[tuple[str, str], tuple[EventSpec, dict[str, Any]]] = {}
        by_contract = {c: a for a, c in self.addresses.items()}
        for contract in CONTRACTS:
            for item in artifacts.abis[contract]:
                if item["type"] != "event" or item.get("anonymous"):
                    continue
                indexed = tuple((i["name"], abi_type(i)) for i in item["inputs"] if i["indexed"])
                data = tuple((i["name"], abi_type(i), i) for i in item["inputs"] if not i["indexed"])
                heads = [(name, _head_reader(t)) for name, t, _ in data]
                by_hand = all(read is not None for _, read in heads)
                spec = EventSpec(
                    contract, item["name"], indexed, data, by_hand,
                    tuple((name, _topic_reader(t)) for name, t in indexed),
                    tuple((name, read) for name, read in heads if read is not None) if by_hand else ())
                topic0 = "0x" + event_abi_to_log_topic(cast(ABIEvent, item)).hex()  # an event: checked above
                self._specs[(by_contract[contract], topic0)] = (spec, item)

    def decode(self, log: dict[str, Any]) -> DecodedLog | None:
        """A raw JSON-RPC log (hex strings) -> DecodedLog, or None for logs of no interest."""
        topics = log["topics"]
        if not topics:
            return None
        found = self._specs.get((log["address"].lower(), topics[0].lower()))
        if found is None:
            return None  # not ours, or e.g. AccessControl's own RoleGranted: our events carry what we need
        spec = found[0]
        args: dict[str, Any] = {name: read(topic)
                                for (name, read), topic in zip(spec.topic_readers, topics[1:], strict=True)}
        if spec.data and spec.by_hand:
            data = log["data"][2:]  # sliced by hand: 3-7x faster than faster-eth-abi (make bench, codec)
            for n, (name, read) in enumerate(spec.data_readers):
                args[name] = read(data, 64 * n)
        elif spec.data:
            values = abi.decode([t for _, t, _ in spec.data], bytes.fromhex(log["data"][2:]))
            for (name, _, abi_input), value in zip(spec.data, values, strict=True):
                args[name] = abi.to_json(value, abi_input)
        ts = log.get("blockTimestamp")
        return DecodedLog(spec.contract, spec.name, args, int(log["blockNumber"], 16), log["blockHash"],
                          int(ts, 16) if ts else None, log["transactionHash"], int(log["logIndex"], 16))
