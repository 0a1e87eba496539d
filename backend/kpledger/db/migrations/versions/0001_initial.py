"""The schema as it was before migrations were introduced (journal, documents, index).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("key", sa.String(length=66), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("consignment_id", sa.BigInteger(), nullable=False),
        sa.Column("exporter", sa.String(length=2), nullable=False),
        sa.Column("importer", sa.String(length=2), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("parcel_count", sa.Integer(), nullable=False),
        sa.Column("hs_codes", sa.JSON(), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("document_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("issued_by", sa.String(length=42), nullable=False),
        sa.Column("issued_block", sa.BigInteger(), nullable=False),
        sa.Column("issued_tx", sa.String(length=66), nullable=False),
        sa.Column("importer_account", sa.String(length=42), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(op.f("ix_certificates_consignment_id"), "certificates", ["consignment_id"], unique=False)
    op.create_index(op.f("ix_certificates_document_hash"), "certificates", ["document_hash"], unique=False)
    op.create_index(op.f("ix_certificates_exporter"), "certificates", ["exporter"], unique=False)
    op.create_index(op.f("ix_certificates_importer"), "certificates", ["importer"], unique=False)
    op.create_table(
        "consignment_parcels",
        sa.Column("consignment_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parcel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("consignment_id", "parcel_id"),
    )
    op.create_index(op.f("ix_consignment_parcels_parcel_id"), "consignment_parcels", ["parcel_id"], unique=False)
    op.create_table(
        "consignments",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("seal_id", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("parcel_ids", sa.JSON(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("certificate_key", sa.String(length=66), nullable=True),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("created_tx", sa.String(length=66), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_consignments_holder"), "consignments", ["holder"], unique=False)
    op.create_index(op.f("ix_consignments_seal_id"), "consignments", ["seal_id"], unique=False)
    op.create_table(
        "custody_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=True),
        sa.Column("recipient", sa.String(length=42), nullable=True),
        sa.Column("sender_country", sa.String(length=2), nullable=True),
        sa.Column("recipient_country", sa.String(length=2), nullable=True),
        sa.Column("seal_id", sa.String(length=66), nullable=True),
        sa.Column("certificate_key", sa.String(length=66), nullable=True),
        sa.Column("reason", sa.Integer(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_custody_steps_lot_id"), "custody_steps", ["lot_id"], unique=False)
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(length=66), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=42), nullable=False),
        sa.Column("uploaded_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_index(op.f("ix_documents_reference"), "documents", ["reference"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_events_block_number"), "events", ["block_number"], unique=False)
    op.create_index(op.f("ix_events_name"), "events", ["name"], unique=False)
    op.create_index("ix_events_order", "events", ["block_number", "log_index"], unique=True)
    op.create_index(op.f("ix_events_tx_hash"), "events", ["tx_hash"], unique=False)
    op.create_table(
        "indexed_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "indexer_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "members",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("participant", sa.String(length=2), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_index(op.f("ix_members_participant"), "members", ["participant"], unique=False)
    op.create_table(
        "offers",
        sa.Column("lot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("seal_id", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("lot_id"),
    )
    op.create_index(op.f("ix_offers_recipient"), "offers", ["recipient"], unique=False)
    op.create_table(
        "parcel_links",
        sa.Column("parent_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("child_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("parent_id", "child_id"),
    )
    op.create_index(op.f("ix_parcel_links_child_id"), "parcel_links", ["child_id"], unique=False)
    op.create_table(
        "parcels",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("stones", sa.Integer(), nullable=False),
        sa.Column("hs_code", sa.Integer(), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("consignment_id", sa.BigInteger(), nullable=True),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("document_hash", sa.String(length=66), nullable=False),
        sa.Column("created_by", sa.String(length=16), nullable=False),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("created_tx", sa.String(length=66), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_parcels_consignment_id"), "parcels", ["consignment_id"], unique=False)
    op.create_index(op.f("ix_parcels_document_hash"), "parcels", ["document_hash"], unique=False)
    op.create_index(op.f("ix_parcels_holder"), "parcels", ["holder"], unique=False)
    op.create_table(
        "participants",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("admitted_block", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("index"),
    )
    op.create_table(
        "relay_requests",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("relayer_nonce", sa.BigInteger(), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("batch_index", sa.Integer(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_relay_requests_relayer_nonce"), "relay_requests", ["relayer_nonce"], unique=False)
    op.create_index(op.f("ix_relay_requests_signer"), "relay_requests", ["signer"], unique=False)
    op.create_index(op.f("ix_relay_requests_status"), "relay_requests", ["status"], unique=False)
    op.create_index(op.f("ix_relay_requests_tx_hash"), "relay_requests", ["tx_hash"], unique=False)
    op.create_table(
        "relay_transactions",
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("relayer_nonce", sa.BigInteger(), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("tx_hash"),
    )
    op.create_index(op.f("ix_relay_transactions_relayer_nonce"), "relay_transactions", ["relayer_nonce"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_relay_transactions_relayer_nonce"), table_name="relay_transactions")
    op.drop_table("relay_transactions")
    op.drop_index(op.f("ix_relay_requests_tx_hash"), table_name="relay_requests")
    op.drop_index(op.f("ix_relay_requests_status"), table_name="relay_requests")
    op.drop_index(op.f("ix_relay_requests_signer"), table_name="relay_requests")
    op.drop_index(op.f("ix_relay_requests_relayer_nonce"), table_name="relay_requests")
    op.drop_table("relay_requests")
    op.drop_table("participants")
    op.drop_index(op.f("ix_parcels_holder"), table_name="parcels")
    op.drop_index(op.f("ix_parcels_document_hash"), table_name="parcels")
    op.drop_index(op.f("ix_parcels_consignment_id"), table_name="parcels")
    op.drop_table("parcels")
    op.drop_index(op.f("ix_parcel_links_child_id"), table_name="parcel_links")
    op.drop_table("parcel_links")
    op.drop_index(op.f("ix_offers_recipient"), table_name="offers")
    op.drop_table("offers")
    op.drop_index(op.f("ix_members_participant"), table_name="members")
    op.drop_table("members")
    op.drop_table("indexer_cursor")
    op.drop_table("indexed_blocks")
    op.drop_index(op.f("ix_events_tx_hash"), table_name="events")
    op.drop_index("ix_events_order", table_name="events")
    op.drop_index(op.f("ix_events_name"), table_name="events")
    op.drop_index(op.f("ix_events_block_number"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_documents_reference"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_custody_steps_lot_id"), table_name="custody_steps")
    op.drop_table("custody_steps")
    op.drop_index(op.f("ix_consignments_seal_id"), table_name="consignments")
    op.drop_index(op.f("ix_consignments_holder"), table_name="consignments")
    op.drop_table("consignments")
    op.drop_index(op.f("ix_consignment_parcels_parcel_id"), table_name="consignment_parcels")
    op.drop_table("consignment_parcels")
    op.drop_index(op.f("ix_certificates_importer"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_exporter"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_document_hash"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_consignment_id"), table_name="certificates")
    op.drop_table("certificates")
