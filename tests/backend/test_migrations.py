"""Schema migrations (Alembic): a new database gets exactly the models' schema, an old one is upgraded in place."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kpledger.db.models import Base, RelayRequest, RelayTransaction
from kpledger.db.session import Database, make_engine, migrate


def schema_differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_a_new_sqlite_database_has_the_models_schema(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'kp.db'}")
    assert schema_differences(engine) == []


def test_a_new_postgresql_database_has_the_models_schema(postgres_url: str):
    engine = make_engine(postgres_url)
    assert schema_differences(engine) == []


def test_a_database_made_before_migrations_is_stamped_and_upgraded(tmp_path: Path):
    """A journal of the last release without migrations: its single-request transactions keep their signed raw
    transaction in relay_requests.raw_tx; after the upgrade it lives in relay_transactions, nothing lost."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.create_engine(url)
    migrate(old, "0001")
    with old.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))  # as create_all() left it
        conn.execute(sa.text(
            "INSERT INTO relay_requests (id, action, signer, body, status, relayer_nonce, raw_tx, tx_hash, "
            "batch_index, created_at, updated_at) VALUES ('0xaa', 'RegisterParcel', '0x01', '{}', 'pending', 4, "
            "'0xf86c', '0xbb', NULL, 1, 1)"))
    db = Database(url)
    assert schema_differences(db.engine) == []
    with db.session() as s:
        moved = s.get(RelayTransaction, "0xbb")
        assert (moved.raw_tx, moved.relayer_nonce) == ("0xf86c", 4)
        assert s.get(RelayRequest, "0xaa").status == "pending"
    Database(url)  # a second start changes nothing
    assert schema_differences(db.engine) == []
