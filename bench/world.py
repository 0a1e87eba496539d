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
through the API, signed with coincurve over `kpledger.signing.typed_data.digest` and posted with aiohttp (the load
generator shares the CPU with the backend and the chain, so it has to be lean).

This module runs the section; the trade model and its setup are in `world_trade`, the load in `world_load`, the
figures and the year's extrapolation in `world_report`.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import uvloop

from bench.common import LocalChain, Result, Server, dir_size_mb, log, vm_hwm_mb
from bench.world_load import BATCH_ENV, GAS_LIMIT, World
from bench.world_report import Measured, cpu_now, empty_block_ms, fraction_text, report
from bench.world_trade import CERTIFICATES_PER_EXPORT, YEAR_CERTIFICATES, Size, desks, setup
from kpledger.dev.chain import stop

FLOWS = 2_400  # concurrent flows for a year: about a third of them wait in each block (1,600 flows: ~510 calls)
DUMP_TIMEOUT_S = 900.0  # anvil writes a year's state (~10 GB of JSON) on exit
# anvil dumps its state on exit only (as bench/README.md says; the one harness had made it every second): a year's
# dump is ~10 GB, and the state keeper holds up to three of them (being written, in place, the fsynced previous one)
STATE_INTERVAL_S = 86_400
YEAR_DISK_GB = 16.0  # a year's DB (~4.4 GB) and anvil state dump (~10 GB), from 1/5 of a year: 0.9 + 2.0 GB
BLOCK_S = 0  # seconds between blocks during the load; 0: automine (a block per batch transaction)


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
    chain = LocalChain(work / "world", gas_limit=GAS_LIMIT, state_interval=STATE_INTERVAL_S)
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
