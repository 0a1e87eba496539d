"""World scale, the load generator: `flows` concurrent flows, each a chain of dependent writes through the API (each
waits until mined), signed with coincurve over `kpledger.typed_data.digest` and posted with aiohttp (the load generator
shares the CPU with the backend and the chain, so it has to be lean); a monitor samples the progress and stops the
flows at the wall-time cap or before anvil takes the machine's memory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from typing import Any, NamedTuple

import aiohttp

from bench.common import GEM, UNSORTED, LocalChain, cpu_seconds, log, memory_total_mb, sha, vm_hwm_mb
from bench.world_trade import CONTRACT_KEYS, HUBS, Actor, Desk
from kpledger.core.actions import ACTIONS
from kpledger.signing import typed_data
from kpledger.signing.typed_data import sign_intent

GAS_LIMIT = 4_000_000_000  # anvil's block gas limit: a batch of hundreds of calls must fit
# anvil refuses a JSON-RPC body over 2 MiB: the relayer also cuts a batch at KP_BATCH_MAX_BYTES (900 KB of encoded
# calldata, 1.8 MB in hex)
BATCH_CAP = 800
BATCH_ENV = {"KP_BATCH_MAX_CALLS": str(BATCH_CAP), "KP_BATCH_GAS": "2000000000"}
SAMPLE_S = 2.0  # progress sampling period
RETRIES = 2  # re-posts of the same signed body after a dropped keep-alive connection
MEMORY_MB = memory_total_mb()
MAX_ANVIL_SHARE = 0.6  # stop the load before anvil (its whole chain in memory) takes the shared machine's memory
KEEPALIVE_S = 3.0  # below uvicorn's 5 s keep-alive timeout, so the client closes idle connections first
DAY = 86_400


class Sample(NamedTuple):
    t: float  # seconds since the load started
    writes: int
    head: int  # chain head
    server_cpu: float  # CPU seconds used so far by the backend and by anvil
    anvil_cpu: float


class Stopped(Exception):
    """The wall-time cap was reached: the flow stops before its next write (not an error)."""


# ---------------------------------------------------------------- the trade, through the API


class World:
    def __init__(self, chain: LocalChain, table: list[Desk], limit_s: float):
        self.chain = chain
        self.table = table
        self.limit_s = limit_s
        self.chain_id: int = chain.deployment["chainId"]
        self.verifying = {c: chain.deployment[k] for c, k in CONTRACT_KEYS.items()}
        self.url = ""
        self.writes = 0
        self.handoffs = 0
        self.certificates = 0
        self.exports_done = 0
        self.parcels = 0
        self.errors: list[str] = []
        self.retries = 0
        self.stopped = False
        self.stop_reason = ""
        self.arrivals: dict[str, int] = dict.fromkeys(HUBS, 0)
        self.pools: dict[str, deque[tuple[int, Actor, str]]] = {h: deque() for h in HUBS}
        self.samples: list[Sample] = []
        self.pids: tuple[int, int] = (0, 0)  # the backend's and anvil's, for CPU time
        self.http: aiohttp.ClientSession | None = None
        self.started = 0.0
        self.exhausted_at: float | None = None  # when no export was left to start (or the cap stopped the flows)

    def body(self, actor: Actor, action: str, message: dict[str, Any]) -> dict[str, Any]:
        """A signed request body: EIP-712 digest computed directly, signed with coincurve (v = recid + 27)."""
        contract = ACTIONS[action].contract
        nonce, deadline = actor.nonces[contract], int(time.time()) + 3600
        digest = typed_data.digest(action, message, actor.address, nonce, deadline, chain_id=self.chain_id,
                               verifying_contract=self.verifying[contract])
        sig = actor.key.sign_recoverable(digest, hasher=None)
        return {"message": message, "signer": actor.address, "nonce": nonce, "deadline": deadline,
                "signature": "0x" + sig[:64].hex() + f"{sig[64] + 27:02x}"}

    def check_signing(self) -> None:
        """The fast signature must be eth_account's (kpledger.typed_data.sign_intent) bit for bit."""
        actor, doc = self.table[0].mine, sha("check")
        child = {"points": 1, "stones": 1, "hsCode": GEM, "documentHash": doc}
        for action, message in (
                ("RegisterParcel", {"points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": doc}),
                ("SplitParcel", {"parcelId": 1, "children": [child, child]}),
                ("OfferCustody", {"lotId": 1, "recipient": actor.address.lower(), "sealId": doc}),
                ("IssueCertificate", {"number": "BW1", "importer": "EU", "importerAccount": actor.address,
                                      "consignmentId": 1, "points": 1, "parcelCount": 1, "hsCodes": [GEM],
                                      "origins": ["BW", "RU"], "issuedAt": 1, "expiresAt": 2, "documentHash": doc,
                                      "replaces": ""})):
            fast = self.body(actor, action, message)
            slow = sign_intent(actor.secret, action, message, chain_id=self.chain_id,
                               verifying_contract=self.verifying[ACTIONS[action].contract], nonce=fast["nonce"],
                               deadline=fast["deadline"])
            if slow.signer != actor.address or "0x" + slow.signature.hex() != fast["signature"]:
                raise RuntimeError(f"fast EIP-712 signing of {action} disagrees with kpledger.typed_data.sign_intent")

    async def write(self, actor: Actor, action: str, message: dict[str, Any]) -> dict[str, Any]:
        assert self.http is not None
        contract = ACTIONS[action].contract
        async with actor.lock:  # one signer's requests in nonce order
            if self.stopped:
                raise Stopped
            path = ACTIONS[action].path_for(message)
            body = self.body(actor, action, message)
            for attempt in range(RETRIES + 1):
                try:
                    async with self.http.post(self.url + path, json=body) as response:
                        status, text = response.status, await response.text()
                    break
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                    # a keep-alive connection the server closed as we reused it: the same signed body again is
                    # safe (the relayer answers a request it journaled from the journal, never runs it twice)
                    if attempt == RETRIES:
                        raise
                    self.retries += 1
            if status != 200:
                raise RuntimeError(f"{action}: {status} {text[:300]}")
            actor.nonces[contract] += 1
        self.writes += 1
        return json.loads(text)["result"]

    async def handoff(self, lot: int, sender: Actor, recipient: Actor, seal: str) -> None:
        await self.write(sender, "OfferCustody", {"lotId": lot, "recipient": recipient.address, "sealId": seal})
        await self.write(recipient, "AcceptCustody", {"lotId": lot, "sealId": seal})
        self.handoffs += 1

    async def ship(self, parcels: list[int], points: int, origins: list[str], exporter: Actor, src: str,
                   dst: str, importer: Actor, desk: Desk) -> None:
        seal = sha(f"seal {exporter.address} {parcels}")
        cid = (await self.write(exporter, "SealConsignment", {"parcelIds": sorted(parcels), "sealId": seal})
               )["consignment_id"]
        number = f"{src}{cid:08d}"
        now = int(time.time())
        await self.write(desk.officers[src], "IssueCertificate", {
            "number": number, "importer": dst, "importerAccount": importer.address, "consignmentId": cid,
            "points": points, "parcelCount": len(parcels), "hsCodes": [GEM], "origins": sorted(origins),
            "issuedAt": now - 60, "expiresAt": now + 30 * DAY, "documentHash": sha(f"certificate {number}"),
            "replaces": ""})
        self.certificates += 1
        await self.handoff(cid, exporter, importer, seal)
        await self.write(desk.officers[dst], "ConfirmImport", {"number": number})
        await self.write(importer, "OpenConsignment", {"consignmentId": cid})

    async def export(self, desk: Desk, n: int) -> None:
        src, hub = desk.src, desk.hub
        rom = (await self.write(desk.mine, "RegisterParcel", {
            "points": 40_000, "stones": 100, "hsCode": UNSORTED, "origin": src, "documentHash": sha(f"rom {n}")})
               )["parcel_id"]
        kids = (await self.write(desk.mine, "SplitParcel", {"parcelId": rom, "children": [
            {"points": 10_000, "stones": 25, "hsCode": GEM, "documentHash": sha(f"sort {n} {k}")} for k in range(4)]})
                )["child_ids"]
        self.parcels += 5
        for kid in kids[:2]:
            await self.handoff(kid, desk.mine, desk.exporter, sha(f"bag {kid}"))
        await self.ship(kids[:2], 20_000, [src], desk.exporter, src, hub, desk.importer, desk)
        self.arrivals[hub] += 1
        pool = self.pools[hub]
        if self.arrivals[hub] % 2 == 1 or not pool:  # every second import at a hub is traded on
            pool.extend((k, desk.importer, src) for k in kids[:2])
        else:
            pool.append((kids[1], desk.importer, src))
            await self.hub_trade(desk, kids[0], pool.popleft(), n)
        self.exports_done += 1

    async def hub_trade(self, desk: Desk, own: int, other: tuple[int, Actor, str], n: int) -> None:
        """Merges one of this import's parcels with an earlier import (mixed origin), splits, re-exports half."""
        lot, holder, origin = other
        if holder is not desk.importer:
            await self.handoff(lot, holder, desk.importer, sha(f"bag {lot}"))
        mixed = (await self.write(desk.importer, "MergeParcels", {"parcelIds": sorted([own, lot]),
                                                                   "documentHash": sha(f"mix {n}")}))["parcel_id"]
        parts = (await self.write(desk.importer, "SplitParcel", {"parcelId": mixed, "children": [
            {"points": 10_000, "stones": 25, "hsCode": GEM, "documentHash": sha(f"assort {n} {k}")}
            for k in range(2)]}))["child_ids"]
        self.parcels += 3
        await self.ship([parts[0]], 10_000, sorted({desk.src, origin}), desk.importer, desk.hub, desk.cut,
                        desk.cutter, desk)

    async def monitor(self) -> None:
        """Samples (time, writes, chain head) every SAMPLE_S; logs progress every 30 s; raises the stop flag."""
        assert self.http is not None
        last_log = 0.0
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        head = 0
        while True:
            try:
                async with self.http.post(self.chain.url, json=body) as response:
                    head = int((await response.json())["result"], 16)
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:  # the cap must still apply
                log(f"world: chain head not read ({type(exc).__name__}); keeping {head}")
            now = time.perf_counter() - self.started
            self.samples.append(self.sample(now, head))
            anvil_mb = vm_hwm_mb(self.pids[1]) or 0.0
            if not self.stopped and (now >= self.limit_s or anvil_mb > MAX_ANVIL_SHARE * MEMORY_MB):
                self.stopped, self.exhausted_at = True, self.exhausted_at or now
                self.stop_reason = (f"the {self.limit_s:.0f} s cap" if now >= self.limit_s else
                                    f"anvil's memory ({anvil_mb / 1024:.1f} GB)")
                log(f"world: {self.stop_reason} reached: stopping the flows")
            if now - last_log >= 30:
                last_log = now
                t0, w0, h0, _s, _a = self.samples[max(0, len(self.samples) - 16)]
                log(f"world: {now:5.0f} s  {self.writes:,} writes  {self.certificates:,} certificates  "
                    f"{(self.writes - w0) / max(now - t0, 1e-9):.0f} writes/s  "
                    f"{(self.writes - w0) / max(head - h0, 1):.0f} calls/block  anvil {anvil_mb / 1024:.1f} GB  "
                    f"errors {len(self.errors)}")
            await asyncio.sleep(SAMPLE_S)

    async def run(self, exports: int) -> None:
        connector = aiohttp.TCPConnector(limit=len(self.table) + 8, keepalive_timeout=KEEPALIVE_S)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as self.http:
            queue = iter(range(exports))

            async def flow(desk: Desk) -> None:
                for n in queue:
                    if self.stopped:
                        return
                    try:
                        await self.export(desk, n)
                    except Stopped:
                        return
                    except Exception as exc:  # counted and reported: a broken flow must not stop the load
                        self.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
                if self.exhausted_at is None:  # no export left to start: from now on fewer flows are busy
                    self.exhausted_at = time.perf_counter() - self.started

            self.started = time.perf_counter()
            monitor = asyncio.create_task(self.monitor())
            await asyncio.gather(*(flow(d) for d in self.table))
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
            self.samples.append(self.sample(time.perf_counter() - self.started, self.chain.head()))

    def sample(self, now: float, head: int) -> Sample:
        return Sample(now, self.writes, head, cpu_seconds(self.pids[0]) or 0.0, cpu_seconds(self.pids[1]) or 0.0)
