"""Receipts and reconciliation: how every journaled request learns its outcome, whatever crashed meanwhile.

A receipt thread waits for each sent batch's receipt (looking after 1, 2, 4 and then every 8 s whether the node
still holds it ready, and re-sending it, with every later journaled transaction the node lacks, when it does not:
a node that restarted, or anvil evicting what did not fit in a full block, lost them; one slow to mine a large
batch is not made to parse it again), raises its fees when it is stuck below the market's (`_bump`), splits its
logs per call, records every outcome in one commit and answers the waiting requests.
The reconciler (at start-up, every second in a thread, and before a batch when the chain went back) finalises
journaled transactions the chain has mined and re-sends, in relayer-nonce order, those it lacks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode

from kpledger.chain.contracts import Chain
from kpledger.chain.decoder import LogDecoder
from kpledger.chain.errors import RpcError, revert_data
from kpledger.core.errors import ChainRefusal, ChainUnavailable, KPError, RelayFailed
from kpledger.db.models import RelayRequest
from kpledger.relay import calls
from kpledger.relay.journal import FAILED, MINED, PENDING, SENT, Journal
from kpledger.relay.request import WriteRequest
from kpledger.relay.sender import Sender

log = logging.getLogger(__name__)

RESEND_AFTER, RESEND_MAX = 1.0, 8.0
Segments = dict[int, tuple[bool, list[dict[str, Any]], bytes | None]]  # call index -> (ok, its logs, revert data)


class ResendClock:
    """When to send an unmined transaction again: RESEND_AFTER after it was sent, then at doubling intervals up to
    RESEND_MAX."""

    def __init__(self) -> None:
        self.every = RESEND_AFTER
        self.next = time.monotonic() + RESEND_AFTER

    def due(self) -> bool:
        if time.monotonic() <= self.next:
            return False
        self.every = min(self.every * 2, RESEND_MAX)
        self.next = time.monotonic() + self.every
        return True


@dataclass
class SentBatch:
    """A batch transaction sent and journaled: its requests (in call order), hash, raw form and relayer nonce.
    `answer(request_id, row | error)` resolves a waiting request."""

    requests: list[WriteRequest]
    tx_hash: str
    raw: str
    nonce: int
    answer: Callable[[str, RelayRequest | None, BaseException | None], None] = field(repr=False)


def segments(receipt: dict[str, Any]) -> Segments:
    """A batch receipt's logs per call: `execute` emits RelayCallDone(i) / RelayCallFailed(i, reason) after call i,
    so the logs of call i are those between marker i-1 and marker i."""
    batch = (receipt.get("to") or "").lower()
    out: Segments = {}
    current: list[dict[str, Any]] = []
    for entry in receipt.get("logs", []):
        topics = entry.get("topics") or []
        if entry["address"].lower() == batch and topics and topics[0] in (calls.DONE_TOPIC, calls.FAILED_TOPIC):
            index = int(topics[1], 16)
            if topics[0] == calls.DONE_TOPIC:
                out[index] = (True, current, None)
            else:
                (reason,) = abi_decode(["bytes"], bytes.fromhex(entry["data"][2:]))
                out[index] = (False, [], bytes(reason))
            current = []
        else:
            current.append(entry)
    return out


class Receipts:
    """Finalises journaled requests from receipts: the receipt thread for batches just sent, the reconciler for
    everything else (a crash, a restarted chain, a node that dropped a transaction)."""

    def __init__(self, chain: Chain, journal: Journal, sender: Sender, *, receipt_timeout: float,
                 reconcile_interval: float, bump_after: float = 0.0, max_fee_per_gas: int | None = None):
        self.chain = chain
        self.journal = journal
        self.sender = sender
        self.decoder = LogDecoder(chain.artifacts, chain.deployment)
        self.receipt_timeout = receipt_timeout
        self.reconcile_interval = reconcile_interval
        self.bump_after = bump_after  # seconds a transaction may wait unmined before its fees are raised (0: never)
        self.max_fee_per_gas = max_fee_per_gas  # the most a replacement may pay per gas (None: no cap)
        self.on_mined: Callable[[int], None] | None = None  # called with the block of each mined batch
        self.confirmed = 0  # one past the highest relayer nonce seen on chain by this process
        # batch transactions whose receipt the receipt thread awaits: the reconciler leaves their rows alone
        self.in_flight: set[str] = set()
        self._resent_lost = False  # the reconciler re-sent transactions the chain had forgotten: settle them soon
        self._sent: queue.Queue[SentBatch | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Reconciles once (the chain may be down: later then), then starts the receipt and reconcile threads."""
        try:
            self.reconcile()
        except ChainUnavailable as exc:
            log.warning("relayer recovery postponed, chain not reachable: %s", exc)
        for target, name in ((self._complete_loop, "relayer-receipts"), (self._reconcile_loop, "relayer-reconcile")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._sent.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def follow(self, batch: SentBatch) -> None:
        """Hands a sent batch to the receipt thread."""
        self._sent.put(batch)

    # ------------------------------------------------------------ the receipt thread

    def _complete_loop(self) -> None:
        while (batch := self._sent.get()) is not None:
            try:
                self._complete(batch)
            except KPError as exc:
                for req in batch.requests:
                    batch.answer(req.request_id, None, exc)
            except Exception as exc:  # never let the thread die; the rows stay pending for the reconciler
                log.exception("relay batch completion failed")
                for req in batch.requests:
                    batch.answer(req.request_id, None, RelayFailed(f"the relayer failed: {exc}"))
            finally:
                self.in_flight.difference_update(self.journal.versions(batch.nonce) + [batch.tx_hash])

    def _complete(self, batch: SentBatch) -> None:
        """Waits for a sent batch's receipt, records every request's outcome (one commit) and answers them."""
        found = self._await_receipt(batch)
        if found is None:
            for req in batch.requests:
                batch.answer(req.request_id, None, ChainUnavailable(
                    "the chain did not mine the request in time; resubmit it to learn its outcome",
                    details={"request_id": req.request_id, "status": PENDING, "tx_hash": batch.tx_hash}))
            return
        receipt, mined_hash = found
        self.confirmed = max(self.confirmed, batch.nonce + 1)
        split = segments(receipt)
        changes = {req.request_id: {**self.outcome(req, index, receipt, mined_hash, split), "tx_hash": mined_hash}
                   for index, req in enumerate(batch.requests)}
        rows = self.journal.update_many(changes, durable=False)
        for req in batch.requests:
            batch.answer(req.request_id, rows[req.request_id], None)
        if self._resent_lost:  # this nonce is mined, so are the re-sent ones below it
            self._resent_lost = False
            with self.sender.nonces.lock:
                receipts: dict[str, dict[str, Any] | None] = {}
                for row in self.journal.unfinished_below(batch.nonce):
                    self._settle(row, receipts)
        if self.on_mined is not None:
            self.on_mined(int(receipt["blockNumber"], 16))

    def _await_receipt(self, batch: SentBatch) -> tuple[dict[str, Any], str] | None:
        """The receipt of the transaction (under whichever version of it was mined) and that version's hash,
        re-sending it now and then and raising its fees when it is stuck; None after `receipt_timeout`."""
        deadline = time.monotonic() + self.receipt_timeout
        resends, pause = ResendClock(), 0.001
        hashes, raw, signed_at = [batch.tx_hash], batch.raw, time.monotonic()
        while not self._stop.is_set():
            try:
                receipts = self.chain.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
                for tx_hash, receipt in zip(hashes, receipts, strict=True):
                    if receipt is not None and not isinstance(receipt, Exception):
                        return receipt, tx_hash
                if self.bump_after and time.monotonic() - signed_at > self.bump_after:
                    with self.sender.nonces.lock:  # the reconciler must see the new version as awaited
                        bumped = self._bump(batch.nonce, hashes[-1], raw)
                        if bumped is not None:
                            self.in_flight.add(bumped[1])
                    signed_at = time.monotonic()
                    if bumped is not None:
                        raw = bumped[0]
                        hashes.append(bumped[1])
                elif resends.due():
                    self._resend_missing(batch.nonce, raw)
            except (ChainUnavailable, RpcError):
                pass
            if time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        return None

    def _resend_missing(self, nonce: int, raw: str) -> None:
        """Re-sends the awaited transaction and every later journaled one the node's pool does not hold ready, in
        nonce order. A pool that lost one lost those behind it too (a restarted node; anvil evicts what did not
        fit in a full block), and re-sending only the awaited one would bring them back one block at a time."""
        ready = self.sender.chain_nonce("pending")  # one past the node's last ready relayer transaction
        if ready <= nonce:
            self.sender.resend(raw)
            ready = nonce + 1
        for later in self.journal.unmined_raw_from(ready):
            self.sender.resend(later)

    def _bump(self, nonce: int, current_hash: str, raw: str) -> tuple[str, str] | None:
        """Replaces a stuck transaction, the lowest the chain has not mined, by the same one at higher fees:
        journaled (fsync) before it is sent; at most one version can ever be mined (one nonce)."""
        with self.sender.nonces.lock:
            if self.sender.chain_nonce("latest") != nonce:
                return None  # not the lowest unmined: it waits behind another (which is bumped first)
            if self.sender.rpc("eth_getTransactionByHash", [current_hash]) is None:
                self.sender.resend(raw)  # the node lost it: re-sent as it is, unless it refuses it for its price
                if self.sender.rpc("eth_getTransactionByHash", [current_hash]) is not None:
                    return None
            replacement = self.sender.replacement(raw, self.max_fee_per_gas)
            if replacement is None:
                return None
            new_raw, new_hash = replacement
            self.journal.record_replacement(current_hash, nonce, new_raw, new_hash)
            log.warning("relayer transaction %s (nonce %d) was stuck below the market's fees: replaced by %s",
                        current_hash, nonce, new_hash)
            self.sender.resend(new_raw)
            return replacement

    def outcome(self, req: WriteRequest, index: int | None, receipt: dict[str, Any], tx_hash: str | None,
                split: Segments | None = None) -> dict[str, Any]:
        """The journal fields a receipt gives the request whose call is `index` of the batch (None: a transaction
        of its own, as journals written before batching have)."""
        block = int(receipt["blockNumber"], 16)
        error: dict[str, Any] | None = None
        if int(receipt["status"], 16) == 1:
            if index is None:
                ok, logs, reason = True, receipt.get("logs", []), None
            else:
                ok, logs, reason = (split if split is not None else segments(receipt)).get(index, (False, [], None))
            if ok:
                decoded = (self.decoder.decode(entry) for entry in logs)
                events = [(d.name, d.args) for d in decoded if d is not None]
                return {"status": MINED, "result": req.spec.result(req.intent.message, events), "block_number": block,
                        "error": None}
            if reason is not None:
                error = self.chain.artifacts.decode_error(reason).to_dict()
        if error is None:  # the whole transaction reverted: ask the chain why this call fails now
            error = self._refusal(req)
        error["details"] = {**error["details"], "tx_hash": tx_hash}
        return {"status": FAILED, "error": error, "block_number": block}

    def _refusal(self, req: WriteRequest) -> dict[str, Any]:
        """Why the call fails now (an eth_estimateGas of it alone), or a generic revert."""
        tx = {"from": self.sender.address, "to": self.chain.deployment.address(req.contract),
              "data": calls.calldata(req)}
        try:
            self.sender.rpc("eth_estimateGas", [tx])
        except RpcError as exc:
            revert = revert_data(exc)
            if revert is not None:
                refusal: ChainRefusal = self.chain.artifacts.decode_error(revert)
                return refusal.to_dict()
        return {"code": "Reverted", "message": "the transaction reverted on chain", "details": {}}

    # ------------------------------------------------------------ waiting for a journaled request

    def wait_row(self, row: RelayRequest) -> RelayRequest:
        """The row once it has its outcome (the receipt thread or the reconciler records it); ChainUnavailable
        after `receipt_timeout`."""
        deadline = time.monotonic() + self.receipt_timeout
        while row.status not in (MINED, FAILED):
            if time.monotonic() > deadline:
                raise ChainUnavailable("the chain did not mine the request in time; resubmit it to learn its outcome",
                                       details={"request_id": row.id, "status": row.status, "tx_hash": row.tx_hash})
            time.sleep(0.02)
            row = self.journal.get(row.id) or row
        return row

    # ------------------------------------------------------------ reconciliation

    def _reconcile_loop(self) -> None:
        while not self._stop.wait(self.reconcile_interval):
            try:
                self.reconcile()
            except ChainUnavailable:
                pass
            except Exception:  # never let the thread die; the next round retries
                log.exception("relayer reconciliation failed")

    def reconcile(self) -> None:
        """Finalises journaled transactions the chain has, re-sends (in nonce order) those it lacks.

        A batch transaction is one relayer nonce shared by several rows: it is checked and re-sent once."""
        sender = self.sender
        with sender.nonces.lock:
            latest, pending = sender.chain_nonce("latest"), sender.chain_nonce("pending")
            sender.nonces.sync(pending, self.journal.next_nonce())
            receipts: dict[str, dict[str, Any] | None] = {}
            for row in self.journal.unfinished_below(latest):
                if row.tx_hash not in self.in_flight:  # the receipt thread is finalising those
                    self._settle(row, receipts)
            self.confirmed = max(self.confirmed, latest)
            expected = latest
            groups: dict[tuple[int, str | None], list[RelayRequest]] = {}
            for row in self.journal.from_nonce(latest):
                groups.setdefault((row.relayer_nonce, row.tx_hash), []).append(row)
            for (nonce, tx_hash), rows in groups.items():
                for hole in range(max(expected, pending), nonce):
                    sender.send_filler(hole)
                expected = max(expected, nonce + 1)
                if tx_hash in self.in_flight:  # the receipt thread awaits it, and re-sends it when needed
                    continue
                if all(r.status in (MINED, FAILED) for r in rows):
                    if sender.rpc("eth_getTransactionReceipt", [tx_hash]) is not None:
                        continue  # mined since `latest` was read
                    log.warning("relayer nonce %s (%s, %d requests) is no longer on chain", nonce, tx_hash, len(rows))
                    if all(r.status == FAILED for r in rows):  # refusals answered: burn the nonce, never run late
                        sender.send_filler(nonce)
                        continue
                raw = self.journal.raw_tx(rows[0])
                if not (nonce == latest and self._stuck_since_crash(tx_hash) and self._bump(nonce, tx_hash, raw)):
                    sender.resend(raw)
                lost = [r.id for r in rows if r.status == MINED]
                if lost:  # finalised again from the new receipt (by the next batch, or the next reconciliation)
                    self.journal.update_many({i: {"status": SENT} for i in lost})
                    self._resent_lost = True
                if any(r.status == PENDING for r in rows):
                    self.journal.mark_sent([r.id for r in rows])
            for hole in range(max(expected, pending), sender.nonces.peek()):
                sender.send_filler(hole)

    def _stuck_since_crash(self, tx_hash: str | None) -> bool:
        """Whether a journaled transaction no receipt thread awaits (this process restarted since it was signed)
        has waited long enough unmined for its fees to be raised."""
        signed_at = self.journal.signed_at(tx_hash) if tx_hash else None
        return bool(self.bump_after) and signed_at is not None and time.time() - signed_at > self.bump_after

    def _settle(self, row: RelayRequest, receipts: dict[str, dict[str, Any] | None]) -> None:
        """Finalises an unfinished row whose relayer nonce the chain has used, from whichever version of its
        transaction was mined."""
        versions = [row.tx_hash, *(h for h in self.journal.versions(row.relayer_nonce) if h != row.tx_hash)]
        for tx_hash in versions:
            if tx_hash not in receipts:
                receipts[tx_hash] = self.sender.rpc("eth_getTransactionReceipt", [tx_hash])
            receipt = receipts[tx_hash]
            if receipt is not None:
                self.confirmed = max(self.confirmed, (row.relayer_nonce or 0) + 1)
                if tx_hash != row.tx_hash:
                    self.journal.point_to(versions, tx_hash)
                req = WriteRequest.from_body(row.action, row.body)
                self.journal.update(row.id, tx_hash=tx_hash, **self.outcome(req, row.batch_index, receipt, tx_hash))
                return
        log.error("relayer nonce %s was used by another transaction: request %s failed", row.relayer_nonce, row.id)
        self.journal.update(row.id, status=FAILED, error=RelayFailed(
            "the relayer nonce was taken by another transaction").to_dict())
