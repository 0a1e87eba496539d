"""Deploys the ledger with plain web3 (standard JSON-RPC): what the tests and benchmarks start from.

Operators deploy with the Ape script `scripts/deploy.py`; both write the same deployment record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3


def deploy_ledger(w3: Web3, deployer_key: bytes, governance: str, manifest: Path, record: Path,
                  governance_delay: int = 86_400) -> dict[str, Any]:
    """KPRegistry, KPLedger (which deploys KPCertificates) and KPRelayBatch; returns and writes the record."""
    types = json.loads(manifest.read_text())["contractTypes"]
    deployer = Account.from_key(deployer_key)

    def create(name: str, *args: Any) -> ChecksumAddress:
        t = types[name]
        factory = w3.eth.contract(abi=t["abi"], bytecode=t["deploymentBytecode"]["bytecode"])
        tx = factory.constructor(*args).build_transaction({
            "from": deployer.address, "nonce": w3.eth.get_transaction_count(deployer.address),
            "chainId": w3.eth.chain_id})
        signed = deployer.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
        address = receipt["contractAddress"]
        if receipt["status"] != 1 or address is None:
            raise RuntimeError(f"deploying {name} failed")
        return address

    start = w3.eth.block_number
    registry = create("KPRegistry", governance, governance_delay)
    ledger = create("KPLedger", registry)
    certificates = w3.eth.contract(address=ledger, abi=types["KPLedger"]["abi"]).functions.certificates().call()
    batch = create("KPRelayBatch", registry, ledger, certificates)
    out = {"chainId": w3.eth.chain_id, "registry": registry, "ledger": ledger, "certificates": certificates,
           "batch": batch, "startBlock": start, "governance": governance, "deployer": deployer.address}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(out, indent=2))
    return out
