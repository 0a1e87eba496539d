"""Seals: the label printed on a tamper-evident seal and the bytes32 id the ledger records for it (keccak-256 of the
label's UTF-8 bytes, as `kp`, the console and the viewer compute it).

The chain keeps only the id. The label travels beside the signed id in a write (`seal_label`, not signed: it is
bound by its hash) or in a certificate's filed document (`seal.label`); the backend keeps a label only after
checking that it hashes to the id, so a label read from the ledger is always the preimage of its seal id.
"""

from __future__ import annotations

import re
from typing import Final

from eth_utils import keccak

SEAL_FIELD: Final = "sealId"  # the message field of a write that sets or attests a seal (its label: `seal_label`)
SEAL_LABEL_MAX_LENGTH: Final = 120  # characters; the certificate schema's `seal.label` has the same bound
# a label is what is printed on a seal: no control characters (C0, DEL, C1), which nothing prints
SEAL_LABEL_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]+$"
_LABEL = re.compile(SEAL_LABEL_PATTERN)


def seal_id_of(label: str) -> str:
    """0x-hex keccak-256 of the label's UTF-8 bytes: the seal id the ledger records for it."""
    return "0x" + keccak(text=label).hex()


def label_matches(label: str | None, seal_id: str | None) -> bool:
    """Whether `label` hashes to `seal_id` (the check behind every label the ledger shows)."""
    return bool(label and seal_id and seal_id_of(label).lower() == str(seal_id).lower())


def is_label(text: str) -> bool:
    """Whether `text` can be a seal's label (1 to SEAL_LABEL_MAX_LENGTH characters, nothing unprintable)."""
    return 0 < len(text) <= SEAL_LABEL_MAX_LENGTH and _LABEL.match(text) is not None
