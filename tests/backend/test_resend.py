"""Re-sending a relayed batch the chain has not mined yet: the receipt thread re-sends it with a growing pause,
the reconciler leaves it alone (a slow node is not asked to parse a large batch again every second)."""

from __future__ import annotations

import threading
import time

from kpledger.chain.contracts import Chain
from kpledger.db.session import Database
from kpledger.relay.relayer import Relayer

from conftest import MANIFEST, automine_only, signed_offline, submit
from writes_support import b32, registered


@automine_only  # stops mining with evm_setAutomine(false), which does not stop interval mining
def test_an_unmined_batch_is_resent_with_backoff_by_its_receipt_thread_only(node, actors):
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
    try:
        node.w3.provider.make_request("evm_setAutomine", [False])  # a node that takes its time to mine
        started = time.monotonic()
        worker = threading.Thread(target=lambda: answers.append(submit(relayer, "RegisterParcel", body)))
        worker.start()
        time.sleep(3.6)
        # the receipt thread re-sent it after ~1 s and ~3 s (then every 8 s at most); the reconciler, 14 rounds
        # meanwhile, not at all. Before: one re-send a second from each of them.
        assert 1 <= len(resends) <= 2, [round(t - started, 2) for t in resends]
        assert resends[0] - started >= 0.9
        assert not answers  # still waiting for its block
        node.w3.provider.make_request("evm_mine", [])
        worker.join(10)
        assert answers and answers[0]["status"] == "mined" and answers[0]["duplicate"] is False
        assert registered(node, MANIFEST)[b32("slow-node")] == 1  # the re-sends ran nothing twice
    finally:
        node.w3.provider.make_request("evm_setAutomine", [True])
        relayer.close()
