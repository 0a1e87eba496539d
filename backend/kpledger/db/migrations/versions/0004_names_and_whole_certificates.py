"""Named members (profiles and their history), governance parameters, certificates bound to their exporter and
importer accounts and to the certificate they supersede.

The contracts these columns follow changed their events (CertificateIssued's tuple), so an index built from an
older deployment is rebuilt from the chain, not upgraded: see the README's upgrade notes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("licence_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("registry_ref", sa.String(length=64), nullable=True))
    op.create_table(
        "profile_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("participant", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("licence_number", sa.String(length=64), nullable=False),
        sa.Column("registry_ref", sa.String(length=64), nullable=False),
        sa.Column("changed_by", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_profile_changes_address"), "profile_changes", ["address"], unique=False)
    op.create_table(
        "ledger_parameters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("exporter_account", sa.String(length=42), nullable=True))
        batch.add_column(sa.Column("replaces", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_certificates_exporter_account"), ["exporter_account"], unique=False)
        batch.create_index(batch.f("ix_certificates_importer_account"), ["importer_account"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_index(batch.f("ix_certificates_importer_account"))
        batch.drop_index(batch.f("ix_certificates_exporter_account"))
        batch.drop_column("superseded_by")
        batch.drop_column("replaces")
        batch.drop_column("exporter_account")
    op.drop_table("ledger_parameters")
    op.drop_index(op.f("ix_profile_changes_address"), table_name="profile_changes")
    op.drop_table("profile_changes")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("registry_ref")
        batch.drop_column("licence_number")
        batch.drop_column("name")
