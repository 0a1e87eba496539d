"""The relayer after a chain reorganisation (anvil_reorg): acknowledged writes whose transactions the new chain
dropped, or whose relayer nonce it gave to another transaction, are executed again (once, in order); the nonces a
client reads are those the chain is about to use; and a relayer that cannot make progress says so in /healthz."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from eth_account import Account

from kpledger.dev.chain import stop
from tests.support.stack import KEYS, MANIFEST, anvil_only, automine_only, start_server
from tests.support.writes import UNSORTED, Api, b32, contracts, licence, registered, setup_world

pytestmark = [anvil_only, automine_only]  # anvil_reorg; one block per write, so a reorg's depth counts writes

RELAYER = Account.from_key(KEYS[0])  # the test servers' relayer key (kpledger.dev.stack.ApiServer)


def parcel(i: int, tag: str) -> dict[str, Any]:
    return {"points": 100 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32(f"{tag}-{i}")}


def reorg(node, depth: int, txs: list[str] | None = None) -> None:
    """Replaces the chain's last `depth` blocks by as many new ones, the first holding `txs` (raw, signed)."""
    answer = node.call("anvil_reorg", [depth, [[raw, 0] for raw in txs or []]])
    assert answer is None, answer


def journal(node) -> dict[str, tuple[str, str]]:
    """Each journaled request's status and transaction hash."""
    with sqlite3.connect(node.data_dir / "kp.db") as db:
        return {i: (status, tx_hash) for i, status, tx_hash in db.execute(
            "select id, status, tx_hash from relay_requests")}


def eventually(check: Callable[[], Any], timeout: float, what: str | Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, what() if callable(what) else what
        time.sleep(0.2)
    return result


def settled(node, server, acked: dict[str, dict[str, Any]], timeout: float = 40) -> None:
    """Every acknowledged write is on chain exactly once and journaled mined, the relayer's nonces have no gap (the
    chain mined everything it sent) and /healthz says ok."""
    def state() -> tuple[Counter, Counter]:
        counts, rows = registered(node, MANIFEST), journal(node)
        return Counter(counts[doc] for doc in acked), Counter(rows[a["request_id"]][0] for a in acked.values())

    def done() -> bool:
        on_chain, statuses = state()
        return on_chain == Counter({1: len(acked)}) and statuses == Counter({"mined": len(acked)})

    def report() -> str:
        on_chain, statuses = state()
        return f"acknowledged writes, times on chain: {dict(on_chain)}; journal status: {dict(statuses)}"

    eventually(done, timeout, report)
    w3 = node.w3
    eventually(lambda: w3.eth.get_transaction_count(RELAYER.address, "pending")
               == w3.eth.get_transaction_count(RELAYER.address), 10, "the relayer's nonces have a gap")
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"


@pytest.mark.parametrize("backend", ["running", "down"])
def test_acknowledged_writes_whose_nonce_a_reorg_gave_to_another_transaction_are_executed_again(node, actors,
                                                                                                backend):
    """Ten writes acknowledged, then a depth-10 reorg whose new first block holds another transaction of the
    relayer at the first write's nonce (the relayer's own empty self-transfer that reached only the winning fork's
    producer). The first write cannot be re-sent as signed; the nine after it, re-sent as signed, now fail (the
    signer's intent nonces come after the first write's). Before the fix: the first row stayed `mined` without
    being on chain, the nine were marked `failed`, and none of the ten acknowledged writes was on chain. `down`:
    the reorg happens while the backend is stopped; the next start finds it."""
    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        acked = {}
        for i in range(10):
            answer = api.do(actors["mine"], "RegisterParcel", parcel(i, "displaced"))
            acked[b32(f"displaced-{i}")] = answer
        w3 = node.w3
        first = w3.eth.get_transaction_count(RELAYER.address) - 10
        assert w3.eth.get_transaction(next(iter(acked.values()))["tx_hash"])["nonce"] == first
        other = RELAYER.sign_transaction({"chainId": w3.eth.chain_id, "nonce": first, "to": RELAYER.address,
                                          "value": 0, "gas": 21_000, "gasPrice": 2 * w3.eth.gas_price})
        if backend == "down":
            stop(server.process)
        reorg(node, 10, ["0x" + other.raw_transaction.hex()])
        assert registered(node, MANIFEST)[b32("displaced-0")] == 0  # the reorg dropped them
        if backend == "down":
            server = start_server(node)
            api = Api(server.url)
        settled(node, server, acked)
        ledger = contracts(w3, node.data_dir, MANIFEST)["KPLedger"]
        for i, answer in enumerate(acked.values()):  # executed again in their order: the ids acknowledged
            assert answer["result"]["parcel_id"] == i + 1
            assert ledger.functions.parcel(i + 1).call()[1] == 100 + i
        after = api.do(actors["mine"], "RegisterParcel", parcel(10, "displaced"))  # the next nonce, no 401
        assert after["result"]["parcel_id"] == 11
    finally:
        stop(server.process)


def test_acknowledged_writes_a_reorg_dropped_are_sent_again_once(node, actors):
    """A depth-10 reorg of empty blocks drops ten acknowledged writes: they are sent again as signed, in order."""
    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        acked = {b32(f"dropped-{i}"): api.do(actors["mine"], "RegisterParcel", parcel(i, "dropped"))
                 for i in range(10)}
        reorg(node, 10)
        settled(node, server, acked)
        rows = journal(node)
        assert all(rows[a["request_id"]][1] == a["tx_hash"] for a in acked.values())  # the same signed ones
    finally:
        stop(server.process)


def test_nonces_read_after_a_reorg_are_the_ones_the_chain_will_use(node, actors):
    """Three producers' writes acknowledged, then a reorg drops them: the nonces each producer reads next must count
    the dropped writes, which the relayer sends again. Before the fix /nonces answered the reorganised chain's
    nonces, which the re-sent writes were about to use: the writes signed with them were refused 401
    (KPIntentBadNonce)."""
    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        producers = ["mine", "outsider", "ca_mine"]
        for name in producers[1:]:
            api.do(actors["bw_authority"], "LicenseOperator", licence(actors[name], 2))
        acked = {}
        for i in range(3):
            for name in producers:
                acked[b32(f"{name}-{i}")] = api.do(actors[name], "RegisterParcel", parcel(i, name))
        reorg(node, 9)
        nonces = {name: api.nonce(actors[name].address, "KPLedger") for name in producers}
        bodies = {name: api.body(actors[name], "RegisterParcel", parcel(3, name), nonce=nonces[name])
                  for name in producers}
        with ThreadPoolExecutor(3) as pool:
            answers = dict(zip(producers, pool.map(lambda n: api.post("RegisterParcel", bodies[n]), producers),
                               strict=True))
        refused = {n: (r.status_code, r.json().get("code")) for n, r in answers.items() if r.status_code != 200}
        assert not refused, f"writes signed with the nonces read after the reorg were refused: {refused}"
        for name in producers:
            acked[b32(f"{name}-3")] = answers[name].json()
        settled(node, server, acked)
    finally:
        stop(server.process)


def test_a_relayer_that_cannot_make_progress_says_so_in_healthz(node, actors):
    """After a reorg the relayer must send its dropped transactions again, but its account has no gas money left:
    the node refuses them and every write waits. Before the fix /healthz kept answering `ok`. Now it answers
    `stalled` with the reason `RelayerStalled` once the relayer's next transaction has waited
    KP_RELAYER_STALL_SECONDS, and `ok` again once the relayer is funded and its transactions mined."""
    server = start_server(node, extra_env={"KP_RELAYER_STALL_SECONDS": "3"})
    try:
        api = Api(server.url)
        setup_world(api, actors)
        acked = {b32(f"stall-{i}"): api.do(actors["mine"], "RegisterParcel", parcel(i, "stall")) for i in range(3)}
        assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
        balance = node.w3.eth.get_balance(RELAYER.address)
        reorg(node, 3)
        node.fund([RELAYER.address], 0)
        health = eventually(lambda: (h := httpx.get(server.url + "/healthz").json())["status"] == "stalled" and h,
                            20, "/healthz did not report the stalled relayer")
        assert health["reason"] == "RelayerStalled", health
        assert "relayer" in health["message"], health
        assert registered(node, MANIFEST)[b32("stall-0")] == 0
        node.fund([RELAYER.address], balance)
        settled(node, server, acked)
    finally:
        stop(server.process)
