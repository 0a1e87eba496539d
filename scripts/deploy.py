"""Deploy the ledger (KPRegistry, KPLedger and its KPCertificates, KPRelayBatch) to any JSON-RPC EVM network.

    ape run deploy --network ethereum:local:foundry --account TEST::0 --governance TEST::1
    ape run deploy --network https://besu.example:8545 --account deployer --governance 0xMultisig...

Idempotent: when the record file already names contracts that exist on the connected chain,
nothing is deployed again. The record (addresses, chain id, start block) is what the backend reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, account_option


def _resolve(address_or_alias: str) -> str:
    if address_or_alias.startswith("TEST::"):
        return accounts.test_accounts[int(address_or_alias.split("::")[1])].address
    if address_or_alias.startswith("0x"):
        return address_or_alias
    return accounts.load(address_or_alias).address


def existing(record_path: Path) -> dict | None:
    """The recorded deployment if it is live on the connected chain."""
    if not record_path.exists():
        return None
    record = json.loads(record_path.read_text())
    if record.get("chainId") != chain.chain_id:
        return None
    live = all(chain.provider.get_code(record[name]) for name in ("registry", "ledger", "certificates"))
    return record if live else None


def deploy_batch(account, record: dict) -> str:
    """The relayer's batch contract, bound to the three ledger contracts of `record`."""
    batch = account.deploy(project.KPRelayBatch, record["registry"], record["ledger"], record["certificates"])
    return batch.address


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--governance", required=True,
              help="KP Chair / Secretariat: an address, an ape account alias or TEST::n (must not be the deployer)")
@click.option("--governance-delay", default=2 * 86_400, show_default=True,
              help="seconds a governance hand-over waits before it can be accepted")
@click.option("--record", "record_path", type=click.Path(path_type=Path), default=Path("data/deployment.json"),
              show_default=True, help="where the addresses are recorded")
def cli(account, governance: str, governance_delay: int, record_path: Path) -> None:
    """Deploy the Kimberley Process ledger contracts and record their addresses."""
    if (record := existing(record_path)) is not None:
        if not record.get("batch") or not chain.provider.get_code(record["batch"]):
            record["batch"] = deploy_batch(account, record)  # a deployment made before KPRelayBatch existed
            record_path.write_text(json.dumps(record, indent=2) + "\n")
            click.echo(f"relay batch contract deployed: {record['batch']}")
        click.echo(f"already deployed on chain {record['chainId']}: ledger {record['ledger']}")
        return
    governance_address = _resolve(governance)
    if governance_address.lower() == account.address.lower():
        raise click.BadParameter("governance must be separate from the deployer", param_hint="--governance")
    start_block = chain.blocks.height
    registry = account.deploy(project.KPRegistry, governance_address, governance_delay)
    ledger = account.deploy(project.KPLedger, registry.address)
    record = {
        "chainId": chain.chain_id,
        "registry": registry.address,
        "ledger": ledger.address,
        "certificates": ledger.certificates(),
        "batch": None,
        "governance": governance_address,
        "deployer": account.address,
        "startBlock": start_block,
    }
    record["batch"] = deploy_batch(account, record)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    click.echo(json.dumps(record, indent=2))
