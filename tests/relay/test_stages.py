"""The relay's stages, each on its own state (no chain): the nonce reservation, the in-flight set, the sender's
journal-then-send under a reservation, the per-key record of mined nonces, the one duplicate check, and a request's
body journaled as received."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak

from kpledger.chain.errors import RpcError
from kpledger.core.config import Settings
from kpledger.core.constants import UNSORTED
from kpledger.core.errors import ChainUnavailable, RelayFailed
from kpledger.db.session import Database
from kpledger.relay import calls
from kpledger.relay.inflight import InFlight
from kpledger.relay.journal import FAILED, MINED, PENDING, Journal
from kpledger.relay.nonces import NonceCounter
from kpledger.relay.receipts import Receipts
from kpledger.relay.request import WriteRequest
from kpledger.relay.sender import Sender, decode_transaction

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcaf784d7bf4f2ff80"  # anvil's public test key 0
KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil's public test key 1
BATCH = "0x" + "22" * 20


# ---------------------------------------------------------------- the nonce reservation

def synced(start: int = 5) -> NonceCounter:
    counter = NonceCounter()
    counter.sync(start, 0)
    return counter


def test_a_kept_reservation_uses_its_nonce() -> None:
    counter = synced()
    with counter.reserve() as slot:
        assert slot.nonce == 5
        slot.keep()
    assert counter.peek() == 6


def test_a_reservation_not_kept_gives_its_nonce_back() -> None:
    counter = synced()
    with counter.reserve() as slot:
        assert slot.nonce == 5
    assert counter.peek() == 5


def test_a_reservation_that_fails_gives_its_nonce_back() -> None:
    counter = synced()
    with pytest.raises(RuntimeError), counter.reserve() as slot:
        slot.keep()  # journaled, then found unusable: given back below
        slot.give_back()
        raise RuntimeError("the send failed")
    assert counter.peek() == 5
    with pytest.raises(ValueError), counter.reserve():
        raise ValueError("the signing failed")
    assert counter.peek() == 5


def test_only_the_last_nonce_is_given_back() -> None:
    counter = synced()
    with counter.reserve() as first:
        first.keep()
    with counter.reserve() as second:
        second.keep()
    counter.release(first.nonce)  # a later nonce was taken meanwhile: giving back 5 would reuse 6
    assert counter.peek() == 7


def test_a_reservation_holds_the_counter_until_it_ends() -> None:
    counter = synced()
    taken: list[int] = []

    def other() -> None:
        with counter.reserve() as slot:
            slot.keep()
            taken.append(slot.nonce)

    with counter.reserve() as slot:
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.05)
        assert taken == []  # waits for this reservation's lock
        slot.keep()
    thread.join(2)
    assert taken == [6]


# ---------------------------------------------------------------- the in-flight set

def test_in_flight_adds_and_discards_behind_its_lock() -> None:
    awaited = InFlight()
    assert not awaited and len(awaited) == 0
    awaited.add("0xa")
    awaited.add("0xb")
    assert "0xa" in awaited and len(awaited) == 2 and awaited
    awaited.discard(["0xa", "0xunknown"])
    assert "0xa" not in awaited and "0xb" in awaited and len(awaited) == 1


def test_in_flight_is_consistent_under_concurrent_stages() -> None:
    """A sender adding, a receipt thread discarding and a reconciler reading at once: every hash added and not
    discarded is there at the end, and nothing else."""
    awaited = InFlight()
    per_thread = 2_000

    def sender(tag: str) -> None:
        for i in range(per_thread):
            awaited.add(f"{tag}{i}")

    def receipt_thread(tag: str) -> None:
        for i in range(0, per_thread, 2):
            while f"{tag}{i}" not in awaited:
                time.sleep(0)
            awaited.discard([f"{tag}{i}"])

    def reconciler(stop: threading.Event) -> None:
        while not stop.is_set():
            assert len(awaited) >= 0 and ("s0-0" in awaited) in (True, False)

    stop = threading.Event()
    watcher = threading.Thread(target=reconciler, args=(stop,))
    watcher.start()
    threads = [threading.Thread(target=f, args=(f"s{n}-",)) for n in range(3) for f in (sender, receipt_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    stop.set()
    watcher.join(5)
    assert len(awaited) == 3 * per_thread // 2
    assert all(f"s{n}-{i}" in awaited for n in range(3) for i in range(1, per_thread, 2))


# ---------------------------------------------------------------- the sender: reservation, journal, send

class FakeNode:
    """A JSON-RPC endpoint that answers eth_sendRawTransaction as told and counts the relayer's nonces."""

    def __init__(self, answers: list[BaseException | None], pending: int = 0) -> None:
        self.answers = answers
        self.pending = pending
        self.sent: list[str] = []

    def call(self, method: str, params: list[Any]) -> Any:
        if method == "eth_getTransactionCount":
            return hex(self.pending)
        assert method == "eth_sendRawTransaction", method
        self.sent.append(params[0])
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return "0x" + keccak(bytes.fromhex(params[0][2:])).hex()


def sender_on(tmp_path: Path, node: FakeNode) -> tuple[Sender, Journal]:
    journal = Journal(Database(f"sqlite:///{tmp_path / 'kp.db'}"))
    chain = SimpleNamespace(rpc=node, deployment=SimpleNamespace(chain_id=31337))
    sender = Sender(Settings(environment="test", relayer_key=KEY), chain, journal)  # type: ignore[arg-type]
    sender.fees = lambda: {"gasPrice": 1}  # type: ignore[method-assign]
    return sender, journal


ENTRY = ("0x" + "ab" * 32, "RegisterParcel", "0x" + "11" * 20, {"nonce": 1})
CALL = calls.batch_calldata(calls.EXECUTE_SELECTOR, [("0x" + "33" * 20, b"\x01\x02", 100_000)])


def test_a_batch_is_journaled_awaited_then_sent_with_its_calldata_as_bytes(tmp_path: Path) -> None:
    node = FakeNode([], pending=3)
    sender, journal = sender_on(tmp_path, node)
    awaited = InFlight()
    signed = sender.send_batch(BATCH, CALL, 500_000, [ENTRY], awaited)
    assert signed.nonce == 3 and node.sent == [signed.raw] and signed.tx_hash in awaited
    assert decode_transaction(signed.raw)["data"] == CALL
    row = journal.get(ENTRY[0])
    assert row is not None and (row.status, row.relayer_nonce, row.tx_hash) == (PENDING, 3, signed.tx_hash)
    assert journal.raw_tx(row) == signed.raw and sender.nonces.peek() == 4


def test_a_batch_the_node_refuses_outright_gives_its_nonce_back_and_fails_its_requests(tmp_path: Path) -> None:
    node = FakeNode([RpcError("insufficient funds for gas * price + value", rpc_code=-32000)], pending=3)
    sender, journal = sender_on(tmp_path, node)
    awaited = InFlight()
    with pytest.raises(RelayFailed):
        sender.send_batch(BATCH, CALL, 500_000, [ENTRY], awaited)
    row = journal.get(ENTRY[0])
    assert row is not None and row.status == FAILED and row.relayer_nonce is None
    assert journal.raw_tx(row) is None  # the transaction is forgotten with its refusal, in one commit
    assert sender.nonces.peek() == 3 and not awaited


def test_a_nonce_used_elsewhere_is_given_back_and_the_batch_signed_again(tmp_path: Path) -> None:
    node = FakeNode([RpcError("nonce too low", rpc_code=-32000)], pending=3)
    sender, journal = sender_on(tmp_path, node)
    sender.nonces.sync(3, 0)
    node.pending = 5  # another user of the key took 3 and 4
    awaited = InFlight()
    signed = sender.send_batch(BATCH, CALL, 500_000, [ENTRY], awaited)
    assert signed.nonce == 5 and len(node.sent) == 2 and sender.nonces.peek() == 6
    assert len(awaited) == 1 and signed.tx_hash in awaited  # the stale version is not awaited
    row = journal.get(ENTRY[0])
    assert row is not None and (row.relayer_nonce, row.tx_hash) == (5, signed.tx_hash)


def test_a_batch_journaled_while_the_chain_is_down_keeps_its_nonce(tmp_path: Path) -> None:
    node = FakeNode([ChainUnavailable("the chain is not reachable")], pending=3)
    sender, journal = sender_on(tmp_path, node)
    awaited = InFlight()
    signed = sender.send_batch(BATCH, CALL, 500_000, [ENTRY], awaited)
    assert signed.nonce == 3 and sender.nonces.peek() == 4 and signed.tx_hash in awaited
    row = journal.get(ENTRY[0])
    assert row is not None and row.status == PENDING  # sent by the receipt wait or the reconciler later


def test_a_journal_failure_gives_the_nonce_back_and_sends_nothing(tmp_path: Path) -> None:
    node = FakeNode([], pending=3)
    sender, journal = sender_on(tmp_path, node)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OSError("disk full")

    journal.record_batch = broken  # type: ignore[method-assign]
    with pytest.raises(OSError):
        sender.send_batch(BATCH, CALL, 500_000, [ENTRY], InFlight())
    assert node.sent == [] and sender.nonces.peek() == 3


def test_a_new_key_reads_its_own_nonces(tmp_path: Path) -> None:
    node = FakeNode([], pending=3)
    sender, _journal = sender_on(tmp_path, node)
    sender.init_nonces()
    assert sender.nonces.peek() == 3
    node.pending = 9
    sender.use_key(KEY_1)
    assert sender.address == Account.from_key(KEY_1).address != Account.from_key(KEY).address
    assert sender.nonces.peek() == 9  # read again from the chain (and the journal) for the new key


# ---------------------------------------------------------------- what the receipts saw mined, per key

def test_the_chain_going_back_is_judged_per_relayer_key() -> None:
    receipts = Receipts.__new__(Receipts)
    receipts._confirmed, receipts._confirmed_lock = {}, threading.Lock()
    old, new = "0x" + "aa" * 20, "0x" + "bb" * 20
    receipts._confirm(old, 50)
    assert receipts.chain_went_back(old, 49) and not receipts.chain_went_back(old, 50)
    # a rotated-to key starts from nothing seen: no reset of another stage's counter is needed
    assert not receipts.chain_went_back(new, 0)
    receipts._confirm(new, 2)
    receipts._confirm(new, 1)  # never down
    assert receipts.chain_went_back(new, 1) and not receipts.chain_went_back(old, 50)


# ---------------------------------------------------------------- the one duplicate check

def test_a_request_run_before_is_a_duplicate_and_a_failed_one_is_not(tmp_path: Path) -> None:
    journal = Journal(Database(f"sqlite:///{tmp_path / 'kp.db'}"))
    ran, failed, fresh = "0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 32
    journal.record_batch([(ran, "RegisterParcel", ENTRY[2], {"nonce": 1}),
                          (failed, "RegisterParcel", ENTRY[2], {"nonce": 2})],
                         relayer="0x" + "22" * 20, relayer_nonce=0, raw_tx="0xf86c", tx_hash="0x" + "cd" * 32)
    journal.update_many({ran: {"status": MINED}, failed: {"status": FAILED}})
    assert set(journal.duplicates([ran, failed, fresh])) == {ran}


# ---------------------------------------------------------------- a request's body: journaled as received

def test_the_journal_keeps_the_body_as_received_and_reads_the_same_request_back() -> None:
    body = {"message": {"points": 1_000, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                        "documentHash": "0x" + "ab" * 32},
            "signer": Account.from_key(KEY).address.lower(), "nonce": 7, "deadline": 2**40,
            "signature": "0x" + "11" * 65}
    req = WriteRequest.from_body("RegisterParcel", body)
    assert req.body() == body  # not rebuilt from the ABI values
    again = WriteRequest.from_body("RegisterParcel", req.body())  # what the reconciler reads back
    assert again.request_id == req.request_id and again.intent == req.intent
    assert calls.calldata(again) == calls.calldata(req) and isinstance(calls.calldata(req), bytes)
    assert req.intent.signer == Account.from_key(KEY).address  # checksummed for the call, kept as sent in the body
