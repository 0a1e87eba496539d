"""One ledger event -> one EPCIS 2.0 event (or none), one method per event kind.

Parcels are lots of rough diamonds weighed in carats: class-level identifiers (`epcClass`) with a quantity in
carats (uom CTM), like a GS1 LGTIN, so that splits and merges balance their input and output quantities.
Consignments are sealed, tamper-evident containers: instance-level identifiers (`parentID`, `epcList`), like an
SSCC. Participants (countries) are the `bizLocation` / `readPoint` and the `location` of sources and
destinations; operators (accounts) own and possess the goods. Values outside CBV use the `kp:` namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Row

from kpledger.core.constants import ZERO32
from kpledger.db import models as m
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.ledger import LedgerReader, position
from kpledger.epcis.parties import transfer_parties
from kpledger.epcis.vocabulary import (
    CARAT,
    EVENT_KINDS,
    carat_value,
    carats,
    hs_code,
    reason,
    reason_disposition,
    timestamp,
    void_error_reason,
)

Event = dict[str, Any]


def lot_master_data(parcel: m.Parcel | Row) -> dict[str, Any]:
    """A parcel's instance/lot master data (EPCIS `ilmd`): weight, HS code, origins, stones, document hash."""
    data: dict[str, Any] = {}
    if len(parcel.origins) == 1:
        data["cbvmda:countryOfOrigin"] = parcel.origins[0]
    data.update({
        "kp:carats": carat_value(parcel.points), "kp:hsCode": hs_code(parcel.hs_code),
        "kp:origins": list(parcel.origins), "kp:mixedOrigin": len(parcel.origins) > 1, "kp:stones": parcel.stones,
        "kp:documentHash": parcel.document_hash,
    })
    return data


def common_master_data(parcels: list[m.Parcel]) -> dict[str, Any]:
    """The master data every one of `parcels` shares (a TransformationEvent's ilmd covers all its outputs)."""
    each = [lot_master_data(p) for p in parcels]
    return {k: v for k, v in each[0].items() if all(d.get(k) == v for d in each[1:])}


class Mapper:
    """Maps ledger events (rows of `events`) to EPCIS events, reading the index through a LedgerReader."""

    def __init__(self, reader: LedgerReader, ids: Identifiers):
        self.r, self.ids = reader, ids
        self._kinds: dict[str, Callable[[Row], Event | None]] = {
            name: getattr(self, f"_{name}") for name in EVENT_KINDS}

    def map(self, row: Row) -> Event | None:
        handler = self._kinds.get(row.name)
        return None if handler is None else handler(row)

    # ------------------------------------------------------------ shared pieces

    # the rows a ledger event names: the index projected them from this event or an earlier one, so they exist
    def _parcel(self, parcel_id: int) -> m.Parcel:
        parcel = self.r.parcel(parcel_id)
        assert parcel is not None, f"parcel {parcel_id} named by a ledger event is not in the index"
        return parcel

    def _consignment(self, consignment_id: int) -> m.Consignment:
        consignment = self.r.consignment(consignment_id)
        assert consignment is not None, f"consignment {consignment_id} named by a ledger event is not in the index"
        return consignment

    def _cert(self, key: str) -> m.Certificate:
        cert = self.r.certificate(key)
        assert cert is not None, f"certificate {key} named by a ledger event is not in the index"
        return cert

    def _base(self, row: Row, **fields: Any) -> Event:
        event_type, biz_step = EVENT_KINDS[row.name]
        event: Event = {"type": event_type, "eventTime": timestamp(row.timestamp), "eventTimeZoneOffset": "+00:00",
                        "recordTime": timestamp(row.timestamp)}
        if biz_step is not None:
            fields = {"bizStep": biz_step, **fields}
        event.update(fields)
        # where the event sits on the ledger: also what keeps two otherwise identical events apart in their hash
        event.update({"kp:transactionHash": row.tx_hash, "kp:blockNumber": row.block_number,
                      "kp:logIndex": row.log_index})
        return event

    def _quantity(self, parcel_id: int) -> dict[str, Any]:
        return {"epcClass": self.ids.lot(parcel_id), "quantity": carats(self._parcel(parcel_id).points),
                "uom": CARAT}

    def _where(self, account: str) -> dict[str, str] | None:
        country = self.r.country(account)
        return {"id": self.ids.participant(country)} if country else None

    def _what(self, lot_id: int) -> dict[str, Any]:
        """A lot as the object of an ObjectEvent: a consignment by instance, a parcel by quantity."""
        if self.r.consignment(lot_id) is not None:
            return {"epcList": [self.ids.lot(lot_id)]}
        return {"quantityList": [self._quantity(lot_id)]}

    def _transfer(self, row: Row) -> dict[str, Any]:
        a = row.args
        return {"sourceList": transfer_parties(self.ids, "source", a["from"], self.r.country(a["from"])),
                "destinationList": transfer_parties(self.ids, "destination", a["to"], self.r.country(a["to"]))}

    def _certificate(self, cert: m.Certificate) -> dict[str, Any]:
        return {"bizTransactionList": [{"type": "cert", "bizTransaction": self.ids.certificate(cert.number)}],
                "certificationInfo": self.ids.certificate_page(cert.number)}

    def _optional(self, event: Event, **fields: Any) -> Event:
        event.update({k: v for k, v in fields.items() if v is not None})
        return event

    # ------------------------------------------------------------ parcels

    def _ParcelRegistered(self, row: Row) -> Event:
        a = row.args
        parcel = self._parcel(a["parcelId"])
        event = self._base(row, action="ADD", disposition="active",
                           quantityList=[self._quantity(parcel.id)])
        self._optional(event, bizLocation=self._where(a["producer"]))
        event.update({"ilmd": lot_master_data(parcel), "kp:operator": self.ids.operator(a["producer"])})
        return event

    def _transformation(self, row: Row, operation: str, inputs: list[int], outputs: list[int], holder: str) -> Event:
        parcels = [self._parcel(i) for i in outputs]
        event = self._base(row, disposition="active", inputQuantityList=[self._quantity(i) for i in inputs],
                           outputQuantityList=[self._quantity(i) for i in outputs])
        self._optional(event, bizLocation=self._where(holder))
        event.update({"ilmd": common_master_data(parcels), "kp:operation": operation,
                      "kp:operator": self.ids.operator(holder)})
        return event

    def _ParcelSplit(self, row: Row) -> Event | None:
        group = self.r.split_group(row)
        if position(group[0]) != position(row):
            return None  # a split emits one ParcelSplit per child: the first one stands for the whole split
        return self._transformation(row, "split", [row.args["parentId"]], [g.args["childId"] for g in group],
                                    row.args["holder"])

    def _ParcelsMerged(self, row: Row) -> Event:
        a = row.args
        return self._transformation(row, "merge", list(a["sourceIds"]), [a["parcelId"]], a["holder"])

    # ------------------------------------------------------------ consignments

    def _aggregation(self, row: Row, action: str, disposition: str) -> Event:
        a = row.args
        consignment = self._consignment(a["consignmentId"])
        event = self._base(row, parentID=self.ids.lot(consignment.id),
                           childQuantityList=[self._quantity(pid) for pid in consignment.parcel_ids],
                           action=action, disposition=disposition)
        self._optional(event, bizLocation=self._where(a["holder"]))
        event.update({"kp:sealId": consignment.seal_id, "kp:operator": self.ids.operator(a["holder"])})
        return event

    def _ConsignmentSealed(self, row: Row) -> Event:
        return self._aggregation(row, "ADD", "container_closed")

    def _ConsignmentOpened(self, row: Row) -> Event:
        return self._aggregation(row, "DELETE", "container_open")

    # ------------------------------------------------------------ custody hand-offs

    def _CustodyOffered(self, row: Row) -> Event:
        a = row.args
        event = self._base(row, **self._what(a["lotId"]), action="OBSERVE", disposition="in_transit")
        self._optional(event, readPoint=self._where(a["from"]))
        event.update(self._transfer(row))
        event["kp:sealId"] = a["sealId"]
        return event

    def _CustodyOfferWithdrawn(self, row: Row) -> Event:
        a = row.args
        event = self._base(row, **self._what(a["lotId"]), action="OBSERVE", disposition="in_progress")
        self._optional(event, bizLocation=self._where(a["from"]))
        event.update(self._transfer(row))
        return event

    def _CustodyRejected(self, row: Row) -> Event:
        a = row.args
        event = self._base(row, **self._what(a["lotId"]), action="OBSERVE",
                           disposition=reason_disposition(a["reason"]))
        self._optional(event, readPoint=self._where(a["to"]), bizLocation=self._where(a["from"]))
        event.update(self._transfer(row))
        event["kp:rejection"] = reason(a["reason"])
        return event

    def _CustodySealMismatch(self, row: Row) -> Event:
        a = row.args
        event = self._base(row, **self._what(a["lotId"]), action="OBSERVE", disposition="damaged")
        self._optional(event, readPoint=self._where(a["to"]), bizLocation=self._where(a["from"]))
        event.update(self._transfer(row))
        event["kp:sealCheck"] = {"kp:result": "mismatch", "kp:attestedSealId": a["attestedSealId"],
                                 "kp:offeredSealId": self.r.offered_seal(a["lotId"], position(row)),
                                 "kp:transferRefused": True}
        if self.r.consignment(a["lotId"]) is not None:
            event["kp:consignmentStatus"] = "compromised"
        return event

    def _CustodyTransferred(self, row: Row) -> Event:
        a = row.args
        event = self._base(row, **self._what(a["lotId"]), action="OBSERVE", disposition="in_progress")
        self._optional(event, bizLocation=self._where(a["to"]))
        event.update(self._transfer(row))
        if a["certificateKey"] != ZERO32:
            cert = self._cert(a["certificateKey"])
            event.update(self._certificate(cert))
            event["kp:borderCrossing"] = {"kp:from": self.ids.participant(cert.exporter),
                                          "kp:to": self.ids.participant(cert.importer)}
        event["kp:sealCheck"] = {"kp:result": "intact", "kp:attestedSealId": a["sealId"]}
        return event

    # ------------------------------------------------------------ certificates

    def _CertificateIssued(self, row: Row) -> Event:
        a = row.args
        cert = self._cert(a["certificateKey"])
        event = self._base(row, epcList=[self.ids.lot(cert.consignment_id)], action="ADD", **self._certificate(cert))
        event.update({
            "bizLocation": {"id": self.ids.participant(cert.exporter)},
            "sourceList": [{"type": "location", "source": self.ids.participant(cert.exporter)}],
            "destinationList": [{"type": "location", "destination": self.ids.participant(cert.importer)}],
            "kp:certificate": {
                "kp:number": cert.number, "kp:carats": carat_value(cert.points), "kp:parcelCount": cert.parcel_count,
                "kp:hsCodes": [hs_code(c) for c in cert.hs_codes], "kp:origins": list(cert.origins),
                "kp:mixedOrigin": len(cert.origins) > 1, "kp:issuedAt": timestamp(cert.issued_at),
                "kp:expiresAt": timestamp(cert.expires_at), "kp:documentHash": cert.document_hash},
            "kp:authority": self.ids.operator(a["authority"]),
        })
        return event

    def _import_check(self, row: Row, disposition: str) -> Event:
        a = row.args
        cert = self._cert(a["certificateKey"])
        event = self._base(row, epcList=[self.ids.lot(cert.consignment_id)], action="OBSERVE",
                           disposition=disposition, **self._certificate(cert))
        event.update({"bizLocation": {"id": self.ids.participant(cert.importer)},
                      "kp:authority": self.ids.operator(a["authority"])})
        return event

    def _ImportConfirmed(self, row: Row) -> Event:
        return self._import_check(row, "completeness_verified")

    def _ImportDiscrepancy(self, row: Row) -> Event:
        a = row.args
        event = self._import_check(row, reason_disposition(a["reason"]))
        event.update({"kp:discrepancy": reason(a["reason"]), "kp:evidenceHash": a["evidenceHash"]})
        return event

    def _CertificateVoided(self, row: Row) -> Event:
        """A void corrects the issuing event: the same event (same eventID) again, with an errorDeclaration."""
        a = row.args
        cert = self._cert(a["certificateKey"])
        event = self._CertificateIssued(self.r.issuing_event(cert))
        event["recordTime"] = timestamp(row.timestamp)
        event["errorDeclaration"] = {"declarationTime": timestamp(row.timestamp),
                                     "reason": void_error_reason(a["reason"]), "kp:reason": reason(a["reason"]),
                                     "kp:authority": self.ids.operator(a["authority"])}
        return event
