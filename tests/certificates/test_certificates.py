"""KP certificates end to end on a real chain over real HTTP: the structured document checked against the chain when
it is filed, the printed certificate and the verification slip (their QR codes decoded), names in every read,
corrections (supersede, a discrepancy and its resolution), and only the named importer taking the goods across."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kpledger.certificates.kpcert import encode, parse
from kpledger.client import ClientError
from kpledger.core.seals import seal_id_of
from kpledger.dev.demo import Demo
from kpledger.dev.stack import ApiServer, LocalChain
from tests.support.browser import PHONE, axe_violations, screenshot
from tests.support.cli import Kp
from tests.support.prints import assert_signed_qr, qr_texts
from tests.support.stack import demo_stack

GEM = 710231
DAY = 86_400

pdfium = pytest.importorskip("pypdfium2")
zxingcpp = pytest.importorskip("zxingcpp")


@dataclass
class World:
    chain: LocalChain
    server: ApiServer
    demo: Demo
    summary: dict[str, Any]
    numbers: dict[str, str] = field(default_factory=dict)  # certificate status -> a certificate number in it
    serial: list[int] = field(default_factory=lambda: [100])

    def next_number(self) -> str:
        self.serial[0] += 1
        return f"CA{self.serial[0]:07d}"


def sealed_box(demo: Demo, number: str, points: int = 1_000) -> tuple[int, str]:
    """A CA parcel registered and sealed for certificate `number`: its consignment id and seal label."""
    _, doc = demo.document(f"parcel-{number}.json", {"parcel": number, "points": points})
    parcel = demo.clients["ca_mine"].register_parcel(points=points, hs_code=GEM, origin="CA", document_hash=doc,
                                                     stones=3)["result"]["parcel_id"]
    seal = f"SEAL-{number}"
    return demo.clients["ca_mine"].seal_consignment([parcel], seal)["result"]["consignment_id"], seal


def terms(demo: Demo, number: str, *, points: int = 1_000, valid_for: int = 30 * DAY, replaces: str = "",
          box: tuple[int, str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CA -> EU certificate to the Antwerp importer over `box` (consignment id, seal label) or a fresh consignment:
    the issue terms and its conforming kp-certificate/1 document."""
    box, seal = box or sealed_box(demo, number, points)
    now = int(time.time())
    issue = {"number": number, "importer": "EU", "importer_account": demo.addr("antwerp_trader"),
             "consignment_id": box, "points": points, "parcel_count": 1, "hs_codes": [GEM], "origins": ["CA"],
             "issued_at": now - 60, "expires_at": now + valid_for, "replaces": replaces}
    document = demo.certificate_document("ca_authority", number, exporter="ca_mine", importer="antwerp_trader",
                                         points=points, parcel_count=1, hs_codes=[GEM], origins=["CA"], seal=seal,
                                         value_usd="125000.00", issued_at=now - 60, expires_at=now + valid_for,
                                         replaces=replaces)
    return issue, document


def issue(demo: Demo, issue_terms: dict[str, Any], body: bytes) -> None:
    """The CA authority issues the certificate anchoring `body`'s SHA-256."""
    demo.clients["ca_authority"].issue_certificate(**issue_terms, document_hash="0x" + hashlib.sha256(body).hexdigest())


def same_goods(world: World, number: str) -> tuple[int, str]:
    """The consignment (id, seal label) certificate `number` covers: a correction is issued for the same goods."""
    return world.demo.clients["ca_mine"].certificate(number)["consignment_id"], f"SEAL-{number}"


def certified(world: World, *, valid_for: int = 30 * DAY, replaces: str = "", file: bool = True) -> str:
    """A CA -> EU certificate issued with a conforming document (filed unless `file` is false), over a fresh
    consignment or, for a correction, the replaced certificate's; its number."""
    number = world.next_number()
    issue_terms, document = terms(world.demo, number, valid_for=valid_for, replaces=replaces,
                                  box=same_goods(world, replaces) if replaces else None)
    issue(world.demo, issue_terms, encode(document))
    if file:
        world.demo.clients["ca_authority"].file_certificate(document)
    return number


def cross(world: World, number: str) -> None:
    c = world.demo.clients
    cert = c["ca_mine"].certificate(number)
    seal = f"SEAL-{number}"
    c["ca_mine"].offer(cert["consignment_id"], world.demo.addr("antwerp_trader"), seal)
    c["antwerp_trader"].accept(cert["consignment_id"], seal)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo journey, plus one CA certificate in each status the verification page shows."""
    data = tmp_path_factory.mktemp("certificates") / "data"
    with demo_stack(data) as (chain, server, demo):
        w = World(chain, server, demo, demo.run())
        c = demo.clients
        w.numbers["expired"] = certified(w, valid_for=15)  # expires (wall clock) while the rest is set up
        w.numbers["confirmed"] = "BW0000001"
        w.numbers["issued"] = certified(w)
        w.numbers["delivered"] = certified(w)
        cross(w, w.numbers["delivered"])
        w.numbers["disputed"] = certified(w)
        cross(w, w.numbers["disputed"])
        c["eu_authority"].record_discrepancy(w.numbers["disputed"], 3, "0x" + "ab" * 32)
        w.numbers["voided"] = certified(w)
        c["ca_authority"].void_certificate(w.numbers["voided"], 6)
        # a correction: issued in error, voided as superseded (reason 7), replaced by a certificate naming it
        w.numbers["superseded"] = certified(w)
        c["ca_authority"].void_certificate(w.numbers["superseded"], 7)
        w.numbers["replacement"] = certified(w, replaces=w.numbers["superseded"])
        expiry = c["ca_mine"].certificate(w.numbers["expired"])["expires_at"]
        while time.time() <= expiry + 1:
            time.sleep(0.5)
        yield w


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.server.url, timeout=60) as c:
        yield c


def refused(call, status: int, code: str) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code), caught.value
    return caught.value


# ------------------------------------------------------------------ the document, checked against the chain


def _other_account(world: World) -> str:
    return world.demo.addr("mumbai_cutter")


# each case changes one field the chain also records, and nothing else
DISAGREEMENTS = {
    "number": lambda d, w: d.update(number="CA0009999"),
    "exporting_participant": lambda d, w: d.update(exporting_participant={"code": "BW", "name": "Botswana"}),
    "importing_participant": lambda d, w: d.update(importing_participant={"code": "IN", "name": "India"}),
    "carats": lambda d, w: d.update(carats="9999.00"),
    "number_of_parcels": lambda d, w: d.update(number_of_parcels=2),
    "hs_codes": lambda d, w: d.update(hs_codes=["7102.21"]),
    "origin": lambda d, w: d.update(origin={"mixed": True, "countries": ["CA", "SL"]}),
    "issue_date": lambda d, w: d.update(issue_date="2020-01-01"),
    "expiry_date": lambda d, w: d.update(expiry_date="2099-12-31"),
    "exporter.account": lambda d, w: d["exporter"].update(account=_other_account(w)),
    "importer.account": lambda d, w: d["importer"].update(account=_other_account(w)),
    "replaces": lambda d, w: d.update(replaces="CA0000001"),
    "seal.id": lambda d, w: d["seal"].update(id="0x" + "5e" * 32),
    "seal.label": lambda d, w: d["seal"].update(label="NOT-THE-SEAL"),  # the right id, a label that is not its
}


@pytest.mark.parametrize("name", list(DISAGREEMENTS))
def test_a_document_that_disagrees_with_the_chain_on_one_field_is_refused_naming_it(world: World, api, name: str):
    number = world.next_number()
    issue_terms, document = terms(world.demo, number)
    forged = copy.deepcopy(document)
    DISAGREEMENTS[name](forged, world)
    body = encode(parse(encode(forged)))  # a schema-valid document: only the chain can tell it is wrong
    issue(world.demo, issue_terms, body)
    authority = world.demo.clients["ca_authority"]
    error = refused(lambda: authority.file_document("certificates", number, body, "application/json"), 422,
                    "DocumentDisagreesWithLedger")
    assert error.details["fields"] == [name]
    assert error.details["disagreements"][0]["field"] == name
    assert name in error.message
    cert = api.get(f"/v1/certificates/{number}").json()
    assert cert["document"] == {"filed": False, "printed_sha256": None}  # nothing was kept


def test_a_conforming_document_is_filed_and_printed(world: World, api):
    number = world.next_number()
    issue_terms, document = terms(world.demo, number)
    issue(world.demo, issue_terms, encode(document))
    answer = world.demo.clients["ca_authority"].file_certificate(document)
    assert answer["stored"] and not answer["already_filed"]
    assert answer["sha256"] == "0x" + hashlib.sha256(encode(document)).hexdigest()
    cert = api.get(f"/v1/certificates/{number}").json()
    assert cert["document"] == {"filed": True, "printed_sha256": answer["printed_sha256"]}
    time.sleep(1.1)  # a signed request names its second: the same request again in that second would be a replay
    again = world.demo.clients["ca_authority"].file_certificate(document)
    assert again["already_filed"] and again["printed_sha256"] == answer["printed_sha256"]


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d.update(value_usd="1,000.00"), "/value_usd"),  # grouped digits: the schema's form is plain
    (lambda d: d.update(carats=125.5), "/carats"),  # a JSON number: weights are exact decimal strings
    (lambda d: d.pop("validation"), "/"),
    (lambda d: d.update(origin={"mixed": False, "countries": ["CA", "SL"]}), "/origin/countries"),
    (lambda d: d.update(hs_codes=["7102.99"]), "/hs_codes/0"),
    (lambda d: d.update(issue_date="2026-02-30"), "/issue_date"),
    (lambda d: d.update(extra="field"), "/"),
], ids=["grouped-value", "number-carats", "no-validation", "two-origins-unmixed", "bad-hs-code", "no-such-date",
        "unknown-field"])
def test_a_document_that_breaks_the_schema_is_refused(world: World, change, path: str):
    number = world.next_number()
    issue_terms, document = terms(world.demo, number)
    change(document)
    body = json.dumps(document, sort_keys=True).encode()
    issue(world.demo, issue_terms, body)
    error = refused(lambda: world.demo.clients["ca_authority"].file_document("certificates", number, body,
                                                                              "application/json"),
                    422, "DocumentInvalid")
    assert path in [v["path"] for v in error.details["violations"]]


def test_a_document_that_is_not_a_kp_certificate_document_is_refused(world: World):
    for body in (b"%PDF-1.7 a scanned certificate", b'{"title": "Kimberley Process Certificate", "value_usd": "1.00"}',
                 b'{"schema": "kp-certificate/1", "value_usd": NaN}'):
        number = world.next_number()
        issue_terms, _ = terms(world.demo, number)
        issue(world.demo, issue_terms, body)
        refused(lambda b=body, n=number: world.demo.clients["ca_authority"].file_document(
            "certificates", n, b, "application/json"), 422, "DocumentInvalid")


def test_a_document_that_is_not_the_anchored_one_is_refused_before_it_is_read(world: World):
    number = world.next_number()
    issue_terms, document = terms(world.demo, number)
    issue(world.demo, issue_terms, encode(document))
    document["value_usd"] = "1.00"  # the "USD 1.00" forgery: not the bytes whose hash the chain holds
    refused(lambda: world.demo.clients["ca_authority"].file_certificate(document), 422, "DocumentMismatch")


# ------------------------------------------------------------------ before issue: compose, check (the console's)

PARTICULARS = {"seal_label": "", "value_usd": "987654321.99", "authority_address": "580 Example Street, Ottawa",
               "exporter_address": "4920 52nd Street, Yellowknife", "importer_address": "Schupstraat 9, Antwerpen",
               "officer": "J. Tremblay", "place": "Ottawa"}


def intent(issue_terms: dict[str, Any]) -> dict[str, Any]:
    """The IssueCertificate message of `terms()`'s issue terms, without its documentHash: what the console sends."""
    names = {"importer_account": "importerAccount", "consignment_id": "consignmentId", "parcel_count": "parcelCount",
             "hs_codes": "hsCodes", "issued_at": "issuedAt", "expires_at": "expiresAt"}
    return {names.get(k, k): v for k, v in issue_terms.items()}


def test_the_api_composes_the_document_from_the_ledger_as_kp_certificate_compose_does(world: World, api):
    number = world.next_number()
    issue_terms, expected = terms(world.demo, number)
    seal = f"SEAL-{number}"
    answer = api.post("/v1/documents/compose/certificate", json={
        "terms": intent(issue_terms), "particulars": {**PARTICULARS, "seal_label": seal},
        "authority": world.demo.addr("ca_authority")})
    assert answer.status_code == 200, answer.text
    composed = answer.json()
    # the exact bytes to anchor and file, their hash, and the document they are
    assert composed["text"].encode() == encode(composed["document"])
    assert composed["sha256"] == "0x" + hashlib.sha256(composed["text"].encode()).hexdigest()
    assert composed["filename"] == f"{number}.json"
    document = composed["document"]
    # the ledger's facts and the names, as the demo's authority composes them itself; the particulars as sent
    for key in ("number", "exporting_participant", "importing_participant", "origin", "issue_date", "expiry_date",
                "carats", "number_of_parcels", "hs_codes", "seal", "replaces", "title", "statement"):
        assert document[key] == expected[key], key
    assert document["exporter"] == {**expected["exporter"], "address": PARTICULARS["exporter_address"]}
    assert document["importer"]["name"] == "Antwerp Rough Trading NV"
    assert document["issuing_authority"] == {"name": "Natural Resources Canada, KP Office (demo)",
                                             "address": PARTICULARS["authority_address"]}
    assert (document["value_usd"], document["validation"]["officer"]) == ("987654321.99", "J. Tremblay")
    assert document["salt"] != expected["salt"]  # random each time: the hash cannot be guessed from the facts
    # issued with its hash, it is filed as it is: the ledger agrees with the composer
    issue(world.demo, issue_terms, composed["text"].encode())
    filed = world.demo.clients["ca_authority"].file_document("certificates", number, composed["text"].encode(),
                                                             "application/json")
    assert filed["sha256"] == composed["sha256"] and filed["printed_sha256"]


def test_composing_refuses_a_wrong_seal_a_foreign_authority_and_terms_the_consignment_does_not_state(world: World,
                                                                                                     api):
    number = world.next_number()
    issue_terms, _ = terms(world.demo, number)
    good = {"terms": intent(issue_terms), "particulars": {**PARTICULARS, "seal_label": f"SEAL-{number}"},
            "authority": world.demo.addr("ca_authority")}

    def refusal(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answer = api.post("/v1/documents/compose/certificate", json=body)
        return answer.status_code, answer.json()

    status, body = refusal({**good, "particulars": {**good["particulars"], "seal_label": "ANOTHER SEAL"}})
    assert (status, body["code"]) == (422, "SealMismatch")
    # the seal's id given for its label: a document's seal.label is the label whose hash is the id, never the id
    status, body = refusal({**good, "particulars": {**good["particulars"], "seal_label": seal_id_of(f"SEAL-{number}")}})
    assert (status, body["code"]) == (422, "SealMismatch") and "not its id" in body["message"]
    status, body = refusal({**good, "authority": world.demo.addr("eu_authority")})
    assert (status, body["code"]) == (422, "NotExportingAuthority")
    status, body = refusal({**good, "terms": {**good["terms"], "points": 1_001}})
    assert (status, body["code"], body["details"]["fields"]) == (422, "DocumentDisagreesWithLedger", ["carats"])
    assert "nothing was signed" in body["message"]
    status, body = refusal({**good, "terms": {**good["terms"], "consignmentId": 999_999}})
    assert (status, body["code"]) == (404, "ConsignmentNotFound")
    status, body = refusal({**good, "particulars": {**good["particulars"], "value_usd": "1.234"}})
    assert (status, body["code"]) == (422, "InvalidRequest")
    status, body = refusal({**good, "terms": {**good["terms"], "points": "1000"}})  # JSON types are not coerced
    assert (status, body["code"]) == (422, "InvalidRequest")
    assert api.get(f"/v1/certificates/{number}").status_code == 404


def test_a_60_day_issue_with_a_30_day_document_is_refused_before_signing_with_the_filings_words(world: World, api):
    """The issue's bug: a 60-day certificate anchored with a 30-day document could never be filed. The check before
    signing says so, field by field, with the same details as the filing's 422."""
    number = world.next_number()
    issue_terms, document = terms(world.demo, number, valid_for=30 * DAY)
    sixty = {**issue_terms, "expires_at": issue_terms["issued_at"] + 60 * DAY}
    text = encode(document).decode()
    before = api.post("/v1/documents/check/certificate", json={"terms": intent(sixty), "document": text})
    assert before.status_code == 422 and before.json()["code"] == "DocumentDisagreesWithLedger"
    assert before.json()["details"]["fields"] == ["expiry_date"]
    assert "nothing was signed" in before.json()["message"]
    # the same document checked against the 30-day terms agrees: the hash to sign is its bytes'
    agrees = api.post("/v1/documents/check/certificate", json={"terms": intent(issue_terms), "document": text})
    assert agrees.status_code == 200 and agrees.json() == {
        "number": number, "sha256": "0x" + hashlib.sha256(encode(document)).hexdigest(), "agrees": True}
    # what the filing says once the 60-day certificate is anchored with it: the very same details
    issue(world.demo, sixty, encode(document))
    after = refused(lambda: world.demo.clients["ca_authority"].file_certificate(document), 422,
                    "DocumentDisagreesWithLedger")
    assert after.details == before.json()["details"]


@pytest.mark.parametrize("name", ["seal.label", "seal.id"])
def test_the_check_before_signing_refuses_a_wrong_seal_as_the_filing_does(world: World, api, name: str):
    """An uploaded document (the console's check) is held to the seal as a filed one: its label must hash to the
    consignment's seal id, with the filing's details, before anything is signed."""
    number = world.next_number()
    issue_terms, document = terms(world.demo, number)
    forged = copy.deepcopy(document)
    DISAGREEMENTS[name](forged, world)
    answer = api.post("/v1/documents/check/certificate",
                      json={"terms": intent(issue_terms), "document": encode(parse(encode(forged))).decode()})
    assert (answer.status_code, answer.json()["code"]) == (422, "DocumentDisagreesWithLedger"), answer.text
    assert answer.json()["details"]["fields"] == [name]
    assert answer.json()["details"]["disagreements"][0]["document"] == forged["seal"][name.split(".")[1]]


def test_the_check_refuses_what_is_not_a_certificate_document(world: World, api):
    number = world.next_number()
    issue_terms, document = terms(world.demo, number)
    for text, code in (("%PDF-1.7 a scan", "DocumentInvalid"), ('{"schema": "kp-certificate/1"}', "DocumentInvalid"),
                       ("", "InvalidRequest")):
        answer = api.post("/v1/documents/check/certificate", json={"terms": intent(issue_terms), "document": text})
        assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text
    broken = {**document, "carats": 12.5}
    answer = api.post("/v1/documents/check/certificate",
                      json={"terms": intent(issue_terms), "document": json.dumps(broken)})
    assert "/carats" in [v["path"] for v in answer.json()["details"]["violations"]]


def test_nothing_confidential_sent_to_compose_or_check_is_stored_or_logged(world: World, api):
    """The value and addresses reach the API before filing (the console composes there): they are answered to the
    sender and kept nowhere: not in the database, not in the server's log."""
    number = world.next_number()
    issue_terms, _ = terms(world.demo, number)
    secret = "123456789012.34"
    particulars = {**PARTICULARS, "seal_label": f"SEAL-{number}", "value_usd": secret,
                   "importer_address": "Secret Street 77, Antwerpen"}
    composed = api.post("/v1/documents/compose/certificate", json={
        "terms": intent(issue_terms), "particulars": particulars, "authority": world.demo.addr("ca_authority")})
    assert composed.status_code == 200 and secret in composed.json()["text"]
    checked = api.post("/v1/documents/check/certificate",
                       json={"terms": {**intent(issue_terms), "points": 5}, "document": composed.json()["text"]})
    assert checked.json()["code"] == "DocumentDisagreesWithLedger"
    time.sleep(0.5)
    for path in world.chain.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert secret.encode() not in content and b"Secret Street 77" not in content, path


# ------------------------------------------------------------------ the printed certificate and the slip


def field(text: str, label: str) -> str:
    """The value printed beside a label of the certificate's table (the PDF's text: a row's label, then its value's
    first line)."""
    return next(line.strip()[len(label) + 1:] for line in text.splitlines() if line.startswith(f"{label} "))


def pdf_text(pdf: bytes) -> tuple[int, str]:
    document = pdfium.PdfDocument(pdf)
    return len(document), "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_a_party_prints_the_certificate_as_html_and_as_a_one_page_pdf_with_its_qr_code(world: World, api):
    importer = world.demo.clients["antwerp_trader"]  # a party: the importer named on BW0000001
    url = f"{world.server.url}/#/certificate/BW0000001"
    pdf = importer.printable_certificate("BW0000001")
    assert pdf.startswith(b"%PDF-")
    assert_signed_qr(world.server.url, qr_texts(pdf), "BW0000001")  # the URL in words beside it
    pages, text = pdf_text(pdf)
    assert pages == 1
    for words in ("Kimberley Process Certificate", "BW0000001", "Kimberley Process Certification Scheme",
                  "Botswana (BW)", "European Union (EU)", "Country of origin", "Date of issue", "Date of expiry",
                  "Government Diamond Valuator", "Diamond Hub, Plot 63000", "Gaborone Diamond Exporters (Pty) Ltd",
                  "Antwerp Rough Trading NV", "Schupstraat 9", "USD 41,300,000.00",
                  "Number of parcels", "BW-SEAL-0001", "K. Mogapi, Gaborone"):
        assert words in text, words
    # the seal as the officer compares it with the container: its label, its id, and the label checked against it
    assert field(text, "Tamper-resistant container") == "seal BW-SEAL-0001"
    assert seal_id_of("BW-SEAL-0001")[2:] in "".join(text.split())  # the id, wrapped over lines in its cell
    assert "label matches the anchored seal" in text
    # weights, countries and HS codes as the viewer writes them (kpledger.core.words; util.js agrees: test_viewer)
    assert field(text, "Carat weight") == "3,500.00 ct" and "3500.00" not in text
    assert field(text, "Country of origin") == "Botswana (BW)"
    assert field(text, "HS code(s)") == "7102.31 non-industrial (gem)"
    assert field(text, "Exporting participant") == "Botswana (BW)"
    # the PDF is the one the ledger printed when the document was filed, unaltered
    cert = api.get("/v1/certificates/BW0000001").json()
    assert cert["document"]["printed_sha256"] == "0x" + hashlib.sha256(pdf).hexdigest()
    assert (world.demo.documents_dir / "BW0000001.pdf").read_bytes() == pdf
    html = importer.printable_certificate("BW0000001", pdf=False).decode()
    assert html.startswith("<!doctype html>") and "USD 41,300,000.00" in html and "<svg" in html
    assert "<td>3,500.00 ct</td>" in html and "<td>Botswana (BW)</td>" in html

    # goods of two origins: both countries by name, marked mixed as the verification page marks them
    _, mixed = pdf_text(world.demo.clients["mumbai_cutter"].printable_certificate("EU0000001"))
    assert field(mixed, "Country of origin") == "mixed origin (*): Botswana (BW), Canada (CA)"
    assert field(mixed, "Carat weight") == "2,000.00 ct"
    assert field(mixed, "Importing participant") == "India (IN)"
    assert f"Verify on the KP Ledger:<br>{url}" in html


def test_the_printed_certificate_is_refused_to_anyone_but_its_parties(world: World, api):
    path = "/v1/certificates/BW0000001/printable.pdf"
    anonymous = api.get(path)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "AuthenticationRequired")
    assert api.get("/v1/certificates/BW0000001/printable").json()["code"] == "AuthenticationRequired"
    for outsider in ("in_authority", "mumbai_cutter", "ca_mine"):
        refused(lambda o=outsider: world.demo.clients[o].printable_certificate("BW0000001"), 403, "NotEntitled")
        refused(lambda o=outsider: world.demo.clients[o].printable_certificate("BW0000001", pdf=False), 403,
                "NotEntitled")
    # a certificate whose document was never filed has nothing to print
    number = certified(world, file=False)
    refused(lambda: world.demo.clients["ca_authority"].printable_certificate(number), 404, "DocumentNotFiled")


def test_the_public_verification_slip_carries_the_qr_code_and_no_confidential_field(world: World, api):
    answer = api.get("/v1/certificates/EU0000001/slip.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert_signed_qr(world.server.url, qr_texts(answer.content), "EU0000001")
    pages, text = pdf_text(answer.content)
    assert pages == 1 and "EU0000001" in text and "Mumbai Diamond Cutters Pvt Ltd" in text
    assert field(text, "Route") == "European Union (EU) -> India (IN)"
    assert field(text, "Carats / parcels") == "2,000.00 ct in 1 parcel(s)"
    assert field(text, "HS code(s)") == "7102.31 non-industrial (gem)"
    assert field(text, "Origin") == "mixed origin (*): Botswana (BW), Canada (CA)"
    assert field(text, "Seal") == "seal EU-SEAL-9001" and "label matches the anchored seal" in text
    cert = api.get("/v1/certificates/EU0000001").json()
    assert (cert["seal_label"], cert["seal_id"]) == ("EU-SEAL-9001", seal_id_of("EU-SEAL-9001"))
    for secret in ("23,800,000", "23800000", "Schupstraat", "Bharat Diamond Bourse", "Peeters"):
        assert secret not in text
    assert api.get("/v1/certificates/XX0000001/slip.pdf").json()["code"] == "CertificateNotFound"


# ------------------------------------------------------------------ names in every read


def test_reads_name_the_companies_and_authorities_beside_their_accounts(world: World, api):
    d = world.demo
    provenance = api.get(f"/v1/parcels/{world.summary['ids']['final_parcel']}/provenance").json()
    first = provenance["timeline"][0]
    assert (first["kind"], first["to"], first["to_name"]) == ("registered", d.addr("bw_mine"),
                                                             "Kalahari Ridge Mining (Pty) Ltd")
    assert provenance["parcel"]["holder_name"] == "Mumbai Diamond Cutters Pvt Ltd"
    assert provenance["parcel"]["holder_participant"] == "IN"
    names = {s["to_name"] for s in provenance["timeline"]} | {s["from_name"] for s in provenance["timeline"]}
    assert {"Gaborone Diamond Exporters (Pty) Ltd", "Antwerp Rough Trading NV", "Snowbird Lake Diamonds Inc."} <= names
    assert {n["holder_name"] for n in provenance["lineage"]["nodes"]} >= {"Mumbai Diamond Cutters Pvt Ltd"}
    eu = next(c for c in provenance["certificates"] if c["number"] == "EU0000001")
    assert (eu["exporter_name"], eu["importer_name"], eu["issued_by_name"]) == (
        "Antwerp Rough Trading NV", "Mumbai Diamond Cutters Pvt Ltd", "EU KP Authority, Antwerp (demo)")
    assert (eu["exporter_account"], eu["importer_account"]) == (d.addr("antwerp_trader"), d.addr("mumbai_cutter"))
    consignment = api.get(f"/v1/consignments/{eu['consignment_id']}").json()
    assert consignment["holder_name"] == "Mumbai Diamond Cutters Pvt Ltd"
    assert consignment["certificate"]["exporter_name"] == "Antwerp Rough Trading NV"
    parcel = api.get(f"/v1/parcels/{world.summary['ids']['run_of_mine']}").json()
    assert parcel["holder_name"] == "Kalahari Ridge Mining (Pty) Ltd"
    members = {m["name"]: m for m in api.get("/v1/participants/BW").json()["members"]}
    assert members["Kalahari Ridge Mining (Pty) Ltd"]["licence_number"] == "BW-ML-2019-004"


def test_an_account_shows_its_profile_history(world: World, api):
    d = world.demo
    d.clients["bw_authority"].update_operator_profile(d.addr("bw_exporter"), "Gaborone Diamond Exporters Ltd",
                                                      "BW-DL-0417", "CIPA BW00001234")
    account = api.get(f"/v1/accounts/{d.addr('bw_exporter')}").json()
    assert (account["name"], account["licence_number"], account["registry_ref"]) == (
        "Gaborone Diamond Exporters Ltd", "BW-DL-0417", "CIPA BW00001234")
    history = account["profile_changes"]
    assert [h["name"] for h in history] == ["Gaborone Diamond Exporters (Pty) Ltd", "Gaborone Diamond Exporters Ltd"]
    assert history[-1]["changed_by"] == d.addr("bw_authority") and history[0]["block"] < history[1]["block"]
    d.clients["bw_authority"].update_operator_profile(d.addr("bw_exporter"), "Gaborone Diamond Exporters (Pty) Ltd",
                                                      "BW-DL-0417", "")  # as the other tests expect it


# ------------------------------------------------------------------ corrections and the crossing's parties


def test_a_superseded_certificate_and_its_replacement_link_each_other(world: World, api):
    old, new = world.numbers["superseded"], world.numbers["replacement"]
    replaced = api.get(f"/v1/certificates/{old}").json()
    replacement = api.get(f"/v1/certificates/{new}").json()
    assert (replaced["status"], replaced["superseded_by"], replaced["replaces"]) == ("voided", new, None)
    assert (replacement["status"], replacement["replaces"], replacement["superseded_by"]) == ("issued", old, None)
    assert [h["event"] for h in replaced["history"]] == ["CertificateIssued", "CertificateVoided",
                                                         "CertificateSuperseded"]
    assert replaced["history"][1]["reason"] == 7
    assert replacement["document"]["filed"]  # its document says `replaces` as the chain does
    # a correction is a certificate for the same goods: one for other goods cannot take the voided one's place ...
    number = world.next_number()
    issue_terms, document = terms(world.demo, number, replaces=old)
    refused(lambda: issue(world.demo, issue_terms, encode(document)), 409, "KPCertificatesReplacesOtherConsignment")
    # ... and a certificate is replaced once: when its replacement is voided in turn, the next correction names that
    first = certified(world)
    world.demo.clients["ca_authority"].void_certificate(first, 7)
    second = certified(world, replaces=first)
    world.demo.clients["ca_authority"].void_certificate(second, 7)
    number = world.next_number()
    issue_terms, document = terms(world.demo, number, replaces=first, box=same_goods(world, first))
    refused(lambda: issue(world.demo, issue_terms, encode(document)), 409, "KPCertificatesAlreadySuperseded")


def test_a_discrepancy_and_its_resolution_are_both_kept(world: World, api):
    resolved = api.get("/v1/certificates/CA0000001").json()
    assert resolved["status"] == "confirmed"
    assert resolved["discrepancy"]["reason"] == 2 and resolved["discrepancy"]["reason_text"] == "weight differs"
    assert resolved["resolution"]["timestamp"] >= resolved["discrepancy"]["timestamp"]
    assert [h["event"] for h in resolved["history"]][-2:] == ["ImportDiscrepancy", "ImportConfirmed"]
    verdict = api.get(f"/v1/parcels/{world.summary['ids']['final_parcel']}/provenance").json()["verdict"]
    assert verdict["status"] == "ok"
    note = next(n for n in verdict["notes"] if "CA0000001" in n)
    assert note.startswith("crossing CA -> EU under CA0000001: a discrepancy (weight differs) was recorded on ")
    assert "and resolved by the importing authority's confirmation on " in note
    # an unresolved one is a problem of the verdict
    disputed = api.get(f"/v1/certificates/{world.numbers['disputed']}").json()
    assert disputed["status"] == "disputed" and disputed["resolution"] is None
    parcel = disputed["parcels"][0]["id"]
    verdict = api.get(f"/v1/parcels/{parcel}/provenance").json()["verdict"]
    assert verdict["status"] == "incomplete"
    assert "a discrepancy (contents differ) was recorded on" in verdict["summary"]
    assert "is not resolved" in verdict["summary"]


def test_only_the_named_importer_takes_the_goods_across(world: World, api):
    d = world.demo
    other = d.clients["unlicensed"]  # licensed now as a second EU importer
    d.clients["eu_authority"].license_operator(other.address, ["importer"], "Second Antwerp Importer BV", "BE-2")
    number = certified(world)
    box = api.get(f"/v1/certificates/{number}").json()["consignment_id"]
    refused(lambda: d.clients["ca_mine"].offer(box, other.address, f"SEAL-{number}"), 409,
            "KPCertificatesPartiesMismatch")
    d.clients["ca_mine"].offer(box, d.addr("antwerp_trader"), f"SEAL-{number}")
    refused(lambda: other.accept(box, f"SEAL-{number}"), 403, "KPLedgerNotRecipient")
    d.clients["antwerp_trader"].accept(box, f"SEAL-{number}")
    assert api.get(f"/v1/certificates/{number}").json()["status"] == "delivered"


def test_each_status_of_the_world_reads_as_expected(world: World, api):
    for status, number in world.numbers.items():
        cert = api.get(f"/v1/certificates/{number}").json()
        expected = {"superseded": "voided", "replacement": "issued"}.get(status, status)
        assert cert["status"] == expected, (status, number)


def test_the_schema_file_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    from kpledger.certificates.kpcert import SCHEMA_PATH
    from kpledger.core.document_facts import CERTIFICATE_SCHEMA

    schema = json.loads(Path(SCHEMA_PATH).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == CERTIFICATE_SCHEMA


# ------------------------------------------------------------------ the verification page, in a real browser


def phone_page(browser: Any) -> Any:
    return browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)


# what a border officer reads for each status: the banner's words (colour is never the only cue)
HEADLINES = {"issued": "✓ Valid", "delivered": "● Used — import not yet confirmed", "confirmed": "✓ Import confirmed",
             "disputed": "⚠ Disputed", "voided": "✗ Voided", "expired": "✗ Expired", "superseded": "✗ Superseded"}


@pytest.mark.parametrize("status", list(HEADLINES))
def test_the_verification_page_shows_each_status_on_a_phone(world: World, browser, status: str, tmp_path: Path):
    number = world.numbers[status]
    page = phone_page(browser)
    page.goto(f"{world.server.url}/#/certificate/{number}")
    page.wait_for_selector(f"#cert-status[data-status='{status}']", timeout=20_000)
    assert page.inner_text("#cert-status-text") == HEADLINES[status]
    assert page.inner_text("#cert-heading") == f"KP certificate {number}"
    assert f"Certificate {number}:" in page.inner_text("#status")  # the live region says it in words
    facts = page.inner_text("#cert-facts")
    exporter = "Gaborone Diamond Exporters (Pty) Ltd" if number == "BW0000001" else "Snowbird Lake Diamonds Inc."
    for words in (exporter, "Antwerp Rough Trading NV", "Botswana (BW)" if number == "BW0000001" else "Canada (CA)",
                  "European Union (EU)", "Number of parcels", "7102.31", "Date of expiry", "block "):
        assert words in facts, (status, words)
    if status == "superseded":
        replacement = world.numbers["replacement"]
        assert page.get_attribute("#cert-replaced-by a", "href") == f"#/certificate/{replacement}"
        page.click("#cert-replaced-by a")
        page.wait_for_selector("#cert-status[data-status='issued']", timeout=20_000)
        assert page.get_attribute("#cert-replaces a", "href") == f"#/certificate/{number}"
    if status == "disputed":
        assert page.get_attribute("#cert-discrepancy", "data-resolved") == "false"
        assert "contents differ" in page.inner_text("#cert-discrepancy")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    assert (violations := axe_violations(page)) == [], violations
    screenshot(page, tmp_path, f"certificate-{status}-phone")
    page.close()


def test_the_verification_page_tells_the_genuine_pdf_from_a_tampered_one_and_checks_the_chain(world: World, browser,
                                                                                               tmp_path: Path):
    genuine = world.demo.documents_dir / "CA0000001.pdf"  # the PDF the ledger printed when the document was filed
    tampered = tmp_path / "CA0000001-tampered.pdf"
    # an edited copy (as a PDF editor saves it): the same page, its metadata changed
    tampered.write_bytes(genuine.read_bytes().replace(b"Certificate CA0000001)", b"Certificate CA0000007)"))
    assert tampered.read_bytes() != genuine.read_bytes()
    page = phone_page(browser)
    page.goto(f"{world.server.url}/#/certificate/CA0000001")
    page.wait_for_selector("#cert-status[data-status='confirmed']", timeout=20_000)
    discrepancy = page.locator("#cert-discrepancy")
    assert discrepancy.get_attribute("data-resolved") == "true" and "weight differs" in discrepancy.inner_text()
    # the seal as on the container, its id beside it, and the label checked against the id in the page (keccak-256)
    seal = page.locator("#cert-facts .seal-of")
    assert seal.get_attribute("data-label-check") == "ok" and seal.get_attribute("data-seal-id") == seal_id_of(
        "CA-SEAL-0042")
    assert seal.inner_text().startswith("CA-SEAL-0042") and "label matches the anchored seal" in seal.inner_text()
    assert [e for e in page.eval_on_selector_all("#cert-history li", "els => els.map(e => e.dataset.event)")][-2:] == [
        "ImportDiscrepancy", "ImportConfirmed"]
    page.set_input_files("#cert-doc-file", str(tampered))
    page.wait_for_selector("#cert-doc-verdict[data-match='false']", timeout=10_000)
    page.set_input_files("#cert-doc-file", str(genuine))
    page.wait_for_selector("#cert-doc-verdict[data-match='true'][data-kind='print']", timeout=10_000)
    page.set_input_files("#cert-doc-file", str(world.demo.documents_dir / "CA0000001.json"))
    page.wait_for_selector("#cert-doc-verdict[data-match='true'][data-kind='document']", timeout=10_000)
    page.fill("#cert-rpc-url", world.chain.url)  # the officer's own node (a link cannot name it)
    page.click("#cert-chain-check")
    page.wait_for_selector("#cert-chain-summary[data-result='match']", timeout=20_000)
    assert page.locator("#cert-chain-table tbody tr[data-match='false']").count() == 0
    assert (violations := axe_violations(page)) == [], violations
    screenshot(page, tmp_path, "certificate-checked-phone")
    page.close()


def test_the_verification_page_checks_a_replacement_against_the_chain_and_explains_an_unknown_number(
        world: World, browser):
    page = phone_page(browser)
    page.goto(f"{world.server.url}/#/certificate/{world.numbers['replacement']}")
    page.wait_for_selector("#cert-status[data-status='issued']", timeout=20_000)
    page.fill("#cert-rpc-url", world.chain.url)
    page.click("#cert-chain-check")
    page.wait_for_selector("#cert-chain-summary[data-result='match']", timeout=20_000)
    replaces = page.locator("#cert-chain-table tbody tr", has_text="replaces")
    assert replaces.get_attribute("data-match") == "true"
    page.goto(f"{world.server.url}/#/certificate/ZZ0000404")
    page.wait_for_selector("#cert-error:not([hidden])", timeout=20_000)
    assert page.inner_text("#cert-error code.error-code") == "CertificateNotFound"
    page.fill("#cert-number-input", "bw0000001")
    page.click("#cert-number-form button[type='submit']")
    page.wait_for_selector("#cert-status[data-status='confirmed']", timeout=20_000)
    assert (violations := axe_violations(page)) == [], violations
    page.close()


def test_the_heading_follows_the_number_checked(world: World, browser):
    """Typing another number on a certificate's page and pressing Check: the heading names that number, never the
    one shown before, above "No KP certificate ... on this ledger"."""
    page = phone_page(browser)
    shown = world.numbers["issued"]
    page.goto(f"{world.server.url}/#/certificate/{shown}")
    page.wait_for_selector("#cert-status[data-status='issued']", timeout=20_000)
    assert page.inner_text("#cert-heading") == f"KP certificate {shown}"
    page.fill("#cert-number-input", "zz0000404")
    page.click("#cert-number-form button[type='submit']")
    page.wait_for_selector("#cert-error:not([hidden])", timeout=20_000)
    assert page.inner_text("#cert-error .error-title") == "No KP certificate ZZ0000404 on this ledger"
    assert page.inner_text("#cert-heading") == "KP certificate ZZ0000404"
    page.fill("#cert-number-input", "not a number")
    page.click("#cert-number-form button[type='submit']")
    page.wait_for_selector("#cert-error code.error-code:has-text('InvalidCertificateNumber')", timeout=20_000)
    assert page.inner_text("#cert-heading") == "Check a KP certificate"
    page.close()


# ------------------------------------------------------------------ one verdict on every surface

# the files a border officer or a buyer may be handed, and the verdict code each gets: looking at certificate A (a
# valid certificate), at the record the file is its own (its certificate's page, its parcel), at no record, and at
# the page of A's consignment (its parcel and its certificate)
VERDICT_FILES: dict[str, dict[str, str]] = {
    "document": {"A": "valid", "own": "valid", "none": "valid", "lot": "valid"},
    "print": {"A": "valid", "own": "valid", "none": "valid", "lot": "valid"},
    "tampered print": {"A": "not-genuine", "own": "not-genuine", "none": "not-genuine", "lot": "not-genuine"},
    "another's print": {"A": "other-record", "own": "used", "none": "used", "lot": "other-record"},
    "voided print": {"A": "other-record", "own": "voided", "none": "voided", "lot": "other-record"},
    "superseded print": {"A": "other-record", "own": "superseded", "none": "superseded", "lot": "other-record"},
    "expired print": {"A": "other-record", "own": "expired", "none": "expired", "lot": "other-record"},
    "disputed print": {"A": "other-record", "own": "disputed", "none": "disputed", "lot": "other-record"},
    "parcel document": {"A": "other-record", "own": "parcel-sealed", "none": "parcel-sealed", "lot": "parcel-sealed"},
}
# the stable code `kp` exits 1 with when the verdict is not good
KP_REFUSALS = {"not-genuine": "DocumentMismatch", "other-record": "DocumentMismatch", "voided": "CertificateVoided",
               "superseded": "CertificateSuperseded", "expired": "CertificateExpired"}


def _dropped(world: World, name: str, tmp_path: Path) -> tuple[Path, tuple[str, str]]:
    """The file `name` (written to tmp_path) and the record it is its own: ("certificate", number) or ("parcel", id)."""
    ca = world.demo.clients["ca_authority"]
    a = world.numbers["issued"]
    own = {"another's print": "delivered", "voided print": "voided", "superseded print": "superseded",
           "expired print": "expired", "disputed print": "disputed"}
    number = world.numbers[own[name]] if name in own else a
    record: tuple[str, str] = ("certificate", number)
    if name == "document":
        body = ca.document("certificates", a)[0]
    elif name == "parcel document":
        body = (world.demo.documents_dir / f"parcel-{a}.json").read_bytes()
        record = ("parcel", str(ca.consignment(ca.certificate(a)["consignment_id"])["parcel_ids"][0]))
    else:
        body = ca.printable_certificate(number)
    if name == "tampered print":  # an edited copy, as a PDF editor saves it: the same page, its metadata changed
        edited = body.replace(f"Certificate {a})".encode(), f"Certificate {a[:-1]}7)".encode())
        body = edited if edited != body else body + b"%"
        assert body != ca.printable_certificate(a)
    path = tmp_path / name.replace(" ", "-").replace("'", "")
    path.write_bytes(body)
    return path, record


def _kp_verdict(result: Any) -> tuple[int, str | None, dict[str, Any]]:
    """`kp ... --json`'s exit status, its refusal code (None when it succeeded) and the verdict it shows."""
    answer = json.loads(result.stdout)
    if result.exit_code == 0:
        return 0, None, answer["verdict"]
    return result.exit_code, answer["error"]["code"], answer["error"]["details"]["verdict"]


def _page_verdict(browser: Any, url: str, ready: str, drop: str, verdict: str, path: Path) -> dict[str, Any]:
    """Drops the file on a page of the viewer (a phone) and reads the verdict it shows: code, tone, words."""
    page = phone_page(browser)
    try:
        page.goto(url)
        page.wait_for_selector(ready, timeout=20_000)
        page.set_input_files(drop, str(path))
        shown = page.wait_for_selector(f"{verdict}[data-code]", timeout=20_000)
        return {"code": shown.get_attribute("data-code"), "tone": shown.get_attribute("data-tone"),
                "class": shown.get_attribute("class"), "words": shown.text_content()}
    finally:
        page.close()


@pytest.mark.parametrize("name", list(VERDICT_FILES))
def test_every_surface_gives_the_same_verdict_on_the_same_file(world: World, api, browser, name: str,
                                                               tmp_path: Path):
    """The same file dropped on the API (the file posted, or its hash alone), on `kp` (certificate verify, document
    verify, verify) and on both pages in Chromium (a certificate's, a lot's) gets the same verdict code and the same
    words, for the record looked at; what the file is and its record's status read the same whatever is looked at."""
    path, own = _dropped(world, name, tmp_path)
    digest = "0x" + hashlib.sha256(path.read_bytes()).hexdigest()
    a = world.numbers["issued"]
    lot = api.get(f"/v1/certificates/{a}").json()["consignment_id"]
    kp = Kp(CliRunner(mix_stderr=False), world.server.url, tmp_path / "no-key.json")
    body = path.read_bytes()
    contexts: dict[str, tuple[str, str] | None] = {"A": ("certificate", a), "own": own, "none": None,
                                                   "lot": ("lot", str(lot))}
    seen: list[dict[str, Any]] = []  # every verdict any surface showed, for the context-free words
    for context, looked_at in contexts.items():
        expected = VERDICT_FILES[name][context]
        kind, reference = looked_at if looked_at is not None else (None, None)
        query = f"?{kind}={reference}" if kind else ""
        surfaces: dict[str, dict[str, Any]] = {"GET /v1/verify/{sha256}" + query:
                                               api.get(f"/v1/verify/{digest}{query}").json()["verdict"]}
        post = {None: "/v1/verify", "certificate": f"/v1/verify/certificates/{reference}",
                "parcel": f"/v1/verify/parcels/{reference}"}.get(kind)
        if post is not None:
            posted = api.post(post, content=body).json()
            # the earlier field says the same: the file is the record's (a print too), or it is not
            assert posted["matches"] is (expected not in ("not-genuine", "other-record")), post
            surfaces[f"POST {post}"] = posted["verdict"]
        commands = {None: [("verify", str(path))],
                    "certificate": [("certificate", "verify", str(path), "--number", str(reference)),
                                    ("document", "verify", "certificate", str(reference), str(path)),
                                    ("verify", "--certificate", str(reference), str(path))],
                    "parcel": [("document", "verify", "parcel", str(reference), str(path))]}.get(kind, [])
        for command in commands:
            status, refusal, shown = _kp_verdict(kp.run(*command))
            assert (status, refusal) == ((0, None) if shown["good"] else (1, KP_REFUSALS[shown["code"]])), command
            surfaces["kp " + " ".join(command[:2])] = shown
            human = kp.run(*command, json_out=False)
            assert human.stdout.splitlines()[0] == shown["words"], command  # what a person reads first
        if kind == "certificate":
            surfaces["certificate page"] = _page_verdict(
                browser, f"{world.server.url}/#/certificate/{reference}", "#cert-status[data-status]",
                "#cert-doc-file", "#cert-doc-verdict", path)
        if kind == "lot" or (kind == "parcel" and context == "own"):
            surfaces["lot page"] = _page_verdict(browser, f"{world.server.url}/#/lot/{reference}",
                                                 "#document-section:not([hidden])", "#doc-file", "#doc-verdict",
                                                 path)
        reference_verdict = surfaces["GET /v1/verify/{sha256}" + query]
        if kind == "parcel":  # the lot page looks at the parcel's page: its own record reads the same there
            assert expected == surfaces["lot page"]["code"]
        for surface, shown in surfaces.items():
            assert (surface, shown["code"]) == (surface, expected), context
            assert shown["words"] == reference_verdict["words"], (context, surface)
            if not reference_verdict["good"]:  # a file that does not count never reads as a plain green tick
                assert not shown["words"].startswith("✓") and shown.get("tone") != "ok", (context, surface)
                assert "result-ok" not in (shown.get("class") or ""), (context, surface)
        seen.append(reference_verdict)
    # what the file is, and its record's status now, read the same whatever the person looks at
    assert len({(v["file_words"], v["status_words"]) for v in seen}) == 1, seen


def test_a_file_anchored_by_several_records_names_them_all_and_the_one_looked_at_first(world: World, api):
    mine = world.demo.clients["ca_mine"]
    body = f"one survey for two parcels {time.time()}".encode()
    digest = "0x" + hashlib.sha256(body).hexdigest()
    first, second = (str(mine.register_parcel(points=100, hs_code=GEM, origin="CA", document_hash=digest)["result"]
                         ["parcel_id"]) for _ in range(2))
    anyone = api.get(f"/v1/verify/{digest}").json()
    assert [(f["kind"], f["reference"]) for f in anyone["found"]] == [("parcel", first), ("parcel", second)]
    assert anyone["verdict"]["record"]["reference"] == first and anyone["verdict"]["code"] == "parcel-live"
    looked_at = api.get(f"/v1/verify/{digest}?parcel={second}").json()["verdict"]
    assert (looked_at["record"]["reference"], [o["reference"] for o in looked_at["others"]]) == (second, [first])
    assert looked_at["file_words"] == (f"This file is the document anchored for parcel {second}; also the document "
                                       f"anchored for parcel {first}.")
    assert api.post(f"/v1/verify/parcels/{second}", content=body).json()["verdict"] == looked_at
    assert api.get(f"/v1/verify/{digest}?lot={second}").json()["verdict"]["record"]["reference"] == second
    # one record looked at at most; an unknown one is not found
    both = api.get(f"/v1/verify/{digest}?parcel={first}&certificate=BW0000001")
    assert (both.status_code, both.json()["code"]) == (422, "InvalidRequest")
    missing = api.get(f"/v1/verify/{digest}?certificate=ZZ0000404")
    assert (missing.status_code, missing.json()["code"]) == (404, "CertificateNotFound")
    assert api.get("/v1/verify/0x1234").status_code == 422


def test_the_print_shows_control_and_bidirectional_characters_of_a_name_escaped():
    """A name on the ledger is anyone's text: on the slip (and the certificate) a right-to-left override or an escape
    sequence is printed visibly escaped, never applied to the line."""
    from kpledger.certificates import render

    cert = {"number": "BW0000042", "exporter": "BW", "importer": "EU", "exporter_name": "Kalahari\u202eLtd\x1b[2J",
            "exporter_account": "0x" + "12" * 20, "importer_name": None, "importer_account": "0x" + "34" * 20,
            "carats": "1234567.50", "parcel_count": 2, "hs_codes": [710210, 710231], "origins": ["BW", "ZZ"],
            "mixed_origin": True, "issued_date": "2026-12-01", "expiry_date": "2026-12-31", "seal_id": None}
    _, text = pdf_text(render.slip_pdf(cert, {"BW": "Botswana", "EU": "European Union\u2066"}, "http://x/#/c"))
    assert field(text, "Exporter") == "Kalahari\\u202eLtd\\x1b[2J"
    assert field(text, "Route") == "Botswana (BW) -> European Union\\u2066 (EU)"
    assert field(text, "Carats / parcels") == "1,234,567.50 ct in 2 parcel(s)"
    assert field(text, "HS code(s)") == "7102.10 unsorted, 7102.31 non-industrial (gem)"
    assert field(text, "Origin") == "mixed origin (*): Botswana (BW), ZZ"


def test_a_seal_reads_with_its_label_checked_or_as_its_id_alone():
    """The print and the slip say "label matches the anchored seal" only when the label hashes to the id."""
    from kpledger.certificates.render import seal_lines

    sid = seal_id_of("BW-SEAL-0001")
    assert seal_lines("BW-SEAL-0001", sid) == ["seal BW-SEAL-0001", f"seal id {sid}", "label matches the anchored seal"]
    assert seal_lines("BW-SEAL-0002", sid)[2] == "LABEL DOES NOT MATCH the anchored seal"
    assert seal_lines(None, sid) == [f"seal id {sid}", "label unknown to the ledger (compare the id)"]
    assert seal_lines(None, None) == ["—"]
