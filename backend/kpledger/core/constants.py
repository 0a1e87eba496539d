"""The ledger's vocabulary in Python, declared once: role bits, HS codes, statuses, reason codes.

The Solidity side declares the same values once too (`contracts/utils/KPRoles.sol`, `HsCodes.sol`, the
status enums of the interfaces); `tests/core/test_actions.py` checks the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from kpledger.core.seals import seal_id_of

ZERO32: Final = "0x" + "00" * 32  # a bytes32 of zeros as 0x-hex: "none" for hashes, seals, keys and reasons

# ---------------------------------------------------------------- roles (KPRegistry role bits)

ROLES: Final[dict[str, int]] = {"authority": 1, "producer": 2, "exporter": 4, "importer": 8, "trader": 16,
                                "manufacturer": 32}
AUTHORITY: Final = ROLES["authority"]
PRODUCER: Final = ROLES["producer"]
EXPORTER: Final = ROLES["exporter"]
IMPORTER: Final = ROLES["importer"]
TRADER: Final = ROLES["trader"]
MANUFACTURER: Final = ROLES["manufacturer"]
OPERATOR_ROLES: Final = PRODUCER | EXPORTER | IMPORTER | TRADER | MANUFACTURER


def role_bits(names: Iterable[str]) -> int:
    """The bitmask of role names ("producer", "exporter", ...); ValueError on an unknown name."""
    bits = 0
    for name in names:
        key = str(name).strip().lower()
        if key not in ROLES:
            raise ValueError(f"unknown role {name!r} (known: {', '.join(ROLES)})")
        bits |= ROLES[key]
    return bits


def role_names(bits: int) -> list[str]:
    """The role names of a bitmask, in bit order."""
    return [name for name, bit in ROLES.items() if bits & bit]


# ---------------------------------------------------------------- HS codes of rough diamonds

HS_CODES: Final[dict[int, str]] = {710210: "unsorted", 710221: "industrial", 710231: "non-industrial"}
UNSORTED, INDUSTRIAL, NON_INDUSTRIAL = 710210, 710221, 710231


def hs_code(text: str | int) -> int:
    """A rough-diamond HS code from its usual written forms: 710210, "7102.10", "7102 10"; ValueError otherwise."""
    digits = str(text).strip().replace(".", "").replace(" ", "")
    if not digits.isdigit() or int(digits) not in HS_CODES:
        raise ValueError(f"{text!r} is not a rough-diamond HS code (7102.10 unsorted, 7102.21 industrial, "
                         "7102.31 non-industrial)")
    return int(digits)


def hs_text(code: int) -> str:
    """7102.10: an HS code as the KP certificate and the KP statistics write it."""
    return f"{code // 100}.{code % 100:02d}"


# ---------------------------------------------------------------- weights

POINTS_PER_CARAT: Final = 100  # weights are kept in points, hundredths of a carat


def carats_text(points: int) -> str:
    """An exact decimal carat amount from points: 12345 -> "123.45" (never a float)."""
    return f"{Decimal(points) / POINTS_PER_CARAT:.2f}"


# ---------------------------------------------------------------- seals

_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def seal_id(text: str) -> str:
    """The bytes32 seal id of a label: `text` itself if it is 0x-hex of 32 bytes, else keccak256(text) (`seal_id_of`:
    the label's hash, as `core.seals` defines it)."""
    if _HEX32.match(text):
        return text.lower()
    if not text:
        raise ValueError("a seal id cannot be empty")
    return seal_id_of(text)


# ---------------------------------------------------------------- statuses (projections of the contracts' enums)

PARCEL_STATUSES: Final = ("live", "closed")
CONSIGNMENT_STATUSES: Final = ("sealed", "opened", "compromised")
CERTIFICATE_STATUSES: Final = ("issued", "delivered", "confirmed", "disputed", "voided", "expired")

# ---------------------------------------------------------------- reason codes (an off-chain convention)

REASONS: Final[dict[int, str]] = {
    1: "documents missing or wrong",
    2: "weight differs",
    3: "contents differ",
    4: "seal or container damaged",
    5: "recipient not expecting the goods",
    6: "issued in error",
    7: "superseded by a corrected certificate",
}
SUPERSEDED: Final = 7


def reasons_help() -> str:
    """The reason codes in one line, for help texts."""
    return "Reason codes: " + ", ".join(f"{code} {text}" for code, text in REASONS.items()) + "."
