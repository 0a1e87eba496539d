"""What the identifier resolver says about one of the ledger's URIs to an API client."""

from __future__ import annotations

import re
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy.orm import Session

from kpledger.core.errors import NotFound
from kpledger.epcis.identifiers import KEY_PATTERNS
from kpledger.queries import certificates, parcels, participants


def describe(s: Session, kind: str, key: str) -> dict[str, Any] | None:
    """The lot, operator, participant or certificate an identifier names (None: nothing on the ledger)."""
    if kind not in KEY_PATTERNS or not re.fullmatch(KEY_PATTERNS[kind], key):
        return None
    try:
        if kind == "lot":
            return parcels.get_lot(s, int(key))
        if kind == "operator":
            return participants.get_account(s, to_checksum_address(key))
        if kind == "participant":
            return participants.get_participant(s, key)
        return certificates.get_certificate(s, key)
    except NotFound:
        return None
