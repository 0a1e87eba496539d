"""The pages on the ledger's origin against a fake API or a hostile name, in a real browser against a real server on
anvil: a forged QR code naming another API (?api=, ?rpc=) gets no green verdict, the chain check reads the contracts
the pages were deployed with (not those the API names), and a name carrying bidi controls cannot reverse the text
after it. The console's own defences (its pinned action table and domain) are in test_console.py."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from kpledger.client import seal_id
from kpledger.core.constants import NON_INDUSTRIAL as GEM
from kpledger.dev.chain import stop
from kpledger.dev.stack import ApiServer
from tests.support.browser import PHONE, axe_violations, screenshot
from tests.support.console import FakeApi, open_console
from tests.support.writes import Api, setup_world

pytest.importorskip("playwright.sync_api")

FORGED = "ZZ0000001"


def phone(browser: Any) -> Any:
    page = browser.new_page(viewport=PHONE, is_mobile=True)
    page.kp_errors = []
    page.on("pageerror", lambda error: page.kp_errors.append(str(error)))
    return page


# ---------------------------------------------------------------- the forger's API and contracts


def forged_certificate(now: int, exporter: str, importer: str) -> dict[str, Any]:
    """What a forger's API answers for ZZ0000001: a valid-looking BW -> EU certificate that no authority issued."""
    return {
        "number": FORGED, "key": "0x" + "44" * 32, "status": "issued", "consignment_id": 7, "exporter": "BW",
        "importer": "EU", "points": 350_000, "carats": "3500.00", "parcel_count": 1, "hs_codes": [GEM],
        "origins": ["BW"], "mixed_origin": False, "issued_at": now - 3600, "expires_at": now + 30 * 86_400,
        "document_hash": "0x" + "33" * 32, "issued_by": exporter, "issued_by_name": "Government Diamond Valuator",
        "issued_block": 12, "issued_tx": "0x" + "55" * 32, "exporter_account": exporter,
        "exporter_name": "Gaborone Diamond Exporters (Pty) Ltd", "importer_account": importer,
        "importer_name": "Antwerp Rough Trading NV", "replaces": None, "superseded_by": None, "discrepancy": None,
        "resolution": None, "history": [], "parcels": [], "seal_id": "0x" + "66" * 32,
        "document": {"filed": False, "printed_sha256": None},
    }


def returning(data: bytes) -> bytes:
    """EVM code returning `data` to any call: PUSH2 len, DUP1, PUSH2 13, PUSH1 0, CODECOPY, PUSH1 0, RETURN, data."""
    return (b"\x61" + len(data).to_bytes(2, "big") + b"\x80\x61\x00\x0d\x60\x00\x39\x60\x00\xf3") + data


def deploy_constant(node: Any, key: bytes, data: bytes) -> str:
    """A contract on the real chain that answers every call with `data` (what a forger deploys as a stand-in)."""
    w3, sender = node.w3, Account.from_key(key).address
    tx = {"from": sender, "data": returning(returning(data)), "nonce": w3.eth.get_transaction_count(sender),
          "gas": 300_000, "gasPrice": w3.eth.gas_price, "chainId": w3.eth.chain_id}
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(Account.sign_transaction(tx, key).raw_transaction))
    assert receipt.status == 1
    return receipt.contractAddress


def word(value: int | bytes) -> bytes:
    return value.ljust(32, b"\0") if isinstance(value, bytes) else value.to_bytes(32, "big")


def forged_contracts(node: Any, key: bytes, certificate: dict[str, Any]) -> tuple[str, str]:
    """A stand-in KPCertificates whose certificate(string) is the forged certificate, and a stand-in KPLedger whose
    certificates() names it: the addresses a forger's /v1/config gives."""
    c = certificate
    tuple_words = [word(c["consignment_id"]), word(c["exporter"].encode()), word(c["importer"].encode()),
                   word(c["issued_at"]), word(c["expires_at"]), word(1), word(bytes.fromhex(c["document_hash"][2:])),
                   word(int(c["exporter_account"], 16)), word(int(c["importer_account"], 16)), word(0), word(0)]
    certificates = deploy_constant(node, key, b"".join(tuple_words))
    ledger = deploy_constant(node, key, word(int(certificates, 16)))
    return ledger, certificates


def forger(node: Any, actors: dict[str, Any], *, contracts: bool = False) -> FakeApi:
    """The forger's API: the forged certificate, participants, health and (with `contracts`) a /v1/config naming
    stand-in contracts on the real chain that agree with the forgery."""
    now = int(time.time())
    certificate = forged_certificate(now, actors["bw_exporter"].address, actors["eu_trader"].address)
    config = {"chain_id": node.w3.eth.chain_id, "contracts": {}, "start_block": 0, "environment": "production"}
    if contracts:
        node.fund([actors["outsider"].address], 10**20)
        ledger, certificates = forged_contracts(node, actors["outsider"].key, certificate)
        config["contracts"] = {"KPRegistry": ledger, "KPLedger": ledger, "KPCertificates": certificates}
    return FakeApi(None, {
        f"/v1/certificates/{FORGED}": certificate, "/v1/config": config,
        "/v1/participants": {"data": [{"code": "BW", "name": "Botswana", "index": 1, "status": "active"},
                                      {"code": "EU", "name": "European Union", "index": 2, "status": "active"}],
                             "count": 2},
        "/healthz": {"status": "ok", "chain_id": config["chain_id"], "latest_block": 12, "indexed_block": 12, "lag": 0},
    })


@pytest.fixture
def allowing(node, tmp_path: Path) -> Iterator[Any]:
    """Starts a server whose pages list `allowed` APIs in their kp-api-allow meta (a deployment that names the mirrors
    it trusts), from a copy of frontend-static/."""
    servers = []

    def start(allowed: str) -> ApiServer:
        pages = tmp_path / "pages"
        shutil.copytree(Path(__file__).resolve().parents[2] / "frontend-static", pages)
        index = pages / "index.html"
        html = index.read_text()
        assert '<meta name="kp-api-allow" content="">' in html
        index.write_text(html.replace('<meta name="kp-api-allow" content="">',
                                      f'<meta name="kp-api-allow" content="{allowed}">'))
        server = ApiServer(node.url, node.data_dir, env={"KP_FRONTEND_DIR": str(pages)})
        servers.append(server)
        return server

    yield start
    for server in servers:
        stop(server.process)


# ---------------------------------------------------------------- a forged QR code


def test_a_forged_qr_code_naming_another_api_gets_no_green_page_on_the_ledgers_origin(server, node, browser, actors,
                                                                                      tmp_path: Path):
    """Exploit: the QR code on a forged certificate opens the ledger's own viewer with ?api= (and ?rpc=) naming the
    forger's server, which answers that ZZ0000001 is a valid BW -> EU certificate."""
    fake = forger(node, actors)
    try:
        page = phone(browser)
        page.goto(f"{server.url}/?api={fake.url}&rpc={fake.url}#/certificate/{FORGED}")
        page.wait_for_selector("#cert-error:not([hidden]), #cert-body:not([hidden])", timeout=20_000)
        section = page.inner_text("#certificate-section")
        assert "Valid" not in section and "✓" not in section, section
        # the page looked the number up on its own ledger, which has no such certificate
        assert page.is_visible("#cert-error") and not page.is_visible("#cert-body")
        assert f"No KP certificate {FORGED} on this ledger" in page.inner_text("#cert-error")
        assert page.inner_text("#cert-error .error-code") == "CertificateNotFound"
        # and says so: the link named another server, which the page did not ask
        notice = page.inner_text("#api-ignored")
        assert fake.url in notice and "ignored" in notice, notice
        assert fake.requests == []
        assert page.input_value("#cert-rpc-url") == "" and page.input_value("#rpc-url") == ""
        assert page.kp_errors == [] and axe_violations(page) == [], page.kp_errors
        screenshot(page, tmp_path, "certificate-forged-link-phone")
    finally:
        fake.close()


def test_the_chain_check_reads_the_contracts_the_pages_were_deployed_with(node, browser, actors, allowing):
    """Exploit: an API the deployment lists (a mirror) is compromised. It serves the forged certificate and a
    /v1/config naming stand-in contracts, deployed by the forger on the real chain, that agree with it; the officer
    checks against the chain through a node she trusts."""
    fake = forger(node, actors, contracts=True)
    try:
        server = allowing(fake.url)
        page = phone(browser)
        page.goto(f"{server.url}/?api={fake.url}&rpc={fake.url}#/certificate/{FORGED}")
        page.wait_for_selector("#cert-body:not([hidden])", timeout=20_000)
        assert page.input_value("#cert-rpc-url") == ""  # the node is the officer's choice, not the link's
        page.fill("#cert-rpc-url", node.url)
        page.click("#cert-chain-check")
        page.wait_for_selector("#cert-chain-summary[data-result]", timeout=20_000)
        summary = page.locator("#cert-chain-summary")
        assert summary.get_attribute("data-result") == "mismatch", summary.inner_text()
        # the check read certificate(number) from the ledger this page was deployed with: no such certificate there
        assert page.locator("#cert-chain-table tbody tr[data-match='false']", has_text="exists").count() == 1
        assert "/v1/config" not in [path for _method, path in fake.requests]
        assert page.kp_errors == [], page.kp_errors
    finally:
        fake.close()


# ---------------------------------------------------------------- names with bidi controls

# whether the first and last visible characters of the first text in `el` are drawn right to left
REVERSED = """(el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    while (node && node.data.trim().length < 2) node = walker.nextNode();
    const text = node.data;
    const first = text.search(/\\S/);
    const last = text.length - 1 - [...text].reverse().join('').search(/\\S/);
    const left = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                          return r.getBoundingClientRect().left; };
    return left(first) > left(last);
}"""


def test_a_name_with_a_bidi_override_cannot_reverse_the_text_after_it(server, browser, actors):
    """Exploit: an operator licensed under a name ending in U+202E (RIGHT-TO-LEFT OVERRIDE): every page that shows
    the name would draw the rest of its line reversed."""
    api = Api(server.url)
    setup_world(api, actors, {"mine": ("Kalahari Ridge Mining\u202e", "BW-ML-0001")})
    mine = actors["mine"]
    parcel = api.do(mine, "RegisterParcel", {"points": 500, "stones": 2, "hsCode": GEM, "origin": "BW",
                                             "documentHash": "0x" + "77" * 32})["result"]["parcel_id"]
    api.do(mine, "OfferCustody", {"lotId": parcel, "recipient": actors["bw_exporter"].address,
                                  "sealId": seal_id("BAG-7")})

    # the viewer's timeline: "Offered … from <the mine> … to Bw Exporter Ltd …"
    page = phone(browser)
    page.goto(f"{server.url}/#/lot/{parcel}")
    step = page.locator("#timeline li[data-kind='offered'] .step-parties")
    step.wait_for(timeout=20_000)
    recipient = step.locator(".party-name").nth(1)
    assert recipient.inner_text() == "Bw Exporter Ltd"
    assert not recipient.evaluate(REVERSED), "the recipient's name is drawn reversed"
    # the control is shown, not obeyed
    assert "[U+202E]" in step.locator(".party-name").first.inner_text()
    assert page.kp_errors == [], page.kp_errors

    # the console: the exporter's offer from the mine, "from <the mine> 0x12…34 BW"
    console, _ = open_console(browser, server.url, actors["bw_exporter"].key, api.config["chain_id"])
    console.click("#connect")
    offer = console.locator("#inbox-offers-to-me li .item-text")
    offer.wait_for(timeout=20_000)
    assert not offer.locator(".party-country").evaluate(REVERSED), "the participant code after the name is reversed"
    assert "[U+202E]" in offer.locator(".party-name").inner_text()
    assert console.kp_errors == [], console.kp_errors
