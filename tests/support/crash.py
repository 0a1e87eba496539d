"""Crash-test helpers: a stream of writes through the API, the relayer's journal as read from its database, and the
index compared with the chain after a crash."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from kpledger.dev.chain import stop
from kpledger.dev.stack import ApiServer
from tests.support.stack import MANIFEST, start_server
from tests.support.writes import UNSORTED, Api, b32, contracts, setup_world


class Stream(threading.Thread):
    """A producer registering parcels one after another, resubmitting each signed request until answered 200."""

    def __init__(self, api: Api, mine: Any, tag: str):
        super().__init__(daemon=True)
        self.api, self.mine, self.tag = api, mine, tag
        self.nonce = api.nonce(mine.address, "KPLedger")
        self.acked: dict[str, dict[str, Any]] = {}  # document hash -> answer
        self.sent: list[str] = []
        self.halt = threading.Event()
        self.http = httpx.Client(base_url=str(api.http.base_url), timeout=40)

    def run(self) -> None:
        i = 0
        while not self.halt.is_set():
            doc = b32(f"{self.tag}-{i}")
            body = self.api.body(self.mine, "RegisterParcel", {"points": 100 + i, "stones": 1, "hsCode": UNSORTED,
                                                               "origin": "BW", "documentHash": doc}, nonce=self.nonce)
            self.sent.append(doc)
            while not self.halt.is_set():
                try:
                    response = self.http.post("/v1/parcels", json=body)
                except httpx.HTTPError:  # backend down: resubmit the same signed request
                    time.sleep(0.1)
                    continue
                if response.status_code == 200:
                    self.acked[doc] = response.json()
                    self.nonce += 1
                    i += 1
                    break
                time.sleep(0.1)  # chain down or still recovering (503, or a nonce the chain lost): retry

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} writes acknowledged"
            time.sleep(0.02)


@contextlib.contextmanager
def writing(node: Any, actors: dict[str, Any], tag: str, first: int = 10) -> Iterator[tuple[ApiServer, Stream]]:
    """The API on `node`, the world licensed, and the mine writing parcels (a `Stream` tagged `tag`) until `first` are
    acknowledged; afterwards the stream is halted and the server stopped, however the test ended."""
    server = start_server(node)
    stream = None
    try:
        api = Api(server.url)
        setup_world(api, actors)
        stream = Stream(api, actors["mine"], tag)
        stream.start()
        stream.wait_for(first)
        yield server, stream
    finally:
        if stream is not None:
            stream.halt.set()
        stop(server.process)


def journal(node) -> dict[str, str]:
    with sqlite3.connect(node.data_dir / "kp.db") as db:
        return dict(db.execute("select id, status from relay_requests"))


def assert_index_matches_chain(node, server_url: str, timeout: float = 30) -> None:
    """After recovery the index shows exactly the chain's parcels: holder, weight and status of every lot."""
    ledger = contracts(node.w3, node.data_dir, MANIFEST)["KPLedger"]
    with httpx.Client(base_url=server_url, timeout=10) as http:
        deadline = time.monotonic() + timeout
        while http.get("/healthz").json()["indexed_block"] < node.w3.eth.block_number:
            assert time.monotonic() < deadline, "the index did not catch up with the chain"
            time.sleep(0.1)
        last = ledger.functions.lastLotId().call()
        for lot in range(1, last + 1):
            holder, points, _, status, *_ = ledger.functions.parcel(lot).call()
            indexed = http.get(f"/v1/parcels/{lot}").json()
            assert (indexed["holder"], indexed["points"], indexed["status"]) == (
                holder, points, {1: "live", 2: "closed"}[status]), lot
        assert http.get(f"/v1/parcels/{last + 1}").status_code == 404
