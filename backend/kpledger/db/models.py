"""Tables: the relay journal (never rebuilt), what the chain does not hold (filed documents, seal labels) and the
index (a projection of the chain's events).

Index tables are derived from `events` alone and can be dropped and rebuilt at any time
(`INDEX_TABLES`); the journal holds what the backend acknowledged and must never be lost; documents and seal labels
are off chain by design, kept through a rebuild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, LargeBinary, String, Table, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}
    if TYPE_CHECKING:  # every model here maps one Table (SQLAlchemy types `__table__` as any FromClause)
        __table__: ClassVar[Table]


# ---------------------------------------------------------------- relay journal


class RelayRequest(Base):
    """A signed request the backend accepted: written (and fsynced) before it is acknowledged."""

    __tablename__ = "relay_requests"
    __table_args__ = (Index("ix_relay_requests_by_relayer", "relayer", "relayer_nonce"),)
    id: Mapped[str] = mapped_column(String(66), primary_key=True)  # keccak of the signed intent
    action: Mapped[str] = mapped_column(String(40))
    signer: Mapped[str] = mapped_column(String(42), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | sent | mined | failed
    relayer_nonce: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # the relayer account that signed its transaction (nonces are per account: a rotated key's rows keep theirs)
    relayer: Mapped[str | None] = mapped_column(String(42), nullable=True)
    # the signed transaction is journaled once in relay_transactions (a batch's is shared by all its requests)
    tx_hash: Mapped[str | None] = mapped_column(String(66), index=True)
    # position of the request's call in its KPRelayBatch transaction (None: a transaction of its own, journaled
    # before batching)
    batch_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger)  # of the receipt, for the answer
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column()
    updated_at: Mapped[float] = mapped_column()


class RelayTransaction(Base):
    """A signed relayer transaction (one request, or a batch of them), journaled before it is sent."""

    __tablename__ = "relay_transactions"
    __table_args__ = (Index("ix_relay_transactions_by_relayer", "relayer", "relayer_nonce"),)
    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    relayer_nonce: Mapped[int] = mapped_column(BigInteger, index=True)
    relayer: Mapped[str | None] = mapped_column(String(42), nullable=True)  # the account that signed it
    raw_tx: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column()


class Document(Base):
    """The off-chain document of one record (a certificate's or a parcel's), served only through that record and
    to those entitled to it. Its content type is the one of its first filing."""

    __tablename__ = "record_documents"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # certificate | parcel
    reference: Mapped[str] = mapped_column(String(64), primary_key=True)  # certificate number or parcel id
    sha256: Mapped[str] = mapped_column(String(66), index=True)  # = the hash the record anchored on chain
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(42))
    uploaded_at: Mapped[float] = mapped_column()


class SealLabel(Base):
    """The label printed on a seal, for its bytes32 id (keccak-256 of the label): learnt from a write that carried
    it beside the signed id, or from a certificate's filed document, and kept only once checked against the id.
    The chain holds the id alone, so an index rebuilt from the chain keeps this table (it is no projection)."""

    __tablename__ = "seal_labels"
    seal_id: Mapped[str] = mapped_column(String(66), primary_key=True)  # 0x-hex, lower case
    label: Mapped[str] = mapped_column(String(120))
    learnt_from: Mapped[str] = mapped_column(String(40))  # the action (SealConsignment, ...) or "certificate"
    learnt_at: Mapped[float] = mapped_column()


# ---------------------------------------------------------------- index: raw events and cursor


class IndexedBlock(Base):
    """Hashes of recently indexed blocks, to detect a reorganisation and find the fork point."""

    __tablename__ = "indexed_blocks"
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)


class Cursor(Base):
    __tablename__ = "indexer_cursor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)  # last block fully indexed
    block_hash: Mapped[str] = mapped_column(String(66))


class Event(Base):
    """Every decoded log of the three contracts, in chain order."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66), index=True)
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(40), index=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    __table_args__ = (Index("ix_events_order", "block_number", "log_index", unique=True),)


# ---------------------------------------------------------------- index: projections


class Participant(Base):
    __tablename__ = "participants"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    index: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16))  # active | suspended
    admitted_block: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[int] = mapped_column(BigInteger)


class Member(Base):
    """An authority or operator account: its participant, roles and public profile (the legal name its authority
    licensed it under, published as KP authorities publish their licensed exporters)."""

    __tablename__ = "members"
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    participant: Mapped[str] = mapped_column(String(2), index=True)
    roles: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    licence_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    registry_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ProfileChange(Base):
    """Every profile a member had, in chain order (what the public profile said, and when)."""

    __tablename__ = "profile_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    participant: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(120))
    licence_number: Mapped[str] = mapped_column(String(64))
    registry_ref: Mapped[str] = mapped_column(String(64))
    changed_by: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)


class Parameter(Base):
    """A governance parameter of the ledger (e.g. the longest certificate validity), as last set on chain."""

    __tablename__ = "ledger_parameters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)


class Parcel(Base):
    __tablename__ = "parcels"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(42), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    stones: Mapped[int] = mapped_column(Integer)
    hs_code: Mapped[int] = mapped_column(Integer)
    origins: Mapped[list[Any]] = mapped_column(JSON)  # sorted ISO codes of the mining countries
    status: Mapped[str] = mapped_column(String(8))  # live | closed
    consignment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    document_hash: Mapped[str] = mapped_column(String(66), index=True)
    created_by: Mapped[str] = mapped_column(String(16))  # registered | split | merged
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(66))
    created_at: Mapped[int] = mapped_column(BigInteger)
    # KP statistics: the registrations at origin (production) of a period
    __table_args__ = (Index("ix_parcels_created_by_at", "created_by", "created_at"),)


class ParcelLink(Base):
    """Lineage: `child_id` was made from `parent_id` by a split or a merge."""

    __tablename__ = "parcel_links"
    # no foreign keys in projections: they are consistent by construction (replayed in chain order),
    # and constraint checks would force a flush per event
    parent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    child_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, index=True)
    kind: Mapped[str] = mapped_column(String(8))  # split | merge


class Consignment(Base):
    __tablename__ = "consignments"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(42), index=True)
    seal_id: Mapped[str] = mapped_column(String(66), index=True)
    status: Mapped[str] = mapped_column(String(12))  # sealed | opened | compromised
    parcel_ids: Mapped[list[Any]] = mapped_column(JSON)
    points: Mapped[int] = mapped_column(BigInteger)
    certificate_key: Mapped[str | None] = mapped_column(String(66))
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(66))
    created_at: Mapped[int] = mapped_column(BigInteger)


class ConsignmentParcel(Base):
    __tablename__ = "consignment_parcels"
    consignment_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    parcel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, index=True)


class Offer(Base):
    __tablename__ = "offers"
    lot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sender: Mapped[str] = mapped_column(String(42))
    recipient: Mapped[str] = mapped_column(String(42), index=True)
    seal_id: Mapped[str] = mapped_column(String(66))


class CustodyStep(Base):
    """One custody event of a lot (parcel or consignment), with the parties' countries."""

    __tablename__ = "custody_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # registered | split | merged | sealed | opened | offered | withdrawn | rejected | seal_mismatch | transferred
    sender: Mapped[str | None] = mapped_column(String(42))
    recipient: Mapped[str | None] = mapped_column(String(42))
    sender_country: Mapped[str | None] = mapped_column(String(2))
    recipient_country: Mapped[str | None] = mapped_column(String(2))
    seal_id: Mapped[str | None] = mapped_column(String(66))
    certificate_key: Mapped[str | None] = mapped_column(String(66))
    reason: Mapped[int | None] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    tx_hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    # KP statistics: the border crossings of a period (the hand-offs that spent a certificate), a small part of
    # the steps; the certificate key is in the index so that a period's crossings are read from it alone
    __table_args__ = (Index("ix_custody_steps_crossings", "timestamp", "certificate_key",
                            sqlite_where=text("certificate_key IS NOT NULL"),
                            postgresql_where=text("certificate_key IS NOT NULL")),)


class Certificate(Base):
    __tablename__ = "certificates"
    key: Mapped[str] = mapped_column(String(66), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    consignment_id: Mapped[int] = mapped_column(BigInteger, index=True)
    exporter: Mapped[str] = mapped_column(String(2), index=True)
    importer: Mapped[str] = mapped_column(String(2), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    parcel_count: Mapped[int] = mapped_column(Integer)
    hs_codes: Mapped[list[Any]] = mapped_column(JSON)
    origins: Mapped[list[Any]] = mapped_column(JSON)
    issued_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    document_hash: Mapped[str] = mapped_column(String(66), index=True)
    status: Mapped[str] = mapped_column(String(12))  # issued | delivered | confirmed | disputed | voided
    issued_by: Mapped[str] = mapped_column(String(42))
    issued_block: Mapped[int] = mapped_column(BigInteger)
    issued_tx: Mapped[str] = mapped_column(String(66))
    exporter_account: Mapped[str | None] = mapped_column(String(42), index=True)  # bound on chain at issue
    importer_account: Mapped[str | None] = mapped_column(String(42), index=True)  # the only possible recipient
    replaces: Mapped[str | None] = mapped_column(String(32), nullable=True)  # number of the certificate superseded
    superseded_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{event, block, tx, timestamp, ...}]
    # KP statistics on the issue-date basis: a participant's certificates issued in a period
    __table_args__ = (Index("ix_certificates_exporter_issued_at", "exporter", "issued_at"),
                      Index("ix_certificates_importer_issued_at", "importer", "issued_at"))


INDEX_TABLES = [
    IndexedBlock, Cursor, Event, Participant, Member, ProfileChange, Parameter, Parcel, ParcelLink, Consignment,
    ConsignmentParcel, Offer, CustodyStep, Certificate,
]
