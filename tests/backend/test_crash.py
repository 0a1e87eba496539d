"""Crash tests against real processes: kill -9 the backend or the chain mid-stream; no acknowledged write is lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from typing import Any

import httpx

from kpledger.chain.contracts import Chain
from kpledger.db.session import Database
from kpledger.localnet import stop
from kpledger.relay import Relayer, calls
from kpledger.relay.request import WriteRequest

from conftest import MANIFEST, anvil_only, signed_offline, start_server, submit
from writes_support import UNSORTED, Api, b32, contracts, registered, setup_world


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


def journal(node) -> dict[str, str]:
    with sqlite3.connect(node.data_dir / "kp.db") as db:
        return dict(db.execute("select id, status from relay_requests"))


def assert_exactly_once(node, stream: Stream, timeout: float = 20) -> None:
    """Every acknowledged write is on chain exactly once (waiting for recovery), none twice, journaled mined."""
    deadline = time.monotonic() + timeout
    while True:
        counts = registered(node, MANIFEST)
        missing = [d for d in stream.acked if counts[d] != 1]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not missing, f"{len(missing)} acknowledged writes not on chain once: {missing[:3]}"
    assert max(counts.values()) == 1
    assert set(counts) <= set(stream.sent)
    rows = journal(node)
    assert all(rows.get(a["request_id"]) == "mined" for a in stream.acked.values())
    ids = [a["result"]["parcel_id"] for a in stream.acked.values()]
    assert len(set(ids)) == len(ids)


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


def test_killing_the_backend_loses_no_acknowledged_write(node, actors):
    server = start_server(node)
    port = int(server.url.rsplit(":", 1)[1])
    try:
        api = Api(server.url)
        setup_world(api, actors)
        stream = Stream(api, actors["mine"], "backend-kill")
        stream.start()
        for _round in range(2):
            stream.wait_for(len(stream.acked) + 10)
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
            time.sleep(0.3)
            server = start_server(node, port=port)
        stream.wait_for(len(stream.acked) + 10)
        stream.halt.set()
        stream.join(45)
        assert_exactly_once(node, stream)
        assert len(stream.acked) >= 30
        assert_index_matches_chain(node, server.url)
    finally:
        stop(server.process)


def snapshot(node) -> tuple[bytes, int]:
    """A consistent copy of anvil's state file and the block it ends at."""
    while True:
        data = (node.data_dir / "anvil-state.json").read_bytes()
        try:
            return data, json.loads(data)["best_block_number"]
        except ValueError:  # caught mid-write
            time.sleep(0.05)


def kill_chain(node, stale_state: bytes | None = None) -> None:
    """kill -9 the chain, optionally put back an older state dump, and restart it on the same port and folder."""
    os.killpg(node.process.pid, signal.SIGKILL)  # its whole process group
    node.process.wait()
    time.sleep(0.3)
    node.restart(stale_state)


@anvil_only  # restarts the chain from its state file: a Hardhat node has none (it restarts from genesis)
def test_killing_the_chain_loses_no_acknowledged_write(node, actors):
    """Round 1: a plain kill -9. Round 2: the restarted chain also forgets its last blocks (its state dump
    is older than what it had mined, as with anvil's --state-interval), acknowledged writes included."""
    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        stream = Stream(api, actors["mine"], "chain-kill")
        stream.start()
        stream.wait_for(15)
        kill_chain(node)
        stream.wait_for(len(stream.acked) + 10)
        state, state_block = snapshot(node)
        acked_in_state = len(stream.acked)
        stream.wait_for(len(stream.acked) + 10)
        forgotten = node.w3.eth.block_number - state_block
        kill_chain(node, stale_state=state)
        assert forgotten >= 5 and len(stream.acked) - acked_in_state >= 5
        stream.wait_for(len(stream.acked) + 10, timeout=40)
        stream.halt.set()
        stream.join(45)
        assert_exactly_once(node, stream)
        assert_index_matches_chain(node, server.url)
        print(f"blocks forgotten by the restarted chain: {forgotten}; acknowledged writes: {len(stream.acked)}")
    finally:
        stop(server.process)


def test_a_request_journaled_but_never_sent_is_sent_once_on_recovery(node, actors):
    """The backend dies between committing the journal row and sending: the next start sends it, once."""
    settings, body = signed_offline(node, actors, "unsent", points=3)
    first = Relayer(settings, Chain(settings), Database(settings.database_url))
    req = WriteRequest.from_body("RegisterParcel", body)
    ledger = first.chain.deployment.ledger
    data = calls.batch_calldata(calls.EXECUTE_SELECTOR, [(ledger, bytes.fromhex(calls.calldata(req)[2:]), 500_000)])
    sender = first.sender
    with sender.nonces.lock:  # what Sender.journal_and_send does, up to the crash before the send
        sender.init_nonces()
        nonce = sender.nonces.allocate()
        raw, tx_hash = sender.sign(first.chain.deployment.batch, data, 1_000_000, nonce)
        first.journal.record_batch([(req.request_id, req.action, req.intent.signer, req.body())],
                                   relayer=sender.address, relayer_nonce=nonce, raw_tx=raw, tx_hash=tx_hash)
    block = node.w3.eth.block_number
    assert journal(node)[req.request_id] == "pending"

    second = Relayer(settings, Chain(settings), Database(settings.database_url))
    second.recover()
    try:
        deadline = time.monotonic() + 10
        while journal(node)[req.request_id] != "mined":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert node.w3.eth.get_transaction_receipt(tx_hash)["blockNumber"] == block + 1
        again = submit(second, "RegisterParcel", body)
        assert again["duplicate"] is True and again["tx_hash"] == tx_hash and again["result"]["parcel_id"] == 1
        assert registered(node, MANIFEST)[b32("unsent")] == 1
    finally:
        second.close()
