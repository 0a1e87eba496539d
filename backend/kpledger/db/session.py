"""Database engine and sessions: SQLite file by default (WAL, synchronous FULL), PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from kpledger.db.models import Base


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
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Adds nullable columns introduced after a database was created (create_all only makes new tables)."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(engine.dialect)
                with engine.begin() as conn:
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))


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
