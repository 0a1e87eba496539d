"""Reads: provenance of deep-lineage parcels, certificate lookup and document verification over a large index.

The index is synthesised: realistic DecodedLog objects (export shipments to the hubs, hub merges and splits,
re-exports to the cutting centres, and a few parcels with deep lineage) are stored as `events` rows and fed
to the indexer's own Projector, as if a chain of that size had been indexed.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text

from bench.common import GEM, UNSORTED, LocalChain, Result, Server, log, percentile, sha, sqlite_database
from kpledger.chain.decoder import DecodedLog
from kpledger.core.constants import ZERO32
from kpledger.db import models as m
from kpledger.db.session import Database
from kpledger.indexer.projector import Projector
from kpledger.queries.certificates import get_certificate
from kpledger.queries.provenance import provenance
from kpledger.queries.verdicts import verdict

GOAL_MS = 20.0
PRODUCERS = ["BW", "RU", "CA", "AO", "ZA", "CD", "NA", "ZW", "AU", "SL", "LS", "TZ", "GN", "CF", "GH"]
HUBS = ["EU", "AE", "IL", "IN"]
CUTTERS = ["IN", "CN", "TH", "US"]
DEEP_ROUNDS = 25


@dataclass(frozen=True)
class Sizes:
    events: int
    deep: int
    samples: int


QUICK = Sizes(50_000, 10, 200)
FULL = Sizes(1_000_000, 20, 1_000)


def fake_address(label: str) -> str:
    from eth_utils import keccak, to_checksum_address

    return to_checksum_address(keccak(text=label)[-20:])


class Synth:
    """Emits DecodedLog objects in chain order: one transaction per block, as the embedded chain mines."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.block = 100
        self.log_index = 0
        self.ts = 1_700_000_000
        self.next_lot = 0
        self.certs = 0
        self.numbers: list[str] = []
        self.pools: dict[str, list[tuple[int, str]]] = {h: [] for h in HUBS}
        self.deep_current = 0
        self.origins: dict[int, list[str]] = {}
        self.points: dict[int, int] = {}

    def new_tx(self) -> None:
        self.block += 1
        self.log_index = 0
        self.ts += 12

    def ev(self, contract: str, event: str, **args: Any) -> DecodedLog:
        out = DecodedLog(contract, event, args, self.block, f"0x{self.block:064x}", self.ts,
                         "0x" + f"{self.block:032x}{self.log_index:032x}", self.log_index)
        self.log_index += 1
        return out

    def lot(self) -> int:
        self.next_lot += 1
        return self.next_lot

    @staticmethod
    def who(code: str, role: str, i: int = 0) -> str:
        return fake_address(f"{code}-{role}-{i}")

    def setup(self) -> Iterator[DecodedLog]:
        codes = sorted({*PRODUCERS, *HUBS, *CUTTERS, "BY", "BR", "KH", "CM", "GA", "GY", "ID", "JP", "KZ", "KR",
                        "KG", "LA", "LB", "LR", "MY", "ML", "MU", "MX", "MZ", "NZ", "NO", "PA", "QA", "SG", "LK",
                        "SZ", "CH", "TG", "TR", "UA", "GB", "UZ", "VE", "VN", "AM", "BD", "CI", "CG"})
        for index, code in enumerate(codes):
            self.new_tx()
            yield self.ev("KPRegistry", "ParticipantAdmitted", participant=code, index=index, name=code)
            for role, bits, n in (("authority", 1, 1), ("producer", 2 | 4, 3), ("trader", 4 | 8 | 16, 3),
                                  ("cutter", 8 | 32, 2)):
                for i in range(n):
                    self.new_tx()
                    yield self.ev("KPRegistry", "MemberRolesChanged", account=self.who(code, role, i),
                                  participant=code, roles=bits, by=self.who("gov", "x"))
                    # a public profile, as licensing gives one: the reads name every account they show
                    yield self.ev("KPRegistry", "MemberProfileChanged", account=self.who(code, role, i),
                                  participant=code, name=f"{code} {role} {i} Ltd", licenceNumber=f"{code}-{i}",
                                  registryRef="", by=self.who(code, "authority"))

    def register(self, code: str, holder: str) -> Iterator[DecodedLog]:
        pid, pts = self.lot(), self.rng.randrange(10_000, 500_000)
        self.origins[pid], self.points[pid] = [code], pts
        self.new_tx()
        yield self.ev("KPLedger", "ParcelRegistered", parcelId=pid, producer=holder, origin=code, points=pts,
                      stones=self.rng.randrange(1, 500), hsCode=UNSORTED, documentHash=sha(f"parcel {pid}"))

    def split(self, parent: int, holder: str, parts: int) -> Iterator[DecodedLog]:
        self.new_tx()
        each = self.points[parent] // parts
        for k in range(parts):
            cid = self.lot()
            pts = each if k < parts - 1 else self.points[parent] - each * (parts - 1)
            self.origins[cid], self.points[cid] = self.origins[parent], pts
            yield self.ev("KPLedger", "ParcelSplit", parentId=parent, childId=cid, holder=holder, points=pts,
                          stones=1, hsCode=GEM, documentHash=sha(f"parcel {cid}"))

    def merge(self, sources: list[int], holder: str) -> Iterator[DecodedLog]:
        pid = self.lot()
        self.origins[pid] = sorted({o for s in sources for o in self.origins[s]})
        self.points[pid] = sum(self.points[s] for s in sources)
        self.new_tx()
        yield self.ev("KPLedger", "ParcelsMerged", parcelId=pid, holder=holder, sourceIds=sorted(sources),
                      points=self.points[pid], hsCode=GEM, documentHash=sha(f"parcel {pid}"))

    def handoff(self, lot: int, sender: str, recipient: str, seal: str = ZERO32,
                cert_key: str = ZERO32) -> Iterator[DecodedLog]:
        self.new_tx()
        yield self.ev("KPLedger", "CustodyOffered", lotId=lot, **{"from": sender, "to": recipient}, sealId=seal)
        self.new_tx()
        if cert_key != ZERO32:
            yield self.ev("KPCertificates", "CertificateUsed", certificateKey=cert_key, consignmentId=lot,
                          importer=recipient)
        yield self.ev("KPLedger", "CustodyTransferred", lotId=lot, **{"from": sender, "to": recipient}, sealId=seal,
                      certificateKey=cert_key)

    def ship(self, parcels: list[int], exporter: str, src: str, dst: str, importer: str) -> Iterator[DecodedLog]:
        """Seal, certificate, hand-off across the border, confirmation, opening at the importer."""
        cid = self.lot()
        seal = sha(f"seal {cid}")
        pts = sum(self.points[p] for p in parcels)
        origins = sorted({o for p in parcels for o in self.origins[p]})
        self.new_tx()
        yield self.ev("KPLedger", "ConsignmentSealed", consignmentId=cid, holder=exporter, sealId=seal,
                      parcelIds=sorted(parcels), points=pts)
        self.certs += 1
        number = f"{src}{self.certs:07d}"
        self.numbers.append(number)
        key = sha(f"key {number}")
        self.new_tx()
        yield self.ev("KPCertificates", "CertificateIssued", certificateKey=key, consignmentId=cid,
                      authority=self.who(src, "authority"), number=number,
                      certificate={"consignmentId": cid, "exporter": src, "importer": dst, "issuedAt": self.ts - 60,
                                   "expiresAt": self.ts + 30 * 86_400, "status": 1,
                                   "documentHash": sha(f"certificate {number}"), "exporterAccount": exporter,
                                   "importerAccount": importer, "replaces": ZERO32, "superseded": False},
                      points=pts, parcelCount=len(parcels), hsCodes=[GEM], origins=origins)
        yield from self.handoff(cid, exporter, importer, seal, key)
        self.new_tx()
        yield self.ev("KPCertificates", "ImportConfirmed", certificateKey=key, authority=self.who(dst, "authority"))
        self.new_tx()
        yield self.ev("KPLedger", "ConsignmentOpened", consignmentId=cid, holder=importer)

    def export(self) -> Iterator[DecodedLog]:
        src, hub = self.rng.choice(PRODUCERS), self.rng.choice(HUBS)
        mine, exporter = self.who(src, "producer", self.rng.randrange(3)), self.who(src, "trader", 0)
        importer = self.who(hub, "trader", self.rng.randrange(3))
        yield from self.register(src, mine)
        rom = self.next_lot
        yield from self.split(rom, mine, 4)
        kids = list(range(rom + 1, rom + 5))
        for kid in kids[:2]:
            yield from self.handoff(kid, mine, exporter, sha(f"bag {kid}"))
        yield from self.ship(kids[:2], exporter, src, hub, importer)
        self.pools[hub].extend((p, importer) for p in kids[:2])

    def hub_trade(self, hub: str) -> Iterator[DecodedLog]:
        pool = self.pools[hub]
        (a, holder), (b, other) = pool.pop(0), pool.pop(0)
        if other != holder:
            yield from self.handoff(b, other, holder, sha(f"bag {b}"))
        yield from self.merge([a, b], holder)
        mixed = self.next_lot
        yield from self.split(mixed, holder, 2)
        dst = self.rng.choice([c for c in CUTTERS if c != hub])
        yield from self.ship([mixed + 1], holder, hub, dst, self.who(dst, "cutter", self.rng.randrange(2)))

    def deep_round(self, current: int, holder: str, hub: str) -> Iterator[DecodedLog]:
        """One round of a deep lineage: split, merge with fresh goods, two hand-offs inside the hub."""
        yield from self.split(current, holder, 2)
        kept = self.next_lot - 1
        if self.pools[hub]:  # fresh goods imported at the hub, else a local registration
            fresh, owner = self.pools[hub].pop(0)
            if owner != holder:
                yield from self.handoff(fresh, owner, holder, sha(f"bag {fresh}"))
        else:
            yield from self.register(hub, holder)
            fresh = self.next_lot
        yield from self.merge([kept, fresh], holder)
        merged = self.next_lot
        partner = self.who(hub, "trader", 2)
        yield from self.handoff(merged, holder, partner, sha(f"bag {merged}"))
        yield from self.handoff(merged, partner, holder, sha(f"bag {merged} back"))
        self.deep_current = merged

    def generate(self, target: int, deep: int) -> tuple[Iterator[DecodedLog], list[int]]:
        """(events, ids of the deep parcels once generated) ~`target` events in all."""
        deep_ids: list[int] = []

        def events() -> Iterator[DecodedLog]:
            count = 0
            for e in self.setup():
                count += 1
                yield e
            chains: list[tuple[int, str, str]] = []
            while len(chains) < deep:  # deep chains start from goods imported at a hub
                for e in self.export():
                    count += 1
                    yield e
                hub = self.rng.choice(HUBS[:3])
                if self.pools[hub]:
                    parcel, holder = self.pools[hub].pop()
                    chains.append((parcel, holder, hub))
            rounds_every = max(1, target // (DEEP_ROUNDS * deep * 30))
            flows = 0
            while count < target or any(r < DEEP_ROUNDS for r in rounds):
                flows += 1
                for e in self.export():
                    count += 1
                    yield e
                for hub in HUBS:
                    if len(self.pools[hub]) >= 6:
                        for e in self.hub_trade(hub):
                            count += 1
                            yield e
                if flows % rounds_every == 0:
                    for i, (current, holder, hub) in enumerate(chains):
                        if rounds[i] >= DEEP_ROUNDS:
                            continue
                        for e in self.deep_round(current, holder, hub):
                            count += 1
                            yield e
                        chains[i] = (self.deep_current, holder, hub)
                        rounds[i] += 1
            deep_ids.extend(c[0] for c in chains)

        rounds = [0] * deep
        return events(), deep_ids


def synthesise(db: Database, target: int, deep: int,
               synth: Synth | None = None) -> tuple[int, list[int], list[str], float]:
    """Stores ~`target` synthetic events and their projections; returns (count, deep ids, numbers, seconds)."""
    synth = synth or Synth()
    stream, deep_ids = synth.generate(target, deep)
    started = time.perf_counter()
    count = 0
    with db.sessions() as s:
        s.execute(text("PRAGMA synchronous=OFF"))  # loading speed only: the measured reads are unaffected
        projector = Projector(s)
        rows: list[dict[str, Any]] = []
        for e in stream:
            rows.append({"block_number": e.block_number, "block_hash": e.block_hash, "timestamp": e.timestamp,
                         "tx_hash": e.tx_hash, "log_index": e.log_index, "contract": e.contract, "name": e.name,
                         "args": e.args})
            projector.apply(e, e.timestamp or 0)
            count += 1
            if len(rows) >= 20_000:
                s.execute(insert(m.Event), rows)
                projector.flush()
                s.commit()
                rows = []
        if rows:
            s.execute(insert(m.Event), rows)
        projector.flush()
        s.commit()
        s.execute(text("ANALYZE"))
    return count, deep_ids, synth.numbers, time.perf_counter() - started


def timed(samples: int, fn: Callable[[int], Any]) -> list[float]:
    out = []
    for i in range(samples):
        started = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3), "samples": len(ms)}


def run(work: Path, full: bool) -> list[Result]:
    sizes = FULL if full else QUICK
    db_path, db = sqlite_database(work / "reads")
    log(f"reads: synthesising {sizes.events:,} events through the indexer's Projector")
    count, deep_ids, numbers, synth_s = synthesise(db, sizes.events, sizes.deep)
    rng = random.Random(1)
    with db.session() as s:
        shape = [provenance(s, pid) for pid in deep_ids[:3]]
        parcel_ids = s.execute(select(m.Parcel.id)).scalars().all()
    depth = {"timeline_steps": min(len(p["timeline"]) for p in shape),
             "lineage_nodes": min(len(p["lineage"]["nodes"]) for p in shape),
             "splits_and_merges": min(sum(1 for n in p["lineage"]["nodes"] if n["created_by"] != "registered")
                                      for p in shape)}
    cert_sample = [rng.choice(numbers) for _ in range(sizes.samples)]
    pk_sample = [rng.choice(parcel_ids) for _ in range(sizes.samples * 5)]

    def in_session(fn: Callable[[Any, int], Any]) -> Callable[[int], Any]:
        def call(i: int) -> Any:
            with db.session() as s:
                return fn(s, i)
        return call

    def verify(s: Any, i: int) -> Any:  # what POST /v1/verify answers (routes/reads.py): the verdict on a hash
        return verdict(s, sha(f"certificate {cert_sample[i]}"))

    log("reads: in-process latencies")
    gc.collect()
    gc.freeze()  # as the server does after it starts: a full collection then skips the long-lived objects
    ceiling_ms = timed(len(pk_sample), in_session(lambda s, i: s.get(m.Parcel, pk_sample[i]).points))
    prov_ms = timed(sizes.samples, in_session(lambda s, i: provenance(s, deep_ids[i % len(deep_ids)])))
    cert_ms = timed(sizes.samples, in_session(lambda s, i: get_certificate(s, cert_sample[i])))
    verify_ms = timed(sizes.samples, in_session(verify))
    http = http_latencies(work, db_path, deep_ids, cert_sample, max(50, sizes.samples // 2))
    ceiling = percentile(ceiling_ms, 99)
    note = {"events": count, "synthesised_s": round(synth_s, 1), "db_mb": round(db_path.stat().st_size / 2**20, 1),
            "synthesised": "events table rows + projections written by the indexer's Projector from synthetic "
                           "DecodedLogs (not mined)", **depth}
    ceiling_name = "p99 of a primary-key lookup (session.get) on the same DB"

    def result(name: str, ms: list[float], key: str, extra: dict[str, Any] | None = None) -> Result:
        p99 = percentile(ms, 99)
        return Result("reads", f"{name} p99, in-process ({count / 1e6:.2f}M events)", p99, "ms", ceiling,
                      ceiling_name, f"p99 <= {GOAL_MS:.0f} ms", p99 <= GOAL_MS,
                      {**summary(ms), "http": http.get(key), **(extra or {})})

    return [result("provenance (deep lineage)", prov_ms, "provenance", note),
            result("certificate lookup", cert_ms, "certificate"),
            result("document verification by hash", verify_ms, "verify"),
            Result("reads", "primary-key lookup p99 (the ceiling)", ceiling, "ms", details=summary(ceiling_ms))]


def http_latencies(work: Path, db_path: Path, deep_ids: list[int], numbers: list[str],
                   samples: int) -> dict[str, dict[str, float]]:
    """The same reads through the HTTP API (a server subprocess on the synthesised database), for reference."""
    chain = LocalChain(work / "reads-chain")
    server = None
    try:
        record = json.loads((chain.data_dir / "deployment.json").read_text())
        record["startBlock"] = chain.head() + 1  # nothing of this chain to index: the synthetic index stays as is
        (chain.data_dir / "deployment.json").write_text(json.dumps(record))
        server = Server(chain.url, chain.data_dir, env={"KP_DATABASE_URL": f"sqlite:///{db_path}"})
        log("reads: HTTP latencies (reference)")
        with httpx.Client(base_url=server.url, timeout=60) as client:
            # warm-up, untimed: each lineage's pages come into the server's SQLite cache once
            for parcel_id in [deep_ids[0]] * 5 + deep_ids:
                client.get(f"/v1/parcels/{parcel_id}/provenance").raise_for_status()
            out = {
                "provenance": timed(samples, lambda i: client.get(
                    f"/v1/parcels/{deep_ids[i % len(deep_ids)]}/provenance").raise_for_status()),
                "certificate": timed(samples, lambda i: client.get(f"/v1/certificates/{numbers[i]}")
                                     .raise_for_status()),
                "verify": timed(samples, lambda i: client.post("/v1/verify", content=f"certificate {numbers[i]}"
                                                               .encode()).raise_for_status()),
            }
        return {k: summary(v) for k, v in out.items()}
    finally:
        if server is not None:
            server.close()
        chain.close()
