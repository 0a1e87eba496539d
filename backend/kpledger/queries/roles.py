"""Registry role bits and their names."""

from __future__ import annotations

ROLES = {"authority": 1, "producer": 2, "exporter": 4, "importer": 8, "trader": 16, "manufacturer": 32}


def role_names(bits: int) -> list[str]:
    return [name for name, bit in ROLES.items() if bits & bit]
