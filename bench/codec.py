"""The ABI codec (`kpledger.chain.abi`) beside the other ways to encode and decode the same values: the shapes the
relayer encodes (its `...BySig` calldata, a batch's `execute`, the request key) and the indexer and the relayer decode
(event data, a batch simulation's outcomes), in microseconds per call.

Each figure is the codec's path; its ceiling the fastest other way measured in the same run (hand-written code,
faster-eth-abi, eth_abi): the goal is the codec within 10% of it. A MISS means another way has become faster: switch
the codec's path for that direction (`kpledger/chain/abi.py` says which it takes and why). Every way is first
checked to give the same answer. Timings are interleaved rounds, the best round of each kept (the machine is shared).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

import eth_abi
import faster_eth_abi

from bench.common import MANIFEST, Result, log
from kpledger.chain import abi
from kpledger.chain.contracts import Artifacts, Deployment
from kpledger.chain.decoder import EventSpec, LogDecoder
from kpledger.core.actions import ACTIONS, AUTHORIZATION_ABI
from kpledger.core.addresses import checksum
from kpledger.relay import calls

ROUND_S = 0.005  # each way runs about this long per round
ROUNDS, ROUNDS_FULL = 15, 40
WITHIN = 1.10  # the codec's path may be up to 10% slower than the fastest other way

SIGNER = checksum("0x" + "5a" * 20)
SIGNATURE = bytes(range(65))
AUTHORIZATION = (SIGNER, 7, 2**40, SIGNATURE)
KEY_TYPES = ["string", "address", "uint256", "bytes"]


def best_us(ways: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Microseconds per call of each way: the best of `rounds` interleaved rounds of about ROUND_S each."""
    numbers = {}
    for name, way in ways.items():
        once = timeit.timeit(way, number=20) / 20
        numbers[name] = max(20, int(ROUND_S / max(once, 1e-7)))
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(rounds):
        for name, way in ways.items():
            best[name] = min(best[name], timeit.timeit(way, number=numbers[name]) / numbers[name] * 1e6)
    return {name: round(us, 2) for name, us in best.items()}


def compare(name: str, codec: str, ways: dict[str, Callable[[], Any]], rounds: int) -> Result:
    """The codec's way (`codec`, a key of `ways`) against the fastest other, after checking they all agree."""
    answers = {way: fn() for way, fn in ways.items()}
    first = answers[codec]
    for way, answer in answers.items():
        if answer != first:
            raise AssertionError(f"{name}: {way} differs from {codec}")
    us = best_us(ways, rounds)
    others = {w: t for w, t in us.items() if w != codec}
    fastest = min(others, key=others.__getitem__)
    log(f"codec {name}: " + ", ".join(f"{w} {t} µs" for w, t in us.items()))
    return Result("codec", name, us[codec], "µs", others[fastest], fastest,
                  f"<= {WITHIN:.2f} x the fastest other way", us[codec] <= WITHIN * others[fastest],
                  {"path": codec, "us": us})


def _encoders(types: list[str], values: list[Any]) -> dict[str, Callable[[], bytes]]:
    return {"hand (codec)": lambda: abi.encode(types, values),
            "faster-eth-abi": lambda: faster_eth_abi.encode(types, values),
            "eth_abi": lambda: eth_abi.encode(types, values)}


def _call(action: str, *args: Any) -> tuple[list[str], list[Any]]:
    return [*ACTIONS[action].abi_types(), AUTHORIZATION_ABI], [*args, AUTHORIZATION]


def encodings(rounds: int) -> list[Result]:
    doc = bytes(range(32))
    child = (1_250, 3, 710231, doc)
    certificate = ("BW0001234", "EU", SIGNER, 17, 12_500, 20, [710231], ["BW", "CA", "ZA"], 1_700_000_000,
                   1_700_000_000 + 30 * 86_400, doc, "")
    shapes = {
        "encode RegisterParcelBySig": _call("RegisterParcel", 12_500, 40, 710231, "BW", doc),
        "encode SplitParcelBySig, 3 children": _call("SplitParcel", 17, [child] * 3),
        "encode SealConsignmentBySig, 20 parcels": _call("SealConsignment", list(range(1, 21)), doc),
        "encode IssueCertificateBySig": _call("IssueCertificate", certificate),
    }
    one = (SIGNER, bytes(420), 450_000)  # a relayed call of about a RegisterParcelBySig's size
    shapes["encode execute, 100 calls"] = ([calls.CALL_ABI], [[one] * 100])
    results = [compare(name, "hand (codec)", _encoders(types, values), rounds)
               for name, (types, values) in shapes.items()]
    key = ["RegisterParcel", SIGNER, 7, SIGNATURE]
    ways = {"hand (codec)": lambda: abi.encode(KEY_TYPES, key),
            "faster-eth-abi": lambda: faster_eth_abi.encode(KEY_TYPES, key),
            "eth_abi": lambda: eth_abi.encode(KEY_TYPES, key)}
    results.append(compare("encode request key (string, address, uint256, bytes)", "hand (codec)", ways, rounds))
    return results


def _sample(param: dict[str, Any], n: int) -> Any:
    """A plausible value of an event parameter (arrays of n items)."""
    t = param["type"]
    if t.endswith("[]"):
        return [_sample({**param, "type": t[:-2]}, n) for _ in range(n)]
    if t == "tuple":
        return tuple(_sample(c, n) for c in param["components"])
    if t == "string":
        return "BW0001234"
    if t == "address":
        return SIGNER
    if t == "bool":
        return True
    if t == "bytes2":
        return b"BW"
    if t.startswith("bytes"):
        return bytes(range(int(t[5:] or 40)))
    if t.startswith("uint"):
        return 710231 if int(t[4:] or 256) >= 32 else 3
    raise ValueError(t)


def _library(module: Any, spec: EventSpec) -> Callable[[str], dict[str, Any]]:
    """Event data (0x-hex) -> {name: JSON value} through a library's decode and the codec's `to_json`."""
    types = [t for _, t, _ in spec.data]

    def read(data: str) -> dict[str, Any]:
        values = module.decode(types, bytes.fromhex(data[2:]))
        return {name: abi.to_json(v, p) for (name, _, p), v in zip(spec.data, values, strict=True)}

    return read


def _hand(spec: EventSpec) -> Callable[[str], dict[str, Any]]:
    """The log decoder's own word slicing (what `LogDecoder.decode` does for the event's data)."""
    def read(data: str) -> dict[str, Any]:
        body = data[2:]
        return {name: reader(body, 64 * n) for n, (name, reader) in enumerate(spec.data_readers)}

    return read


def decodings(rounds: int) -> list[Result]:
    artifacts = Artifacts(MANIFEST)
    nowhere = Deployment(31337, checksum("0x" + "11" * 20), checksum("0x" + "22" * 20), checksum("0x" + "33" * 20), 0)
    specs = {spec.name: spec for spec, _item in LogDecoder(artifacts, nowhere)._specs.values()}
    results = []
    for event, n in (("ParcelRegistered", 0), ("CustodyTransferred", 0), ("ConsignmentSealed", 20),
                     ("ParcelsMerged", 5), ("CertificateIssued", 3), ("MemberProfileChanged", 0)):
        spec = specs[event]
        data = "0x" + eth_abi.encode([t for _, t, _ in spec.data], [_sample(p, n) for _, _, p in spec.data]).hex()
        ways = {"faster-eth-abi (codec)": _library(faster_eth_abi, spec), "eth_abi": _library(eth_abi, spec)}
        codec = "faster-eth-abi (codec)"
        if spec.by_hand:
            ways = {"hand (log decoder)": _hand(spec), **ways}
            codec = "hand (log decoder)"
        label = f"decode {event}" + (f", {n} items" if n else "")
        results.append(compare(label, codec, {w: (lambda f=f, d=data: f(d)) for w, f in ways.items()}, rounds))
    outcomes = eth_abi.encode([calls.OUTCOMES_ABI], [[(True, 61_234, b"")] * 100])
    ways = {"faster-eth-abi (codec)": lambda: abi.decode([calls.OUTCOMES_ABI], outcomes),
            "eth_abi": lambda: eth_abi.decode([calls.OUTCOMES_ABI], outcomes)}
    results.append(compare("decode a batch simulation's outcomes, 100 calls", "faster-eth-abi (codec)", ways, rounds))
    return results


def run(full: bool = False) -> list[Result]:
    rounds = ROUNDS_FULL if full else ROUNDS
    return encodings(rounds) + decodings(rounds)
