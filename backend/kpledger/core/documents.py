"""What the backend reads inside the off-chain documents it files (their hash is anchored on chain; their content
is the parties' business). One function per fact read, so that a new version of a document schema is followed
in one place.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

# a non-negative decimal amount, optionally grouped by thousands: "41300000.00", "41,300,000.00", "950"
_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,6})?")
MAX_DOCUMENT_FOR_VALUE = 1_000_000  # bytes parsed at most (a certificate document is a few kilobytes)


def certificate_value_usd(document: bytes) -> Decimal | None:
    """The shipment's value in US dollars stated by a filed KP certificate document, or None if it states none
    that can be read.

    Today's documents are JSON objects with `value_usd` as a decimal string (`"41300000.00"`, thousands may be
    grouped with commas). The lead's versioned certificate schema will say where the value lives: follow it here.
    """
    if len(document) > MAX_DOCUMENT_FOR_VALUE:
        return None
    try:
        content = json.loads(document)
    except (ValueError, UnicodeDecodeError):
        return None
    raw = content.get("value_usd") if isinstance(content, dict) else None
    if not isinstance(raw, str) or not _AMOUNT.fullmatch(raw.strip()):
        return None
    return Decimal(raw.strip().replace(",", ""))
