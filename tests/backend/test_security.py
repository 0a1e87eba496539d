"""The trust boundary of the API, tried as an attacker would: an outsider, a licensed participant of another
country, a party to the wrong record. Each test is the exploit; it failed before the fix (see SECURITY.md)."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
import sys
import time

import httpx
import pytest

from kpledger.core.config import Settings
from kpledger.devstack import dev_key

from conftest import Direct, Server, signed, start_server
from scenarios import ThreeCountries
from test_reads import wait_indexed


@pytest.fixture
def journey(server, direct) -> ThreeCountries:
    direct.setup_world()
    j = ThreeCountries().run(direct)
    wait_indexed(server, direct)
    return j


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


def test_a_trickling_body_is_cut_off(node):
    srv = start_server(node, extra_env={"KP_BODY_TIMEOUT_SECONDS": "2"})
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
            started = time.monotonic()
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
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
    key = "0x" + hashlib.sha256(b"a production relayer key").hexdigest()
    assert Settings(environment="production", relayer_key=key, data_dir=tmp_path).environment == "production"
