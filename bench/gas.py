"""Gas: every operation direct and relayed next to its floor, from scripts/gas_report.py (.build/gas-report.json)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bench.common import ROOT, Result, log

REPORT = ROOT / ".build" / "gas-report.json"
GOAL_RATIO = 2.0


def run(work: Path, rerun: bool = True) -> list[Result]:
    if rerun or not REPORT.exists():
        log("gas: ape run gas_report --network ethereum:local:foundry")
        done = subprocess.run(["ape", "run", "gas_report", "--network", "ethereum:local:foundry"], cwd=ROOT,
                              capture_output=True, text=True)
        (work / "gas-report.log").write_text(done.stdout + done.stderr)
        if not REPORT.exists():
            raise RuntimeError(f"gas report failed: {(done.stdout + done.stderr)[-2000:]}")
    report = json.loads(REPORT.read_text())
    results = [Result("gas", op["operation"], op["direct"], "gas", op["floor"], "floor", "",
                      None, {"relayed": op["relayed"], "relay_overhead": op["relayed"] - op["direct"],
                             "direct_over_floor": op["ratio"]})
               for op in report["operations"]]
    single = report["single_handoff"]
    results.append(Result("gas", "complete single hand-off (offer + accept)", single["direct"], "gas",
                          single["floor"], "floor", f"direct <= {GOAL_RATIO} x floor", single["pass"],
                          {"relayed": single["relayed"]}))
    c = report["consignment_handoff"]
    for n in ("1", "10", "100"):
        results.append(Result("gas", f"consignment hand-off, {n} parcel{'s' if n != '1' else ''}", c["direct"][n],
                              "gas", c["direct"]["1"], "same hand-off with 1 parcel", "within 1% of 1 parcel",
                              c["pass"], {"relayed": c["relayed"][n]}))
    return results
