"""Gas report of every ledger operation, direct and relayed, against a storage/calldata floor.

    ape run gas_report --network ethereum:local:foundry

Deploys fresh contracts on the local anvil network, admits BW and EU, appoints their
authorities, licenses operators, then measures `receipt.gas_used` of each operation twice:
sent directly by the actor, and as its `...BySig` twin signed by the actor and submitted by a
separate relayer account. Writes `.build/gas-report.json` and exits non-zero when the single
parcel hand-off costs more than twice its floor or the consignment hand-off cost depends on
the number of parcels (more than 1% apart).

Every signer's nonce slot is warmed by one unmeasured relayed call before its measured ones,
so relayed figures are the steady state (nonce update 5,000, not a first-use 22,100).
"""

# No `from __future__ import annotations` here: `ape run` executes this file through runpy (it is not in
# sys.modules), where a dataclass could not resolve string annotations; its parts in `_gas/` are imported normally.
import sys
from pathlib import Path

from ape import networks
from ape.logging import LogLevel, logger

from scripts._gas.output import print_batches, print_report, summarize, write_report
from scripts._gas.scenarios import (
    measure_batches,
    measure_certificates,
    measure_consignments,
    measure_parcels,
    measure_registry,
)
from scripts._gas.stage import Bench, setup

REPORT_PATH = Path(".build/gas-report.json")


def main() -> None:
    """Deploys, measures, prints, writes the JSON report; exits 1 when a goal fails."""
    logger.set_level(LogLevel.WARNING)  # one INFO line per transaction would bury the table
    b = Bench()
    setup(b)
    rows = measure_registry(b) + measure_parcels(b) + measure_consignments(b) + measure_certificates(b)
    batches = measure_batches(b)
    summary = summarize(rows)
    try:
        hardfork = str(networks.provider.make_request("anvil_nodeInfo", []).get("hardFork", "unknown"))
    except Exception:  # informational only
        hardfork = "unknown"
    print_report(rows, summary, hardfork)
    print_batches(batches)
    write_report(REPORT_PATH, networks.provider.network_choice, hardfork, rows, batches, summary)
    if not (summary["single_handoff"]["pass"] and summary["consignment_handoff"]["pass"]):
        sys.exit(1)
