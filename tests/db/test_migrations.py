"""Schema migrations (Alembic): a new database gets exactly the models' schema, an old one is upgraded in place."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kpledger.core.seals import seal_id_of
from kpledger.db.models import Base, RelayRequest, RelayTransaction, SealLabel
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


def test_labels_in_certificate_documents_filed_before_0007_are_taken_in_when_they_hash_to_the_seal(tmp_path: Path):
    """Seal labels came with revision 0007; the certificate documents filed before it already held theirs."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.create_engine(url)
    migrate(old, "0006")
    documents = {"BW0000001": {"seal": {"label": "BW-SEAL-0001", "id": seal_id_of("BW-SEAL-0001")}},
                 "BW0000002": {"seal": {"label": "NOT-THE-SEAL", "id": seal_id_of("BW-SEAL-0002")}},
                 "BW0000003": {"value_usd": "1,000.00"}}  # a form document filed before the schema: no seal
    with old.begin() as conn:
        for number, doc in documents.items():
            conn.execute(sa.text(
                "INSERT INTO record_documents (kind, reference, sha256, content_type, content, uploaded_by, "
                "uploaded_at) VALUES ('certificate', :n, '0x00', 'application/json', :c, '0x01', 1)"),
                {"n": number, "c": json.dumps(doc).encode()})
    db = Database(url)
    assert schema_differences(db.engine) == []
    with db.session() as s:
        kept = {row.seal_id: row.label for row in s.query(SealLabel)}
    assert kept == {seal_id_of("BW-SEAL-0001"): "BW-SEAL-0001"}
