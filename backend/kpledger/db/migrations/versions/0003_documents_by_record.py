"""A filed document belongs to the record it was filed for (kind, reference), not to its hash alone.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_documents",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=66), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=42), nullable=False),
        sa.Column("uploaded_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "reference"),
    )
    op.create_index(op.f("ix_record_documents_sha256"), "record_documents", ["sha256"], unique=False)
    # each document filed so far was filed for one record, the one it names
    op.execute("INSERT INTO record_documents (kind, reference, sha256, content_type, content, uploaded_by, "
               "uploaded_at) SELECT kind, reference, sha256, content_type, content, uploaded_by, uploaded_at "
               "FROM documents")
    op.drop_index(op.f("ix_documents_reference"), table_name="documents")
    op.drop_table("documents")


def downgrade() -> None:
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
    op.execute("INSERT INTO documents SELECT sha256, kind, reference, content_type, content, uploaded_by, uploaded_at "
               "FROM record_documents")
    op.drop_index(op.f("ix_record_documents_sha256"), table_name="record_documents")
    op.drop_table("record_documents")
