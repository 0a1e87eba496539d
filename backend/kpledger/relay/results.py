"""The answer's `result`: ids and outcomes read from a receipt's logs with the contracts' event ABIs."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address

from kpledger.chain.contracts import CONTRACTS, Chain, _type_string

Logs = list[tuple[str, dict[str, Any]]]


def _value(value: Any, type_: str) -> Any:
    if type_ == "bytes2":
        return value.rstrip(b"\x00").decode("ascii", "replace")
    if type_ == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return [_value(v, type_.rstrip("[]")) for v in value] if type_.endswith("[]") else list(value)
    return value


class ReceiptDecoder:
    """Decodes the ledger contracts' logs of a raw receipt into (event name, args)."""

    def __init__(self, chain: Chain):
        self.addresses = {chain.deployment.address(c).lower() for c in CONTRACTS}
        self.events: dict[bytes, dict[str, Any]] = {}
        for contract in CONTRACTS:
            for item in chain.artifacts.abis[contract]:
                if item["type"] == "event" and not item.get("anonymous"):
                    self.events[event_abi_to_log_topic(item)] = item

    def decode(self, receipt: dict[str, Any]) -> Logs:
        """The receipt's ledger events in log order."""
        out: Logs = []
        for log in receipt.get("logs", []):
            if log["address"].lower() not in self.addresses or not log["topics"]:
                continue
            abi = self.events.get(bytes.fromhex(log["topics"][0][2:]))
            if abi is None:
                continue
            indexed = [i for i in abi["inputs"] if i["indexed"]]
            plain = [i for i in abi["inputs"] if not i["indexed"]]
            args: dict[str, Any] = {}
            for i, topic in zip(indexed, log["topics"][1:], strict=False):
                (v,) = abi_decode([_type_string(i)], bytes.fromhex(topic[2:]))
                args[i["name"]] = _value(v, i["type"])
            values = abi_decode([_type_string(i) for i in plain], bytes.fromhex(log["data"][2:]))
            args.update({i["name"]: _value(v, i["type"]) for i, v in zip(plain, values, strict=True)})
            out.append((abi["name"], args))
        return out


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
