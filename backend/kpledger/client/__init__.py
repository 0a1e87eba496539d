"""A small client of the KP Ledger API: signs each action's EIP-712 intent and submits it.

Usage::

    client = KPClient("http://127.0.0.1:8000", key)
    answer = client.register_parcel(points=12_345, hs_code=710210, origin="BW", document_hash=h)
    answer["result"]["parcel_id"]

A refusal (any 4xx/5xx answer) raises `ClientError` carrying the API's `code`, `message` and `details`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from eth_utils import to_checksum_address

from kpledger.client.documents import KINDS, DocumentsClient, certificate_document_bytes
from kpledger.client.transport import DEFAULT_TTL, ApiClient, ClientError
from kpledger.core.actions import ACTIONS
from kpledger.core.constants import ROLES, ZERO32, role_bits, role_names, seal_id
from kpledger.core.seals import SEAL_LABEL_MAX_LENGTH, is_label
from kpledger.signing.typed_data import sign_intent

__all__ = ["DEFAULT_TTL", "KINDS", "ROLES", "ApiClient", "ClientError", "KPClient", "Part", "carats",
           "certificate_document_bytes", "document_hash", "keyed_nonce", "points", "role_bits", "role_names",
           "seal_id", "text_bytes32"]


# ---------------------------------------------------------------- helpers


_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _seal(text: str) -> tuple[str, str | None]:
    """The seal id of a label or id, and the label when it is one (sent beside the signed id: reads then show it)."""
    sid = seal_id(text)
    if _HEX32.match(text):
        return sid, None
    if not is_label(text):
        raise ValueError(f"{text!r} cannot be a seal label: 1 to {SEAL_LABEL_MAX_LENGTH} printable characters")
    return sid, text


def text_bytes32(text: str) -> str:
    """A short reason text as bytes32 (UTF-8, right-padded with zeros), or 0x-hex of 32 bytes as is."""
    if _HEX32.match(text):
        return text.lower()
    raw = text.encode()
    if len(raw) > 32:
        raise ValueError(f"{text!r} is longer than 32 bytes")
    return "0x" + raw.ljust(32, b"\0").hex()


def document_hash(path: str | Path) -> str:
    """SHA-256 of the file's bytes as 0x-hex (what browsers recompute with SubtleCrypto)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return "0x" + digest.hexdigest()


def points(carats: str | int | Decimal) -> int:
    """Points (hundredths of a carat) from a carat amount, exactly: "123.45" -> 12345; refuses 3+ decimals."""
    try:
        value = Decimal(str(carats).strip())
    except InvalidOperation:
        raise ValueError(f"{carats!r} is not a carat amount") from None
    if not value.is_finite():
        raise ValueError(f"{carats!r} is not a carat amount")
    hundredths = value * 100
    if hundredths != hundredths.to_integral_value():
        raise ValueError(f"{carats} has more than 2 decimals (weights are kept in hundredths of a carat)")
    if hundredths <= 0:
        raise ValueError(f"{carats} is not a positive weight")
    return int(hundredths)


def keyed_nonce() -> int:
    """The first nonce under a fresh random key (`key << 64 | 0`, the contracts' keyed nonces): a signer's requests
    signed with such nonces do not wait for one another, so the relayer may put them in one block."""
    return secrets.randbits(128) << 64


def carats(points_: int) -> str:
    """A carat amount with 2 decimals from points: 12345 -> "123.45"."""
    return f"{Decimal(points_) / 100:.2f}"


@dataclass(frozen=True)
class Part:
    """One child of a split: its weight in points, HS code, stone count and optional document hash."""

    points: int
    hs_code: int
    stones: int = 0
    document_hash: str = ZERO32

    def message(self) -> dict[str, Any]:
        return {"points": self.points, "stones": self.stones, "hsCode": self.hs_code,
                "documentHash": self.document_hash}


# ---------------------------------------------------------------- the client


class KPClient(DocumentsClient):
    """Signs and submits ledger actions to one API deployment; also reads, files and prints (`DocumentsClient`)."""

    def nonce(self, contract: str) -> int:
        """The signer's next nonce for one contract."""
        return int(self.get(f"/v1/accounts/{self.address}/nonces")[contract])

    # ------------------------------------------------------------ signing

    def submit(self, action: str, message: Mapping[str, Any], *, nonce: int | None = None,
               seal_label: str | None = None) -> dict[str, Any]:
        """Signs `message` as the intent `action` and posts it to the action's endpoint, under the signer's next
        nonce, or `nonce` (`keyed_nonce()`: writes that may run in any order, at once). `seal_label`: the label of
        the message's seal id, sent beside it (not signed; the API checks it hashes to the id and keeps it)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action}")
        if self.account is None:
            raise ClientError("NoKey", "this client has no key to sign with")
        spec = ACTIONS[action]
        contract = spec.contract
        nonce = self.nonce(contract) if nonce is None else nonce
        deadline = int(time.time()) + self.ttl
        signed = sign_intent(self.account.key, action, dict(message), chain_id=int(self.config["chain_id"]),
                             verifying_contract=self.config["contracts"][contract], nonce=nonce,
                             deadline=deadline)
        body = {"message": dict(message), "signer": signed.signer, "nonce": nonce, "deadline": deadline,
                "signature": "0x" + signed.signature.hex()}
        if seal_label is not None:
            body["seal_label"] = seal_label
        return self.post(spec.path_for(message), body)

    # ------------------------------------------------------------ governance and authorities

    def admit_participant(self, code: str, name: str) -> dict[str, Any]:
        """Governance admits a participant by ISO code."""
        return self.submit("AdmitParticipant", {"code": code, "name": name})

    def suspend_participant(self, code: str, reason: str = ZERO32) -> dict[str, Any]:
        """Governance suspends a participant (reason: bytes32 hex or short text)."""
        return self.submit("SuspendParticipant", {"code": code, "reason": text_bytes32(reason)})

    def reinstate_participant(self, code: str) -> dict[str, Any]:
        """Governance reinstates a suspended participant."""
        return self.submit("ReinstateParticipant", {"code": code})

    def appoint_authority(self, participant: str, account: str, name: str) -> dict[str, Any]:
        """Governance appoints an authority of a participant under the office's name."""
        return self.submit("AppointAuthority", {"participant": participant, "account": to_checksum_address(account),
                                                "name": name})

    def dismiss_authority(self, participant: str, account: str) -> dict[str, Any]:
        """Governance dismisses an authority of a participant."""
        return self.submit("DismissAuthority", {"participant": participant, "account": to_checksum_address(account)})

    def set_max_certificate_validity(self, seconds: int) -> dict[str, Any]:
        """Governance sets the longest validity a KP certificate may have."""
        return self.submit("SetMaxCertificateValidity", {"maxValidity": seconds})

    def license_operator(self, account: str, roles: int | Iterable[str], name: str, licence_number: str,
                         registry_ref: str = "") -> dict[str, Any]:
        """An authority licenses one of its operators for roles (bitmask or names), under its legal name and
        national licence number (and a registry reference where the country has one)."""
        bits = roles if isinstance(roles, int) else role_bits(roles)
        return self.submit("LicenseOperator", {"account": to_checksum_address(account), "roles": bits, "name": name,
                                               "licenceNumber": licence_number, "registryRef": registry_ref})

    def update_operator_profile(self, account: str, name: str, licence_number: str,
                                registry_ref: str = "") -> dict[str, Any]:
        """An authority updates the public profile of one of its operators."""
        return self.submit("UpdateOperatorProfile", {"account": to_checksum_address(account), "name": name,
                                                     "licenceNumber": licence_number, "registryRef": registry_ref})

    def revoke_operator(self, account: str, roles: int | Iterable[str]) -> dict[str, Any]:
        """An authority revokes roles of one of its operators."""
        bits = roles if isinstance(roles, int) else role_bits(roles)
        return self.submit("RevokeOperator", {"account": to_checksum_address(account), "roles": bits})

    # ------------------------------------------------------------ parcels and consignments

    def register_parcel(self, *, points: int, hs_code: int, origin: str, document_hash: str,
                        stones: int = 0) -> dict[str, Any]:
        """A producer registers a parcel at origin."""
        return self.submit("RegisterParcel", {"points": points, "stones": stones, "hsCode": hs_code,
                                              "origin": origin, "documentHash": document_hash})

    def split_parcel(self, parcel_id: int, children: Iterable[Part | Mapping[str, Any]]) -> dict[str, Any]:
        """The holder splits a parcel into children (Part or Child-field dicts)."""
        parts = [c.message() if isinstance(c, Part) else {"documentHash": ZERO32, "stones": 0, **c}
                 for c in children]
        return self.submit("SplitParcel", {"parcelId": parcel_id, "children": parts})

    def merge_parcels(self, parcel_ids: Iterable[int], document_hash: str = ZERO32) -> dict[str, Any]:
        """The holder merges parcels into one."""
        return self.submit("MergeParcels", {"parcelIds": sorted(parcel_ids), "documentHash": document_hash})

    def seal_consignment(self, parcel_ids: Iterable[int], seal_id: str) -> dict[str, Any]:
        """The holder seals parcels into a consignment under a seal (its label, sent beside its id, or bytes32
        hex)."""
        sid, label = _seal(seal_id)
        return self.submit("SealConsignment", {"parcelIds": sorted(parcel_ids), "sealId": sid}, seal_label=label)

    def open_consignment(self, consignment_id: int) -> dict[str, Any]:
        """The holder opens a consignment; its parcels become loose again."""
        return self.submit("OpenConsignment", {"consignmentId": consignment_id})

    # ------------------------------------------------------------ custody

    def offer(self, lot_id: int, recipient: str, seal_id: str) -> dict[str, Any]:
        """The holder offers a lot to a named recipient, under a seal (its label, or bytes32 hex)."""
        sid, label = _seal(seal_id)
        return self.submit("OfferCustody", {"lotId": lot_id, "recipient": to_checksum_address(recipient),
                                            "sealId": sid}, seal_label=label)

    def withdraw_offer(self, lot_id: int) -> dict[str, Any]:
        """The sender withdraws its pending offer."""
        return self.submit("WithdrawOffer", {"lotId": lot_id})

    def accept(self, lot_id: int, seal_id: str) -> dict[str, Any]:
        """The recipient accepts, attesting the seal it received (its label, or bytes32 hex)."""
        sid, label = _seal(seal_id)
        return self.submit("AcceptCustody", {"lotId": lot_id, "sealId": sid}, seal_label=label)

    def reject(self, lot_id: int, reason: int) -> dict[str, Any]:
        """The recipient rejects an offer with a reason code."""
        return self.submit("RejectCustody", {"lotId": lot_id, "reason": reason})

    # ------------------------------------------------------------ certificates

    def issue_certificate(self, *, number: str, importer: str, importer_account: str, consignment_id: int,
                          points: int, parcel_count: int, hs_codes: Iterable[int], origins: Iterable[str],
                          issued_at: int, expires_at: int, document_hash: str, replaces: str = "") -> dict[str, Any]:
        """The exporting authority issues a certificate for a sealed consignment to a named importer (`replaces`:
        the number of the voided certificate it supersedes). HS codes and origins go in ascending order."""
        return self.submit("IssueCertificate", {
            "number": number, "importer": importer, "importerAccount": to_checksum_address(importer_account),
            "consignmentId": consignment_id, "points": points, "parcelCount": parcel_count,
            "hsCodes": sorted(set(hs_codes)), "origins": sorted(set(origins)), "issuedAt": issued_at,
            "expiresAt": expires_at, "documentHash": document_hash, "replaces": replaces})

    def confirm_import(self, number: str) -> dict[str, Any]:
        """The importing authority confirms the import."""
        return self.submit("ConfirmImport", {"number": number})

    def record_discrepancy(self, number: str, reason: int, evidence_hash: str = ZERO32) -> dict[str, Any]:
        """The importing authority records a discrepancy."""
        return self.submit("RecordDiscrepancy", {"number": number, "reason": reason,
                                                 "evidenceHash": evidence_hash})

    def void_certificate(self, number: str, reason: int) -> dict[str, Any]:
        """The issuing authority voids a certificate not yet used."""
        return self.submit("VoidCertificate", {"number": number, "reason": reason})

    # ------------------------------------------------------------ reads

    def health(self) -> dict[str, Any]:
        """GET /healthz."""
        return self.get("/healthz")

    def participant(self, code: str) -> dict[str, Any]:
        """GET /v1/participants/{code}."""
        return self.get(f"/v1/participants/{quote(code, safe='')}")

    def participant_names(self) -> dict[str, str]:
        """Every participant's name by ISO code (GET /v1/participants)."""
        return {p["code"]: p["name"] for p in self.get("/v1/participants")["data"]}

    def parcel(self, parcel_id: int) -> dict[str, Any]:
        """GET /v1/parcels/{id}."""
        return self.get(f"/v1/parcels/{parcel_id}")

    def provenance(self, parcel_id: int) -> dict[str, Any]:
        """GET /v1/parcels/{id}/provenance."""
        return self.get(f"/v1/parcels/{parcel_id}/provenance")

    def consignment(self, consignment_id: int) -> dict[str, Any]:
        """GET /v1/consignments/{id}."""
        return self.get(f"/v1/consignments/{consignment_id}")

    def certificate(self, number: str) -> dict[str, Any]:
        """GET /v1/certificates/{number}: status, names, supersede links, discrepancy and resolution, parcels."""
        return self.get(f"/v1/certificates/{quote(number, safe='')}")

    def member(self, address: str) -> dict[str, Any]:
        """GET /v1/accounts/{address}: a member's participant, roles, public profile and its history. (Not named
        `account`: that is the client's signing account.)"""
        return self.get(f"/v1/accounts/{to_checksum_address(address)}")
