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
from urllib.parse import quote, urlencode

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from kpledger.auth import sign_request
from kpledger.certificates.document import encode
from kpledger.core.actions import ACTIONS
from kpledger.core.constants import ROLES, role_bits, role_names
from kpledger.eip712 import sign_intent

__all__ = ["ROLES", "ClientError", "KPClient", "Part", "carats", "certificate_document_bytes", "document_hash",
           "keyed_nonce", "points", "role_bits", "role_names", "seal_id", "text_bytes32"]

ZERO32 = "0x" + "00" * 32
DEFAULT_TTL = 3600


class ClientError(Exception):
    """A refusal by the API (or a failure to reach it), with the API's machine-readable code."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None,
                 status: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status


# ---------------------------------------------------------------- helpers


_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def seal_id(text: str) -> str:
    """The bytes32 seal id of a label: `text` itself if it is 0x-hex of 32 bytes, else keccak256(text)."""
    if _HEX32.match(text):
        return text.lower()
    if not text:
        raise ValueError("a seal id cannot be empty")
    return "0x" + keccak(text=text).hex()


_seal = seal_id  # methods take a `seal_id` argument


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


def certificate_document_bytes(document: Mapping[str, Any]) -> bytes:
    """The bytes of a `kp-certificate/1` document to anchor (`document_hash` of them) and to file."""
    return encode(dict(document))


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


class KPClient:
    """Signs and submits ledger actions to one API deployment; also reads."""

    def __init__(self, base_url: str, key: bytes | str | LocalAccount | None = None, *,
                 ttl: int = DEFAULT_TTL, timeout: float = 120.0, http: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.account: LocalAccount | None = (
            key if isinstance(key, LocalAccount) else Account.from_key(key) if key is not None else None)
        self.ttl = ttl
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout)
        self._config: dict[str, Any] | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> KPClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def address(self) -> str:
        if self.account is None:
            raise ClientError("NoKey", "this client has no key to sign with")
        return self.account.address

    # ------------------------------------------------------------ transport

    def request(self, method: str, path: str, body: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Any:
        """One HTTP exchange (a JSON `body` or raw `content`); returns the parsed JSON answer or raises ClientError."""
        headers = {"content-type": "application/octet-stream"} if content is not None else None
        response = self._exchange(method, path, json=body, content=content, headers=headers)
        try:
            return response.json()
        except ValueError:
            return None

    def _exchange(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One HTTP exchange; the response if it succeeded, else ClientError with the API's code and message."""
        try:
            response = self.http.request(method, path, **kw)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ClientError("Unreachable", f"the KP Ledger API at {self.base_url} is not reachable (nothing "
                                             "answers there): is it running? Start it with make run, or give its "
                                             "URL with --api / KP_API") from exc
        except httpx.TimeoutException as exc:
            raise ClientError("Unreachable", f"the KP Ledger API at {self.base_url} did not answer in time: a write "
                                             "may still be recorded, so look (kp parcel show, kp status) before "
                                             "repeating it") from exc
        except httpx.HTTPError as exc:
            raise ClientError("Unreachable", f"the exchange with the KP Ledger API at {self.base_url} failed "
                                             f"({type(exc).__name__}): is it running? (make run)") from exc
        if response.is_success:
            return response
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and "code" in data:
            raise ClientError(str(data["code"]), str(data.get("message", "")), data.get("details") or {},
                              response.status_code)
        detail = data.get("detail") if isinstance(data, dict) else None
        message = detail if isinstance(detail, str) else response.text[:500] or response.reason_phrase
        raise ClientError(f"HTTP{response.status_code}", f"{method} {path}: {message}", status=response.status_code)

    def get(self, path: str) -> Any:
        """GET a read endpoint; returns its JSON."""
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body; returns the JSON answer."""
        return self.request("POST", path, body)

    @property
    def config(self) -> dict[str, Any]:
        """The deployment's chain id and contract addresses (fetched once)."""
        if self._config is None:
            self._config = self.get("/v1/config")
        return self._config

    def nonce(self, contract: str) -> int:
        """The signer's next nonce for one contract."""
        return int(self.get(f"/v1/accounts/{self.address}/nonces")[contract])

    # ------------------------------------------------------------ signing

    def submit(self, action: str, message: Mapping[str, Any], *, nonce: int | None = None) -> dict[str, Any]:
        """Signs `message` as the intent `action` and posts it to the action's endpoint, under the signer's next
        nonce, or `nonce` (`keyed_nonce()`: writes that may run in any order, at once)."""
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
        """The holder seals parcels into a consignment under a seal id (a label or bytes32 hex)."""
        return self.submit("SealConsignment", {"parcelIds": sorted(parcel_ids), "sealId": _seal(seal_id)})

    def open_consignment(self, consignment_id: int) -> dict[str, Any]:
        """The holder opens a consignment; its parcels become loose again."""
        return self.submit("OpenConsignment", {"consignmentId": consignment_id})

    # ------------------------------------------------------------ custody

    def offer(self, lot_id: int, recipient: str, seal_id: str) -> dict[str, Any]:
        """The holder offers a lot to a named recipient."""
        return self.submit("OfferCustody", {"lotId": lot_id, "recipient": to_checksum_address(recipient),
                                            "sealId": _seal(seal_id)})

    def withdraw_offer(self, lot_id: int) -> dict[str, Any]:
        """The sender withdraws its pending offer."""
        return self.submit("WithdrawOffer", {"lotId": lot_id})

    def accept(self, lot_id: int, seal_id: str) -> dict[str, Any]:
        """The recipient accepts, attesting the seal id it received."""
        return self.submit("AcceptCustody", {"lotId": lot_id, "sealId": _seal(seal_id)})

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
        return self.get(f"/v1/participants/{code}")

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

    def account(self, address: str) -> dict[str, Any]:
        """GET /v1/accounts/{address}: a member's participant, roles, public profile and its history."""
        return self.get(f"/v1/accounts/{to_checksum_address(address)}")

    def verification_slip(self, number: str) -> bytes:
        """The public verification slip of a certificate (PDF, A6, QR code of its verification page)."""
        return self._exchange("GET", f"/v1/certificates/{quote(number, safe='')}/slip.pdf").content

    # ------------------------------------------------------------ off-chain documents (signed requests)

    def _signed(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> dict[str, str]:
        if self.account is None:
            raise ClientError("NoKey", "documents are shown to the parties only: this client has no key to sign with")
        headers = sign_request(self.account.key, method, self.base_url + path, body, content_type=content_type,
                               chain_id=int(self.config["chain_id"]))
        return {**headers, "content-type": content_type} if content_type else headers

    def file_document(self, kind: str, reference: str | int, content: bytes,
                      content_type: str = "application/octet-stream") -> dict[str, Any]:
        """Files the off-chain document of a certificate (`kind` "certificates", reference its number) or a parcel
        ("parcels", its id): its SHA-256 must be the hash the record anchored."""
        path = f"/v1/documents/{kind}/{quote(str(reference), safe='')}"
        headers = self._signed("PUT", path, content, content_type)
        return self._exchange("PUT", path, content=content, headers=headers).json()

    def document(self, kind: str, reference: str | int) -> tuple[bytes, str]:
        """A record's filed document and its content type (for the parties and authorities concerned)."""
        path = f"/v1/documents/{kind}/{quote(str(reference), safe='')}"
        response = self._exchange("GET", path, headers=self._signed("GET", path))
        return response.content, response.headers.get("content-type", "application/octet-stream")

    def file_certificate(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Files a `kp-certificate/1` document (a dict, e.g. from `kpledger.certificates.document.compose`) for its
        certificate, encoded exactly as `certificate_document_bytes` encodes it (the bytes whose hash was anchored).
        The answer carries `printed_sha256`, the SHA-256 of the PDF the ledger printed from it."""
        return self.file_document("certificates", str(document["number"]), certificate_document_bytes(document),
                                  "application/json")

    def printable_certificate(self, number: str, *, pdf: bool = True) -> bytes:
        """The printed certificate of a party (signed request): the one-page PDF, or the HTML page to print."""
        path = f"/v1/certificates/{quote(number, safe='')}/printable{'.pdf' if pdf else ''}"
        return self._exchange("GET", path, headers=self._signed("GET", path)).content

    def trade_statistics(self, code: str, year: int, quarter: int | None = None, *, basis: str = "crossing",
                         value: bool = False) -> dict[str, Any]:
        """GET /v1/statistics/participants/{code}/trade; `value=True` signs the request with this client's key (the
        value in USD is shown to an authority of `code` only)."""
        params = {"year": year, **({"quarter": quarter} if quarter else {}), "basis": basis,
                  **({"value": "true"} if value else {})}
        target = f"/v1/statistics/participants/{quote(code, safe='')}/trade?{urlencode(params)}"
        if not value:
            return self.get(target)
        return self._exchange("GET", target, headers=self._signed("GET", target)).json()

    def verify(self, document: bytes, number: str | None = None) -> dict[str, Any]:
        """Checks a document: against certificate `number`, or against everything anchored (POST /v1/verify)."""
        path = f"/v1/verify/certificates/{quote(number, safe='')}" if number else "/v1/verify"
        return self.request("POST", path, content=document)
