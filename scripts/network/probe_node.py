"""Probes how an EVM node answers the JSON-RPC the backend relies on, and prints it as JSON (for comparing nodes).

    python scripts/network/probe_node.py --node anvil|hardhat [--block-time N]

Starts the node on a free loopback port, deploys the ledger (kpledger.chain.deploy), then records the node's
exact answers: revert data of eth_call / eth_estimateGas, the texts of duplicate / used-nonce / underpriced
sends, a transaction that reverts, the `pending` block tag, batch requests, fees, eth_getLogs, snapshots and
reorg methods, request size limits. Nothing is interpreted here: the report compares the outputs.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak
from web3 import HTTPProvider, Web3

from kpledger.chain import abi
from kpledger.chain.deploy import deploy_ledger
from kpledger.dev.chain import ROOT, start_anvil, start_hardhat, stop, wait_until_up

MANIFEST = ROOT / ".build" / "__local__.json"
MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()
KEYS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key for i in range(4)]
SIMULATE = function_signature_to_4byte_selector("simulate((address,bytes)[])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_post(url: str, payload: Any) -> Any:
    """One POST with the standard library; returns the decoded answer, or the HTTP error's status and body."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        return {"http_status": exc.code, "body": exc.read()[:300].decode("utf-8", "replace")}


def one(url: str, method: str, params: list[Any]) -> Any:
    """The node's whole answer object (result or error), trimmed for printing."""
    answer = raw_post(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    text = json.dumps(answer)
    return answer if len(text) < 1500 else {"trimmed": text[:1500]}


def sign(w3: Web3, key: bytes, nonce: int, *, to: str | None = None, data: str = "0x", gas: int = 50_000,
         max_fee: int | None = None, tip: int | None = None) -> str:
    acct = Account.from_key(key)
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = 10**9 if tip is None else tip
    tx = {"chainId": w3.eth.chain_id, "nonce": nonce, "to": to or acct.address, "value": 0, "data": data, "gas": gas,
          "type": 2, "maxFeePerGas": max_fee if max_fee is not None else 2 * base + tip, "maxPriorityFeePerGas": tip}
    return "0x" + acct.sign_transaction(tx).raw_transaction.hex()


def probe(kind: str, block_time: float | None) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix=f"probe-{kind}-"))
    port = free_port()
    process = (start_hardhat if kind == "hardhat" else start_anvil)(data, port, block_time=block_time)
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"node": kind, "block_time": block_time}
    try:
        wait_until_up(url, process)
        w3 = Web3(HTTPProvider(url))
        out["web3_client_version"] = w3.client_version
        record = deploy_ledger(w3, KEYS[0], Account.from_key(KEYS[1]).address, MANIFEST, data / "deployment.json")
        me = Account.from_key(KEYS[2]).address
        types = json.loads(MANIFEST.read_text())["contractTypes"]
        ledger = w3.eth.contract(address=record["ledger"], abi=types["KPLedger"]["abi"])
        # 1. revert data: KPRelayBatch.simulate([]) always reverts with KPRelayBatchSimulated([])
        empty = "0x" + (SIMULATE + abi.encode(["(address,bytes)[]"], [[]])).hex()
        call = {"from": me, "to": record["batch"], "data": empty}
        out["eth_call_revert_latest"] = one(url, "eth_call", [call, "latest"])
        out["eth_call_revert_pending"] = one(url, "eth_call", [call, "pending"])
        out["eth_estimateGas_revert"] = one(url, "eth_estimateGas", [call])
        # a custom error with arguments: registerParcel from a non-operator (KPLedgerNotOperator(account))
        reg = ledger.encode_abi("registerParcel", args=[1, 1, 710210, "BW", b"\x11" * 32])
        out["eth_call_custom_error"] = one(url, "eth_call", [{"from": me, "to": record["ledger"], "data": reg},
                                                             "latest"])
        out["eth_estimateGas_custom_error"] = one(url, "eth_estimateGas", [{"from": me, "to": record["ledger"],
                                                                            "data": reg}])
        out["selector_KPLedgerNotOperator"] = "0x" + keccak(text="KPLedgerNotOperator(address)")[:4].hex()
        # 2. fees
        latest = w3.eth.get_block("latest")
        out["baseFeePerGas_latest"] = latest.get("baseFeePerGas")
        out["gasLimit_latest"] = latest["gasLimit"]
        out["eth_gasPrice"] = one(url, "eth_gasPrice", [])
        out["eth_maxPriorityFeePerGas"] = one(url, "eth_maxPriorityFeePerGas", [])
        out["eth_feeHistory"] = one(url, "eth_feeHistory", ["0x2", "latest", [50]])
        out["block_pending"] = (lambda a: {k: a.get("result", {}).get(k) if isinstance(a.get("result"), dict)
                                           else a for k in ("number", "hash", "baseFeePerGas")})(
            one(url, "eth_getBlockByNumber", ["pending", False]))
        # 3. JSON-RPC batch
        out["batch_request"] = raw_post(url, [{"jsonrpc": "2.0", "id": 7, "method": "eth_blockNumber", "params": []},
                                              {"jsonrpc": "2.0", "id": 8, "method": "eth_chainId", "params": []},
                                              {"jsonrpc": "2.0", "id": 9, "method": "no_such", "params": []}])
        out["unknown_method"] = one(url, "no_such_method", [])
        # 4. sends: duplicate, used nonce, replacement, below base fee, reverting
        key = KEYS[2]
        nonce = w3.eth.get_transaction_count(me)
        auto_off = block_time is None
        if auto_off:
            out["evm_setAutomine_false"] = one(url, "evm_setAutomine", [False])
        raw = sign(w3, key, nonce)
        out["send_first"] = one(url, "eth_sendRawTransaction", [raw])
        out["send_duplicate_in_pool"] = one(url, "eth_sendRawTransaction", [raw])
        out["send_same_nonce_same_fee_other_tx"] = one(url, "eth_sendRawTransaction",
                                                       [sign(w3, key, nonce, data="0x01")])
        out["send_same_nonce_plus_5pct"] = one(url, "eth_sendRawTransaction", [
            sign(w3, key, nonce, data="0x02", max_fee=int((2 * latest["baseFeePerGas"] + 10**9) * 1.05),
                 tip=int(10**9 * 1.05))])
        bumped = sign(w3, key, nonce, data="0x03", max_fee=int((2 * latest["baseFeePerGas"] + 10**9) * 1.10) + 1,
                      tip=int(10**9 * 1.10) + 1)
        out["send_same_nonce_plus_10pct"] = one(url, "eth_sendRawTransaction", [bumped])
        out["txpool_content_or_status"] = one(url, "txpool_status", [])
        if auto_off:
            out["evm_mine"] = one(url, "evm_mine", [])
            out["evm_setAutomine_true"] = one(url, "evm_setAutomine", [True])
        else:
            time.sleep(block_time * 2 + 0.5)
        out["receipt_original"] = one(url, "eth_getTransactionReceipt", ["0x" + keccak(bytes.fromhex(raw[2:])).hex()])
        out["receipt_bumped_status"] = (one(url, "eth_getTransactionReceipt",
                                            ["0x" + keccak(bytes.fromhex(bumped[2:])).hex()]).get("result") or {}
                                        ).get("status")
        out["send_duplicate_mined"] = one(url, "eth_sendRawTransaction", [raw])
        out["send_nonce_too_low"] = one(url, "eth_sendRawTransaction", [sign(w3, key, nonce, data="0x04")])
        nonce = w3.eth.get_transaction_count(me)
        base = w3.eth.get_block("latest")["baseFeePerGas"]
        out["send_max_fee_below_base_fee"] = one(url, "eth_sendRawTransaction", [
            sign(w3, key, nonce, max_fee=base // 2, tip=0)])
        time.sleep((block_time or 0) * 2 + 0.3)
        out["nonce_latest_pending_after_below_base"] = [w3.eth.get_transaction_count(me, "latest"),
                                                         w3.eth.get_transaction_count(me, "pending")]
        out["send_nonce_gap"] = one(url, "eth_sendRawTransaction", [sign(w3, key, nonce + 5)])
        # a transaction that reverts on chain (registerParcel from a non-operator, gas given so no estimate)
        acct3 = Account.from_key(KEYS[3])
        n3 = w3.eth.get_transaction_count(acct3.address)
        rev = sign(w3, KEYS[3], n3, to=record["ledger"], data=reg, gas=200_000)
        out["send_reverting_tx"] = one(url, "eth_sendRawTransaction", [rev])
        time.sleep((block_time or 0) * 2 + 0.3)
        r = one(url, "eth_getTransactionReceipt", ["0x" + keccak(bytes.fromhex(rev[2:])).hex()]).get("result") or {}
        out["reverting_tx_receipt"] = {"status": r.get("status"), "blockNumber": r.get("blockNumber")}
        out["reverting_tx_nonce_used"] = w3.eth.get_transaction_count(acct3.address) == n3 + 1
        out["eth_sendRawTransactionSync"] = one(url, "eth_sendRawTransactionSync", [
            sign(w3, KEYS[3], n3 + 1)]) if block_time is None else "not probed with interval mining"
        # 5. logs
        head = w3.eth.block_number
        logs = one(url, "eth_getLogs", [{"address": [record["registry"], record["ledger"]], "fromBlock": "0x0",
                                         "toBlock": hex(head)}])
        first = (logs.get("result") or [{}])[0] if isinstance(logs.get("result"), list) else logs
        out["eth_getLogs_first_keys"] = sorted(first) if isinstance(first, dict) else first
        out["eth_getLogs_to_beyond_head"] = one(url, "eth_getLogs", [{"fromBlock": hex(head + 1),
                                                                      "toBlock": hex(head + 100)}])
        out["eth_getLogs_from_gt_to"] = one(url, "eth_getLogs", [{"fromBlock": hex(head), "toBlock": "0x0"}])
        out["eth_getBlockByNumber_beyond_head"] = one(url, "eth_getBlockByNumber", [hex(head + 50), False])
        # 6. snapshots, reorgs, node-specific methods
        snap = one(url, "evm_snapshot", [])
        out["evm_snapshot"] = snap
        out["evm_revert"] = one(url, "evm_revert", [snap.get("result")])
        out["anvil_reorg"] = one(url, "anvil_reorg", [1, []])
        out["anvil_setBalance"] = one(url, "anvil_setBalance", [me, hex(10**21)])
        out["hardhat_setBalance"] = one(url, "hardhat_setBalance", [me, hex(10**21)])
        out["anvil_setNextBlockBaseFeePerGas"] = one(url, "anvil_setNextBlockBaseFeePerGas", [hex(10**9)])
        out["hardhat_setNextBlockBaseFeePerGas"] = one(url, "hardhat_setNextBlockBaseFeePerGas", [hex(10**9)])
        out["anvil_dumpState"] = (lambda a: {"ok": "result" in a} if "result" in a else a)(
            one(url, "anvil_dumpState", []))
        # 7. request size: a 3 MB eth_call body
        big = {"from": me, "to": me, "data": "0x" + "00" * 1_500_000}
        out["eth_call_3MB_body"] = one(url, "eth_call", [big, "latest"])
    finally:
        stop(process)
    return out


@click.command(help=__doc__.splitlines()[0])
@click.option("--node", type=click.Choice(["anvil", "hardhat"]), default="anvil", show_default=True)
@click.option("--block-time", type=float, default=None, help="seconds between blocks (default: automine)")
def main(node: str, block_time: float | None) -> None:
    json.dump(probe(node, block_time), sys.stdout, indent=1, default=str)
    print()


if __name__ == "__main__":
    main()
