"""Request and response models of the write endpoints: one EIP-712 message model per action, with limits."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

MAX_PARTS = 256


def _uint(bits: int) -> Any:
    return Annotated[int, Field(ge=0, le=2**bits - 1)]


Uint8, Uint16, Uint32, Uint48, Uint64, Uint256 = (_uint(b) for b in (8, 16, 32, 48, 64, 256))
Bytes32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "ab" * 32])]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "12" * 20])]
IsoCode = Annotated[str, Field(min_length=1, max_length=8, pattern=r"^[A-Za-z]+$", examples=["BW"])]
Name = Annotated[str, Field(min_length=1, max_length=200)]
CertificateNumber = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9\-/.]+$",
                                         examples=["BW0000001"])]
Signature = Annotated[str, Field(pattern=r"^0x([0-9a-fA-F]{2}){1,2048}$", description="65-byte ECDSA or ERC-1271")]
LotIds = Annotated[list[Uint256], Field(min_length=1, max_length=MAX_PARTS)]


class Strict(BaseModel):
    """Unknown fields are refused; JSON types are not coerced ("5" is not 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class AdmitParticipant(Strict):
    code: IsoCode
    name: Name


class SuspendParticipant(Strict):
    code: IsoCode
    reason: Bytes32


class ReinstateParticipant(Strict):
    code: IsoCode


class SetAuthority(Strict):
    participant: IsoCode
    account: Address
    appoint: bool


class LicenseOperator(Strict):
    account: Address
    roles: Uint8


class RevokeOperator(Strict):
    account: Address
    roles: Uint8


class RegisterParcel(Strict):
    points: Uint48
    stones: Uint32
    hsCode: Uint32
    origin: IsoCode
    documentHash: Bytes32


class Child(Strict):
    points: Uint48
    stones: Uint32
    hsCode: Uint32
    documentHash: Bytes32


class SplitParcel(Strict):
    parcelId: Uint256
    children: Annotated[list[Child], Field(min_length=1, max_length=MAX_PARTS)]


class MergeParcels(Strict):
    parcelIds: LotIds
    documentHash: Bytes32


class SealConsignment(Strict):
    parcelIds: LotIds
    sealId: Bytes32


class OpenConsignment(Strict):
    consignmentId: Uint256


class OfferCustody(Strict):
    lotId: Uint256
    recipient: Address
    sealId: Bytes32


class WithdrawOffer(Strict):
    lotId: Uint256


class AcceptCustody(Strict):
    lotId: Uint256
    sealId: Bytes32


class RejectCustody(Strict):
    lotId: Uint256
    reason: Uint16


class IssueCertificate(Strict):
    number: CertificateNumber
    importer: IsoCode
    consignmentId: Uint256
    points: Uint48
    parcelCount: Uint32
    hsCodes: Annotated[list[Uint32], Field(min_length=1, max_length=8)]
    origins: Annotated[list[IsoCode], Field(min_length=1, max_length=192)]
    issuedAt: Uint64
    expiresAt: Uint64
    documentHash: Bytes32


class ConfirmImport(Strict):
    number: CertificateNumber


class RecordDiscrepancy(Strict):
    number: CertificateNumber
    reason: Uint16
    evidenceHash: Bytes32


class VoidCertificate(Strict):
    number: CertificateNumber
    reason: Uint16


MESSAGES: dict[str, type[Strict]] = {m.__name__: m for m in (
    AdmitParticipant, SuspendParticipant, ReinstateParticipant, SetAuthority, LicenseOperator, RevokeOperator,
    RegisterParcel, SplitParcel, MergeParcels, SealConsignment, OpenConsignment, OfferCustody, WithdrawOffer,
    AcceptCustody, RejectCustody, IssueCertificate, ConfirmImport, RecordDiscrepancy, VoidCertificate)}


class Envelope(Strict):
    """The participant's authorization around an action's message (see WRITES.md)."""

    signer: Address
    nonce: Uint256
    deadline: Uint256
    signature: Signature


def _request(action: str, message: type[Strict]) -> type[Envelope]:
    model = create_model(f"{action}Request", __base__=Envelope, __doc__=f"A signed {action} intent.",
                         message=(message, ...))
    return model


REQUESTS: dict[str, type[Envelope]] = {action: _request(action, m) for action, m in MESSAGES.items()}


class WriteResult(BaseModel):
    """The answer to an accepted write: mined, with the ids its events carry."""

    request_id: str
    action: str
    status: str
    tx_hash: str | None
    block_number: int | None
    duplicate: bool
    result: dict[str, Any]
    indexed: bool | None = Field(None, description="whether reads already show this write")


class Nonces(BaseModel):
    """Next key-0 intent nonce of an account in each contract."""

    KPRegistry: int
    KPLedger: int
    KPCertificates: int


class ErrorBody(BaseModel):
    """A refusal: a stable code (a contract's custom error name, or the backend's), a message and details."""

    code: str
    message: str
    details: dict[str, Any]
