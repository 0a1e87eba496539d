"""Response schema of an account's inbox (`GET /v1/accounts/{address}/inbox`): public ledger facts only."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kpledger.api.schemas.reads import NAME, SEAL_LABEL, CertificatePublic, ParticipantPublic

Address = str
Hash = str
CARATS = "weight in carats, an exact decimal with 2 places (points / 100)"
PARTICIPANT = "ISO code of the account's participant; null if it is a member of none"
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class OfferItem(BaseModel):
    """A pending hand-off: the lot, who offered it to whom, under which seal id."""

    lot_id: int
    from_: Address = Field(alias="from")
    from_name: str | None = Field(description=NAME)
    from_participant: str | None = Field(description=PARTICIPANT)
    to: Address
    to_name: str | None = Field(description=NAME)
    to_participant: str | None = Field(description=PARTICIPANT)
    seal_id: Hash = Field(description="the seal id the sender declared")
    seal_label: str | None = Field(description=SEAL_LABEL)
    kind: str = Field(description="parcel | consignment")
    points: int
    carats: str = Field(description=CARATS)
    parcel_count: int
    hs_codes: list[int]
    origins: list[str]
    status: str
    certificate: str | None = Field(description="number of the consignment's certificate, if any")


class ConsignmentNeedingCertificate(BaseModel):
    consignment_id: int
    holder: Address
    holder_name: str | None = Field(description=NAME)
    holder_participant: str | None = Field(description=PARTICIPANT)
    seal_id: Hash
    seal_label: str | None = Field(description=SEAL_LABEL)
    points: int
    carats: str = Field(description=CARATS)
    parcel_ids: list[int]
    parcel_count: int
    hs_codes: list[int]
    origins: list[str]
    offered_to: Address | None
    offered_to_name: str | None = Field(description=NAME)


class HeldParcel(BaseModel):
    id: int
    points: int
    carats: str = Field(description=CARATS)
    stones: int
    hs_code: int
    origins: list[str]
    document_hash: Hash
    offered: bool = Field(description="an offer of this parcel is pending")


class HeldConsignment(BaseModel):
    id: int
    status: str = Field(description="sealed | compromised")
    seal_id: Hash
    seal_label: str | None = Field(description=SEAL_LABEL)
    points: int
    carats: str = Field(description=CARATS)
    parcel_ids: list[int]
    hs_codes: list[int]
    origins: list[str]
    offered: bool
    certificate: CertificatePublic | None


class InboxCounts(BaseModel):
    offers_to_me: int
    my_offers: int
    my_consignments_needing_certificate: int
    exporters_consignments_needing_certificate: int
    certificates_to_confirm: int
    certificates_issued_open: int
    parcels: int
    consignments: int


class Inbox(BaseModel):
    """What waits for an account; each list holds at most `limit` items, `counts` the full numbers."""

    address: Address
    member: bool = Field(description="the account holds a role in a participant")
    name: str | None = Field(description="the account's own public name (" + NAME + ")")
    licence_number: str | None = Field(description="its national licence number (operators)")
    participant: ParticipantPublic | None
    roles: list[str]
    governance: bool | None = Field(description="the account is the registry's governance (None: chain unreachable)")
    limit: int
    counts: InboxCounts
    offers_to_me: list[OfferItem]
    my_offers: list[OfferItem]
    my_consignments_needing_certificate: list[ConsignmentNeedingCertificate]
    exporters_consignments_needing_certificate: list[ConsignmentNeedingCertificate] = Field(
        description="for an authority: sealed consignments of its participant's exporters without a live certificate")
    certificates_to_confirm: list[CertificatePublic] = Field(
        description="for an authority: certificates of imports into its participant that crossed, unconfirmed")
    certificates_issued_open: list[CertificatePublic] = Field(
        description="for an authority: its participant's certificates issued, unused and unexpired (voidable)")
    parcels: list[HeldParcel] = Field(description="live parcels the account holds, not sealed")
    consignments: list[HeldConsignment] = Field(description="consignments the account holds, not opened")
