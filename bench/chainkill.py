"""Chain kill loop: `kill -9` of the embedded chain (anvil) `rounds` times (50) under relayed writes, restarting it each
time, half of the kills aimed at a moment anvil is writing its state dump (what erased a whole chain before the state
keeper, `kpledger.dev.chain.ChainState`).

Before the loop the chain is grown with direct registrations to a state dump of ~50 MB (the size at which issue 20 saw
the dump torn or empty); during it, producers register parcels through the API, each resubmitting its signed request
until answered (503 or no connection while the chain is down). Every round (`LocalChain.crash`) must come back with no
more than the last blocks lost: at least the state that was on disk at the kill, at most `LOSS_S` seconds of history
lost, and the earlier blocks unchanged (64 sampled hashes). At the end every acknowledged write is on chain exactly
once, under the parcel id its answer gave, and the index equals the chain (the reconciler's guarantee).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.common import ROLE, UNSORTED, LocalChain, Result, Server, Signer, dev_key, dir_size_mb, log
from bench.soak import Writer
from kpledger.dev.stack import Crash

ROUNDS = 50
PRELOAD = 10_000  # direct registrations before the loop: a state dump of ~50 MB
WRITERS, WRITE_RATE = 16, 20.0  # producers writing through the API, writes per second in total
RESUMED = 5  # acknowledged writes between two kills: the load came back after each restart
LOSS_S = 5.0  # history a kill may cost: the age of the last dump kept (1 s interval, the dump, a dropped mixed one)
# and the dump's own time, + whole-second timestamps
FIRST_PRODUCER_KEY = 20


class Load(threading.Thread):
    """Relayed RegisterParcel writes by `writers`, paced to `rate` per second in total; each signed request is
    resubmitted until answered 200, as a client that was told nothing does."""

    def __init__(self, url: str, writers: list[Writer], rate: float):
        super().__init__(daemon=True)
        self.url, self.writers, self.rate = url, writers, rate
        self.acked: dict[str, tuple[int, str]] = {}  # document hash -> (parcel id, producer)
        self.retries = 0  # answers other than 200 and failed connections (expected while the chain is down)
        self.first_errors: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        async with aiohttp.ClientSession(self.url, timeout=aiohttp.ClientTimeout(total=60)) as http:
            await asyncio.gather(*(self._writer(http, w) for w in self.writers))

    async def _writer(self, http: aiohttp.ClientSession, writer: Writer) -> None:
        period = len(self.writers) / self.rate
        await asyncio.sleep(random.uniform(0, period))
        while not self.halt.is_set():
            began = time.monotonic()
            body = writer.body(f"chain kill loop {writer.index}-{writer.nonce}".encode())
            while not self.halt.is_set():
                try:
                    async with http.post("/v1/parcels", json=body) as response:
                        answer = await response.json(content_type=None)
                    if response.status == 200 and answer.get("status") == "mined":
                        self.acked[body["message"]["documentHash"]] = (answer["result"]["parcel_id"], writer.address)
                        writer.nonce += 1
                        break
                    error = f"{response.status} {str(answer)[:200]}"
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    error = f"{type(exc).__name__}: {exc}"
                self.retries += 1
                if len(self.first_errors) < 10:
                    self.first_errors.append(error)
                await asyncio.sleep(0.2)
            await asyncio.sleep(max(0.0, began + period - time.monotonic()))

    def wait_for(self, count: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.acked)} of {count} writes acknowledged; first errors: "
                                   f"{self.first_errors[-3:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.halt.set()
        self.join(90)


def setup(chain: LocalChain, writers: list[Writer], producers: list[Signer]) -> None:
    """Botswana admitted, its authority appointed, the writers (through the API) and the producers (direct) licensed,
    the producers funded."""
    authority = Signer(dev_key(2))
    chain.admit({"BW": "Botswana"})
    chain.appoint({"BW": authority.address})
    chain.license(authority, [w.address for w in writers] + [p.address for p in producers], ROLE["producer"])
    chain.fund([p.address for p in producers])


def preload(chain: LocalChain, producers: list[Signer], count: int) -> None:
    """`count` direct registerParcel transactions (one block each under automine)."""
    raws = [producers[i % len(producers)].sign(chain.ledger.address, chain.calldata(
        chain.ledger, "registerParcel", 1_000 + i, 1, UNSORTED, "BW", bytes(32)), gas=300_000) for i in range(count)]
    chain.send_raw(raws)


def check_writes(chain: LocalChain, server: Server, load: Load) -> dict[str, Any]:
    """Every acknowledged write on chain exactly once under its answered parcel id; the index equal to the chain."""
    events = chain.ledger.events.ParcelRegistered.get_logs(from_block=chain.start_block)
    on_chain = Counter("0x" + e["args"]["documentHash"].hex() for e in events)
    lot_of = {"0x" + e["args"]["documentHash"].hex(): e["args"]["parcelId"] for e in events}
    missing = [d for d in load.acked if on_chain[d] == 0]
    twice = [d for d, n in on_chain.items() if n > 1 and d != "0x" + bytes(32).hex()]
    moved = [d for d, (lot, _) in load.acked.items() if d in lot_of and lot_of[d] != lot]
    head = chain.head()
    server.wait_indexed(head)
    last = chain.ledger.functions.lastLotId().call()
    mismatched = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        sample = random.sample(sorted(load.acked.items()), min(200, len(load.acked)))
        for _doc, (lot, producer) in sample:
            indexed = http.get(f"/v1/parcels/{lot}").json()
            holder, points, *_ = chain.ledger.functions.parcel(lot).call()
            if (indexed.get("holder"), indexed.get("points")) != (holder, points) or holder != producer:
                mismatched.append(lot)
        index_ends = (http.get(f"/v1/parcels/{last}").status_code, http.get(f"/v1/parcels/{last + 1}").status_code)
    return {"acknowledged": len(load.acked), "missing": len(missing), "twice": len(twice),
            "answered_id_differs": len(moved), "index_mismatched": len(mismatched), "index_ends": index_ends,
            "last_lot": last, "head": head, "retries": load.retries, "first_errors": load.first_errors[:5]}


def run(work: Path, rounds: int = ROUNDS) -> list[Result]:
    chain = LocalChain(work / "chainkill")
    server: Server | None = None
    load: Load | None = None
    try:
        chain_id, ledger = chain.deployment["chainId"], chain.deployment["ledger"]
        writers = [Writer(i, chain_id, ledger) for i in range(WRITERS)]
        producers = [Signer(dev_key(FIRST_PRODUCER_KEY + i)) for i in range(8)]
        setup(chain, writers, producers)
        t0 = time.perf_counter()
        preload(chain, producers, PRELOAD)
        log(f"chain kill loop: {PRELOAD:,} direct registrations in {time.perf_counter() - t0:.0f} s; {rounds} kills "
            f"under {WRITE_RATE:g} writes/s by {WRITERS} producers")
        server = Server(chain.url, chain.data_dir)
        load = Load(server.url, writers, WRITE_RATE)
        load.start()
        crashes: list[Crash] = []
        keeper = Counter()
        sizes = []
        started = time.perf_counter()
        for i in range(rounds):
            load.wait_for(len(load.acked) + RESUMED)
            aimed = i % 2 == 0
            if not aimed:
                time.sleep(random.uniform(0, 1.5))
            sizes.append(dir_size_mb(chain.data_dir, "anvil-state.json"))
            process = chain.process
            crash = chain.crash(during_dump=aimed)
            crashes.append(crash)
            keeper.update({"kept": process.state.promoted, "mixed": process.state.mixed,
                           "synced": process.state.synced, "check_ms": round(process.state.check_s * 1000),
                           "sync_ms": round(process.state.sync_s * 1000)})
            log(f"kill {i + 1}/{rounds}{' (aimed at a dump)' if aimed else ''}: head {crash.head}, on disk "
                f"{crash.saved} ({crash.age_s:.1f} s old), restored {crash.restored}, lost {crash.lost_blocks} "
                f"blocks / <= {crash.lost_s:.1f} s"
                f"{', dump cut short' if crash.torn else ''}{f', CHANGED {crash.changed}' if crash.changed else ''}")
        load.wait_for(len(load.acked) + RESUMED)
        loop_s = time.perf_counter() - started
        load.stop()
        writes = check_writes(chain, server, load)
        return results(crashes, writes, keeper, sizes, loop_s)
    finally:
        if load is not None:
            load.stop()
        if server is not None:
            server.close()
        chain.close()


def results(crashes: list[Crash], writes: dict[str, Any], keeper: Counter, sizes: list[float],
            loop_s: float) -> list[Result]:
    n = len(crashes)
    good = [c for c in crashes if c.restored >= c.saved and not c.changed]
    aimed, torn = (n + 1) // 2, sum(c.torn for c in crashes)
    lost_s = [c.lost_s for c in crashes]
    lost_blocks = [c.lost_blocks for c in crashes]
    rounds = [c._asdict() for c in crashes]
    writes_ok = (writes["missing"] == writes["twice"] == writes["answered_id_differs"] == writes["index_mismatched"]
                 == 0 and writes["index_ends"] == (200, 404))
    return [
        Result("chainkill", f"kill -9 of the chain under writes: restarts with at least the state on disk at the kill "
               f"and the earlier blocks unchanged ({n} kills, {aimed} aimed at a state dump, {torn} cut one short)",
               float(len(good)), "kills",
               None, "", f"all {n}", len(good) == n,
               {"rounds": rounds, "loop_s": round(loop_s), "state_mb": [round(min(sizes), 1), round(max(sizes), 1)],
                "keeper": dict(keeper)}),
        Result("chainkill", "history lost per kill, at most (kill time - first lost block's timestamp)", max(lost_s),
               "s", None, "", f"<= {LOSS_S:g} s", max(lost_s) <= LOSS_S,
               {"median_s": round(statistics.median(lost_s), 2), "blocks_max": max(lost_blocks),
                "blocks_median": statistics.median(lost_blocks),
                "state_age_s": {"median": round(statistics.median(c.age_s for c in crashes), 2),
                                "max": round(max(c.age_s for c in crashes), 2)}}),
        Result("chainkill", "acknowledged writes after the kills: on chain exactly once, index equal to the chain",
               float(writes["acknowledged"]), "writes", None, "", "all, once", writes_ok, writes),
    ]
