"""Sending from the relayer account: nonces, fees, local signing, the journal commit, then the send.

The sender owns the relayer key, its nonces and every signed transaction the journal holds: new batches
(`send_batch`), calls executed again after a reorganisation (`send_again`) and fee-bumped replacements (`replace`)
are journaled here and nowhere else. Each happens under a nonce reservation: a relayer nonce is reserved, the
transaction is signed locally (so its hash is known before it leaves), the journal records it (committed with an
fsync), and only then is it sent. A nonce the key used elsewhere is given back and the transaction signed again; a
transaction the node refuses outright is forgotten and its nonce given back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rlp
from eth_account import Account
from eth_utils import to_checksum_address

from kpledger.chain.contracts import Chain
from kpledger.chain.errors import RpcError, is_known_transaction, is_nonce_too_low
from kpledger.core.config import Settings
from kpledger.core.errors import ChainUnavailable, RelayFailed
from kpledger.db.models import RelayRequest
from kpledger.relay.fees import Fees, bumped, initial_fees, replacement_fees
from kpledger.relay.inflight import InFlight
from kpledger.relay.journal import Entry, Journal
from kpledger.relay.nonces import NonceCounter

log = logging.getLogger(__name__)

FILLER_GAS = 21_000
FEE_TTL = 1.0  # seconds a fee reading is reused: a max fee of twice the base fee covers its growth meanwhile


@dataclass(frozen=True)
class Signed:
    """A transaction the relayer signed and journaled: its raw form and hash (0x-hex) and its relayer nonce."""

    raw: str
    tx_hash: str
    nonce: int


def decode_transaction(raw: str) -> dict[str, Any]:
    """The fields of a signed transaction (EIP-1559 type 2, or legacy), from its raw hex form (calldata as bytes)."""
    data = bytes.fromhex(raw[2:])

    def num(b: bytes) -> int:
        return int.from_bytes(b, "big")

    if data[0] == 2:
        chain_id, nonce, tip, max_fee, gas, to, value, payload = rlp.decode(data[1:])[:8]
        return {"nonce": num(nonce), "maxPriorityFeePerGas": num(tip), "maxFeePerGas": num(max_fee),
                "gas": num(gas), "to": to_checksum_address(to), "value": num(value), "data": payload}
    nonce, price, gas, to, value, payload = rlp.decode(data)[:6]
    return {"nonce": num(nonce), "gasPrice": num(price), "gas": num(gas), "to": to_checksum_address(to),
            "value": num(value), "data": payload}


class Sender:
    """Signs and sends the relayer account's transactions, journaled before they leave the process."""

    def __init__(self, settings: Settings, chain: Chain, journal: Journal):
        self.chain = chain
        self.journal = journal
        self.account = Account.from_key(settings.relayer_key.get_secret_value())
        self.address: str = self.account.address
        self.nonces = NonceCounter()
        self.block_gas_limit: int | None = None  # read with the fees
        self._fee_cache: tuple[float, dict[str, int]] | None = None
        self._fee_lock = threading.Lock()

    def use_key(self, key: str) -> None:
        """Signs with another relayer key from now on (a rotation; the relayer drained first): its nonces are read
        again from the chain and the journal."""
        with self.nonces.lock:
            self.account = Account.from_key(key)
            self.address = self.account.address
            self.nonces.reset()
            self.init_nonces()

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.chain.rpc.call(method, params)

    # ------------------------------------------------------------ nonces

    def chain_nonce(self, tag: str) -> int:
        """The relayer account's transaction count at `tag` (latest: mined; pending: with the node's pool)."""
        return int(self.rpc("eth_getTransactionCount", [self.address, tag]), 16)

    def init_nonces(self) -> None:
        if not self.nonces.ready:
            self.nonces.sync(self.chain_nonce("pending"), self.journal.next_nonce(self.address))

    # ------------------------------------------------------------ fees

    def fees(self) -> dict[str, int]:
        """EIP-1559 fees when the latest block has a base fee, a legacy gas price otherwise (read once a second)."""
        with self._fee_lock:
            cached = self._fee_cache
            if cached is not None and time.monotonic() - cached[0] < FEE_TTL:
                return cached[1]
            fees = self._read_fees()
            self._fee_cache = (time.monotonic(), fees)
            return fees

    def _read_fees(self) -> dict[str, int]:
        base, tip, gas_price = self.market()
        if base is None:
            return {"gasPrice": gas_price}
        first = initial_fees(base, tip, gas_price)  # a zero tip on a free-gas network (Besu zeroBaseFee)
        return {"type": 2, "maxFeePerGas": first.max_fee, "maxPriorityFeePerGas": first.tip}

    def market(self) -> tuple[int | None, int | None, int]:
        """The latest block's base fee (None: a chain without EIP-1559), the tip the node suggests (None when it
        has no `eth_maxPriorityFeePerGas`, as some Besu versions) and its gas price, in one JSON-RPC request."""
        block, tip, price = self.chain.rpc.batch([("eth_getBlockByNumber", ["latest", False]),
                                                  ("eth_maxPriorityFeePerGas", []), ("eth_gasPrice", [])])
        if isinstance(block, Exception):
            raise block
        if block.get("gasLimit"):
            self.block_gas_limit = int(block["gasLimit"], 16)
        base = block.get("baseFeePerGas")
        return (None if base is None else int(base, 16), None if isinstance(tip, Exception) else int(tip, 16),
                0 if isinstance(price, Exception) else int(price, 16))

    # ------------------------------------------------------------ stuck transactions

    def replacement(self, raw: str, cap: int | None) -> tuple[str, str] | None:
        """The same transaction (nonce, recipient, data, gas) re-signed with fees every pool accepts as its
        replacement and the next block can include (`relay.fees`); None when none should be signed: its price is
        not the problem, the chain's gas is free, or the fee would pass `cap` (wei per gas)."""
        tx = decode_transaction(raw)
        base, tip, gas_price = self.market()
        if "maxFeePerGas" in tx:
            old = Fees(tx["maxFeePerGas"], tx["maxPriorityFeePerGas"])
            base = base or 0
            suggested = tip if tip is not None else max(0, gas_price - base)
            # the next block's base fee can be up to 1/8 above the latest's
            if old.includable(base + base // 8) and old.tip >= suggested:
                return None
            new = replacement_fees(old, base, suggested)
            if new is None:
                return None
            if cap is not None and new.max_fee > cap:
                log.warning("relayer transaction nonce %d is priced out: its replacement would pay up to %d wei "
                            "per gas, above KP_MAX_FEE_PER_GAS_WEI=%d; waiting for lower fees",
                            tx["nonce"], new.max_fee, cap)
                return None
            fees = {"type": 2, "maxFeePerGas": new.max_fee, "maxPriorityFeePerGas": new.tip}
        else:
            if tx["gasPrice"] >= gas_price or gas_price == 0:
                return None
            price = max(bumped(tx["gasPrice"]), gas_price)
            if cap is not None and price > cap:
                log.warning("relayer transaction nonce %d is priced out: its replacement would pay %d wei per gas, "
                            "above KP_MAX_FEE_PER_GAS_WEI=%d; waiting for lower fees", tx["nonce"], price, cap)
                return None
            fees = {"gasPrice": price}
        signed = self.account.sign_transaction({
            "chainId": self.chain.deployment.chain_id, "nonce": tx["nonce"], "to": tx["to"], "data": tx["data"],
            "gas": tx["gas"], "value": tx["value"], **fees})
        return "0x" + signed.raw_transaction.hex(), "0x" + signed.hash.hex()

    # ------------------------------------------------------------ signing, journaling and sending

    def sign(self, to: str, data: bytes, gas: int, nonce: int) -> tuple[str, str]:
        """Raw transaction and its hash, signed locally by the relayer account (0x-hex: the journal stores the raw
        form, JSON-RPC sends it)."""
        tx = {"chainId": self.chain.deployment.chain_id, "nonce": nonce, "to": to, "data": data, "gas": gas,
              "value": 0, **self.fees()}
        signed = self.account.sign_transaction(tx)
        return "0x" + signed.raw_transaction.hex(), "0x" + signed.hash.hex()

    def send_batch(self, to: str, data: bytes, gas: int, entries: list[Entry], awaited: InFlight) -> Signed:
        """Sends a new batch transaction: its requests ((id, action, signer, body) in call order) are journaled with
        it in one commit before it leaves, and its hash entered in `awaited` (the receipt thread's) before the nonce
        lock is released. When the node refuses it outright (nothing ran), its requests are journaled failed and
        RelayFailed is raised."""
        ids = [entry[0] for entry in entries]

        def record(signed: Signed) -> None:
            self.journal.record_batch(entries, relayer=self.address, relayer_nonce=signed.nonce, raw_tx=signed.raw,
                                      tx_hash=signed.tx_hash)

        def refused(signed: Signed, error: dict[str, Any]) -> None:
            self.journal.refuse_batch(signed.tx_hash, ids, error)

        return self._journal_and_send(to, data, gas, record, refused, awaited)

    def send_again(self, to: str, data: bytes, gas: int, moved: list[tuple[str, int | None]],
                   previous: list[RelayRequest]) -> Signed:
        """Sends a new transaction that executes again the calls of requests whose earlier transaction cannot
        (`moved`: (request id, its call's index in the new one)), journaled before it leaves. When the node refuses
        it outright, the requests point at their `previous` transaction again (the next reconciliation retries)."""
        def record(signed: Signed) -> None:
            self.journal.reissue(moved, relayer=self.address, relayer_nonce=signed.nonce, raw_tx=signed.raw,
                                 tx_hash=signed.tx_hash)

        def refused(signed: Signed, _error: dict[str, Any]) -> None:
            self.journal.refuse_reissue(signed.tx_hash, previous)

        return self._journal_and_send(to, data, gas, record, refused, None)

    def _journal_and_send(self, to: str, data: bytes, gas: int, record: Callable[[Signed], None],
                          refused: Callable[[Signed, dict[str, Any]], None], awaited: InFlight | None) -> Signed:
        """Reserves a relayer nonce, signs, journals (`record`, one fsynced commit), sends.

        Returns once journaled: sent, or to be sent by the receipt wait or the reconciler when the chain is
        unreachable. A nonce the key used elsewhere is given back and the transaction signed again with the next
        free one; a transaction the node refuses outright is forgotten (`refused`), its nonce given back."""
        with self.nonces.lock:
            self.init_nonces()
            for _attempt in range(3):
                used_elsewhere = False
                with self.nonces.reserve() as slot:
                    signed = Signed(*self.sign(to, data, gas, slot.nonce), slot.nonce)
                    record(signed)
                    slot.keep()  # journaled: the nonce is taken whatever the send does
                    if awaited is not None:
                        awaited.add(signed.tx_hash)
                    try:
                        self.rpc("eth_sendRawTransaction", [signed.raw])
                    except ChainUnavailable:
                        return signed  # journaled: sent when the chain is back
                    except RpcError as exc:
                        used_elsewhere = is_nonce_too_low(exc)  # the key was used elsewhere: sign again
                        if used_elsewhere or not is_known_transaction(exc):  # this version will never be mined
                            if awaited is not None:
                                awaited.discard([signed.tx_hash])
                            slot.give_back()
                        if not used_elsewhere and not is_known_transaction(exc):
                            error = RelayFailed(f"the node refused the transaction: {exc.message}")
                            refused(signed, error.to_dict())
                            raise error from exc
                    except BaseException:  # journaled, fate unknown: the reconciler, not the receipt thread, sees to it
                        if awaited is not None:
                            awaited.discard([signed.tx_hash])
                        raise
                    if not used_elsewhere:
                        return signed
                self.nonces.sync(self.chain_nonce("pending"), 0)
            raise RelayFailed("could not find a free relayer nonce")

    def replace(self, nonce: int, current_hash: str, raw: str, cap: int | None,
                awaited: InFlight | None = None) -> Signed | None:
        """Replaces a stuck transaction, the lowest the chain has not mined, by the same one at higher fees
        (`replacement`): journaled (fsync) before it is sent, its hash entered in `awaited` under the nonce lock;
        at most one version can ever be mined (one nonce). None when it is not replaced."""
        with self.nonces.lock:
            if self.chain_nonce("latest") != nonce:
                return None  # not the lowest unmined: it waits behind another (which is bumped first)
            if self.rpc("eth_getTransactionByHash", [current_hash]) is None:
                self.resend(raw)  # the node lost it: re-sent as it is, unless it refuses it for its price
                if self.rpc("eth_getTransactionByHash", [current_hash]) is not None:
                    return None
            replacement = self.replacement(raw, cap)
            if replacement is None:
                return None
            signed = Signed(*replacement, nonce)
            self.journal.record_replacement(current_hash, nonce, signed.raw, signed.tx_hash)
            if awaited is not None:
                awaited.add(signed.tx_hash)
            log.warning("relayer transaction %s (nonce %d) was stuck below the market's fees: replaced by %s",
                        current_hash, nonce, signed.tx_hash)
            self.resend(signed.raw)
            return signed

    def resend(self, raw_tx: str | None) -> None:
        """Sends a journaled transaction again; a refusal because it, or its nonce, is known is fine."""
        if raw_tx is None:
            return
        try:
            self.rpc("eth_sendRawTransaction", [raw_tx])
        except RpcError as exc:
            if not is_known_transaction(exc):
                log.warning("re-send refused: %s", exc.message)

    def send_filler(self, nonce: int) -> None:
        """Burns a relayer nonce with an empty self-transfer (a hole, or a lost transaction that had reverted)."""
        tx = {"chainId": self.chain.deployment.chain_id, "nonce": nonce, "to": self.address, "value": 0,
              "gas": FILLER_GAS, **self.fees()}
        self.resend("0x" + self.account.sign_transaction(tx).raw_transaction.hex())
