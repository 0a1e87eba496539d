"""The structured KP certificate document (`kp-certificate/1`): its schema, validation, composition, and the check of
its fields against what the chain recorded (at filing) or will record (the terms an authority is about to sign).

The document is what the exporting authority anchors on chain (`documentHash` = its SHA-256) and files with the
backend; every field of KPCS Annex I is in it. The chain holds the public facts (number, route, accounts, weight,
parcels, HS codes, origins, validity, the certificate it replaces); the document adds the particulars (names,
addresses, value in USD, the authority's validation). `disagreements` lists every public fact the document states
otherwise, so that a document claiming "9,999.00 ct, origin CA" is never filed for a 125 ct certificate of
another origin.

`kp certificate compose / issue` and the API's compose and check endpoints (the console's) call the same functions
here: `compose_from_ledger` (the ledger's facts plus the authority's particulars), `facts_of_terms` and
`check_terms` (a document against the terms before anything is signed), `check` (against the chain, at filing).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from kpledger.core.constants import POINTS_PER_CARAT, carats_text, hs_code, hs_text
from kpledger.core.document_facts import CERTIFICATE_SCHEMA
from kpledger.core.errors import Conflict, DocumentDisagreesWithLedger, DocumentInvalid, InvalidRequest
from kpledger.core.seals import SEAL_LABEL_MAX_LENGTH, is_label, label_matches, seal_id_of

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


# ---------------------------------------------------------------- the terms an authority is about to sign


def facts_of_terms(terms: Mapping[str, Any], consignment: Mapping[str, Any]) -> LedgerFacts:
    """What the chain will record for a certificate issued on `terms` over `consignment`: the facts its document
    must state, as `check` will compare them when it is filed.

    `terms`: an IssueCertificate intent's message (number, importer, importerAccount, points, parcelCount, hsCodes,
    origins, issuedAt, expiresAt, replaces; documentHash is not needed); `consignment`: its read (holder,
    holder_participant, seal_id), the exporter and the seal the chain takes from it."""
    return LedgerFacts(
        number=terms["number"], exporter=consignment["holder_participant"], importer=terms["importer"],
        points=int(terms["points"]), parcel_count=int(terms["parcelCount"]),
        hs_codes=tuple(int(code) for code in terms["hsCodes"]), origins=tuple(terms["origins"]),
        issued_at=int(terms["issuedAt"]), expires_at=int(terms["expiresAt"]),
        exporter_account=consignment["holder"], importer_account=terms["importerAccount"],
        replaces=terms["replaces"] or None, seal_id=consignment["seal_id"])


def check_terms(document: dict[str, Any], facts: LedgerFacts) -> None:
    """Refuses, before anything is signed, a document that the ledger would refuse to file for these facts
    (`facts_of_terms`): DocumentDisagreesWithLedger with the same details as at filing (each field, what the
    document states, what the certificate will record)."""
    found = disagreements(document, facts)
    if found:
        names = [d["field"] for d in found]
        hint = " (the document's dates are those of the day it was composed: compose it again today)" \
            if "issue_date" in names else ""
        raise DocumentDisagreesWithLedger(
            f"the document disagrees with the certificate you are issuing on {', '.join(names)}{hint}: nothing was "
            "signed", details={"fields": names, "disagreements": found})


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


@dataclass(frozen=True)
class Particulars:
    """What the exporting authority adds to the ledger's facts in a certificate's document: the seal's label as
    written on the container, the value in USD (confidential), the postal addresses and the validation."""

    seal_label: str
    value_usd: str
    authority_address: str
    exporter_address: str
    importer_address: str
    officer: str
    place: str


def compose_from_ledger(*, number: str, consignment: Mapping[str, Any], importer: Mapping[str, Any],
                        participant_names: Mapping[str, str], authority_name: str | None, particulars: Particulars,
                        issued_at: int, expires_at: int, replaces: str | None = None,
                        salt: str | None = None) -> dict[str, Any]:
    """The `kp-certificate/1` document of a certificate about to be issued over a sealed consignment: the weight,
    parcels, HS codes, origins, exporter and seal from the consignment's read, the importer from its account's read,
    the participants' names from the registry, and the authority's particulars.

    Refuses a consignment that is not sealed (409 ConsignmentNotSealed), a seal label whose id is not the
    consignment's (SealMismatch), and parties without a public name on the ledger (NoPublicName)."""
    if consignment.get("kind", "consignment") != "consignment" or consignment.get("status") != "sealed":
        raise Conflict(f"consignment {consignment.get('id')} is {consignment.get('status')}: a certificate covers a "
                       "sealed consignment", code="ConsignmentNotSealed",
                       details={"consignment_id": consignment.get("id"), "status": consignment.get("status")})
    if not re.fullmatch(schema()["properties"]["value_usd"]["pattern"], particulars.value_usd):
        raise InvalidRequest(f"the value in USD {particulars.value_usd!r} is not a plain decimal with at most 2 "
                             "decimals (41300000.00)", details={"field": "value_usd"})
    label = particulars.seal_label
    if not is_label(label):
        raise InvalidRequest(f"{label!r} cannot be a seal's label: 1 to {SEAL_LABEL_MAX_LENGTH} printable "
                             "characters", code="SealMismatch",
                             details={"consignment_seal_id": consignment["seal_id"]})
    label_id = seal_id_of(label)  # the document's seal.label is checked through this hash, at filing as here
    if not label_matches(label, consignment["seal_id"]):
        hint = " (give the label written on the seal, not its id)" \
            if label.lower() == str(consignment["seal_id"]).lower() else ""
        raise InvalidRequest(f"the seal {label!r} is not the seal of consignment {consignment.get('id')} "
                             f"({consignment['seal_id']}){hint}", code="SealMismatch",
                             details={"seal_id": label_id, "consignment_seal_id": consignment["seal_id"]})
    missing = [role for role, name in (("exporter", consignment.get("holder_name")), ("importer", importer.get("name")),
                                       ("issuing authority", authority_name)) if not name]
    if missing:
        raise InvalidRequest(f"the {' and the '.join(missing)} must be named on the ledger (licensed or appointed "
                             "under a public name)", code="NoPublicName",
                             details={"missing": missing, "exporter": consignment.get("holder"),
                                      "importer": importer.get("address")})
    exporting, importing = consignment["holder_participant"], importer["participant"]
    assert authority_name  # for the type checker: refused above when missing
    return compose(
        number=number.upper(), exporter=(exporting, participant_names[exporting]),
        importer=(importing, participant_names[importing]), origins=consignment["origins"], issued_at=issued_at,
        expires_at=expires_at, authority=(authority_name, particulars.authority_address),
        exporter_party=(consignment["holder_name"], particulars.exporter_address, consignment["holder"]),
        importer_party=(importer["name"], particulars.importer_address, importer["address"]),
        points=consignment["points"], value_usd=particulars.value_usd, parcel_count=len(consignment["parcel_ids"]),
        hs_codes=consignment["hs_codes"], seal=(label, label_id), officer=particulars.officer,
        place=particulars.place, replaces=(replaces or "").upper() or None, salt=salt)
