"""Applies decoded events to the index's projection tables, mirroring the contracts' rules.

The projection materialises what the contracts resolve lazily: a parcel inside a consignment
gets the consignment's holder written on every hand-off, so reads never have to chase pointers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kpledger.chain.decoder import DecodedLog
from kpledger.core.constants import ZERO32
from kpledger.db import models as m
from kpledger.indexer.batch import CachedRow, ProjectionBatch

CERT_STATUS = {"CertificateUsed": "delivered", "ImportConfirmed": "confirmed", "ImportDiscrepancy": "disputed",
               "CertificateVoided": "voided"}


class Projector(ProjectionBatch):
    """Applies one batch of events inside one session, one handler per event, then `flush()`es it in bulk."""

    def __init__(self, session: Session):
        super().__init__(session)
        self._handlers: dict[str, Callable[[DecodedLog], None]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("on_")
        }

    def apply(self, log: DecodedLog, timestamp: int) -> None:
        self.ts = timestamp
        handler = self._handlers.get(log.name)
        if handler is not None:
            handler(log)

    # ------------------------------------------------------------ helpers

    def step(self, log: DecodedLog, lot_id: int, kind: str, sender: str | None = None,
             recipient: str | None = None, **extra: Any) -> None:
        self._inserts[m.CustodyStep].append({
            "lot_id": lot_id, "kind": kind, "sender": sender, "recipient": recipient,
            "sender_country": self.country(sender), "recipient_country": self.country(recipient),
            "seal_id": None, "certificate_key": None, "reason": None, "block_number": log.block_number,
            "log_index": log.log_index, "tx_hash": log.tx_hash, "timestamp": self.ts, **extra})

    def parcel(self, parcel_id: int) -> CachedRow:
        """A parcel the event names as one (not a lot id that may be a consignment's)."""
        return self.require(m.Parcel, parcel_id)

    def consignment(self, consignment_id: int) -> CachedRow | None:
        return self.get(m.Consignment, consignment_id)

    def parcels_of(self, consignment: CachedRow) -> list[CachedRow]:
        return [self.parcel(pid) for pid in consignment.parcel_ids]

    def new_parcel(self, log: DecodedLog, parcel_id: int, holder: str, origins: list[str], kind: str,
                   stones: int = 0) -> CachedRow:
        a = log.args
        return self.add(
            m.Parcel, parcel_id, id=parcel_id, holder=holder, points=a["points"], stones=stones, hs_code=a["hsCode"],
            origins=sorted(set(origins)), status="live", consignment_id=None, sealed=False,
            document_hash=a["documentHash"], created_by=kind, created_block=log.block_number, created_tx=log.tx_hash,
            created_at=self.ts)

    def link(self, table: type, **row: Any) -> None:
        self._inserts[table].append(row)

    def certificate(self, key: str) -> CachedRow:
        return self.require(m.Certificate, key)

    # ------------------------------------------------------------ registry

    def on_ParticipantAdmitted(self, log: DecodedLog) -> None:
        a = log.args
        self.add(m.Participant, a["participant"], code=a["participant"], name=a["name"], index=a["index"],
                 status="active", admitted_block=log.block_number, changed_at=self.ts)

    def on_ParticipantSuspended(self, log: DecodedLog) -> None:
        p = self.require(m.Participant, log.args["participant"])
        p.status, p.changed_at = "suspended", self.ts

    def on_ParticipantReinstated(self, log: DecodedLog) -> None:
        p = self.require(m.Participant, log.args["participant"])
        p.status, p.changed_at = "active", self.ts

    def member(self, account: str, participant: str) -> CachedRow:
        """The member row of an account (created, with no role and no profile yet, at its first event)."""
        member = self.get(m.Member, account)
        if member is None:
            member = self.add(m.Member, account, address=account, participant=participant, roles=0, name=None,
                              licence_number=None, registry_ref=None)
        self._countries[account] = participant
        return member

    def on_MemberRolesChanged(self, log: DecodedLog) -> None:
        a = log.args
        self.member(a["account"], a["participant"]).roles = a["roles"]

    def on_MemberProfileChanged(self, log: DecodedLog) -> None:
        a = log.args
        member = self.member(a["account"], a["participant"])
        member.name, member.licence_number, member.registry_ref = a["name"], a["licenceNumber"], a["registryRef"]
        self._inserts[m.ProfileChange].append({
            "address": a["account"], "participant": a["participant"], "name": a["name"],
            "licence_number": a["licenceNumber"], "registry_ref": a["registryRef"], "changed_by": a["by"],
            "block_number": log.block_number, "tx_hash": log.tx_hash, "timestamp": self.ts})

    def on_MaxCertificateValiditySet(self, log: DecodedLog) -> None:
        self.s.merge(m.Parameter(name="maxCertificateValidity", value=log.args["maxValidity"], set_by=log.args["by"],
                                 block_number=log.block_number))

    # ------------------------------------------------------------ parcels

    def on_ParcelRegistered(self, log: DecodedLog) -> None:
        a = log.args
        self.new_parcel(log, a["parcelId"], a["producer"], [a["origin"]], "registered", a["stones"])
        self.step(log, a["parcelId"], "registered", recipient=a["producer"])

    def on_ParcelSplit(self, log: DecodedLog) -> None:
        a = log.args
        parent = self.parcel(a["parentId"])
        parent.status, parent.holder, parent.consignment_id, parent.sealed = "closed", a["holder"], None, False
        self.new_parcel(log, a["childId"], a["holder"], parent.origins, "split", a["stones"])
        self.link(m.ParcelLink, parent_id=a["parentId"], child_id=a["childId"], kind="split")
        self.step(log, a["childId"], "split", sender=a["holder"], recipient=a["holder"])

    def on_ParcelsMerged(self, log: DecodedLog) -> None:
        a = log.args
        sources = [self.parcel(source_id) for source_id in a["sourceIds"]]
        origins = sorted({code for source in sources for code in source.origins})
        # a merge keeps every stone of its parcels (the event carries no count: the index adds them up)
        self.new_parcel(log, a["parcelId"], a["holder"], origins, "merged", sum(s.stones for s in sources))
        for source in sources:
            source.status, source.holder, source.consignment_id, source.sealed = "closed", a["holder"], None, False
            self.link(m.ParcelLink, parent_id=source.id, child_id=a["parcelId"], kind="merge")
        self.step(log, a["parcelId"], "merged", sender=a["holder"], recipient=a["holder"])

    # ------------------------------------------------------------ consignments

    def on_ConsignmentSealed(self, log: DecodedLog) -> None:
        a = log.args
        cid = a["consignmentId"]
        consignment = self.add(
            m.Consignment, cid, id=cid, holder=a["holder"], seal_id=a["sealId"], status="sealed",
            parcel_ids=list(a["parcelIds"]), points=a["points"], certificate_key=None, created_block=log.block_number,
            created_tx=log.tx_hash, created_at=self.ts)
        for parcel in self.parcels_of(consignment):
            parcel.consignment_id, parcel.sealed, parcel.holder = cid, True, a["holder"]
            self.link(m.ConsignmentParcel, consignment_id=cid, parcel_id=parcel.id)
        self.step(log, cid, "sealed", sender=a["holder"], recipient=a["holder"], seal_id=a["sealId"])

    def on_ConsignmentOpened(self, log: DecodedLog) -> None:
        consignment = self.require(m.Consignment, log.args["consignmentId"])
        consignment.status = "opened"
        for parcel in self.parcels_of(consignment):
            if parcel.consignment_id == consignment.id:
                parcel.sealed = False
        self.step(log, consignment.id, "opened", sender=log.args["holder"], recipient=log.args["holder"])

    # ------------------------------------------------------------ custody

    def on_CustodyOffered(self, log: DecodedLog) -> None:
        a = log.args
        # offers are kept per lot for the batch and written at flush: one lot's offer often comes and goes
        self._offers[a["lotId"]] = {"lot_id": a["lotId"], "sender": a["from"], "recipient": a["to"],
                                    "seal_id": a["sealId"]}
        parcel = self.get(m.Parcel, a["lotId"])  # None: the lot is a consignment
        if parcel is not None:
            parcel.consignment_id = None  # the contract detaches a parcel from its opened consignment here
        self.step(log, a["lotId"], "offered", a["from"], a["to"], seal_id=a["sealId"])

    def _close_offer(self, log: DecodedLog, kind: str, **extra: Any) -> None:
        a = log.args
        self._offers[a["lotId"]] = None
        self.step(log, a["lotId"], kind, a["from"], a["to"], **extra)

    def on_CustodyOfferWithdrawn(self, log: DecodedLog) -> None:
        self._close_offer(log, "withdrawn")

    def on_CustodyRejected(self, log: DecodedLog) -> None:
        self._close_offer(log, "rejected", reason=log.args["reason"])

    def on_CustodySealMismatch(self, log: DecodedLog) -> None:
        consignment = self.consignment(log.args["lotId"])
        if consignment is not None:
            consignment.status = "compromised"
        self._close_offer(log, "seal_mismatch", seal_id=log.args["attestedSealId"])

    def on_CustodyTransferred(self, log: DecodedLog) -> None:
        a = log.args
        key = a["certificateKey"] if a["certificateKey"] != ZERO32 else None
        consignment = self.consignment(a["lotId"])
        if consignment is not None:
            consignment.holder = a["to"]
            for parcel in self.parcels_of(consignment):  # a sealed consignment holds all its parcels
                parcel.holder = a["to"]
        else:
            parcel = self.parcel(a["lotId"])
            parcel.holder, parcel.consignment_id = a["to"], None
        self._close_offer(log, "transferred", seal_id=a["sealId"], certificate_key=key)

    # ------------------------------------------------------------ certificates

    def on_CertificateIssued(self, log: DecodedLog) -> None:
        a = log.args
        c = a["certificate"]
        self.add(
            m.Certificate, a["certificateKey"],
            key=a["certificateKey"], number=a["number"], consignment_id=a["consignmentId"], exporter=c["exporter"],
            importer=c["importer"], points=a["points"], parcel_count=a["parcelCount"], hs_codes=list(a["hsCodes"]),
            origins=list(a["origins"]), issued_at=c["issuedAt"], expires_at=c["expiresAt"],
            document_hash=c["documentHash"], status="issued", issued_by=a["authority"],
            issued_block=log.block_number, issued_tx=log.tx_hash, exporter_account=c["exporterAccount"],
            importer_account=c["importerAccount"], replaces=None, superseded_by=None, history=[self._history(log)])
        consignment = self.consignment(a["consignmentId"])
        if consignment is not None:
            consignment.certificate_key = a["certificateKey"]

    def _history(self, log: DecodedLog) -> dict[str, Any]:
        entry = {"event": log.name, "block": log.block_number, "tx": log.tx_hash, "timestamp": self.ts}
        for field in ("authority", "reason", "evidenceHash", "importer"):
            if field in log.args:
                entry[field] = log.args[field]
        return entry

    def _certificate_event(self, log: DecodedLog) -> None:
        cert = self.certificate(log.args["certificateKey"])
        cert.status = CERT_STATUS[log.name]
        if log.name == "CertificateUsed":
            cert.importer_account = log.args["importer"]
        cert.history = [*cert.history, self._history(log)]

    on_CertificateUsed = on_ImportConfirmed = on_ImportDiscrepancy = on_CertificateVoided = _certificate_event

    def on_CertificateSuperseded(self, log: DecodedLog) -> None:
        replaced, by = self.certificate(log.args["replacedKey"]), self.certificate(log.args["byKey"])
        replaced.superseded_by, by.replaces = by.number, replaced.number
        entry = {**self._history(log), "replaced": replaced.number, "by": by.number}
        replaced.history = [*replaced.history, entry]
        by.history = [*by.history, entry]


def clear_projections(session: Session) -> None:
    """Empties every projection table (events and cursor stay) before a replay."""
    for table in (m.CustodyStep, m.Offer, m.ConsignmentParcel, m.ParcelLink, m.Certificate, m.Consignment,
                  m.Parcel, m.ProfileChange, m.Parameter, m.Member, m.Participant):
        session.execute(delete(table))


def replay(session: Session, batch: int = 20_000) -> int:
    """Rebuilds every projection from the stored events; returns how many were applied."""
    clear_projections(session)
    projector = Projector(session)
    count = 0
    rows = session.execute(select(m.Event.contract, m.Event.name, m.Event.args, m.Event.block_number,
                                  m.Event.block_hash, m.Event.timestamp, m.Event.tx_hash, m.Event.log_index)
                           .order_by(m.Event.block_number, m.Event.log_index)).yield_per(5_000)
    for chunk in rows.partitions(batch):
        logs = [DecodedLog(contract, name, args, block, block_hash, ts, tx, log_index)
                for contract, name, args, block, block_hash, ts, tx, log_index in chunk]
        projector.prefetch(logs)
        for log, row in zip(logs, chunk, strict=True):
            projector.apply(log, row.timestamp)
        projector.flush()
        count += len(logs)
    return count
