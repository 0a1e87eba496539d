"""The relayer's front door: checks a signed request, keeps a signer's requests in order, answers duplicates from
the journal, and wires the three parts (batcher, sender, receipts). Its guarantees are in the package docstring."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from eth_account import Account

from kpledger.chain import abi
from kpledger.chain.contracts import CONTRACTS, Chain
from kpledger.chain.errors import RpcError
from kpledger.core.actions import ACTIONS
from kpledger.core.config import Settings
from kpledger.core.errors import (
    ChainRefusal,
    ChainUnavailable,
    Conflict,
    IntentExpired,
    InvalidRequest,
    InvalidSignature,
)
from kpledger.db.models import RelayRequest
from kpledger.db.session import Database
from kpledger.ops import metrics
from kpledger.relay import calls
from kpledger.relay.batcher import Batcher, Queued
from kpledger.relay.journal import FAILED, MINED, Journal
from kpledger.relay.receipts import Receipts
from kpledger.relay.request import WriteRequest
from kpledger.relay.sender import Sender
from kpledger.relay.throttle import Throttle
from kpledger.relay.trace import WriteTrace
from kpledger.signing import typed_data

log = logging.getLogger(__name__)

ERC1271_SELECTOR = bytes.fromhex("1626ba7e")  # isValidSignature(bytes32,bytes), and its magic value


def _clone(exc: BaseException) -> BaseException:
    """A copy of an exception, so that every waiting request raises its own instance."""
    new = exc.__class__.__new__(exc.__class__)
    new.__dict__.update(exc.__dict__)
    new.args = exc.args
    return new


class Relayer:
    """Submits signed intents from the relayer account, exactly once, with a journal that survives crashes."""

    def __init__(self, settings: Settings, chain: Chain, db: Database, *, reconcile_interval: float = 1.0,
                 receipt_timeout: float = 30.0, batch_linger: float = 0.001):
        self.settings = settings
        self.chain = chain
        self.journal = Journal(db)
        self.sender = Sender(settings, chain, self.journal)
        self.receipts = Receipts(chain, self.journal, self.sender, receipt_timeout=receipt_timeout,
                                 reconcile_interval=reconcile_interval,
                                 bump_after=settings.fee_bump_after_seconds,
                                 max_fee_per_gas=settings.max_fee_per_gas_wei, reorg_depth=settings.reorg_depth,
                                 stall_after=settings.relayer_stall_seconds)
        self.throttle = Throttle()
        self.batcher = Batcher(settings, chain, self.journal, self.sender, self.receipts, self.throttle,
                               linger=batch_linger)
        self.receipt_timeout = receipt_timeout
        self._rotation = threading.Lock()
        # one lock per signer, on the event loop's thread: a signer's requests go out in order, one at a time
        self._signer_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def address(self) -> str:
        """The relayer account signing new transactions."""
        return self.sender.address

    @property
    def on_mined(self) -> Callable[[int], None] | None:
        return self.receipts.on_mined

    @on_mined.setter
    def on_mined(self, callback: Callable[[int], None] | None) -> None:
        self.receipts.on_mined = callback

    # ------------------------------------------------------------ lifecycle

    def recover(self) -> None:
        """Re-sends what the journal holds and the chain lacks, then starts the relayer's threads."""
        if adopted := self.journal.adopt(self.address):
            log.warning("%d journal rows had no relayer address: taken as the current relayer's", adopted)
        self.receipts.start()
        self.batcher.start()

    def close(self) -> None:
        """Stops the relayer's threads."""
        self.batcher.stop()
        self.receipts.stop()

    def reconcile(self) -> None:
        """Finalises and re-sends journaled transactions now (the reconciler also does it every second)."""
        self.receipts.reconcile()

    # ------------------------------------------------------------ operations

    def status(self) -> dict[str, Any]:
        """The relayer account, its balance and chain nonce, queue depth, and the journal per relayer and status."""
        address = self.address
        balance, nonce = self.chain.rpc.batch([("eth_getBalance", [address, "latest"]),
                                               ("eth_getTransactionCount", [address, "latest"])])
        if isinstance(balance, Exception) or isinstance(nonce, Exception):
            raise ChainUnavailable("the chain is not reachable from the backend")
        return {"address": address, "balance_wei": str(int(balance, 16)), "nonce": int(nonce, 16),
                "queued": self.batcher.depth, "in_flight": len(self.receipts.in_flight),
                "journal": self.journal.counts_by_relayer()}

    def rotate(self, new_key: str, drain_timeout: float = 60.0) -> dict[str, Any]:
        """Switches the relayer to `new_key` without losing or repeating a write: no new batch is taken (requests
        keep queuing), the batches in flight get their receipts and every journaled request of the old key its
        outcome, then new batches are signed by the new key. Journaled rows keep their old address, nonce and
        hash; the reconciler checks them under that address. Conflict (RotationNotDrained) when the old key's
        transactions are not all mined within `drain_timeout` (the chain is down), InvalidRequest
        (RelayerKeyUnfunded) when the new account cannot pay for a batch: the old key stays."""
        try:
            new_address = Account.from_key(new_key).address
        except (ValueError, TypeError) as exc:
            raise InvalidRequest("the new relayer key is not a private key (64 hex digits)",
                                 code="InvalidRelayerKey") from exc
        with self._rotation:
            old = self.address
            if new_address == old:
                raise InvalidRequest("the new key is the relayer's current key", code="SameRelayerKey",
                                     details={"address": old})
            self._check_funded(new_address)
            started = time.monotonic()
            self.batcher.pause()
            try:
                while self.receipts.in_flight or old in self.journal.unfinished_relayers():
                    if time.monotonic() - started > drain_timeout:
                        raise Conflict(f"the relayer's transactions were not all mined within {drain_timeout:g} s; "
                                       "the key was not changed", code="RotationNotDrained",
                                       details={"address": old, "in_flight": len(self.receipts.in_flight)})
                    time.sleep(0.02)
                self.sender.use_key(new_key)
            finally:
                self.batcher.resume()
        drained = round(time.monotonic() - started, 3)
        metrics.relayer_address(new_address, previous=old)
        metrics.ROTATIONS.inc()
        log.warning("relayer key rotated: set KP_RELAYER_KEY to the new key before the next restart",
                    extra={"fields": {"old": old, "new": new_address, "drained_s": drained}})
        return {"old": old, "new": new_address, "drained_s": drained, "nonce": self.sender.nonces.peek()}

    def _check_funded(self, address: str) -> None:
        """Refuses a new relayer account that cannot pay for a full batch, or holds less than
        KP_RELAYER_MIN_BALANCE_WEI, on a chain that charges fees: the node would refuse every write it signs."""
        fees = self.sender.fees()
        per_gas = fees.get("maxFeePerGas", fees.get("gasPrice", 0))
        if per_gas == 0:  # a free-gas network (Besu zeroBaseFee): the account never pays
            return
        balance = int(self.chain.rpc.call("eth_getBalance", [address, "latest"]), 16)
        batch = self.settings.batch_gas * per_gas
        needed = max(batch, self.settings.relayer_min_balance_wei)
        if balance < needed:
            raise InvalidRequest(
                f"the new relayer account {address} holds {balance} wei, less than the {needed} wei it needs (a full "
                f"batch, KP_BATCH_GAS {self.settings.batch_gas} gas at {per_gas} wei per gas, and at least "
                f"KP_RELAYER_MIN_BALANCE_WEI {self.settings.relayer_min_balance_wei}): fund it, then rotate; the "
                "current key keeps relaying", code="RelayerKeyUnfunded",
                details={"address": address, "balance_wei": str(balance), "needed_wei": str(needed)})

    # ------------------------------------------------------------ the write path

    async def submit_async(self, action: str, body: dict[str, Any], trace: WriteTrace | None = None) -> dict[str, Any]:
        """Runs one schema-validated write request; returns the answer of docs/pages/writes.md or raises a KPError.

        The request is queued for the batch sender and its answer awaited (the receipt thread wakes the loop);
        a signer's requests are processed one at a time, under a lock held until the answer even if the caller
        is cancelled. A request journaled before is answered from the journal (`duplicate: true`). `trace`, when
        given, gets the request's id, signer and the times of its steps (for its log event)."""
        req = WriteRequest.from_body(action, body)
        if trace is not None:
            trace.request_id, trace.signer = req.request_id, req.intent.signer
        verifying = self.chain.deployment.address(req.contract)
        recovered = req.recovered_signer(self.chain.deployment.chain_id, verifying)
        contract_signer = recovered != req.intent.signer
        if contract_signer:
            await anyio.to_thread.run_sync(self._verify_contract_signer, req, recovered, verifying)
        async with self._lock_for(req.intent.signer):
            # checked under the lock: the signer's previous request, answered, has been charged
            if self.throttle.retry_after(req.intent.signer):  # its failures cost the relayer: it waits
                row = self._journaled(req.request_id)
                if row is not None:  # unless the request was run before: its outcome is its answer
                    return await self._answer_duplicate(row)
                self.throttle.check(req.intent.signer)
            if req.intent.deadline < time.time():  # a journaled request is answered from the journal even late
                row = self._journaled(req.request_id)
                if row is None:
                    raise IntentExpired("the intent's deadline has passed",
                                        details={"signer": req.intent.signer, "deadline": req.intent.deadline})
                return await self._answer_duplicate(row)
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            # the duplicate check (is this request journaled?) is made by the batcher, for a whole batch at once
            item = Queued(req, verifying, future, contract_signer=contract_signer, trace=trace)
            self.batcher.put(item)
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
                raise _clone(item.error)
            assert item.row is not None
            if item.duplicate:
                return await self._answer_duplicate(item.row)
            return self._answer(item.row, duplicate=False)

    def _verify_contract_signer(self, req: WriteRequest, recovered: str | None, verifying: str) -> None:
        """A signature that does not recover to the signer is only acceptable from a contract (ERC-1271) that
        accepts it, asked here with the same gas the contracts give it: a wallet that refuses, reverts or burns its
        allowance is answered alone, before its request could join a batch."""
        signer = req.intent.signer
        refused = InvalidSignature("the signature is not the signer's over this intent",
                                   details={"signer": signer, "recovered": recovered})
        if self.chain.rpc.call("eth_getCode", [signer, "latest"]) in (None, "0x", "0x0"):
            raise refused
        i = req.intent
        digest = typed_data.digest(req.action, i.message, i.signer, i.nonce, i.deadline,
                               chain_id=self.chain.deployment.chain_id, verifying_contract=verifying)
        data = "0x" + (ERC1271_SELECTOR + abi.encode(["bytes32", "bytes"], [digest, i.signature])).hex()
        call = {"from": verifying, "to": signer, "data": data, "gas": hex(calls.ERC1271_GAS)}
        try:
            answer = self.chain.rpc.call("eth_call", [call, "latest"])
        except RpcError:  # reverted or ran out of its allowance
            raise refused from None
        if not isinstance(answer, str) or answer[:10].lower() != "0x" + ERC1271_SELECTOR.hex():
            raise refused

    def _journaled(self, request_id: str) -> RelayRequest | None:
        """The journal row of a request that was run before (`Journal.duplicates`), or None."""
        return self.journal.duplicates([request_id]).get(request_id)

    async def _answer_duplicate(self, row: RelayRequest) -> dict[str, Any]:
        if row.status not in (MINED, FAILED):
            row = await anyio.to_thread.run_sync(self.receipts.wait_row, row)
        return self._answer(row, duplicate=True)

    def _answer(self, row: RelayRequest, *, duplicate: bool) -> dict[str, Any]:
        if row.status == FAILED:
            e = row.error or {}
            raise ChainRefusal(e.get("message", "refused"), code=e.get("code", "Reverted"),
                               details={**e.get("details", {}), "request_id": row.id})
        return {"request_id": row.id, "action": row.action, "status": row.status, "tx_hash": row.tx_hash,
                "block_number": row.block_number, "duplicate": duplicate, "result": row.result or {}}

    def _lock_for(self, signer: str) -> asyncio.Lock:
        lock = self._signer_locks.get(signer)
        if lock is None:
            lock = asyncio.Lock()
            self._signer_locks[signer] = lock
        return lock

    # ------------------------------------------------------------ nonces for clients

    def intent_nonces(self, address: str, *, checked: bool = False) -> dict[str, int]:
        """Next key-0 intent nonce of `address` per contract: the chain's, counting accepted requests not mined yet.

        Read with the newest block the relayer saw its transactions mined in: when the chain replaced it (a
        reorganisation dropped or reordered them), the journal is reconciled first, so that the requests the relayer
        is about to send again count as not mined (the chain's nonces then are those they will use)."""
        names = list(CONTRACTS)
        reads: list[tuple[str, list[Any]]] = []
        for name in names:
            reads.append(("eth_call", [{"to": self.chain.deployment.address(name),
                                        "data": self.chain.call_data(name, "nonces", [address, 0])}, "latest"]))
        newest = None if checked else self.receipts.newest_mined()
        if newest is not None:
            reads.append(("eth_getBlockByNumber", [hex(newest[0]), False]))
        answers = self.chain.rpc.batch(reads)
        for answer in answers:
            if isinstance(answer, RpcError):
                raise ChainUnavailable(f"nonce read failed: {answer.message}")
        if newest is not None and (answers[-1] or {}).get("hash") != newest[1]:
            self.receipts.reconcile()
            return self.intent_nonces(address, checked=True)
        out = {name: int(answer, 16) for name, answer in zip(names, answers, strict=False)}
        for row in self.journal.unfinished_of(address):
            contract, nonce = ACTIONS[row.action].contract, int(row.body["nonce"])
            if nonce >> 64 == 0:
                out[contract] = max(out[contract], nonce + 1)
        return out

    def stalled(self) -> dict[str, Any] | None:
        """How long the relayer has not made progress, when longer than KP_RELAYER_STALL_SECONDS (for /healthz)."""
        return self.receipts.stalled()
