"""Is this file genuine, and is it still good? The one verdict on a file, from its SHA-256 alone (the pages and `kp`
hash the file where it is and send only the hash; `POST /v1/verify` hashes the body it is sent).

The file is genuine when it is the document a record anchored on chain (a certificate's or a parcel's) or the
ledger's print of a certificate's filed document (`PRINTED`). The verdict says which record it is and that record's
status now, in words and as a stable code; given the record a person is looking at (a certificate, a parcel, or a
lot's page with its lineage and certificates), it also says when the file is another record's. Every surface shows
these words: the API's `verdict`, the viewer's two document checks, `kp certificate verify`, `kp document verify` and
`kp verify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.core.constants import REASONS
from kpledger.core.status import STATUS, reading_status
from kpledger.db import models as m
from kpledger.queries.certificates import PRINTED, certificate_row
from kpledger.queries.documents import parcel_row
from kpledger.queries.provenance import provenance
from kpledger.queries.views import certificate_status, corrections

Screen = Literal["certificate", "parcel", "lot"]
"""What a person is looking at: a certificate (its number), a parcel (its id), or a lot's page (a parcel with its
lineage and the certificates on its way, or a consignment with its parcels and certificates)."""

# code -> (tone, good): "good" is genuine, of the record looked at, and a record that still counts (exit 0 in `kp`)
VERDICTS: Final[dict[str, tuple[str, bool]]] = {
    "not-genuine": ("bad", False),
    "other-record": ("bad", False),
    "valid": ("ok", True),
    "used": ("warn", True),
    "confirmed": ("ok", True),
    "disputed": ("warn", True),
    "voided": ("bad", False),
    "superseded": ("bad", False),
    "expired": ("bad", False),
    "parcel-live": ("ok", True),
    "parcel-sealed": ("ok", True),
    "parcel-closed": ("ok", True),
}
# a certificate's status as a person reads it (kpledger.core.status) -> its verdict code
CERTIFICATE_CODES: Final = {"issued": "valid", "delivered": "used", "confirmed": "confirmed", "disputed": "disputed",
                            "voided": "voided", "superseded": "superseded", "expired": "expired"}
HEADLINES: Final = {
    "not-genuine": "✗ Not genuine",
    "other-record": "✗ Genuine, but not of {subject}",
    "valid": "✓ Genuine, and valid",
    "used": "● Genuine; used, import not yet confirmed",
    "confirmed": "✓ Genuine; import confirmed",
    "disputed": "⚠ Genuine, but disputed",
    "voided": "✗ Genuine, but voided",
    "superseded": "✗ Genuine, but superseded by {by}",
    "expired": "✗ Genuine, but expired",
    "parcel-live": "✓ Genuine",
    "parcel-sealed": "✓ Genuine",
    "parcel-closed": "✓ Genuine",
}
NOT_GENUINE: Final = ("This file is not the document of any certificate or parcel on this ledger, nor the ledger's "
                      "print of one.")


@dataclass(frozen=True)
class Match:
    """A record the file belongs to: a certificate (its number) or a parcel (its id), as its anchored `document` or
    as the ledger's `print`."""

    kind: Literal["certificate", "parcel"]
    reference: str
    match: Literal["document", "print"]
    record: m.Certificate | m.Parcel

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.reference

    @property
    def status(self) -> str:
        """The record's status as its read gives it (a certificate: issued ... expired; a parcel: live | closed)."""
        return certificate_status(self.record) if isinstance(self.record, m.Certificate) else self.record.status

    def what(self) -> str:
        if self.kind == "parcel":
            return f"the document anchored for parcel {self.reference}"
        if self.match == "print":
            return f"the ledger's print of certificate {self.reference}, unaltered"
        return f"the certificate document of {self.reference} anchored on the ledger"


def matches_of(s: Session, digest: str) -> list[Match]:
    """Every record whose anchored document, or whose ledger print, has this SHA-256: certificates first."""
    certs = s.execute(select(m.Certificate).where(m.Certificate.document_hash == digest)
                      .order_by(m.Certificate.issued_block)).scalars().all()
    printed = s.execute(select(m.Document.reference).where(m.Document.kind == PRINTED,
                                                           m.Document.sha256 == digest)).scalars().all()
    prints = s.execute(select(m.Certificate).where(m.Certificate.number.in_(printed))
                       .order_by(m.Certificate.issued_block)).scalars().all() if printed else []
    parcels = s.execute(select(m.Parcel).where(m.Parcel.document_hash == digest).order_by(m.Parcel.id)).scalars()
    return ([Match("certificate", c.number, "document", c) for c in certs]
            + [Match("certificate", c.number, "print", c) for c in prints]
            + [Match("parcel", str(p.id), "document", p) for p in parcels])


def on_screen(s: Session, kind: Screen, reference: str) -> tuple[str, set[tuple[str, str]], str | None]:
    """What a person looks at: how to name it, the records it shows, and the hash it anchored (a certificate, a
    parcel); NotFound if there is no such record."""
    if kind == "certificate":
        cert = certificate_row(s, reference)
        return f"certificate {cert.number}", {("certificate", cert.number)}, cert.document_hash
    lot_id = int(reference)
    if kind == "parcel":
        return f"parcel {lot_id}", {("parcel", str(lot_id))}, parcel_row(s, lot_id).document_hash
    consignment = s.get(m.Consignment, lot_id)
    if consignment is None:  # a parcel's page: the parcel, its lineage, the certificates on its way
        page = provenance(s, lot_id)
        records = {("parcel", str(p["id"])) for p in page["lineage"]["nodes"]}
        records |= {("certificate", c["number"]) for c in page["certificates"]}
        return f"parcel {lot_id}, its lineage or the certificates on its way", records, None
    numbers = s.execute(select(m.Certificate.number).where(m.Certificate.consignment_id == lot_id)).scalars()
    records = {("parcel", str(p)) for p in consignment.parcel_ids} | {("certificate", n) for n in numbers}
    return f"consignment {lot_id}, its parcels or its certificate", records, None


def _voided_for(cert: m.Certificate) -> int | None:
    entry = next((e for e in reversed(cert.history) if e["event"] == "CertificateVoided"), None)
    return None if entry is None else entry.get("reason")


def _reason(code: int | None) -> str:
    return f"{REASONS.get(code or 0, 'unknown reason')} (code {code})"


def _certificate_now(cert: m.Certificate, status: str) -> str:
    headline, meaning = STATUS[status]
    words = f"Certificate {cert.number}: {headline} — {meaning}."
    if status in ("voided", "superseded"):
        words += f" Voided for: {_reason(_voided_for(cert))}."
    if status == "superseded":
        words += f" Replaced by {cert.superseded_by}."
    discrepancy, _ = corrections(cert.history)
    if status == "disputed" and discrepancy is not None:
        words += f" Discrepancy recorded: {_reason(discrepancy['reason'])}."
    return words


def _parcel_now(s: Session, parcel: m.Parcel) -> tuple[str, str]:
    if parcel.status == "closed":
        links = s.execute(select(m.ParcelLink).where(m.ParcelLink.parent_id == parcel.id)
                          .order_by(m.ParcelLink.child_id)).scalars().all()
        into = ", ".join(f"parcel {link.child_id}" for link in links)
        how = "merged" if links and links[0].kind == "merge" else "split"
        return "parcel-closed", (f"Parcel {parcel.id} is closed: {how} into {into or 'other parcels'}; its document "
                                 f"describes it before that.")
    if parcel.sealed and parcel.consignment_id is not None:
        return "parcel-sealed", f"Parcel {parcel.id} is sealed in consignment {parcel.consignment_id}."
    return "parcel-live", f"Parcel {parcel.id} is live: not split, merged or sealed."


def _record(found: Match) -> dict[str, Any]:
    return {"kind": found.kind, "reference": found.reference, "match": found.match, "status": found.status}


def verdict(s: Session, digest: str, screen: tuple[Screen, str] | None = None) -> dict[str, Any]:
    """The verdict on the file whose SHA-256 is `digest`, for a person looking at `screen` (kind, reference) or at
    nothing in particular; with the fields of the API's earlier answer (`matches`, `anchored`, `found`)."""
    digest = digest.lower()
    subject, shown, anchored = on_screen(s, *screen) if screen is not None else (None, None, None)
    found = matches_of(s, digest)
    ours = [f for f in found if shown is None or f.key in shown]
    # the record looked at itself first (a lot's page: its parcel), then any other record on the page, then any
    itself = None if screen is None else ("parcel" if screen[0] == "lot" else screen[0], screen[1])
    primary = next((f for f in ours if f.key == itself), None)
    primary = primary or (ours[0] if ours else found[0] if found else None)
    now = None
    if primary is None:
        code = "not-genuine"
    elif isinstance(primary.record, m.Certificate):
        status = reading_status(primary.status, primary.record.superseded_by)
        code, now = CERTIFICATE_CODES[status], _certificate_now(primary.record, status)
    else:
        code, now = _parcel_now(s, primary.record)
    if primary is not None and primary not in ours:
        code = "other-record"
    tone, good = VERDICTS[code]
    by = primary.record.superseded_by if primary is not None and isinstance(primary.record, m.Certificate) else None
    headline = HEADLINES[code].format(subject=subject, by=by)
    if primary is None:
        file_words = NOT_GENUINE
    else:
        also = [f.what() for f in found if f is not primary]
        file_words = f"This file is {primary.what()}" + (f"; also {', '.join(also)}" if also else "") + "."
    words = f"{headline}. {file_words}" + (f" {now}" if now else "")
    result = {
        "code": code, "genuine": primary is not None, "good": good, "tone": tone, "headline": headline,
        "file_words": file_words, "status_words": now, "words": words, "subject": subject,
        "record": None if primary is None else _record(primary),
        "others": [_record(f) for f in found if f is not primary],
    }
    if screen is None:
        anchored = None if primary is None else (
            primary.record.document_hash if primary.match == "print" else digest)
    return {"sha256": digest, "matches": primary is not None and code != "other-record", "anchored": anchored,
            "found": [_record(f) for f in found], "verdict": result}
