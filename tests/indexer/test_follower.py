"""The indexer follows the chain into the database, resumes after a restart and survives reorgs."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from kpledger.db import models as m
from kpledger.indexer import Indexer
from kpledger.indexer.projector import replay
from tests.support.indexing import catch_up, make_indexer
from tests.support.stack import Direct, anvil_only

GEM, UNSORTED = 710231, 710210


def doc(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def chain_state(direct: Direct) -> dict[int, tuple]:
    """Every lot as the contracts' storage views report it."""
    out = {}
    for lot in range(1, direct.ledger.functions.lastLotId().call() + 1):
        c = direct.ledger.functions.consignment(lot).call()
        if c[2] != 0:
            out[lot] = ("consignment", c[0], {0: None, 1: "sealed", 2: "opened", 3: "compromised"}[c[2]], c[6])
        else:
            p = direct.ledger.functions.parcel(lot).call()
            out[lot] = ("parcel", p[0], {1: "live", 2: "closed"}[p[3]], p[1])
        offer = direct.ledger.functions.offerOf(lot).call()
        out[lot] += (None if int(offer, 16) == 0 else offer,)
    return out


def index_state(indexer: Indexer) -> dict[int, tuple]:
    out = {}
    with indexer.db.session() as s:
        offers = {o.lot_id: o.recipient for o in s.query(m.Offer)}
        for c in s.query(m.Consignment):
            out[c.id] = ("consignment", c.holder, c.status, c.points, offers.get(c.id))
        for p in s.query(m.Parcel):
            out[p.id] = ("parcel", p.holder, p.status, p.points, offers.get(p.id))
    return out


def journey(direct: Direct, tag: str = "a") -> None:
    """Register, split, merge, seal, offer/accept within BW, certify and cross to the EU."""
    a = direct.actors
    send, ledger = direct.send, direct.ledger
    send("mine", ledger, "registerParcel", 10_000, 50, UNSORTED, "BW", doc(f"{tag}1"))
    first = ledger.functions.lastLotId().call()
    send("mine", ledger, "splitParcel", first, [(6_000, 20, GEM, doc(f"{tag}2")), (4_000, 30, GEM, doc(f"{tag}3"))])
    send("mine", ledger, "registerParcel", 1_000, 5, GEM, "BW", doc(f"{tag}4"))
    send("mine", ledger, "mergeParcels", [first + 2, first + 3], doc(f"{tag}5"))
    merged = ledger.functions.lastLotId().call()
    send("mine", ledger, "sealConsignment", [first + 1, merged], doc(f"seal-{tag}"))
    cid = ledger.functions.lastLotId().call()
    send("mine", ledger, "offer", cid, a["bw_exporter"].address, doc(f"seal-{tag}"))
    send("bw_exporter", ledger, "acceptOffer", cid, doc(f"seal-{tag}"))
    direct.issue("bw_authority", f"BW{tag.upper()}0001", "EU", "eu_trader", cid, 11_000, 2, [GEM], ["BW"],
                 doc(f"cert-{tag}"), valid_for=86_400)
    send("bw_exporter", ledger, "offer", cid, a["eu_trader"].address, doc(f"seal-{tag}"))
    send("eu_trader", ledger, "acceptOffer", cid, doc(f"seal-{tag}"))
    send("eu_authority", direct.certificates, "confirmImport", f"BW{tag.upper()}0001")
    send("eu_trader", ledger, "openConsignment", cid)


def test_the_index_matches_the_chain_after_a_journey(node, direct):
    direct.setup_world()
    journey(direct)
    indexer = make_indexer(node)
    catch_up(indexer)
    assert index_state(indexer) == chain_state(direct)
    with indexer.db.session() as s:
        cert = s.query(m.Certificate).one()
        assert (cert.number, cert.status, cert.exporter, cert.importer) == ("BWA0001", "confirmed", "BW", "EU")
        assert [p.code for p in s.query(m.Participant).order_by(m.Participant.index)] == ["BW", "EU", "CA", "IN"]
        crossing = s.query(m.CustodyStep).filter(m.CustodyStep.certificate_key.is_not(None)).one()
        assert (crossing.sender_country, crossing.recipient_country) == ("BW", "EU")


def test_the_indexer_resumes_where_it_stopped(node, direct):
    direct.setup_world()
    indexer = make_indexer(node)
    catch_up(indexer)
    before = indexer.indexed_block
    journey(direct)
    resumed = make_indexer(node)  # a new process on the same database
    assert resumed.indexed_block == before
    catch_up(resumed)
    assert index_state(resumed) == chain_state(direct)
    with resumed.db.session() as s:
        assert s.query(m.Event).filter(m.Event.name == "ParcelRegistered").count() == 2


def test_the_index_survives_a_reorganisation(node, direct):
    direct.setup_world()
    indexer = make_indexer(node)
    snapshot = node.w3.provider.make_request("evm_snapshot", [])["result"]
    journey(direct, "a")
    catch_up(indexer)
    assert len(index_state(indexer)) == 6
    node.w3.provider.make_request("evm_revert", [snapshot])
    # a different history of the same height and beyond replaces the indexed one
    direct.send("mine", direct.ledger, "registerParcel", 777, 1, GEM, "BW", doc("other"))
    journey(direct, "b")
    catch_up(indexer)
    assert indexer.reorgs >= 1
    assert index_state(indexer) == chain_state(direct)
    with indexer.db.session() as s:
        assert s.query(m.Certificate).one().number == "BWB0001"
        assert s.query(m.Parcel).filter(m.Parcel.points == 777).count() == 1


@anvil_only  # anvil_reorg: Hardhat has no reorg method (its evm_revert is covered by the test above)
def test_anvil_reorg_is_followed(node, direct):
    direct.setup_world()
    journey(direct, "a")
    indexer = make_indexer(node)
    catch_up(indexer)
    # replace the last 3 blocks with empty ones
    result = node.w3.provider.make_request("anvil_reorg", [3, []])
    assert "error" not in result, result
    catch_up(indexer)
    assert index_state(indexer) == chain_state(direct)


def test_a_rebuild_from_stored_events_gives_the_same_index(node, direct):
    direct.setup_world()
    journey(direct)
    indexer = make_indexer(node)
    catch_up(indexer)
    before = index_state(indexer)
    assert indexer.rebuild() > 20
    assert index_state(indexer) == before


def tables(indexer: Indexer) -> dict[str, list]:
    """Every row of the events and projection tables, autoincrement ids left out, in a stable order."""
    out = {}
    with indexer.db.session() as s:
        for model in (m.Event, m.Participant, m.Member, m.Parcel, m.ParcelLink, m.Consignment, m.ConsignmentParcel,
                      m.Offer, m.CustodyStep, m.Certificate):
            columns = [c for c in model.__table__.columns if not (c.primary_key and c.autoincrement is True)]
            out[model.__tablename__] = sorted(map(repr, s.execute(select(*columns)).all()))
    return out


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_block_by_block_indexing_and_a_rebuild_in_small_batches_give_the_same_tables(node, direct, tmp_path, request,
                                                                                     database):
    """Rows written by one step are read back (in bulk) and updated by later ones: the result is the same."""
    direct.setup_world()
    journey(direct, "a")
    journey(direct, "b")
    whole = make_indexer(node)
    catch_up(whole)
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else f"sqlite:///{tmp_path / 's.db'}"
    stepwise = make_indexer(node, url, log_range=1)
    catch_up(stepwise)
    expected = tables(whole)
    assert len(expected["events"]) > 40
    assert tables(stepwise) == expected
    with stepwise.db.transaction() as s:
        assert replay(s, batch=3) == len(expected["events"])
    assert tables(stepwise) == expected


def test_the_index_works_on_postgresql_too(node, direct, postgres_url):
    direct.setup_world()
    journey(direct)
    indexer = make_indexer(node, postgres_url)
    catch_up(indexer)
    assert index_state(indexer) == chain_state(direct)
    snapshot = node.w3.provider.make_request("evm_snapshot", [])["result"]
    direct.send("mine", direct.ledger, "registerParcel", 5, 1, GEM, "BW", doc("pg"))
    catch_up(indexer)
    node.w3.provider.make_request("evm_revert", [snapshot])
    direct.send("mine", direct.ledger, "registerParcel", 6, 1, GEM, "BW", doc("pg2"))
    direct.send("mine", direct.ledger, "registerParcel", 7, 1, GEM, "BW", doc("pg3"))
    catch_up(indexer)
    assert index_state(indexer) == chain_state(direct)
