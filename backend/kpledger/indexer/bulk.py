"""Bulk writes for the indexer: one executemany per table and statement, in the session's transaction.

SQLAlchemy's executemany builds and converts a parameter dict per row, which cost the indexer about as
much as SQLite's own work. On SQLite the statement is compiled once per table and set of columns and the
rows go to the driver cursor as tuples, each value converted by its column type's own bind processor (so
what is stored is exactly what SQLAlchemy would store). Other databases keep the Core executemany, whose
dialects batch rows their own way (insertmanyvalues, pipelines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, insert, update
from sqlalchemy.orm import Session

CACHE_KIB = 128 * 1024  # SQLite page cache for a batch's transaction (the default is 2 MiB)
Row = dict[str, Any]
_Plan = tuple[str, Callable[[Row], tuple[Any, ...]], tuple[tuple[int, Callable[[Any], Any]], ...]]


def insert_rows(session: Session, table: Table, rows: Sequence[Row]) -> None:
    """INSERT of `rows` (dicts with the same keys, by column name) into `table`."""
    if not rows:
        return
    conn = session.connection()
    plan = _fast_plan(conn.dialect, table, tuple(rows[0]), False)
    if plan is None:
        conn.execute(insert(table), list(rows))
    else:
        _executemany(conn, plan, rows)


def update_rows(session: Session, table: Table, rows: Sequence[Row]) -> None:
    """UPDATE of every column of `rows` (full rows, by column name) in `table`, matched by primary key."""
    if not rows:
        return
    conn = session.connection()
    plan = _fast_plan(conn.dialect, table, tuple(rows[0]), True)
    if plan is None:
        conn.execute(_update_by_key(table), [{"k_" + k: v for k, v in row.items()} for row in rows])
    else:
        _executemany(conn, plan, rows)


@contextmanager
def roomy_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache for one bulk transaction, back to the connection's own size at its end.

    With the default 2 MiB, a batch of a few tens of thousands of events no longer fits: the dirty pages of
    the events' and projections' indexes spill into the WAL mid-transaction and are read back. Pages are
    allocated as they are used, and dirty ones are kept until the commit whatever the size (SQLite only.)"""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _executemany(conn: Any, plan: _Plan, rows: Sequence[Row]) -> None:
    sql, values, processors = plan
    if processors:
        params: list[Any] = []
        for row in rows:
            value = list(values(row))
            for i, process in processors:
                value[i] = process(value[i])
            params.append(value)
    else:
        params = [values(row) for row in rows]
    cursor = conn.connection.cursor()  # the DBAPI connection of the session's transaction
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


@lru_cache(maxsize=256)
def _fast_plan(dialect: Dialect, table: Table, keys: tuple[str, ...], by_key: bool) -> _Plan | None:
    """(SQL, row -> values in parameter order, converters by position), or None where Core is used.

    Only for SQLite's positional parameters, and only when the rows name every column the statement needs
    (a column left out could have a default SQLAlchemy fills in per execution)."""
    if dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        return None
    columns = {c.name: c for c in table.columns}
    needed = {c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)}
    if not needed <= set(keys) <= set(columns):
        return None
    if by_key:
        compiled = _update_by_key(table).compile(dialect=dialect)
        names = [name[2:] for name in compiled.positiontup or ()]
    else:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        names = list(compiled.positiontup or ())
    if sorted(names) != sorted(keys):
        return None
    processors = []
    for i, name in enumerate(names):
        process = columns[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((i, process))
    values = itemgetter(*names) if len(names) > 1 else (lambda row, name=names[0]: (row[name],))
    return compiled.string, values, tuple(processors)


@cache
def _update_by_key(table: Table) -> Any:
    """UPDATE of every column by primary key, parameters named `k_<column>` (a column's own name is reserved)."""
    (pk,) = table.primary_key.columns
    return (update(table).where(pk == bindparam("k_" + pk.name))
            .values({c.name: bindparam("k_" + c.name) for c in table.columns if c is not pk}))
