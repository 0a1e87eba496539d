"""World scale: a synthetic year of KP trade loaded through the real write path (HTTP API -> relayer -> chain).

A year (DOMAIN.md): ~60 participants, ~100,000 certificates, several hundred thousand hand-offs, splits and
merges at the hubs. Each export: a mine registers and sorts (split) run-of-mine, hands two parcels to an
exporter, who seals them; the authority certifies; the hub importer accepts; the importing authority
confirms; the importer opens. Every second import at a hub is merged with another (mixed origin), split,
and half is re-exported on a new certificate to a cutting centre. Setup (participants, authorities,
licences) is written directly to the chain; the trade goes through the API.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import GEM, ROLE, UNSORTED, LocalChain, Result, Server, Signer, dev_key, log, sha
from kpledger.client import PATHS
from kpledger.intents import INTENTS, sign_intent

YEAR_CERTIFICATES = 100_000
PRODUCERS = ["BW", "RU", "CA", "AO", "ZA", "CD", "NA", "ZW", "AU", "SL"]
HUBS = ["EU", "AE", "IL"]
CUTTERS = ["IN", "CN", "TH"]
CONCURRENCY = 48
GOAL_YEAR_S = 3600.0
GOAL_QUICK_S = 120.0
DAY = 86_400


@dataclass
class Actor:
    key: bytes
    address: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    nonces: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class World:
    def __init__(self, chain: LocalChain, url: str):
        self.chain = chain
        self.url = url
        self.rng = random.Random(5)
        self.writes = 0
        self.handoffs = 0
        self.certificates = 0
        self.errors: list[str] = []
        self.actors: dict[str, Actor] = {}
        self.pools: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.hub_locks: dict[str, asyncio.Lock] = {}
        self.http: httpx.AsyncClient | None = None

    # ------------------------------------------------------------ setup (direct to the chain)

    def setup(self) -> None:
        codes = [*PRODUCERS, *HUBS, *CUTTERS]
        others = ["AM", "BD", "BY", "BR", "KH", "CM", "CF", "CI", "CG", "GA", "GH", "GN", "GY", "ID", "JP", "KZ",
                  "KR", "KG", "LA", "LB", "LS", "LR", "MY", "ML", "MU", "MX", "MZ", "NZ", "NO", "PA", "QA", "SG",
                  "LK", "SZ", "CH", "TZ", "TG", "TR", "UA", "GB", "US", "UZ", "VE", "VN"]
        index = 200
        authorities: dict[str, Signer] = {}
        for code in codes + others:
            authorities[code] = Signer(dev_key(index))
            self.actors[f"{code}-authority"] = Actor(dev_key(index), authorities[code].address)
            index += 1
        self.chain.fund(a.address for a in authorities.values())
        self.chain.admit({c: c for c in codes + others})
        self.chain.appoint({c: s.address for c, s in authorities.items()})
        roles = {"producer": ROLE["producer"] | ROLE["exporter"], "exporter": ROLE["exporter"] | ROLE["trader"],
                 "importer": ROLE["importer"] | ROLE["trader"] | ROLE["exporter"],
                 "cutter": ROLE["importer"] | ROLE["manufacturer"]}
        plan = [(c, "producer", 3) for c in PRODUCERS] + [(c, "exporter", 3) for c in PRODUCERS]
        plan += [(c, "importer", 6) for c in HUBS] + [(c, "cutter", 3) for c in CUTTERS]
        for code, role, count in plan:
            keys = [dev_key(index + i) for i in range(count)]
            index += count
            for i, k in enumerate(keys):
                self.actors[f"{code}-{role}-{i}"] = Actor(k, Signer(k).address)
            self.chain.license(authorities[code], [Signer(k).address for k in keys], roles[role])
        self.hub_locks = {h: asyncio.Lock() for h in HUBS}

    # ------------------------------------------------------------ one write through the API

    async def write(self, who: str, action: str, message: dict[str, Any]) -> dict[str, Any]:
        actor = self.actors[who]
        contract = INTENTS[action].contract
        assert self.http is not None
        async with actor.lock:  # one signer's requests in nonce order
            nonce = actor.nonces[contract]
            deadline = int(time.time()) + 3600
            signed = sign_intent(actor.key, action, message, chain_id=self.chain.deployment["chainId"],
                                 verifying_contract=self.chain.deployment[
                                     {"KPLedger": "ledger", "KPCertificates": "certificates",
                                      "KPRegistry": "registry"}[contract]], nonce=nonce, deadline=deadline)
            body = {"message": message, "signer": signed.signer, "nonce": nonce, "deadline": deadline,
                    "signature": "0x" + signed.signature.hex()}
            path = PATHS[action].format(**{k: str(v) for k, v in message.items()})
            response = await self.http.post(path, json=body)
            if response.status_code != 200:
                raise RuntimeError(f"{action} by {who}: {response.status_code} {response.text[:300]}")
            actor.nonces[contract] += 1
        self.writes += 1
        return response.json()["result"]

    async def handoff(self, lot: int, sender: str, recipient: str, seal: str) -> None:
        await self.write(sender, "OfferCustody", {"lotId": lot, "recipient": self.actors[recipient].address,
                                                  "sealId": seal})
        await self.write(recipient, "AcceptCustody", {"lotId": lot, "sealId": seal})
        self.handoffs += 1

    async def ship(self, parcels: list[int], points: int, origins: list[str], exporter: str, src: str, dst: str,
                   importer: str) -> int:
        seal = sha(f"seal {exporter} {parcels}")
        cid = (await self.write(exporter, "SealConsignment", {"parcelIds": sorted(parcels), "sealId": seal})
               )["consignment_id"]
        self.certificates += 1
        number = f"{src}{self.certificates:07d}"
        now = int(time.time())
        await self.write(f"{src}-authority", "IssueCertificate", {
            "number": number, "importer": dst, "consignmentId": cid, "points": points, "parcelCount": len(parcels),
            "hsCodes": [GEM], "origins": origins, "issuedAt": now - 60, "expiresAt": now + 30 * DAY,
            "documentHash": sha(f"certificate {number}")})
        await self.handoff(cid, exporter, importer, seal)
        await self.write(f"{dst}-authority", "ConfirmImport", {"number": number})
        await self.write(importer, "OpenConsignment", {"consignmentId": cid})
        return cid

    async def export(self, n: int) -> None:
        src, hub = PRODUCERS[n % len(PRODUCERS)], self.rng.choice(HUBS)
        mine, exporter = f"{src}-producer-{n % 3}", f"{src}-exporter-{n % 3}"
        importer = f"{hub}-importer-{self.rng.randrange(6)}"
        rom = (await self.write(mine, "RegisterParcel", {"points": 40_000, "stones": 100, "hsCode": UNSORTED,
                                                         "origin": src, "documentHash": sha(f"rom {n}")}))["parcel_id"]
        kids = (await self.write(mine, "SplitParcel", {"parcelId": rom, "children": [
            {"points": 10_000, "stones": 25, "hsCode": GEM, "documentHash": sha(f"sort {n} {k}")} for k in range(4)]})
                )["child_ids"]
        for kid in kids[:2]:
            await self.handoff(kid, mine, exporter, sha(f"bag {kid}"))
        await self.ship(kids[:2], 20_000, [src], exporter, src, hub, importer)
        async with self.hub_locks[hub]:
            self.pools[hub].extend((k, importer) for k in kids[:2])
            if len(self.pools[hub]) < 4:
                return
            (a, holder), (b, other) = self.pools[hub].pop(0), self.pools[hub].pop(0)
        await self.hub_trade(hub, a, holder, b, other, n)

    async def hub_trade(self, hub: str, a: int, holder: str, b: int, other: str, n: int) -> None:
        if other != holder:
            await self.handoff(b, other, holder, sha(f"bag {b}"))
        mixed = (await self.write(holder, "MergeParcels", {"parcelIds": sorted([a, b]),
                                                            "documentHash": sha(f"mix {n}")}))["parcel_id"]
        parts = (await self.write(holder, "SplitParcel", {"parcelId": mixed, "children": [
            {"points": 10_000, "stones": 25, "hsCode": GEM, "documentHash": sha(f"assort {n} {k}")}
            for k in range(2)]}))["child_ids"]
        origins = sorted({o for o in await self.origins(a, b)})
        dst = self.rng.choice(CUTTERS)
        await self.ship([parts[0]], 10_000, origins, holder, hub, dst, f"{dst}-cutter-{self.rng.randrange(3)}")

    async def origins(self, *parcels: int) -> list[str]:
        assert self.http is not None
        out: list[str] = []
        for p in parcels:
            out += (await self.http.get(f"/v1/parcels/{p}")).json()["origins"]
        return out

    async def run(self, exports: int) -> None:
        limits = httpx.Limits(max_connections=CONCURRENCY + 8, max_keepalive_connections=CONCURRENCY + 8)
        semaphore = asyncio.Semaphore(CONCURRENCY)
        async with httpx.AsyncClient(base_url=self.url, timeout=600, limits=limits) as self.http:

            async def one(n: int) -> None:
                async with semaphore:
                    try:
                        await self.export(n)
                    except Exception as exc:  # counted and reported: a broken flow must not stop the load
                        self.errors.append(str(exc)[:300])

            await asyncio.gather(*(one(n) for n in range(exports)))


def run(work: Path, full: bool, world_full: bool, write_rate: float | None) -> list[Result]:
    fraction = 1.0 if world_full else 1 / 2000
    certificates = int(YEAR_CERTIFICATES * fraction)
    exports = max(8, round(certificates / 1.5))  # every second import is re-exported: 1.5 certificates per export
    chain = LocalChain(work / "world")
    server: Server | None = None
    try:
        world = World(chain, "")
        world.setup()
        server = Server(chain)
        world.url = server.url
        log(f"world: loading {exports} exports (~{certificates} certificates, 1/{round(1 / fraction)} of a year)")
        started = time.perf_counter()
        asyncio.run(world.run(exports))
        head = chain.head()
        server.wait_indexed(head)
        wall = time.perf_counter() - started
        memory = server.peak_memory_mb()
        server.close()
        server = None
        db_mb = sum(p.stat().st_size for p in chain.data_dir.glob("kp.db*")) / 2**20
        chain.close()  # anvil dumps its state on exit: the chain's size
        rate = world.writes / wall
        year_writes = world.writes / fraction
        year_s = year_writes / rate
        details = {"fraction_of_year": fraction, "exports": exports, "certificates": world.certificates,
                   "writes": world.writes, "handoffs": world.handoffs, "errors": len(world.errors),
                   "first_errors": world.errors[:3], "writes_per_s": round(rate, 1), "blocks": head,
                   "chain_state_mb": round(chain.state_size_mb(), 1), "db_mb": round(db_mb, 1),
                   "backend_peak_rss_mb": memory, "concurrent_flows": CONCURRENCY,
                   "year_writes": round(year_writes), "year_handoffs": round(world.handoffs / fraction)}
        results = [Result("world", f"load 1/{round(1 / fraction)} of a year through the API", wall, "s", None, "",
                          f"<= {GOAL_QUICK_S:.0f} s" if not world_full else f"<= {GOAL_YEAR_S:.0f} s",
                          not world.errors and wall <= (GOAL_YEAR_S if world_full else GOAL_QUICK_S), details)]
        if not world_full:
            results.append(Result("world", "full year (EXTRAPOLATED: year writes / measured rate)", year_s, "s",
                                  None, "", f"<= {GOAL_YEAR_S:.0f} s", year_s <= GOAL_YEAR_S,
                                  {"extrapolated": True, "year_writes": round(year_writes),
                                   "writes_per_s": round(rate, 1)}))
        return results
    finally:
        if server is not None:
            server.close()
        chain.close()
