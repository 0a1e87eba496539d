"""Database engine and sessions: SQLite file by default (WAL, synchronous FULL), PostgreSQL by URL. The schema is
brought to the latest Alembic revision (`kpledger/db/migrations/versions/`) when the engine is made."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001"  # the schema as it was when migrations were introduced


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # noqa: ANN001 - DBAPI hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # an acknowledged write must survive a kill -9 of the backend: fsync every commit
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    migrate(engine)
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrades the schema to `revision` (Alembic). A database made before migrations existed (it has the
    journal but no `alembic_version`) is stamped with the first revision, whose schema it has, then upgraded."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "relay_requests" in tables and "alembic_version" not in tables:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


class Database:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Session]:
        """A session committed at the end. `durable=False` (SQLite): the commit survives a crash of the process
        (WAL) but is not fsynced, for what can be rebuilt from the chain (relay outcomes, the index)."""
        if durable or self.engine.dialect.name != "sqlite":
            with self.sessions.begin() as session:
                yield session
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
            try:
                with self.sessions(bind=conn) as session, session.begin():
                    yield session
            finally:
                conn.rollback()  # nothing left open, whatever happened above
                conn.exec_driver_sql("PRAGMA synchronous=FULL")  # the pooled connection goes back durable
                conn.commit()
