"""The structured KP certificate document (`kp-certificate/1`): its schema, validation, composition, and the check of
its fields against what the chain recorded.

The document is what the exporting authority anchors on chain (`documentHash` = its SHA-256) and files with the
backend; every field of KPCS Annex I is in it. The chain holds the public facts (number, route, accounts, weight,
parcels, HS codes, origins, validity, the certificate it replaces); the document adds the particulars (names,
addresses, value in USD, the authority's validation). `disagreements` lists every public fact the document states
otherwise, so that a document claiming "9,999.00 ct, origin CA" is never filed for a 125 ct certificate of
another origin.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from kpledger.core.constants import POINTS_PER_CARAT, carats_text, hs_code, hs_text
from kpledger.core.documents import CERTIFICATE_SCHEMA
from kpledger.core.errors import DocumentDisagreesWithLedger, DocumentInvalid
from kpledger.core.seals import label_matches

SCHEMA_PATH = Path(__file__).with_name("schema") / "kp-certificate-1.schema.json"
MAX_ERRORS = 20  # schema violations reported at most
STATEMENT_FIELD = "statement"
CHECKED_FIELDS = ("number", "exporting_participant", "importing_participant", "carats", "number_of_parcels",
                  "hs_codes", "origin", "issue_date", "expiry_date", "exporter.account", "importer.account",
                  "replaces", "seal.id", "seal.label")
"""The document's fields that the chain also records, in the order a disagreement is reported (`seal.label`: the
label must hash to the consignment's seal id, keccak-256 of its UTF-8 bytes, as the id on the container)."""


@lru_cache
def schema() -> dict[str, Any]:
    """The JSON schema of `kp-certificate/1` (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text())


@lru_cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def parse(body: bytes) -> dict[str, Any]:
    """The certificate document in `body`, validated against the schema; DocumentInvalid (with each violation's
    path and message) otherwise."""
    try:
        content = json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DocumentInvalid(f"a certificate document is a {CERTIFICATE_SCHEMA} JSON document: this is not JSON "
                              f"({exc})", details={"schema": CERTIFICATE_SCHEMA}) from None
    if not isinstance(content, dict) or content.get("schema") != CERTIFICATE_SCHEMA:
        raise DocumentInvalid(f"a certificate document is a JSON object with \"schema\": \"{CERTIFICATE_SCHEMA}\"",
                              details={"schema": CERTIFICATE_SCHEMA})
    errors = sorted(_validator().iter_errors(content), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        violations = [{"path": "/" + "/".join(str(p) for p in e.absolute_path), "message": e.message[:300]}
                      for e in errors[:MAX_ERRORS]]
        raise DocumentInvalid(f"the certificate document breaks its schema ({len(errors)} violation"
                              f"{'s' if len(errors) > 1 else ''}; first: {violations[0]['path']}: "
                              f"{violations[0]['message']})",
                              details={"schema": CERTIFICATE_SCHEMA, "violations": violations,
                                       "count": len(errors)})
    return content


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode(document: dict[str, Any]) -> bytes:
    """The bytes to anchor and file: UTF-8 JSON, keys sorted, two-space indent, a final newline (one document, one
    hash)."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def utc_date(seconds: int) -> str:
    """2026-11-30: the UTC date of a chain time, as the document writes its dates."""
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


# ---------------------------------------------------------------- the chain's side


@dataclass(frozen=True)
class LedgerFacts:
    """What the chain recorded for a certificate (from the index), in the document's terms."""

    number: str
    exporter: str
    importer: str
    points: int
    parcel_count: int
    hs_codes: tuple[int, ...]
    origins: tuple[str, ...]
    issued_at: int
    expires_at: int
    exporter_account: str | None
    importer_account: str | None
    replaces: str | None
    seal_id: str | None

    def expected(self) -> dict[str, Any]:
        """Each checked field as a conforming document states it (the values compared, in the document's form)."""
        return {
            "number": self.number,
            "exporting_participant": self.exporter,
            "importing_participant": self.importer,
            "carats": carats_text(self.points),
            "number_of_parcels": self.parcel_count,
            "hs_codes": sorted(hs_text(code) for code in self.hs_codes),
            "origin": {"mixed": len(self.origins) > 1, "countries": sorted(self.origins)},
            "issue_date": utc_date(self.issued_at),
            "expiry_date": utc_date(self.expires_at),
            "exporter.account": self.exporter_account,
            "importer.account": self.importer_account,
            "replaces": self.replaces,
            "seal.id": self.seal_id,
            "seal.label": self.seal_id,  # compared through its hash (`_same`)
        }


def _stated(document: dict[str, Any], name: str) -> Any:
    """A checked field as the document states it, normalised for comparison."""
    if name in ("exporting_participant", "importing_participant"):
        return document[name]["code"]
    if name == "carats":
        return _carats(document["carats"])
    if name == "hs_codes":
        return sorted(document["hs_codes"])
    if name == "origin":
        return {"mixed": document["origin"]["mixed"], "countries": sorted(document["origin"]["countries"])}
    if "." in name:
        outer, inner = name.split(".")
        return document[outer][inner]
    return document[name]


def _carats(text: str) -> str:
    try:
        return carats_text(int(Decimal(text) * POINTS_PER_CARAT))
    except InvalidOperation:
        return text


def _same(name: str, stated: Any, recorded: Any) -> bool:
    if name == "seal.label":
        return label_matches(stated, recorded)
    if name in ("exporter.account", "importer.account", "seal.id"):
        return isinstance(recorded, str) and stated.lower() == recorded.lower()
    return stated == recorded


def disagreements(document: dict[str, Any], facts: LedgerFacts) -> list[dict[str, Any]]:
    """Every checked field whose value in the (schema-valid) document differs from the chain's: field name, what
    the document states, what the ledger recorded."""
    expected = facts.expected()
    found = []
    for name in CHECKED_FIELDS:
        stated = _stated(document, name)
        if not _same(name, stated, expected[name]):
            found.append({"field": name, "document": stated, "ledger": expected[name]})
    return found


def check(document: dict[str, Any], facts: LedgerFacts) -> None:
    """DocumentDisagreesWithLedger naming each field the document states otherwise than the chain."""
    found = disagreements(document, facts)
    if found:
        names = [d["field"] for d in found]
        raise DocumentDisagreesWithLedger(
            f"the certificate document disagrees with the ledger on {', '.join(names)}: it is not the document of "
            f"certificate {facts.number} as recorded on chain", details={"fields": names, "disagreements": found})


# ---------------------------------------------------------------- composing one


def compose(*, number: str, exporter: tuple[str, str], importer: tuple[str, str], origins: Iterable[str],
            issued_at: int, expires_at: int, authority: tuple[str, str], exporter_party: tuple[str, str, str],
            importer_party: tuple[str, str, str], points: int, value_usd: str | Decimal, parcel_count: int,
            hs_codes: Iterable[int | str], seal: tuple[str, str], officer: str, place: str,
            validated_at: int | None = None, replaces: str | None = None, salt: str | None = None) -> dict[str, Any]:
    """A `kp-certificate/1` document from the facts the authority will sign on chain and the particulars it adds.

    `exporter`/`importer`: (ISO code, participant name); `authority`: (name, postal address); `exporter_party`,
    `importer_party`: (legal name, postal address, ledger account); `seal`: (label, bytes32 id). The salt is random
    unless given. The result is checked against the schema."""
    countries = sorted(set(origins))
    value = Decimal(str(value_usd))
    document = {
        "schema": CERTIFICATE_SCHEMA,
        "title": schema()["properties"]["title"]["const"],
        STATEMENT_FIELD: schema()["properties"][STATEMENT_FIELD]["const"],
        "number": number,
        "exporting_participant": {"code": exporter[0], "name": exporter[1]},
        "importing_participant": {"code": importer[0], "name": importer[1]},
        "origin": {"mixed": len(countries) > 1, "countries": countries},
        "issue_date": utc_date(issued_at),
        "expiry_date": utc_date(expires_at),
        "issuing_authority": {"name": authority[0], "address": authority[1]},
        "exporter": {"name": exporter_party[0], "address": exporter_party[1], "account": exporter_party[2]},
        "importer": {"name": importer_party[0], "address": importer_party[1], "account": importer_party[2]},
        "carats": carats_text(points),
        "value_usd": f"{value:.2f}",
        "number_of_parcels": parcel_count,
        "hs_codes": sorted(hs_text(hs_code(code)) for code in set(hs_codes)),
        "seal": {"id": seal[1], "label": seal[0]},
        "validation": {"officer": officer, "place": place,
                       "date": utc_date(issued_at if validated_at is None else validated_at)},
        "replaces": replaces or None,
        "salt": salt or secrets.token_hex(16),
    }
    return parse(encode(document))
