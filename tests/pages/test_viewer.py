"""The viewer in a real browser (Debian's Chromium via Playwright) on the demo journey: what a buyer sees."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from kpledger.dev.demo import Demo

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("KP_ARTIFACTS", ROOT / "artifacts"))

pytest.importorskip("playwright.sync_api")


def demo_address(summary, name: str) -> str:
    from kpledger.dev.demo import CAST
    from kpledger.dev.stack import address_of, dev_key

    return address_of(dev_key(CAST[name][0]))


@pytest.fixture
def demo(server, node):
    summary = Demo(server.url, node.data_dir / "demo-documents").run()
    return summary


def test_the_demo_refusals_left_no_history(server, demo):
    assert [(r["code"]) for r in demo["refusals"]] == [
        "KPCertificatesNotParticipant", "KPLedgerParticipantSuspended", "KPLedgerSealMismatch", "KPLedgerNotOperator"]
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/v1/certificates/EU0000099").json()["code"] == "CertificateNotFound"
        assert c.get("/v1/participants/CF").json()["status"] == "suspended"
        provenance = c.get(f"/v1/parcels/{demo['ids']['final_parcel']}/provenance").json()
    assert not [s for s in provenance["timeline"] if s["kind"] == "seal_mismatch"]


def test_a_buyer_sees_the_whole_journey_of_the_final_parcel(server, node, demo, browser):
    final = demo["ids"]["final_parcel"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/#/lot/{final}")
    page.wait_for_selector("#verdict[data-status='ok']", timeout=20_000)
    assert "every border crossing (3) covered by a confirmed KP certificate" in page.inner_text("#verdict-summary")

    # every custody step, oldest first, with the three crossings
    kinds = page.eval_on_selector_all("#timeline li.timeline-item", "els => els.map(e => e.dataset.kind)")
    with httpx.Client(base_url=server.url) as c:
        expected = [s["kind"] for s in c.get(f"/v1/parcels/{final}/provenance").json()["timeline"]]
    assert kinds == expected and kinds[0] == "registered"
    assert kinds.count("transferred") == 4  # the bag inside BW, then BW->EU, CA->EU and EU->IN
    assert page.locator("#timeline .seal-bad").count() == 0
    # the seals by the labels on the containers, the id small beside each, each label checked against its id
    crossing = page.locator("#timeline li.timeline-item[data-kind='transferred']", has_text="BW-SEAL-0001")
    assert "label matches the anchored seal" in crossing.inner_text()
    seal = crossing.locator(".seal-of")
    assert seal.get_attribute("data-label-check") == "ok" and seal.locator(".seal-label").inner_text() == "BW-SEAL-0001"
    checks = page.eval_on_selector_all("#timeline .seal-of", "els => els.map(e => e.dataset.labelCheck)")
    assert checks and set(checks) == {"ok"}, checks  # the demo's writes all carried their seals' labels

    # companies and authorities by name, the address one click away
    timeline = page.inner_text("#timeline")
    for name in ("Kalahari Ridge Mining (Pty) Ltd", "Gaborone Diamond Exporters (Pty) Ltd", "Antwerp Rough Trading NV",
                 "Snowbird Lake Diamonds Inc.", "Mumbai Diamond Cutters Pvt Ltd"):
        assert name in timeline, name
    mine = demo_address(demo, "bw_mine")
    first = page.locator("#timeline li.timeline-item").first
    assert first.locator(".party-name").inner_text() == "Kalahari Ridge Mining (Pty) Ltd"
    assert first.locator("button.addr").get_attribute("title") == mine
    assert "0x" not in first.locator(".party-name").inner_text()
    assert "Mumbai Diamond Cutters Pvt Ltd" in page.inner_text("#lot-facts")
    assert "Kalahari Ridge Mining (Pty) Ltd" in page.text_content("#lineage-container")
    notes = page.inner_text("#verdict-notes")
    assert "a discrepancy (weight differs) was recorded on" in notes and "resolved by the importing authority" in notes
    assert page.locator("#timeline .step-discrepancy[data-resolved='true']").count() == 1

    # the lineage back to both mines
    nodes = page.eval_on_selector_all("#lineage-svg a[data-parcel]", "els => els.map(e => +e.dataset.parcel)")
    assert demo["ids"]["run_of_mine"] in nodes and demo["ids"]["ca_parcel"] in nodes and final in nodes
    lineage = page.text_content("#lineage-container")
    assert "origin BW" in lineage and "origin CA" in lineage

    # the certificates with their status, and the route
    cards = page.eval_on_selector_all("#certificates article.cert-card",
                                      "els => els.map(e => [e.dataset.number, e.dataset.status])")
    eu_card = page.inner_text("#certificates article.cert-card[data-number='EU0000001']")
    assert "Antwerp Rough Trading NV" in eu_card and "Mumbai Diamond Cutters Pvt Ltd" in eu_card
    assert "EU KP Authority, Antwerp (demo)" in eu_card
    assert sorted(cards) == [["BW0000001", "confirmed"], ["CA0000001", "confirmed"], ["EU0000001", "confirmed"]]
    legs = page.eval_on_selector_all("#route-svg g.leg", "els => els.map(e => e.dataset.status)")
    assert legs == ["confirmed"] * 3
    page.screenshot(path=str(ARTIFACTS / "viewer-desktop.png"), full_page=True)

    # the buyer drops the certificate document: hashed in the browser, matched against the chain's hash
    page.set_input_files("#doc-file", str(node.data_dir / "demo-documents" / "EU0000001.json"))
    page.wait_for_selector("#doc-verdict[data-match='true'][data-code='confirmed']", timeout=10_000)

    # and checks what the page shows directly against the chain's JSON-RPC
    page.fill("#rpc-url", node.url)
    page.click("#chain-check")
    page.wait_for_selector("#chain-summary[data-result='match']", timeout=20_000)
    assert page.locator("#chain-table tbody tr[data-match='false']").count() == 0

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{server.url}/#/lot/{final}")
    phone.wait_for_selector("#verdict[data-status='ok']", timeout=20_000)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    # every line of every parcel's box in the lineage stays inside its box (long names shortened, measured)
    boxes = phone.evaluate(LINEAGE_BOXES)
    assert len(boxes) == len(nodes)
    for box in boxes:
        for line, left, right in box["lines"]:
            assert box["left"] < left and right <= box["right"] - 5, (box["id"], line, left, right, box["right"])
    for box in boxes:
        assert re.fullmatch(r"HS 7102\.(10|21|31)", box["lines"][3][0]), box["lines"][3]  # HS codes as 7102.31
    holders = [b["lines"][4][0] for b in boxes]
    assert any(h.endswith("…") for h in holders) and "Antwerp Rough Trading NV" in phone.text_content("#lineage-svg")
    phone.screenshot(path=str(ARTIFACTS / "viewer-phone.png"), full_page=True)


# each parcel box of the lineage graph: its rectangle's edges and each line drawn (its text without the tooltip)
LINEAGE_BOXES = """() => [...document.querySelectorAll('#lineage-svg a[data-parcel]')].map((a) => {
  const r = a.querySelector('rect').getBBox();
  const drawn = (t) => [...t.childNodes].filter((n) => n.nodeName !== 'title').map((n) => n.textContent).join('');
  return {id: +a.dataset.parcel, left: r.x, right: r.x + r.width,
          lines: [...a.querySelectorAll(':scope > text')].map((t) => {
            const b = t.getBBox();
            return [drawn(t), b.x, b.x + b.width];
          })};
})"""


def test_the_viewer_reads_weights_hs_codes_countries_and_times_as_python_does(server, browser):
    """util.js (the viewer) and kpledger.core.words (the CLI, the printed certificate) on the same values."""
    from kpledger.core import words

    carats = ["5000.00", "0.01", "12345.6", "100", "1234567890.25", "999.99", "3500.00"]
    codes = [710210, 710221, 710231]
    countries = [["BW", "Botswana"], ["EU", "European Union"], ["ZZ", None], ["XX", "XX"]]
    times = [0, 1_796_524_837, 1_000_000_000, 1_726_000_000, 2_000_000_059, 1_798_761_599]
    page = browser.new_page()
    page.goto(f"{server.url}/")
    viewer = page.evaluate("""async ([carats, codes, countries, times]) => {
      const u = await import('/util.js');
      return {carats: carats.map(u.fmtCarats), hsText: codes.map(u.hsText), hsWords: codes.map(u.hsWords),
              countries: countries.map(([code, name]) => u.countryWords(code, name)), times: times.map(u.fmtTime)};
    }""", [carats, codes, countries, times])
    python = {"carats": [words.carats(c) for c in carats], "hsText": [words.hs_text(c) for c in codes],
              "hsWords": [words.hs_words(c) for c in codes],
              "countries": [words.country(code, {code: name} if name else {}) for code, name in countries],
              "times": [words.when(t) for t in times]}
    assert viewer == python
    assert python["carats"][0] == "5,000.00 ct" and python["hsText"][0] == "7102.10"
    assert python["countries"][0] == "Botswana (BW)" and python["times"][1] == "2026-12-06 02:40 UTC"


def test_the_viewer_checks_a_seal_label_against_its_id_as_python_does(server, browser):
    """keccak.js (the viewer's label check) and kpledger.core.seals on the same labels; a label unknown to the
    ledger reads as the id alone, and one that does not hash to the id is said not to."""
    from kpledger.core.seals import seal_id_of

    labels = ["", "BAG-0901", "BW-SEAL-0001", "x" * 135, "x" * 136, "sceau n°7 — Genève", "封印-0001", "😀" * 40]
    page = browser.new_page()
    page.goto(f"{server.url}/")
    viewer = page.evaluate("""async (labels) => {
      const k = await import('/keccak.js');
      const u = await import('/util.js');
      const shown = (label, id) => { const el = u.sealEl(label, id); return [el.dataset.labelCheck, el.textContent]; };
      return {ids: labels.map(k.keccak256Text), shown: [shown('BAG-0901', k.keccak256Text('BAG-0901')),
        shown('BAG-0902', k.keccak256Text('BAG-0901')), shown(null, k.keccak256Text('BAG-0901'))]};
    }""", labels)
    assert viewer["ids"] == [seal_id_of(label) for label in labels]
    ok, wrong, unknown = viewer["shown"]
    assert ok[0] == "ok" and ok[1].startswith("BAG-0901 ") and ok[1].endswith("✓ label matches the anchored seal")
    assert wrong[0] == "bad" and "label matches" not in wrong[1] and "does not hash to the seal id" in wrong[1]
    assert unknown[0] == "unknown" and "label unknown" in unknown[1] and "matches" not in unknown[1]


def test_unknown_ids_and_a_tampered_document_get_clear_messages(server, node, demo, browser):
    page = browser.new_page()
    page.goto(f"{server.url}/#/lot/999999")
    page.wait_for_selector("#error code.error-code", timeout=20_000)
    assert page.inner_text("#error code.error-code") in ("ParcelNotFound", "NotFound")
    forged = node.data_dir / "forged.json"
    genuine = (node.data_dir / "demo-documents" / "EU0000001.json").read_text()
    forged.write_text(genuine.replace('"23800000.00"', '"2380000.00"'))
    page.goto(f"{server.url}/#/lot/{demo['ids']['final_parcel']}")
    page.wait_for_selector("#verdict[data-status='ok']", timeout=20_000)
    page.set_input_files("#doc-file", str(forged))
    page.wait_for_selector("#doc-verdict[data-match='false'][data-code='not-genuine']", timeout=10_000)
