"""World scale: a synthetic year of KP trade loaded through the real write path (HTTP API -> relayer -> chain).

A year (DOMAIN.md): ~60 participants, ~100,000 certificates, several hundred thousand hand-offs, splits and
merges at the hubs. Each export: a mine registers and sorts (split) run-of-mine, hands two parcels to an
exporter, who seals them; the authority certifies; the hub importer accepts; the importing authority
confirms; the importer opens. Every second import at a hub is merged with an earlier import of another
flow (mixed origin), split, and half is re-exported on a new certificate to a cutting centre: 1.5
certificates and about 17 writes per export.

The load is `flows` concurrent flows, each a chain of dependent writes (each waits until mined). The relayer
answers a signer's requests one at a time, so every flow has its own desk: a mine, an exporter, a hub importer
and a cutter (licensed operators), and an officer (shared by OFFICER_SHARE flows) at each of the three
authorities it deals with. Setup
(participants, officers, licences) is written directly to the chain, packed into few blocks; the trade goes
through the API, signed with coincurve over `kpledger.eip712.digest` and posted with aiohttp (the load
generator shares the CPU with the backend and the chain, so it has to be lean).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
import uvloop
from coincurve import PrivateKey
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, keccak

from bench.common import (
    GEM,
    ROLE,
    UNSORTED,
    LocalChain,
    RawTx,
    Result,
    Server,
    Signer,
    address_of,
    cpu_seconds,
    dir_size_mb,
    log,
    memory_total_mb,
    sha,
    vm_hwm_mb,
)
from kpledger import eip712
from kpledger.core.actions import ACTIONS
from kpledger.eip712 import sign_intent
from kpledger.localnet import stop

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
FLOWS = 2_400  # concurrent flows for a year: about a third of them wait in each block (1,600 flows: ~510 calls)
OFFICER_SHARE = 4  # flows per authority officer
GAS_LIMIT = 4_000_000_000  # anvil's block gas limit: a batch of hundreds of calls must fit
# anvil refuses a JSON-RPC body over 2 MiB: the relayer also cuts a batch at KP_BATCH_MAX_BYTES (900 KB of encoded
# calldata, 1.8 MB in hex)
BATCH_CAP = 800
BATCH_ENV = {"KP_BATCH_MAX_CALLS": str(BATCH_CAP), "KP_BATCH_GAS": "2000000000"}
SETUP_TXS_PER_BLOCK = 400
DUMP_TIMEOUT_S = 900.0  # anvil writes a year's state (~10 GB of JSON) on exit
YEAR_DISK_GB = 16.0  # a year's DB (~4.4 GB) and anvil state dump (~10 GB), from 1/5 of a year: 0.9 + 2.0 GB
BLOCK_S = 0  # seconds between blocks during the load; 0: automine (a block per batch transaction)
GOAL_YEAR_S = 3600.0
GOAL_QUICK_S = 120.0
SAMPLE_S = 2.0  # progress sampling period
EDGE = 0.2  # the start and end rates: the first and last 20% of the load (before flows run out of exports)
RETRIES = 2  # re-posts of the same signed body after a dropped keep-alive connection
MEMORY_MB = memory_total_mb()
MAX_ANVIL_SHARE = 0.6  # stop the load before anvil (its whole chain in memory) takes the shared machine's memory
KEEPALIVE_S = 3.0  # below uvicorn's 5 s keep-alive timeout, so the client closes idle connections first
DAY = 86_400
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


class Sample(NamedTuple):
    t: float  # seconds since the load started
    writes: int
    head: int  # chain head
    server_cpu: float  # CPU seconds used so far by the backend and by anvil
    anvil_cpu: float


class Stopped(Exception):
    """The wall-time cap was reached: the flow stops before its next write (not an error)."""


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
    data = function_signature_to_4byte_selector(signature) + abi_encode(types, args)
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


# ---------------------------------------------------------------- the trade, through the API


class World:
    def __init__(self, chain: LocalChain, table: list[Desk], limit_s: float):
        self.chain = chain
        self.table = table
        self.limit_s = limit_s
        self.chain_id: int = chain.deployment["chainId"]
        self.verifying = {c: chain.deployment[k] for c, k in CONTRACT_KEYS.items()}
        self.url = ""
        self.writes = 0
        self.handoffs = 0
        self.certificates = 0
        self.exports_done = 0
        self.parcels = 0
        self.errors: list[str] = []
        self.retries = 0
        self.stopped = False
        self.stop_reason = ""
        self.arrivals: dict[str, int] = dict.fromkeys(HUBS, 0)
        self.pools: dict[str, deque[tuple[int, Actor, str]]] = {h: deque() for h in HUBS}
        self.samples: list[Sample] = []
        self.pids: tuple[int, int] = (0, 0)  # the backend's and anvil's, for CPU time
        self.http: aiohttp.ClientSession | None = None
        self.started = 0.0
        self.exhausted_at: float | None = None  # when no export was left to start (or the cap stopped the flows)

    def body(self, actor: Actor, action: str, message: dict[str, Any]) -> dict[str, Any]:
        """A signed request body: EIP-712 digest computed directly, signed with coincurve (v = recid + 27)."""
        contract = ACTIONS[action].contract
        nonce, deadline = actor.nonces[contract], int(time.time()) + 3600
        digest = eip712.digest(action, message, actor.address, nonce, deadline, chain_id=self.chain_id,
                               verifying_contract=self.verifying[contract])
        sig = actor.key.sign_recoverable(digest, hasher=None)
        return {"message": message, "signer": actor.address, "nonce": nonce, "deadline": deadline,
                "signature": "0x" + sig[:64].hex() + f"{sig[64] + 27:02x}"}

    def check_signing(self) -> None:
        """The fast signature must be eth_account's (kpledger.eip712.sign_intent) bit for bit."""
        actor, doc = self.table[0].mine, sha("check")
        child = {"points": 1, "stones": 1, "hsCode": GEM, "documentHash": doc}
        for action, message in (
                ("RegisterParcel", {"points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": doc}),
                ("SplitParcel", {"parcelId": 1, "children": [child, child]}),
                ("OfferCustody", {"lotId": 1, "recipient": actor.address.lower(), "sealId": doc}),
                ("IssueCertificate", {"number": "BW1", "importer": "EU", "importerAccount": actor.address,
                                      "consignmentId": 1, "points": 1, "parcelCount": 1, "hsCodes": [GEM],
                                      "origins": ["BW", "RU"], "issuedAt": 1, "expiresAt": 2, "documentHash": doc,
                                      "replaces": ""})):
            fast = self.body(actor, action, message)
            slow = sign_intent(actor.secret, action, message, chain_id=self.chain_id,
                               verifying_contract=self.verifying[ACTIONS[action].contract], nonce=fast["nonce"],
                               deadline=fast["deadline"])
            if slow.signer != actor.address or "0x" + slow.signature.hex() != fast["signature"]:
                raise RuntimeError(f"fast EIP-712 signing of {action} disagrees with kpledger.eip712.sign_intent")

    async def write(self, actor: Actor, action: str, message: dict[str, Any]) -> dict[str, Any]:
        assert self.http is not None
        contract = ACTIONS[action].contract
        async with actor.lock:  # one signer's requests in nonce order
            if self.stopped:
                raise Stopped
            path = ACTIONS[action].path_for(message)
            body = self.body(actor, action, message)
            for attempt in range(RETRIES + 1):
                try:
                    async with self.http.post(self.url + path, json=body) as response:
                        status, text = response.status, await response.text()
                    break
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                    # a keep-alive connection the server closed as we reused it: the same signed body again is
                    # safe (the relayer answers a request it journaled from the journal, never runs it twice)
                    if attempt == RETRIES:
                        raise
                    self.retries += 1
            if status != 200:
                raise RuntimeError(f"{action}: {status} {text[:300]}")
            actor.nonces[contract] += 1
        self.writes += 1
        return json.loads(text)["result"]

    async def handoff(self, lot: int, sender: Actor, recipient: Actor, seal: str) -> None:
        await self.write(sender, "OfferCustody", {"lotId": lot, "recipient": recipient.address, "sealId": seal})
        await self.write(recipient, "AcceptCustody", {"lotId": lot, "sealId": seal})
        self.handoffs += 1

    async def ship(self, parcels: list[int], points: int, origins: list[str], exporter: Actor, src: str,
                   dst: str, importer: Actor, desk: Desk) -> None:
        seal = sha(f"seal {exporter.address} {parcels}")
        cid = (await self.write(exporter, "SealConsignment", {"parcelIds": sorted(parcels), "sealId": seal})
               )["consignment_id"]
        number = f"{src}{cid:08d}"
        now = int(time.time())
        await self.write(desk.officers[src], "IssueCertificate", {
            "number": number, "importer": dst, "importerAccount": importer.address, "consignmentId": cid,
            "points": points, "parcelCount": len(parcels), "hsCodes": [GEM], "origins": sorted(origins),
            "issuedAt": now - 60, "expiresAt": now + 30 * DAY, "documentHash": sha(f"certificate {number}"),
            "replaces": ""})
        self.certificates += 1
        await self.handoff(cid, exporter, importer, seal)
        await self.write(desk.officers[dst], "ConfirmImport", {"number": number})
        await self.write(importer, "OpenConsignment", {"consignmentId": cid})

    async def export(self, desk: Desk, n: int) -> None:
        src, hub = desk.src, desk.hub
        rom = (await self.write(desk.mine, "RegisterParcel", {
            "points": 40_000, "stones": 100, "hsCode": UNSORTED, "origin": src, "documentHash": sha(f"rom {n}")})
               )["parcel_id"]
        kids = (await self.write(desk.mine, "SplitParcel", {"parcelId": rom, "children": [
            {"points": 10_000, "stones": 25, "hsCode": GEM, "documentHash": sha(f"sort {n} {k}")} for k in range(4)]})
                )["child_ids"]
        self.parcels += 5
        for kid in kids[:2]:
            await self.handoff(kid, desk.mine, desk.exporter, sha(f"bag {kid}"))
        await self.ship(kids[:2], 20_000, [src], desk.exporter, src, hub, desk.importer, desk)
        self.arrivals[hub] += 1
        pool = self.pools[hub]
        if self.arrivals[hub] % 2 == 1 or not pool:  # every second import at a hub is traded on
            pool.extend((k, desk.importer, src) for k in kids[:2])
        else:
            pool.append((kids[1], desk.importer, src))
            await self.hub_trade(desk, kids[0], pool.popleft(), n)
        self.exports_done += 1

    async def hub_trade(self, desk: Desk, own: int, other: tuple[int, Actor, str], n: int) -> None:
        """Merges one of this import's parcels with an earlier import (mixed origin), splits, re-exports half."""
        lot, holder, origin = other
        if holder is not desk.importer:
            await self.handoff(lot, holder, desk.importer, sha(f"bag {lot}"))
        mixed = (await self.write(desk.importer, "MergeParcels", {"parcelIds": sorted([own, lot]),
                                                                   "documentHash": sha(f"mix {n}")}))["parcel_id"]
        parts = (await self.write(desk.importer, "SplitParcel", {"parcelId": mixed, "children": [
            {"points": 10_000, "stones": 25, "hsCode": GEM, "documentHash": sha(f"assort {n} {k}")}
            for k in range(2)]}))["child_ids"]
        self.parcels += 3
        await self.ship([parts[0]], 10_000, sorted({desk.src, origin}), desk.importer, desk.hub, desk.cut,
                        desk.cutter, desk)

    async def monitor(self) -> None:
        """Samples (time, writes, chain head) every SAMPLE_S; logs progress every 30 s; raises the stop flag."""
        assert self.http is not None
        last_log = 0.0
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        head = 0
        while True:
            try:
                async with self.http.post(self.chain.url, json=body) as response:
                    head = int((await response.json())["result"], 16)
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:  # the cap must still apply
                log(f"world: chain head not read ({type(exc).__name__}); keeping {head}")
            now = time.perf_counter() - self.started
            self.samples.append(self.sample(now, head))
            anvil_mb = vm_hwm_mb(self.pids[1]) or 0.0
            if not self.stopped and (now >= self.limit_s or anvil_mb > MAX_ANVIL_SHARE * MEMORY_MB):
                self.stopped, self.exhausted_at = True, self.exhausted_at or now
                self.stop_reason = (f"the {self.limit_s:.0f} s cap" if now >= self.limit_s else
                                    f"anvil's memory ({anvil_mb / 1024:.1f} GB)")
                log(f"world: {self.stop_reason} reached: stopping the flows")
            if now - last_log >= 30:
                last_log = now
                t0, w0, h0, _s, _a = self.samples[max(0, len(self.samples) - 16)]
                log(f"world: {now:5.0f} s  {self.writes:,} writes  {self.certificates:,} certificates  "
                    f"{(self.writes - w0) / max(now - t0, 1e-9):.0f} writes/s  "
                    f"{(self.writes - w0) / max(head - h0, 1):.0f} calls/block  anvil {anvil_mb / 1024:.1f} GB  "
                    f"errors {len(self.errors)}")
            await asyncio.sleep(SAMPLE_S)

    async def run(self, exports: int) -> None:
        connector = aiohttp.TCPConnector(limit=len(self.table) + 8, keepalive_timeout=KEEPALIVE_S)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as self.http:
            queue = iter(range(exports))

            async def flow(desk: Desk) -> None:
                for n in queue:
                    if self.stopped:
                        return
                    try:
                        await self.export(desk, n)
                    except Stopped:
                        return
                    except Exception as exc:  # counted and reported: a broken flow must not stop the load
                        self.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
                if self.exhausted_at is None:  # no export left to start: from now on fewer flows are busy
                    self.exhausted_at = time.perf_counter() - self.started

            self.started = time.perf_counter()
            monitor = asyncio.create_task(self.monitor())
            await asyncio.gather(*(flow(d) for d in self.table))
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
            self.samples.append(self.sample(time.perf_counter() - self.started, self.chain.head()))

    def sample(self, now: float, head: int) -> Sample:
        return Sample(now, self.writes, head, cpu_seconds(self.pids[0]) or 0.0, cpu_seconds(self.pids[1]) or 0.0)


# ---------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Window:
    a: Sample
    b: Sample

    @property
    def seconds(self) -> float:
        return self.b.t - self.a.t

    @property
    def writes(self) -> int:
        return self.b.writes - self.a.writes

    @property
    def rate(self) -> float:
        return self.writes / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, float]:
        writes, blocks = max(self.writes, 1), max(self.b.head - self.a.head, 1)
        return {"seconds": round(self.seconds, 1), "writes_per_s": round(self.rate, 1),
                "calls_per_block": round(self.writes / blocks, 1), "s_per_block": round(self.seconds / blocks, 3),
                "server_cpu_ms_per_write": round((self.b.server_cpu - self.a.server_cpu) / writes * 1000, 2),
                "anvil_cpu_ms_per_write": round((self.b.anvil_cpu - self.a.anvil_cpu) / writes * 1000, 2)}


def window(samples: list[Sample], start: float, end: float) -> Window:
    """The samples nearest to `start` and `end` (seconds since the load started)."""
    return Window(min(samples, key=lambda s: abs(s.t - start)), min(samples, key=lambda s: abs(s.t - end)))


def profile(samples: list[Sample], until: float, parts: int = 10) -> list[dict[str, float]]:
    """The load in `parts` equal windows of [0, until]: writes done at each window's end, then its figures."""
    return [{"writes_done": w.b.writes, **w.summary()}
            for w in (window(samples, until * i / parts, until * (i + 1) / parts) for i in range(parts))]


def year_model(year_writes: float, parcels_per_write: float, rate: float, block_ms: tuple[float, float],
               parcels: int, exec_ms: float, calls: float) -> float:
    """Seconds to load a year: every write at `rate` (this run's end rate: the backend's pace), or at the chain's
    pace where that is slower: `calls` per block, a block costing anvil's empty-block time (linear in the parcels
    stored, through the two measured points) plus `exec_ms` per call."""
    slope = max(block_ms[1] - block_ms[0], 0.0) / max(parcels, 1)
    steps, total = 200, 0.0
    for i in range(steps):
        stored = parcels_per_write * year_writes * (i + 0.5) / steps
        cycle_s = (block_ms[0] + slope * stored + calls * exec_ms) / 1000
        total += year_writes / steps / min(rate, calls / cycle_s)
    return total


def empty_block_ms(chain: LocalChain, count: int = 5) -> float:
    """Median time anvil takes to mine an empty block at the current state size (it rebuilds the state trie)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        chain.call("evm_mine")
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[count // 2]


# ---------------------------------------------------------------- the section


def run(work: Path, size: Size, year_flows: int | None = None, limit_s: float | None = None,
        block_s: int | None = None) -> list[Result]:
    """Loads `size`; `year_flows` concurrent flows (default FLOWS), at most a quarter of the exports so that
    every flow runs several exports and the load reaches a steady state; a block every `block_s` seconds
    (default BLOCK_S; 0: anvil's automine, a block per transaction)."""
    block_s = BLOCK_S if block_s is None else block_s
    certificates = round(YEAR_CERTIFICATES * size.fraction)
    exports = max(8, round(certificates / CERTIFICATES_PER_EXPORT))
    flows = max(1, min(year_flows or FLOWS, exports // 4))
    limit = limit_s if limit_s is not None else size.limit_s
    check_disk(work, size.fraction)
    chain = LocalChain(work / "world", gas_limit=GAS_LIMIT)
    server: Server | None = None
    try:
        t0 = time.perf_counter()
        table = desks(flows)
        setup(chain, table)
        world = World(chain, table, limit)
        world.check_signing()
        block_ms0 = empty_block_ms(chain)
        if block_s:
            chain.call("evm_setAutomine", [False])
            chain.call("evm_setIntervalMining", [block_s])
        server = Server(chain.url, chain.data_dir, env=BATCH_ENV)
        world.url = server.url
        world.pids = (server.pid, chain.process.pid)
        signers = len({a.address for d in table for a in (d.mine, d.exporter, d.importer, d.cutter,
                                                           *d.officers.values())})
        log(f"world: set up {signers:,} signers in {time.perf_counter() - t0:.0f} s; loading {exports:,} "
            f"exports (~{certificates:,} certificates, {fraction_text(size.fraction)}) with {flows} flows, "
            f"cap {limit:.0f} s, {f'a block every {block_s} s' if block_s else 'automine'}")
        head0 = chain.head()
        cpu0 = cpu_now(server, chain)
        started = time.perf_counter()
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # the backend's loop too: less CPU
            runner.run(world.run(exports))
        load_s = time.perf_counter() - started
        head = chain.head()
        server.wait_indexed(head)
        wall = time.perf_counter() - started
        cpu = {k: round(v - cpu0[k], 1) for k, v in cpu_now(server, chain).items()}
        memory = vm_hwm_mb(server.pid)
        anvil_mb = vm_hwm_mb(chain.process.pid)
        server.close()
        server = None
        block_ms = (block_ms0, empty_block_ms(chain))
        db_mb = sum(p.stat().st_size for p in chain.data_dir.glob("kp.db*")) / 2**20
        stop(chain.process, timeout=DUMP_TIMEOUT_S)  # anvil dumps its state on exit: the chain's size
        chain.close()
        chain_mb = dir_size_mb(chain.data_dir, "anvil-state.json") if chain.process.returncode == 0 else None
        measured = Measured(wall, load_s, head - head0, block_ms, memory, anvil_mb, db_mb, chain_mb, cpu)
        return report(size, world, exports, flows, limit, measured, year_flows or FLOWS)
    finally:
        if server is not None:
            server.close()
        chain.close()


def check_disk(work: Path, fraction: float) -> None:
    """Refuses to start a load whose database and chain dump would not fit on the disk (found at the end)."""
    need, free = fraction * YEAR_DISK_GB * 2**30, shutil.disk_usage(work).free
    if free < need:
        raise RuntimeError(f"{fraction_text(fraction)} needs about {need / 2**30:.1f} GB of disk in {work} (the DB and "
                           f"anvil's state dump), {free / 2**30:.1f} GB free")


def cpu_now(server: Server, chain: LocalChain) -> dict[str, float]:
    return {"server": cpu_seconds(server.pid) or 0.0, "anvil": cpu_seconds(chain.process.pid) or 0.0,
            "load_generator": time.process_time()}


@dataclass(frozen=True)
class Measured:
    wall: float  # load + index catch-up
    load_s: float
    blocks: int
    block_ms: tuple[float, float]  # an empty block before / after the load
    memory: float | None  # the backend's peak RSS
    anvil_mb: float | None  # anvil's peak RSS
    db_mb: float
    chain_mb: float | None
    cpu: dict[str, float]  # CPU seconds during the load, per process


def fraction_text(fraction: float) -> str:
    return "a year" if fraction >= 1 else f"1/{round(1 / fraction)} of a year"


def report(size: Size, world: World, exports: int, flows: int, limit: float, m: Measured,
           year_flows: int) -> list[Result]:
    """The load's figures, its rate at the start and the end, and the year extrapolated."""
    samples = world.samples
    steady = world.exhausted_at or m.load_s  # after that, flows run out of exports: the drain
    share = max(SAMPLE_S * 2, steady * EDGE)
    first, last = window(samples, 0, share), window(samples, max(0.0, steady - share), steady)
    done = world.certificates / YEAR_CERTIFICATES
    finished = not world.stopped
    year_writes = world.writes / max(world.certificates, 1) * YEAR_CERTIFICATES
    calls_per_block = world.writes / max(m.blocks, 1)
    start, end = first.summary(), last.summary()
    # the year at this run's end rate (the chain's growth ignored: a lower bound), and with the chain's growth
    calls = min(BATCH_CAP, year_flows / 3)  # about a third of the flows have a request in any one block (measured)
    flat_s = year_writes / max(last.rate, 1e-9)
    model_s = year_model(year_writes, world.parcels / max(world.writes, 1), last.rate, m.block_ms, world.parcels,
                         start["anvil_cpu_ms_per_write"], calls)
    details = {
        "size": size.label, "fraction_of_year": round(size.fraction, 5), "exports_planned": exports,
        "exports_done": world.exports_done, "certificates": world.certificates, "loaded_fraction_of_year": done,
        "writes": world.writes, "handoffs": world.handoffs, "parcels": world.parcels, "errors": len(world.errors),
        "retries": world.retries, "first_errors": world.errors[:3], "finished": finished,
        "stop_reason": world.stop_reason, "cap_s": limit,
        "load_s": round(m.load_s, 1), "index_catch_up_s": round(m.wall - m.load_s, 1),
        "writes_per_s": round(world.writes / m.wall, 1), "steady_s": round(steady, 1), "rate_start": start,
        "rate_end": end, "blocks": m.blocks, "calls_per_block": round(calls_per_block, 1),
        "empty_block_ms": [round(x, 1) for x in m.block_ms], "chain_state_mb": m.chain_mb and round(m.chain_mb, 1),
        "db_mb": round(m.db_mb, 1), "backend_peak_rss_mb": m.memory,
        "anvil_peak_rss_mb": m.anvil_mb, "cpu_s": m.cpu, "concurrent_flows": flows,
        "year_writes": round(year_writes), "year_handoffs": round(world.handoffs / max(done, 1e-9)),
        "profile": profile(samples, steady)}
    log(f"world: {world.writes:,} writes in {m.wall:.0f} s; rate start {first.rate:.0f}/s, end {last.rate:.0f}/s; "
        f"{m.blocks} blocks, {calls_per_block:.0f} calls/block; cpu s {m.cpu}; errors {len(world.errors)}")
    rates = f"start {first.rate:.0f}/s, end {last.rate:.0f}/s"
    planned = world.certificates / max(size.fraction * YEAR_CERTIFICATES, 1)
    stopped = "" if finished else f": STOPPED by {world.stop_reason} with {planned:.1%} loaded"
    goal = size.goal_s
    results = [Result("world", f"load {fraction_text(size.fraction)} through the API ({flows} flows; "
                      f"{rates}){stopped}", m.wall, "s", None, "", f"<= {goal:.0f} s" if goal else "",
                      (finished and not world.errors and m.wall <= goal) if goal else None, details)]
    if size.fraction >= 1 and finished:
        return results
    return [
        *results,
        Result("world", f"full year (EXTRAPOLATED from the end rate: {flat_s:,.0f} s flat, {model_s:,.0f} s with "
               f"the chain's growth at {year_flows} flows)", model_s, "s", None, "", f"<= {GOAL_YEAR_S:.0f} s",
               None,  # an extrapolation is not a measurement: no verdict (run --world-full for one)
               {"extrapolated": True, "year_writes": round(year_writes), "writes_per_s": round(last.rate, 1),
                "flat_s": round(flat_s), "model_s": round(model_s), "model_calls_per_block": calls,
                "year_parcels": round(world.parcels / max(done, 1e-9))})]
