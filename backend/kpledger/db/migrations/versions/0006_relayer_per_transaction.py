"""The relayer address of every journaled transaction and request, so that the journal of a rotated key is
reconciled under the address that signed it (nonces are per address). Existing rows get the sender recovered
from their signed transaction (a row whose transaction does not decode is adopted by the relayer's key at start).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from eth_account import Account

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("relay_transactions", "relay_requests"):  # a nullable column: a plain ALTER TABLE everywhere
        op.add_column(table, sa.Column("relayer", sa.String(42), nullable=True))
        op.create_index(f"ix_{table}_by_relayer", table, ["relayer", "relayer_nonce"])
    conn = op.get_bind()
    senders = {}
    for row in conn.execute(sa.text("SELECT tx_hash, raw_tx FROM relay_transactions")):
        try:
            senders[row.tx_hash] = Account.recover_transaction(row.raw_tx)
        except Exception:  # noqa: BLE001 - not a signed transaction: left NULL, adopted by the relayer at start
            continue
    if senders:
        conn.execute(sa.text("UPDATE relay_transactions SET relayer = :relayer WHERE tx_hash = :tx_hash"),
                     [{"relayer": a, "tx_hash": h} for h, a in senders.items()])
        conn.execute(sa.text("UPDATE relay_requests SET relayer = :relayer WHERE tx_hash = :tx_hash"),
                     [{"relayer": a, "tx_hash": h} for h, a in senders.items()])


def downgrade() -> None:
    for table in ("relay_requests", "relay_transactions"):
        op.drop_index(f"ix_{table}_by_relayer", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("relayer")
