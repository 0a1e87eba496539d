"""Relayed-write latency over HTTP with the chain mining per transaction (automine) or every N seconds.

    python scripts/network/measure_block_latency.py                 # automine, 1 s, 2 s
    python scripts/network/measure_block_latency.py --block-times 0 2 5 --sequential 10 --clients 8

For each block time: a fresh anvil (`--block-time N`, 0 = automine) and the API (the helpers of
tests/backend/conftest.py), BW admitted and its authority appointed through the API; then one client posts
`--sequential` RegisterParcel requests one after another (each answered after its block is mined and indexed),
then `--clients` clients post `--per-client` requests each at once. Prints the latency of each request
(p50 / max), and for the concurrent part the writes per second and how many relayer transactions (batches)
and blocks it took, as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from eth_account import Account

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backend"))

from kpledger.localnet import start_anvil, stop, wait_until_up  # noqa: E402

from conftest import KEYS, Actor, Node, deploy, free_port, start_server  # noqa: E402
from writes_support import UNSORTED, Api, b32  # noqa: E402


def timed_posts(api: Api, bodies: list[dict[str, Any]]) -> list[float]:
    out = []
    for body in bodies:
        started = time.perf_counter()
        response = api.post("RegisterParcel", body)
        assert response.status_code == 200, response.text
        out.append(time.perf_counter() - started)
    return out


def measure(block_time: float, sequential: int, clients: int, per_client: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="latency-")) / "data"
    port = free_port()
    process = start_anvil(data, port, block_time=block_time or None)
    url = f"http://127.0.0.1:{port}"
    server = None
    try:
        wait_until_up(url, process)
        node = Node(url, process, data, port)
        relayer, governance, authority = (Actor(n, KEYS[i]) for i, n in enumerate(("relayer", "gov", "bw")))
        deploy(node.w3, relayer, governance, data / "deployment.json")
        server = start_server(node)
        api = Api(server.url, timeout=120)
        setup_started = time.perf_counter()
        api.do(governance, "AdmitParticipant", {"code": "BW", "name": "Botswana"})
        api.do(governance, "SetAuthority", {"participant": "BW", "account": authority.address, "appoint": True})
        producers = [Actor(f"p{i}", Account.create().key) for i in range(clients + 1)]
        for p in producers:
            api.do(authority, "LicenseOperator", {"account": p.address, "roles": 2})
        setup_s = time.perf_counter() - setup_started

        def bodies(actor: Actor, count: int) -> list[dict[str, Any]]:
            return [api.body(actor, "RegisterParcel", {"points": 100 + i, "stones": 1, "hsCode": UNSORTED,
                                                       "origin": "BW", "documentHash": b32(f"{actor.address}-{i}")},
                             nonce=i) for i in range(count)]

        one = timed_posts(api, bodies(producers[0], sequential))
        work = [bodies(p, per_client) for p in producers[1:]]
        latencies: list[float] = []
        lock = threading.Lock()

        def client(mine: list[dict[str, Any]]) -> None:
            own = Api(server.url, timeout=120)
            got = timed_posts(own, mine)
            with lock:
                latencies.extend(got)

        threads = [threading.Thread(target=client, args=(w,)) for w in work]
        relayer_nonce, first_block = node.w3.eth.get_transaction_count(relayer.address), node.w3.eth.block_number
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        blocks = node.w3.eth.block_number
        relayer_txs = node.w3.eth.get_transaction_count(relayer.address) - relayer_nonce
        return {"block_time_s": block_time or "automine", "setup_writes": 2 + len(producers),
                "setup_s": round(setup_s, 2),
                "sequential_ms": {"p50": round(statistics.median(one) * 1000), "max": round(max(one) * 1000),
                                  "all": [round(x * 1000) for x in one]},
                "concurrent": {"clients": clients, "writes": len(latencies), "wall_s": round(wall, 2),
                               "writes_per_s": round(len(latencies) / wall, 1),
                               "p50_ms": round(statistics.median(latencies) * 1000),
                               "max_ms": round(max(latencies) * 1000),
                               "relayer_transactions": relayer_txs, "blocks": blocks - first_block},
                "blocks_at_end": blocks}
    finally:
        if server is not None:
            stop(server.process)
        stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block-times", type=float, nargs="+", default=[0, 1, 2], help="0 = automine")
    parser.add_argument("--sequential", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=5)
    args = parser.parse_args(argv)
    for bt in args.block_times:
        print(json.dumps(measure(bt, args.sequential, args.clients, args.per_client)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
