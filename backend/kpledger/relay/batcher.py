"""Batching: requests that passed their checks queue here; one sender thread packs them into `KPRelayBatch`
transactions.

The sender thread takes everything queued (up to `batch_max_calls` calls and `batch_max_bytes` of encoded
calldata, lingering `batch_linger`, 1 ms, for company when the queue is short, BUSY_LINGER, 4 ms, after a batch of
8 calls or more), drops requests journaled before (answered from the journal), simulates the whole batch with ONE
`eth_call` of `KPRelayBatch.simulate` (given SIMULATION_SHARE times a transaction's gas; it runs every call it can
give its bound and reverts with each call's success, gas used and return or revert data), answers the calls that
would fail with their decoded custom error (not journaled, not sent; their signer is charged, `relay.throttle`),
cuts the batch where its transaction's gas limit would pass `batch_gas` or BLOCK_SHARE of the block gas limit,
puts the calls after the cut and those the simulation did not run back at the head of the queue, has the sender
journal every included request in one commit and send one `execute` transaction, and hands it to the receipt
thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque

from kpledger.chain import abi
from kpledger.chain.contracts import Chain
from kpledger.chain.errors import RpcError, revert_data
from kpledger.core.config import Settings
from kpledger.core.errors import KPError, RelayFailed, RequestTooLarge
from kpledger.db.models import RelayRequest
from kpledger.ops import metrics
from kpledger.relay import calls
from kpledger.relay.journal import FAILED, Journal
from kpledger.relay.receipts import Receipts, SentBatch
from kpledger.relay.request import WriteRequest
from kpledger.relay.sender import Sender
from kpledger.relay.throttle import Throttle
from kpledger.relay.trace import WriteTrace

log = logging.getLogger(__name__)

BUSY_LINGER = 0.004  # linger after a batch of 8 calls or more
BLOCK_SHARE = 0.5  # a batch transaction's gas limit stays under this share of the chain's block gas limit
SIMULATION_SHARE = 2  # the simulation's eth_call is given this many times a batch transaction's gas (see _run)
# the gas limit signed: what every call's bound needs (calls.gas_for), plus the overheads of `execute` (the reserve
# to finish the batch, its loop, markers, copies and calldata: generous; each covers KPRelayBatch's reserve)
BATCH_TX_OVERHEAD, BATCH_CALL_OVERHEAD = calls.FINISH_GAS + 60_000, 12_000


class Queued:
    """A validated request waiting for the batch sender, with its call's target and calldata (bytes until the
    JSON-RPC edge); `future` (on the caller's event loop) is resolved with its final journal row (`row`) or its
    refusal (`error`)."""

    __slots__ = ("req", "to", "data", "contract_signer", "row", "error", "future", "loop", "duplicate", "trace",
                 "alone")

    def __init__(self, req: WriteRequest, to: str, future: asyncio.Future[None], *, contract_signer: bool = False,
                 trace: WriteTrace | None = None):
        self.req, self.to, self.data = req, to, calls.calldata(req)
        self.contract_signer = contract_signer  # an ERC-1271 wallet: its call's bound includes the wallet's allowance
        self.row: RelayRequest | None = None
        self.error: BaseException | None = None
        self.duplicate = False  # the sender found the request journaled already: `row` is that journal row
        self.alone = False  # not run first in a batch: simulated alone next, to learn whether it fits at all
        self.future = future
        self.loop = future.get_loop()
        self.trace = trace or WriteTrace()

    def resolve(self, row: RelayRequest | None = None, error: BaseException | None = None) -> None:
        if self.row is None and self.error is None:
            self.row, self.error = row, error
            if self.trace.sent is not None:
                self.trace.mined = time.perf_counter()
            with contextlib.suppress(RuntimeError):  # the loop is closed (shutdown): nobody awaits the answer
                self.loop.call_soon_threadsafe(_wake, self.future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Batcher:
    """The queue of checked requests and the thread that turns it into batch transactions."""

    def __init__(self, settings: Settings, chain: Chain, journal: Journal, sender: Sender, receipts: Receipts,
                 throttle: Throttle, *, linger: float):
        if not chain.deployment.batch:
            raise RelayFailed("the deployment has no KPRelayBatch contract: deploy it (ape run deploy adds it to "
                              "an existing deployment)")
        self.settings = settings
        self.chain = chain
        self.journal = journal
        self.sender = sender
        self.receipts = receipts
        self.throttle = throttle
        self.address = chain.deployment.batch
        self.linger = linger
        self._queue: deque[Queued] = deque()
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_batch = 0  # size of the last batch taken (lingers longer when busy)
        # a key rotation pauses the sender between batches: requests keep queuing, none is taken
        self._paused = threading.Event()
        self._running = threading.Lock()  # held while a batch is taken, simulated, journaled and sent

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="relayer-batch-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def pause(self) -> None:
        """Takes no new batch; returns once the batch in progress (if any) is journaled and sent."""
        self._paused.set()
        with self._cv:
            self._cv.notify_all()
        with self._running:
            pass

    def resume(self) -> None:
        self._paused.clear()
        with self._cv:
            self._cv.notify_all()

    @property
    def depth(self) -> int:
        """Requests waiting in the queue."""
        return len(self._queue)

    def put(self, item: Queued) -> None:
        with self._cv:
            self._queue.append(item)
            self._cv.notify()

    # ------------------------------------------------------------ the sender thread

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                with self._cv:
                    self._cv.wait(0.05)
                continue
            with self._running:
                items = self._take()
                if not items:
                    continue
                try:
                    self._run(items)
                except KPError as exc:
                    for item in items:
                        item.resolve(error=exc)
                except Exception as exc:  # never let the sender die; these requests are answered with the failure
                    log.exception("relay batch failed")
                    for item in items:
                        item.resolve(error=RelayFailed(f"the relayer failed: {exc}"))

    def _take(self) -> list[Queued]:
        """The next batch: everything queued (within `batch_max_calls` and `batch_max_bytes`), after lingering."""
        with self._cv:
            while not self._queue and not self._stop.is_set() and not self._paused.is_set():
                self._cv.wait(0.5)
            if not self._queue or self._paused.is_set():
                return []
            # a lone request goes at once (1 ms); after a large batch, linger a few ms more for company
            linger = self.linger if self._last_batch < 8 else max(self.linger, BUSY_LINGER)
            linger_end = time.monotonic() + linger
            most = self.settings.batch_max_calls
            while len(self._queue) < most and (left := linger_end - time.monotonic()) > 0:
                self._cv.wait(left)
            taken: list[Queued] = []
            size, budget = calls.BATCH_HEAD_BYTES, self.settings.batch_max_bytes
            while self._queue and len(taken) < most:
                # the simulation request and the signed transaction each carry the encoded batch once, in hex:
                # kept under the node's request limit (anvil refuses bodies over 2 MiB); a lone call always goes
                head = self._queue[0]
                size += calls.encoded_call_bytes(head.data)
                if taken and (size > budget or head.alone):
                    break
                taken.append(self._queue.popleft())
                if head.alone:
                    break
            self._last_batch = len(taken)
            return taken

    def _requeue(self, items: list[Queued]) -> None:
        with self._cv:
            self._queue.extendleft(reversed(items))
            self._cv.notify()

    def _run(self, items: list[Queued]) -> None:
        """Simulates, journals (one commit) and sends one transaction; the receipt thread answers the requests.

        `items` is left holding the requests this batch answers (refused, or sent): those it puts back in the queue
        (not run by the simulation, or cut from the transaction) are removed from it."""
        now = time.perf_counter()
        for item in items:
            item.trace.taken = now
        known = self.journal.duplicates([item.req.request_id for item in items])
        if known:  # requests journaled before (a client's retry): answered from the journal, not run again
            for item in items:
                row = known.get(item.req.request_id)
                if row is not None:
                    item.duplicate = True
                    item.resolve(row=row)
            items[:] = [item for item in items if not item.duplicate]
            if not items:
                return
        cap = self._gas_cap()
        outcomes = self._simulate(items, cap)
        now = time.perf_counter()
        for item in items:
            item.trace.simulated = now
        included: list[tuple[Queued, int]] = []
        refused: list[tuple[Queued, KPError]] = []
        later: list[Queued] = []  # back to the head of the queue, in order, for the next batch (simulated again)
        gas_limit = BATCH_TX_OVERHEAD
        for i, (item, (ok, gas, data)) in enumerate(zip(items, outcomes, strict=True)):
            if ok:
                bound = calls.execution_bound(gas, item.contract_signer)
                need = calls.gas_for(bound) + BATCH_CALL_OVERHEAD + 16 * len(item.data)
                if included and gas_limit + need > cap:
                    # the transaction is full: this call and every one after it wait for the next batch (they were
                    # simulated on top of this one's effects)
                    later += items[i:]
                    break
                included.append((item, bound))
                gas_limit += need
            elif calls.not_run(data):
                # the simulation could not give it its bound after what the calls ahead used: not refused, the
                # next batch tries again (its simulation did not see this call: the calls after it stand)
                if i == 0 and len(items) == 1:
                    refused.append((item, self._too_large(item, cap)))
                else:
                    item.alone = i == 0  # not even first in a batch: alone next, to see whether it fits at all
                    later.append(item)
            else:
                error = self._refusal(item, gas, data, cap)
                self.throttle.refused(item.req.intent.signer, gas, error.code)
                refused.append((item, error))
        if later:
            self._requeue(later)
            back = {id(item) for item in later}
            items[:] = [item for item in items if id(item) not in back]  # the caller answers only what this owns
        for item, error in refused:
            item.resolve(error=error)
        if included:
            self._send(included, gas_limit)

    def _refusal(self, item: Queued, gas: int, data: bytes, cap: int) -> KPError:
        """Why the simulation refused a call: its custom error, or RequestTooLarge when it ran out of its bound."""
        if not data and gas >= calls.simulation_bound(item.req, cap):
            return self._too_large(item, cap)
        return self.chain.artifacts.decode_error(data)

    def _too_large(self, item: Queued, cap: int) -> RequestTooLarge:
        bound = calls.simulation_bound(item.req, cap)
        return RequestTooLarge(
            f"this request needs more than the {bound:,} gas the relayer can give one call (its batch transactions "
            f"hold at most {cap:,}): split it into smaller requests",
            details={"gas_bound": bound, "batch_gas": cap, "parts": calls.parts(item.req)})

    def _simulate(self, items: list[Queued], cap: int) -> list[tuple[bool, int, bytes]]:
        """(ok, gas used, return or revert data) per call, from one eth_call of KPRelayBatch.simulate given
        SIMULATION_SHARE times `cap` of gas, each call bounded by what its action can legitimately cost.

        The same JSON-RPC request reads the relayer's mined nonce: when the chain forgot transactions this
        process saw mined (a restarted chain) the journal is reconciled first and the batch simulated again.
        Should the simulation fail as a whole (it ran out of gas: KPRelayBatch keeps a reserve to finish, so
        only an extreme batch can), its second half goes back to the queue and the first half is simulated."""
        while True:
            try:
                return self._simulate_once(items, cap)
            except RpcError as exc:
                if len(items) == 1 or revert_data(exc) is not None:
                    raise
                log.warning("the simulation of %d calls failed as a whole (%s): half of them wait for the next "
                            "batch", len(items), exc.message)
                half = len(items) // 2
                self._requeue(items[half:])
                del items[half:]

    def _simulate_once(self, items: list[Queued], cap: int) -> list[tuple[bool, int, bytes]]:
        batch = [(item.to, item.data, calls.simulation_bound(item.req, cap)) for item in items]
        data = calls.batch_calldata(calls.SIMULATE_SELECTOR, batch)
        # the gas given explicitly, never the node's default (anvil: the block gas limit; Besu: its RPC gas cap)
        tx = {"from": self.sender.address, "to": self.address, "gas": hex(cap * SIMULATION_SHARE),
              "data": "0x" + data.hex()}
        # "pending": on top of the batches sent whose receipt is not read yet
        count, simulated = self.chain.rpc.batch([("eth_getTransactionCount", [self.sender.address, "latest"]),
                                                 ("eth_call", [tx, "pending"])])
        if isinstance(count, RpcError):
            raise count
        if self.receipts.chain_went_back(self.sender.address, int(count, 16)):
            log.warning("the chain lost relayed transactions: reconciling before the next batch")
            self.receipts.reconcile()
            simulated = self.chain.rpc.batch([("eth_call", [tx, "pending"])])[0]
        if not isinstance(simulated, RpcError):
            raise RelayFailed("KPRelayBatch.simulate did not revert")
        revert = revert_data(simulated)
        if revert is None:
            raise simulated
        if revert[:4] == calls.SIMULATED_SELECTOR:
            (outcomes,) = abi.decode([calls.OUTCOMES_ABI], revert[4:])
            return [(bool(ok), int(gas), bytes(data)) for ok, gas, data in outcomes]
        raise self.chain.artifacts.decode_error(revert) from None

    def _gas_cap(self) -> int:
        """The most gas one batch transaction is signed for: the setting, and at most BLOCK_SHARE of the block gas
        limit (two full batches fit in one block: on a chain that mines every few seconds, what one batch leaves
        of a block is not wasted). It also bounds each call of the simulation, which is given twice as much."""
        self.sender.fees()  # reads the block gas limit with the fees (once a second)
        cap = self.settings.batch_gas
        if self.sender.block_gas_limit:
            cap = min(cap, int(self.sender.block_gas_limit * BLOCK_SHARE))
        return cap

    def _send(self, included: list[tuple[Queued, int]], gas_limit: int) -> None:
        """Has the sender journal every request of the batch in one commit and send the transaction (entered in the
        receipts' in-flight set before the nonce lock is released: a reconciliation never finalises a batch the
        receipt thread is reading), then hands it to the receipt thread."""
        by_id = {item.req.request_id: item for item, _bound in included}
        bounds = {item.req.request_id: bound for item, bound in included}
        entries = [(i.req.request_id, i.req.action, i.req.intent.signer, i.req.body()) for i, _bound in included]
        data = calls.batch_calldata(calls.EXECUTE_SELECTOR, [(i.to, i.data, bound) for i, bound in included])
        signed = self.sender.send_batch(self.address, data, gas_limit, entries, self.receipts.in_flight)
        now = time.perf_counter()
        for item, _bound in included:
            item.trace.sent, item.trace.batch_calls = now, len(included)
        metrics.batch_sent(len(included))

        def answer(request_id: str, row: RelayRequest | None, error: BaseException | None) -> None:
            item = by_id[request_id]
            if row is not None and row.status == FAILED:  # passed the simulation, failed on chain: the relayer paid
                self.throttle.failed_on_chain(item.req.intent.signer, bounds[request_id], (row.error or {}).get(
                    "code", ""))
            item.resolve(row=row, error=error)

        self.receipts.follow(SentBatch([i.req for i, _bound in included], signed, answer))
