"""The relayer: checks a signed intent, journals its pre-signed transaction, sends it and answers from the receipt.

Batching (when the deployment record names a `KPRelayBatch`, `"batch"`; without one every request is a transaction
of its own, the path described by the points below with "the call" for "the batch"): requests that passed the
checks are queued; one sender thread takes everything queued (up to `batch_max_calls` calls and `batch_max_bytes`
of encoded calldata, lingering `batch_linger`, 1 ms, for company when the queue is short, BUSY_LINGER, 4 ms, after
a batch of 8 calls or more), simulates the whole batch with ONE `eth_call` of `KPRelayBatch.simulate` (which runs
every call and reverts with each call's success, gas used and return/revert data), answers the calls that would
fail with their decoded custom error (they are not journaled and not sent), cuts the batch at `batch_gas` of
simulated gas, within 80% of the block gas limit (the rest goes back to the head of the queue), journals every
included request (the shared raw tx, relayer nonce and tx hash, and the request's `batch_index`) in one commit,
sends one `execute` transaction and goes on with the next batch. A second thread waits for each batch's receipt,
splits its logs per call (`execute` emits `RelayCallDone(i)` / `RelayCallFailed(i, reason)` after call i, so the
logs of call i are those between marker i-1 and marker i), records every outcome in one commit and answers each
request with its own ids; a call that failed on chain despite the simulation answers its refusal (4xx) and its row
is failed. Batches do not weaken any guarantee below: they are journaled before they leave the process, a batch tx
is exactly-once through its relayer nonce, and a call inside it is once-only through its intent nonce.

Guarantees and how they hold:

* Refused requests send nothing. The body is validated by the route's schema, the EIP-712 signature
  is recovered off chain (a contract signer, ERC-1271, is left to the chain), the deadline is checked
  and the `...BySig` call is simulated (the batch simulation, or eth_estimateGas from the relayer's
  address); a revert becomes the contract's custom error (`Artifacts.decode_error`). Nothing is journaled
  for a refusal.
* Idempotency. `request_id = keccak(abi.encode(action, signer, nonce, signature))`. Requests of one
  signer are processed one at a time (a lock per signer, which is also a lock per request id, held until
  the answer: a signer's requests go out in consecutive batches, in order; the API's async handlers use
  `submit_async`, whose lock is an asyncio.Lock per signer on the event loop, held until the answer even
  if the handler is cancelled, and whose wait is a future the receipt thread resolves, not a thread),
  and a request already
  journaled is answered from the journal (`duplicate: true`) instead of being run again. A journaled
  request that failed (reverted on chain, or refused by the node before it took its nonce) was not
  executed: submitting it again runs it again under the same id.
* Nothing acknowledged is lost. The relayer nonce is taken from a lock-protected counter (initialised
  from `eth_getTransactionCount(pending)` and the journal), the transaction is signed locally (its
  hash is known before sending; EIP-1559 when the chain has a base fee, legacy otherwise, gas =
  estimate * 1.2 + margin, or for a batch the simulated gas of each call * 64/63 * 1.2 plus overheads),
  and the journal rows (raw tx, relayer nonce, tx hash, status `pending`) are committed with SQLite
  synchronous=FULL before the transaction leaves the process. The answer (200, status `mined`, ids read
  from the receipt's events) is given only after the receipt, and after the rows are marked `mined` and
  committed (that commit is not fsynced: it survives a kill -9, and were it lost to a power cut the rows
  would be pending with their nonce used, and the reconciler finalises them again from the receipt).
* Exactly once on chain. Every journaled transaction has a fixed relayer nonce, so re-sending it can
  never execute it twice: the chain refuses a used nonce ("nonce too low" / "already known" count as
  sent; the receipt decides). `reconcile()` runs at start-up (`recover()`), every second in a thread,
  and before a request (a batch) when the chain's nonce went back: it finalises rows whose nonce the
  chain used (a batch's rows from its one receipt, by their `batch_index`), and re-sends, in relayer-nonce
  order and once per transaction, every journaled transaction from the chain's current nonce on (a
  backend killed after journaling; a chain restarted from an older state dump, which forgets its last
  blocks, acknowledged ones included). A lost transaction whose requests all failed is replaced by an
  empty self-transfer (their refusals were already answered; they must not run later), and a nonce hole
  is filled the same way, so later transactions are never stuck behind it. (A lost batch that mixes
  mined and failed calls is re-sent as it was, for the mined ones: its failed calls run again on the same
  state, so they normally fail again; were one to succeed, a client that resubmits learns nothing new
  from its failed row. Only a chain that forgets blocks, a development chain, can cause this.)
* Chain unreachable. Before journaling: 503 ChainUnavailable, nothing stored, not acknowledged. After
  journaling (the send or the receipt failed): the rows stay `pending`, the requests wait up to
  `receipt_timeout` for the chain to come back, then answer 503 ChainUnavailable with the request id.
  They are not acknowledged, but they WILL be executed when the chain is back (the reconciler sends
  them): a client that resubmits the same signed request gets its outcome (the same id, never a second
  execution). We do not mark such rows failed: their transaction may have reached the node, and a
  failed row could be retried under a new nonce and run twice.

Assumption: the relayer key is used by this one backend process only (any other use of its nonces is
tolerated for new transactions, but an unjournaled transaction taking a journaled nonce makes that
request fail).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak

from kpledger.chain import abi
from kpledger.chain.contracts import BATCH, CONTRACTS, Chain, abi_type
from kpledger.core.config import Settings
from kpledger.core.errors import ChainRefusal, ChainUnavailable, InvalidSignature, KPError
from kpledger.db.models import RelayRequest
from kpledger.db.session import Database
from kpledger.intents import INTENTS
from kpledger.relay import rpc
from kpledger.relay.errors import IntentExpired, RpcError
from kpledger.relay.intent import WriteRequest
from kpledger.relay.journal import FAILED, MINED, PENDING, SENT, Journal
from kpledger.relay.nonces import NonceCounter
from kpledger.relay.results import ReceiptDecoder, result_of

log = logging.getLogger(__name__)
SIMULATED_SELECTOR = keccak(text="KPRelayBatchSimulated((bool,uint256,bytes)[])")[:4]
EXECUTE_SELECTOR = function_signature_to_4byte_selector("execute((address,bytes)[])")
SIMULATE_SELECTOR = function_signature_to_4byte_selector("simulate((address,bytes)[])")


def _batch_calldata(selector: bytes, calls: list[tuple[str, bytes]]) -> str:
    """KPRelayBatch.execute / simulate calldata (eth_abi directly: web3's encode_abi re-hashes the whole ABI)."""
    return "0x" + (selector + abi.encode(["(address,bytes)[]"], [calls])).hex()

GAS_FACTOR, GAS_MARGIN = 1.2, 25_000
FILLER_GAS = 21_000
# batches: at most Settings.batch_max_calls calls and Settings.batch_gas gas of calls (measured by the
# simulation) per transaction, and never more than BLOCK_SHARE of the chain's block gas limit
BLOCK_SHARE = 0.8
# a batch's size: its ABI-encoded `execute` calldata, cut at Settings.batch_max_bytes (the simulation request and
# the signed transaction each carry it once, hex-encoded: twice as many characters)
BATCH_HEAD_BYTES = 4 + 32 + 32  # selector, offset of the array, its length
BATCH_CALL_BYTES = 32 + 3 * 32  # per call: its offset in the array, then (address, offset of data, data length)


def encoded_call_bytes(data: str) -> int:
    """What one call (0x-hex call data) adds to the ABI-encoded batch: 128 bytes plus its data padded to 32."""
    size = (len(data) - 2) // 2
    return BATCH_CALL_BYTES + -(-size // 32) * 32


BUSY_LINGER = 0.004  # linger after a batch of 8 calls or more
# a sent transaction without a receipt is sent again after 1 s, then 2, 4 and every 8 s: a node that restarted has
# forgotten it, but one that is slow to mine a large batch is not asked to parse it (up to 1 MB) again every second
RESEND_AFTER, RESEND_MAX = 1.0, 8.0
BATCH_TX_OVERHEAD, BATCH_CALL_OVERHEAD = 60_000, 12_000  # execute's loop, markers, copies (generous)
DONE_TOPIC = "0x" + keccak(text="RelayCallDone(uint256)").hex()
FAILED_TOPIC = "0x" + keccak(text="RelayCallFailed(uint256,bytes)").hex()


class _ResendClock:
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


def _clone(exc: BaseException) -> BaseException:
    """A copy of an exception, so that every waiting request raises its own instance."""
    new = exc.__class__.__new__(exc.__class__)
    new.__dict__.update(exc.__dict__)
    new.args = exc.args
    return new


class _Queued:
    """A validated request waiting for the batch sender; `done` is set with its final row or its error."""

    __slots__ = ("req", "to", "data", "done", "row", "error", "loop", "future", "duplicate")

    def __init__(self, req: WriteRequest, to: str, data: str, future: asyncio.Future[None] | None = None):
        self.req, self.to, self.data = req, to, data
        self.done = threading.Event()
        self.row: RelayRequest | None = None
        self.error: BaseException | None = None
        self.duplicate = False  # the sender found the request journaled already: `row` is that journal row
        # an async caller (the API's handlers) awaits `future` on its event loop instead of blocking a thread
        self.future = future
        self.loop = future.get_loop() if future is not None else None

    def resolve(self, row: RelayRequest | None = None, error: BaseException | None = None) -> None:
        if not self.done.is_set():
            self.row, self.error = row, error
            self.done.set()
            if self.loop is not None:
                # RuntimeError: the loop is closed (shutdown), nobody awaits the answer any more
                with contextlib.suppress(RuntimeError):
                    self.loop.call_soon_threadsafe(_wake_future, self.future)


def _wake_future(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


class Relayer:
    """Submits signed intents from the relayer account, exactly once, with a journal that survives crashes."""

    def __init__(self, settings: Settings, chain: Chain, db: Database, *, reconcile_interval: float = 1.0,
                 receipt_timeout: float = 30.0, batch_linger: float = 0.001):
        self.settings = settings
        self.chain = chain
        self.journal = Journal(db)
        self.account = Account.from_key(settings.relayer_key.get_secret_value())
        self.address = self.account.address
        self.nonces = NonceCounter()
        self.decoder = ReceiptDecoder(chain)
        self.contracts = {name: chain.contract(name) for name in CONTRACTS}
        self.reconcile_interval = reconcile_interval
        self.receipt_timeout = receipt_timeout
        self._signer_locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        # the same per-signer lock for async callers (used on the event loop's thread only)
        self._async_signer_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()
        self._confirmed = 0  # one past the highest relayer nonce seen on chain by this process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # batching (when the deployment has a KPRelayBatch): one sender thread drains the queue
        self.batch = None
        if chain.deployment.batch and BATCH in chain.artifacts.abis:
            self.batch = chain.w3.eth.contract(address=chain.deployment.batch, abi=chain.artifacts.abis[BATCH])
        elif chain.deployment.batch:
            log.warning("KPRelayBatch is deployed but not in the build manifest: relaying one request per transaction")
        self.batch_linger = batch_linger
        self.on_mined: Callable[[int], None] | None = None  # called with the block of each mined batch
        self._queue: deque[_Queued] = deque()
        self._queue_cv = threading.Condition()
        self._sender: threading.Thread | None = None
        self._resent_lost = False  # reconcile re-sent transactions the chain had forgotten: settle them soon
        # sent batches wait for their receipt in a second thread, so the sender goes on with the next batch
        self._sent: queue.Queue[tuple[list[_Queued], str, str, int] | None] = queue.Queue()
        self._completer: threading.Thread | None = None
        self._fee_cache: tuple[float, dict[str, int]] | None = None
        self._block_gas_limit: int | None = None  # read with the fees
        self._encoders: dict[str, tuple[bytes, list[str]]] = {}
        self._last_batch = 0  # size of the last batch taken (lingers longer when busy)
        self._in_flight: set[str] = set()  # batch transactions sent whose receipt the receipt thread awaits

    # ------------------------------------------------------------ lifecycle

    def recover(self) -> None:
        """Re-sends what the journal holds and the chain lacks, then starts the reconciliation thread."""
        try:
            self.reconcile()
        except ChainUnavailable as exc:
            log.warning("relayer recovery postponed, chain not reachable: %s", exc)
        self._thread = threading.Thread(target=self._run, name="relayer-reconcile", daemon=True)
        self._thread.start()
        self._start_sender()

    def close(self) -> None:
        """Stops the reconciliation and batch sender threads."""
        self._stop.set()
        with self._queue_cv:
            self._queue_cv.notify_all()
        self._sent.put(None)
        for thread in (self._thread, self._sender, self._completer):
            if thread is not None:
                thread.join(timeout=10)

    def _start_sender(self) -> None:
        with self._queue_cv:
            if self.batch is not None and self._sender is None:
                self._sender = threading.Thread(target=self._send_loop, name="relayer-batch-sender", daemon=True)
                self._completer = threading.Thread(target=self._complete_loop, name="relayer-batch-receipts",
                                                   daemon=True)
                self._sender.start()
                self._completer.start()

    def _run(self) -> None:
        while not self._stop.wait(self.reconcile_interval):
            try:
                self.reconcile()
            except ChainUnavailable:
                pass
            except Exception:  # never let the thread die; the next round retries
                log.exception("relayer reconciliation failed")

    # ------------------------------------------------------------ the write path

    def submit(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Runs one schema-validated write request and returns the answer of WRITES.md (or raises a KPError)."""
        req = WriteRequest.from_body(action, body)
        self._verify_signature(req)
        with self._lock_for(req.intent.signer):
            if (row := self._journaled(req.request_id)) is not None:
                return self._answer(self._wait(row), duplicate=True)
            if req.intent.deadline < time.time():
                raise IntentExpired("the intent's deadline has passed",
                                    details={"signer": req.intent.signer, "deadline": req.intent.deadline})
            if self.batch is not None:
                item = self._submit_batched(req)
                assert item.row is not None
                return self._answer(self._wait(item.row) if item.duplicate else item.row, duplicate=item.duplicate)
            self._check_chain()
            data = self._calldata(req)
            gas = self._simulate(req.contract, data)
            self._journal_and_send(req, data, gas)
            return self._answer(self._wait(self.journal.get(req.request_id)), duplicate=False)

    async def submit_async(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """`submit` for an event loop: same checks, guarantees and answers, without a thread per waiting request.

        With a batch contract the request is queued and its answer awaited (the receipt thread wakes the
        loop); a signer's requests are processed one at a time under an asyncio lock per signer held until
        the answer. Without one, `submit` runs in a worker thread."""
        if self.batch is None:
            return await anyio.to_thread.run_sync(self.submit, action, body)
        req = WriteRequest.from_body(action, body)
        verifying = self.chain.deployment.address(req.contract)
        if req.recovered_signer(self.chain.deployment.chain_id, verifying) != req.intent.signer:
            await anyio.to_thread.run_sync(self._verify_signature, req)  # may ask the chain (ERC-1271 signer)
        async with self._async_lock_for(req.intent.signer):
            if req.intent.deadline < time.time():  # a journaled request is answered from the journal even late
                row = self._journaled(req.request_id)
                if row is None:
                    raise IntentExpired("the intent's deadline has passed",
                                        details={"signer": req.intent.signer, "deadline": req.intent.deadline})
                return await self._answer_duplicate(row)
            self._start_sender()
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            # the duplicate check (is this request journaled?) is made by the sender, for a whole batch at once
            item = _Queued(req, verifying, self._calldata(req), future)
            with self._queue_cv:
                self._queue.append(item)
                self._queue_cv.notify()
            limit = self.receipt_timeout + 60
            try:
                await asyncio.wait_for(asyncio.shield(future), limit)
            except TimeoutError:
                raise ChainUnavailable("the relayer did not answer in time; resubmit the request to learn its "
                                       "outcome", details={"request_id": req.request_id}) from None
            except asyncio.CancelledError:
                # keep the signer's lock until the request is answered (order and idempotency), then go
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(asyncio.shield(future), limit)
                raise
            if item.error is not None:
                raise item.error
            assert item.row is not None
            if item.duplicate:
                return await self._answer_duplicate(item.row)
            return self._answer(item.row, duplicate=False)

    def _journaled(self, request_id: str) -> RelayRequest | None:
        """The journal row of a request that was run (not failed), or None: such a request is not run again."""
        status = self.journal.status(request_id)
        if status is None or status == FAILED:
            return None
        return self.journal.get(request_id)

    async def _answer_duplicate(self, row: RelayRequest) -> dict[str, Any]:
        if row.status not in (MINED, FAILED):
            row = await anyio.to_thread.run_sync(self._wait, row)
        return self._answer(row, duplicate=True)

    def _async_lock_for(self, signer: str) -> asyncio.Lock:
        lock = self._async_signer_locks.get(signer)
        if lock is None:
            lock = asyncio.Lock()
            self._async_signer_locks[signer] = lock
        return lock

    # ------------------------------------------------------------ the batched write path

    def _submit_batched(self, req: WriteRequest) -> _Queued:
        """Queues the request for the batch sender and waits for its answer (the signer's lock is held)."""
        self._start_sender()
        item = _Queued(req, self.chain.deployment.address(req.contract), self._calldata(req))
        with self._queue_cv:
            self._queue.append(item)
            self._queue_cv.notify()
        if not item.done.wait(self.receipt_timeout + 60):
            raise ChainUnavailable("the relayer did not answer in time; resubmit the request to learn its outcome",
                                   details={"request_id": req.request_id})
        if item.error is not None:
            raise item.error
        return item

    def _take(self) -> list[_Queued]:
        """The next batch: everything queued (up to `batch_max_calls` calls and `batch_max_bytes` of encoded
        calldata), after lingering `batch_linger` for company."""
        with self._queue_cv:
            while not self._queue and not self._stop.is_set():
                self._queue_cv.wait(0.5)
            if not self._queue:
                return []
            # a lone request goes at once (1 ms); after a large batch, linger a few ms more for company
            linger = self.batch_linger if self._last_batch < 8 else max(self.batch_linger, BUSY_LINGER)
            linger_end = time.monotonic() + linger
            most = self.settings.batch_max_calls
            while len(self._queue) < most and (left := linger_end - time.monotonic()) > 0:
                self._queue_cv.wait(left)
            taken: list[_Queued] = []
            size, budget = BATCH_HEAD_BYTES, self.settings.batch_max_bytes
            while self._queue and len(taken) < most:
                # the simulation request and the signed transaction each carry the encoded batch once, in hex:
                # kept under the node's request limit (anvil refuses bodies over 2 MiB); a lone call always goes
                size += encoded_call_bytes(self._queue[0].data)
                if taken and size > budget:
                    break
                taken.append(self._queue.popleft())
            self._last_batch = len(taken)
            return taken

    def _requeue(self, items: list[_Queued]) -> None:
        with self._queue_cv:
            self._queue.extendleft(reversed(items))
            self._queue_cv.notify()

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            items = self._take()
            if not items:
                continue
            try:
                self._run_batch(items)
            except KPError as exc:
                for item in items:
                    item.resolve(error=_clone(exc))
            except Exception as exc:  # never let the sender die; these requests are answered with the failure
                log.exception("relay batch failed")
                for item in items:
                    item.resolve(error=KPError(f"the relayer failed: {exc}", code="RelayFailed"))

    def _simulate_batch(self, items: list[_Queued]) -> list[tuple[bool, int, bytes]]:
        """(ok, gas used, return or revert data) per call, from one eth_call of KPRelayBatch.simulate.

        The same JSON-RPC request reads the relayer's mined nonce: when the chain forgot transactions this
        process saw mined (a restarted chain) the journal is reconciled first and the batch simulated again."""
        assert self.batch is not None
        calls = [(item.to, bytes.fromhex(item.data[2:])) for item in items]
        tx = {"from": self.address, "to": self.batch.address, "data": _batch_calldata(SIMULATE_SELECTOR, calls)}
        # "pending": on top of the batches sent whose receipt is not read yet
        count, simulated = self.chain.rpc.batch([("eth_getTransactionCount", [self.address, "latest"]),
                                                 ("eth_call", [tx, "pending"])])
        if isinstance(count, RpcError):
            raise count
        if int(count, 16) < self._confirmed:
            log.warning("the chain lost relayed transactions: reconciling before the next batch")
            self.reconcile()
            simulated = self.chain.rpc.batch([("eth_call", [tx, "pending"])])[0]
        if not isinstance(simulated, RpcError):
            raise KPError("KPRelayBatch.simulate did not revert", code="RelayFailed")
        revert = rpc.revert_data(simulated)
        if revert is None:
            raise simulated
        if revert[:4] == SIMULATED_SELECTOR:
            (outcomes,) = abi_decode(["(bool,uint256,bytes)[]"], revert[4:])
            return [(bool(ok), int(gas), bytes(data)) for ok, gas, data in outcomes]
        raise self.chain.artifacts.decode_error(revert) from None

    def _run_batch(self, items: list[_Queued]) -> None:
        """Simulates, journals (one commit) and sends one transaction; the receipt thread answers the requests."""
        assert self.batch is not None
        known = self.journal.run_rows([item.req.request_id for item in items])
        if known:  # requests journaled before (a client's retry): answered from the journal, not run again
            for item in items:
                row = known.get(item.req.request_id)
                if row is not None:
                    item.duplicate = True
                    item.resolve(row=row)
            items[:] = [item for item in items if not item.duplicate]
            if not items:
                return
        outcomes = self._simulate_batch(items)
        cut, total, budget = len(items), 0, self._batch_gas_budget()
        for i, (_ok, gas, _data) in enumerate(outcomes):
            if i > 0 and total + gas > budget:  # the rest waits for the next batch (simulated again)
                cut = i
                break
            total += gas
        self._requeue(items[cut:])
        del items[cut:]  # the caller answers only what this batch owns
        included: list[_Queued] = []
        gas_limit = BATCH_TX_OVERHEAD
        for item, (ok, gas, data) in zip(items[:cut], outcomes, strict=False):
            if ok:
                included.append(item)
                gas_limit += int(gas * 64 / 63 * GAS_FACTOR) + BATCH_CALL_OVERHEAD + 16 * (len(item.data) // 2)
            else:
                item.resolve(error=self.chain.artifacts.decode_error(data))
        if not included:
            return
        calls = [(item.to, bytes.fromhex(item.data[2:])) for item in included]
        data = _batch_calldata(EXECUTE_SELECTOR, calls)
        entries = [(i.req.request_id, i.req.action, i.req.intent.signer, i.req.body()) for i in included]
        tx_hash, raw, nonce = self._journal_and_send_batch(entries, data, gas_limit)
        self._sent.put((included, tx_hash, raw, nonce))

    def _complete_loop(self) -> None:
        while True:
            sent = self._sent.get()
            if sent is None:
                return
            try:
                self._complete(*sent)
                self._in_flight.discard(sent[1])
            except KPError as exc:
                self._in_flight.discard(sent[1])
                for item in sent[0]:
                    item.resolve(error=_clone(exc))
            except Exception as exc:  # never let the thread die; the rows stay pending for the reconciler
                self._in_flight.discard(sent[1])
                log.exception("relay batch completion failed")
                for item in sent[0]:
                    item.resolve(error=KPError(f"the relayer failed: {exc}", code="RelayFailed"))

    def _complete(self, included: list[_Queued], tx_hash: str, raw: str, nonce: int) -> None:
        """Waits for a sent batch's receipt, records every request's outcome (one commit) and answers them."""
        receipt = self._await_receipt(tx_hash, raw)
        if receipt is None:
            for item in included:
                item.resolve(error=ChainUnavailable(
                    "the chain did not mine the request in time; resubmit it to learn its outcome",
                    details={"request_id": item.req.request_id, "status": PENDING, "tx_hash": tx_hash}))
            return
        self._confirmed = max(self._confirmed, nonce + 1)
        segments = self._segments(receipt)
        changes = {item.req.request_id: self._outcome(item.req, index, receipt, tx_hash, segments)
                   for index, item in enumerate(included)}
        rows = self.journal.update_many(changes, durable=False)
        for item in included:
            item.resolve(row=rows[item.req.request_id])
        if self._resent_lost:  # this nonce is mined, so are the re-sent ones below it
            self._resent_lost = False
            with self.nonces.lock:
                receipts: dict[str, dict[str, Any] | None] = {}
                for row in self.journal.unfinished_below(nonce):
                    self._settle(row, receipts)
        if self.on_mined is not None:
            self.on_mined(int(receipt["blockNumber"], 16))

    def _journal_and_send_batch(self, entries: list[tuple[str, str, str, dict[str, Any]]], data: str,
                                gas: int) -> tuple[str, str, int]:
        """Allocates a relayer nonce, signs, journals every request of the batch in one commit, then sends.

        Returns (tx hash, raw tx, relayer nonce) once journaled (sent, or to be sent by the receipt wait or the
        reconciler when the chain is unreachable); raises RelayFailed when the node refused the transaction
        outright (nothing ran; the rows are marked failed)."""
        assert self.batch is not None
        ids = [e[0] for e in entries]

        sent: list[str] = []

        def record(nonce: int, raw: str, tx_hash: str) -> None:
            self.journal.record_batch(entries, relayer_nonce=nonce, raw_tx=raw, tx_hash=tx_hash)
            # the receipt thread owns it from now on: the reconciler leaves its rows alone (marked before the
            # nonce lock is released, so a reconciliation never finalises a batch the receipt thread is reading)
            self._in_flight.add(tx_hash)
            sent.append(tx_hash)

        def fail(error: dict[str, Any]) -> None:
            self._in_flight.difference_update(sent)
            self.journal.update_many({i: {"status": FAILED, "relayer_nonce": None, "error": error} for i in ids})

        try:
            tx_hash, raw, nonce = self._journal_and_push(self.batch.address, data, gas, record, fail)
        except BaseException:
            self._in_flight.difference_update(sent)  # nothing for the receipt thread: the reconciler decides
            raise
        self._in_flight.difference_update(set(sent) - {tx_hash})  # transactions re-signed under another nonce
        return tx_hash, raw, nonce

    def _await_receipt(self, tx_hash: str, raw: str) -> dict[str, Any] | None:
        """The transaction's receipt (re-sending it now and then), None after `receipt_timeout`."""
        deadline = time.monotonic() + self.receipt_timeout
        resends, pause = _ResendClock(), 0.001
        while not self._stop.is_set():
            try:
                receipt = self._rpc("eth_getTransactionReceipt", [tx_hash])
                if receipt is not None:
                    return receipt
                if resends.due():
                    self._resend(raw)
            except (ChainUnavailable, RpcError):
                pass
            if time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        return None

    def _segments(self, receipt: dict[str, Any]) -> dict[int, tuple[bool, list[dict[str, Any]], bytes | None]]:
        """A batch receipt's logs per call: {index: (ok, the call's own logs, revert data when it failed)}."""
        batch = (receipt.get("to") or "").lower()
        out: dict[int, tuple[bool, list[dict[str, Any]], bytes | None]] = {}
        current: list[dict[str, Any]] = []
        for entry in receipt.get("logs", []):
            topics = entry.get("topics") or []
            if entry["address"].lower() == batch and topics and topics[0] in (DONE_TOPIC, FAILED_TOPIC):
                index = int(topics[1], 16)
                if topics[0] == DONE_TOPIC:
                    out[index] = (True, current, None)
                else:
                    (reason,) = abi_decode(["bytes"], bytes.fromhex(entry["data"][2:]))
                    out[index] = (False, [], bytes(reason))
                current = []
            else:
                current.append(entry)
        return out

    def _outcome(self, req: WriteRequest, index: int | None, receipt: dict[str, Any], tx_hash: str | None,
                 segments: dict[int, tuple[bool, list[dict[str, Any]], bytes | None]] | None = None,
                 ) -> dict[str, Any]:
        """The journal fields a receipt gives one request (its call `index` of a batch, or a whole transaction)."""
        block = int(receipt["blockNumber"], 16)
        error: dict[str, Any] | None = None
        if int(receipt["status"], 16) == 1:
            logs, ok, reason = receipt.get("logs", []), True, None
            if index is not None:
                ok, logs, reason = (segments if segments is not None else self._segments(receipt)).get(
                    index, (False, [], None))
            if ok:
                result = result_of(req.action, req.intent.message, self.decoder.decode({"logs": logs}))
                return {"status": MINED, "result": result, "block_number": block, "error": None}
            if reason is not None:
                error = self.chain.artifacts.decode_error(reason).to_dict()
        if error is None:
            try:
                self._simulate(req.contract, self._calldata(req))
                error = {"code": "Reverted", "message": "the transaction reverted on chain", "details": {}}
            except ChainRefusal as refusal:
                error = refusal.to_dict()
        error["details"] = {**error["details"], "tx_hash": tx_hash}
        return {"status": FAILED, "error": error, "block_number": block}

    def intent_nonces(self, address: str) -> dict[str, int]:
        """Next key-0 intent nonce of `address` per contract, counting accepted requests not mined yet."""
        out: dict[str, int] = {}
        for name, contract in self.contracts.items():
            data = contract.encode_abi("nonces", args=[address, 0])
            try:
                out[name] = int(self._rpc("eth_call", [{"to": contract.address, "data": data}, "latest"]), 16)
            except RpcError as exc:
                raise ChainUnavailable(f"nonce read failed: {exc.message}") from exc
        for row in self.journal.unfinished_of(address):
            contract, nonce = INTENTS[row.action].contract, int(row.body["nonce"])
            if nonce >> 64 == 0:
                out[contract] = max(out[contract], nonce + 1)
        return out

    def _lock_for(self, signer: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._signer_locks.get(signer)
            if lock is None:
                lock = threading.Lock()
                self._signer_locks[signer] = lock
            return lock

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return self.chain.rpc.call(method, params)

    def _verify_signature(self, req: WriteRequest) -> None:
        """Recovers the EIP-712 signer off chain; a contract signer (ERC-1271) is left to the simulation."""
        verifying = self.chain.deployment.address(req.contract)
        recovered = req.recovered_signer(self.chain.deployment.chain_id, verifying)
        if recovered == req.intent.signer:
            return
        if self._rpc("eth_getCode", [req.intent.signer, "latest"]) not in (None, "0x", "0x0"):
            return
        raise InvalidSignature("the signature is not the signer's over this intent",
                               details={"signer": req.intent.signer, "recovered": recovered})

    def _calldata(self, req: WriteRequest) -> str:
        """The `...BySig` call's ABI encoding (selector and argument types read once from the ABI)."""
        spec = self._encoders.get(req.action)
        if spec is None:
            item = next(i for i in self.chain.artifacts.abis[req.contract]
                        if i["type"] == "function" and i["name"] == req.function)
            types = [abi_type(i) for i in item["inputs"]]
            spec = self._encoders[req.action] = (
                function_signature_to_4byte_selector(f"{req.function}({','.join(types)})"), types)
        selector, types = spec
        return "0x" + (selector + abi.encode(types, [*req.intent.args, req.intent.authorization])).hex()

    def _simulate(self, contract: str, data: str) -> int:
        """Runs the call from the relayer's address; returns the gas limit to sign or raises the refusal."""
        tx = {"from": self.address, "to": self.chain.deployment.address(contract), "data": data}
        try:
            estimate = int(self._rpc("eth_estimateGas", [tx]), 16)
        except RpcError as exc:
            revert = rpc.revert_data(exc)
            if revert is None:
                raise
            raise self.chain.artifacts.decode_error(revert) from None
        return int(estimate * GAS_FACTOR) + GAS_MARGIN

    def _batch_gas_budget(self) -> int:
        """Simulated gas of calls one batch may hold: the setting, within BLOCK_SHARE of the block gas limit."""
        self._fees()  # reads the block gas limit with the fees (once a second)
        budget = self.settings.batch_gas
        if self._block_gas_limit:
            # the gas limit signed is the simulated gas * 64/63 * GAS_FACTOR plus overheads
            budget = min(budget, int(self._block_gas_limit * BLOCK_SHARE / (GAS_FACTOR * 64 / 63)))
        return budget

    def _fees(self) -> dict[str, int]:
        """EIP-1559 fees when the latest block has a base fee, a legacy gas price otherwise (read once a second:
        a max fee of twice the base fee covers its growth over several full blocks)."""
        cached = self._fee_cache
        if cached is not None and time.monotonic() - cached[0] < 1.0:
            return cached[1]
        fees = self._read_fees()
        self._fee_cache = (time.monotonic(), fees)
        return fees

    def _read_fees(self) -> dict[str, int]:
        block = self._rpc("eth_getBlockByNumber", ["latest", False])
        if block.get("gasLimit"):
            self._block_gas_limit = int(block["gasLimit"], 16)
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self._rpc("eth_gasPrice", []), 16)}
        try:
            tip = int(self._rpc("eth_maxPriorityFeePerGas", []), 16)
        except RpcError:
            tip = 10**9
        return {"type": 2, "maxFeePerGas": 2 * int(base, 16) + tip, "maxPriorityFeePerGas": tip}

    def _sign(self, to: str, data: str, gas: int, nonce: int) -> tuple[str, str]:
        """Raw transaction and its hash, signed locally by the relayer account."""
        tx = {"chainId": self.chain.deployment.chain_id, "nonce": nonce, "to": to, "data": data, "gas": gas,
              "value": 0, **self._fees()}
        signed = self.account.sign_transaction(tx)
        return "0x" + signed.raw_transaction.hex(), "0x" + signed.hash.hex()

    def _journal_and_send(self, req: WriteRequest, data: str, gas: int) -> None:
        """Allocates a relayer nonce, signs, commits the journal row, then sends (all under the nonce lock)."""
        def record(nonce: int, raw: str, tx_hash: str) -> None:
            self.journal.record(req.request_id, req.action, req.intent.signer, req.body(), relayer_nonce=nonce,
                                raw_tx=raw, tx_hash=tx_hash)

        def fail(error: dict[str, Any]) -> None:
            self.journal.update(req.request_id, status=FAILED, relayer_nonce=None, error=error)

        self._journal_and_push(self.chain.deployment.address(req.contract), data, gas, record, fail,
                               on_sent=lambda: self.journal.update(req.request_id, status=SENT))

    def _journal_and_push(self, to: str, data: str, gas: int, record: Callable[[int, str, str], None],
                          fail: Callable[[dict[str, Any]], None],
                          on_sent: Callable[[], None] | None = None) -> tuple[str, str, int]:
        """Under the nonce lock: allocates a relayer nonce, signs, journals (`record`), then sends.

        Returns (tx hash, raw tx, nonce) once journaled: sent, or to be sent by the receipt wait or the
        reconciler when the chain is unreachable. A nonce the key used elsewhere is skipped and the transaction
        re-signed. When the node refuses the transaction outright (nothing ran), `fail` marks the journal and
        RelayFailed is raised."""
        with self.nonces.lock:
            self._init_nonces()
            for _attempt in range(3):
                nonce = self.nonces.allocate()
                try:
                    raw, tx_hash = self._sign(to, data, gas, nonce)
                    record(nonce, raw, tx_hash)
                except BaseException:
                    self.nonces.release(nonce)
                    raise
                try:
                    self._rpc("eth_sendRawTransaction", [raw])
                except ChainUnavailable:
                    return tx_hash, raw, nonce  # journaled: sent when the chain is back
                except RpcError as exc:
                    if rpc.is_nonce_too_low(exc):  # the key was used elsewhere: move on and re-sign
                        self.nonces.release(nonce)
                        self.nonces.sync(self._chain_nonce("pending"), 0)
                        continue
                    if not rpc.is_known_transaction(exc):
                        self.nonces.release(nonce)
                        self.journal.forget_transaction(tx_hash)
                        error = {"code": "RelayFailed",
                                 "message": f"the node refused the transaction: {exc.message}", "details": {}}
                        fail(error)
                        raise KPError(error["message"], code="RelayFailed") from exc
                if on_sent is not None:
                    on_sent()
                return tx_hash, raw, nonce
            raise KPError("could not find a free relayer nonce", code="RelayFailed")

    def _wait(self, row: RelayRequest) -> RelayRequest:
        """Waits for the row's receipt (re-sending its transaction now and then) and returns the final row."""
        deadline = time.monotonic() + self.receipt_timeout
        resends = _ResendClock()
        while True:
            if row.status in (MINED, FAILED):
                return row
            try:
                receipt = self._rpc("eth_getTransactionReceipt", [row.tx_hash])
                if receipt is not None:
                    self._finalize(row, receipt)
                elif resends.due():
                    self._resend(self.journal.raw_tx(row))
            except (ChainUnavailable, RpcError):
                pass
            if time.monotonic() > deadline:
                raise ChainUnavailable("the chain did not mine the request in time; resubmit it to learn its outcome",
                                       details={"request_id": row.id, "status": row.status,
                                                "tx_hash": row.tx_hash})
            time.sleep(0.02)
            row = self.journal.get(row.id)

    def _finalize(self, row: RelayRequest, receipt: dict[str, Any]) -> None:
        """Records a receipt: mined with its result, or failed with the refusal that made it (or its call) revert."""
        self._confirmed = max(self._confirmed, (row.relayer_nonce or 0) + 1)
        req = WriteRequest.from_body(row.action, row.body)
        self.journal.update(row.id, **self._outcome(req, row.batch_index, receipt, row.tx_hash))

    def _answer(self, row: RelayRequest, *, duplicate: bool) -> dict[str, Any]:
        if row.status == FAILED:
            e = row.error or {}
            raise ChainRefusal(e.get("message", "refused"), code=e.get("code", "Reverted"),
                               details={**e.get("details", {}), "request_id": row.id})
        return {"request_id": row.id, "action": row.action, "status": row.status, "tx_hash": row.tx_hash,
                "block_number": row.block_number, "duplicate": duplicate, "result": row.result or {}}

    # ------------------------------------------------------------ recovery

    def _chain_nonce(self, tag: str) -> int:
        return int(self._rpc("eth_getTransactionCount", [self.address, tag]), 16)

    def _init_nonces(self) -> None:
        if not self.nonces.ready:
            self.nonces.sync(self._chain_nonce("pending"), self.journal.next_nonce())

    def _check_chain(self) -> None:
        """Reconciles first when the chain forgot transactions this process saw mined (a restarted chain)."""
        if self._chain_nonce("latest") < self._confirmed:
            log.warning("the chain lost relayed transactions: reconciling before the next request")
            self.reconcile()

    def _resend(self, raw_tx: str | None) -> None:
        """Sends a journaled transaction again; a refusal because it, or its nonce, is known is fine."""
        if raw_tx is None:
            return
        try:
            self._rpc("eth_sendRawTransaction", [raw_tx])
        except RpcError as exc:
            if not rpc.is_known_transaction(exc):
                log.warning("re-send refused: %s", exc.message)

    def _send_filler(self, nonce: int) -> None:
        """Burns a relayer nonce with an empty self-transfer (a hole, or a lost transaction that had reverted)."""
        tx = {"chainId": self.chain.deployment.chain_id, "nonce": nonce, "to": self.address, "value": 0,
              "gas": FILLER_GAS, **self._fees()}
        self._resend("0x" + self.account.sign_transaction(tx).raw_transaction.hex())

    def reconcile(self) -> None:
        """Finalises journaled transactions the chain has, re-sends (in nonce order) those it lacks.

        A batch transaction is one relayer nonce shared by several rows: it is checked and re-sent once."""
        with self.nonces.lock:
            latest, pending = self._chain_nonce("latest"), self._chain_nonce("pending")
            self.nonces.sync(pending, self.journal.next_nonce())
            receipts: dict[str, dict[str, Any] | None] = {}
            for row in self.journal.unfinished_below(latest):
                if row.tx_hash not in self._in_flight:  # the receipt thread is finalising those
                    self._settle(row, receipts)
            self._confirmed = max(self._confirmed, latest)
            expected = latest
            groups: dict[tuple[int, str | None], list[RelayRequest]] = {}
            for row in self.journal.from_nonce(latest):
                groups.setdefault((row.relayer_nonce, row.tx_hash), []).append(row)
            for (nonce, tx_hash), rows in groups.items():
                for hole in range(max(expected, pending), nonce):
                    self._send_filler(hole)
                expected = max(expected, nonce + 1)
                if tx_hash in self._in_flight:  # the receipt thread awaits it, and re-sends it when needed
                    continue
                if all(r.status in (MINED, FAILED) for r in rows):
                    if self._rpc("eth_getTransactionReceipt", [tx_hash]) is not None:
                        continue  # mined since `latest` was read
                    log.warning("relayer nonce %s (%s, %d requests) is no longer on chain", nonce, tx_hash, len(rows))
                    if all(r.status == FAILED for r in rows):  # refusals answered: burn the nonce, never run late
                        self._send_filler(nonce)
                        continue
                self._resend(self.journal.raw_tx(rows[0]))
                lost = [r.id for r in rows if r.status == MINED]
                if lost:  # finalised again from the new receipt (by the next batch, or the next reconciliation)
                    self.journal.update_many({i: {"status": SENT} for i in lost})
                    self._resent_lost = True
                if any(r.status == PENDING for r in rows):
                    self.journal.mark_sent([r.id for r in rows])
            for hole in range(max(expected, pending), self.nonces.peek()):
                self._send_filler(hole)

    def _settle(self, row: RelayRequest, receipts: dict[str, dict[str, Any] | None] | None = None) -> None:
        """Finalises an unfinished row whose relayer nonce the chain has used."""
        receipts = {} if receipts is None else receipts
        if row.tx_hash not in receipts:
            receipts[row.tx_hash] = self._rpc("eth_getTransactionReceipt", [row.tx_hash])
        receipt = receipts[row.tx_hash]
        if receipt is not None:
            self._finalize(row, receipt)
            return
        log.error("relayer nonce %s was used by another transaction: request %s failed", row.relayer_nonce, row.id)
        self.journal.update(row.id, status=FAILED, error={
            "code": "RelayFailed", "message": "the relayer nonce was taken by another transaction", "details": {}})
