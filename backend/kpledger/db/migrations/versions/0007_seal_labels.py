"""Seal labels: the label printed on a seal for its id (keccak-256 of the label), off chain like filed documents, so
that pages show "BAG-0901" beside the id. Labels already in filed certificate documents (`seal.label`) are taken in
when they hash to the document's seal id.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from alembic import op
from eth_utils import keccak

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seal_labels",
        sa.Column("seal_id", sa.String(length=66), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("learnt_from", sa.String(length=40), nullable=False),
        sa.Column("learnt_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("seal_id"),
    )
    conn = op.get_bind()
    found: dict[str, str] = {}
    for (content,) in conn.execute(sa.text("SELECT content FROM record_documents WHERE kind = 'certificate'")):
        try:
            seal = json.loads(bytes(content))["seal"]
            label, seal_id = str(seal["label"]), str(seal["id"]).lower()
        except (ValueError, KeyError, TypeError):  # a document filed before the schema: no seal in it
            continue
        if 0 < len(label) <= 120 and "0x" + keccak(text=label).hex() == seal_id:
            found[seal_id] = label
    if found:
        now = time.time()
        conn.execute(sa.text("INSERT INTO seal_labels (seal_id, label, learnt_from, learnt_at) "
                             "VALUES (:seal_id, :label, 'certificate', :at)"),
                     [{"seal_id": i, "label": label, "at": now} for i, label in found.items()])


def downgrade() -> None:
    op.drop_table("seal_labels")
