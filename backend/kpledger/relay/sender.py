"""Sending from the relayer account: nonces, fees, local signing, the journal commit, then the send.

Everything here happens under the nonce lock: a relayer nonce is allocated, the transaction is signed locally
(so its hash is known before it leaves), the journal records it (committed with an fsync), and only then is it
sent. A nonce the key used elsewhere is skipped and the transaction re-signed; a transaction the node refuses
outright is forgotten and its nonce given back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import rlp
from eth_account import Account
from eth_utils import to_checksum_address

from kpledger.chain.contracts import Chain
from kpledger.chain.errors import RpcError, is_known_transaction, is_nonce_too_low
from kpledger.core.config import Settings
from kpledger.core.errors import ChainUnavailable, RelayFailed
from kpledger.relay.fees import Fees, bumped, initial_fees, replacement_fees
from kpledger.relay.journal import Journal
from kpledger.relay.nonces import NonceCounter

log = logging.getLogger(__name__)

FILLER_GAS = 21_000
FEE_TTL = 1.0  # seconds a fee reading is reused: a max fee of twice the base fee covers its growth meanwhile


def decode_transaction(raw: str) -> dict[str, Any]:
    """The fields of a signed transaction (EIP-1559 type 2, or legacy), from its raw hex form."""
    data = bytes.fromhex(raw[2:])

    def num(b: bytes) -> int:
        return int.from_bytes(b, "big")

    if data[0] == 2:
        chain_id, nonce, tip, max_fee, gas, to, value, payload = rlp.decode(data[1:])[:8]
        return {"nonce": num(nonce), "maxPriorityFeePerGas": num(tip), "maxFeePerGas": num(max_fee),
                "gas": num(gas), "to": to_checksum_address(to), "value": num(value), "data": "0x" + payload.hex()}
    nonce, price, gas, to, value, payload = rlp.decode(data)[:6]
    return {"nonce": num(nonce), "gasPrice": num(price), "gas": num(gas), "to": to_checksum_address(to),
            "value": num(value), "data": "0x" + payload.hex()}


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

    # ------------------------------------------------------------ signing and sending

    def sign(self, to: str, data: str, gas: int, nonce: int) -> tuple[str, str]:
        """Raw transaction and its hash, signed locally by the relayer account."""
        tx = {"chainId": self.chain.deployment.chain_id, "nonce": nonce, "to": to, "data": data, "gas": gas,
              "value": 0, **self.fees()}
        signed = self.account.sign_transaction(tx)
        return "0x" + signed.raw_transaction.hex(), "0x" + signed.hash.hex()

    def journal_and_send(self, to: str, data: str, gas: int, record: Callable[[int, str, str], None],
                         fail: Callable[[dict[str, Any]], None]) -> tuple[str, str, int]:
        """Under the nonce lock: allocates a relayer nonce, signs, journals (`record(nonce, raw, hash)`), sends.

        Returns (tx hash, raw tx, nonce) once journaled: sent, or to be sent by the receipt wait or the
        reconciler when the chain is unreachable. When the node refuses the transaction outright (nothing ran),
        `fail(error)` marks the journal and RelayFailed is raised."""
        with self.nonces.lock:
            self.init_nonces()
            for _attempt in range(3):
                nonce = self.nonces.allocate()
                try:
                    raw, tx_hash = self.sign(to, data, gas, nonce)
                    record(nonce, raw, tx_hash)
                except BaseException:
                    self.nonces.release(nonce)
                    raise
                try:
                    self.rpc("eth_sendRawTransaction", [raw])
                except ChainUnavailable:
                    return tx_hash, raw, nonce  # journaled: sent when the chain is back
                except RpcError as exc:
                    if is_nonce_too_low(exc):  # the key was used elsewhere: move on and re-sign
                        self.nonces.release(nonce)
                        self.nonces.sync(self.chain_nonce("pending"), 0)
                        continue
                    if not is_known_transaction(exc):
                        self.nonces.release(nonce)
                        self.journal.forget_transaction(tx_hash)
                        error = RelayFailed(f"the node refused the transaction: {exc.message}")
                        fail(error.to_dict())
                        raise error from exc
                return tx_hash, raw, nonce
            raise RelayFailed("could not find a free relayer nonce")

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
