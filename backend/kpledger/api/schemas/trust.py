"""The trust list (`GET /v1/trust-list`): who may issue KP certificates, per participant, as the ledger's registry says
at one block; what the offline verifier (`/verify/`) caches to check a certificate's signature without the network."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
HASH = r"^0x[0-9a-fA-F]{64}$"


class TrustedAuthority(BaseModel):
    address: str = Field(pattern=ADDRESS, description="the authority's account: the signer an issue's EIP-712 "
                                                      "signature recovers to")
    name: str | None = Field(max_length=120, description="its public name on the ledger (null if it has none)")


class IssuedBefore(BaseModel):
    number: str = Field(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$")
    document_hash: str = Field(pattern=HASH, description="the SHA-256 of the certificate's document, as anchored")


class FormerAuthority(BaseModel):
    """An account that held the authority role and was dismissed: its signature on a certificate is accepted only
    for the certificates listed, issued on the ledger before the dismissal and not expired or voided when the list
    was read (a dismissed authority's key may be the reason for its dismissal)."""

    address: str = Field(pattern=ADDRESS)
    name: str | None = Field(max_length=120, description="its public name on the ledger (null if it has none)")
    since: int = Field(ge=0, description="when it last became an authority (Unix seconds)")
    until: int = Field(ge=0, description="when it was dismissed (Unix seconds)")
    certificates: list[IssuedBefore] = Field(max_length=100_000, description="the certificates it issued that were "
                                             "neither expired nor voided when the list was read")


class TrustedParticipant(BaseModel):
    code: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code (EU for the European Union)")
    name: str = Field(max_length=200, description="the participant's name on the ledger")
    status: Literal["active", "suspended"] = Field(description="admitted and active, or suspended: a suspended "
                                                               "participant's authorities issue nothing")
    authorities: list[TrustedAuthority] = Field(max_length=1000, description="its accounts holding the authority "
                                                                             "role, by address")
    former_authorities: list[FormerAuthority] = Field(default_factory=list, max_length=1000, description=(
        "its accounts that held the authority role and no longer do, with their certificates still in force"))


class ReadAt(BaseModel):
    number: int = Field(ge=0, description="the last block the index had read fully")
    hash: str = Field(pattern=HASH, description="that block's hash: compare with the chain's block of that number")
    timestamp: int | None = Field(ge=0, description="that block's time (Unix seconds) when the index knows it "
                                                  "(a block with events), else null")


class SigningDomain(BaseModel):
    name: Literal["KPCertificates"] = "KPCertificates"
    version: str = Field(max_length=8)
    chain_id: int = Field(ge=1)
    verifying_contract: str = Field(pattern=ADDRESS, description="the KPCertificates contract")


class VoidedCertificate(BaseModel):
    number: str = Field(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$")
    superseded_by: str | None = Field(max_length=32, description="the certificate that replaced it, if one did")


class TrustList(BaseModel):
    """The authorities per participant, read from the index at one block, and the EIP-712 domain their issue
    signatures are made in."""

    block: ReadAt
    domain: SigningDomain
    participants: list[TrustedParticipant] = Field(max_length=300)
    count: int = Field(ge=0, description="how many participants")
    voided: list[VoidedCertificate] = Field(max_length=1_000_000, description="every certificate voided on the "
                                            "ledger at that block (a revocation list: a void after it is unknown to a "
                                            "client offline)")
