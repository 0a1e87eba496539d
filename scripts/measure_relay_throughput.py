"""Relayed-write throughput of the HTTP API on the embedded chain, and the chain's raw ceiling.

    python scripts/measure_relay_throughput.py                       # 1, 4, 16, 64 clients
    python scripts/measure_relay_throughput.py --clients 64 --requests 40 --no-raw

Starts a fresh anvil and the API (the helpers of tests/backend/conftest.py), licenses one producer per
client, pre-signs every client's RegisterParcel intents (its own key, sequential nonces; signing is not
timed), then each client posts its requests one after another over its own HTTP connection. Prints
writes/s and p50 / p99 latency per level. The raw ceiling sends pre-signed raw registerParcelBySig
transactions straight to anvil in JSON-RPC batches of 200 (no backend), until the last receipt.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from eth_account import Account

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "backend"))

from kpledger.intents import INTENTS, sign_intent  # noqa: E402
from kpledger.localnet import start_anvil, stop, wait_until_up  # noqa: E402

from conftest import KEYS, Actor, Node, deploy, free_port, start_server  # noqa: E402
from writes_support import UNSORTED, Api, b32  # noqa: E402


def producers(api: Api, authority: Actor, count: int) -> list[Actor]:
    """`count` fresh producer keys licensed by BW's authority (through the API)."""
    out = []
    for i in range(count):
        actor = Actor(f"producer{i}", Account.create().key)
        api.do(authority, "LicenseOperator", {"account": actor.address, "roles": 2})
        out.append(actor)
    return out


def presign(api: Api, actor: Actor, count: int, tag: str) -> list[dict[str, Any]]:
    start = api.nonce(actor.address, "KPLedger")
    return [api.body(actor, "RegisterParcel", {"points": 100 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                               "documentHash": b32(f"{tag}-{actor.address}-{i}")}, nonce=start + i)
            for i in range(count)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_level(url: str, bodies: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Each client posts its bodies one at a time; returns writes/s and latency percentiles (ms)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(len(bodies) + 1)

    def client(mine: list[dict[str, Any]]) -> None:
        # one keep-alive connection per client, http.client: the load generator shares the machine's two cores
        # with the backend and anvil, so it should cost as little as possible (httpx costs about 3x more)
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        payloads = [json.dumps(body).encode() for body in mine]
        headers = {"Content-Type": "application/json"}
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        go.wait()
        for payload in payloads:
            t0 = time.perf_counter()
            conn.request("POST", "/v1/parcels", body=payload, headers=headers)
            response = conn.getresponse()
            text = response.read()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    errors.append(text[:200].decode())
        conn.close()

    threads = [threading.Thread(target=client, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    go.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}")
    latencies.sort()
    return {"writes": len(latencies), "seconds": wall, "per_s": len(latencies) / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "errors": len(errors)}


def raw_ceiling(node: Node, api: Api, mine: Actor, total: int, batch: int = 200) -> float:
    """tx/s of pre-signed raw registerParcelBySig transactions sent in JSON-RPC batches to anvil."""
    w3 = node.w3
    ledger = w3.eth.contract(address=api.config["contracts"]["KPLedger"],
                             abi=json.loads((ROOT / ".build" / "__local__.json").read_text())
                             ["contractTypes"]["KPLedger"]["abi"])
    sender = Actor("raw", KEYS[11])
    w3.provider.make_request("anvil_setBalance", [sender.address, hex(10**24)])
    start_intent = api.nonce(mine.address, "KPLedger")
    start_tx = w3.eth.get_transaction_count(sender.address)
    gas_price = w3.eth.gas_price * 2
    raws = []
    deadline = int(time.time()) + 3600
    for i in range(total):
        message = {"points": 1 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32(f"raw-{i}")}
        signed = sign_intent(mine.key, "RegisterParcel", message, chain_id=api.config["chain_id"],
                             verifying_contract=ledger.address, nonce=start_intent + i, deadline=deadline)
        data = ledger.encode_abi(INTENTS["RegisterParcel"].function, args=[
            *[bytes.fromhex(v[2:]) if isinstance(v, str) and v.startswith("0x") else v for v in message.values()],
            (signed.signer, signed.nonce, signed.deadline, signed.signature)])
        tx = {"chainId": api.config["chain_id"], "nonce": start_tx + i, "to": ledger.address, "data": data,
              "gas": 200_000, "gasPrice": gas_price, "value": 0}
        raws.append("0x" + Account.sign_transaction(tx, sender.key).raw_transaction.hex())
    session = requests.Session()
    t0 = time.perf_counter()
    for off in range(0, total, batch):
        payload = [{"jsonrpc": "2.0", "id": off + j, "method": "eth_sendRawTransaction", "params": [raw]}
                   for j, raw in enumerate(raws[off:off + batch])]
        answers = session.post(node.url, json=payload, timeout=120).json()
        bad = [a for a in answers if "error" in a]
        assert not bad, bad[:2]
    while w3.eth.get_transaction_count(sender.address) < start_tx + total:
        time.sleep(0.005)
    return total / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--requests", type=int, default=0,
                        help="requests per client (default: about 2,000 writes per level, at least 40 each)")
    parser.add_argument("--raw", type=int, default=1000, help="raw transactions for the ceiling (0: skip)")
    parser.add_argument("--no-raw", action="store_true")
    parser.add_argument("--no-batch", action="store_true", help="deploy without KPRelayBatch (the old path)")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log there")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="kp-throughput-") as tmp:
        data = Path(tmp) / "data"
        port = free_port()
        process = start_anvil(data, port)
        url = f"http://127.0.0.1:{port}"
        node = Node(url, process, data, port)
        server = None
        try:
            wait_until_up(url, process)
            names = ["relayer", "governance", "bw_authority"]
            actors = {n: Actor(n, k) for n, k in zip(names, KEYS, strict=False)}
            record = deploy(node.w3, actors["relayer"], actors["governance"], data / "deployment.json")
            if args.no_batch:  # the relayer then sends one transaction per request (deployments without it)
                record.pop("batch")
                (data / "deployment.json").write_text(json.dumps(record, indent=2))
            server = start_server(node)
            api = Api(server.url, timeout=60)
            api.do(actors["governance"], "AdmitParticipant", {"code": "BW", "name": "Botswana"})
            api.do(actors["governance"], "SetAuthority", {"participant": "BW",
                                                          "account": actors["bw_authority"].address, "appoint": True})
            clients = producers(api, actors["bw_authority"], max(args.clients))
            print(f"{'clients':>7} {'writes':>7} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8}   CPU ms per write: "
                  "backend / anvil / clients")
            for level in args.clients:
                per_client = args.requests or max(40, 2000 // level)
                bodies = [presign(api, c, per_client, f"L{level}") for c in clients[:level]]
                before = [cpu_seconds(p) for p in (server.process.pid, process.pid, os.getpid())]
                block = node.w3.eth.block_number
                r = run_level(server.url, bodies)
                blocks = node.w3.eth.block_number - block  # automine: one block per relayer transaction
                cpu = [1000 * (cpu_seconds(p) - b) / r["writes"]
                       for p, b in zip((server.process.pid, process.pid, os.getpid()), before, strict=True)]
                print(f"{level:>7} {r['writes']:>7} {r['per_s']:>9.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}   "
                      f"{cpu[0]:.2f} / {cpu[1]:.2f} / {cpu[2]:.2f}   {r['writes'] / max(blocks, 1):.1f} writes per tx"
                      + (f"  ({r['errors']} errors)" if r["errors"] else ""), flush=True)
            if args.raw and not args.no_raw:
                ceiling = raw_ceiling(node, api, clients[0], args.raw)
                print(f"raw ceiling (pre-signed raw txs, JSON-RPC batches of 200): {ceiling:.0f} tx/s")
        finally:
            if server is not None:
                stop(server.process)
            stop(process)
            if args.keep_log:
                for log in data.glob("server-*.log"):
                    args.keep_log.write_bytes(log.read_bytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
