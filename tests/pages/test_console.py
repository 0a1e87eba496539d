"""The participant console in a real browser (Debian's Chromium via Playwright) against a real server on anvil.

Each role uses its own browser context with a test EIP-1193 wallet whose signatures Python makes with the
role's key (console_support.TestWallet): the backend verifies them like any wallet's.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from kpledger.client import seal_id
from kpledger.core.actions import ACTIONS
from kpledger.core.constants import INDUSTRIAL, UNSORTED
from kpledger.core.constants import NON_INDUSTRIAL as GEM
from kpledger.signing.typed_data import digest
from tests.support.browser import PHONE, screenshot
from tests.support.console import (
    EXPORTER,
    MINE,
    PROFILES,
    TRADER,
    FakeApi,
    connect,
    field,
    fill_particulars,
    no_violations,
    open_action,
    open_console,
    particular_readback,
    review,
    sign,
)
from tests.support.writes import Api

pytest.importorskip("playwright.sync_api")


BW_AUTHORITY, EU_AUTHORITY = PROFILES["bw_authority"][0], PROFILES["eu_authority"][0]


# ---------------------------------------------------------------- helpers driving the page


def readback(page: Any, name: str) -> str:
    return page.locator(f"#form-fields [data-field='{name}'] > .readback").inner_text()


def wait_readback(page: Any, name: str, text: str) -> None:
    """Waits until a field's read-back line shows `text` (a file being hashed, an account being looked up)."""
    page.wait_for_function("([name, text]) => document.querySelector(`#form-fields [data-field='${name}'] > .readback`)"
                           ".textContent.includes(text)", arg=[name, text])


def inbox_count(page: Any, card: str) -> int:
    return int(page.get_attribute(f"#inbox-{card}", "data-count"))


def home(page: Any) -> None:
    """Back to the inbox, refreshed."""
    page.evaluate("() => { location.hash = '#/'; document.getElementById('status').textContent = ''; }")
    page.wait_for_selector("#inbox-section:not([hidden])")
    page.click("#inbox-refresh")
    page.wait_for_function("() => document.getElementById('status').textContent.length > 0")


def document_file(tmp_path: Path, name: str, content: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text(content)
    import hashlib

    return path, "0x" + hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the actions as data


# who signs each of today's actions (the contracts' rules)
EXPECTED_SIGNERS = {
    "AdmitParticipant": "governance", "SuspendParticipant": "governance", "ReinstateParticipant": "governance",
    "AppointAuthority": "governance", "DismissAuthority": "governance", "SetMaxCertificateValidity": "governance",
    "LicenseOperator": "authority", "UpdateOperatorProfile": "authority", "RevokeOperator": "authority",
    "IssueCertificate": "authority", "ConfirmImport": "authority", "RecordDiscrepancy": "authority",
    "VoidCertificate": "authority",
}


def test_the_actions_are_the_write_routes_with_their_intent_types_and_domains(server):
    with server.client() as c:
        listing = c.get("/v1/actions").json()
        config = c.get("/v1/config").json()
    assert listing["chain_id"] == config["chain_id"] and listing["count"] == len(ACTIONS)
    assert [a["action"] for a in listing["actions"]] == list(ACTIONS)
    for action, kind in zip(listing["actions"], ACTIONS.values(), strict=True):
        name = kind.name
        assert (action["path"], action["path_param"], action["method"]) == (kind.path, kind.path_param, "POST")
        assert action["types"] == kind.types() and "EIP712Domain" not in action["types"]
        assert action["domain"] == {"name": kind.contract, "version": "1", "chainId": config["chain_id"],
                                    "verifyingContract": config["contracts"][kind.contract]}
        assert action["signers"] == EXPECTED_SIGNERS.get(name, "operator"), name
        expected_roles = ["producer"] if name == "RegisterParcel" else (
            ["authority"] if action["signers"] == "authority" else [] if action["signers"] == "governance"
            else ["producer", "exporter", "importer", "trader", "manufacturer"])
        assert action["signer_roles"] == expected_roles, name
    assert listing["roles"]["exporter"] == 4 and listing["roles"]["authority"] == 1


def test_the_inbox_refuses_bad_input_with_a_stable_code(server):
    with server.client() as c:
        assert c.get("/v1/accounts/0x1234/inbox").json()["code"] == "InvalidRequest"
        zero = "0x" + "00" * 20
        assert c.get(f"/v1/accounts/{zero}/inbox", params={"limit": 0}).json()["code"] == "InvalidRequest"
        assert c.get(f"/v1/accounts/{zero}/inbox", params={"limit": 501}).json()["code"] == "InvalidRequest"
        empty = c.get(f"/v1/accounts/{zero}/inbox").json()
    assert empty["member"] is False and empty["participant"] is None and empty["governance"] is False
    assert set(empty["counts"].values()) == {0}


def test_the_inbox_caps_each_list_and_counts_them_all(server, actors, world):
    mine = actors["mine"]
    for i in range(3):
        world.do(mine, "RegisterParcel", {"points": 100 + i, "stones": 1, "hsCode": GEM, "origin": "BW",
                                          "documentHash": "0x" + f"{i + 1:064x}"})
    world.do(mine, "OfferCustody", {"lotId": 1, "recipient": actors["bw_exporter"].address,
                                    "sealId": seal_id("BAG-1")})
    with server.client() as c:
        inbox = c.get(f"/v1/accounts/{mine.address.lower()}/inbox", params={"limit": 2}).json()
        exporter = c.get(f"/v1/accounts/{actors['bw_exporter'].address}/inbox").json()
    assert inbox["address"] == mine.address and inbox["roles"] == ["producer", "exporter"]
    assert inbox["participant"]["code"] == "BW" and inbox["governance"] is False
    assert inbox["counts"]["parcels"] == 3 and [p["id"] for p in inbox["parcels"]] == [1, 2]
    assert inbox["parcels"][0]["offered"] is True and inbox["counts"]["my_offers"] == 1
    offer = exporter["offers_to_me"][0]
    assert (offer["lot_id"], offer["from"], offer["seal_id"], offer["kind"], offer["points"]) == (
        1, mine.address, seal_id("BAG-1"), "parcel", 100)
    assert exporter["counts"]["offers_to_me"] == 1 and exporter["counts"]["parcels"] == 0
    # every account by name (its licensed legal name) and participant; weights also as exact decimal carats
    assert (offer["from_name"], offer["from_participant"], offer["to_name"], offer["to_participant"]) == (
        MINE, "BW", EXPORTER, "BW")
    assert offer["carats"] == "1.00" and inbox["my_offers"][0]["to_name"] == EXPORTER
    assert [p["carats"] for p in inbox["parcels"]] == ["1.00", "1.01"]
    assert (inbox["name"], inbox["licence_number"]) == PROFILES["mine"]


# ---------------------------------------------------------------- typed data: byte for byte what the backend expects


def _sample(type_: str, structs: dict[str, list[dict[str, str]]], i: int) -> Any:
    """A value of an EIP-712 type, with edge cases: the largest uint of its size, unicode text, mixed-case address."""
    if type_.endswith("[]"):
        return [_sample(type_[:-2], structs, i + k) for k in range(2)]
    if type_ in structs:
        return {f["name"]: _sample(f["type"], structs, i + k) for k, f in enumerate(structs[type_])}
    if type_ == "string":
        return ["BW", "Côte d’Ivoire ✓", "EU-0001/a"][i % 3]
    if type_ == "address":
        return Account.create().address
    if type_ == "bool":
        return i % 2 == 0
    if type_ == "bytes32":
        return "0x" + secrets.token_hex(32)
    bits = int(type_.removeprefix("uint"))
    return [2**bits - 1, 0, 7 + i][i % 3]


def test_the_typed_data_the_console_builds_has_the_backends_digest_for_every_action(server, browser, actors):
    with server.client() as c:
        listing = c.get("/v1/actions").json()
    page, _ = open_console(browser, server.url, actors["outsider"].key, listing["chain_id"])
    for action in listing["actions"]:
        name = action["action"]
        structs = {k: v for k, v in action["types"].items() if k != action["primary_type"]}
        fields = [f for f in action["types"][name] if f["name"] not in ("signer", "nonce", "deadline")]
        message = {f["name"]: _sample(f["type"], structs, i) for i, f in enumerate(fields)}
        nonce, deadline = 2**64 + 3, 1_900_000_000
        # uints go to the page as decimal strings (JavaScript numbers stop being exact at 2**53)
        as_js = json.loads(json.dumps(message, default=str), parse_int=str)
        built = page.evaluate("""async ([action, fields, auth]) => {
            const typed = await import('/console/typed.js');
            const data = typed.typedData(action, fields, auth);
            return {digest: typed.digest(data), payload: typed.walletPayload(data),
                    body: typed.writeBody(data, auth.signer, '0x00')};
        }""", [action, as_js, {"signer": actors["outsider"].address, "nonce": str(nonce), "deadline": str(deadline)}])
        expected = digest(name, message, actors["outsider"].address, nonce, deadline, chain_id=listing["chain_id"],
                          verifying_contract=action["domain"]["verifyingContract"])
        assert built["digest"] == "0x" + expected.hex(), name
        # what the wallet receives hashes, with eth_account, to the same digest
        signable = encode_typed_data(full_message=built["payload"])
        assert keccak(b"\x19" + signable.version + signable.header + signable.body) == expected, name
        # and the body posted carries the message with exact integers (JSON numbers, not strings or floats)
        body = json.loads(built["body"])
        assert body["message"] == message and body["nonce"] == nonce and body["deadline"] == deadline, name


def test_carats_and_seal_ids_are_read_exactly(server, browser, actors):
    with server.client() as c:
        chain_id = c.get("/v1/config").json()["chain_id"]
    page, _ = open_console(browser, server.url, actors["outsider"].key, chain_id)
    parse = """async (texts) => {
        const u = await import('/console/units.js');
        return texts.map((t) => { try { return String(u.parseCarats(t)); } catch (e) { return e.key; } });
    }"""
    cases = {"5000": "500000", "5000.00": "500000", "3 500,25": "350025", "0.01": "1", "12.3": "1230",
             "1,500": "err.caratsDecimals", "1.005": "err.caratsDecimals", "0": "err.caratsPositive",
             "-1": "err.carats", "1e3": "err.carats", "": "err.required", "92233720368547758.07": "9223372036854775807"}
    assert page.evaluate(parse, list(cases)) == list(cases.values())
    shown = page.evaluate("""async () => {
        const u = await import('/console/units.js');
        return [u.formatCarats(350025n, 'en-GB'), u.formatCarats(350025n, 'fr-FR'), u.formatCarats(1n, 'en-GB')];
    }""")
    assert shown[0] == "3,500.25 ct" and shown[1].replace("\u202f", " ") == "3 500,25 ct" and shown[2] == "0.01 ct"
    labels = ["BW-SEAL-0001", "Sceau n° 7 — Anvers", "0x" + "ab" * 32, "0X" + "ab" * 32]
    ids = page.evaluate("async (labels) => { const u = await import('/console/units.js'); "
                        "return labels.map((label) => u.sealId(label)); }",
                        labels)
    assert ids == [seal_id(label) for label in labels]


# ---------------------------------------------------------------- forms


def test_every_action_listed_by_the_api_has_a_form(server, browser, actors, world):
    with server.client() as c:
        listing = c.get("/v1/actions").json()
    page, _ = open_console(browser, server.url, actors["governance"].key, listing["chain_id"])
    specs = page.evaluate("""async (actions) => {
        const forms = await import('/console/forms.js');
        return Object.fromEntries(actions.map((a) => [a.action, {
            defined: a.action in forms.FORMS,
            fields: forms.fieldSpecs(a).map((s) => [s.name, s.explicit, s.widget]),
        }]));
    }""", listing["actions"])
    for action in listing["actions"]:
        name = action["action"]
        business = [f["name"] for f in action["types"][name] if f["name"] not in ("nonce", "deadline", "signer")]
        assert specs[name]["defined"], f"{name} has no entry in console/forms.js"
        assert [f[0] for f in specs[name]["fields"]] == business, name
        assert all(explicit for _n, explicit, _w in specs[name]["fields"]), (name, specs[name]["fields"])
    # each form renders, one labelled control per field, with no accessibility violation
    connect(page)
    for action in listing["actions"]:
        open_action(page, action["action"])
        for name, _explicit, _widget in specs[action["action"]]["fields"]:
            assert page.locator(f"#form-fields [data-field='{name}']").count() == 1, (action["action"], name)
        no_violations(page, f"the {action['action']} form")


# ---------------------------------------------------------------- the journey, each role in its own browser


def test_a_parcel_walks_from_the_mine_across_a_border_through_the_console(server, browser, actors, world, tmp_path):
    chain_id = world.config["chain_id"]
    mine, _mine_wallet = open_console(browser, server.url, actors["mine"].key, chain_id)
    no_violations(mine, "the connect screen")
    screenshot(mine, tmp_path, "console-connect")
    connect(mine)
    assert mine.inner_text("#account-licence") == "producer (mine), exporter"
    assert "BW — Botswana" in mine.inner_text("#account-facts")
    assert (mine.inner_text("#account-name"), mine.inner_text("#account-licence-number")) == PROFILES["mine"]
    assert mine.inner_text("#status") == f"Connected as {MINE} ({actors['mine'].address})."
    allowed = mine.eval_on_selector_all("#actions a[data-action]", "els => els.map(e => e.dataset.action)")
    assert "RegisterParcel" in allowed and "IssueCertificate" not in allowed and "AdmitParticipant" not in allowed

    # the mine registers 5,000.00 ct of run-of-mine goods, one click from its action list
    mine.click("#actions a[data-action='RegisterParcel']")
    mine.wait_for_selector("#form-section:not([hidden])")
    field(mine, "points").fill("5000,00")
    assert readback(mine, "points") == "recorded as 500,000 points = 5,000.00 ct"
    field(mine, "hsCode", "select").select_option(str(UNSORTED))
    rom_doc, rom_hash = document_file(tmp_path, "rom.json", '{"mine": "Jwaneng", "carats": "5000.00"}')
    mine.set_input_files("#form-fields [data-field='documentHash'] input[type=file]", str(rom_doc))
    wait_readback(mine, "documentHash", rom_hash)
    no_violations(mine, "the register form")
    screenshot(mine, tmp_path, "console-register-form")
    review(mine)
    assert mine.inner_text("#confirm-rows tr[data-field='points'] td:last-child") == "500000"
    assert mine.inner_text("#confirm-rows tr[data-field='origin'] td:last-child") == "BW"
    assert mine.inner_text("#confirm-rows tr[data-field='origin'] td:nth-child(2)") == "Botswana (BW)"
    assert mine.inner_text("#confirm-signer").startswith(f"{MINE} {actors['mine'].address}")
    no_violations(mine, "the confirmation")
    screenshot(mine, tmp_path, "console-confirm")
    outcome = sign(mine)
    assert outcome["done"], outcome
    rom = int(outcome["parcel_id"])
    no_violations(mine, "the progress")
    screenshot(mine, tmp_path, "console-progress")
    steps = mine.eval_on_selector_all("#progress li", "els => els.map(e => e.dataset.status)")
    assert steps == ["done"] * 4
    assert _mine_wallet.signed[-1]["message"]["points"] == "500000"
    assert _mine_wallet.signed[-1]["message"]["documentHash"] == rom_hash
    viewer_link = mine.get_attribute("#progress-result .viewer-links a", "href")
    assert viewer_link.endswith(f"/#/lot/{rom}")

    # sorting splits it: the parts must add up, the remainder is shown live
    home(mine)
    assert inbox_count(mine, "parcels") == 1
    mine.click(f"#inbox-parcels a[data-action='SplitParcel'][href*='parcelId={rom}']")
    mine.wait_for_selector("#form-section:not([hidden])")
    parts = mine.locator("#form-fields .part")
    parts.nth(0).locator("[data-field='children.1.points'] input").fill("3500")
    parts.nth(0).locator("[data-field='children.1.stones'] input").fill("1850")
    parts.nth(0).locator("[data-field='children.1.hsCode'] select").select_option(str(GEM))
    parts.nth(1).locator("[data-field='children.2.points'] input").fill("1499.99")
    parts.nth(1).locator("[data-field='children.2.hsCode'] select").select_option(str(INDUSTRIAL))
    assert "0.01 ct left" in mine.inner_text("#form-fields .remainder")
    mine.click("#review")
    assert "0.01 ct left" in mine.inner_text("#form-fields [data-field='children'] > .field-error")
    assert mine.locator("#confirm-section").is_hidden()
    parts.nth(1).locator("[data-field='children.2.points'] input").fill("1500")
    assert "0.00 ct left" in mine.inner_text("#form-fields .remainder")
    review(mine)
    outcome = sign(mine)
    assert outcome["done"], outcome
    gem, _industrial = (int(x) for x in outcome["child_ids"].split(", "))

    # ... and offers the gem parcel to the exporter, under a bag seal
    home(mine)
    mine.click(f"#inbox-parcels a[data-action='OfferCustody'][href*='lotId={gem}']")
    mine.wait_for_selector("#form-section:not([hidden])")
    # the recipient picked by company name from Botswana's directory (licensed operators), its address small
    recipient = mine.locator("#form-fields [data-field='recipient']")
    assert recipient.locator("select").input_value() == "BW"
    recipient.locator(".recipient-search").fill("gaborone diamond")
    pick = recipient.locator(f".recipient-pick[data-address='{actors['bw_exporter'].address}']")
    pick.wait_for(timeout=10_000)
    assert pick.locator(".party-name").inner_text() == EXPORTER
    assert pick.locator("code.addr-small").inner_text() == actors["bw_exporter"].address
    assert recipient.locator(".recipient-pick").count() == 1  # the mine itself is no match for that name
    no_violations(mine, "the recipient found by name")
    screenshot(mine, tmp_path, "console-recipient-by-name", until="#form-section")
    pick.click()
    assert recipient.locator(".recipient-address").input_value() == actors["bw_exporter"].address
    wait_readback(mine, "recipient", "member of Botswana")
    assert readback(mine, "recipient").startswith(f"{EXPORTER} (")  # the company's name, then its address
    assert "member of Botswana (BW)" in readback(mine, "recipient")
    field(mine, "sealId").fill("BAG-BW-77")
    assert readback(mine, "sealId") == f"BAG-BW-77 = seal id {seal_id('BAG-BW-77')}"
    review(mine)
    assert mine.inner_text("#confirm-rows tr[data-field='recipient'] td:nth-child(2)").startswith(f"{EXPORTER} (")
    sealed = mine.locator("#confirm-rows tr[data-field='sealId'] td:nth-child(2)")
    assert sealed.locator(".seal-label").inner_text() == "BAG-BW-77"
    assert sealed.locator(".seal-id").get_attribute("title") == seal_id("BAG-BW-77")
    assert "label matches the anchored seal" not in sealed.inner_text()  # nothing anchored yet to check it against
    assert sign(mine)["done"]
    assert "seal_label" not in _mine_wallet.signed[-1]["message"]  # beside the signed id, not signed

    # the exporter finds the offer in its inbox and accepts it, reading the seal back before signing
    exporter, _ = open_console(browser, server.url, actors["bw_exporter"].key, chain_id)
    connect(exporter)
    assert inbox_count(exporter, "offers-to-me") == 1
    # the offer names who made it (the address a click away) and reads its weight and origin in words
    offered = exporter.inner_text("#inbox-offers-to-me li")
    assert f"from {MINE}" in offered and "3,500.00 ct" in offered and "Botswana (BW)" in offered
    assert exporter.inner_text("#inbox-offers-to-me .seal-label") == "BAG-BW-77"  # the seal by its label
    assert exporter.get_attribute("#inbox-offers-to-me .party .addr", "title") == actors["mine"].address
    assert "0x" not in offered.replace(exporter.inner_text("#inbox-offers-to-me .party .addr"), "").replace(
        exporter.inner_text("#inbox-offers-to-me .seal-id"), "")  # addresses and ids only small, beside names
    no_violations(exporter, "an inbox with an offer")
    screenshot(exporter, tmp_path, "console-inbox-exporter", until="#inbox-section")
    exporter.click(f"#inbox-offers-to-me a[data-action='AcceptCustody'][href*='lotId={gem}']")
    exporter.wait_for_selector("#form-section:not([hidden])")
    field(exporter, "sealId").fill("BAG-BW-78")
    assert "DIFFERS from the seal the sender declared" in readback(exporter, "sealId")
    field(exporter, "sealId").fill("BAG-BW-77")
    assert "matches the seal the sender declared" in readback(exporter, "sealId")
    review(exporter)
    # the check before signing: the label read on the bag, its id small beside it, checked against the declared seal
    attested = exporter.locator("#confirm-rows tr[data-field='sealId'] td:nth-child(2)")
    assert attested.locator(".seal-label").inner_text() == "BAG-BW-77"
    assert attested.locator(".seal-of").get_attribute("data-label-check") == "ok"
    assert "label matches the anchored seal" in attested.inner_text()
    assert attested.locator(".seal-expected").get_attribute("data-expected") == "same"
    no_violations(exporter, "the check of a seal before signing")
    screenshot(exporter, tmp_path, "console-confirm-seal", until="#confirm-section")
    outcome = sign(exporter)
    assert outcome["done"] and outcome["transferred"] == "true", outcome
    assert outcome["certificate_number"] == "none (a domestic hand-off: no border crossed)", outcome
    assert "certificate_key" not in outcome  # no zero key in what a person reads

    # it seals the consignment for Antwerp
    home(exporter)
    exporter.click(f"#inbox-parcels a[data-action='SealConsignment'][href*='parcelIds={gem}']")
    exporter.wait_for_selector("#form-section:not([hidden])")
    assert exporter.is_checked(f"#form-fields [data-field='parcelIds'] input[value='{gem}']")
    field(exporter, "sealId").fill("BW-SEAL-0001")
    review(exporter)
    outcome = sign(exporter)
    assert outcome["done"], outcome
    box = int(outcome["consignment_id"])
    with httpx.Client(base_url=server.url) as c:  # the label went beside the signed id: the ledger shows it
        assert c.get(f"/v1/consignments/{box}").json()["seal_label"] == "BW-SEAL-0001"
    home(exporter)
    assert inbox_count(exporter, "my-needing") == 1

    # the BW authority sees its exporter's consignment awaiting a certificate, with the form filled from it
    authority, _ = open_console(browser, server.url, actors["bw_authority"].key, chain_id)
    connect(authority)
    assert inbox_count(authority, "exporters-needing") == 1
    assert f"held by {EXPORTER}" in authority.inner_text("#inbox-exporters-needing")
    assert "BW-SEAL-0001" in authority.inner_text("#inbox-exporters-needing")  # the seal by the label the ledger kept
    authority.click(f"#inbox-exporters-needing a[data-action='IssueCertificate'][href*='consignmentId={box}']")
    authority.wait_for_selector("#form-section:not([hidden])")
    assert field(authority, "number").input_value() == "BW"
    field(authority, "number").fill("BW0000001")
    field(authority, "importer", "select").select_option("EU")
    field(authority, "importerAccount").fill(actors["eu_trader"].address)
    assert authority.inner_text("#form-fields [data-field='points'] output") == "3,500.00 ct"
    assert authority.inner_text("#form-fields [data-field='parcelCount'] output") == "1"
    assert authority.inner_text("#form-fields [data-field='hsCodes'] output") == "7102.31 non-industrial (gem)"
    assert authority.inner_text("#form-fields [data-field='origins'] output") == "Botswana (BW)"
    chosen = authority.eval_on_selector("#form-fields [data-field='consignmentId'] select",
                                        "s => s.options[s.selectedIndex].textContent")
    assert f"held by {EXPORTER}" in chosen and "seal BW-SEAL-0001 (0x" in chosen
    wait_readback(authority, "importerAccount", TRADER)
    # the document is composed from these terms and the authority's particulars (the papers: test_console_papers)
    fill_particulars(authority)
    assert "matches the consignment's seal" in particular_readback(authority, "seal_label")
    no_violations(authority, "the certificate form")
    screenshot(authority, tmp_path, "console-issue-certificate")
    review(authority)
    assert authority.inner_text("#confirm-rows tr[data-field='importer'] td:nth-child(2)") == "European Union (EU)"
    assert authority.inner_text("#confirm-rows tr[data-field='importerAccount'] td:nth-child(2)").startswith(
        f"{TRADER} ({actors['eu_trader'].address}): member of European Union (EU)")
    assert authority.inner_text("#confirm-rows tr[data-field='signer'] td:nth-child(2)") == (
        f"{BW_AUTHORITY} ({actors['bw_authority'].address})")
    # what the wallet will be asked to sign: the EIP-712 type and the contract
    assert authority.inner_text("#confirm-type") == "IssueCertificate"
    assert authority.inner_text("#confirm-contract") == f"KPCertificates {world.config['contracts']['KPCertificates']}"
    screenshot(authority, tmp_path, "console-confirm-certificate", until="#confirm-domain")
    outcome = sign(authority)
    assert outcome["done"] and outcome["number"] == "BW0000001", outcome

    # the exporter offers the consignment to Antwerp: a wrong seal is refused, in words, and changes nothing
    home(exporter)
    exporter.click(f"#inbox-consignments a[data-action='OfferCustody'][href*='lotId={box}']")
    exporter.wait_for_selector("#form-section:not([hidden])")
    # across the border the recipient is the importer the certificate names: its participant and address set
    recipient = exporter.locator("#form-fields [data-field='recipient']")
    assert recipient.locator("select").input_value() == "EU"
    assert recipient.locator(".recipient-address").input_value() == actors["eu_trader"].address
    wait_readback(exporter, "recipient", TRADER)
    field(exporter, "sealId").fill("BW-SEAL-0002")
    assert "differs from the consignment's seal" in readback(exporter, "sealId")
    review(exporter)
    outcome = sign(exporter)
    assert not outcome["done"] and outcome["code"] == "KPLedgerSealMismatch", outcome
    assert "The seal does not match the consignment's seal." in outcome["text"]
    assert exporter.locator("#step-relayed[data-status='failed']").count() == 1
    no_violations(exporter, "a refusal")
    screenshot(exporter, tmp_path, "console-refused")
    with httpx.Client(base_url=server.url) as c:
        assert c.get(f"/v1/consignments/{box}").json()["offer"] is None
    exporter.click("#progress-edit")  # back to the form as it was typed, to correct the seal
    exporter.wait_for_selector("#form-section:not([hidden])")
    assert exporter.locator("#form-fields [data-field='recipient'] .recipient-address").input_value() == \
        actors["eu_trader"].address
    field(exporter, "sealId").fill("BW-SEAL-0001")
    assert "matches the consignment's seal" in readback(exporter, "sealId")
    review(exporter)
    assert sign(exporter)["done"]

    # the Antwerp importer accepts it: the border is crossed under BW0000001
    trader, _ = open_console(browser, server.url, actors["eu_trader"].key, chain_id)
    connect(trader)
    assert inbox_count(trader, "offers-to-me") == 1
    assert "certificate BW0000001" in trader.inner_text("#inbox-offers-to-me")
    assert f"from {EXPORTER}" in trader.inner_text("#inbox-offers-to-me")
    trader.click(f"#inbox-offers-to-me a[data-action='AcceptCustody'][href*='lotId={box}']")
    trader.wait_for_selector("#form-section:not([hidden])")
    field(trader, "sealId").fill("BW-SEAL-0001")
    review(trader)
    outcome = sign(trader)
    assert outcome["done"] and outcome["transferred"] == "true", outcome
    assert outcome["certificate_number"] == "BW0000001", outcome  # the crossing's certificate, by its number

    # the EU authority confirms the import from its inbox
    eu, _ = open_console(browser, server.url, actors["eu_authority"].key, chain_id)
    connect(eu)
    assert inbox_count(eu, "to-confirm") == 1
    # the certificate to confirm: route with the participants' names, exact carats, every party by name
    card = eu.inner_text("#inbox-to-confirm li")
    assert "BW0000001 · Botswana (BW) → European Union (EU) · 3,500.00 ct · Consignment" in card, card
    assert f"exporter {EXPORTER}" in card and f"importer {TRADER}" in card and f"issued by {BW_AUTHORITY}" in card
    addresses = eu.eval_on_selector_all("#inbox-to-confirm .party .addr", "els => els.map((e) => e.title)")
    assert addresses == [actors[a].address for a in ("bw_exporter", "eu_trader", "bw_authority")]
    no_violations(eu, "the certificates to confirm")
    screenshot(eu, tmp_path, "console-inbox-authority", until="#inbox-section")
    eu.click("#inbox-to-confirm a[data-action='ConfirmImport'][href*='number=BW0000001']")
    eu.wait_for_selector("#form-section:not([hidden])")
    review(eu)
    short = {a: f"{actors[a].address[:6]}…{actors[a].address[-4:]}" for a in ("bw_exporter", "eu_trader")}
    assert f"from {EXPORTER} ({short['bw_exporter']}) to {TRADER} ({short['eu_trader']})" in eu.inner_text(
        "#confirm-rows tr[data-field='number'] td:nth-child(2)")
    assert sign(eu)["done"]
    home(eu)
    assert inbox_count(eu, "to-confirm") == 0

    # what a buyer then sees: the parcel's whole journey, every crossing covered by a confirmed certificate
    with httpx.Client(base_url=server.url) as c:
        provenance = c.get(f"/v1/parcels/{gem}/provenance").json()
    assert provenance["verdict"]["status"] == "ok" and provenance["country_path"] == ["BW", "EU"]
    assert [cert["status"] for cert in provenance["certificates"]] == ["confirmed"]
    viewer = trader.context.new_page()
    viewer.goto(f"{server.url}/#/lot/{gem}")
    viewer.wait_for_selector("#verdict[data-status='ok']", timeout=20_000)
    # ... with the seals by the labels the clerks typed, each checked against its id in the page
    labels = viewer.eval_on_selector_all("#timeline .seal-of", "els => els.map(e => [e.querySelector('.seal-label')"
                                         "?.textContent, e.dataset.labelCheck])")
    assert ["BW-SEAL-0001", "ok"] in labels and ["BAG-BW-77", "ok"] in labels, labels

    # the same inbox on a phone, in French
    phone, _ = open_console(browser, server.url, actors["eu_trader"].key, chain_id, viewport=PHONE, query="?lang=fr")
    connect(phone)
    assert phone.evaluate("document.documentElement.lang") == "fr"
    assert "Expéditions que vous détenez" in phone.inner_text("#inbox")
    assert phone.inner_text("#account-name") == TRADER and "3 500,00 ct" in phone.inner_text("#inbox").replace(
        "\u202f", " ")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the console scrolls sideways on a phone ({width}px)"
    no_violations(phone, "the inbox on a phone, in French")
    screenshot(phone, tmp_path, "console-phone-fr")
    open_action(phone, "OfferCustody", lotId=box)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    no_violations(phone, "a form on a phone")
    missing = phone.evaluate("async () => [...(await import('/console/i18n.js')).missing]")
    assert missing == []


# ---------------------------------------------------------------- refusals and accounts without rights


def test_an_unlicensed_account_is_offered_nothing_and_a_forced_write_is_refused_in_words(server, browser, actors, world,
                                                                                        tmp_path):
    page, wallet = open_console(browser, server.url, actors["outsider"].key, world.config["chain_id"])
    connect(page)
    assert "not a member of any KP participant" in page.inner_text("#account-notes")
    assert page.locator("#actions a[data-action]").count() == 0 and page.is_visible("#no-actions")
    no_violations(page, "an account without rights")

    # a deep link to a form still opens it, with a warning, and the ledger's refusal comes back in words
    open_action(page, "RegisterParcel")
    assert page.is_visible("#form-not-allowed")
    field(page, "points").fill("10")
    field(page, "hsCode", "select").select_option(str(GEM))
    field(page, "origin").fill("BW")
    page.fill("#form-fields [data-field='documentHash'] input[type=text]", "0x" + "33" * 32)
    review(page)
    with httpx.Client(base_url=server.url) as c:
        before = c.get("/healthz").json()["latest_block"]
    outcome = sign(page)
    assert not outcome["done"] and outcome["code"] == "KPLedgerNotOperator", outcome
    assert "This account is not a licensed operator of an active participant." in outcome["text"]
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/healthz").json()["latest_block"] == before
    assert len(wallet.signed) == 1

    # a user who declines in the wallet sees it said, and nothing is sent
    page.click("#progress-home")
    open_action(page, "RegisterParcel")
    field(page, "points").fill("10")
    field(page, "hsCode", "select").select_option(str(GEM))
    field(page, "origin").fill("BW")
    page.fill("#form-fields [data-field='documentHash'] input[type=text]", "0x" + "33" * 32)
    review(page)
    wallet.refuse = True
    outcome = sign(page)
    assert not outcome["done"] and outcome["code"] == "WalletRejected", outcome
    assert "You declined the request in your wallet." in outcome["text"]
    assert page.locator("#step-signed[data-status='failed']").count() == 1


def test_governance_and_authorities_see_their_own_actions(server, browser, actors, world):
    chain_id = world.config["chain_id"]
    gov, _ = open_console(browser, server.url, actors["governance"].key, chain_id)
    connect(gov)
    assert "KP governance" in gov.inner_text("#account-roles")
    shown = set(gov.eval_on_selector_all("#actions a[data-action]", "els => els.map(e => e.dataset.action)"))
    assert shown == {"AdmitParticipant", "SuspendParticipant", "ReinstateParticipant", "AppointAuthority",
                     "DismissAuthority", "SetMaxCertificateValidity"}
    # governance admits Canada through the console
    open_action(gov, "AdmitParticipant")
    field(gov, "code").fill("ca")
    field(gov, "name").fill("Canada")
    review(gov)
    assert gov.inner_text("#confirm-rows tr[data-field='code'] td:last-child") == "CA"
    assert sign(gov)["done"]
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/v1/participants/CA").json()["status"] == "active"

    authority, _ = open_console(browser, server.url, actors["bw_authority"].key, chain_id)
    connect(authority)
    shown = set(authority.eval_on_selector_all("#actions a[data-action]", "els => els.map(e => e.dataset.action)"))
    assert shown == {"LicenseOperator", "UpdateOperatorProfile", "RevokeOperator", "IssueCertificate",
                     "ConfirmImport", "RecordDiscrepancy", "VoidCertificate"}
    # the BW authority licenses a new trader: role names become the registry's bits
    newcomer = Account.create()
    open_action(authority, "LicenseOperator")
    field(authority, "account").fill(newcomer.address)
    authority.check("#form-fields [data-field='roles'] input[value='trader']")
    authority.check("#form-fields [data-field='roles'] input[value='importer']")
    field(authority, "name").fill("Francistown Rough Traders (Pty) Ltd")
    field(authority, "licenceNumber").fill("BW-DL-0999")
    review(authority)
    assert authority.inner_text("#confirm-rows tr[data-field='roles'] td:last-child") == "24"
    assert sign(authority)["done"]
    with httpx.Client(base_url=server.url) as c:
        member = c.get(f"/v1/accounts/{newcomer.address}").json()
    assert member["participant"] == "BW" and member["roles"] == ["importer", "trader"]


def test_every_text_exists_in_english_and_french(server, browser, actors):
    with server.client() as c:
        chain_id = c.get("/v1/config").json()["chain_id"]
    page, _ = open_console(browser, server.url, actors["outsider"].key, chain_id)
    keys = page.evaluate("""async () => {
        const i18n = await import('/console/i18n.js');
        return Object.fromEntries(Object.entries(i18n.LANGUAGES)
            .map(([code, texts]) => [code, Object.keys(texts).sort()]));
    }""")
    assert keys["en"] == keys["fr"]
    english = page.inner_text("body")
    page.select_option("#lang", "fr")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.inner_text("#connect") == "Connecter le portefeuille" and page.inner_text("body") != english
    no_violations(page, "the connect screen in French")
    # no element tagged for translation is left empty, and no key was missing
    empty = page.eval_on_selector_all("[data-i18n]",
                                      "els => els.filter(e => !e.textContent.trim()).map(e => e.dataset.i18n)")
    assert empty == []
    assert page.evaluate("async () => [...(await import('/console/i18n.js')).missing]") == []


def test_a_new_action_with_a_signer_field_gets_a_generic_form_and_the_right_digest(server, browser, actors):
    """What the coming contract changes need from the console: an action it has never seen (fields of any type, and
    `signer` before nonce) gets a generic form, and its typed data, `signer` filled in, hashes as eth_account's."""
    with server.client() as c:
        listing = c.get("/v1/actions").json()
    page, _ = open_console(browser, server.url, actors["outsider"].key, listing["chain_id"])
    fields = [("account", "address"), ("name", "string"), ("maxSeconds", "uint64"), ("ref", "bytes32"),
              ("active", "bool"), ("lots", "uint256[]"), ("signer", "address"), ("nonce", "uint256"),
              ("deadline", "uint256")]
    action = {**listing["actions"][0], "action": "AnnotateMember", "primary_type": "AnnotateMember",
              "types": {"AnnotateMember": [{"name": n, "type": t} for n, t in fields]}}
    signer = actors["outsider"].address
    inputs = {"account": actors["mine"].address.lower(), "name": "Jwaneng Mine (Pty) Ltd", "maxSeconds": "2592000",
              "ref": "0x" + "ab" * 32, "active": True, "lots": "3, 5"}
    built = page.evaluate("""async ([action, inputs, signer]) => {
        const forms = await import('/console/forms.js');
        const typed = await import('/console/typed.js');
        const form = forms.buildForm(action, {inbox: null, participants: [], roleBits: {}, prefill: {},
                                              accountInfo: () => null, changed() {}});
        for (const [name, value] of Object.entries(inputs)) {
            const control = form.widgets.get(name).el.querySelector('input');
            if (control.type === 'checkbox') control.checked = value; else control.value = value;
        }
        const {fields, errors} = form.read();
        const data = typed.typedData(action, fields, {signer, nonce: 4, deadline: 1900000000});
        return {specs: forms.fieldSpecs(action).map((s) => [s.name, s.widget, s.explicit]), errors: errors.length,
                digest: typed.digest(data), payload: typed.walletPayload(data)};
    }""", [action, inputs, signer])
    assert built["specs"] == [["account", "address", False], ["name", "text", False], ["maxSeconds", "uint", False],
                              ["ref", "hash", False], ["active", "bool", False], ["lots", "list", False]]
    assert built["errors"] == 0
    message = built["payload"]["message"]
    assert message["signer"] == signer.lower() and message["account"] == actors["mine"].address.lower()
    assert message["lots"] == ["3", "5"] and message["maxSeconds"] == "2592000" and message["active"] is True
    signable = encode_typed_data(full_message=built["payload"])
    assert built["digest"] == "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


# ---------------------------------------------------------------- a fake API (?api=, or a compromised backend)


def delivered_certificate(world: Api, actors: dict[str, Any], number: str = "BW0000001") -> str:
    """A BW -> EU certificate whose consignment crossed to the Antwerp trader: waiting for the EU authority's
    confirmation (or discrepancy)."""
    mine, trader = actors["mine"], actors["eu_trader"]
    parcel = world.do(mine, "RegisterParcel", {"points": 350_000, "stones": 12, "hsCode": GEM, "origin": "BW",
                                               "documentHash": "0x" + "11" * 32})["result"]["parcel_id"]
    seal = seal_id("BW-SEAL-0001")
    box = world.do(mine, "SealConsignment", {"parcelIds": [parcel], "sealId": seal})["result"]["consignment_id"]
    now = int(time.time())
    world.do(actors["bw_authority"], "IssueCertificate", {
        "number": number, "importer": "EU", "importerAccount": trader.address, "consignmentId": box,
        "points": 350_000, "parcelCount": 1, "hsCodes": [GEM], "origins": ["BW"], "issuedAt": now - 60,
        "expiresAt": now + 30 * 86_400, "documentHash": "0x" + "22" * 32, "replaces": ""})
    world.do(mine, "OfferCustody", {"lotId": box, "recipient": trader.address, "sealId": seal})
    world.do(trader, "AcceptCustody", {"lotId": box, "sealId": seal})
    assert world.http.get(f"/v1/certificates/{number}").json()["status"] == "delivered"
    return number


def as_confirm_import(listing: dict[str, Any]) -> dict[str, Any]:
    """The attacker's /v1/actions: "Record a discrepancy" keeps its name, but its type and path are ConfirmImport's."""
    rows = {a["action"]: a for a in listing["actions"]}
    confirm = rows["ConfirmImport"]
    rows["RecordDiscrepancy"].update(primary_type="ConfirmImport", types=confirm["types"], path=confirm["path"],
                                     path_param=confirm["path_param"])
    return listing


def test_a_fake_api_cannot_turn_record_a_discrepancy_into_a_signed_confirm_import(server, browser, actors, world,
                                                                                  tmp_path):
    """Exploit: a link to the console with ?api= naming the attacker's API, which lists "Record a discrepancy" with
    ConfirmImport's EIP-712 type and path, and passes everything else to the real ledger."""
    number = delivered_certificate(world, actors)
    fake = FakeApi(server.url, {"/v1/actions": as_confirm_import})
    try:
        page, wallet = open_console(browser, server.url, actors["eu_authority"].key, world.config["chain_id"],
                                    query=f"?api={fake.url}")
        # the EU authority goes as far as the console lets it: connect, open "Record a discrepancy" for the
        # certificate, fill in the reason, check and sign
        if page.is_enabled("#connect") and page.is_visible("#connect"):
            connect(page)
            open_action(page, "RecordDiscrepancy", number=number)
            if page.locator("#form-fields [data-field='reason']").count():
                field(page, "reason", "select").select_option("2")
            review(page)
            sign(page)
        # nothing was signed, nothing relayed: the certificate still waits for the EU authority
        assert wallet.signed == [], [typed["primaryType"] for typed in wallet.signed]
        assert fake.asked("POST") == []
        assert world.http.get(f"/v1/certificates/{number}").json()["status"] == "delivered"
        # the console refused the API, in words, before the wallet was asked for anything
        refusal = page.locator("#error .error-code")
        assert refusal.count() == 1 and refusal.get_attribute("data-code") == "ConsoleActionsDiffer"
        words = page.inner_text("#error")
        assert "RecordDiscrepancy" in words and "ConfirmImport" in words, words
        no_violations(page, "the refusal of a fake API")
        screenshot(page, tmp_path, "console-api-refused")
        assert page.locator("#connect-section:not([hidden]), #form-section:not([hidden])").count() == 0
        assert page.kp_errors == [], page.kp_errors
    finally:
        fake.close()


ROOT = Path(__file__).resolve().parents[2]


def test_the_consoles_pinned_action_table_is_the_backends_and_any_difference_is_named(server, browser, actors):
    spec = importlib.util.spec_from_file_location("console_actions", ROOT / "scripts" / "console_actions.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.TARGET.read_text() == generator.render(), (
        "frontend-static/console/actions.js differs from the action table: run `make console-actions`")
    with server.client() as c:
        listing, config = c.get("/v1/actions").json(), c.get("/v1/config").json()
    page, _ = open_console(browser, server.url, actors["outsider"].key, config["chain_id"])
    other = Account.create().address
    found = page.evaluate("""async ([listing, config, other]) => {
        const d = await import('/console/deployment.js');
        const what = (change) => {
            const copy = structuredClone(listing);
            change(copy, new Map(copy.actions.map((a) => [a.action, a])));
            return d.differences(copy, config).map((x) => `${x.action} ${x.what}`);
        };
        return {
            same: what(() => {}),
            field: what((_l, a) => { a.get('OfferCustody').types.OfferCustody[1].name = 'to'; }),
            order: what((_l, a) => { a.get('SplitParcel').types.Child.reverse(); }),
            path: what((_l, a) => { a.get('VoidCertificate').path = '/v1/certificates/{number}/confirm'; }),
            signers: what((_l, a) => { a.get('AdmitParticipant').signers = 'operator'; }),
            missing: what((l) => { l.actions = l.actions.filter((a) => a.action !== 'RejectCustody'); }),
            extra: what((l) => { l.actions.push({ ...l.actions[0], action: 'MintDiamonds' }); }),
            roles: what((l) => { l.roles.trader = 1; }),
            contract: what((_l, a) => { a.get('ConfirmImport').domain.verifyingContract = other; }),
            version: what((_l, a) => { a.get('ConfirmImport').domain.version = '2'; }),
            chain: what((l) => { l.chain_id = 1; }),
            checksum: what((_l, a) => {
                const dom = a.get('ConfirmImport').domain; dom.verifyingContract = dom.verifyingContract.toLowerCase();
            }),
        };
    }""", [listing, config, other])
    assert found == {
        "same": [], "field": ["OfferCustody types"], "order": ["SplitParcel types"], "path": ["VoidCertificate path"],
        "signers": ["AdmitParticipant signers"], "missing": ["RejectCustody action"], "extra": ["MintDiamonds action"],
        "roles": ["— roles"], "contract": ["ConfirmImport domain"], "version": ["ConfirmImport domain"],
        "chain": ["— chain_id"], "checksum": []}


def test_an_api_the_console_is_not_deployed_with_is_used_once_the_person_confirmed_its_contracts(server, browser,
                                                                                               actors, world, tmp_path):
    """Another backend of the ledger (here a proxy to the real one) named by ?api=: the console shows its chain and
    contracts in full and signs nothing before the person confirms them; it remembers them for that API, asks again
    when they change, and refuses an API whose actions name other contracts than its deployment."""
    config = world.config
    fake = FakeApi(server.url)
    try:
        page, wallet = open_console(browser, server.url, actors["mine"].key, config["chain_id"],
                                    query=f"?api={fake.url}")
        assert page.is_visible("#foreign-section") and not page.is_visible("#connect-section")
        assert fake.url in page.inner_text("#foreign-text")
        assert page.inner_text("#foreign-chain") == str(config["chain_id"])
        shown = page.eval_on_selector_all(
            "#foreign-domain code[data-contract]",
            "els => Object.fromEntries(els.map(e => [e.dataset.contract, e.textContent]))")
        assert shown == {c: config["contracts"][c] for c in ("KPRegistry", "KPLedger", "KPCertificates")}
        assert not page.is_visible("#foreign-changed")
        no_violations(page, "the check of an API the console is not deployed with")
        screenshot(page, tmp_path, "console-foreign-api")
        page.click("#foreign-confirm")
        page.wait_for_selector("#connect-section:not([hidden])")
        assert fake.url in page.inner_text("#foreign-note")

        # the mine registers a parcel through that API, for the contracts it confirmed
        connect(page)
        open_action(page, "RegisterParcel")
        field(page, "points").fill("12")
        field(page, "hsCode", "select").select_option(str(GEM))
        page.fill("#form-fields [data-field='documentHash'] input[type=text]", "0x" + "44" * 32)
        review(page)
        assert page.inner_text("#confirm-type") == "RegisterParcel"
        assert page.inner_text("#confirm-contract") == f"KPLedger {config['contracts']['KPLedger']}"
        screenshot(page, tmp_path, "console-foreign-confirm")
        assert sign(page)["done"] and fake.asked("POST") == ["/v1/parcels"]
        assert wallet.signed[0]["domain"]["verifyingContract"].lower() == config["contracts"]["KPLedger"].lower()

        # remembered on this device for this API: the next visit does not ask again
        page.reload()
        page.wait_for_selector("#connect-section:not([hidden])", timeout=20_000)
        assert not page.is_visible("#foreign-section")

        # the API now names another KPLedger: asked again, saying what changed
        other = Account.create().address
        fake.answers["/v1/config"] = lambda real: {**real, "contracts": {**real["contracts"], "KPLedger": other}}
        page.reload()
        page.wait_for_selector("#foreign-section:not([hidden])", timeout=20_000)
        assert "(KPLedger)" in page.inner_text("#foreign-changed")
        assert page.inner_text("#foreign-domain code[data-contract='KPLedger']") == other
        screenshot(page, tmp_path, "console-foreign-changed")

        # an API whose action list signs for other contracts than the deployment it names: refused
        del fake.answers["/v1/config"]
        fake.answers["/v1/actions"] = lambda real: {**real, "actions": [
            {**a, "domain": {**a["domain"], "verifyingContract": other}} if a["contract"] == "KPCertificates" else a
            for a in real["actions"]]}
        page.reload()
        page.wait_for_selector("#error:not([hidden])", timeout=20_000)
        assert page.get_attribute("#error .error-code", "data-code") == "ConsoleDomainDiffers"
        assert "IssueCertificate, domain" in page.inner_text("#error")
        assert page.locator("main > section:not([hidden])").count() == 0
        assert len(wallet.signed) == 1 and page.kp_errors == [], page.kp_errors
    finally:
        fake.close()
