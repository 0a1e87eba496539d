"""What the backend reads inside the off-chain documents it files (their hash is anchored on chain; their content
is the parties' business). One function per fact read, so that a new version of a document schema is followed
in one place.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

CERTIFICATE_SCHEMA = "kp-certificate/1"  # the `schema` of a structured certificate document (kpledger.certificates)

# a non-negative decimal amount, optionally grouped by thousands: "41300000.00", "41,300,000.00", "950"
_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,6})?")
# the schema's form: plain digits, at most 2 decimals (kp-certificate-1.schema.json, `value_usd`)
_SCHEMA_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,2})?")
MAX_DOCUMENT_FOR_VALUE = 1_000_000  # bytes parsed at most (a certificate document is a few kilobytes)


def certificate_value_usd(document: bytes) -> Decimal | None:
    """The shipment's value in US dollars stated by a filed KP certificate document, or None if it states none
    that can be read.

    A `kp-certificate/1` document (the schema in `kpledger/certificates/schema/`, the only form filed since it
    exists) states it in `value_usd`, a plain decimal string with at most 2 decimals. Documents filed before the
    schema are read as they were: a JSON object whose `value_usd` is a decimal string, thousands optionally
    grouped with commas (`"41,300,000.00"`).
    """
    if len(document) > MAX_DOCUMENT_FOR_VALUE:
        return None
    try:
        content = json.loads(document)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(content, dict):
        return None
    raw = content.get("value_usd")
    if not isinstance(raw, str):
        return None
    if content.get("schema") == CERTIFICATE_SCHEMA:
        return Decimal(raw) if _SCHEMA_AMOUNT.fullmatch(raw) else None
    if not _AMOUNT.fullmatch(raw.strip()):
        return None
    return Decimal(raw.strip().replace(",", ""))
