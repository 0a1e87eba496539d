"""The relayer: checks a signed intent, journals its pre-signed transaction, sends it and answers from the receipt.

Guarantees and how they hold:

* Refused requests send nothing. The body is validated by the route's schema, the EIP-712 signature
  is recovered off chain (a contract signer, ERC-1271, is left to the chain), the deadline is checked
  and the `...BySig` call is simulated (eth_estimateGas from the relayer's address); a revert becomes
  the contract's custom error (`Artifacts.decode_error`). Nothing is journaled for a refusal.
* Idempotency. `request_id = keccak(abi.encode(action, signer, nonce, signature))`. Requests of one
  signer are processed one at a time (a lock per signer, which is also a lock per request id), and a
  request already journaled is answered from the journal (`duplicate: true`) instead of being run
  again. A journaled request that failed (reverted on chain, or refused by the node before it took
  its nonce) was not executed: submitting it again runs it again under the same id.
* Nothing acknowledged is lost. The relayer nonce is taken from a lock-protected counter (initialised
  from `eth_getTransactionCount(pending)` and the journal), the transaction is signed locally (its
  hash is known before sending; EIP-1559 when the chain has a base fee, legacy otherwise, gas =
  estimate * 1.2 + margin), and the journal row (raw tx, relayer nonce, tx hash, status `pending`) is
  committed with SQLite synchronous=FULL before the transaction leaves the process. The answer (200,
  status `mined`, ids read from the receipt's events) is given only after the receipt, and after the
  row is marked `mined` and committed.
* Exactly once on chain. Every journaled transaction has a fixed relayer nonce, so re-sending it can
  never execute it twice: the chain refuses a used nonce ("nonce too low" / "already known" count as
  sent; the receipt decides). `reconcile()` runs at start-up (`recover()`), every second in a thread,
  and before a request when the chain's nonce went back: it finalises rows whose nonce the chain used,
  and re-sends, in relayer-nonce order, every journaled transaction from the chain's current nonce on
  (a backend killed after journaling; a chain restarted from an older state dump, which forgets its
  last blocks, acknowledged ones included). A lost transaction that had reverted is replaced by an
  empty self-transfer (its refusal was already answered; it must not run later), and a nonce hole is
  filled the same way, so later transactions are never stuck behind it.
* Chain unreachable. Before journaling: 503 ChainUnavailable, nothing stored, not acknowledged. After
  journaling (the send or the receipt failed): the row stays `pending`, the request waits up to
  `receipt_timeout` for the chain to come back, then answers 503 ChainUnavailable with the request id.
  It is not acknowledged, but it WILL be executed when the chain is back (the reconciler sends it):
  a client that resubmits the same signed request gets its outcome (the same id, never a second
  execution). We do not mark such a row failed: its transaction may have reached the node, and a
  failed row could be retried under a new nonce and run twice.

Assumption: the relayer key is used by this one backend process only (any other use of its nonces is
tolerated for new transactions, but an unjournaled transaction taking a journaled nonce makes that
request fail).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

from eth_account import Account

from kpledger.chain.contracts import CONTRACTS, Chain
from kpledger.core.config import Settings
from kpledger.core.errors import ChainRefusal, ChainUnavailable, InvalidSignature, KPError
from kpledger.db.models import RelayRequest
from kpledger.db.session import Database
from kpledger.intents import INTENTS
from kpledger.relay import rpc
from kpledger.relay.errors import IntentExpired, RpcError
from kpledger.relay.intent import WriteRequest
from kpledger.relay.journal import FAILED, MINED, SENT, Journal
from kpledger.relay.nonces import NonceCounter
from kpledger.relay.results import ReceiptDecoder, result_of

log = logging.getLogger(__name__)

GAS_FACTOR, GAS_MARGIN = 1.2, 25_000
FILLER_GAS = 21_000


class Relayer:
    """Submits signed intents from the relayer account, exactly once, with a journal that survives crashes."""

    def __init__(self, settings: Settings, chain: Chain, db: Database, *, reconcile_interval: float = 1.0,
                 receipt_timeout: float = 30.0):
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
        self._locks_guard = threading.Lock()
        self._confirmed = 0  # one past the highest relayer nonce seen on chain by this process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def recover(self) -> None:
        """Re-sends what the journal holds and the chain lacks, then starts the reconciliation thread."""
        try:
            self.reconcile()
        except ChainUnavailable as exc:
            log.warning("relayer recovery postponed, chain not reachable: %s", exc)
        self._thread = threading.Thread(target=self._run, name="relayer-reconcile", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stops the reconciliation thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

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
            row = self.journal.get(req.request_id)
            if row is not None and row.status != FAILED:
                return self._answer(self._wait(row), duplicate=True)
            if req.intent.deadline < time.time():
                raise IntentExpired("the intent's deadline has passed",
                                    details={"signer": req.intent.signer, "deadline": req.intent.deadline})
            self._check_chain()
            data = self._calldata(req)
            gas = self._simulate(req.contract, data)
            self._journal_and_send(req, data, gas)
            return self._answer(self._wait(self.journal.get(req.request_id)), duplicate=False)

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
        return rpc.call(self.chain.w3, method, params)

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
        contract = self.contracts[req.contract]
        return contract.encode_abi(req.function, args=[*req.intent.args, req.intent.authorization])

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

    def _fees(self) -> dict[str, int]:
        """EIP-1559 fees when the latest block has a base fee, a legacy gas price otherwise."""
        block = self._rpc("eth_getBlockByNumber", ["latest", False])
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
        to = self.chain.deployment.address(req.contract)
        with self.nonces.lock:
            self._init_nonces()
            for _attempt in range(3):
                nonce = self.nonces.allocate()
                try:
                    raw, tx_hash = self._sign(to, data, gas, nonce)
                    self.journal.record(req.request_id, req.action, req.intent.signer, req.body(),
                                        relayer_nonce=nonce, raw_tx=raw, tx_hash=tx_hash)
                except BaseException:
                    self.nonces.release(nonce)
                    raise
                try:
                    self._rpc("eth_sendRawTransaction", [raw])
                    self.journal.update(req.request_id, status=SENT)
                    return
                except ChainUnavailable:
                    return  # journaled: the wait below, or the reconciler, sends it when the chain is back
                except RpcError as exc:
                    if rpc.is_nonce_too_low(exc):  # the key was used elsewhere: move on and re-sign
                        self.nonces.release(nonce)
                        self.nonces.sync(self._chain_nonce("pending"), 0)
                        continue
                    if rpc.is_known_transaction(exc):
                        return
                    self.nonces.release(nonce)
                    self.journal.update(req.request_id, status=FAILED, relayer_nonce=None, raw_tx=None,
                                        error={"code": "RelayFailed", "message": exc.message, "details": {}})
                    raise KPError(f"the node refused the transaction: {exc.message}", code="RelayFailed") from exc
            raise KPError("could not find a free relayer nonce", code="RelayFailed")

    def _wait(self, row: RelayRequest) -> RelayRequest:
        """Waits for the row's receipt (re-sending its transaction now and then) and returns the final row."""
        deadline = time.monotonic() + self.receipt_timeout
        last_send = time.monotonic()
        while True:
            if row.status in (MINED, FAILED):
                return row
            try:
                receipt = self._rpc("eth_getTransactionReceipt", [row.tx_hash])
                if receipt is not None:
                    self._finalize(row, receipt)
                elif time.monotonic() - last_send > 1.0:
                    last_send = time.monotonic()
                    self._resend(row.raw_tx)
            except (ChainUnavailable, RpcError):
                pass
            if time.monotonic() > deadline:
                raise ChainUnavailable("the chain did not mine the request in time; resubmit it to learn its outcome",
                                       details={"request_id": row.id, "status": row.status,
                                                "tx_hash": row.tx_hash})
            time.sleep(0.02)
            row = self.journal.get(row.id)

    def _finalize(self, row: RelayRequest, receipt: dict[str, Any]) -> None:
        """Records a receipt: mined with its result, or failed with the refusal that made it revert."""
        block = int(receipt["blockNumber"], 16)
        self._confirmed = max(self._confirmed, (row.relayer_nonce or 0) + 1)
        req = WriteRequest.from_body(row.action, row.body)
        if int(receipt["status"], 16) == 1:
            result = result_of(row.action, req.intent.message, self.decoder.decode(receipt))
            self.journal.update(row.id, status=MINED, result=result, block_number=block, error=None)
            return
        try:
            self._simulate(req.contract, self._calldata(req))
            error: dict[str, Any] = {"code": "Reverted", "message": "the transaction reverted on chain",
                                     "details": {}}
        except ChainRefusal as refusal:
            error = refusal.to_dict()
        error["details"] = {**error["details"], "tx_hash": row.tx_hash}
        self.journal.update(row.id, status=FAILED, error=error, block_number=block)

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
        """Finalises journaled transactions the chain has, re-sends (in nonce order) those it lacks."""
        with self.nonces.lock:
            latest, pending = self._chain_nonce("latest"), self._chain_nonce("pending")
            self.nonces.sync(pending, self.journal.next_nonce())
            for row in self.journal.unfinished_below(latest):
                self._settle(row)
            self._confirmed = max(self._confirmed, latest)
            expected = latest
            for row in self.journal.from_nonce(latest):
                for hole in range(max(expected, pending), row.relayer_nonce):
                    self._send_filler(hole)
                expected = row.relayer_nonce + 1
                if row.status in (MINED, FAILED):
                    if self._rpc("eth_getTransactionReceipt", [row.tx_hash]) is not None:
                        continue  # mined since `latest` was read
                    log.warning("request %s (relayer nonce %s, %s) is no longer on chain", row.id,
                                row.relayer_nonce, row.status)
                    if row.status == FAILED:  # its refusal was answered: burn the nonce, never run it late
                        self._send_filler(row.relayer_nonce)
                        continue
                self._resend(row.raw_tx)
                if row.status != SENT:
                    self.journal.update(row.id, status=SENT)
            for hole in range(max(expected, pending), self.nonces.peek()):
                self._send_filler(hole)

    def _settle(self, row: RelayRequest) -> None:
        """Finalises an unfinished row whose relayer nonce the chain has used."""
        receipt = self._rpc("eth_getTransactionReceipt", [row.tx_hash])
        if receipt is not None:
            self._finalize(row, receipt)
            return
        log.error("relayer nonce %s was used by another transaction: request %s failed", row.relayer_nonce, row.id)
        self.journal.update(row.id, status=FAILED, error={
            "code": "RelayFailed", "message": "the relayer nonce was taken by another transaction", "details": {}})
