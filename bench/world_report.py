"""World scale, the measurement and the report: the load's rate in windows of its samples, anvil's empty-block
time, the figures of the run and the year extrapolated from them."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.common import LocalChain, Result, Server, cpu_seconds, log
from bench.world_load import BATCH_CAP, SAMPLE_S, Sample, World
from bench.world_trade import GOAL_YEAR_S, YEAR_CERTIFICATES, Size

EDGE = 0.2  # the start and end rates: the first and last 20% of the load (before flows run out of exports)


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
