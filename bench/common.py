"""Shared machinery of the benchmarks: process readings and results. The chain, the backend process, keys and raw
transactions come from the project's one harness, `kpledger.dev.stack`."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import keccak

from kpledger.core.constants import INDUSTRIAL, UNSORTED
from kpledger.core.constants import NON_INDUSTRIAL as GEM
from kpledger.core.constants import ROLES as ROLE
from kpledger.db.session import Database
from kpledger.dev.stack import (
    CHAIN_ID,
    MANIFEST,
    MNEMONIC,
    ApiServer,
    LocalChain,
    RawTx,
    Signer,
    address_of,
    dev_key,
    free_port,
)

ROOT = Path(__file__).resolve().parents[1]
Server = ApiServer
__all__ = ["CHAIN_ID", "GEM", "INDUSTRIAL", "MANIFEST", "MNEMONIC", "ROLE", "UNSORTED", "LocalChain", "RawTx",
           "Server", "Signer", "address_of", "dev_key", "free_port"]


def sha(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return "0x" + hashlib.sha256(data).hexdigest()


def sha_bytes(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def topic_int(value: str) -> int:
    return int(value, 16)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (all its threads), in seconds; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_total_mb() -> float:
    """The machine's memory (MemTotal), in MB."""
    return next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")) / 1024


def dir_size_mb(path: Path, pattern: str = "*") -> float:
    return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file()) / 2**20


def log(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- results


@dataclass
class Result:
    """One benchmark figure next to its ceiling and goal. `passed` None: informational, no goal."""

    section: str
    name: str
    value: float
    unit: str
    ceiling: float | None = None
    ceiling_name: str = ""
    goal: str = ""
    passed: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ceiling in (None, 0):
            return None
        return self.value / self.ceiling

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "name": self.name, "value": self.value, "unit": self.unit,
                "ceiling": self.ceiling, "ceiling_name": self.ceiling_name, "ratio": self.ratio, "goal": self.goal,
                "verdict": verdict(self.passed), "details": self.details}


def verdict(passed: bool | None) -> str:
    return "-" if passed is None else "PASS" if passed else "MISS"


def sqlite_database(folder: Path) -> tuple[Path, Database]:
    """A new SQLite index in `folder` (made if missing): its file and the index's `Database`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kp.db"
    return path, Database(f"sqlite:///{path}")
