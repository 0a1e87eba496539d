"""GS1 EPCIS 2.0 / CBV 2.0 terms the export uses, and how the ledger's events and reason codes map onto them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from kpledger.core.constants import REASONS

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SCHEMA_VERSION = "2.0"
CBV = "https://ref.gs1.org/cbv/"
CARAT = "CTM"  # UN/CEFACT Recommendation 20 code of the metric carat (200 mg)
# EPCIS 2.0 user vocabulary types (master data): parties (source / destination of type owning_party,
# possessing_party), places (bizLocation, readPoint, source / destination of type location), lots (epcClass)
PARTY_VTYPE = "urn:epcglobal:epcis:vtype:Party"
LOCATION_VTYPE = "urn:epcglobal:epcis:vtype:Location"
BUSINESS_LOCATION_VTYPE = "urn:epcglobal:epcis:vtype:BusinessLocation"
READ_POINT_VTYPE = "urn:epcglobal:epcis:vtype:ReadPoint"
CLASS_VTYPE = "urn:epcglobal:epcis:vtype:EPCClass"
# CBV location and party master data attributes: the name of the party or place, its ISO 3166-1 alpha-2 country
MDA_NAME = "urn:epcglobal:cbv:mda#name"
MDA_COUNTRY = "urn:epcglobal:cbv:mda#countryCode"

# the ledger event (`events.name`) -> the EPCIS event type and CBV business step it becomes; events not listed
# here (registry changes, CertificateUsed, whose crossing the receiving event already carries) export nothing
EVENT_KINDS: dict[str, tuple[str, str | None]] = {
    "ParcelRegistered": ("ObjectEvent", "commissioning"),
    "ParcelSplit": ("TransformationEvent", "repackaging"),
    "ParcelsMerged": ("TransformationEvent", "repackaging"),
    "ConsignmentSealed": ("AggregationEvent", "packing"),
    "ConsignmentOpened": ("AggregationEvent", "unpacking"),
    "CustodyOffered": ("ObjectEvent", "shipping"),
    "CustodyOfferWithdrawn": ("ObjectEvent", "void_shipping"),
    "CustodyRejected": ("ObjectEvent", "receiving"),
    "CustodySealMismatch": ("ObjectEvent", "receiving"),
    "CustodyTransferred": ("ObjectEvent", "receiving"),
    "CertificateIssued": ("TransactionEvent", None),
    "ImportConfirmed": ("ObjectEvent", "inspecting"),
    "ImportDiscrepancy": ("ObjectEvent", "inspecting"),
    "CertificateVoided": ("TransactionEvent", None),  # the issuing event again, with an errorDeclaration
}
EVENT_TYPES = frozenset(kind for kind, _ in EVENT_KINDS.values())

# the CBV disposition of goods refused or disputed for that reason
REASON_DISPOSITIONS = {1: "non_conformant", 2: "mismatch_quantity", 3: "mismatch_class", 4: "damaged", 5: "returned"}
# a void declares the issuing event wrong: never valid (issued in error) or valid but with wrong data
VOID_ERROR_REASONS = {6: "did_not_occur"}


def reason_disposition(code: int) -> str:
    return REASON_DISPOSITIONS.get(code, "non_conformant")


def void_error_reason(code: int) -> str:
    return VOID_ERROR_REASONS.get(code, "incorrect_data")


def reason(code: int) -> dict[str, Any]:
    return {"kp:code": code, "kp:label": REASONS.get(code, "unspecified")}


def cbv_word(value: str, family: str) -> str:
    """A CBV value given as its full URI (`https://ref.gs1.org/cbv/BizStep-shipping`) as its bare word."""
    prefix = f"{CBV}{family}-"
    return value[len(prefix):] if value.startswith(prefix) else value


def carats(points: int) -> float:
    """Points (hundredths of a carat) as carats: the float's shortest form is the exact two-decimal value."""
    return points / 100


def carat_value(points: int) -> dict[str, Any]:
    """A weight as a GS1 Web Vocabulary quantitative value in carats."""
    return {"gs1:value": carats(points), "gs1:unitCode": CARAT}


def timestamp(seconds: int) -> str:
    """A block time as an EPCIS date-time (UTC, milliseconds)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def hs_code(code: int) -> str:
    """The six-digit HS code written the customs way (7102.31)."""
    text = f"{code:06d}"
    return f"{text[:4]}.{text[4:]}"


def json_strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (an event, a declaration), depth first, keys left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
