"""Soak: the stack `make run` starts (anvil with the contracts, the API process) under a realistic mix for a bounded
time, read every minute: backend memory and descriptors, DB size, index lag, p99 latency per request kind, errors.

The mix (rates are totals, paced open-loop so that a slow server is not hidden by a slow client):
* relayed writes: RegisterParcel by `writers` producers, each signing its next intent (coincurve over
  `kpledger.typed_data.digest`, as bench/world.py) and waiting for the answer (mined and indexed);
* provenance reads of parcels registered so far;
* documents: each new parcel's producer files its document (`KPClient.file_document`, a signed PUT), and the
  filed documents are read back by their producers (`KPClient.document`, a signed GET);
* viewer page loads: the viewer's static files (index.html, its CSS and ES modules, the QR library) fetched
  together as a browser does, then the API calls a lot page makes (config, health, participants, lot, provenance).

Verdict: after the warm-up, the least-squares slope of RSS (MB/min) and of open descriptors (fds/min) under their
ceilings, every kind's p99 in the last third of the run within 1.5x (+10 ms) of the first third, and no error. The
slopes and the drift are judged on runs of 30 minutes or more (`make soak`); the few minutes of the quick form show
mostly the warm-up, so there they are printed without a verdict (errors are judged always).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from coincurve import PrivateKey

from bench.common import ROLE, UNSORTED, LocalChain, Result, Server, Signer, address_of, dev_key, log, percentile
from bench.report import RESULTS
from kpledger.client import KPClient
from kpledger.signing import typed_data

FIRST_WRITER_KEY = 40
METRICS_TOKEN = "soak-metrics-token-0123456789"
ADMIN_TOKEN = "soak-admin-token-0123456789"
RSS_SLOPE_MB_MIN, FDS_SLOPE_MIN = 0.2, 0.05  # ceilings of the post-warm-up slopes
DRIFT_RATIO, DRIFT_SLACK_MS = 1.5, 10.0  # last third's p99 <= ratio x first third's + slack
LONG_MINUTES = 30.0  # slopes and drift are judged on runs this long or longer
KINDS = ("write", "provenance", "doc_file", "doc_read", "page")
FRONTEND = Path(__file__).resolve().parents[1] / "frontend-static"


@dataclass(frozen=True)
class Mix:
    """Requests per second of each kind (pages: whole page loads)."""

    writes: float = 10.0
    reads: float = 10.0
    doc_files: float = 1.0
    doc_reads: float = 1.0
    pages: float = 1.0
    writers: int = 64

    def scaled(self, factor: float) -> Mix:
        return Mix(self.writes * factor, self.reads * factor, self.doc_files * factor, self.doc_reads * factor,
                   self.pages * factor, self.writers)


@dataclass
class Minute:
    """What one sampling interval saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_errors: list[str] = field(default_factory=list)

    def record(self, kind: str, seconds: float | None, error: str | None = None) -> None:
        if error is None and seconds is not None:
            self.latencies[kind].append(seconds)
        else:
            self.errors[kind] += 1
            if len(self.first_errors) < 5:
                self.first_errors.append(f"{kind}: {error}")


class Writer:
    """A producer with its own key: signs RegisterParcel intents with consecutive nonces."""

    def __init__(self, index: int, chain_id: int, ledger: str):
        self.raw_key = dev_key(FIRST_WRITER_KEY + index)
        self.key = PrivateKey(self.raw_key)
        self.address = address_of(self.raw_key)
        self.chain_id, self.ledger, self.index = chain_id, ledger, index
        self.nonce = 0
        self.client: KPClient | None = None

    def body(self, document: bytes) -> dict[str, Any]:
        message = {"points": 100 + self.nonce % 1000, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                   "documentHash": "0x" + hashlib.sha256(document).hexdigest()}
        deadline = int(time.time()) + 3600
        digest = typed_data.digest("RegisterParcel", message, self.address, self.nonce, deadline,
                                   chain_id=self.chain_id, verifying_contract=self.ledger)
        sig = self.key.sign_recoverable(digest, hasher=None)
        return {"message": message, "signer": self.address, "nonce": self.nonce, "deadline": deadline,
                "signature": "0x" + sig[:64].hex() + f"{sig[64] + 27:02x}"}


def viewer_files() -> list[str]:
    """The files a browser fetches for the viewer: index.html, what it links, and the ES modules it imports."""
    index = (FRONTEND / "index.html").read_text()
    linked = re.findall(r'(?:href|src)="([^":]+\.(?:css|js))"', index)
    modules = sorted(p.name for p in FRONTEND.glob("*.js"))
    return ["/", *dict.fromkeys(f"/{p}" for p in [*linked, *modules])]


class Soak:
    def __init__(self, server: Server, chain: LocalChain, writers: list[Writer], mix: Mix, seconds: float,
                 interval: float):
        self.server, self.chain, self.writers, self.mix = server, chain, writers, mix
        self.seconds, self.interval = seconds, interval
        self.minute = Minute()
        self.rows: list[dict[str, Any]] = []
        self.parcels: list[int] = []  # registered, readable
        self.unfiled: list[tuple[Writer, int, bytes]] = []  # (producer, parcel id, document) to file
        self.filed: list[tuple[Writer, int]] = []
        self.last_read: dict[tuple[int, int], float] = {}  # (writer, parcel) -> when read (a signed text is single-use)
        self.pages = viewer_files()
        self.stop_at = 0.0
        self.started = 0.0

    # ------------------------------------------------------------ load

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=120)
        connector = aiohttp.TCPConnector(limit=128)  # bounded: the server holds one descriptor per connection
        async with aiohttp.ClientSession(self.server.url, connector=connector, timeout=timeout) as http:
            self.http = http
            self.started = time.monotonic()
            self.stop_at = self.started + self.seconds
            tasks = [asyncio.create_task(self._writer(w)) for w in self.writers]
            tasks += [asyncio.create_task(self._paced(self.mix.reads, self._provenance)),
                      asyncio.create_task(self._paced(self.mix.doc_files, self._doc_file)),
                      asyncio.create_task(self._paced(self.mix.doc_reads, self._doc_read)),
                      asyncio.create_task(self._paced(self.mix.pages, self._page))]
            sampler = asyncio.create_task(self._sampler())
            await asyncio.gather(*tasks)
            await sampler

    async def _writer(self, writer: Writer) -> None:
        period = len(self.writers) / self.mix.writes
        await asyncio.sleep(random.uniform(0, period))
        while time.monotonic() < self.stop_at:
            began = time.monotonic()
            document = f"soak parcel document {writer.index}-{writer.nonce}".encode()
            body = writer.body(document)
            try:
                async with self.http.post("/v1/parcels", json=body) as response:
                    answer = await response.json(content_type=None)
                if response.status == 200 and answer.get("status") == "mined":
                    writer.nonce += 1
                    parcel = answer["result"]["parcel_id"]
                    self.parcels.append(parcel)
                    self.unfiled.append((writer, parcel, document))
                    self.minute.record("write", time.monotonic() - began)
                else:
                    self.minute.record("write", None, f"{response.status} {str(answer)[:160]}")
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                self.minute.record("write", None, f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(max(0.0, began + period - time.monotonic()))

    async def _paced(self, rate: float, one: Any) -> None:
        """Starts `one()` `rate` times a second (open loop, at most 64 in flight) until the end."""
        if rate <= 0:
            return
        period, running = 1.0 / rate, set()
        next_at = time.monotonic()
        while time.monotonic() < self.stop_at:
            if len(running) < 64:
                task = asyncio.create_task(one())
                running.add(task)
                task.add_done_callback(running.discard)
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if running:
            await asyncio.gather(*running)

    async def _timed_get(self, kind: str, path: str, headers: dict[str, str] | None = None) -> None:
        began = time.monotonic()
        try:
            async with self.http.get(path, headers=headers) as response:
                await response.read()
            if response.status == 200:
                self.minute.record(kind, time.monotonic() - began)
            else:
                self.minute.record(kind, None, f"{response.status} {path}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.minute.record(kind, None, f"{type(exc).__name__}: {exc}")

    async def _provenance(self) -> None:
        if self.parcels:
            await self._timed_get("provenance", f"/v1/parcels/{random.choice(self.parcels)}/provenance")

    async def _doc_file(self) -> None:
        if not self.unfiled:
            return
        writer, parcel, document = self.unfiled.pop(random.randrange(len(self.unfiled)))
        began = time.monotonic()
        try:
            answer = await asyncio.to_thread(writer.client.file_document, "parcels", parcel, document)  # type: ignore[union-attr]
            if answer.get("stored"):
                self.filed.append((writer, parcel))
                self.minute.record("doc_file", time.monotonic() - began)
            else:
                self.minute.record("doc_file", None, str(answer)[:160])
        except Exception as exc:  # noqa: BLE001 - any failure is an error of this kind
            self.minute.record("doc_file", None, f"{type(exc).__name__}: {exc}")

    async def _doc_read(self) -> None:
        now = time.monotonic()
        fresh = [(w, p) for w, p in self.filed[-200:] if now - self.last_read.get((w.index, p), -9) > 2.0]
        if not fresh:
            return
        writer, parcel = random.choice(fresh)
        self.last_read[(writer.index, parcel)] = now
        try:
            content, _type = await asyncio.to_thread(writer.client.document, "parcels", parcel)  # type: ignore[union-attr]
            if content.startswith(b"soak parcel document"):
                self.minute.record("doc_read", time.monotonic() - now)
            else:
                self.minute.record("doc_read", None, "wrong content")
        except Exception as exc:  # noqa: BLE001 - any failure is an error of this kind
            self.minute.record("doc_read", None, f"{type(exc).__name__}: {exc}")

    async def _page(self) -> None:
        """A lot page: the static files together, then the API calls the page makes."""
        if not self.parcels:  # a lot page needs a lot
            return
        began = time.monotonic()
        lot = random.choice(self.parcels)
        before = sum(self.minute.errors.values())
        await asyncio.gather(*(self._fetch(p) for p in self.pages))
        await asyncio.gather(self._fetch("/v1/config"), self._fetch("/healthz"), self._fetch("/v1/participants"),
                             self._fetch(f"/v1/lots/{lot}"), self._fetch(f"/v1/parcels/{lot}/provenance"))
        if sum(self.minute.errors.values()) == before:
            self.minute.record("page", time.monotonic() - began)

    async def _fetch(self, path: str) -> None:
        try:
            async with self.http.get(path) as response:
                await response.read()
            if response.status != 200:
                self.minute.record("page", None, f"{response.status} {path}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.minute.record("page", None, f"{type(exc).__name__}: {exc} ({path})")

    # ------------------------------------------------------------ readings

    async def _sampler(self) -> None:
        index = 0
        while True:
            index += 1
            due = self.started + index * self.interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            minute, self.minute = self.minute, Minute()
            row = await self._reading(index, minute)
            self.rows.append(row)
            p99 = " ".join(f"{k} {row['p99_ms'][k]}" for k in KINDS)
            log(f"soak {row['t_min']:6.1f} min: RSS {row['rss_mb']} MB, fds {row['fds']} ({row['fds_clients']} "
                f"client connections), DB {row['db_mb']} MB, "
                f"lag {row['lag_blocks']} blocks / {row['lag_s']} s, requests {row['requests']}, errors "
                f"{row['errors']}; p99 ms: {p99}")
            if due + 1e-6 >= self.stop_at:
                return

    async def _reading(self, index: int, minute: Minute) -> dict[str, Any]:
        pid = self.server.pid
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        clients = client_connections(pid, self.server.port)
        db = sum(p.stat().st_size for p in self.server.data_dir.glob("kp.db*")) / 2**20
        async with self.http.get("/healthz") as response:
            health = await response.json()
        lag_s = await self._metric("kp_index_lag_seconds")
        return {"t_min": round(index * self.interval / 60, 2), "rss_mb": round(rss, 1), "fds": fds,
                "fds_clients": clients, "fds_own": fds - clients,
                "db_mb": round(db, 1), "lag_blocks": health["lag"], "lag_s": lag_s, "head": health["latest_block"],
                "requests": {k: len(minute.latencies[k]) for k in KINDS},
                "p99_ms": {k: round(percentile(minute.latencies[k], 99) * 1000, 1) if minute.latencies[k] else None
                           for k in KINDS},
                "errors": sum(minute.errors.values()), "errors_by_kind": dict(minute.errors),
                "first_errors": minute.first_errors, "parcels": len(self.parcels), "filed": len(self.filed)}

    async def _metric(self, name: str) -> float | None:
        async with self.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as response:
            text = await response.text()
        found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else None


STEPS = ("queue", "simulate", "journal+send", "chain (mined)", "index")


def write_steps(log_path: Path, window_min: float = 5.0) -> list[dict[str, Any]]:
    """Where relayed writes spent their time, per window of the run, from the server's write events: waiting for
    the batch sender, the batch's simulation (an eth_call), journaling and sending, the chain mining it (receipt
    read), indexing; p50 and p99 of each in ms."""
    windows: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    start = None
    with log_path.open() as f:
        for line in f:
            if '"kpledger.writes"' not in line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            stamps = [event.get(k) for k in ("queued_ms", "simulated_ms", "sent_ms", "mined_ms", "indexed_ms")]
            if event.get("outcome") != "mined" or None in stamps:
                continue
            at = time.mktime(time.strptime(event["ts"][:19], "%Y-%m-%dT%H:%M:%S"))
            start = at if start is None else start
            steps = windows[int((at - start) // (window_min * 60))]
            for step, (a, b) in zip(STEPS, zip([0.0, *stamps[:-1]], stamps, strict=True), strict=True):
                steps[step].append(b - a)
            steps["total"].append(stamps[-1])
    return [{"from_min": w * window_min, "writes": len(v["total"]),
             **{k: {"p50": round(percentile(x, 50), 1), "p99": round(percentile(x, 99), 1)} for k, x in v.items()}}
            for w, v in sorted(windows.items())]


def client_connections(pid: int, port: int) -> int:
    """How many of the process's descriptors are connections accepted on `port` (the load generator's; the rest
    are the server's own: database files, connections to the chain, pipes)."""
    inodes = set()
    for name in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{name}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port and state != "0A":  # not the listening socket
                inodes.add(inode)
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else float("nan")


def setup(chain: LocalChain, writers: list[Writer]) -> None:
    authority = Signer(dev_key(2))
    chain.admit({"BW": "Botswana"})
    chain.appoint({"BW": authority.address})
    chain.license(authority, [w.address for w in writers], ROLE["producer"])


def verdicts(rows: list[dict[str, Any]], warmup_min: float, mix: Mix, minutes: float,
             memory: list[dict[str, Any]]) -> list[Result]:
    steady = [r for r in rows if r["t_min"] > warmup_min]
    t = [r["t_min"] for r in steady]
    rss_slope = slope(t, [r["rss_mb"] for r in steady])
    fds_slope = slope(t, [float(r["fds"]) for r in steady])
    # judged on the server's own descriptors when they were told apart from the load generator's connections
    # (which come and go with its pool; uvicorn closes an idle one after 5 s, so they cannot pile up)
    own = all("fds_own" in r for r in steady)
    own_slope = slope(t, [float(r["fds_own"]) for r in steady]) if own else fds_slope
    errors = sum(r["errors"] for r in rows)
    third = max(1, len(steady) // 3)
    drift: dict[str, dict[str, float | None]] = {}
    flat = True
    for kind in KINDS:
        first = [r["p99_ms"][kind] for r in steady[:third] if r["p99_ms"][kind] is not None]
        last = [r["p99_ms"][kind] for r in steady[-third:] if r["p99_ms"][kind] is not None]
        a = max(first) if first else None
        b = max(last) if last else None
        ok = a is None or b is None or b <= DRIFT_RATIO * a + DRIFT_SLACK_MS
        flat &= ok
        drift[kind] = {"first_third_p99_ms": a, "last_third_p99_ms": b, "flat": ok}
    common = {"minutes": minutes, "warmup_min": warmup_min, "mix": mix.__dict__, "per_minute": rows,
              "steady_points": len(steady), "memory_snapshots": memory}
    rss = [r["rss_mb"] for r in rows]
    fds = [r["fds"] for r in rows]
    name = f"{minutes:g} min"
    # a run of a few minutes sees mostly the warm-up (caches filling): its trends are shown, judged only from
    # LONG_MINUTES on (make soak)
    judged = minutes >= LONG_MINUTES

    def verdict(ok: bool) -> bool | None:
        return ok if judged else None

    return [
        Result("soak", f"soak {name}: backend RSS slope after warm-up", rss_slope, "MB/min", RSS_SLOPE_MB_MIN,
               "ceiling", f"<= {RSS_SLOPE_MB_MIN} MB/min", verdict(rss_slope <= RSS_SLOPE_MB_MIN),
               {**common, "rss_first_mb": rss[0], "rss_last_mb": rss[-1], "rss_max_mb": max(rss),
                "fds_slope": round(fds_slope, 4), "fds_first": fds[0], "fds_last": fds[-1], "errors": errors,
                "latency": drift, "db_mb": rows[-1]["db_mb"], "parcels": rows[-1]["parcels"]}),
        Result("soak", f"soak {name}: open descriptors slope after warm-up" + (" (server's own)" if own else ""),
               own_slope, "fds/min", FDS_SLOPE_MIN, "ceiling", f"<= {FDS_SLOPE_MIN} fds/min",
               verdict(own_slope <= FDS_SLOPE_MIN),
               {"fds_first": fds[0], "fds_last": fds[-1], "fds_max": max(fds), "fds_total_slope": round(fds_slope, 4),
                "fds_own_first": rows[0].get("fds_own"), "fds_own_last": rows[-1].get("fds_own")}),
        Result("soak", f"soak {name}: p99 latency, last third vs first third after warm-up", float(flat), "flat",
               None, "", f"<= {DRIFT_RATIO}x + {DRIFT_SLACK_MS:g} ms per kind", verdict(flat), {"latency": drift}),
        Result("soak", f"soak {name}: errors", float(errors), "errors", None, "", "0", errors == 0,
               {"requests": {k: sum(r["requests"][k] for r in rows) for k in KINDS},
                "first_errors": [e for r in rows for e in r["first_errors"]][:10]}),
    ]


def run(work: Path, minutes: float, mix: Mix | None = None, debug_memory: bool = False) -> list[Result]:
    """Runs the soak for `minutes` (readings every minute; every 15 s for runs under 10 minutes)."""
    mix = mix or Mix()
    interval = 60.0 if minutes >= 10 else 15.0
    warmup = min(10.0, max(interval / 60, minutes / 4))
    chain = LocalChain(work / "soak")
    server: Server | None = None
    try:
        chain_id, ledger = chain.deployment["chainId"], chain.deployment["ledger"]
        writers = [Writer(i, chain_id, ledger) for i in range(mix.writers)]
        setup(chain, writers)
        env = {"KP_METRICS": "on", "KP_METRICS_TOKEN": METRICS_TOKEN, "KP_ADMIN_TOKEN": ADMIN_TOKEN,
               "KP_MONITOR_INTERVAL": "5", **({"KP_DEBUG_MEMORY": "true"} if debug_memory else {})}
        server = Server(chain.url, chain.data_dir, env=env)
        for w in writers:
            w.client = KPClient(server.url, w.raw_key)
        log(f"soak: {minutes:g} min ({warmup:g} min warm-up), {mix.writers} writers, writes {mix.writes}/s, "
            f"provenance {mix.reads}/s, documents {mix.doc_files}+{mix.doc_reads}/s, pages {mix.pages}/s; "
            f"server pid {server.pid}, log {server.log_path}")
        soak = Soak(server, chain, writers, mix, minutes * 60, interval)
        memory: list[dict[str, Any]] = []
        asyncio.run(_with_memory(soak, memory))
        for w in writers:
            w.client.close()  # type: ignore[union-attr]
        results = verdicts(soak.rows, warmup, mix, minutes, memory)
        steps = write_steps(server.log_path)
        results[2].details["write_steps"] = steps
        for window in steps:
            log(f"writes from minute {window['from_min']:g}: " + ", ".join(
                f"{k} {window[k]['p50']}/{window[k]['p99']}" for k in (*STEPS, "total")) + " ms (p50/p99)")
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        (RESULTS / f"soak-{stamp}.json").write_text(json.dumps([r.to_dict() for r in results], indent=1) + "\n")
        return results
    finally:
        if server is not None:
            server.close()
        chain.close()


async def _with_memory(soak: Soak, memory: list[dict[str, Any]]) -> None:
    """The soak, with a reading of the server's memory (GET /admin/debug/memory: C heap, Python blocks and objects
    by type, threads; allocation sites too under --soak-debug-memory) every interval."""
    async def probe() -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with aiohttp.ClientSession(soak.server.url) as http:
            while soak.stop_at == 0.0 or time.monotonic() < soak.stop_at:
                await asyncio.sleep(soak.interval)
                async with http.get("/admin/debug/memory?top=15", headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=300)) as response:
                    reading = await response.json()
                reading["t_min"] = round((time.monotonic() - soak.started) / 60, 2)
                memory.append(reading)
                p, heap = reading["process"], reading["process"]["malloc"] or {}
                types = ", ".join(f"{name} +{grown}" for name, grown, _n in reading.get("types_since_first", [])[:4])
                sites = "; ".join(f"{e['size_diff_kb']} kB at {e['where'][-1] if e['where'] else '?'}"
                                  for e in reading.get("since_first", [])[:3])
                log(f"memory: RSS {p['rss_mb']} MB (anon {p['anon_mb']}), C heap in use {heap.get('in_use_mb')} / "
                    f"free {heap.get('free_mb')} MB, python blocks {p['python_blocks']:,}, objects "
                    f"{reading['objects']:,}, threads {p['threads']}, pool {p['db_pool']}; grew: {types}"
                    + (f"; traced {reading.get('traced_mb')} MB, sites: {sites}" if reading["tracing"] else ""))

    await asyncio.gather(soak.run(), probe())
