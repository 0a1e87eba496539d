"""Response schemas of the read API (what buyers, observers and participants see)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

Address = str
Hash = str
NAME = "the public name of the account (an operator's licensed legal name, an authority's name); null if it has none"
SEAL_LABEL = ("the label printed on the seal, whose keccak-256 is the seal id (checked before the ledger kept it); "
              "null when the ledger never learnt it (a write made directly on chain)")


class ParticipantPublic(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-2 code (EU for the European Union)")
    name: str
    index: int
    status: str = Field(description="active | suspended")


class MemberPublic(BaseModel):
    address: Address
    participant: str
    roles: list[str]
    name: str | None = Field(description="legal name it is licensed under (an authority: its public name)")
    licence_number: str | None = Field(description="national licence number (operators)")
    registry_ref: str | None = Field(description="country registry reference, if the authority gave one")


class ProfileChange(BaseModel):
    name: str
    licence_number: str
    registry_ref: str
    changed_by: Address
    block: int
    tx_hash: Hash
    timestamp: int


class AccountDetail(MemberPublic):
    profile_changes: list[ProfileChange] = Field(description="every public profile it had, oldest first")


class ParticipantDetail(ParticipantPublic):
    members: list[MemberPublic]


class MembersFound(BaseModel):
    participant: str
    query: str
    data: list[MemberPublic] = Field(description="the first `limit` matches, by name")
    count: int = Field(description="how many members match in all")


class ParticipantsPublic(BaseModel):
    data: list[ParticipantPublic]
    count: int


class OfferPublic(BaseModel):
    to: Address
    to_name: str | None = Field(description=NAME)
    from_: Address = Field(alias="from")
    from_name: str | None = Field(description=NAME)
    seal_id: Hash
    seal_label: str | None = Field(description=SEAL_LABEL)


class ParcelPublic(BaseModel):
    id: int
    kind: str = "parcel"
    holder: Address
    holder_name: str | None = Field(description=NAME)
    holder_participant: str | None
    points: int = Field(description="weight in hundredths of a carat")
    carats: str = Field(description="weight in carats, an exact decimal with 2 places (points / 100)")
    stones: int
    hs_code: int
    origins: list[str] = Field(description="mining countries (more than one: mixed origin)")
    mixed_origin: bool
    status: str = Field(description="live | closed (split or merged)")
    consignment_id: int | None = Field(description="the sealed consignment it travels in, if any")
    sealed: bool
    document_hash: Hash
    created_by: str
    created_block: int
    created_tx: Hash
    created_at: int
    offer: OfferPublic | None


class Discrepancy(BaseModel):
    reason: int | None
    reason_text: str
    evidence_hash: Hash | None
    authority: Address | None
    authority_name: str | None = Field(description="the importing authority's public name")
    timestamp: int
    block: int
    tx: Hash


class Resolution(BaseModel):
    authority: Address | None
    authority_name: str | None = Field(description="the importing authority's public name")
    timestamp: int
    block: int
    tx: Hash


class CertificatePublic(BaseModel):
    number: str
    key: Hash
    status: str = Field(description="issued | delivered | confirmed | disputed | voided | expired")
    consignment_id: int
    exporter: str
    importer: str
    points: int
    carats: str = Field(description="weight in carats, an exact decimal with 2 places (points / 100)")
    parcel_count: int
    hs_codes: list[int]
    origins: list[str]
    mixed_origin: bool
    issued_at: int
    expires_at: int
    document_hash: Hash
    issued_by: Address
    issued_by_name: str | None = Field(description="the issuing authority's public name")
    issued_block: int = Field(description="block of the transaction that anchored it")
    issued_tx: Hash
    exporter_account: Address | None = Field(description="the exporter bound at issue: the only possible sender")
    exporter_name: str | None = Field(description=NAME)
    importer_account: Address | None = Field(description="the importer bound at issue: the only possible recipient")
    importer_name: str | None = Field(description=NAME)
    replaces: str | None = Field(description="number of the voided certificate this one corrects")
    superseded_by: str | None = Field(description="number of the certificate that corrects this (voided) one")
    discrepancy: Discrepancy | None = Field(description="the last discrepancy recorded, kept after its resolution")
    resolution: Resolution | None = Field(description="the import confirmation that resolved the discrepancy")
    history: list[dict[str, Any]]


class DocumentStatus(BaseModel):
    filed: bool = Field(description="the certificate's document is filed with this backend")
    printed_sha256: Hash | None = Field(description="SHA-256 of the PDF printed from the filed document: a PDF "
                                                    "with this hash is that print, unaltered")


class CertificateDetail(CertificatePublic):
    parcels: list[ParcelPublic]
    seal_id: Hash | None = Field(description="the seal of the consignment the certificate covers")
    seal_label: str | None = Field(description=SEAL_LABEL + "; from the consignment's sealing or the filed document")
    document: DocumentStatus


class ConsignmentPublic(BaseModel):
    id: int
    kind: str = "consignment"
    holder: Address
    holder_name: str | None = Field(description=NAME)
    holder_participant: str | None
    seal_id: Hash
    seal_label: str | None = Field(description=SEAL_LABEL)
    status: str = Field(description="sealed | opened | compromised")
    points: int
    carats: str = Field(description="weight in carats, an exact decimal with 2 places (points / 100)")
    parcel_ids: list[int]
    origins: list[str]
    hs_codes: list[int]
    created_block: int
    created_tx: Hash
    created_at: int
    offer: OfferPublic | None
    certificate: CertificatePublic | None


class CustodyStepPublic(BaseModel):
    lot_id: int
    kind: str
    from_: Address | None = Field(alias="from")
    from_name: str | None = Field(description=NAME)
    to: Address | None
    to_name: str | None = Field(description=NAME)
    from_country: str | None
    to_country: str | None
    seal_id: Hash | None
    seal_label: str | None = Field(description=SEAL_LABEL)
    certificate_key: Hash | None
    reason: int | None
    block: int
    log_index: int
    tx_hash: Hash
    timestamp: int


class LineageEdge(BaseModel):
    from_: int = Field(alias="from")
    to: int
    kind: str


class Lineage(BaseModel):
    nodes: list[ParcelPublic]
    edges: list[LineageEdge]
    roots: list[int] = Field(description="parcels registered at the mines")


class Verdict(BaseModel):
    status: str = Field(description="ok | incomplete")
    summary: str
    problems: list[str]
    notes: list[str]


class Provenance(BaseModel):
    parcel: ParcelPublic
    timeline: list[CustodyStepPublic]
    lineage: Lineage
    certificates: list[CertificatePublic]
    crossings: list[CustodyStepPublic]
    country_path: list[str]
    origins: list[str]
    verdict: Verdict


class DocumentMatch(BaseModel):
    kind: str = Field(description="certificate | parcel")
    reference: str = Field(description="the certificate's number or the parcel's id")
    status: str | None = Field(None, description="the record's status as its read gives it")
    match: str = Field("document", description="document: the document it anchored | print: the ledger's print of a "
                                               "certificate's filed document")


class FileVerdict(BaseModel):
    """Is this file genuine, and is it still good? The same words on every surface (kpledger.queries.verdicts)."""

    code: str = Field(description="not-genuine | other-record (genuine, but not of the record looked at) | valid | "
                                  "used | confirmed | disputed | voided | superseded | expired (a certificate) | "
                                  "parcel-live | parcel-sealed | parcel-closed (a parcel)")
    genuine: bool = Field(description="the file is a document anchored on the ledger or the ledger's print of one")
    good: bool = Field(description="genuine, of the record looked at, and that record still counts")
    tone: str = Field(description="ok | warn | bad: how the pages colour it")
    headline: str
    file_words: str = Field(description="what the file is")
    status_words: str | None = Field(description="the record's status now, in words")
    words: str = Field(description="headline, what the file is and the status: what every surface says")
    subject: str | None = Field(description="the record looked at, in words (none: any record)")
    record: DocumentMatch | None = Field(description="the record the verdict is about")
    others: list[DocumentMatch] = Field(description="other records the same file belongs to")


class VerifyResult(BaseModel):
    sha256: Hash
    matches: bool = Field(description="the file is genuine and of the record asked about (any record: genuine)")
    anchored: Hash | None = Field(None, description="the document hash anchored on chain by the record asked about")
    found: list[DocumentMatch] = Field([], description="every record the file is the document or the print of")
    verdict: FileVerdict
