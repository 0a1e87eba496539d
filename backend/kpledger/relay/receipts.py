"""Receipts and reconciliation: how every journaled request learns its outcome, whatever crashed meanwhile.

A receipt thread waits for each sent batch's receipt (looking after 1, 2, 4 and then every 8 s whether the node
still holds it ready, and re-sending it, with every later journaled transaction the node lacks, when it does not:
a node that restarted, or anvil evicting what did not fit in a full block, lost them; one slow to mine a large
batch is not made to parse it again), raises its fees when it is stuck below the market's (`Sender.replace`), splits its
logs per call, records every outcome in one commit and answers the waiting requests.
The reconciler (at start-up, every second in a thread, and before a batch when the chain went back) checks that the
blocks it saw relayer transactions mined in are still the chain's (a reorganisation replaces them), finalises
journaled transactions the chain has mined, re-sends, in relayer-nonce order, those it lacks, and executes again, in
new transactions, the requests whose transaction the chain can no longer take (its nonce went to another
transaction) or whose acknowledged call failed in the reorganised chain. It also notes whether the relayer makes
progress (`stalled`, for /healthz).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from kpledger.chain import abi
from kpledger.chain.contracts import Chain
from kpledger.chain.decoder import LogDecoder
from kpledger.chain.errors import RpcError, revert_data
from kpledger.core.errors import ChainRefusal, ChainUnavailable, KPError, RelayFailed
from kpledger.db.models import RelayRequest
from kpledger.ops import metrics
from kpledger.relay import calls
from kpledger.relay.inflight import InFlight
from kpledger.relay.journal import FAILED, MINED, PENDING, SENT, Journal, acknowledged
from kpledger.relay.request import WriteRequest
from kpledger.relay.sender import Sender, Signed, decode_transaction

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
    """A batch transaction sent and journaled: its requests (in call order) and the signed transaction.
    `answer(request_id, row | error)` resolves a waiting request."""

    requests: list[WriteRequest]
    signed: Signed
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
                (reason,) = abi.decode(["bytes"], bytes.fromhex(entry["data"][2:]))
                out[index] = (False, [], bytes(reason))
            current = []
        else:
            current.append(entry)
    return out


class Receipts:
    """Finalises journaled requests from receipts: the receipt thread for batches just sent, the reconciler for
    everything else (a crash, a restarted chain, a node that dropped a transaction)."""

    def __init__(self, chain: Chain, journal: Journal, sender: Sender, *, receipt_timeout: float,
                 reconcile_interval: float, bump_after: float = 0.0, max_fee_per_gas: int | None = None,
                 reorg_depth: int = 64, stall_after: float = 60.0):
        self.chain = chain
        self.journal = journal
        self.sender = sender
        self.decoder = LogDecoder(chain.artifacts, chain.deployment)
        self.receipt_timeout = receipt_timeout
        self.reconcile_interval = reconcile_interval
        self.bump_after = bump_after  # seconds a transaction may wait unmined before its fees are raised (0: never)
        self.max_fee_per_gas = max_fee_per_gas  # the most a replacement may pay per gas (None: no cap)
        self.on_mined: Callable[[int], None] | None = None  # called with the block of each mined batch
        # per relayer address, one past the highest of its nonces this process saw mined (`chain_went_back`)
        self._confirmed: dict[str, int] = {}
        self._confirmed_lock = threading.Lock()
        # batch transactions whose receipt the receipt thread awaits (the sender enters them): the reconciler leaves
        # their rows alone
        self.in_flight = InFlight()
        self._resent_lost = False  # the reconciler re-sent transactions the chain had forgotten: settle them soon
        self.reorg_depth = reorg_depth  # blocks a reorganisation can replace (KP_REORG_DEPTH)
        # relayer transactions seen mined in the last `reorg_depth` blocks: tx hash -> (block number, block hash),
        # checked against the chain by every reconciliation (read from the journal at the first one)
        self._mined: dict[str, tuple[int, str]] = {}
        self._mined_lock = threading.Lock()
        self._mined_read = False
        # progress: the relayer is stalled when transactions it signed wait unmined and its nonce on chain has not
        # moved for `stall_after` seconds (noted by each reconciliation; a failing one counts as no progress)
        self.stall_after = stall_after
        self._progress = (time.monotonic(), -1, -1)  # (when, chain nonce, next nonce) at the last progress seen
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

    # ------------------------------------------------------------ what the chain has mined

    def _confirm(self, relayer: str | None, next_nonce: int) -> None:
        """Notes that the chain mined the nonces of `relayer` below `next_nonce`."""
        if relayer is None:
            return
        with self._confirmed_lock:
            self._confirmed[relayer] = max(self._confirmed.get(relayer, 0), next_nonce)

    def chain_went_back(self, relayer: str, chain_nonce: int) -> bool:
        """Whether the chain's mined nonce of `relayer` is below one this process saw mined: the chain forgot
        transactions (restarted from an older state), and the journal must be reconciled before the next batch."""
        with self._confirmed_lock:
            return chain_nonce < self._confirmed.get(relayer, 0)

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
                signed = batch.signed
                self.in_flight.discard([*self.journal.versions(self.sender.address, signed.nonce), signed.tx_hash])

    def _complete(self, batch: SentBatch) -> None:
        """Waits for a sent batch's receipt, records every request's outcome (one commit) and answers them."""
        found = self._await_receipt(batch)
        if found is None:
            for req in batch.requests:
                batch.answer(req.request_id, None, ChainUnavailable(
                    "the chain did not mine the request in time; resubmit it to learn its outcome",
                    details={"request_id": req.request_id, "status": PENDING, "tx_hash": batch.signed.tx_hash}))
            return
        receipt, mined_hash = found
        self._confirm(self.sender.address, batch.signed.nonce + 1)
        split = segments(receipt)
        changes = {req.request_id: {**self.outcome(req, index, receipt, mined_hash, split), "tx_hash": mined_hash}
                   for index, req in enumerate(batch.requests)}
        rows = self.journal.update_many(changes, durable=False)
        for req in batch.requests:
            batch.answer(req.request_id, rows[req.request_id], None)
        self._remember(mined_hash, receipt)  # after the rows: a reorganisation found from now on settles them again
        if self._resent_lost:  # this nonce is mined, so are the re-sent ones below it
            self._resent_lost = False
            with contextlib.suppress(ChainUnavailable):  # else the reconciler's next round
                self.reconcile()
        if self.on_mined is not None:
            self.on_mined(int(receipt["blockNumber"], 16))

    def _await_receipt(self, batch: SentBatch) -> tuple[dict[str, Any], str] | None:
        """The receipt of the transaction (under whichever version of it was mined) and that version's hash,
        re-sending it now and then and raising its fees when it is stuck; None after `receipt_timeout`."""
        deadline = time.monotonic() + self.receipt_timeout
        resends, pause = ResendClock(), 0.001
        nonce = batch.signed.nonce
        hashes, raw, signed_at = [batch.signed.tx_hash], batch.signed.raw, time.monotonic()
        while not self._stop.is_set():
            try:
                receipts = self.chain.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
                for tx_hash, receipt in zip(hashes, receipts, strict=True):
                    if receipt is not None and not isinstance(receipt, Exception):
                        return receipt, tx_hash
                if self.bump_after and time.monotonic() - signed_at > self.bump_after:
                    # the new version is entered in flight under the nonce lock: the reconciler sees it awaited
                    bumped = self.sender.replace(nonce, hashes[-1], raw, self.max_fee_per_gas, self.in_flight)
                    signed_at = time.monotonic()
                    if bumped is not None:
                        raw = bumped.raw
                        hashes.append(bumped.tx_hash)
                elif resends.due():
                    self._resend_missing(nonce, raw)
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
            metrics.resent()
            self.sender.resend(raw)
            ready = nonce + 1
        for later in self.journal.unmined_raw_from(self.sender.address, ready):
            metrics.resent()
            self.sender.resend(later)

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
              "data": "0x" + calls.calldata(req).hex()}
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
        """Settles again what a reorganisation replaced, finalises journaled transactions the chain has, re-sends (in
        nonce order) those it lacks, and executes again the requests whose transaction the chain can no longer take:
        the relayer account's, then those of earlier relayer keys (a rotation) that still have requests without an
        outcome.

        A batch transaction is one relayer nonce shared by several rows: it is checked and re-sent once."""
        sender = self.sender
        with sender.nonces.lock:
            address = sender.address
            receipts: dict[str, dict[str, Any] | None] = {}
            again: list[RelayRequest] = []  # requests to execute again in new transactions
            self._check_reorganised(receipts, again)
            latest, pending = sender.chain_nonce("latest"), sender.chain_nonce("pending")
            sender.nonces.sync(pending, self.journal.next_nonce(address))
            unsettled = [row for row in self.journal.unfinished_below(address, latest)
                         if row.tx_hash not in self.in_flight  # the receipt thread is finalising those
                         and not self._settle(row, receipts, again)]
            if unsettled:
                again += self._taken(address, unsettled)
            self._confirm(address, latest)
            expected = latest
            for nonce, tx_hash, rows in self._groups(address, latest):
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
                if not (nonce == latest and raw is not None and tx_hash is not None and self._stuck_since_crash(tx_hash)
                        and self.sender.replace(nonce, tx_hash, raw, self.max_fee_per_gas)):
                    metrics.resent()
                    sender.resend(raw)
                self._mark_resent(rows)
            for hole in range(max(expected, pending), sender.nonces.peek()):
                sender.send_filler(hole)
            for retired in self.journal.unfinished_relayers() - {address}:
                again += self._reconcile_retired(retired, receipts)
            if again:
                self._execute_again(again)
            self._note_progress(latest, sender.nonces.peek())

    # ------------------------------------------------------------ reorganisations

    def _remember(self, tx_hash: str, receipt: dict[str, Any]) -> None:
        """Notes the block a relayer transaction was mined in, for the reorganisation check."""
        with self._mined_lock:
            self._mined[tx_hash] = (int(receipt["blockNumber"], 16), receipt["blockHash"])

    def newest_mined(self) -> tuple[int, str] | None:
        """The newest block this process saw a relayer transaction mined in, and its hash: while the chain still has
        that block, no reorganisation replaced any of the relayer's recent transactions (None: none seen)."""
        with self._mined_lock:
            return max(self._mined.values(), default=None)

    def _check_reorganised(self, receipts: dict[str, dict[str, Any] | None], again: list[RelayRequest]) -> None:
        """Finds the relayer transactions this process saw mined whose block the chain replaced since (a
        reorganisation), and settles their requests again: from the transaction's receipt in the new chain, or,
        when the new chain does not hold it, by making them wait again (`sent`) for the steps below (re-sent as
        signed; executed again in a new transaction if its nonce went to another one)."""
        if not self._mined_read:
            self._read_mined()
        with self._mined_lock:
            known = dict(self._mined)
        if not known:
            return
        numbers = sorted({number for number, _hash in known.values()})
        answers = self.chain.rpc.batch([("eth_blockNumber", []),
                                        *(("eth_getBlockByNumber", [hex(n), False]) for n in numbers)])
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        head = int(answers[0], 16)
        canonical = {n: (block or {}).get("hash") for n, block in zip(numbers, answers[1:], strict=True)}
        replaced = [h for h, (number, block_hash) in known.items() if canonical[number] != block_hash]
        with self._mined_lock:
            for tx_hash, (number, _hash) in known.items():
                if number < head - self.reorg_depth or tx_hash in replaced:
                    self._mined.pop(tx_hash, None)
        if replaced:
            self._settle_again(replaced, receipts, again)

    def _read_mined(self) -> None:
        """At the first reconciliation: the current key's transactions the journal records as mined within
        `reorg_depth` blocks of the head, checked against their receipts (a reorganisation while this process was
        down replaced them, or a chain restarted from an older state forgot them)."""
        head = int(self.sender.rpc("eth_blockNumber", []), 16)
        recorded = self.journal.mined_since(self.sender.address, head - self.reorg_depth)
        hashes = list(recorded)
        answers = self.chain.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        for tx_hash, receipt in zip(hashes, answers, strict=True):
            if isinstance(receipt, Exception):
                raise receipt
            # a transaction the chain lacks, or mined in another block than the journal says, is checked below
            block_hash = receipt["blockHash"] if receipt and int(receipt["blockNumber"], 16) == recorded[tx_hash] \
                else "replaced"
            with self._mined_lock:
                self._mined[tx_hash] = (recorded[tx_hash], block_hash)
        self._mined_read = True

    def _settle_again(self, replaced: list[str], receipts: dict[str, dict[str, Any] | None],
                      again: list[RelayRequest]) -> None:
        log.warning("chain reorganised: %d relayer transactions are no longer in the blocks they were mined in",
                    len(replaced))
        answers = self.chain.rpc.batch([("eth_getTransactionReceipt", [h]) for h in replaced])
        fresh = {h: (None if isinstance(r, Exception) else r) for h, r in zip(replaced, answers, strict=True)}
        lost: list[str] = []
        for row in self.journal.of_transactions(replaced):
            tx_hash = row.tx_hash
            assert tx_hash is not None  # rows selected by their transaction
            receipt = fresh[tx_hash]
            receipts[tx_hash] = receipt
            if receipt is not None:  # mined again in another block: its outcome in the new chain
                self._finalise(row, receipt, tx_hash, again)
            elif row.status == MINED:
                lost.append(row.id)
        for tx_hash, receipt in fresh.items():
            if receipt is not None:
                self._remember(tx_hash, receipt)
        if lost:  # they wait again; re-sent below (or executed again if their nonce went to another transaction)
            self.journal.update_many({i: {"status": SENT, "block_number": None} for i in lost})
            self._resent_lost = True

    def _taken(self, address: str, rows: list[RelayRequest]) -> list[RelayRequest]:
        """Of requests without a receipt under any version of their transaction although the chain used its nonce,
        those whose nonce the chain still shows used (read again, after their receipts: a reorganisation between
        the two readings is left to the next round). Another transaction took it: they are executed again."""
        latest = int(self.sender.rpc("eth_getTransactionCount", [address, "latest"]), 16)
        taken = [row for row in rows if (row.relayer_nonce or 0) < latest]
        for row in taken:
            log.error("relayer %s nonce %s was used by another transaction: request %s is executed again in a new "
                      "transaction", address, row.relayer_nonce, row.id)
        return taken

    def _execute_again(self, rows: list[RelayRequest]) -> None:
        """Executes again, in new transactions of the current key (journaled before they are sent, in the order of
        their first transactions), the calls of requests whose transaction the chain can no longer take. Each call is
        the request's own signed intent: its intent nonce lets it run at most once whatever happens to the earlier
        transaction. A call the chain refuses now (simulated alone, after the ones before it) is not sent: its
        request fails with the contract's error, logged as an acknowledged write lost when it was one."""
        groups: dict[str, list[RelayRequest]] = {}
        for row in sorted(rows, key=lambda r: (r.relayer_nonce or 0, r.batch_index or 0)):
            groups.setdefault(row.tx_hash or "", []).append(row)
        for group in groups.values():
            raw = self.journal.raw_tx(group[0])
            if raw is None:  # not journaled (never: a transaction is forgotten only with its requests failed)
                log.error("requests %s cannot be executed again: their transaction is not journaled",
                          [row.id for row in group])
                continue
            tx = decode_transaction(raw)
            if group[0].batch_index is None:  # a transaction of its own (journals from before batching)
                entries = [(tx["to"], tx["data"], tx["gas"])]
            else:
                (entries,) = abi.decode([calls.CALL_ABI], tx["data"][4:])
            runnable: list[tuple[RelayRequest, tuple[str, bytes, int]]] = []
            for row in group:
                target, data, bound = entries[row.batch_index or 0]
                refusal = self._refused_now(to_checksum_address(target), bytes(data))
                if refusal is None:
                    runnable.append((row, (to_checksum_address(target), bytes(data), int(bound))))
                    continue
                if acknowledged(row):
                    log.error("acknowledged write lost: request %s, executed again after a reorganisation, is "
                              "refused by the chain now (%s)", row.id, refusal["code"])
                self.journal.update(row.id, status=FAILED, error=refusal)
            if runnable:
                self._send_again(tx, runnable)

    def _refused_now(self, target: str, data: bytes) -> dict[str, Any] | None:
        """The refusal (code, message, details) a call gets on top of the node's pending state, None if it runs."""
        call = {"from": self.sender.address, "to": target, "data": "0x" + data.hex()}
        try:
            self.sender.rpc("eth_call", [call, "pending"])
        except RpcError as exc:
            revert = revert_data(exc)
            if revert is None:
                raise
            refusal: ChainRefusal = self.chain.artifacts.decode_error(revert)
            return refusal.to_dict()
        return None

    def _send_again(self, tx: dict[str, Any], runnable: list[tuple[RelayRequest, tuple[str, bytes, int]]]) -> None:
        """One new transaction for calls of one earlier transaction: a `KPRelayBatch.execute` of them with their
        gas bounds, and the gas limit of the earlier transaction, which held them and more. The sender journals it;
        should the node refuse it outright, the requests point at their earlier transaction again and the next
        round tries again."""
        batched = runnable[0][0].batch_index is not None
        if batched:
            to = self.chain.deployment.batch
            assert to is not None  # rows are batched only on a deployment with a batch contract
            data = calls.batch_calldata(calls.EXECUTE_SELECTOR, [entry for _row, entry in runnable])
        else:
            to, data = tx["to"], runnable[0][1][1]
        moved = [(row.id, index if batched else None) for index, (row, _entry) in enumerate(runnable)]
        try:
            self.sender.send_again(to, data, tx["gas"], moved, [row for row, _entry in runnable])
        except RelayFailed as exc:
            log.warning("executing %d requests again failed: %s", len(runnable), exc.message)

    # ------------------------------------------------------------ progress

    def _note_progress(self, chain_nonce: int, next_nonce: int) -> None:
        """Progress: nothing signed waits unmined, or the chain's nonce moved (or went back: a reorganisation,
        which re-sending repairs) since the last round."""
        _when, seen, _next = self._progress
        if next_nonce <= chain_nonce or chain_nonce != seen:
            self._progress = (time.monotonic(), chain_nonce, next_nonce)

    def stalled(self) -> dict[str, Any] | None:
        """Why the relayer is not making progress (its signed transactions have waited unmined, with its nonce on
        chain unmoved, for `stall_after` seconds), or None."""
        when, chain_nonce, next_nonce = self._progress
        waited = time.monotonic() - when
        if waited < self.stall_after:
            return None
        return {"waited_s": round(waited), "chain_nonce": chain_nonce, "next_nonce": next_nonce}

    def _groups(self, address: str, nonce: int) -> list[tuple[int, str | None, list[RelayRequest]]]:
        """The journaled rows of `address` from `nonce` on, grouped by transaction, in nonce order."""
        groups: dict[tuple[int, str | None], list[RelayRequest]] = {}
        for row in self.journal.from_nonce(address, nonce):
            assert row.relayer_nonce is not None  # selected by nonce
            groups.setdefault((row.relayer_nonce, row.tx_hash), []).append(row)
        return [(n, h, rows) for (n, h), rows in groups.items()]

    def _mark_resent(self, rows: list[RelayRequest]) -> None:
        """The rows of a transaction sent again wait for its new receipt."""
        lost = [r.id for r in rows if r.status == MINED]
        if lost:  # finalised again from the new receipt (by the next batch, or the next reconciliation)
            self.journal.update_many({i: {"status": SENT} for i in lost})
            self._resent_lost = True
        if any(r.status == PENDING for r in rows):
            self.journal.mark_sent([r.id for r in rows])

    def _reconcile_retired(self, address: str, receipts: dict[str, dict[str, Any] | None]) -> list[RelayRequest]:
        """The journal of an earlier relayer key (rotated while some of its transactions had no outcome, or the
        backend restarted with another key): rows whose nonce the chain used are finalised from their receipts,
        the others re-sent as signed then. Its nonce holes cannot be filled without its key: logged. Returns the
        requests to execute again (their nonce went to another transaction), with the current key."""
        latest = int(self.sender.rpc("eth_getTransactionCount", [address, "latest"]), 16)
        again: list[RelayRequest] = []
        unsettled = [row for row in self.journal.unfinished_below(address, latest)
                     if not self._settle(row, receipts, again)]
        if unsettled:
            again += self._taken(address, unsettled)
        expected = latest
        for nonce, _tx_hash, rows in self._groups(address, latest):
            if nonce > expected:
                log.error("earlier relayer %s: nonces %d-%d were never journaled; its transactions from nonce %d "
                          "wait behind them (send transactions from that key to fill them)", address, expected,
                          nonce - 1, nonce)
            expected = max(expected, nonce + 1)
            if any(r.status in (PENDING, SENT) for r in rows):
                metrics.resent()
                self.sender.resend(self.journal.raw_tx(rows[0]))
                self._mark_resent(rows)
        return again

    def _stuck_since_crash(self, tx_hash: str | None) -> bool:
        """Whether a journaled transaction no receipt thread awaits (this process restarted since it was signed)
        has waited long enough unmined for its fees to be raised."""
        signed_at = self.journal.signed_at(tx_hash) if tx_hash else None
        return bool(self.bump_after) and signed_at is not None and time.time() - signed_at > self.bump_after

    def _settle(self, row: RelayRequest, receipts: dict[str, dict[str, Any] | None],
                again: list[RelayRequest]) -> bool:
        """Finalises an unfinished row whose relayer nonce the chain has used, from whichever version of its
        transaction was mined; False when none was (another transaction took the nonce, or a reorganisation is
        under way: `reconcile` looks again)."""
        assert row.relayer is not None and row.relayer_nonce is not None and row.tx_hash is not None  # sent rows
        signed = self.journal.versions(row.relayer, row.relayer_nonce)
        versions = [row.tx_hash, *(h for h in signed if h != row.tx_hash)]
        for tx_hash in versions:
            if tx_hash not in receipts:
                receipts[tx_hash] = self.sender.rpc("eth_getTransactionReceipt", [tx_hash])
            receipt = receipts[tx_hash]
            if receipt is not None:
                self._confirm(row.relayer, (row.relayer_nonce or 0) + 1)
                if tx_hash != row.tx_hash:
                    self.journal.point_to(versions, tx_hash)
                self._finalise(row, receipt, tx_hash, again)
                self._remember(tx_hash, receipt)
                return True
        return False

    def _finalise(self, row: RelayRequest, receipt: dict[str, Any], tx_hash: str, again: list[RelayRequest]) -> None:
        """Records a row's outcome from its transaction's receipt; an acknowledged request whose call failed there
        (a reorganisation re-ran it in another order) is executed again instead (`again`)."""
        req = WriteRequest.from_body(row.action, row.body)
        fields = self.outcome(req, row.batch_index, receipt, tx_hash)
        if fields["status"] == FAILED and acknowledged(row):
            log.warning("request %s, acknowledged, failed when the reorganised chain ran it again (%s): executed "
                        "again in a new transaction", row.id, fields["error"]["code"])
            row.tx_hash = tx_hash
            again.append(row)
            return
        self.journal.update(row.id, tx_hash=tx_hash, **fields)
