"""Provenance assembled from the index: lineage across splits and merges in three countries."""

from __future__ import annotations

from kpledger.queries.provenance import provenance
from tests.support.indexing import catch_up, make_indexer
from tests.support.scenarios import ThreeCountries
from tests.support.stack import Direct


def test_provenance_across_three_countries_is_complete_and_ordered(node, direct: Direct):
    direct.setup_world()
    journey = ThreeCountries().run(direct)
    indexer = make_indexer(node)
    catch_up(indexer)
    ids = journey.ids
    with indexer.db.session() as s:
        p = provenance(s, ids["for_india"])
    assert p["parcel"]["holder"] == direct.actors["in_cutter"].address
    assert p["origins"] == ["BW", "CA"] and p["parcel"]["mixed_origin"]
    assert p["lineage"]["roots"] == [ids["bw_rom"], ids["ca_gem"]]
    assert {n["id"] for n in p["lineage"]["nodes"]} == {ids["bw_rom"], ids["bw_gem"], ids["ca_gem"], ids["mixed"],
                                                         ids["for_india"]}
    assert {(e["from"], e["to"], e["kind"]) for e in p["lineage"]["edges"]} == {
        (ids["bw_rom"], ids["bw_gem"], "split"), (ids["bw_gem"], ids["mixed"], "merge"),
        (ids["ca_gem"], ids["mixed"], "merge"), (ids["mixed"], ids["for_india"], "split")}
    routes = [(c["from_country"], c["to_country"]) for c in p["crossings"]]
    assert routes == [("BW", "EU"), ("CA", "EU"), ("EU", "IN")]
    assert [c["number"] for c in p["certificates"]] == ["BW0000001", "CA0000001", "EU0000001"]
    assert all(c["status"] == "confirmed" for c in p["certificates"])
    assert p["country_path"] == ["BW", "CA", "EU", "IN"]
    assert p["verdict"]["status"] == "ok"
    assert p["verdict"]["summary"] == "every border crossing (3) covered by a confirmed KP certificate"
    order = [(s["block"], s["log_index"]) for s in p["timeline"]]
    assert order == sorted(order)
    kinds = [s["kind"] for s in p["timeline"]]
    assert kinds[0] == "registered" and kinds[-1] == "opened"
    assert kinds.count("transferred") == 3
    # the sibling kept in Antwerp is not part of this parcel's history
    assert all(s["lot_id"] != ids["kept"] for s in p["timeline"])


def test_an_unconfirmed_crossing_makes_the_verdict_incomplete(node, direct: Direct):
    direct.setup_world()
    d, a = direct, direct.actors
    d.send("mine", d.ledger, "registerParcel", 1_000, 1, 710231, "BW", b"\x01" * 32)
    d.send("mine", d.ledger, "sealConsignment", [1], b"\x02" * 32)
    d.issue("bw_authority", "BW0000009", "EU", "eu_trader", 2, 1_000, 1, [710231], ["BW"], b"\x03" * 32,
            valid_for=3600)
    d.send("mine", d.ledger, "offer", 2, a["eu_trader"].address, b"\x02" * 32)
    d.send("eu_trader", d.ledger, "acceptOffer", 2, b"\x02" * 32)
    indexer = make_indexer(node)
    catch_up(indexer)
    with indexer.db.session() as s:
        p = provenance(s, 1)
    assert p["verdict"]["status"] == "incomplete"
    assert p["verdict"]["problems"] == ["crossing BW -> EU under BW0000009: import not yet confirmed"]
