"""The KP Ledger API client's documents, prints, verification and statistics: off-chain documents filed and read by
the parties concerned (signed requests), the printed certificate and the public verification slip, the check of a
document against the hash anchored on chain, and the KP statistics (JSON or the API's CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote, urlencode

from kpledger.certificates.kpcert import encode
from kpledger.client.transport import ApiClient

Kind = Literal["certificates", "parcels"]
"""The kinds of record a document belongs to, as the API's paths name them."""
KINDS: tuple[Kind, ...] = ("certificates", "parcels")


def certificate_document_bytes(document: Mapping[str, Any]) -> bytes:
    """The bytes of a `kp-certificate/1` document to anchor (`document_hash` of them) and to file."""
    return encode(dict(document))


def _ref(reference: str | int) -> str:
    return quote(str(reference), safe="")


class DocumentsClient(ApiClient):
    """Documents, prints, verification and statistics of one API deployment."""

    # ------------------------------------------------------------ off-chain documents (signed requests)

    def file_document(self, kind: Kind, reference: str | int, content: bytes,
                      content_type: str = "application/octet-stream") -> dict[str, Any]:
        """Files the off-chain document of a certificate (`kind` "certificates", reference its number) or a parcel
        ("parcels", its id): its SHA-256 must be the hash the record anchored."""
        return self.signed_exchange("PUT", f"/v1/documents/{kind}/{_ref(reference)}", content, content_type).json()

    def document(self, kind: Kind, reference: str | int) -> tuple[bytes, str]:
        """A record's filed document and the content type it was filed with (for the parties and authorities
        concerned; the API serves it in a fixed type)."""
        response = self.signed_get(f"/v1/documents/{kind}/{_ref(reference)}")
        return response.content, response.headers.get("x-kp-content-type") or response.headers.get(
            "content-type", "application/octet-stream")

    def file_certificate(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Files a `kp-certificate/1` document (a dict, e.g. from `kpledger.certificates.kpcert.compose`) for its
        certificate, encoded exactly as `certificate_document_bytes` encodes it (the bytes whose hash was anchored).
        The answer carries `printed_sha256`, the SHA-256 of the PDF the ledger printed from it."""
        return self.file_document("certificates", str(document["number"]), certificate_document_bytes(document),
                                  "application/json")

    # ------------------------------------------------------------ prints

    def printable_certificate(self, number: str, *, pdf: bool = True) -> bytes:
        """The printed certificate of a party (signed request): the one-page PDF, or the HTML page to print."""
        return self.signed_get(f"/v1/certificates/{_ref(number)}/printable{'.pdf' if pdf else ''}").content

    def verification_slip(self, number: str) -> bytes:
        """The public verification slip of a certificate (PDF, A6, QR code of its verification page)."""
        return self._exchange("GET", f"/v1/certificates/{_ref(number)}/slip.pdf").content

    # ------------------------------------------------------------ verification

    def verify(self, document: bytes, number: str | None = None, *, parcel_id: int | None = None) -> dict[str, Any]:
        """Checks a document against the hash anchored by certificate `number`, by parcel `parcel_id`, or by any
        certificate or parcel (POST /v1/verify); the answer says whether it `matches`."""
        if number is not None:
            path = f"/v1/verify/certificates/{_ref(number)}"
        elif parcel_id is not None:
            path = f"/v1/verify/parcels/{int(parcel_id)}"
        else:
            path = "/v1/verify"
        return self.request("POST", path, content=document)

    def verdict(self, sha256: str, *, certificate: str | None = None, parcel_id: int | None = None,
                lot_id: int | None = None) -> dict[str, Any]:
        """The verdict on a file from its SHA-256 alone (GET /v1/verify/{sha256}; nothing is uploaded), for one
        looking at certificate `certificate`, parcel `parcel_id` or the page of lot `lot_id` (or at none): the
        answer's `verdict` says whether it is genuine and the record's status now, in words and as a code."""
        asked = {"certificate": certificate, "parcel": parcel_id, "lot": lot_id}
        query = urlencode({k: v for k, v in asked.items() if v is not None})
        return self.request("GET", f"/v1/verify/{_ref(sha256)}" + (f"?{query}" if query else ""))

    # ------------------------------------------------------------ KP statistics

    def _report(self, path: str, params: dict[str, Any], *, sign: bool = False, csv: bool = False) -> Any:
        """A statistics report: its JSON, or the API's CSV text when `csv`; signed when `sign`."""
        query = {k: v for k, v in params.items() if v is not None and v is not False}
        if csv:
            query["format"] = "csv"
        target = f"{path}?{urlencode(query)}"
        response = self.signed_get(target) if sign else self._exchange("GET", target)
        return response.text if csv else response.json()

    def trade_statistics(self, code: str, year: int, quarter: int | None = None, *, basis: str = "crossing",
                         value: bool = False, csv: bool = False) -> Any:
        """GET /v1/statistics/participants/{code}/trade; `value=True` signs the request with this client's key (the
        value in USD is shown to an authority of `code` only). The JSON report, or its CSV text when `csv`."""
        params = {"year": year, "quarter": quarter, "basis": basis, "value": "true" if value else None}
        return self._report(f"/v1/statistics/participants/{_ref(code)}/trade", params, sign=value, csv=csv)

    def production_statistics(self, code: str, year: int, half: int | None = None, *, csv: bool = False) -> Any:
        """GET /v1/statistics/participants/{code}/production: carats registered at origin per half-year."""
        return self._report(f"/v1/statistics/participants/{_ref(code)}/production", {"year": year, "half": half},
                            csv=csv)

    def statistics_summary(self, year: int, *, basis: str = "crossing", csv: bool = False) -> Any:
        """GET /v1/statistics/summary: every participant's exports, imports and production in a year."""
        return self._report("/v1/statistics/summary", {"year": year, "basis": basis}, csv=csv)
