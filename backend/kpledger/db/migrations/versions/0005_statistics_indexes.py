"""Indexes of the KP statistics: a period's border crossings (partial: only the hand-offs that spent a
certificate), a participant's certificates by issue date, and a period's registrations at origin.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CROSSINGS = sa.text("certificate_key IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_custody_steps_crossings", "custody_steps", ["timestamp", "certificate_key"],
                    sqlite_where=CROSSINGS, postgresql_where=CROSSINGS)
    op.create_index("ix_certificates_exporter_issued_at", "certificates", ["exporter", "issued_at"])
    op.create_index("ix_certificates_importer_issued_at", "certificates", ["importer", "issued_at"])
    op.create_index("ix_parcels_created_by_at", "parcels", ["created_by", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_parcels_created_by_at", "parcels")
    op.drop_index("ix_certificates_importer_issued_at", "certificates")
    op.drop_index("ix_certificates_exporter_issued_at", "certificates")
    op.drop_index("ix_custody_steps_crossings", "custody_steps")
