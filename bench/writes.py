"""Relayed writes through the HTTP API vs the raw chain ceiling (pre-signed raw transactions in batches of 200)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    ROLE,
    UNSORTED,
    LocalChain,
    Result,
    Server,
    Signer,
    address_of,
    cpu_seconds,
    dev_key,
    log,
    percentile,
    sha,
)
from kpledger.signing.typed_data import sign_intent

LEVELS = (1, 4, 16, 64)
BLOCK_TIMES = (1, 2)  # seconds: QBFT's block period is 1-5 s whatever the load
INTERVAL_OVERHEAD_S = 0.25  # goal: a relayed write answered (mined and indexed) within this of a raw transaction
GOAL_RATIO, GOAL_RATE = 0.5, 500.0
FIRST_CLIENT_KEY = 21  # beyond anvil's funded accounts: the relayer pays
RAW_PRODUCER_KEYS = range(3, 10)  # funded by anvil; they register parcels directly for the ceiling


@dataclass(frozen=True)
class Sizes:
    per_level: dict[int, int]  # total requests at each concurrency
    raw: int  # least raw transactions for each ceiling (at least as many as the level's requests)


QUICK = Sizes({1: 40, 4: 160, 16: 640, 64: 1_920}, 1_000)
FULL = Sizes({1: 200, 4: 800, 16: 3_200, 64: 12_800}, 2_000)


def signed_requests(key: bytes, count: int, chain_id: int, ledger: str, tag: str) -> list[dict[str, Any]]:
    """`count` RegisterParcel bodies for one signer, nonces 0..count-1, signed before any clock starts."""
    deadline = int(time.time()) + 4 * 3600
    bodies = []
    for nonce in range(count):
        message = {"points": 1_000 + nonce, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                   "documentHash": sha(f"{tag}-{nonce}")}
        signed = sign_intent(key, "RegisterParcel", message, chain_id=chain_id, verifying_contract=ledger,
                             nonce=nonce, deadline=deadline)
        bodies.append({"message": message, "signer": signed.signer, "nonce": nonce, "deadline": deadline,
                       "signature": "0x" + signed.signature.hex()})
    return bodies


async def _client(http: aiohttp.ClientSession, url: str, bodies: list[dict[str, Any]], latencies: list[float],
                  errors: list[str]) -> None:
    for body in bodies:
        started = time.perf_counter()
        try:
            async with http.post(url, json=body) as response:
                text = await response.text()
            ok = response.status == 200 and json.loads(text).get("status") == "mined"
            if not ok:
                errors.append(f"{response.status} {text[:200]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if ok:
            latencies.append(time.perf_counter() - started)


async def _run_level(url: str, per_client: list[list[dict[str, Any]]]) -> tuple[float, list[float], list[str]]:
    """Each client posts its requests one after another on its own keep-alive connection.

    The load generator is aiohttp, not httpx: on this 2-core machine the client shares the CPU with the
    server and the chain, and httpx spent as much CPU per request as the server did."""
    latencies: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=len(per_client) + 4)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as http:
        async with http.get(url + "/v1/config") as response:  # one connection warm
            await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(_client(http, url + "/v1/parcels", bodies, latencies, errors)
                               for bodies in per_client))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, errors


def raw_ceiling(chain: LocalChain, producers: list[Signer], count: int) -> float:
    """Direct registerParcel calls by funded producers, pre-signed, sent in JSON-RPC batches of 200."""
    raws = []
    for i in range(count):
        p = producers[i % len(producers)]
        data = chain.calldata(chain.ledger, "registerParcel", 1_000 + i, 1, UNSORTED, "BW", bytes(32))
        raws.append(p.sign(chain.ledger.address, data, gas=300_000))
    return count / chain.send_raw(raws)


def raw_latencies(chain: LocalChain, producer: Signer, count: int) -> tuple[list[float], int]:
    """Seconds from sending one direct registerParcel transaction to its receipt, one after another, and the gas
    one such registration uses."""
    out = []
    for i in range(count):
        data = chain.calldata(chain.ledger, "registerParcel", 5_000 + i, 1, UNSORTED, "BW", bytes(32))
        out.append(chain.send_raw([producer.sign(chain.ledger.address, data, gas=300_000)]))
    block = chain.w3.eth.get_block("latest")
    return out, block["gasUsed"] // max(len(block["transactions"]), 1)


def interval_blocks(work: Path, block_time: int, full: bool) -> list[Result]:
    """The same relayed writes on a chain that mines a block every `block_time` seconds, empty or not (what a
    QBFT network does). One client: latency, against a raw transaction's send-to-receipt latency on the same chain.
    Many clients: throughput, against what the chain can hold (block gas limit / gas of one direct registration,
    per block time) and what the clients can ask (one request each per raw latency), whichever is less."""
    clients, per = (512, 8) if full else (256, 4)
    chain = LocalChain(work / f"writes-{block_time}s")
    server: Server | None = None
    try:
        authority, producer = Signer(dev_key(2)), Signer(dev_key(3))
        keys = [dev_key(FIRST_CLIENT_KEY + i) for i in range(clients + 1)]  # the last: the lone client
        chain.admit({"BW": "Botswana"})
        chain.appoint({"BW": authority.address})
        chain.license(authority, [producer.address] + [address_of(k) for k in keys], ROLE["producer"])
        chain.set_block_time(block_time)
        log(f"writes: {block_time} s blocks: raw send-to-receipt latency")
        raw, gas_per_write = raw_latencies(chain, producer, 20 if full else 8)
        raw_p50 = percentile(raw, 50)
        block_gas = chain.w3.eth.get_block("latest")["gasLimit"]
        capacity = block_gas / gas_per_write / block_time
        server = Server(chain.url, chain.data_dir)
        chain_id, ledger = chain.deployment["chainId"], chain.deployment["ledger"]
        results = []
        for group, count in ((keys[-1:], 20 if full else 8), (keys[:-1], per)):
            log(f"writes: {block_time} s blocks: {len(group)} clients x {count} requests")
            per_client = [signed_requests(k, count, chain_id, ledger, f"b{block_time}-{len(group)}-{i}")
                          for i, k in enumerate(group)]
            elapsed, latencies, errors = asyncio.run(_run_level(server.url, per_client))
            rate, p50 = len(latencies) / elapsed, percentile(latencies, 50)
            details = {"block_time_s": block_time, "clients": len(group), "requests": len(group) * count,
                       "ok": len(latencies), "errors": len(errors), "first_errors": errors[:3],
                       "seconds": round(elapsed, 2), "p50_ms": round(p50 * 1000),
                       "p99_ms": round(percentile(latencies, 99) * 1000), "raw_p50_ms": round(raw_p50 * 1000),
                       "block_gas_limit": block_gas, "gas_per_direct_write": gas_per_write,
                       "chain_capacity_per_s": round(capacity, 1)}
            if len(group) == 1:
                results.append(Result(
                    "writes", f"relayed write latency p50, {block_time} s blocks, 1 client", p50 * 1000, "ms",
                    raw_p50 * 1000, "a raw transaction's send-to-receipt p50 on the same chain",
                    f"<= raw + {INTERVAL_OVERHEAD_S * 1000:.0f} ms",
                    not errors and p50 <= raw_p50 + INTERVAL_OVERHEAD_S, details))
            else:
                ceiling = min(capacity, len(group) / raw_p50)
                results.append(Result(
                    "writes", f"relayed writes/s, {block_time} s blocks, {len(group)} clients", rate, "writes/s",
                    ceiling, "the chain's capacity in direct registrations, or the clients' demand if less",
                    f">= {GOAL_RATIO} x ceiling", not errors and rate >= GOAL_RATIO * ceiling, details))
        return results
    finally:
        if server is not None:
            server.close()
        chain.close()


def run(work: Path, full: bool) -> list[Result]:
    """Automine (a block per transaction) first, then interval blocks of 1 and 2 s."""
    results = automine(work, full)
    for block_time in BLOCK_TIMES:
        results += interval_blocks(work, block_time, full)
    return results


def automine(work: Path, full: bool) -> list[Result]:
    """Per level: the raw ceiling measured on the chain as it is just before (anvil slows down as its storage
    grows, so a ceiling from a fresh chain would flatter it), then the relayed writes with a fresh server."""
    sizes = FULL if full else QUICK
    chain = LocalChain(work / "writes")
    server: Server | None = None
    try:
        authority = Signer(dev_key(2))
        chain.admit({"BW": "Botswana"})
        chain.appoint({"BW": authority.address})
        producers = [Signer(dev_key(i)) for i in RAW_PRODUCER_KEYS]
        keys_by_level: dict[int, list[bytes]] = {}
        next_key = FIRST_CLIENT_KEY
        for level in LEVELS:
            keys_by_level[level] = [dev_key(next_key + i) for i in range(level)]
            next_key += level
        accounts = [p.address for p in producers] + [address_of(k) for ks in keys_by_level.values() for k in ks]
        chain.license(authority, accounts, ROLE["producer"])
        chain_id, ledger = chain.deployment["chainId"], chain.deployment["ledger"]
        results: list[Result] = []
        ceilings: list[float] = []
        for level in LEVELS:
            requests = sizes.per_level[level]
            raw_count = max(requests, sizes.raw)
            log(f"writes: raw ceiling with {raw_count} pre-signed registerParcel transactions (chain at block "
                f"{chain.head()})")
            ceiling = raw_ceiling(chain, producers, raw_count)
            ceilings.append(ceiling)
            server = Server(chain.url, chain.data_dir)
            server.wait_indexed(chain.head())  # the raw blocks indexed before the clock starts
            per = requests // level
            log(f"writes: {level} clients x {per} pre-signed RegisterParcel intents")
            per_client = [signed_requests(k, per, chain_id, ledger, f"c{level}-{i}")
                          for i, k in enumerate(keys_by_level[level])]
            cpu_before = cpu_seconds(server.pid) or 0.0
            elapsed, latencies, errors = asyncio.run(_run_level(server.url, per_client))
            server_cpu = (cpu_seconds(server.pid) or cpu_before) - cpu_before
            server.close()
            server = None
            rate = len(latencies) / elapsed
            results.append(Result(
                "writes", f"relayed writes/s, {level} client{'s' if level > 1 else ''}", rate, "writes/s",
                ceiling, "raw chain ceiling just before (direct registerParcel, JSON-RPC batches of 200)",
                f">= {GOAL_RATIO} x ceiling and >= {GOAL_RATE:.0f}/s",
                not errors and rate >= GOAL_RATIO * ceiling and rate >= GOAL_RATE,
                {"clients": level, "requests": level * per, "ok": len(latencies), "errors": len(errors),
                 "first_errors": errors[:3], "seconds": round(elapsed, 3),
                 "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                 "p99_ms": round(percentile(latencies, 99) * 1000, 1),
                 "server_cpu_ms_per_write": round(server_cpu * 1000 / max(len(latencies), 1), 2),
                 "raw_transactions": raw_count}))
            if errors:
                log(f"writes: {len(errors)} errors, first: {errors[0]}")
        log("writes: raw ceiling again after the relayed runs (same chain, now longer)")
        ceiling_after = raw_ceiling(chain, producers, sizes.raw)
        results.append(Result("writes", "raw chain ceiling (first / last level / after)", ceilings[0], "tx/s",
                              details={"first": round(ceilings[0], 1), "last": round(ceilings[-1], 1),
                                       "after": round(ceiling_after, 1), "blocks": chain.head()}))
        return results
    finally:
        if server is not None:
            server.close()
        chain.close()
