"""Printing the table, the machine header, and writing JSON and the Markdown snippet."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Result, memory_total_mb, verdict

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = memory_total_mb() * 1024
    anvil = shutil.which("anvil")
    anvil_version = (subprocess.run([anvil, "--version"], capture_output=True, text=True).stdout.splitlines() or ["?"]
                     )[0] if anvil else "not found"
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "anvil": anvil_version, "load_avg": os.getloadavg(),
            "command": " ".join(["python -m bench", *sys.argv[1:]]), "cwd": str(ROOT)}


def header(info: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.1f}" for x in info["load_avg"])
    return (f"command : {info['command']}\nmachine : {info['nproc']} CPUs, {info['cpu']}, {info['memory_gb']} GB\n"
            f"versions: python {info['python']}, {info['anvil']}\nload avg: {load} (at start)")


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ms":
        return f"{value:,.2f} ms"
    if unit == "s":
        return f"{value:,.1f} s"
    if unit == "gas":
        return f"{value:,.0f}"
    if unit in ("MB/min", "fds/min"):
        return f"{value:,.3f} {unit}"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def extra(r: Result) -> str:
    d = r.details
    if r.section == "gas":
        return f"relayed {d['relayed']:,}"
    if r.section == "codec":
        return "; ".join(f"{way} {us:g}" for way, us in d["us"].items()) + " µs"
    if r.section == "writes" and "p50_ms" in d:
        return (f"p50 {d['p50_ms']} ms, p99 {d['p99_ms']} ms, {d['errors']} errors, server CPU "
                f"{d.get('server_cpu_ms_per_write', '?')} ms/write")
    if r.section == "writes":
        return (f"first level {d['first']:,} / last level {d['last']:,} / after {d['after']:,} tx/s "
                f"({d['blocks']:,} blocks)")
    if r.section == "reads" and d.get("http"):
        return f"p50 {d['p50_ms']} ms; HTTP p50 {d['http']['p50_ms']} / p99 {d['http']['p99_ms']} ms"
    if r.section == "reads":
        return f"p50 {d['p50_ms']} ms"
    if r.section == "statistics" and "events" in r.details:
        d = r.details
        return (f"{d['report_rows']} rows, JSON {d['report_json_mb']} MB; {d['certificates']:,} certificates in the "
                f"index, DB {d['db_mb']} MB")
    if r.section == "indexer":
        return f"{d.get('indexed', d.get('events')):,} events in {d['seconds']} s"
    if r.section == "soak" and "rss_first_mb" in d:
        return (f"RSS {d['rss_first_mb']:.0f} -> {d['rss_last_mb']:.0f} MB (max {d['rss_max_mb']:.0f}), fds "
                f"{d['fds_first']} -> {d['fds_last']}, DB {d['db_mb']} MB, {d['parcels']:,} parcels, "
                f"warm-up {d['warmup_min']:g} min")
    if r.section == "soak" and "fds_max" in d:
        own = (f"; own {d['fds_own_first']} -> {d['fds_own_last']}, all {d['fds_total_slope']}/min"
               if d.get("fds_own_first") is not None else "")
        return f"fds {d['fds_first']} -> {d['fds_last']} (max {d['fds_max']}){own}"
    if r.section == "soak" and "latency" in d:
        return "; ".join(f"{k} {v['first_third_p99_ms']} -> {v['last_third_p99_ms']} ms"
                         for k, v in d["latency"].items())
    if r.section == "soak" and "requests" in d:
        return ", ".join(f"{k} {n:,}" for k, n in d["requests"].items())
    if r.section == "chainkill" and "rounds" in d:
        k = d["keeper"]
        return (f"state {d['state_mb'][0]}-{d['state_mb'][1]} MB, {d['loop_s']} s; dumps kept {k.get('kept', 0)} "
                f"(checked in {k.get('check_ms', 0) / max(1, k.get('kept', 0) + k.get('mixed', 0)):.0f} ms each), "
                f"dropped as mixed {k.get('mixed', 0)}, copies synced {k.get('synced', 0)} "
                f"({k.get('sync_ms', 0) / max(1, k.get('synced', 0)):.0f} ms each)")
    if r.section == "chainkill" and "median_s" in d:
        return (f"median {d['median_s']} s; blocks lost max {d['blocks_max']}, median {d['blocks_median']}; the state "
                f"on disk at the kill {d['state_age_s']['median']} s old (max {d['state_age_s']['max']})")
    if r.section == "chainkill" and "acknowledged" in d:
        return (f"missing {d['missing']}, twice {d['twice']}, other id {d['answered_id_differs']}, index off "
                f"{d['index_mismatched']}; {d['retries']:,} retries while the chain was down")
    if r.section == "world" and not d.get("extrapolated"):
        return (f"{d['writes']:,} writes ({d['writes_per_s']}/s), {d['handoffs']} hand-offs, {d['errors']} errors, "
                f"chain {d['chain_state_mb']} MB, DB {d['db_mb']} MB, backend peak {d['backend_peak_rss_mb']:.0f} MB")
    if r.section == "world":
        return f"{d['year_writes']:,} writes at {d['writes_per_s']}/s"
    return ""


def rows(results: list[Result]) -> list[list[str]]:
    out = []
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        out.append([r.section, r.name, fmt(r.value, r.unit), fmt(r.ceiling, r.unit if r.unit != "writes/s"
                                                               else "tx/s"), ratio, r.goal, verdict(r.passed),
                    extra(r)])
    return out


COLUMNS = ["section", "benchmark", "value", "ceiling", "ratio", "goal", "", "notes"]


def table(results: list[Result]) -> str:
    body = rows(results)
    widths = [max([len(c), *(len(row[i]) for row in body)]) for i, c in enumerate(COLUMNS)]  # body may be empty
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(lines)


def markdown(results: list[Result], info: dict[str, Any]) -> str:
    lines = [f"Measured with `{info['command']}` on {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB, "
             f"python {info['python']}, {info['anvil']}.", "",
             "| section | benchmark | value | ceiling | ratio | goal | | notes |",
             "|---|---|---:|---:|---:|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    return "\n".join(lines) + "\n"


def write(results: list[Result], info: dict[str, Any], failures: dict[str, str], seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"machine": info, "seconds": round(seconds, 1), "failures": failures,
            "results": [r.to_dict() for r in results]}
    stamp = time.strftime("%Y%m%dT%H%M%S")
    text = json.dumps(data, indent=2, default=str) + "\n"
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / f"{stamp}.json").write_text(text)
    (RESULTS / "latest.md").write_text(markdown(results, info))
    return RESULTS / "latest.json"
