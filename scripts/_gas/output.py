"""The gas report's checks (single hand-off against its floor, consignment hand-off independent of its parcel
count), its table on stdout and its JSON file."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scripts._gas.floor import FLOOR_STORAGE, Row
from scripts._gas.scenarios import BATCH_CALL_GAS, CONSIGNMENT_SIZES, plural

GOAL_RATIO = 2.0  # a complete single hand-off may cost at most twice its floor
CONSIGNMENT_TOLERANCE = 0.01  # consignment hand-offs of 1, 10, 100 parcels within 1%


def summarize(rows: list[Row]) -> dict[str, Any]:
    """The single-parcel and consignment hand-off checks."""
    by_name = {r.operation: r for r in rows}
    offer, accept = by_name["offer (parcel)"], by_name["acceptOffer (parcel)"]
    single_direct = offer.direct + accept.direct
    single_floor = offer.floor + accept.floor
    single_ratio = single_direct / single_floor
    single = {
        "direct": single_direct, "relayed": offer.relayed + accept.relayed, "floor": single_floor,
        "ratio": round(single_ratio, 3), "goal": GOAL_RATIO, "pass": single_ratio <= GOAL_RATIO,
    }
    handoffs: dict[str, dict[str, int]] = {"direct": {}, "relayed": {}}
    for n in CONSIGNMENT_SIZES:
        o = by_name[f"offer (consignment, {plural(n)})"]
        a = by_name[f"acceptOffer (consignment, {plural(n)})"]
        handoffs["direct"][str(n)] = o.direct + a.direct
        handoffs["relayed"][str(n)] = o.relayed + a.relayed
    spread = {mode: (max(v.values()) - min(v.values())) / min(v.values()) for mode, v in handoffs.items()}
    consignment = {
        **handoffs,
        "spread": {mode: round(s, 5) for mode, s in spread.items()},
        "identical": {mode: len(set(v.values())) == 1 for mode, v in handoffs.items()},
        "tolerance": CONSIGNMENT_TOLERANCE,
        "pass": all(s <= CONSIGNMENT_TOLERANCE for s in spread.values()),
    }
    return {"single_handoff": single, "consignment_handoff": consignment}


def print_batches(batches: dict[str, dict[str, int]]) -> None:
    """Prints the batch measurements."""
    print(f"\nKPRelayBatch.execute of n relayed registerParcel calls (bound {BATCH_CALL_GAS:,} gas each):")
    for n, gas in batches.items():
        label = plural(int(n)).replace("parcel", "call")
        print(f"  {label:<10} total {gas['total']:>10,}   per call {gas['per_call']:>8,}")


def print_report(rows: list[Row], summary: dict[str, Any], hardfork: str) -> None:
    """Prints the table and the two checks."""
    header = (f"{'operation':<38} {'direct':>9} {'relayed':>9} {'relay +':>8} {'floor':>9}"
              f" {'direct/floor':>12}")
    print(f"\nGas per ledger operation (anvil, hardfork {hardfork}); floor = 21,000 + calldata + "
          "unavoidable storage + logs (- refund)")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.operation:<38} {r.direct:>9,} {r.relayed:>9,} {r.relayed - r.direct:>8,} {r.floor:>9,}"
              f" {r.ratio:>12.2f}")
    s = summary["single_handoff"]
    print(f"\nComplete single hand-off (offer + accept of a parcel): direct {s['direct']:,}"
          f" vs floor {s['floor']:,} -> ratio {s['ratio']:.2f} (goal <= {GOAL_RATIO})"
          f" {'PASS' if s['pass'] else 'FAIL'}"
          f"   [relayed {s['relayed']:,}]")
    c = summary["consignment_handoff"]
    for mode in ("direct", "relayed"):
        sizes = ", ".join(f"{plural(int(n))} {gas:,}" for n, gas in c[mode].items())
        how = "identical" if c["identical"][mode] else f"spread {c['spread'][mode]:.3%}"
        print(f"Consignment hand-off (offer + accept), {mode}: {sizes} -> {how}")
    print(f"Consignment hand-off independent of parcel count (within {CONSIGNMENT_TOLERANCE:.0%}):"
          f" {'PASS' if c['pass'] else 'FAIL'}")


def write_report(path: Path, network: str, hardfork: str, rows: list[Row], batches: dict[str, dict[str, int]],
                 summary: dict[str, Any]) -> None:
    """Writes the JSON report: the floor model, every operation, the batches and the checks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "network": network,
        "hardfork": hardfork,
        "floor_model": {name: {**asdict(m), "gas": m.gas, "refund": m.refund}
                        for name, m in FLOOR_STORAGE.items()},
        "operations": [asdict(r) for r in rows],
        "batches": batches,
        **summary,
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {path}")
