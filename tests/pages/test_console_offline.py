"""Sign now, relay later: the console with its browser context offline (Debian's Chromium via Playwright) keeps the
writes it signs in IndexedDB, each with a nonce key of its own and the deadline its signer chose, and relays them,
in the order signed, when the network returns; a refusal is said in words and the others still go; a kept write is
sent only to the API and deployment it was signed for.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from kpledger.client import seal_id
from kpledger.core.constants import NON_INDUSTRIAL as GEM
from tests.support.browser import axe_violations, screenshot
from tests.support.console import FakeApi, open_console
from tests.support.writes import Api, b32

pytest.importorskip("playwright.sync_api")

DAY = 86_400


# ---------------------------------------------------------------- helpers driving the page


def connect(page: Any) -> None:
    page.click("#connect")
    page.wait_for_selector("#account-section:not([hidden])", timeout=20_000)


def go_offline(page: Any) -> None:
    page.context.set_offline(True)
    page.wait_for_selector("#offline-note:not([hidden])", timeout=10_000)


def home(page: Any) -> None:
    page.evaluate("() => { location.hash = '#/'; }")
    page.wait_for_selector("#account-section:not([hidden])")


def fill(page: Any, name: str, value: str, control: str = "input") -> None:
    page.locator(f"#form-fields [data-field='{name}'] > {control}").first.fill(value)


def keep_offer(page: Any, lot: int, recipient: str, seal: str, days: int, audit: bool = False) -> None:
    """Signs, offline, the offer of `lot` to `recipient` under `seal`, valid `days` days: kept to send later (with
    `audit`, the form and the confirmation are checked with axe)."""
    page.evaluate("hash => { location.hash = hash; }", f"#/act/OfferCustody?lotId={lot}")
    page.wait_for_selector("#form-section:not([hidden])")
    page.locator("#form-fields [data-field='recipient'] .recipient-address").fill(recipient)
    fill(page, "sealId", seal)
    page.select_option("#queue-days", str(days))
    if audit:
        no_violations(page, "a form offline")
    keep(page, audit)


def keep_registration(page: Any, points: str, document: str) -> None:
    page.evaluate("() => { location.hash = '#/act/RegisterParcel'; }")
    page.wait_for_selector("#form-section:not([hidden])")
    fill(page, "points", points)
    page.locator("#form-fields [data-field='hsCode'] > select").select_option(str(GEM))
    page.fill("#form-fields [data-field='documentHash'] input[type=text]", document)
    keep(page)


def keep(page: Any, audit: bool = False) -> None:
    """Reviews what the form holds and signs it: offline, the console keeps it."""
    page.click("#review")
    page.wait_for_selector("#confirm-section:not([hidden])", timeout=10_000)
    assert page.is_visible("#confirm-queued")
    assert page.inner_text("#sign") == "Sign now, send later"
    if audit:
        no_violations(page, "a confirmation offline")
    page.click("#sign")
    page.wait_for_selector("#write-queued, #write-refused", timeout=30_000)
    assert page.locator("#write-queued").count() == 1, page.inner_text("#progress-result")
    assert page.kp_errors == [], page.kp_errors


def outbox(page: Any) -> list[dict[str, str]]:
    """The outbox as shown: each kept write's status and text, in the order shown."""
    return page.eval_on_selector_all(
        "#outbox-list li", "els => els.map(e => ({status: e.dataset.status, text: e.textContent, "
                           "code: (e.querySelector('.outbox-refusal') || {dataset: {}}).dataset.code || null}))")


def no_violations(page: Any, where: str) -> None:
    assert page.kp_errors == [], page.kp_errors
    violations = axe_violations(page)
    assert violations == [], f"axe on {where}: {violations}"


def shot(page: Any, tmp_path: Path, name: str, **where: str) -> None:
    """A screenshot in the test's folder (and in $KP_SCREENSHOTS: docs/pages/offline-console.md shows them)."""
    screenshot(page, tmp_path, name, **where)


def register(world: Api, mine: Any, tag: str) -> int:
    answer = world.do(mine, "RegisterParcel", {"points": 100_00, "stones": 3, "hsCode": GEM, "origin": "BW",
                                               "documentHash": b32(tag)})
    return int(answer["result"]["parcel_id"])


# ---------------------------------------------------------------- the mine with no network


def test_three_writes_signed_offline_are_relayed_in_order_on_reconnect_and_a_refused_one_is_said_in_words(
        server, browser, actors, world, tmp_path):
    mine_actor, exporter = actors["mine"], actors["bw_exporter"].address
    first, second = register(world, mine_actor, "offline-1"), register(world, mine_actor, "offline-2")
    page, wallet = open_console(browser, server.url, mine_actor.key, world.config["chain_id"])
    connect(page)  # the online visit: the console keeps what it read, to work offline
    assert page.is_hidden("#outbox-section")

    go_offline(page)
    document = "0x" + secrets.token_hex(32)
    keep_offer(page, first, exporter, "BAG-OFF-1", 1, audit=True)
    keep_offer(page, second, exporter, "BAG-OFF-2", 30)
    keep_registration(page, "12,50", document)
    home(page)
    kept = outbox(page)
    assert [k["status"] for k in kept] == ["waiting"] * 3, kept
    assert "Signed, not yet on the ledger." in kept[0]["text"] and page.inner_text("#outbox-count") == "3"
    assert [k["text"].split(" ")[0] for k in kept] == ["Offer", "Offer", "Register"], kept
    no_violations(page, "the outbox offline")
    shot(page, tmp_path, "console-offline-outbox", until="#outbox-section")

    # each kept write has a lane of its own (NoncesKeyed: a random 192-bit key, sequence 0) and its signer's deadline
    nonces = [int(typed["message"]["nonce"]) for typed in wallet.signed]
    assert len(nonces) == 3 and len({n >> 64 for n in nonces}) == 3
    assert all(n >> 64 != 0 and n % 2**64 == 0 for n in nonces), nonces
    deadlines = [int(typed["message"]["deadline"]) for typed in wallet.signed]
    assert [round((d - deadlines[2]) / DAY) for d in deadlines] == [1 - 7, 30 - 7, 0]  # 1, 30 and the default 7 days

    # meanwhile the mine's office offers the first lot from another device: the kept offer of it is now invalid
    world.do(mine_actor, "OfferCustody", {"lotId": first, "recipient": exporter, "sealId": seal_id("BAG-API-1")})
    assert world.http.get(f"/v1/parcels/{second}").json()["offer"] is None  # nothing of the outbox reached the API

    page.context.set_offline(False)  # the browser's `online` event: the console relays, in the order signed
    page.wait_for_selector("#outbox-sent li:nth-child(2)", timeout=60_000)
    page.wait_for_selector("#outbox-list li[data-status='refused']")
    assert page.is_hidden("#offline-note")
    refused = outbox(page)
    assert len(refused) == 1 and refused[0]["code"] == "KPLedgerOfferPending", refused
    assert "An offer of that lot is already pending; withdraw it first." in refused[0]["text"]
    assert "BAG-OFF-1" in refused[0]["text"]
    sent = page.eval_on_selector_all("#outbox-sent li", "els => els.map(e => e.textContent)")
    assert "BAG-OFF-2" in sent[0] and "Register" in sent[1], sent
    blocks = [int(text.split("block ")[1].split(".")[0]) for text in sent]
    assert blocks[0] < blocks[1]  # in the order signed

    # on the ledger, through the API's reads: the second offer and the registration; the first lot's offer is the
    # other device's
    offer = world.http.get(f"/v1/parcels/{second}").json()["offer"]
    assert (offer["to"], offer["seal_id"]) == (exporter, seal_id("BAG-OFF-2"))
    assert world.http.get(f"/v1/parcels/{first}").json()["offer"]["seal_id"] == seal_id("BAG-API-1")
    parcels = world.http.get(f"/v1/accounts/{mine_actor.address}/inbox").json()["parcels"]
    registered = [p for p in parcels if p["carats"] == "12.50"]
    assert len(registered) == 1, parcels
    assert world.http.get(f"/v1/parcels/{registered[0]['id']}").json()["document_hash"] == document
    page.select_option("#lang", "fr")  # every text of the outbox in the other language too
    assert "KPLedgerOfferPending" in page.inner_text("#outbox-list") and page.is_visible("#outbox-sent-heading")
    assert page.evaluate("async () => [...(await import('/console/i18n.js')).missing]") == []
    page.select_option("#lang", "en")
    no_violations(page, "the outbox after the relay")
    shot(page, tmp_path, "console-offline-relayed", until="#outbox-section")

    # the refusal stays until dismissed; nothing is sent twice
    page.click("#outbox-list li[data-status='refused'] .outbox-dismiss")
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li').length === 0")
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.is_hidden("#outbox-section")
    assert page.kp_errors == [], page.kp_errors


def test_a_kept_write_goes_only_to_the_api_it_was_signed_for(server, browser, actors, world, tmp_path):
    """A link naming another API (here a proxy to the real one, confirmed by the person) does not get the writes
    kept for the console's own API: they are shown as signed for that API; back on it, they go."""
    mine_actor = actors["mine"]
    page, _wallet = open_console(browser, server.url, mine_actor.key, world.config["chain_id"])
    connect(page)
    go_offline(page)
    document = "0x" + secrets.token_hex(32)
    keep_registration(page, "7", document)

    fake = FakeApi(server.url)
    try:
        other = page.context.new_page()
        other.kp_errors = []
        other.on("pageerror", lambda error: other.kp_errors.append(str(error)))
        page.context.set_offline(False)
        page.close()  # only the page on the other API is left to relay
        other.goto(f"{server.url}/console/?api={fake.url}")
        other.wait_for_selector("#foreign-section:not([hidden])")
        other.click("#foreign-confirm")
        other.wait_for_selector("#outbox-section:not([hidden])")
        kept = outbox(other)
        assert [k["status"] for k in kept] == ["elsewhere"], kept
        assert f"Signed for another ledger API ({server.url}" in kept[0]["text"]
        assert other.is_disabled("#outbox-send")
        shot(other, tmp_path, "console-offline-elsewhere", until="#outbox-section")
        assert fake.asked("POST") == [] and other.kp_errors == []

        # on the API it was signed for, it goes at once
        other.goto(f"{server.url}/console/")
        other.wait_for_selector("#outbox-sent li", timeout=60_000)
        assert fake.asked("POST") == []
        parcels = world.http.get(f"/v1/accounts/{mine_actor.address}/inbox").json()["parcels"]
        assert [p["carats"] for p in parcels] == ["7.00"]
    finally:
        fake.close()


def test_a_lane_of_its_own_costs_one_fresh_storage_slot(server, node, actors, world):
    """Gas of the same write relayed with the next sequential nonce (key 0, a slot already written) and with a fresh
    192-bit key (sequence 0: a zero slot written), each alone in its batch transaction."""
    mine = actors["mine"]
    message = {"points": 100_00, "stones": 3, "hsCode": GEM, "origin": "BW"}
    world.do(mine, "RegisterParcel", {**message, "documentHash": b32("lane-0")})  # key 0's slot written once
    used, calldata = {}, {}
    for lane, nonce in (("sequential", None), ("fresh key", (secrets.randbits(192) | 1) << 64)):
        body = world.body(mine, "RegisterParcel", {**message, "documentHash": "0x" + secrets.token_hex(32)},
                          nonce=nonce)
        answer = world.post("RegisterParcel", body).json()
        assert answer["status"] == "mined", answer
        used[lane] = node.w3.eth.get_transaction_receipt(answer["tx_hash"])["gasUsed"]
        calldata[lane] = sum(16 if byte else 4 for byte in node.w3.eth.get_transaction(answer["tx_hash"])["input"])
    extra = used["fresh key"] - used["sequential"]
    in_calldata = calldata["fresh key"] - calldata["sequential"]  # the key's non-zero bytes; the random hashes
    print(f"gas: sequential {used['sequential']}, fresh key {used['fresh key']}, extra {extra} "
          f"(calldata {in_calldata}, storage {extra - in_calldata})")
    # EIP-2200/2929: a zero slot made non-zero costs 20,000 (+2,100 cold) instead of 2,900 (+2,100) for a written
    # one; the rest (a few hundred gas) is the 192-bit key's arithmetic and encoding
    assert 20_000 - 2_900 <= extra - in_calldata <= 20_000 - 2_900 + 600, used


def test_after_one_online_visit_the_console_opens_offline_and_signs_from_what_it_kept(server, browser, actors, world,
                                                                                     tmp_path):
    """The service worker keeps the console's files, the console what it read: with the network off, the page opens
    again, says how old what it shows is, and a write signed there goes when the network returns."""
    mine_actor = actors["mine"]
    page, _wallet = open_console(browser, server.url, mine_actor.key, world.config["chain_id"])
    connect(page)
    page.wait_for_selector("body[data-offline-ready='true']", timeout=20_000)
    kept = page.evaluate("async () => (await (await caches.open('kp-console-files')).keys()).map((r) => r.url)")
    assert {f"{server.url}/console/", f"{server.url}/console/app.js", f"{server.url}/console/outbox.js",
            f"{server.url}/vendor/ethers.min.js", f"{server.url}/api.js"} <= set(kept), kept
    assert not [url for url in kept if "/v1/" in url]  # the API's answers are never the worker's
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='true']", timeout=20_000)
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#account-section:not([hidden])", timeout=10_000)  # the wallet's account, the inbox kept
    assert "what you see was read from it at" in page.inner_text("#offline-note")
    assert page.inner_text("#account-licence") == "producer (mine), exporter"
    no_violations(page, "the console opened offline")
    shot(page, tmp_path, "console-offline-start", until="#account-section")
    document = "0x" + secrets.token_hex(32)
    keep_registration(page, "3", document)
    home(page)
    assert [k["status"] for k in outbox(page)] == ["waiting"]
    assert world.http.get(f"/v1/accounts/{mine_actor.address}/inbox").json()["parcels"] == []

    page.context.set_offline(False)
    page.wait_for_selector("#outbox-sent li", timeout=60_000)
    parcels = world.http.get(f"/v1/accounts/{mine_actor.address}/inbox").json()["parcels"]
    assert [p["carats"] for p in parcels] == ["3.00"]
    assert page.kp_errors == [], page.kp_errors


def test_with_the_network_up_but_the_api_unreachable_writes_are_kept_and_send_now_relays_them(server, browser,
                                                                                             actors, world):
    """No `online` event comes when only the ledger's API is down: the console finds out when it asks for a nonce,
    keeps the write, tries again at the person's "Send now", and says so while the API is still down."""
    mine_actor = actors["mine"]
    page, _wallet = open_console(browser, server.url, mine_actor.key, world.config["chain_id"])
    connect(page)
    page.route("**/v1/**", lambda route: route.abort())  # the API's host is down, the browser still online
    document = "0x" + secrets.token_hex(32)
    page.evaluate("() => { location.hash = '#/act/RegisterParcel'; }")
    page.wait_for_selector("#form-section:not([hidden])")
    assert page.locator("#queue-note").count() == 0  # nothing said yet: the console does not know
    fill(page, "points", "4")
    page.locator("#form-fields [data-field='hsCode'] > select").select_option(str(GEM))
    page.fill("#form-fields [data-field='documentHash'] input[type=text]", document)
    keep(page)
    assert page.is_visible("#offline-note")
    home(page)
    page.click("#outbox-send")  # still down: it stays, and the console says why
    page.wait_for_function("() => document.getElementById('outbox-note').textContent.includes('NetworkError')")
    assert [k["status"] for k in outbox(page)] == ["waiting"]

    page.unroute("**/v1/**")
    page.click("#outbox-send")
    page.wait_for_selector("#outbox-sent li", timeout=60_000)
    assert page.locator("#outbox-list li").count() == 0 and page.is_hidden("#offline-note")
    parcels = world.http.get(f"/v1/accounts/{mine_actor.address}/inbox").json()["parcels"]
    assert [p["carats"] for p in parcels] == ["4.00"]
    assert page.kp_errors == [], page.kp_errors


def test_a_kept_write_relayed_after_its_deadline_is_refused_in_words(server, node, browser, actors, world):
    """The deadline its signer chose binds the write wherever it waits: a day's validity, relayed when the chain's
    clock is two days on, is refused by the contract (KPIntentExpired), said in words, and stays until dismissed."""
    mine_actor = actors["mine"]
    page, _wallet = open_console(browser, server.url, mine_actor.key, world.config["chain_id"])
    connect(page)
    go_offline(page)
    page.evaluate("() => { location.hash = '#/act/RegisterParcel'; }")
    page.wait_for_selector("#form-section:not([hidden])")
    fill(page, "points", "2")
    page.locator("#form-fields [data-field='hsCode'] > select").select_option(str(GEM))
    page.fill("#form-fields [data-field='documentHash'] input[type=text]", "0x" + secrets.token_hex(32))
    page.select_option("#queue-days", "1")
    keep(page)
    home(page)
    node.w3.provider.make_request("evm_increaseTime", [2 * DAY])
    node.w3.provider.make_request("evm_mine", [])

    page.context.set_offline(False)
    page.wait_for_selector("#outbox-list li[data-status='refused']", timeout=60_000)
    refused = outbox(page)
    assert refused[0]["code"] == "KPIntentExpired", refused
    assert "The signature's validity ran out; review and sign again." in refused[0]["text"]
    assert world.http.get(f"/v1/accounts/{mine_actor.address}/inbox").json()["parcels"] == []
    assert page.kp_errors == [], page.kp_errors
