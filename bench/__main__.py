"""`python -m bench [--full] [--world-full] [--only gas,writes,...]`: the benchmark suite; see bench/README.md."""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click

from bench import chainkill, codec, gas, indexer, reads, report, soak, statistics, world, writes
from bench.common import Result
from bench.world_trade import MIDDLE, QUICK, YEAR, Size

SECTIONS = ("codec", "gas", "writes", "indexer", "reads", "statistics", "world", "soak", "chainkill")
QUICK_SOAK_MINUTES = 3.0


def world_size(args: SimpleNamespace) -> Size:
    """Quick: 1/200 of a year; --full: 1/20; --world-full: a year; --world-fraction: any fraction."""
    if args.world_fraction is not None:
        if args.world_fraction == 1:
            return YEAR
        return Size("custom", args.world_fraction, YEAR.limit_s, None)
    return YEAR if args.world_full else MIDDLE if args.full else QUICK


@click.command(help=__doc__)
@click.option("--full", is_flag=True, help="full sizes (1M events for reads, more writes)")
@click.option("--world-full", is_flag=True,
              help=f"load a whole synthetic year, stopped at a {YEAR.limit_s:.0f} s wall-time cap")
@click.option("--world-fraction", type=click.FloatRange(0, 1, min_open=True),
              help="world: load this fraction of a year instead (e.g. 0.1)")
@click.option("--world-flows", type=click.IntRange(min=1), help=f"world: concurrent flows (default {world.FLOWS})")
@click.option("--world-limit", type=float, help="world: wall-time cap of the load, in seconds")
@click.option("--world-block-time", type=click.IntRange(min=0),
              help=f"world: seconds between blocks, 0 for automine (default {world.BLOCK_S}; with interval mining "
                   "anvil's memory grew ~10x faster)")
@click.option("--soak-minutes", type=float, default=QUICK_SOAK_MINUTES, show_default=True,
              help="soak: how long (make soak: 60, or SOAK_MINUTES)")
@click.option("--soak-scale", type=float, default=1.0, show_default=True,
              help="soak: multiply every request rate (10 writes/s, 10 reads/s, 1+1 documents/s, 1 page/s)")
@click.option("--soak-debug-memory", is_flag=True,
              help="soak: trace the server's allocations (KP_DEBUG_MEMORY) and record snapshot diffs")
@click.option("--chainkill-rounds", type=click.IntRange(min=1), default=chainkill.ROUNDS, show_default=True,
              help="chainkill: how many kill -9 of the chain")
@click.option("--only", default=",".join(SECTIONS), show_default=True, help="comma-separated sections to run")
@click.option("--keep", is_flag=True, help="keep the temporary data folders")
def main(**options: Any) -> None:
    args = SimpleNamespace(**options)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise click.BadParameter(f"unknown sections: {', '.join(sorted(unknown))}", param_hint="--only")
    info = report.machine()
    print(report.header(info), flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    failures: dict[str, str] = {}
    work = Path(tempfile.mkdtemp(prefix="kp-bench-"))
    for section in sections:
        t0 = time.perf_counter()
        try:
            if section == "codec":
                results += codec.run(args.full)
            elif section == "gas":
                results += gas.run(work)
            elif section == "writes":
                results += writes.run(work, args.full)
            elif section == "indexer":
                results += indexer.run(work, args.full)
            elif section == "reads":
                results += reads.run(work, args.full)
            elif section == "statistics":
                results += statistics.run(work, args.full)
            elif section == "soak":
                results += soak.run(work, args.soak_minutes, soak.Mix().scaled(args.soak_scale),
                                    debug_memory=args.soak_debug_memory)
            elif section == "chainkill":
                results += chainkill.run(work, args.chainkill_rounds)
            elif section == "world":
                results += world.run(work, world_size(args), args.world_flows, args.world_limit,
                                     args.world_block_time)
        except Exception:
            failures[section] = traceback.format_exc()
            print(f"\n{section} FAILED:\n{failures[section]}", file=sys.stderr, flush=True)
        print(f"  .. {section} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    print()
    print(report.table(results))
    path = report.write(results, info, failures, seconds)
    print(f"\n{len(results)} figures in {seconds:.0f} s; wrote {path} and {path.with_name('latest.md')}")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"BROKEN: {', '.join(failures)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
