"""`kp dev`: shortcuts for a development ledger (`make run`), refused by an API that does not run in development.

`make run` deploys the contracts with the KP governance (the Chair / Secretariat) set to account #1 of anvil's public
test mnemonic. `kp dev governance` puts that key in a keystore, so that a newcomer can admit participants and appoint
authorities at once; a production deployment names its own governance (a multisig) and never gets here.
"""

from __future__ import annotations

from pathlib import Path

import click

from kpledger.cli.base import Ctx, cli, echo, pass_ctx
from kpledger.cli.keys import keystore_option, write_keystore
from kpledger.client import ClientError, KPClient
from kpledger.core.devkeys import GOVERNANCE_INDEX, address_of, dev_key

DEVELOPMENT = "development"


@cli.group()
def dev() -> None:
    """Shortcuts for a development ledger (make run); refused by an API outside development."""


def require_development(c: KPClient) -> None:
    """Raises DevelopmentOnly unless the API says it runs in the development environment (GET /v1/config)."""
    environment = c.config.get("environment")
    if environment == DEVELOPMENT:
        return
    said = f"runs in the {environment!r} environment" if environment else "does not say it runs in development"
    raise ClientError("DevelopmentOnly", f"the API at {c.base_url} {said}: the development keys are public test keys, "
                                         "used only on a development ledger (make run). Sign with your own keystore "
                                         "(kp key new / kp key import) instead.",
                      {"environment": environment})


@dev.command("governance")
@keystore_option
@click.option("--force", is_flag=True, help="Overwrite an existing keystore.")
@pass_ctx
def dev_governance(obj: Ctx, keystore_path: Path | None, force: bool) -> None:
    """Store the development governance key (the KP Secretariat of `make run`) in a keystore.

    Then sign as governance with `kp --keystore FILE participant admit ...` or `authority appoint ...`.
    Refused unless the API runs in development and that key is its ledger's governance.
    """
    c = obj.client(sign=False)
    require_development(c)
    key = dev_key(GOVERNANCE_INDEX)
    address = address_of(key)
    is_governance = c.get(f"/v1/accounts/{address}/inbox?limit=1").get("governance")
    if is_governance is None:
        raise ClientError("ChainUnavailable", "the API cannot reach its chain to confirm who governs the ledger: "
                                              "try again when `kp status` answers")
    if not is_governance:
        raise ClientError("NotGovernance", f"{address} (development key #{GOVERNANCE_INDEX}) is not the governance of "
                                           f"the ledger at {c.base_url}: it was deployed for another account. Sign "
                                           "with that account's keystore instead.", {"account": address})
    target = write_keystore(obj, keystore_path, key, force)
    if not obj.as_json:
        echo(f"  the KP governance of this development ledger; sign as it with: kp --keystore {target} "
                   "participant admit CODE NAME")
