"""Read API: participants, parcels, consignments, certificates, provenance, document verification."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Annotated, Any, Literal

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path, Query, Request

from kpledger.api.deps import DbDep, ServicesDep
from kpledger.api.schemas.errors import BODY, errors
from kpledger.api.schemas.reads import (
    AccountDetail,
    CertificateDetail,
    ConsignmentPublic,
    MembersFound,
    ParcelPublic,
    ParticipantDetail,
    ParticipantsPublic,
    Provenance,
    VerifyResult,
)
from kpledger.api.schemas.trust import TrustList
from kpledger.core.constants import ROLES
from kpledger.core.errors import InvalidRequest
from kpledger.queries import certificates, parcels, participants, verdicts
from kpledger.queries.provenance import provenance
from kpledger.signing.typed_data import VERSION as EIP712_VERSION

router = APIRouter(prefix="/v1", tags=["reads"])

LotId = Annotated[int, Path(ge=1, le=2**40, description="parcel or consignment id")]
Code = Annotated[str, Path(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
Number = Annotated[str, Path(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$", description="KP certificate number")]
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]
Sha256Path = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="the file's SHA-256 (0x, 64 hex digits)")]
NumberQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}[A-Z0-9-]{1,30}$",
                                          description="the certificate looked at (its number)")]
LotQuery = Annotated[int | None, Query(ge=1, le=2**40, description="the parcel, or the lot's page, looked at")]


@router.get("/participants", response_model=ParticipantsPublic)
def read_participants(db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        data = participants.list_participants(s)
    return {"data": data, "count": len(data)}


@router.get("/trust-list", response_model=TrustList)
def read_trust_list(db: DbDep, services: ServicesDep) -> dict[str, Any]:
    """Who may issue KP certificates: every participant (active or suspended) with its authorities' accounts and
    public names, read from the index at one block (its number, hash and time: check the hash against the chain's
    block of that number), and the EIP-712 domain of their issue signatures. The offline verifier (/verify/) keeps
    it to check a certificate's signed QR code without the network."""
    with db.session() as s:
        listed = participants.trust_list(s)
    domain = {"name": "KPCertificates", "version": EIP712_VERSION, "chain_id": services.chain.deployment.chain_id,
              "verifying_contract": services.chain.addresses["KPCertificates"]}
    return {**listed, "domain": domain}


@router.get("/participants/{code}", response_model=ParticipantDetail, responses=errors(404))
def read_participant(code: Code, db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        return participants.get_participant(s, code)


if TYPE_CHECKING:  # a role name is a str to the handler; the API checks and documents the names
    RoleName = str
else:
    RoleName = Literal[tuple(ROLES)]  # the role names, from the one table


@router.get("/participants/{code}/members", response_model=MembersFound, responses=errors(404))
def search_members(code: Code, db: DbDep,
                   q: Annotated[str, Query(max_length=120, description="part of the name or licence number, any "
                                                                        "case")] = "",
                   role: Annotated[list[RoleName] | None, Query(max_length=6, description="holding one of these roles "
                                                                                  "(repeat the parameter)")] = None,
                   limit: Annotated[int, Query(ge=1, le=50)] = 20) -> dict[str, Any]:
    """A participant's directory: its members (authorities, licensed operators) by name, found by part of their
    name or licence number, to pick a company by name rather than paste its address."""
    with db.session() as s:
        return participants.search_members(s, code, q, list(role or ()), limit)


@router.get("/accounts/{address}", response_model=AccountDetail, responses=errors(404))
def read_account(address: AddressPath, db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        return participants.get_account(s, to_checksum_address(address))


@router.get("/parcels/{parcel_id:int}", response_model=ParcelPublic, response_model_by_alias=True,
            responses=errors(404))
def read_parcel(parcel_id: LotId, db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        return parcels.get_parcel(s, parcel_id)


@router.get("/parcels/{parcel_id:int}/provenance", response_model=Provenance, response_model_by_alias=True,
            responses=errors(404))
def read_provenance(parcel_id: LotId, db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        return provenance(s, parcel_id)


@router.get("/consignments/{consignment_id:int}", response_model=ConsignmentPublic, response_model_by_alias=True,
            responses=errors(404))
def read_consignment(consignment_id: LotId, db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        return parcels.get_consignment(s, consignment_id)


@router.get("/lots/{lot_id:int}", responses=errors(404))
def read_lot(lot_id: LotId, db: DbDep) -> dict[str, Any]:
    """A parcel or a consignment, whichever the id names (QR codes carry lot ids)."""
    with db.session() as s:
        lot = parcels.get_lot(s, lot_id)
    model = ConsignmentPublic if lot["kind"] == "consignment" else ParcelPublic
    return model.model_validate(lot).model_dump(by_alias=True)


@router.get("/certificates/{number}", response_model=CertificateDetail, response_model_by_alias=True,
            responses=errors(404))
def read_certificate(number: Number, db: DbDep) -> dict[str, Any]:
    with db.session() as s:
        return certificates.get_certificate(s, number)


def _sha256(body: bytes) -> str:
    return "0x" + hashlib.sha256(body).hexdigest()


@router.post("/verify", response_model=VerifyResult, responses=errors(*BODY))
async def verify_document(request: Request, db: DbDep) -> dict[str, Any]:
    """Hashes the posted document (SHA-256): every certificate or parcel it is the anchored document or the ledger's
    print of, and the verdict (genuine? the record's status now)."""
    digest = _sha256(await request.body())
    with db.session() as s:
        return verdicts.verdict(s, digest)


@router.post("/verify/certificates/{number}", response_model=VerifyResult, responses=errors(*BODY, 404))
async def verify_certificate_document(number: Number, request: Request, db: DbDep) -> dict[str, Any]:
    """Hashes the posted file: is it the anchored document of certificate `number` or the ledger's print of it?"""
    digest = _sha256(await request.body())
    with db.session() as s:
        return verdicts.verdict(s, digest, ("certificate", number))


@router.post("/verify/parcels/{parcel_id:int}", response_model=VerifyResult, responses=errors(*BODY, 404))
async def verify_parcel_document(parcel_id: LotId, request: Request, db: DbDep) -> dict[str, Any]:
    """Hashes the posted file: is it the document parcel `parcel_id` anchored?"""
    digest = _sha256(await request.body())
    with db.session() as s:
        return verdicts.verdict(s, digest, ("parcel", str(parcel_id)))


@router.get("/verify/{sha256}", response_model=VerifyResult, responses=errors(404))
def read_verdict(sha256: Sha256Path, db: DbDep, certificate: NumberQuery = None, parcel: LotQuery = None,
                 lot: LotQuery = None) -> dict[str, Any]:
    """The verdict on a file from its SHA-256 alone (the pages and `kp` hash the file where it is: nothing is
    uploaded), for a person looking at a certificate, a parcel or a lot's page (at most one), or at none."""
    screens: tuple[tuple[verdicts.Screen, str | int | None], ...] = (
        ("certificate", certificate), ("parcel", parcel), ("lot", lot))
    asked = [(kind, str(value)) for kind, value in screens if value is not None]
    if len(asked) > 1:
        raise InvalidRequest("ask about one record at most: certificate, parcel or lot",
                             details={"asked": [kind for kind, _ in asked]})
    with db.session() as s:
        return verdicts.verdict(s, sha256, asked[0] if asked else None)
