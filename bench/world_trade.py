"""World scale, the synthetic trade model: the year's size and its fractions, the participants (producers, hubs,
cutting centres and the rest of the ~60), every flow's desk of signers, and their setup written directly to the
chain (participants, officers, licences, packed into few blocks)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from coincurve import PrivateKey
from eth_utils import function_signature_to_4byte_selector, keccak

from bench.common import ROLE, LocalChain, RawTx, Signer, address_of
from kpledger.chain import abi

YEAR_CERTIFICATES = 100_000
CERTIFICATES_PER_EXPORT = 1.5
PRODUCERS = ["BW", "RU", "CA", "AO", "ZA", "CD", "NA", "ZW", "AU", "SL"]
HUBS = ["EU", "AE", "IL"]
CUTTERS = ["IN", "CN", "TH"]
OTHERS = ["AM", "BD", "BY", "BR", "KH", "CM", "CF", "CI", "CG", "GA", "GH", "GN", "GY", "ID", "JP", "KZ", "KR", "KG",
          "LA", "LB", "LS", "LR", "MY", "ML", "MU", "MX", "MZ", "NZ", "NO", "PA", "QA", "SG", "LK", "SZ", "CH", "TZ",
          "TG", "TR", "UA", "GB", "US", "UZ", "VE", "VN"]
OPERATOR_ROLES = {"mine": ROLE["producer"] | ROLE["exporter"], "exporter": ROLE["exporter"] | ROLE["trader"],
                  "importer": ROLE["importer"] | ROLE["trader"] | ROLE["exporter"],
                  "cutter": ROLE["importer"] | ROLE["manufacturer"]}
OFFICER_SHARE = 4  # flows per authority officer
SETUP_TXS_PER_BLOCK = 400
GOAL_YEAR_S = 3600.0
GOAL_QUICK_S = 120.0
CONTRACT_KEYS = {"KPLedger": "ledger", "KPCertificates": "certificates", "KPRegistry": "registry"}


@dataclass(frozen=True)
class Size:
    """How much of a year to load, under which wall-time cap, against which goal (None: extrapolated only)."""

    label: str
    fraction: float
    limit_s: float
    goal_s: float | None


QUICK = Size("quick", 1 / 200, 300.0, GOAL_QUICK_S)
MIDDLE = Size("middle", 1 / 20, 1_800.0, None)
YEAR = Size("year", 1.0, GOAL_YEAR_S * 1.1, GOAL_YEAR_S)


# ---------------------------------------------------------------- actors


@dataclass(eq=False)
class Actor:
    """One signing key (an operator or an authority officer); its requests go one at a time, in nonce order."""

    secret: bytes
    key: PrivateKey
    address: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    nonces: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CONTRACT_KEYS, 0))


def world_key(index: int) -> bytes:
    """A deterministic private key (far faster than HD derivation for thousands of keys)."""
    return keccak(b"kp-world-" + index.to_bytes(4, "big"))


def new_actor(index: int) -> Actor:
    key = world_key(index)
    return Actor(key, PrivateKey(key), address_of(key))


@dataclass
class Desk:
    """One flow's own signers: its mine and exporter (producer country), importer (hub), cutter, and officers."""

    src: str
    hub: str
    cut: str
    mine: Actor
    exporter: Actor
    importer: Actor
    cutter: Actor
    officers: dict[str, Actor]  # country -> this flow's officer at its authority


def desks(flows: int) -> list[Desk]:
    """Every flow's desk; an officer serves OFFICER_SHARE flows (1 or 2 of a flow's ~17 writes are an officer's)."""
    out: list[Desk] = []
    index = 0
    officers: dict[tuple[str, int], Actor] = {}
    seen: dict[str, int] = {}

    def actor() -> Actor:
        nonlocal index
        index += 1
        return new_actor(index)

    def officer(code: str) -> Actor:
        k = seen.get(code, 0)
        seen[code] = k + 1
        key = (code, k // OFFICER_SHARE)
        if key not in officers:
            officers[key] = actor()
        return officers[key]

    for w in range(flows):
        src, hub, cut = PRODUCERS[w % len(PRODUCERS)], HUBS[w % len(HUBS)], CUTTERS[(w // 10) % len(CUTTERS)]
        out.append(Desk(src, hub, cut, actor(), actor(), actor(), actor(),
                        officers={src: officer(src), hub: officer(hub), cut: officer(cut)}))
    return out


# ---------------------------------------------------------------- setup, direct to the chain


def _call(signer: Signer, to: str, signature: str, types: list[str], args: list[Any]) -> RawTx:
    data = function_signature_to_4byte_selector(signature) + abi.encode(types, args)
    return signer.sign(to, data, gas=1_000_000)


def _packed(chain: LocalChain, txs: list[RawTx]) -> None:
    """Sends direct transactions SETUP_TXS_PER_BLOCK to a block (automine off, evm_mine) and checks them all."""
    chain.call("evm_setAutomine", [False])
    try:
        chain.send_packed(txs, SETUP_TXS_PER_BLOCK)
    finally:
        chain.call("evm_setAutomine", [True])


def setup(chain: LocalChain, table: list[Desk]) -> None:
    """Admits ~60 participants, appoints every desk's officers and licenses every desk's operators."""
    registry = chain.deployment["registry"]
    trading = [*PRODUCERS, *HUBS, *CUTTERS]
    registrars = {code: Signer(world_key(1_000_000 + i)) for i, code in enumerate(trading + OTHERS)}
    chain.fund(s.address for s in registrars.values())
    gov = chain.governance
    txs = [_call(gov, registry, "admitParticipant(string,string)", ["string", "string"], [c, c])
           for c in trading + OTHERS]
    officers = [(c, s.address) for c, s in registrars.items()]
    officers += list(dict.fromkeys((c, a.address) for d in table for c, a in d.officers.items()))  # shared ones once
    txs += [_call(gov, registry, "appointAuthority(string,address,string)", ["string", "address", "string"],
                  [c, a, f"{c} authority"]) for c, a in officers]
    licences = [(d.src, d.mine, "mine") for d in table] + [(d.src, d.exporter, "exporter") for d in table]
    licences += [(d.hub, d.importer, "importer") for d in table] + [(d.cut, d.cutter, "cutter") for d in table]
    _packed(chain, txs)  # mined before the licences: a block orders different senders' transactions freely
    _packed(chain, [_call(registrars[c], registry, "licenseOperator(address,uint8,string,string,string)",
                          ["address", "uint8", "string", "string", "string"],
                          [a.address, OPERATOR_ROLES[role], f"{c} {role} {a.address[2:8]}", f"{c}-{a.address[2:8]}",
                           ""])
                    for c, a, role in licences])
