"""The indexer's bulk writes store what SQLAlchemy would store, and leave the connection and GC as they were."""

from __future__ import annotations

import gc

from sqlalchemy import select

from kpledger.db import models as m
from kpledger.db.session import Database
from kpledger.indexer.bulk import _fast_plan, insert_rows, roomy_cache, update_rows
from kpledger.indexer.follower import _collector_paused


def parcel(pid: int, **changes) -> dict:
    row = {"id": pid, "holder": "0x" + "aa" * 20, "points": 10_000, "stones": 3, "hs_code": 710231,
           "origins": ["BW", "CA"], "status": "live", "consignment_id": None, "sealed": False,
           "document_hash": "0x" + "00" * 32, "created_by": "registered", "created_block": 7, "created_tx": "0x01",
           "created_at": 1_700_000_000}
    return {**row, **changes}


def stored(db: Database) -> list[tuple]:
    with db.session() as s:
        return [(p.id, p.holder, p.origins, p.status, p.consignment_id, p.sealed)
                for p in s.scalars(select(m.Parcel).order_by(m.Parcel.id))]


def test_rows_inserted_and_updated_in_bulk_read_back_through_the_orm(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'bulk.db'}")
    assert _fast_plan(db.engine.dialect, m.Parcel.__table__, tuple(parcel(1)), False) is not None  # driver path
    with db.transaction() as s:
        insert_rows(s, m.Parcel.__table__, [parcel(1), parcel(2, sealed=True, consignment_id=9)])
    with db.transaction() as s:
        update_rows(s, m.Parcel.__table__, [parcel(2, origins=["BW"], status="closed", sealed=False)])
    assert stored(db) == [(1, "0x" + "aa" * 20, ["BW", "CA"], "live", None, False),
                          (2, "0x" + "aa" * 20, ["BW"], "closed", None, False)]


def test_rows_naming_fewer_columns_get_the_columns_defaults(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'bulk.db'}")
    row = parcel(3)
    del row["sealed"]  # default=False, filled in by SQLAlchemy's own executemany
    assert _fast_plan(db.engine.dialect, m.Parcel.__table__, tuple(row), False) is None
    with db.transaction() as s:
        insert_rows(s, m.Parcel.__table__, [row])
    assert stored(db) == [(3, "0x" + "aa" * 20, ["BW", "CA"], "live", None, False)]


def test_events_get_their_autoincrement_ids(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'bulk.db'}")
    event = {"block_number": 5, "block_hash": "0x05", "timestamp": 1, "tx_hash": "0x06", "contract": "KPLedger",
             "name": "ParcelRegistered", "args": {"parcelId": 1, "origin": "BW"}}
    with db.transaction() as s:
        insert_rows(s, m.Event.__table__, [{**event, "log_index": 0}, {**event, "log_index": 1}])
    with db.session() as s:
        assert [(e.id, e.log_index, e.args) for e in s.scalars(select(m.Event).order_by(m.Event.id))] == [
            (1, 0, {"parcelId": 1, "origin": "BW"}), (2, 1, {"parcelId": 1, "origin": "BW"})]


def test_the_page_cache_is_back_to_its_size_after_a_batch(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'bulk.db'}")
    with db.transaction(durable=False) as s:
        before = s.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        with roomy_cache(s):
            assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() < before  # negative: KiB, larger
        assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() == before


def test_the_garbage_collector_resumes_only_if_it_was_running():
    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
