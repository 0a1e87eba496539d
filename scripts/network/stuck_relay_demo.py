"""Shows what the relayer does today when the base fee rises above its transaction's max fee, and that a
replacement from `kpledger.relay.fees` unsticks it (and what the journal then gets wrong). Prints numbers.

    python scripts/network/stuck_relay_demo.py [--node anvil|hardhat] [--hold 40]

A chain that mines a block every second (the script mines: automine off, `evm_mine`) at a base fee held at three
times the relayer's max fee (`hardhat_setNextBlockBaseFeePerGas` before every block; anvil answers it too), as
under sustained load on a priced network. Request A (a parcel) is relayed before the rise, request B (another
signer's licence) after it: at the new, sufficient fees, but with the next relayer nonce, behind A. After
`--hold` seconds, A's journaled transaction is re-signed with the same nonce at `replacement_fees` and sent,
and the script reports what each request and the journal ended with.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3

from kpledger.chain.contracts import Chain
from kpledger.chain.deploy import deploy_ledger
from kpledger.core.config import Settings
from kpledger.db.session import Database
from kpledger.intents import sign_intent
from kpledger.localnet import ROOT, start_anvil, start_hardhat, stop, wait_until_up
from kpledger.relay.fees import Fees, replacement_fees
from kpledger.relay.relayer import Relayer

MANIFEST = ROOT / ".build" / "__local__.json"
Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"
KEYS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key for i in range(5)]
RELAYER, GOVERNANCE, AUTHORITY, MINE = KEYS[0], KEYS[1], KEYS[2], KEYS[3]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def direct(w3: Web3, key: bytes, contract: Any, fn: str, *args: Any) -> None:
    acct = Account.from_key(key)
    tx = getattr(contract.functions, fn)(*args).build_transaction({
        "from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address), "chainId": w3.eth.chain_id})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction))
    assert receipt.status == 1, fn


def body(record: dict[str, Any], key: bytes, action: str, contract: str, message: dict[str, Any]) -> dict[str, Any]:
    signed = sign_intent(key, action, message, chain_id=record["chainId"], verifying_contract=record[contract],
                         nonce=0, deadline=int(time.time()) + 3600)
    return {"message": message, "signer": signed.signer, "nonce": signed.nonce, "deadline": signed.deadline,
            "signature": "0x" + signed.signature.hex()}


def run(kind: str, hold: float, receipt_timeout: float) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix=f"stuck-{kind}-"))
    port = free_port()
    process = (start_hardhat if kind == "hardhat" else start_anvil)(data, port)
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"node": kind}
    relayer: Relayer | None = None
    try:
        wait_until_up(url, process)
        w3 = Web3(HTTPProvider(url))
        record = deploy_ledger(w3, RELAYER, Account.from_key(GOVERNANCE).address, MANIFEST, data / "deployment.json")
        types = json.loads(MANIFEST.read_text())["contractTypes"]
        registry = w3.eth.contract(address=record["registry"], abi=types["KPRegistry"]["abi"])
        direct(w3, GOVERNANCE, registry, "admitParticipant", "BW", "Botswana")
        direct(w3, GOVERNANCE, registry, "setAuthority", "BW", Account.from_key(AUTHORITY).address, True)
        direct(w3, AUTHORITY, registry, "licenseOperator", Account.from_key(MINE).address, 2 | 4)

        settings = Settings(environment="test", rpc_url=url, data_dir=data, relayer_key="0x" + RELAYER.hex())
        relayer = Relayer(settings, Chain(settings), Database(settings.database_url), receipt_timeout=receipt_timeout)
        resends: list[float] = []
        original_resend = relayer._resend

        def counting(raw: str | None) -> None:
            resends.append(time.monotonic())
            original_resend(raw)

        relayer._resend = counting  # type: ignore[method-assign]
        relayer.recover()
        relayer_address = relayer.address

        w3.provider.make_request("evm_setAutomine", [False])
        held = {"fee": None}
        stop_mining = threading.Event()

        def miner() -> None:  # a block a second, at the held base fee when one is set
            while not stop_mining.wait(1.0):
                if held["fee"] is not None:
                    w3.provider.make_request("hardhat_setNextBlockBaseFeePerGas", [hex(held["fee"])])
                w3.provider.make_request("evm_mine", [])

        answers: dict[str, Any] = {}

        def submit(name: str, action: str, request: dict[str, Any]) -> None:
            started = time.monotonic()
            try:
                answers[name] = {"answer": relayer.submit(action, request)["status"]}
            except Exception as exc:  # noqa: BLE001 - the demo reports whatever the relayer raised
                answers[name] = {"error": f"{type(exc).__name__}: {getattr(exc, 'code', '')} {exc}"}
            answers[name]["seconds"] = round(time.monotonic() - started, 1)

        chain_nonce0 = w3.eth.get_transaction_count(relayer_address)
        parcel = {"points": 100, "stones": 1, "hsCode": 710210, "origin": "BW",
                  "documentHash": "0x" + Web3.keccak(text="stuck-A").hex().removeprefix("0x")}
        thread_a = threading.Thread(target=submit, args=(
            "A", "RegisterParcel", body(record, MINE, "RegisterParcel", "ledger", parcel)))
        thread_a.start()
        deadline = time.monotonic() + 10
        while not w3.provider.make_request("eth_getBlockByNumber", ["pending", True])["result"]["transactions"]:
            assert time.monotonic() < deadline, "A was not sent"
            time.sleep(0.05)
        pending_tx = w3.provider.make_request("eth_getBlockByNumber", ["pending", True])["result"]["transactions"][0]
        a_fees = Fees(int(pending_tx["maxFeePerGas"], 16), int(pending_tx["maxPriorityFeePerGas"], 16))
        base_before = w3.eth.get_block("latest")["baseFeePerGas"]
        held["fee"] = 3 * a_fees.max_fee
        out["base_fee_before"] = base_before
        out["A_fees"] = {"maxFeePerGas": a_fees.max_fee, "maxPriorityFeePerGas": a_fees.tip}
        out["held_base_fee"] = held["fee"]
        threading.Thread(target=miner, daemon=True).start()
        time.sleep(3)  # the relayer's fee cache (1 s) sees the new base fee before B is signed
        # B: another signer (the authority licenses an operator), independent of A, so only the relayer nonce
        # orders them
        licence = {"account": Account.from_key(KEYS[4]).address, "roles": 16}
        thread_b = threading.Thread(target=submit, args=(
            "B", "LicenseOperator", body(record, AUTHORITY, "LicenseOperator", "registry", licence)))
        thread_b.start()
        time.sleep(hold)
        out["after_hold_s"] = hold
        out["blocks_mined_during_hold"] = w3.eth.block_number
        out["relayer_nonce_on_chain"] = [chain_nonce0, w3.eth.get_transaction_count(relayer_address)]
        rows = {r.id[:10]: (r.status, r.relayer_nonce, r.tx_hash) for r in relayer.journal.from_nonce(0)}
        out["journal_during_hold"] = rows
        out["answers_during_hold"] = dict(answers)
        out["resends_during_hold"] = len(resends)

        # the fix prototyped in kpledger.relay.fees: re-sign A's transaction with the same nonce, higher fees
        a_row = min(relayer.journal.from_nonce(0), key=lambda r: r.relayer_nonce)
        raw_a = relayer.journal.raw_tx(a_row)
        tx = TypedTransaction.from_bytes(HexBytes(raw_a)).as_dict()
        next_base = held["fee"]
        new = replacement_fees(a_fees, next_base, a_fees.tip)
        assert new is not None
        tx.update({"maxFeePerGas": new.max_fee, "maxPriorityFeePerGas": new.tip})
        for k in ("v", "r", "s"):
            tx.pop(k, None)
        replacement = relayer.account.sign_transaction(tx)
        out["replacement_fees"] = {"maxFeePerGas": new.max_fee, "maxPriorityFeePerGas": new.tip}
        out["replacement_send"] = w3.provider.make_request(
            "eth_sendRawTransaction", ["0x" + replacement.raw_transaction.hex()])
        thread_a.join(receipt_timeout + 70)
        thread_b.join(receipt_timeout + 70)
        time.sleep(3)  # two reconciliation rounds
        new_hash = "0x" + replacement.hash.hex()
        out["replacement_receipt_status"] = (w3.provider.make_request(
            "eth_getTransactionReceipt", [new_hash]).get("result") or {}).get("status")
        out["original_receipt"] = w3.provider.make_request("eth_getTransactionReceipt", [a_row.tx_hash]).get("result")
        out["relayer_nonce_after"] = w3.eth.get_transaction_count(relayer_address)
        out["answers_final"] = answers
        ledger = w3.eth.contract(address=record["ledger"], abi=types["KPLedger"]["abi"])
        out["parcels_on_chain"] = ledger.functions.lastLotId().call()
        out["journal_final"] = [(r.relayer_nonce, r.status, (r.error or {}).get("code"), r.tx_hash)
                                for r in relayer.journal.from_nonce(0)]
        stop_mining.set()
    finally:
        if relayer is not None:
            relayer.close()
        stop(process)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", choices=["anvil", "hardhat"], default="anvil")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the base fee is held high")
    parser.add_argument("--receipt-timeout", type=float, default=30.0, help="the relayer's (default 30 s)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.node, args.hold, args.receipt_timeout), indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
