"""A relayer transaction stuck below the market's fees (the base fee rose past its max fee, as under a burst of
load on a priced network) is re-signed at higher fees under the same nonce: by the receipt thread while the
request waits, or by the reconciler after a restart. Exactly one version is mined; the journal keeps them all."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable

from kpledger.chain.contracts import Chain
from kpledger.core.errors import ChainUnavailable
from kpledger.db.session import Database
from kpledger.relay.relayer import Relayer
from kpledger.relay.request import WriteRequest
from kpledger.relay.sender import decode_transaction
from tests.support.stack import MANIFEST, automine_only, signed_offline, submit
from tests.support.writes import b32, registered


def versions(node, body: dict) -> list[tuple[int, str, str]]:
    """(relayer nonce, hash, raw) of every journaled version of the transaction carrying this request."""
    with sqlite3.connect(node.data_dir / "kp.db") as db:
        return list(db.execute(
            "select t.relayer_nonce, t.tx_hash, t.raw_tx from relay_transactions t join relay_requests r "
            "on r.relayer_nonce = t.relayer_nonce where r.id = ? order by t.created_at", (request_id(body),)))


def request_id(body: dict) -> str:
    return WriteRequest.from_body("RegisterParcel", body).request_id


def request_row(node, body: dict) -> tuple[str, str] | None:
    with sqlite3.connect(node.data_dir / "kp.db") as db:
        return db.execute("select status, tx_hash from relay_requests where id = ?", (request_id(body),)).fetchone()


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def price_out(node, raw: str) -> None:
    """Raises the next block's base fee to three times the transaction's max fee and mines that (empty) block."""
    max_fee = decode_transaction(raw)["maxFeePerGas"]
    rpc = node.w3.provider.make_request
    assert "error" not in rpc("hardhat_setNextBlockBaseFeePerGas", [hex(3 * max_fee)])
    rpc("evm_mine", [])


def relayer_for(settings, bump_after: float) -> Relayer:
    tuned = settings.model_copy(update={"fee_bump_after_seconds": bump_after})
    relayer = Relayer(tuned, Chain(tuned), Database(tuned.database_url), reconcile_interval=0.25)
    relayer.recover()
    return relayer


def send_priced_out(node, body: dict, client: Callable[[], object]) -> tuple[threading.Thread, list]:
    """Automine off, `client` submits the write in a thread; once its transaction is in the pool, the base fee is
    raised above what it pays. Returns the thread and the transaction's first version."""
    node.w3.provider.make_request("evm_setAutomine", [False])
    worker = threading.Thread(target=client, daemon=True)
    worker.start()
    first = wait_for(lambda: versions(node, body))
    price_out(node, first[0][2])
    return worker, first


def assert_one_version_mined(node, tag: str, body: dict, signed: list[tuple[int, str, str]]) -> str:
    assert len(signed) == 2 and signed[0][0] == signed[1][0]  # one nonce, two versions
    old, new = (decode_transaction(raw) for _, _, raw in signed)
    assert new["maxFeePerGas"] > old["maxFeePerGas"] and new["data"] == old["data"] and new["gas"] == old["gas"]
    mined = [h for _, h, _ in signed if node.w3.provider.make_request("eth_getTransactionReceipt", [h]).get("result")]
    assert mined == [signed[1][1]]
    assert registered(node, MANIFEST)[b32(tag)] == 1
    assert request_row(node, body) == ("mined", mined[0])
    return mined[0]


@automine_only  # drives mining itself (evm_setAutomine, evm_mine)
def test_a_waiting_request_is_bumped_once_its_transaction_is_priced_out(node, actors):
    settings, body = signed_offline(node, actors, "priced-out", points=5)
    relayer = relayer_for(settings, bump_after=1.0)
    answers: list[dict] = []
    rpc = node.w3.provider.make_request
    try:
        worker, _ = send_priced_out(node, body, lambda: answers.append(submit(relayer, "RegisterParcel", body)))
        signed = wait_for(lambda: (v := versions(node, body)) and len(v) == 2 and v)  # re-signed after ~1 s
        rpc("evm_mine", [])
        worker.join(15)
        assert answers and answers[0]["status"] == "mined" and answers[0]["duplicate"] is False
        assert answers[0]["tx_hash"] == assert_one_version_mined(node, "priced-out", body, signed)
        again = submit(relayer, "RegisterParcel", body)  # the same request again: the journal's answer
        assert again["duplicate"] is True and again["tx_hash"] == answers[0]["tx_hash"]
    finally:
        rpc("evm_setAutomine", [True])
        relayer.close()


def abandoned(relayer: Relayer, body: dict) -> None:
    """A client of a backend that is about to stop: its wait ends with ChainUnavailable when the relayer closes."""
    with contextlib.suppress(ChainUnavailable):
        submit(relayer, "RegisterParcel", body)


@automine_only
def test_after_a_restart_the_reconciler_bumps_a_priced_out_transaction(node, actors):
    settings, body = signed_offline(node, actors, "priced-out-restart", points=5)
    rpc = node.w3.provider.make_request
    first = relayer_for(settings, bump_after=0)
    try:
        send_priced_out(node, body, lambda: abandoned(first, body))
    finally:
        first.close()  # the process is gone; its transaction waits in the pool, priced out
    assert request_row(node, body)[0] in ("sent", "pending")
    second = relayer_for(settings, bump_after=0.5)
    try:
        signed = wait_for(lambda: (v := versions(node, body)) and len(v) == 2 and v)
        rpc("evm_mine", [])
        wait_for(lambda: request_row(node, body)[0] == "mined")
        assert_one_version_mined(node, "priced-out-restart", body, signed)
    finally:
        rpc("evm_setAutomine", [True])
        second.close()


@automine_only
def test_no_bump_past_the_fee_cap(node, actors):
    settings, body = signed_offline(node, actors, "capped", points=5)
    rpc = node.w3.provider.make_request
    relayer = relayer_for(settings.model_copy(update={"max_fee_per_gas_wei": 1}), bump_after=0.5)
    answers: list[dict] = []
    try:
        worker, first = send_priced_out(node, body, lambda: answers.append(submit(relayer, "RegisterParcel", body)))
        time.sleep(2.0)
        assert len(versions(node, body)) == 1  # above the operator's cap: it keeps waiting, unchanged
        rpc("hardhat_setNextBlockBaseFeePerGas", ["0x1"])  # the market calms down
        rpc("evm_mine", [])
        # a pool that dropped it for its price (anvil does) has it again from the relayer's re-send
        wait_for(lambda: rpc("eth_getTransactionByHash", [first[0][1]]).get("result"))
        rpc("evm_mine", [])
        worker.join(15)
        assert answers and answers[0]["status"] == "mined" and answers[0]["tx_hash"] == first[0][1]
    finally:
        rpc("evm_setAutomine", [True])
        relayer.close()
