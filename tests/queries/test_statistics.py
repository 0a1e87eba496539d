"""KP statistics over real HTTP on a real chain: the demo journey plus a few Canadian shipments that exercise the
edges (a document not filed, one without a readable value, a certificate over two HS codes, one issued and not
yet used, one voided). Totals are checked against the certificates and parcels read back from the API."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from kpledger.client import ClientError
from kpledger.core.document_facts import certificate_value_usd
from kpledger.db.session import Database
from kpledger.dev.demo import Demo
from kpledger.dev.stack import ApiServer, LocalChain
from kpledger.queries.documents import store
from kpledger.signing.requests import sign_request
from tests.support.browser import axe_violations
from tests.support.stack import demo_stack

GEM, INDUSTRIAL = 710231, 710221
DAY = 86_400


@dataclass
class World:
    chain: LocalChain
    server: ApiServer
    demo: Demo
    summary: dict[str, Any]
    extra: dict[str, int]  # certificate number -> consignment id of the Canadian edge cases


def _ship(demo: Demo, number: str, parts: list[tuple[int, int]], *, value: str | None, cross: bool,
          void: bool = False, legacy: dict[str, Any] | None = None) -> int:
    """A CA consignment to Antwerp under certificate `number`: parcels (points, HS code) registered and sealed, the
    certificate issued with its kp-certificate/1 document filed when `value` is given (not filed when None), or, with
    `legacy`, a document of the form filed before the schema (written to the index as an older backend filed it),
    then handed over (`cross`) or voided (`void`)."""
    mine, authority, trader = demo.clients["ca_mine"], demo.clients["ca_authority"], demo.clients["antwerp_trader"]
    ids = []
    for k, (points, hs) in enumerate(parts):
        _, doc = demo.document(f"{number}-{k}.json", {"parcel": f"{number}-{k}", "points": points})
        ids.append(mine.register_parcel(points=points, hs_code=hs, origin="CA", document_hash=doc)["result"]
                   ["parcel_id"])
    seal = f"SEAL-{number}"
    box = mine.seal_consignment(ids, seal)["result"]["consignment_id"]
    now = int(time.time())
    terms = {"consignment_id": box, "points": sum(p for p, _ in parts), "parcel_count": len(parts),
             "hs_codes": sorted({hs for _, hs in parts}), "origins": ["CA"], "issued_at": now - 60,
             "expires_at": now + 30 * DAY}
    if legacy is None:
        demo.certificate("ca_authority", number, exporter="ca_mine", importer="antwerp_trader", seal=seal,
                         value_usd=value or "1.00", file=value is not None, **terms)
    else:
        path, digest = demo.document(f"{number}.json", {"title": "Kimberley Process Certificate", "number": number,
                                                        **legacy})
        authority.issue_certificate(number=number, importer="EU", importer_account=demo.addr("antwerp_trader"),
                                    document_hash=digest, **terms)
        with Database(f"sqlite:///{demo.documents_dir.parent / 'kp.db'}").transaction() as s:
            store(s, "certificate", number, digest, path.read_bytes(), "application/json", authority.address)
    if cross:
        mine.offer(box, demo.addr("antwerp_trader"), seal)
        trader.accept(box, seal)
    if void:
        authority.void_certificate(number, 6)
    return box


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("statistics") / "data"
    with demo_stack(data) as (chain, server, demo):
        summary = demo.run()
        extra = {
            "CA0000002": _ship(demo, "CA0000002", [(10_000, GEM)], value=None, cross=True),
            "CA0000003": _ship(demo, "CA0000003", [(5_000, INDUSTRIAL), (2_500, GEM)], value="1000.00", cross=True),
            "CA0000004": _ship(demo, "CA0000004", [(1_000, GEM)], value=None, legacy={"value": "unstated"},
                               cross=True),
            "CA0000005": _ship(demo, "CA0000005", [(500, GEM)], value="70.00", cross=False),
            "CA0000006": _ship(demo, "CA0000006", [(100, GEM)], value="9.00", cross=False, void=True),
        }
        yield World(chain, server, demo, summary, extra)


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.server.url, timeout=60) as c:
        yield c


def get_ok(c: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    r = c.get(path, params=params)
    assert r.status_code == 200, (path, params, r.status_code, r.text[:500])
    return r.json()


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert (r.status_code, r.json()["code"]) == (status, code), r.text[:500]


def signed_get(c: httpx.Client, key: bytes, path: str, **params: Any) -> httpx.Response:
    """A request signed over its path and query string exactly as sent."""
    target = httpx.URL(path, params=params).raw_path.decode()
    return c.get(target, headers=sign(c, key, target))


def sign(c: httpx.Client, key: bytes, target: str, **kw: Any) -> dict[str, str]:
    """Signed-request headers for `target` (path and query) on the client's base URL."""
    return sign_request(key, "GET", str(c.base_url).rstrip("/") + target, chain_id=31337, **kw)


def crossing_time(certificate: dict[str, Any]) -> int:
    return next(e["timestamp"] for e in certificate["history"] if e["event"] == "CertificateUsed")


def quarter_of(seconds: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.year, (moment.month - 1) // 3 + 1


def crossed(api: httpx.Client, *numbers: str) -> dict[str, dict[str, Any]]:
    """The certificates as the certificate route shows them, with their crossing's year and quarter."""
    out = {}
    for number in numbers:
        cert = get_ok(api, f"/v1/certificates/{number}")
        cert["quarter"] = quarter_of(crossing_time(cert))
        out[number] = cert
    return out


def carats(points: int) -> str:
    return f"{Decimal(points) / 100:.2f}"


def assert_reconciles(report: dict[str, Any]) -> None:
    """Rows add up to the totals, and the totals to the certificates listed beside them, period by period."""
    by_rows: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_certs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in report["rows"]:
        by_rows[(row["period"], row["flow"])] += Decimal(row["carats"])
        assert row["certificates"] == len(row["certificate_numbers"])
    for cert in report["certificates"]:
        by_certs[(cert["period"], cert["flow"])].append(cert)
        assert sum(Decimal(v) for v in cert["carats_by_hs"].values()) == Decimal(cert["carats"])
    for total in report["totals"]:
        key = (total["period"], total["flow"])
        certs = by_certs.get(key, [])
        assert Decimal(total["carats"]) == by_rows.get(key, Decimal(0)) == sum(Decimal(c["carats"]) for c in certs)
        assert total["certificates"] == len(certs)
        numbers = sorted({n for row in report["rows"] if (row["period"], row["flow"]) == key
                          for n in row["certificate_numbers"]})
        assert numbers == sorted(c["number"] for c in certs)
        if report["value"]["shown"]:
            known = [Decimal(c["value_usd"]) for c in certs if c["value_usd"] is not None]
            assert Decimal(total["value_usd"]) == sum(known, Decimal(0))
            assert total["value_unknown"] == len(certs) - len(known)
            rows_value = sum((Decimal(r["value_usd"]) for r in report["rows"] if (r["period"], r["flow"]) == key),
                             Decimal(0))
            assert rows_value + Decimal(total["value_usd_not_split_by_hs"]) == Decimal(total["value_usd"])


# ------------------------------------------------------------------ the value reader (a pure function)


@pytest.mark.parametrize(("document", "value"), [
    (b'{"value_usd": "41,300,000.00"}', Decimal("41300000.00")),
    (b'{"value_usd": "950"}', Decimal("950")),
    (b'{"value_usd": " 12.5 "}', Decimal("12.5")),
    (b'{"value_usd": 12.5}', None),  # a JSON number may have been a float on the way: only decimal strings
    (b'{"value_usd": "-3.00"}', None),
    (b'{"value_usd": "1,00.00"}', None),
    (b'{"value_usd": "12e3"}', None),
    (b'{"value": "12.00"}', None),
    (b'["value_usd", "12.00"]', None),
    (b"%PDF-1.7 not json", None),
    # a kp-certificate/1 document states it in the schema's form only: plain digits, at most 2 decimals
    (b'{"schema": "kp-certificate/1", "value_usd": "41300000.00"}', Decimal("41300000.00")),
    (b'{"schema": "kp-certificate/1", "value_usd": "41,300,000.00"}', None),
    (b'{"schema": "kp-certificate/1", "value_usd": " 12.5"}', None),
    (b'{"schema": "kp-certificate/1", "value_usd": "12.505"}', None),
    (b"\xff\xfe", None),
])
def test_the_value_of_a_certificate_document_is_read_from_its_decimal_string(document: bytes, value):
    assert certificate_value_usd(document) == value


# ------------------------------------------------------------------ trade


def test_trade_totals_are_the_sum_of_the_certificates_behind_them(world: World, api: httpx.Client):
    certs = crossed(api, "BW0000001", "CA0000001", "EU0000001", "CA0000002", "CA0000003", "CA0000004")
    year, quarter = certs["BW0000001"]["quarter"]
    assert all(c["quarter"] == (year, quarter) for c in certs.values()), "the journey straddled a quarter's end"
    expected = {  # participant -> flow -> numbers (from the certificates themselves)
        "BW": {"export": ["BW0000001"], "import": []},
        "CA": {"export": ["CA0000001", "CA0000002", "CA0000003", "CA0000004"], "import": []},
        "EU": {"export": ["EU0000001"],
               "import": ["BW0000001", "CA0000001", "CA0000002", "CA0000003", "CA0000004"]},
        "IN": {"export": [], "import": ["EU0000001"]},
    }
    label = f"{year}-Q{quarter}"
    for code, flows in expected.items():
        report = get_ok(api, f"/v1/statistics/participants/{code}/trade", year=year)
        assert [p["period"] for p in report["periods"]] == [f"{year}-Q{q}" for q in (1, 2, 3, 4)]
        assert_reconciles(report)
        assert "value_usd" not in json.dumps(report["rows"]) and report["value"]["shown"] is False
        for flow, numbers in flows.items():
            listed = [c for c in report["certificates"] if c["flow"] == flow]
            assert sorted(c["number"] for c in listed) == numbers
            total = next(t for t in report["totals"] if (t["period"], t["flow"]) == (label, flow))
            assert Decimal(total["carats"]) == sum(Decimal(carats(certs[n]["points"])) for n in numbers)
            for c in listed:
                cert = certs[c["number"]]
                assert (c["exporter"], c["importer"], c["carats"], c["consignment_id"]) == (
                    cert["exporter"], cert["importer"], carats(cert["points"]), cert["consignment_id"])
                assert c["partner"] == (cert["importer"] if flow == "export" else cert["exporter"])
                assert c["parcel_ids"] == sorted(p["id"] for p in cert["parcels"])
                by_hs: dict[str, Decimal] = defaultdict(Decimal)
                for p in cert["parcels"]:
                    by_hs[f"{p['hs_code'] // 100}.{p['hs_code'] % 100:02d}"] += Decimal(carats(p["points"]))
                assert {k: Decimal(v) for k, v in c["carats_by_hs"].items()} == by_hs
                assert c["crossed_at"] == datetime.fromtimestamp(crossing_time(cert), UTC).isoformat().replace(
                    "+00:00", "Z")
        other = [t for t in report["totals"] if t["period"] != label]
        assert all(t["carats"] == "0.00" and t["certificates"] == 0 for t in other)

    eu = get_ok(api, "/v1/statistics/participants/EU/trade", year=year, quarter=quarter)
    assert [p["period"] for p in eu["periods"]] == [label]
    rows = {(r["flow"], r["partner"], r["hs_code"]): (r["carats"], r["certificate_numbers"]) for r in eu["rows"]}
    assert rows == {
        ("export", "IN", "7102.31"): ("2000.00", ["EU0000001"]),
        ("import", "BW", "7102.31"): ("3500.00", ["BW0000001"]),
        ("import", "CA", "7102.21"): ("50.00", ["CA0000003"]),
        ("import", "CA", "7102.31"): ("1335.00", ["CA0000001", "CA0000002", "CA0000003", "CA0000004"]),
    }
    assert eu["rows"][0]["partner_name"] == "India"


def test_the_issue_date_basis_counts_unused_certificates_and_leaves_out_voided_ones(world: World,
                                                                                    api: httpx.Client):
    cert = get_ok(api, "/v1/certificates/CA0000005")
    year, quarter = quarter_of(cert["issued_at"])
    by_issue = get_ok(api, "/v1/statistics/participants/CA/trade", year=year, basis="issue")
    by_crossing = get_ok(api, "/v1/statistics/participants/CA/trade", year=year)
    assert_reconciles(by_issue)
    issued = sorted(c["number"] for c in by_issue["certificates"])
    assert issued == ["CA0000001", "CA0000002", "CA0000003", "CA0000004", "CA0000005"]  # CA0000006 voided
    assert "CA0000005" not in [c["number"] for c in by_crossing["certificates"]]  # issued, not yet used
    unused = next(c for c in by_issue["certificates"] if c["number"] == "CA0000005")
    assert (unused["crossed_at"], unused["status"], unused["period"]) == (None, "issued", f"{year}-Q{quarter}")
    assert "issue date" in by_issue["basis_note"] and "crossed the border" in by_crossing["basis_note"]


def test_the_value_is_shown_to_the_participants_own_authority_only(world: World, api: httpx.Client):
    keys = world.demo.keys
    cert = crossed(api, "BW0000001")["BW0000001"]
    year, quarter = cert["quarter"]
    path = "/v1/statistics/participants/BW/trade"
    public = get_ok(api, path, year=year, quarter=quarter)

    refused(api.get(path, params={"year": year, "quarter": quarter, "value": "true"}), 401, "AuthenticationRequired")
    refused(signed_get(api, keys["eu_authority"], path, year=year, quarter=quarter, value="true"), 403, "NotEntitled")
    refused(signed_get(api, keys["bw_mine"], path, year=year, quarter=quarter, value="true"), 403, "NotEntitled")
    refused(signed_get(api, keys["unlicensed"], path, year=year, quarter=quarter, value="true"), 403, "NotEntitled")
    # a signature is for one request: another query string, a stale time or someone else's name do not pass
    target = httpx.URL(path, params={"year": year, "quarter": quarter, "value": "true"}).raw_path.decode()
    headers = sign(api, keys["bw_authority"], target)
    other = httpx.URL(path, params={"year": year, "quarter": (quarter % 4) + 1, "value": "true"}).raw_path.decode()
    refused(api.get(other, headers=headers), 401, "InvalidSignature")
    stale = sign(api, keys["bw_authority"], target, timestamp=int(time.time()) - 3600)
    refused(api.get(target, headers=stale), 401, "StaleRequest")
    forged = {**sign(api, keys["eu_authority"], target), "X-KP-Signer": headers["X-KP-Signer"]}
    refused(api.get(target, headers=forged), 401, "InvalidSignature")

    answer = signed_get(api, keys["bw_authority"], path, year=year, quarter=quarter, value="true")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    report = answer.json()
    assert_reconciles(report)
    assert report["value"] | {"note": None} == {"shown": True, "source": report["value"]["source"], "unknown": 0,
                                                "not_filed": 0, "unreadable": 0, "note": None}
    [row] = report["rows"]
    assert (row["partner"], row["hs_code"], row["carats"], row["value_usd"]) == ("EU", "7102.31", "3500.00",
                                                                                  "41300000.00")
    # the client library signs the same request
    assert world.demo.clients["bw_authority"].trade_statistics("BW", year, quarter, value=True) == report
    with pytest.raises(ClientError) as refusal:
        world.demo.clients["eu_authority"].trade_statistics("BW", year, quarter, value=True)
    assert (refusal.value.status, refusal.value.code) == (403, "NotEntitled")
    # the public figures are the same, without the value
    assert [{k: v for k, v in r.items() if not k.startswith("value")} for r in report["rows"]] == public["rows"]


def test_certificates_without_a_readable_value_count_as_value_unknown(world: World, api: httpx.Client):
    year, quarter = crossed(api, "CA0000002")["CA0000002"]["quarter"]
    r = signed_get(api, world.demo.keys["eu_authority"], "/v1/statistics/participants/EU/trade", year=year,
                   quarter=quarter, value="true")
    assert r.status_code == 200, r.text
    report = r.json()
    assert_reconciles(report)
    statuses = {c["number"]: (c["value_usd"], c["value_status"]) for c in report["certificates"]}
    assert statuses == {
        "BW0000001": ("41300000.00", "filed"), "CA0000001": ("9950000.00", "filed"),
        "EU0000001": ("23800000.00", "filed"), "CA0000002": (None, "not_filed"),
        "CA0000003": ("1000.00", "filed"), "CA0000004": (None, "unreadable"),
    }
    assert (report["value"]["unknown"], report["value"]["not_filed"], report["value"]["unreadable"]) == (2, 1, 1)
    totals = {t["flow"]: t for t in report["totals"]}
    assert (totals["import"]["value_usd"], totals["import"]["value_unknown"]) == ("51251000.00", 2)
    assert totals["import"]["value_usd_not_split_by_hs"] == "1000.00"  # CA0000003 covers 7102.21 and 7102.31
    assert (totals["export"]["value_usd"], totals["export"]["value_unknown"]) == ("23800000.00", 0)
    rows = {(r["flow"], r["partner"], r["hs_code"]): (r["value_usd"], r["value_unknown"]) for r in report["rows"]}
    assert rows[("import", "CA", "7102.31")] == ("9950000.00", 3)  # CA0000002, CA0000003 (split), CA0000004
    assert rows[("import", "CA", "7102.21")] == ("0.00", 1)


# ------------------------------------------------------------------ production


def test_production_is_the_carats_registered_at_origin(world: World, api: httpx.Client):
    ids = world.summary["ids"]
    rom = get_ok(api, f"/v1/parcels/{ids['run_of_mine']}")
    year, half = datetime.fromtimestamp(rom["created_at"], UTC).year, 1 + (
        datetime.fromtimestamp(rom["created_at"], UTC).month > 6)
    label = f"{year}-H{half}"
    bw = get_ok(api, "/v1/statistics/participants/BW/production", year=year)
    rows = [r for r in bw["rows"] if r["period"] == label]
    assert [(r["hs_code"], r["carats"], r["parcels"]) for r in rows] == [("7102.10", "8200.50", 2)]
    parcels = [get_ok(api, f"/v1/parcels/{pid}") for pid in rows[0]["parcel_ids"]]
    assert all(p["created_by"] == "registered" and p["origins"] == ["BW"] for p in parcels)
    assert sum(Decimal(carats(p["points"])) for p in parcels) == Decimal("8200.50")
    assert ids["run_of_mine"] in rows[0]["parcel_ids"]
    total = next(t for t in bw["totals"] if t["period"] == label)
    assert (total["carats"], total["parcels"]) == ("8200.50", 2)

    ca = get_ok(api, "/v1/statistics/participants/CA/production", year=year, half=half)
    by_hs = {r["hs_code"]: (r["carats"], r["parcels"]) for r in ca["rows"]}
    # the demo's 1,200.00 ct, then 100 + 25 + 10 + 5 + 1 gem and 50 industrial in the edge cases
    assert by_hs == {"7102.31": ("1341.00", 6), "7102.21": ("50.00", 1)}
    for row in ca["rows"]:
        parcels = [get_ok(api, f"/v1/parcels/{pid}") for pid in row["parcel_ids"]]
        assert sum(Decimal(carats(p["points"])) for p in parcels) == Decimal(row["carats"])
        assert {p["hs_code"] for p in parcels} == {int(row["hs_code"].replace(".", ""))}
    eu = get_ok(api, "/v1/statistics/participants/EU/production", year=year)  # merges and splits are no production
    assert eu["rows"] == [] and all(t["carats"] == "0.00" for t in eu["totals"])
    cf = get_ok(api, "/v1/statistics/participants/CF/production", year=year)  # its mine was refused while suspended
    assert cf["rows"] == []


# ------------------------------------------------------------------ summary, CSV, bad input


def test_the_summary_agrees_with_each_participants_report(world: World, api: httpx.Client):
    year, quarter = crossed(api, "BW0000001")["BW0000001"]["quarter"]
    summary = get_ok(api, "/v1/statistics/summary", year=year)
    figures = {p["code"]: p for p in summary["participants"]}
    for code in ("BW", "CA", "EU", "IN"):
        report = get_ok(api, f"/v1/statistics/participants/{code}/trade", year=year)
        for total in report["totals"]:
            kind = "exports" if total["flow"] == "export" else "imports"
            mine = figures.get(code, {}).get(kind, {}).get(total["period"], {"carats": "0.00", "certificates": 0})
            assert (mine["carats"], mine["certificates"]) == (total["carats"], total["certificates"])
        production = get_ok(api, f"/v1/statistics/participants/{code}/production", year=year)
        for total in production["totals"]:
            mine = figures.get(code, {}).get("production", {}).get(total["period"], {"carats": "0.00", "parcels": 0})
            assert (mine["carats"], mine["parcels"]) == (total["carats"], total["parcels"])
    world_exports = summary["world"]["exports"][str(year)]
    assert world_exports["certificates"] == sum(p["imports"][str(year)]["certificates"] for p in figures.values())
    assert Decimal(world_exports["carats"]) == sum(Decimal(p["exports"][str(year)]["carats"])
                                                   for p in figures.values())
    assert (world_exports["carats"], world_exports["certificates"]) == ("6885.00", 6)


def test_reports_download_as_csv_in_the_kp_layout(world: World, api: httpx.Client):
    year, quarter = crossed(api, "BW0000001")["BW0000001"]["quarter"]
    path = "/v1/statistics/participants/EU/trade"
    report = get_ok(api, path, year=year, quarter=quarter)
    r = api.get(path, params={"year": year, "quarter": quarter, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="kp-trade-EU-{year}-Q{quarter}.csv"'
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert list(lines[0]) == ["period", "flow", "partner", "hs_code", "carats", "certificates", "certificate_numbers"]
    data = [line for line in lines if line["partner"] != "ALL"]
    assert [(d["flow"], d["partner"], d["hs_code"], d["carats"], int(d["certificates"]), d["certificate_numbers"])
            for d in data] == [(x["flow"], x["partner"], x["hs_code"], x["carats"], x["certificates"],
                                " ".join(x["certificate_numbers"])) for x in report["rows"]]
    totals = {line["flow"]: line for line in lines if line["partner"] == "ALL"}
    assert totals["import"]["carats"] == "4885.00" and totals["import"]["certificates"] == "5"
    negotiated = api.get(path, params={"year": year, "quarter": quarter}, headers={"Accept": "text/csv"})
    assert negotiated.text == r.text and "content-disposition" not in negotiated.headers
    as_json = api.get(path, params={"year": year, "quarter": quarter, "format": "json"})
    assert as_json.json() == report and "attachment" in as_json.headers["content-disposition"]
    value = signed_get(api, world.demo.keys["eu_authority"], path, year=year, quarter=quarter, value="true",
                       format="csv")
    assert value.status_code == 200
    assert next(csv.reader(io.StringIO(value.text)))[5] == "value_usd"
    production = api.get("/v1/statistics/participants/BW/production", params={"year": year, "format": "csv"})
    assert production.text.splitlines()[0] == "period,hs_code,carats,parcels,parcel_ids"
    summary = api.get("/v1/statistics/summary", params={"year": year, "format": "csv"})
    assert f"EU,European Union,imports,{year}-Q{quarter},4885.00,5" in summary.text.splitlines()


@pytest.mark.parametrize(("path", "params", "status", "code"), [
    ("/v1/statistics/participants/BW/trade", {}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2002}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2101}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": "9" * 40}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": "2026.5"}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2026, "quarter": 5}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2026, "quarter": 0}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2026, "basis": "shipment"}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2026, "format": "xlsx"}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2026, "value": "perhaps"}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/trade", {"year": 2026, "half": 1}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/bw/trade", {"year": 2026}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BWA/trade", {"year": 2026}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/ZZ/trade", {"year": 2026}, 404, "ParticipantNotFound"),
    ("/v1/statistics/participants/TW/production", {"year": 2026}, 404, "ParticipantNotFound"),
    ("/v1/statistics/participants/BW/production", {"year": 2026, "half": 3}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/production", {"year": 2026, "quarter": 1}, 422, "InvalidRequest"),
    ("/v1/statistics/summary", {"year": 2026, "basis": ""}, 422, "InvalidRequest"),
    ("/v1/statistics/summary", {}, 422, "InvalidRequest"),
    ("/v1/statistics/participants/BW/exports", {"year": 2026}, 404, "NotFound"),
])
def test_bad_requests_get_a_stable_code(world: World, api: httpx.Client, path: str, params: dict, status: int,
                                        code: str):
    refused(api.get(path, params=params), status, code)


def test_an_empty_year_is_all_zeros(world: World, api: httpx.Client):
    report = get_ok(api, "/v1/statistics/participants/BW/trade", year=2004)
    assert report["rows"] == [] and report["certificates"] == []
    assert [(t["period"], t["flow"], t["carats"], t["certificates"]) for t in report["totals"]] == [
        (f"2004-Q{q}", flow, "0.00", 0) for q in (1, 2, 3, 4) for flow in ("export", "import")]
    assert get_ok(api, "/v1/statistics/summary", year=2004)["participants"] == []


def test_the_statistics_routes_are_documented(world: World, api: httpx.Client):
    paths = get_ok(api, "/openapi.json")["paths"]
    assert {"/v1/statistics/participants/{code}/trade", "/v1/statistics/participants/{code}/production",
            "/v1/statistics/summary"} <= set(paths)


# ------------------------------------------------------------------ the public statistics page, in a real browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = os.environ.get("KP_SCREENSHOTS")


def screenshot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def bar_centre(page: Any, canvas: str, dataset: int, index: int) -> tuple[float, float]:
    """Where a bar of a Chart.js chart is drawn, in page coordinates."""
    box = page.locator(f"#{canvas}").bounding_box()
    bar = page.evaluate("""([id, d, i]) => { const bar = Chart.getChart(id).getDatasetMeta(d).data[i];
        return [bar.x, (bar.y + bar.base) / 2]; }""", [canvas, dataset, index])
    return box["x"] + bar[0], box["y"] + bar[1]


def test_the_statistics_page_traces_every_figure_to_its_certificates(world: World, api: httpx.Client, browser: Any):
    year, quarter = crossed(api, "BW0000001")["BW0000001"]["quarter"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{world.server.url}/#/statistics/EU/{year}")
    page.wait_for_selector("#stats-trade-chart[data-rendered]", timeout=20_000)
    exports, imports = json.loads(page.get_attribute("#stats-trade-chart", "data-rendered"))
    assert (exports[quarter - 1], imports[quarter - 1]) == (2000, 4885)
    assert sum(exports) + sum(imports) == 6885
    assert page.get_attribute("#stats-total-import", "data-certificates") == "5"
    assert page.inner_text("[data-flow='import'] .stat-figure") == "4,885.00 ct"
    assert not page.locator("text=/value|USD/i").filter(has_text="41").count()  # no value anywhere on the page
    screenshot(page, "statistics-desktop.png")

    # a total -> the certificates behind it -> one certificate's verification page (its consignment and parcels)
    page.click("#stats-total-import")
    numbers = page.eval_on_selector_all("#stats-detail-table tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert sorted(numbers) == ["BW0000001", "CA0000001", "CA0000002", "CA0000003", "CA0000004"]
    assert "4,885.00 ct on 5 certificates" in page.inner_text("#stats-detail-heading")
    assert page.evaluate("document.activeElement.id") == "stats-detail-heading"
    page.click("#stats-detail-table a[href='#/certificate/BW0000001']")
    page.wait_for_selector("#cert-status[data-status='confirmed']", timeout=20_000)
    bw_box = get_ok(api, "/v1/certificates/BW0000001")["consignment_id"]
    assert page.get_attribute("#cert-facts a[href^='#/lot/']", "href") == f"#/lot/{bw_box}"
    page.go_back()
    page.wait_for_selector("#stats-trade-chart[data-rendered]", timeout=20_000)

    # a bar of the chart -> that quarter's exports
    page.mouse.click(*bar_centre(page, "stats-trade-chart", 0, quarter - 1))
    page.wait_for_selector("#stats-detail-table", timeout=5_000)
    assert page.eval_on_selector_all("#stats-detail-table tbody tr", "rows => rows.map(r => r.dataset.number)") == [
        "EU0000001"]
    # a cell of the table -> its certificates, and their lots
    page.click("#stats-trade-rows tr[data-flow='import'][data-partner='CA'][data-hs='7102.31'] button")
    rows = page.eval_on_selector_all("#stats-detail-table tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert sorted(rows) == ["CA0000001", "CA0000002", "CA0000003", "CA0000004"]
    assert "1,335.00 ct on 4 certificates" in page.inner_text("#stats-detail-heading")
    parcel = page.get_attribute("#stats-detail-table tr[data-number='CA0000003'] a[data-parcel]", "data-parcel")
    page.click(f"#stats-detail-table tr[data-number='CA0000003'] a[data-parcel='{parcel}']")
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    assert page.inner_text("#lot-heading") == f"Parcel {parcel}"
    page.go_back()
    page.wait_for_selector("#stats-trade-chart[data-rendered]", timeout=20_000)

    # the same figures as a download
    with page.expect_download() as download:
        page.click("#stats-download-trade-csv")
    text = Path(download.value.path()).read_bytes().decode()
    assert text == api.get("/v1/statistics/participants/EU/trade", params={"year": year, "basis": "crossing",
                                                                           "format": "csv"}).text
    assert download.value.suggested_filename == f"kp-trade-EU-{year}-year.csv"
    assert axe_violations(page) == []

    # another participant and one quarter, chosen with the controls: production traced to its parcels
    page.select_option("#stats-participant", "CA")
    page.wait_for_function("() => document.querySelector('#stats-cards [data-flow=production] button')"
                           "?.dataset.parcels === '7'", timeout=20_000)
    page.select_option("#stats-quarter", f"Q{quarter}")
    page.wait_for_function(f"() => location.hash === '#/statistics/CA/{year}/Q{quarter}'")
    page.click("#stats-total-production")
    parcels = page.eval_on_selector_all("#stats-detail-parcels a", "links => links.map(a => +a.dataset.parcel)")
    production = get_ok(api, "/v1/statistics/participants/CA/production", year=year)
    half = f"{year}-H{1 + (quarter > 2)}"
    assert sorted(parcels) == sorted(pid for r in production["rows"] if r["period"] == half for pid in r["parcel_ids"])
    page.select_option("#stats-basis", "issue")
    page.wait_for_function("() => document.getElementById('stats-total-export')?.dataset.certificates === '5'",
                           timeout=20_000)
    assert axe_violations(page) == []

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{world.server.url}/#/statistics/EU/{year}/Q{quarter}")
    phone.wait_for_selector("#stats-trade-chart[data-rendered]", timeout=20_000)
    phone.click("#stats-total-import")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the statistics page scrolls sideways on a phone ({width}px)"
    assert axe_violations(phone) == []
    screenshot(phone, "statistics-phone.png")


def test_the_statistics_page_explains_a_refusal(world: World, browser: Any):
    page = browser.new_page()
    page.goto(f"{world.server.url}/#/statistics/BW/1999")
    page.wait_for_selector("#stats-error:not([hidden]) code.error-code", timeout=20_000)
    assert page.inner_text("#stats-error code.error-code") == "InvalidRequest"


def test_postgresql_gives_the_same_reports(world: World, api: httpx.Client, postgres_url: str):
    """The demo's index replayed into PostgreSQL (events, then the projector), with the filed documents."""
    from sqlalchemy import insert, select

    from kpledger.db import models as m
    from kpledger.db.session import Database
    from kpledger.indexer.projector import replay
    from kpledger.queries import statistics as q

    sqlite, pg = Database(f"sqlite:///{world.chain.data_dir / 'kp.db'}"), Database(postgres_url)
    with sqlite.session() as src, pg.transaction() as dst:
        events = [dict(r._mapping) for r in src.execute(select(m.Event.__table__).order_by(m.Event.id))]
        documents = [dict(r._mapping) for r in src.execute(select(m.Document.__table__))]
        dst.execute(insert(m.Event), [{k: v for k, v in e.items() if k != "id"} for e in events])
        dst.execute(insert(m.Document), documents)
        replay(dst)
    year, quarter = crossed(api, "BW0000001")["BW0000001"]["quarter"]
    for basis in ("crossing", "issue"):
        reports = []
        for db in (sqlite, pg):
            with db.session() as s:
                reports.append([q.trade_report(s, code, year, None, basis, True) for code in ("CA", "EU", "IN")]
                               + [q.production_report(s, "CA", year), q.summary(s, year, basis)])
        assert reports[0] == reports[1]
        eu_imports = reports[1][1]["totals"][2 * (quarter - 1) + 1]
        assert eu_imports["value_usd"] == {"crossing": "51251000.00", "issue": "51251070.00"}[basis]  # CA0000005
