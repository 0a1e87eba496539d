"""Request and response models of a certificate document composed or checked before its certificate is issued
(`POST /v1/documents/compose/certificate`, `/v1/documents/check/certificate`): the terms are the IssueCertificate
intent's message (its field names and limits, from the action table) without the document hash, not known yet."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from kpledger.api.schemas.writes import Strict, field_schema
from kpledger.certificates.kpcert import schema
from kpledger.core.actions import ACTIONS

_ISSUE = ACTIONS["IssueCertificate"]
_TERMS: dict[str, Any] = {name: (field_schema(kind), ...) for name, kind in _ISSUE.fields if name != "documentHash"}
CertificateTerms: type[Strict] = create_model(
    "CertificateTerms", __base__=Strict,
    __doc__="The terms the authority is about to sign: an IssueCertificate message without its documentHash.",
    **_TERMS)

_PROPERTIES, _DEFS = schema()["properties"], schema()["$defs"]
Postal = Annotated[str, Field(min_length=1, max_length=_DEFS["postal"]["maxLength"])]
Name = Annotated[str, Field(min_length=1, max_length=_DEFS["name"]["maxLength"])]
Sha256 = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$")]


class CertificateParticulars(Strict):
    """What the authority adds to the ledger's facts (confidential: sent by the authority, composed into the answer,
    stored nowhere)."""

    seal_label: Annotated[str, Field(min_length=1, max_length=_PROPERTIES["seal"]["properties"]["label"]["maxLength"],
                                     description="the seal's label as written on the container (its id must be the "
                                                 "consignment's)")]
    value_usd: Annotated[str, Field(pattern=_PROPERTIES["value_usd"]["pattern"], examples=["41300000.00"],
                                    description="value in US dollars, at most 2 decimals (confidential)")]
    authority_address: Postal
    exporter_address: Postal
    importer_address: Postal
    officer: Name
    place: Name


class CertificateComposition(Strict):
    """A document to compose: the terms to sign, the particulars, and whose public name signs as the issuing
    authority (an appointed authority's account)."""

    terms: CertificateTerms
    particulars: CertificateParticulars
    authority: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$",
                                    description="the issuing authority's account: its appointed name is the "
                                                "document's")]


class CertificateDocumentCheck(Strict):
    """A document to check against the terms about to be signed: its text exactly as it will be anchored and filed
    (UTF-8; the SHA-256 of these bytes is the documentHash to sign)."""

    terms: CertificateTerms
    document: Annotated[str, Field(min_length=1, max_length=1_000_000)]


class ComposedCertificate(BaseModel):
    """A composed document: its text (the exact bytes to anchor and file, UTF-8), their SHA-256 and the parsed
    document; nothing is stored."""

    document: dict[str, Any]
    text: str
    sha256: Sha256
    filename: str = Field(description="NUMBER.json, as `kp certificate compose` names it")


class CertificateDocumentAgrees(BaseModel):
    """The document agrees with the terms field by field: the hash to sign."""

    number: str
    sha256: Sha256
    agrees: bool = True
