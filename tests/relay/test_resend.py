"""Re-sending a relayed batch the chain has not mined yet: the receipt thread looks with a growing pause and
re-sends it only when the node no longer holds it; the reconciler leaves it alone (a slow node is not asked to
parse a large batch again every second)."""

from __future__ import annotations

import sqlite3
import threading
import time

from kpledger.chain.contracts import Chain
from kpledger.db.session import Database
from kpledger.relay.relayer import Relayer
from tests.support.stack import MANIFEST, automine_only, signed_offline, submit
from tests.support.writes import b32, registered


@automine_only  # stops mining with evm_setAutomine(false), which does not stop interval mining
def test_an_unmined_batch_is_resent_only_when_the_node_lost_it_and_by_its_receipt_thread_only(node, actors):
    settings, body = signed_offline(node, actors, "slow-node", points=7)
    # a reconciler 4x as eager as the default: before, it re-sent every unmined transaction on every round
    relayer = Relayer(settings, Chain(settings), Database(settings.database_url), reconcile_interval=0.25)
    resends: list[float] = []
    resend = relayer.sender.resend

    def counting_resend(raw_tx: str | None) -> None:
        resends.append(time.monotonic())
        resend(raw_tx)

    relayer.sender.resend = counting_resend  # type: ignore[method-assign]
    relayer.recover()
    answers: list[dict] = []
    rpc = node.w3.provider.make_request
    try:
        rpc("evm_setAutomine", [False])  # a node that takes its time to mine
        started = time.monotonic()
        worker = threading.Thread(target=lambda: answers.append(submit(relayer, "RegisterParcel", body)))
        worker.start()
        time.sleep(3.6)
        # the receipt thread looked after ~1 s and ~3 s: the node still had it, so nothing was sent again; the
        # reconciler, 14 rounds meanwhile, left it alone. Before: one re-send a second from each of them.
        assert resends == []
        assert not answers  # still waiting for its block
        with sqlite3.connect(node.data_dir / "kp.db") as db:
            (tx_hash,) = db.execute("select tx_hash from relay_requests where status in ('pending', 'sent')").fetchone()
        dropped = rpc(f"{'anvil' if node.kind == 'anvil' else 'hardhat'}_dropTransaction", [tx_hash])
        assert "error" not in dropped, dropped  # the node loses it (a restart, an eviction)
        lost_at = time.monotonic()
        deadline = lost_at + 10  # the next looks come 4 s, then 8 s, apart
        while not resends:
            assert time.monotonic() < deadline, "the lost transaction was never re-sent"
            time.sleep(0.05)
        assert resends[0] - started >= 3.6
        rpc("evm_mine", [])
        worker.join(10)
        assert answers and answers[0]["status"] == "mined" and answers[0]["duplicate"] is False
        assert registered(node, MANIFEST)[b32("slow-node")] == 1  # the re-sends ran nothing twice
    finally:
        rpc("evm_setAutomine", [True])
        relayer.close()
