"""The signed transaction lives in relay_transactions only: rows journaled before batching move there.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    legacy = conn.execute(sa.text(
        "SELECT r.tx_hash, r.relayer_nonce, r.raw_tx, r.created_at FROM relay_requests r "
        "WHERE r.raw_tx IS NOT NULL AND r.tx_hash IS NOT NULL AND r.relayer_nonce IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM relay_transactions t WHERE t.tx_hash = r.tx_hash)")).all()
    if legacy:
        moved = {row.tx_hash: row for row in legacy}  # a transaction of its own per row: one each
        conn.execute(sa.text("INSERT INTO relay_transactions (tx_hash, relayer_nonce, raw_tx, created_at) "
                             "VALUES (:tx_hash, :relayer_nonce, :raw_tx, :created_at)"),
                     [row._asdict() for row in moved.values()])
    with op.batch_alter_table("relay_requests") as batch:
        batch.drop_column("raw_tx")


def downgrade() -> None:
    with op.batch_alter_table("relay_requests") as batch:
        batch.add_column(sa.Column("raw_tx", sa.Text(), nullable=True))
