"""A KP certificate from its terms to the printed PDF in the console, with no `kp` command: the authority types the
terms once, the console composes the kp-certificate/1 document from them (the API's compose, the function `kp
certificate compose` runs) or checks an uploaded one field by field before the wallet is asked anything; then it
signs and issues, files the document with a request its wallet signs (personal_sign), and saves the ledger's print
(checked against `printed_sha256`) and the slip. And the wallet's trouble said as the wallet's: another chain caught
before the confirmation and at signing, with the switch offered; a declined or failed request never "the ledger".

Real anvil, real HTTP, Debian's Chromium; the wallet is console_support's test wallet, answered by Python.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx

from kpledger.certificates.kpcert import compose, encode
from kpledger.client import seal_id
from kpledger.core.constants import NON_INDUSTRIAL as GEM
from kpledger.signing.requests import request_text
from tests.support.browser import screenshot
from tests.support.console import (
    PARTICULARS,
    PROFILES,
    TRADER,
    connect,
    field,
    fill_particulars,
    no_violations,
    open_action,
    open_console,
    particular,
    particular_readback,
    review,
    sign,
)
from tests.support.prints import assert_signed_qr, qr_texts
from tests.support.writes import Api

DAY = 86_400


def sealed(world: Api, actors: dict[str, Any], label: str, points: int = 350_000) -> int:
    """A BW gem parcel registered and sealed by the mine (a licensed exporter) under `label`: the consignment the BW
    authority finds waiting for a certificate."""
    mine = actors["mine"]
    parcel = world.do(mine, "RegisterParcel", {"points": points, "stones": 12, "hsCode": GEM, "origin": "BW",
                                               "documentHash": "0x" + "11" * 32})["result"]["parcel_id"]
    return world.do(mine, "SealConsignment", {"parcelIds": [parcel], "sealId": seal_id(label)})["result"][
        "consignment_id"]


def issue_form(page: Any, actors: dict[str, Any], box: int, number: str, days: int) -> None:
    """The BW authority's IssueCertificate form for consignment `box`, its terms typed once."""
    open_action(page, "IssueCertificate", consignmentId=box)
    field(page, "number").fill(number)
    field(page, "importer", "select").select_option("EU")
    field(page, "importerAccount").fill(actors["eu_trader"].address)
    field(page, "expiresAt").fill(str(days))


def downloaded(page: Any, selector: str) -> bytes:
    """The bytes of the file the link `selector` saves."""
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def sha(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


def no_ledger_blamed(page: Any) -> None:
    """Nothing the wallet said is attributed to the ledger."""
    text = page.inner_text("body")
    assert "The ledger says" not in text, text


# ---------------------------------------------------------------- terms to the printed PDF


def test_an_authority_takes_a_certificate_from_terms_to_the_printed_pdf_in_the_console(server, browser, actors, world,
                                                                                        tmp_path):
    number, label = "BW0000007", "BW-SEAL-0007"
    box = sealed(world, actors, label)
    page, wallet = open_console(browser, server.url, actors["bw_authority"].key, world.config["chain_id"])
    connect(page)
    page.click(f"#inbox-exporters-needing a[data-action='IssueCertificate'][href*='consignmentId={box}']")
    page.wait_for_selector("#form-section:not([hidden])")
    field(page, "number").fill(number)
    field(page, "importer", "select").select_option("EU")
    field(page, "importerAccount").fill(actors["eu_trader"].address)
    # the terms once; the particulars the ledger does not hold, read back as they will be written
    fill_particulars(page, seal_label=label)
    assert particular_readback(page, "seal_label").startswith(
        f"{label} = seal id {seal_id(label)}: matches the consignment's")
    assert particular_readback(page, "value_usd") == "USD 41,300,000.00"
    particular(page, "value_usd").fill("41300000.123")
    assert "at most 2 decimals" in particular_readback(page, "value_usd")
    particular(page, "value_usd").fill(PARTICULARS["value_usd"])
    no_violations(page, "the certificate form with its document's particulars")
    screenshot(page, tmp_path, "console-certificate-compose", only="#form-fields [data-field='documentHash']")

    # the document composed from the ledger's facts and the particulars, shown before anything is signed
    review(page)
    assert wallet.asked == []
    shown = page.eval_on_selector_all("#confirm-document dd[data-doc]",
                                      "els => Object.fromEntries(els.map(e => [e.dataset.doc, e.innerText]))")
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 60))
    assert shown["number"] == number and shown["route"] == "Botswana (BW) → European Union (EU)"
    assert shown["carats"] == "3500.00 ct" and shown["value_usd"] == "USD 41,300,000.00"
    assert shown["number_of_parcels"] == "1" and shown["hs_codes"] == "7102.31 non-industrial (gem)"
    assert shown["issue_date"] == today and shown["validation"] == f"K. Mogapi, Gaborone, {today}"
    assert TRADER in shown["importer"] and "Schupstraat 9, 2018 Antwerpen" in shown["importer"]
    # the seal by its label, the id beside it, the label hashed again in the page (keccak.js) against the id
    assert shown["seal"] == f"{label} {seal_id(label)} ✓ label matches the anchored seal"
    text = page.text_content("#confirm-document-json")
    signed_hash = page.inner_text("#confirm-rows tr[data-field='documentHash'] td:last-child")
    assert signed_hash == sha(text.encode())
    assert page.inner_text("#confirm-rows tr[data-field='documentHash'] td:nth-child(2)") == (
        f"{number}.json, composed here: SHA-256 {signed_hash}")
    saved = downloaded(page, "#confirm-document-save")
    assert sha(saved) == signed_hash and saved.decode() == text  # the copy is the bytes anchored, exactly
    no_violations(page, "the confirmation with the composed document")
    screenshot(page, tmp_path, "console-certificate-document", only="#confirm-document")

    outcome = sign(page)
    assert outcome["done"] and outcome["number"] == number, outcome
    assert wallet.signed[-1]["message"]["documentHash"] == signed_hash
    with httpx.Client(base_url=server.url) as c:
        cert = c.get(f"/v1/certificates/{number}").json()
    assert cert["document_hash"] == signed_hash and cert["document"] == {"filed": False, "printed_sha256": None}

    # filed with a request the wallet signs: the ledger checks it against the chain and prints it
    page.wait_for_selector("#issue-papers #papers-file")
    page.click("#papers-file")
    page.wait_for_selector("#papers-filed, #papers-error .error", timeout=30_000)
    assert page.locator("#papers-filed").count() == 1, page.inner_text("#papers-error")
    assert wallet.texts[-1].startswith(f"KP Ledger request\nPUT /v1/documents/certificates/{number}\n")
    assert f"body-sha256: {signed_hash[2:]}" in wallet.texts[-1]
    with httpx.Client(base_url=server.url) as c:
        read = c.get(f"/v1/certificates/{number}").json()
        box_read = c.get(f"/v1/consignments/{box}").json()
    printed = read["document"]
    assert printed["filed"] and printed["printed_sha256"]
    # the box was sealed by its id alone: the label the composed document carries, checked, is now the ledger's
    assert read["seal_label"] == box_read["seal_label"] == label and read["seal_id"] == seal_id(label)

    # the printed certificate: the ledger's PDF, offered only once its hash is the one the ledger publishes
    page.click("#papers-print")
    page.wait_for_selector("#papers-save-print, #papers-error .error", timeout=30_000)
    assert page.locator("#papers-save-print").count() == 1, page.inner_text("#papers-error")
    pdf = downloaded(page, "#papers-save-print")
    assert pdf.startswith(b"%PDF-") and sha(pdf) == printed["printed_sha256"]
    assert_signed_qr(server.url, qr_texts(pdf), number)  # the console's signature, relayed, is the one on paper
    assert wallet.texts[-1].startswith(f"KP Ledger request\nGET /v1/certificates/{number}/printable.pdf\n")
    # and the public slip for the container
    slip = downloaded(page, "#papers-slip")
    assert slip.startswith(b"%PDF-")
    assert_signed_qr(server.url, qr_texts(slip), number)
    assert page.get_attribute("#papers-verify", "href") == f"{server.url}/#/certificate/{number}"
    no_violations(page, "the certificate's papers")
    screenshot(page, tmp_path, "console-certificate-papers", only="#issue-papers")
    assert [typed["primaryType"] for typed in wallet.signed] == ["IssueCertificate"] and len(wallet.texts) == 2

    # the papers page keeps the way to the print for later (the inbox's "Papers…")
    page.evaluate("() => { location.hash = '#/'; }")
    page.wait_for_selector("#inbox-section:not([hidden])")
    page.click(f"#inbox-issued-open a[data-papers='{number}']")
    page.wait_for_selector("#papers-section:not([hidden]) #papers-print")
    assert "filed with the ledger" in page.inner_text("#papers-status")
    assert page.kp_errors == [], page.kp_errors


def document_for(actors: dict[str, Any], number: str, label: str, days: int) -> dict[str, Any]:
    """The kp-certificate/1 document an authority composed elsewhere today for `days` of validity."""
    now = int(time.time()) - 60
    return compose(number=number, exporter=("BW", "Botswana"), importer=("EU", "European Union"), origins=["BW"],
                   issued_at=now, expires_at=now + days * DAY, authority=(PROFILES["bw_authority"][0], "Gaborone"),
                   exporter_party=(PROFILES["mine"][0], "Jwaneng", actors["mine"].address),
                   importer_party=(TRADER, "Antwerpen", actors["eu_trader"].address), points=350_000,
                   value_usd="41300000.00", parcel_count=1, hs_codes=[GEM], seal=(label, seal_id(label)),
                   officer="K. Mogapi", place="Gaborone")


def test_a_60_day_certificate_with_a_30_day_document_is_stopped_before_the_wallet_is_asked(server, browser, actors,
                                                                                          world, tmp_path):
    """The issue's case: a 60-day issue with a 30-day document was anchored, then could never be filed. The console
    checks the uploaded document against the terms first and names the field, in the filing's words."""
    number, label = "BW0000008", "BW-SEAL-0008"
    box = sealed(world, actors, label)
    path = tmp_path / f"{number}.json"
    path.write_bytes(encode(document_for(actors, number, label, days=30)))
    page, wallet = open_console(browser, server.url, actors["bw_authority"].key, world.config["chain_id"])
    connect(page)
    issue_form(page, actors, box, number, days=60)
    page.check("#form-fields [data-field='documentHash'] input[type=radio][value='upload']")
    page.set_input_files("#form-fields [data-field='documentHash'] input[type=file]", str(path))
    with httpx.Client(base_url=server.url) as c:
        before = c.get("/healthz").json()["latest_block"]
    page.click("#review")
    page.wait_for_selector("#document-refused")
    refusal = page.locator("#document-refused")
    assert refusal.get_attribute("data-code") == "DocumentDisagreesWithLedger"
    fields = page.eval_on_selector_all("#document-refused li[data-field]", "els => els.map(e => e.dataset.field)")
    assert fields == ["expiry_date"]
    words = refusal.inner_text()
    thirty, sixty = (time.strftime("%Y-%m-%d", time.gmtime(time.time() - 60 + d * DAY)) for d in (30, 60))
    assert f"expiry_date (date of expiry): the document states “{thirty}”; the certificate you are issuing records " \
           f"“{sixty}”" in words, words
    assert "nothing was signed" in page.inner_text("#form-fields [data-field='documentHash'] > .field-error")
    # stopped before any signature: no request reached the wallet, nothing reached the chain
    assert page.locator("#confirm-section").is_hidden() and wallet.asked == []
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/healthz").json()["latest_block"] == before
        assert c.get(f"/v1/certificates/{number}").status_code == 404
    no_violations(page, "a document refused before signing")
    screenshot(page, tmp_path, "console-certificate-mismatch", only="#form-fields [data-field='documentHash']")

    # with the document's own 30 days the terms agree: signed, issued, and the same bytes are filed
    field(page, "expiresAt").fill("30")
    review(page)
    assert page.inner_text("#confirm-rows tr[data-field='documentHash'] td:nth-child(2)").startswith(
        f"{number}.json, checked against these terms: SHA-256 {sha(path.read_bytes())}")
    assert sign(page)["done"]
    page.click("#papers-file")
    page.wait_for_selector("#papers-filed, #papers-error .error", timeout=30_000)
    assert page.locator("#papers-filed").count() == 1, page.inner_text("#papers-error")
    assert wallet.asked == ["eth_signTypedData_v4", "personal_sign"]


def test_a_document_that_is_not_a_certificate_document_or_a_wrong_seal_is_refused_in_the_form(server, browser, actors,
                                                                                             world, tmp_path):
    box = sealed(world, actors, "BW-SEAL-0009")
    page, wallet = open_console(browser, server.url, actors["bw_authority"].key, world.config["chain_id"])
    connect(page)
    issue_form(page, actors, box, "BW0000009", days=30)
    # the seal's id typed for its label: said in the form, and refused by the composer (a document's label must
    # hash to the id)
    fill_particulars(page, seal_label=seal_id("BW-SEAL-0009"))
    assert particular_readback(page, "seal_label").startswith("This is the seal's id, not its label")
    page.click("#review")
    page.wait_for_selector("#document-refused[data-code='SealMismatch']")
    assert "not its id" in page.inner_text("#document-refused")
    fill_particulars(page, seal_label="BW-SEAL-0090")
    assert "differs from the consignment's seal" in particular_readback(page, "seal_label")
    page.click("#review")
    page.wait_for_selector("#document-refused")
    assert page.get_attribute("#document-refused", "data-code") == "SealMismatch"
    assert "The seal label is not the consignment's seal." in page.inner_text("#document-refused")
    # an uploaded file that is not a kp-certificate/1 document: the schema's violations, before signing
    scan = tmp_path / "scan.json"
    scan.write_text('{"number": "BW0000009", "value_usd": "41.3M"}')
    page.check("#form-fields [data-field='documentHash'] input[type=radio][value='upload']")
    page.set_input_files("#form-fields [data-field='documentHash'] input[type=file]", str(scan))
    page.click("#review")
    page.wait_for_selector("#document-refused[data-code='DocumentInvalid']")
    assert page.locator("#confirm-section").is_hidden() and wallet.asked == []


def test_the_console_signs_the_backends_request_text(server, browser, actors):
    """A signed request's text built in the page is the backend's `request_text`, character for character."""
    page, _ = open_console(browser, server.url, actors["outsider"].key, 31337)
    body = "{\"number\": \"BW0000001\", \"côte\": \"d’ivoire\"}\n"
    built = page.evaluate("""async (body) => {
        const signed = await import('/console/signed.js');
        return signed.requestText('put', '127.0.0.1:8000', '/v1/documents/certificates/BW0000001', 31337,
                                  1900000000, new TextEncoder().encode(body), 'application/json');
    }""", body)
    assert built == request_text("PUT", "127.0.0.1:8000", "/v1/documents/certificates/BW0000001", 31337,
                                 1_900_000_000, body.encode(), "application/json")


# ---------------------------------------------------------------- the wallet's words


def fill_register(page: Any) -> None:
    open_action(page, "RegisterParcel")
    field(page, "points").fill("10")
    field(page, "hsCode", "select").select_option(str(GEM))
    page.fill("#form-fields [data-field='documentHash'] input[type=text]", "0x" + "33" * 32)


def test_a_wallet_on_another_chain_is_caught_before_the_confirmation_and_switched_there(server, browser, actors, world,
                                                                                      tmp_path):
    chain_id = world.config["chain_id"]
    page, wallet = open_console(browser, server.url, actors["mine"].key, 1)  # the wallet is on mainnet
    connect(page)
    note = page.inner_text("#chain-note")
    assert f"Your wallet is on chain 1; this ledger is chain {chain_id}." in note
    assert page.inner_text("#chain-switch") == f"Switch the wallet to chain {chain_id}"
    fill_register(page)
    assert page.is_visible("#chain-note")  # on the form too
    review(page)
    # the confirmation says it beside the sign button, which stays disabled until the chain is right
    assert page.is_visible("#confirm-chain") and page.is_disabled("#sign") and page.is_hidden("#chain-note")
    no_violations(page, "a confirmation with the wallet on another chain")
    screenshot(page, tmp_path, "console-wrong-chain", until="#confirm-section")
    page.click("#confirm-switch")
    page.wait_for_selector("#sign:not([disabled])")
    assert wallet.chain_id == chain_id and page.is_hidden("#confirm-chain")
    assert f"Your wallet is on the ledger's chain ({chain_id})." in page.inner_text("#status")

    # switched back in the wallet's own window, saying nothing: caught when signing, and the wallet is not asked
    wallet.chain_id = 1
    page.click("#sign")
    page.wait_for_selector("#confirm-chain:not([hidden])")
    assert wallet.asked == [] and page.is_visible("#confirm-section")
    # the wallet announces its chain: the console follows at once
    wallet.chain_id = chain_id
    page.evaluate("id => window.__kpWalletEmit('chainChanged', id)", hex(chain_id))
    page.wait_for_selector("#sign:not([disabled])")
    outcome = sign(page)
    assert outcome["done"], outcome
    assert wallet.asked == ["eth_signTypedData_v4"]
    no_ledger_blamed(page)


def test_the_wallets_refusals_are_the_wallets_words_never_the_ledgers(server, browser, actors, world):
    chain_id = world.config["chain_id"]
    page, wallet = open_console(browser, server.url, actors["mine"].key, chain_id)
    connect(page)
    # the user declines
    fill_register(page)
    review(page)
    wallet.refuse = True
    outcome = sign(page)
    assert not outcome["done"] and outcome["code"] == "WalletRejected", outcome
    assert "You declined the request in your wallet." in outcome["text"]
    assert "Your wallet says: User rejected the request." in outcome["text"]
    no_ledger_blamed(page)
    # the wallet fails in its own words
    page.click("#progress-edit")
    review(page)
    wallet.fail = {"code": -32603, "message": "Ledger device: app not open"}
    outcome = sign(page)
    assert not outcome["done"] and outcome["code"] == "WalletFailed", outcome
    assert "Your wallet says: Ledger device: app not open" in outcome["text"]
    no_ledger_blamed(page)
    # a wallet that does not know the ledger's chain says so when asked to switch
    wallet.chain_id, wallet.known_chains = 1, {1}
    page.evaluate("() => window.__kpWalletEmit('chainChanged', '0x1')")
    page.click("#progress-edit")
    page.wait_for_selector("#chain-switch")
    page.click("#chain-switch")
    page.wait_for_selector("#error:not([hidden])")
    assert page.get_attribute("#error .error-code", "data-code") == "WalletUnknownChain"
    assert "Your wallet does not know the ledger's chain" in page.inner_text("#error")
    no_ledger_blamed(page)
    assert wallet.signed == [] and page.kp_errors == [], page.kp_errors


def test_a_declined_signed_request_for_a_document_is_the_wallets_word(server, browser, actors, world):
    number, label = "BW0000010", "BW-SEAL-0010"
    box = sealed(world, actors, label)
    page, wallet = open_console(browser, server.url, actors["bw_authority"].key, world.config["chain_id"])
    connect(page)
    issue_form(page, actors, box, number, days=30)
    fill_particulars(page, seal_label=label)
    review(page)
    assert sign(page)["done"]
    wallet.refuse = True
    page.click("#papers-file")
    page.wait_for_selector("#papers-error .error")
    assert page.get_attribute("#papers-error .error-code", "data-code") == "WalletRejected"
    assert "You declined the request in your wallet." in page.inner_text("#papers-error")
    no_ledger_blamed(page)
    with httpx.Client(base_url=server.url) as c:
        assert c.get(f"/v1/certificates/{number}").json()["document"]["filed"] is False
    page.click("#papers-file")  # asked again, signed: filed
    page.wait_for_selector("#papers-filed")
    assert wallet.asked == ["eth_signTypedData_v4", "personal_sign", "personal_sign"]
