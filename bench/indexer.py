"""Indexer: events ingested per second by a fresh Indexer catching up, and Indexer.rebuild(), against the raw
eth_getLogs + decode rate of the same chain (no database)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    GEM,
    ROLE,
    UNSORTED,
    LocalChain,
    RawTx,
    Result,
    Signer,
    dev_key,
    log,
    topic,
    topic_int,
)
from kpledger.chain.contracts import Chain
from kpledger.chain.decoder import LogDecoder
from kpledger.core.config import Settings
from kpledger.db import models as m
from kpledger.db.session import Database
from kpledger.indexer.follower import Indexer

GOAL = 10_000.0
CHILDREN = 16
TXS_PER_BLOCK = 200
EVENTS_PER_ROOT = 1 + CHILDREN + 6  # register, split, merge, seal, offer x2, accept x2
FIRST_KEY = 100  # producers, then traders; funded with anvil_setBalance
T_REGISTERED = topic("ParcelRegistered(uint256,address,bytes2,uint48,uint32,uint32,bytes32)")
T_SPLIT = topic("ParcelSplit(uint256,uint256,address,uint48,uint32,uint32,bytes32)")
T_SEALED = topic("ConsignmentSealed(uint256,address,bytes32,uint256[],uint48)")


@dataclass(frozen=True)
class Sizes:
    events: int
    actors: int


QUICK = Sizes(10_000, 16)
FULL = Sizes(200_000, 32)


class Generator:
    """Many custody events fast: direct transactions packed TXS_PER_BLOCK to a block (automine off, evm_mine)."""

    def __init__(self, chain: LocalChain, actors: int):
        self.chain = chain
        self.producers = [Signer(dev_key(FIRST_KEY + i)) for i in range(actors)]
        self.traders = [Signer(dev_key(FIRST_KEY + actors + i)) for i in range(actors)]
        authority = Signer(dev_key(2))
        chain.fund([s.address for s in self.producers + self.traders])
        chain.admit({"BW": "Botswana"})
        chain.appoint({"BW": authority.address})
        chain.license(authority, [p.address for p in self.producers], ROLE["producer"] | ROLE["trader"])
        chain.license(authority, [t.address for t in self.traders], ROLE["trader"])
        chain.call("evm_setBlockGasLimit", [hex(2_000_000_000)])
        chain.call("evm_setAutomine", [False])
        self.first_block = chain.head() + 1

    def mine(self, txs: list[RawTx]) -> None:
        self.chain.send_packed(txs, TXS_PER_BLOCK)

    def logs(self, topic0: str, since: int) -> list[dict]:
        return self.chain.logs(self.chain.ledger.address, topic0, since)

    def run(self, roots: int) -> int:
        c, ledger, n = self.chain, self.chain.ledger, len(self.producers)
        to = ledger.address
        since = c.head() + 1
        self.mine([self.producers[r % n].sign(to, c.calldata(ledger, "registerParcel", 10_000 * CHILDREN, CHILDREN,
                                                                 UNSORTED, "BW", r.to_bytes(32, "big")), 200_000)
                   for r in range(roots)])
        parcels = [topic_int(x["topics"][1]) for x in self.logs(T_REGISTERED, since)]
        holder = {topic_int(x["topics"][1]): "0x" + x["topics"][2][-40:] for x in self.logs(T_REGISTERED, since)}
        by_address = {s.address.lower(): i for i, s in enumerate(self.producers)}
        since = c.head() + 1
        children_spec = [(10_000, 1, GEM, bytes(32))] * CHILDREN
        self.mine([self.producers[by_address[holder[p]]].sign(
            to, c.calldata(ledger, "splitParcel", p, children_spec), 2_500_000) for p in parcels])
        children: dict[int, list[int]] = defaultdict(list)
        for x in self.logs(T_SPLIT, since):
            children[topic_int(x["topics"][1])].append(topic_int(x["topics"][2]))
        plan = []  # (producer index, children, seal id)
        for p in parcels:
            plan.append((by_address[holder[p]], sorted(children[p]), p.to_bytes(32, "big")))
        since = c.head() + 1
        txs = []
        for i, kids, seal in plan:
            producer, trader = self.producers[i], self.traders[i]
            txs.append(producer.sign(to, c.calldata(ledger, "mergeParcels", kids[0:4], bytes(32)), 400_000))
            txs.append(producer.sign(to, c.calldata(ledger, "sealConsignment", kids[4:8], seal), 400_000))
            txs.append(producer.sign(to, c.calldata(ledger, "offer", kids[8], trader.address, seal), 200_000))
        self.mine(txs)
        consignment = {x["topics"][3]: topic_int(x["topics"][1]) for x in self.logs(T_SEALED, since)}
        txs = []
        for i, kids, seal in plan:
            cid = consignment["0x" + seal.hex()]
            txs.append(self.producers[i].sign(to, c.calldata(ledger, "offer", cid, self.traders[i].address, seal),
                                              200_000))
            txs.append(self.traders[i].sign(to, c.calldata(ledger, "acceptOffer", kids[8], seal), 200_000))
        self.mine(txs)
        self.mine([self.traders[i].sign(to, c.calldata(ledger, "acceptOffer", consignment["0x" + seal.hex()], seal),
                                        200_000) for i, _, seal in plan])
        return len(parcels)


def settings_for(chain: LocalChain, db_path: Path) -> Settings:
    from bench.common import MANIFEST

    return Settings(environment="test", rpc_url=chain.url, data_dir=chain.data_dir,
                    deployment_file=chain.data_dir / "deployment.json", database_url=f"sqlite:///{db_path}",
                    build_manifest=MANIFEST)


def fetch_and_decode(settings: Settings, chain: Chain) -> tuple[int, float]:
    """The ceiling: eth_getLogs over the same block ranges the indexer reads (through the same JSON-RPC client),
    decoded, no database."""
    decoder = LogDecoder(chain.artifacts, chain.deployment)
    head = int(chain.rpc.call("eth_blockNumber"), 16)
    started = time.perf_counter()
    count = 0
    block = chain.deployment.start_block
    while block <= head:
        to_block = min(head, block + settings.log_range - 1)
        logs = chain.rpc.call("eth_getLogs", [{
            "address": list(chain.addresses.values()), "fromBlock": hex(block), "toBlock": hex(to_block)}])
        count += sum(1 for raw in logs if decoder.decode(raw) is not None)
        block = to_block + 1
    return count, time.perf_counter() - started


def run(work: Path, full: bool) -> list[Result]:
    sizes = FULL if full else QUICK
    chain = LocalChain(work / "indexer")
    try:
        log(f"indexer: generating about {sizes.events:,} events (direct transactions, {TXS_PER_BLOCK} per block)")
        started = time.perf_counter()
        generator = Generator(chain, sizes.actors)
        roots = generator.run(sizes.events // EVENTS_PER_ROOT)
        generated_in = time.perf_counter() - started
        settings = settings_for(chain, work / "indexer" / "index.db")
        ledger_chain = Chain(settings)
        chain_events, ceiling_s = fetch_and_decode(settings, ledger_chain)
        ceiling = chain_events / ceiling_s
        log(f"indexer: {chain_events:,} events on chain; fresh Indexer catching up")
        db = Database(settings.database_url)
        indexer = Indexer(settings, ledger_chain, db)
        started = time.perf_counter()
        steps = 0
        while indexer.step():
            steps += 1
        catch_up_s = time.perf_counter() - started
        with db.session() as s:
            indexed = s.execute(select(func.count()).select_from(m.Event)).scalar_one()
        log("indexer: rebuild from stored events")
        started = time.perf_counter()
        rebuilt = indexer.rebuild()
        rebuild_s = time.perf_counter() - started
        head = chain.head()
        shape = {"events": chain_events, "roots": roots, "blocks": head - generator.first_block + 1,
                 "generated_s": round(generated_in, 1), "log_range": settings.log_range,
                 "note": "events generated by direct transactions packed ~200 per block (evm_mine)"}
        ceiling_name = "eth_getLogs + LogDecoder, no DB"
        return [
            Result("indexer", "indexer catch-up (fresh DB, step() loop)", indexed / catch_up_s, "events/s", ceiling,
                   ceiling_name, f">= {GOAL:,.0f}/s", indexed == chain_events and indexed / catch_up_s >= GOAL,
                   {**shape, "indexed": indexed, "seconds": round(catch_up_s, 2), "steps": steps}),
            Result("indexer", "Indexer.rebuild() from stored events", rebuilt / rebuild_s, "events/s", ceiling,
                   ceiling_name, f">= {GOAL:,.0f}/s", rebuilt == chain_events and rebuilt / rebuild_s >= GOAL,
                   {"events": rebuilt, "seconds": round(rebuild_s, 2)}),
        ]
    finally:
        chain.close()
