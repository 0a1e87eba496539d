"""The answer's `result`: ids and outcomes read from a receipt's logs with the contracts' event ABIs."""

from __future__ import annotations

from typing import Any

from kpledger.chain.contracts import Chain
from kpledger.indexer.decoder import LogDecoder

Logs = list[tuple[str, dict[str, Any]]]


class ReceiptDecoder:
    """The ledger contracts' events of a receipt's logs, in log order (the indexer's decoder)."""

    def __init__(self, chain: Chain):
        self.logs = LogDecoder(chain.artifacts, chain.deployment)

    def decode(self, receipt: dict[str, Any]) -> Logs:
        decoded = (self.logs.decode(log) for log in receipt.get("logs", []))
        return [(d.name, d.args) for d in decoded if d is not None]


def _first(logs: Logs, name: str) -> dict[str, Any] | None:
    return next((args for n, args in logs if n == name), None)


def _last(logs: Logs, name: str) -> dict[str, Any] | None:
    return _first(list(reversed(logs)), name)


def result_of(action: str, message: dict[str, Any], logs: Logs) -> dict[str, Any]:
    """What the answer reports for `action` given its events (see WRITES.md)."""
    names = {n for n, _ in logs}
    if action == "RegisterParcel":
        return {"parcel_id": _first(logs, "ParcelRegistered")["parcelId"]}
    if action == "MergeParcels":
        return {"parcel_id": _first(logs, "ParcelsMerged")["parcelId"]}
    if action == "SplitParcel":
        return {"parcel_id": message["parcelId"],
                "child_ids": [a["childId"] for n, a in logs if n == "ParcelSplit"]}
    if action == "SealConsignment":
        return {"consignment_id": _first(logs, "ConsignmentSealed")["consignmentId"]}
    if action == "OpenConsignment":
        return {"consignment_id": message["consignmentId"]}
    if action == "AcceptCustody":
        moved = _first(logs, "CustodyTransferred")
        return {"lot_id": message["lotId"], "transferred": moved is not None and "CustodySealMismatch" not in names,
                "certificate_key": moved["certificateKey"] if moved else None}
    if action in ("OfferCustody", "WithdrawOffer", "RejectCustody"):
        return {"lot_id": message["lotId"]}
    if action == "IssueCertificate":
        issued = _first(logs, "CertificateIssued")
        return {"certificate_key": issued["certificateKey"], "number": issued["number"],
                "consignment_id": issued["consignmentId"]}
    if action in ("ConfirmImport", "RecordDiscrepancy", "VoidCertificate"):
        event = next((a for n, a in logs if "certificateKey" in a), None)
        return {"number": message["number"], "certificate_key": event["certificateKey"] if event else None}
    if action in ("AdmitParticipant", "SuspendParticipant", "ReinstateParticipant"):
        return {"participant": message["code"]}
    if action == "SetAuthority":
        return {"participant": message["participant"], "account": message["account"]}
    if action in ("LicenseOperator", "RevokeOperator"):
        changed = _last(logs, "MemberRolesChanged")  # one event per role granted
        return {"account": message["account"], "participant": changed["participant"] if changed else None,
                "roles": changed["roles"] if changed else None}
    return {}
