"""The border officer's offline verifier (issue 23): the signed QR payload (encode, decode, signature), the trust list
(`GET /v1/trust-list`), the prints' QR codes, and the installable page in a real browser (Debian's Chromium via
Playwright) that, after one online visit and with the network off, verifies a printed certificate's QR code read
from the real PDF, refuses a forged signature, an unknown authority and an altered term, and shows a voided
certificate as voided as of its last sync."""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from kpledger.certificates import payload, verification_url
from kpledger.certificates.kpcert import encode
from kpledger.certificates.render import A4_QR, A6_QR, qr_code, slip_pdf
from kpledger.client import KPClient
from kpledger.core.errors import InvalidRequest
from kpledger.dev.chain import stop
from kpledger.dev.demo import Demo
from kpledger.dev.stack import ApiServer, LocalChain, dev_key
from kpledger.signing import typed_data
from tests.support.browser import chromium
from tests.support.stack import demo_stack

pdfium = pytest.importorskip("pypdfium2")
zxingcpp = pytest.importorskip("zxingcpp")

GEM = 710231
DAY = 86_400
DPI = 300
POINT_MM = 25.4 / 72
VERIFY = Path(__file__).resolve().parents[2] / "frontend-static" / "verify"
SERVICE_WORKER = (VERIFY / "sw.js").read_text()
CACHE = re.search(r'const CACHE = "([^"]+)"', SERVICE_WORKER).group(1)


def terms(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"number": "BW0000042", "importer": "EU", "importerAccount": Account.create().address,
            "consignmentId": 12, "points": 350_000, "parcelCount": 2, "hsCodes": [GEM], "origins": ["BW", "CA"],
            "issuedAt": now - 60, "expiresAt": now + 30 * DAY, "documentHash": "0x" + "ab" * 32, "replaces": "",
            **changes}


def signed(message: dict[str, Any], key: bytes, *, chain_id: int = 31337, contract: str = "0x" + "11" * 20,
           signer: str | None = None) -> str:
    intent = typed_data.sign_intent(key, "IssueCertificate", message, chain_id=chain_id, verifying_contract=contract,
                                nonce=(3 << 64) | 9, deadline=int(time.time()) + 3600, signer=signer)
    return payload.encode(intent.message, intent.signer, intent.nonce, intent.deadline, intent.signature)


# ------------------------------------------------------------------ the payload, without a chain


def test_a_payload_carries_the_signed_terms_and_recovers_their_signer():
    key = os.urandom(32)
    message = terms()
    text = signed(message, key)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # QR alphanumeric mode, no padding
    decoded = payload.decode(text)
    assert {k: decoded.message[k] for k in message} == message
    assert decoded.recovered(31337, "0x" + "11" * 20) == Account.from_key(key).address == decoded.signer
    assert payload.decode(text.lower()).message == decoded.message  # a scanner may lower-case it


def _kept_files() -> set[str]:
    """The files the verifier's service worker keeps, as paths under frontend-static/ ("verify/x", "util.js")."""
    listed = re.search(r"const FILES = \[(.*?)\];", SERVICE_WORKER, re.S).group(1)
    return {posixpath.normpath(posixpath.join("verify", name)) for name in re.findall(r'"([^"]+)"', listed)}


def _needed_files() -> set[str]:
    """Every file the verifier page loads: its scripts, styles and manifest, and every module they import, statically
    or with import(), followed through the imports."""
    static = VERIFY.parent
    page = (VERIFY / "index.html").read_text()
    todo = [posixpath.normpath(posixpath.join("verify", ref))
            for ref in re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', page) if "://" not in ref]
    found: set[str] = set()
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.add(path)
        if path.endswith((".js", ".mjs")) and "/vendor/" not in path:
            text = (static / path).read_text()
            for ref in re.findall(r'(?:from\s*|import\(\s*)"(\.{1,2}/[^"]+)"', text):
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), ref)))
    return found


def test_the_service_worker_keeps_every_file_the_verifier_loads_or_imports():
    """Offline, a module the worker did not keep fails to load and the page is dead: every script, style and module
    the page reaches through its imports is in the worker's list (a new import without it fails here)."""
    needed, kept = _needed_files(), _kept_files()
    assert {"verify/verify.js", "verify/payload.js", "chain.js", "selectors.js", "util.js"} <= needed
    assert needed - kept == set(), f"not kept by frontend-static/verify/sw.js: {sorted(needed - kept)}"


def test_an_altered_term_or_another_deployment_recovers_another_signer():
    key = os.urandom(32)
    original = payload.decode(signed(terms(), key))
    altered = payload.encode({**original.message, "points": original.message["points"] + 100},
                             original.signer, original.message["nonce"], original.message["deadline"],
                             original.signature)
    assert payload.decode(altered).recovered(31337, "0x" + "11" * 20) != original.signer
    assert original.recovered(31337, "0x" + "22" * 20) != original.signer  # another contract's domain
    assert original.recovered(1, "0x" + "11" * 20) != original.signer  # another chain


@pytest.mark.parametrize("text", ["", "ABC1", "A" * 2000, "AE", "not base32!"])
def test_a_damaged_payload_is_refused_in_words(text):
    with pytest.raises(InvalidRequest) as refused:
        payload.decode(text)
    assert refused.value.code == "PayloadInvalid" and "not a certificate payload" in str(refused.value)


def test_a_truncated_or_extended_payload_is_refused():
    text = signed(terms(), os.urandom(32))
    for damaged in (text[:-8], text + "AAAAAAAA"):
        with pytest.raises(InvalidRequest):
            payload.decode(damaged)


def qr_measure(content: payload.QrContent, size_pt: float) -> dict[str, float]:
    code = qr_code(content)
    modules = code.symbol_size(border=4)[0]  # with the quiet zone: what the print's square holds
    module_mm = size_pt * POINT_MM / modules
    return {"version": code.version, "error": code.error, "modules": modules - 8, "module_mm": round(module_mm, 3),
            "dots_300dpi": round(module_mm / 25.4 * DPI, 2)}


def test_the_signed_qr_stays_scannable_on_the_a6_slip_and_on_a4():
    # a long certificate: three HS codes, three origins, a replaced number, a large nonce, a public URL of 40 characters
    message = terms(number="BW2026-000123", hsCodes=[710210, 710221, GEM], origins=["BW", "CA", "ZA"],
                    replaces="BW2026-000122", points=123_456_789)
    text = signed(message, os.urandom(32))
    content = payload.qr_segments("https://kp-ledger.customs.example.org", text)
    a6, a4 = qr_measure(content, A6_QR), qr_measure(content, A4_QR)
    print(f"\npayload {len(text)} characters; A6 slip {a6}; A4 certificate {a4}")
    assert a6["version"] <= 13 and a6["error"] in ("M", "Q")
    assert a6["module_mm"] >= 0.4 and a6["dots_300dpi"] >= 4.5  # ~0.4 mm modules: a phone camera at 10-15 cm
    assert a4["module_mm"] > a6["module_mm"]
    # alphanumeric mode for the payload: a whole-URL byte-mode code would be larger
    assert qr_code(payload.signed_url("https://kp-ledger.customs.example.org", text)).version > a6["version"]


def test_a_certificate_without_a_journaled_signature_gets_the_url_only_qr():
    url = verification_url("http://kp.example", "BW0000001")
    assert payload.qr_content("http://kp.example", "BW0000001", None) == url
    view = {"number": "BW0000001", "exporter": "BW", "importer": "EU", "exporter_name": "A", "importer_name": "B",
            "exporter_account": None, "importer_account": None, "carats": "10.00", "parcel_count": 1,
            "hs_codes": [GEM], "origins": ["BW"], "mixed_origin": False, "issued_date": "2026-01-01",
            "expiry_date": "2026-02-01", "seal_id": None}
    pdf = slip_pdf(view, {"BW": "Botswana"}, url)
    assert qr_texts(pdf) == [url]
    assert "QR: the verification page only" in pdf_text(pdf)


# ------------------------------------------------------------------ the ledger: prints, trust list, the page


def qr_texts(pdf: bytes) -> list[str]:
    image = pdfium.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def pdf_text(pdf: bytes) -> str:
    """The first page's text, its lines joined by single spaces."""
    return " ".join(pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range().split())


@dataclass
class World:
    chain: LocalChain
    server: ApiServer
    demo: Demo
    voided: str
    direct: str


def ca_certificate(demo: Demo, number: str) -> tuple[dict[str, Any], bytes]:
    """A CA -> EU certificate's issue terms (to sign) and its conforming document, over a fresh sealed parcel."""
    _, doc = demo.document(f"parcel-{number}.json", {"parcel": number, "points": 1_000})
    parcel = demo.clients["ca_mine"].register_parcel(points=1_000, hs_code=GEM, origin="CA", document_hash=doc,
                                                     stones=3)["result"]["parcel_id"]
    seal = f"SEAL-{number}"
    box = demo.clients["ca_mine"].seal_consignment([parcel], seal)["result"]["consignment_id"]
    now = int(time.time())
    document = demo.certificate_document("ca_authority", number, exporter="ca_mine", importer="antwerp_trader",
                                         points=1_000, parcel_count=1, hs_codes=[GEM], origins=["CA"], seal=seal,
                                         value_usd="125000.00", issued_at=now - 60, expires_at=now + 30 * DAY,
                                         replaces="")
    issue = {"number": number, "importer": "EU", "importer_account": demo.addr("antwerp_trader"),
             "consignment_id": box, "points": 1_000, "parcel_count": 1, "hs_codes": [GEM], "origins": ["CA"],
             "issued_at": now - 60, "expires_at": now + 30 * DAY, "replaces": ""}
    return issue, document


def relayed(demo: Demo, number: str) -> None:
    """Issued through the relayer (its signature journaled) and its document filed (printed)."""
    issue, document = ca_certificate(demo, number)
    demo.clients["ca_authority"].issue_certificate(
        **issue, document_hash="0x" + hashlib.sha256(encode(document)).hexdigest())
    demo.clients["ca_authority"].file_certificate(document)


def on_chain(chain: LocalChain, demo: Demo, base: str, number: str) -> None:
    """Issued by the CA authority's own transaction, without the relayer: no journaled signature."""
    issue, document = ca_certificate(demo, number)
    key = dev_key(4)  # the demo's CA authority (anvil's funded account 4)
    account = Account.from_key(key)
    w3 = chain.w3
    call = chain.certificates.functions.issueCertificate((
        number, "EU", issue["importer_account"], issue["consignment_id"], 1_000, 1, [GEM], ["CA"],
        issue["issued_at"], issue["expires_at"], hashlib.sha256(encode(document)).digest(), ""))
    tx = call.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address),
                                 "gasPrice": w3.eth.gas_price, "chainId": w3.eth.chain_id})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(Account.sign_transaction(tx, key).raw_transaction))
    assert receipt.status == 1
    deadline = time.time() + 30
    while httpx.get(f"{base}/v1/certificates/{number}").status_code != 200:
        assert time.time() < deadline, "the index did not see the certificate issued on chain"
        time.sleep(0.3)
    demo.clients["ca_authority"].file_certificate(document)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("verifier") / "data"
    with demo_stack(data) as (chain, server, demo):
        demo.run()
        relayed(demo, "CA0000901")
        demo.clients["ca_authority"].void_certificate("CA0000901", 6)
        on_chain(chain, demo, server.url, "CA0000902")
        yield World(chain, server, demo, "CA0000901", "CA0000902")


def test_the_trust_list_names_the_authorities_per_participant_at_a_block_of_the_chain(world: World):
    listed = httpx.get(f"{world.server.url}/v1/trust-list").json()
    by_code = {p["code"]: p for p in listed["participants"]}
    assert listed["count"] == len(listed["participants"]) and {"BW", "CA", "EU", "IN", "CF"} <= set(by_code)
    ca_authority = world.demo.addr("ca_authority")
    assert [a["address"].lower() for a in by_code["CA"]["authorities"]] == [ca_authority.lower()]
    assert by_code["CA"]["authorities"][0]["name"] == "Natural Resources Canada, KP Office (demo)"
    assert by_code["CA"]["name"] == "Canada" and by_code["CA"]["status"] == "active"
    assert by_code["CF"]["status"] == "suspended"  # the demo suspends it
    # the block it was read at is the chain's block of that number (what a client checks when online)
    block = world.chain.w3.eth.get_block(listed["block"]["number"])
    assert listed["block"]["hash"] == "0x" + bytes(block["hash"]).hex()
    assert listed["block"]["timestamp"] in (None, block["timestamp"])
    config = httpx.get(f"{world.server.url}/v1/config").json()
    assert listed["domain"] == {"name": "KPCertificates", "version": "1", "chain_id": config["chain_id"],
                                "verifying_contract": config["contracts"]["KPCertificates"]}
    assert {"number": world.voided, "superseded_by": None} in listed["voided"]


def test_a_print_carries_the_signed_terms_or_plainly_the_url_only(world: World):
    base = world.server.url
    config = httpx.get(f"{base}/v1/config").json()
    slip = httpx.get(f"{base}/v1/certificates/{world.voided}/slip.pdf").content
    [text] = qr_texts(slip)
    assert text.startswith(f"{base}/verify/#")
    terms_ = payload.decode(text.split("#", 1)[1])
    assert terms_.message["number"] == world.voided and terms_.message["points"] == 1_000
    assert terms_.recovered(config["chain_id"], config["contracts"]["KPCertificates"]) == \
        world.demo.addr("ca_authority")
    assert "QR: the terms signed by the issuing authority" in pdf_text(slip)
    a6 = qr_measure(payload.qr_segments(base, text.split("#", 1)[1]), A6_QR)
    print(f"\n{world.voided}: payload {len(text.split('#', 1)[1])} characters, A6 slip {a6}")
    assert a6["version"] <= 13 and a6["module_mm"] >= 0.4
    # issued directly on chain: no signature the backend knows, the URL only, said on the slip and on the PDF
    direct = httpx.get(f"{base}/v1/certificates/{world.direct}/slip.pdf").content
    assert qr_texts(direct) == [verification_url(base, world.direct)]
    assert "QR: the verification page only" in pdf_text(direct)
    printed = world.demo.clients["ca_authority"].printable_certificate(world.direct)
    assert qr_texts(printed) == [verification_url(base, world.direct)]


def test_the_verifier_pages_allow_webassembly_and_nothing_else_more(world: World):
    page = httpx.get(f"{world.server.url}/verify/")
    viewer = httpx.get(f"{world.server.url}/")
    assert page.status_code == 200 and "KP certificate verifier" in page.text
    assert page.headers["content-security-policy"] == viewer.headers["content-security-policy"].replace(
        "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")
    assert "wasm-unsafe-eval" not in viewer.headers["content-security-policy"]
    for path in ("/verify/sw.js", "/verify/manifest.webmanifest", "/verify/vendor/zxing_reader.wasm",
                 "/verify/vendor/pdf.worker.min.mjs"):
        answer = httpx.get(f"{world.server.url}{path}")
        assert answer.status_code == 200, path
        assert "wasm-unsafe-eval" in answer.headers["content-security-policy"], path


def verdict(page) -> dict[str, str]:
    page.wait_for_selector("#result[data-verdict]:not([data-verdict='none']):not([data-verdict='reading'])",
                           timeout=30_000)
    box = page.locator("#result")
    return {"verdict": box.get_attribute("data-verdict"), "reason": box.get_attribute("data-reason") or "",
            "text": box.inner_text()}


def check_text(page, text: str) -> dict[str, str]:
    page.evaluate("document.getElementById('result').dataset.verdict = 'none'")
    page.fill("#paste", text)
    page.click("#paste-form button[type=submit]")
    return verdict(page)


def read_file(page, name: str, pdf: bytes) -> dict[str, str]:
    page.evaluate("document.getElementById('result').dataset.verdict = 'none'")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf", "buffer": pdf}])
    return verdict(page)


def shot(page, name: str) -> None:
    """A screenshot for docs/pages/offline-verifier.md, in 64 colours (a few tens of kB), when KP_SCREENSHOTS names
    the folder (`KP_SCREENSHOTS=docs/pages/screenshots`): a plain test run changes no tracked file."""
    from PIL import Image

    target = os.environ.get("KP_SCREENSHOTS")
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    path = Path(target) / name
    page.screenshot(path=str(path), full_page=True)
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


def y4m(image, path: Path, frames: int = 10) -> None:
    """A short greyscale video (YUV4MPEG2, 4:2:0) of an image: what Chromium's fake camera plays in a loop."""
    grey = image.convert("L")
    width, height = (grey.width // 2) * 2, (grey.height // 2) * 2
    grey = grey.crop((0, 0, width, height))
    chroma = bytes([128]) * (width // 2 * height // 2)
    frame = b"FRAME\n" + grey.tobytes() + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)


def test_the_officer_checks_the_list_against_a_node_and_scans_the_slip_with_the_camera(world: World, tmp_path: Path):
    """The trust list's block compared with a node's; the camera path: Chromium's fake camera films the printed slip,
    the page reads the code from the video."""
    slip = httpx.get(f"{world.server.url}/v1/certificates/BW0000001/slip.pdf").content
    page_image = pdfium.PdfDocument(slip)[0].render(scale=2).to_pil()
    # the top of the slip, where the code is, in a 640 x 480 picture, as a phone held over the label
    top = page_image.crop((0, 0, page_image.width, page_image.width * 3 // 4)).resize((640, 480))
    video = tmp_path / "slip.y4m"
    y4m(top, video)
    args = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}")
    with chromium(args) as browser:
        context = browser.new_context(viewport={"width": 430, "height": 900})
        context.grant_permissions(["camera"], origin=world.server.url)
        page = context.new_page()
        page.goto(f"{world.server.url}/verify/")
        page.wait_for_selector("#connection[data-online='yes']", timeout=30_000)
        # the trust list checked against a node of the chain the officer names (here the test chain's)
        page.fill("#node", world.chain.url)
        page.click("#node-form button")
        page.wait_for_selector("#node-result[data-chain-check='ok']", timeout=20_000)
        assert "this trust list is the chain's at that block" in page.inner_text("#node-result")
        # a list whose block hash is not the chain's (made up, or read on a fork) is called out
        page.evaluate("""() => { const t = JSON.parse(localStorage.getItem('kp-verify-trust'));
            t.list.block.hash = '0x' + 'ab'.repeat(32);
            localStorage.setItem('kp-verify-trust', JSON.stringify(t)); }""")
        page.click("#node-form button")
        page.wait_for_selector("#node-result[data-chain-check='mismatch']", timeout=20_000)
        assert "do not rely on this list" in page.inner_text("#node-result")
        page.reload()  # synced again from the ledger
        page.wait_for_selector("#connection[data-online='yes']", timeout=30_000)
        page.click("#scan")
        found = verdict(page)
        assert (found["verdict"], found["reason"]) == ("genuine", "ok"), found
        assert "import confirmed" in page.inner_text("#status") and "now (online)" in page.inner_text("#status")
        assert page.locator("#camera").is_hidden()  # the camera stops once the code is read


def test_a_dismissed_authoritys_certificates_from_before_stay_genuine_and_nothing_it_signs_after(world: World,
                                                                                                  browser):
    """An authority dismissed after issuing: its certificates still in force read genuine (it was the authority when
    it issued them, and they are on the ledger), with the dismissal said; terms its key signs afterwards (a key taken
    with it, or the reason for the dismissal) read not genuine, however they are dated."""
    base, demo = world.server.url, world.demo
    officer = Account.create()
    governance = demo.clients["governance"]
    governance.appoint_authority("CA", officer.address, "Natural Resources Canada, Yellowknife office (demo)")
    issue, document = ca_certificate(demo, "CA0000903")
    document_hash = "0x" + hashlib.sha256(encode(document)).hexdigest()
    with KPClient(base, officer.key) as client:
        client.issue_certificate(**issue, document_hash=document_hash)
        client.file_certificate(document)
    slip = httpx.get(f"{base}/v1/certificates/CA0000903/slip.pdf").content
    [url] = qr_texts(slip)
    issued = payload.decode(url.split("#", 1)[1])
    assert issued.signer.lower() == officer.address.lower()
    governance.dismiss_authority("CA", officer.address)

    listed = {p["code"]: p for p in httpx.get(f"{base}/v1/trust-list").json()["participants"]}
    assert [a["address"].lower() for a in listed["CA"]["authorities"]] == [demo.addr("ca_authority").lower()]
    [former] = listed["CA"]["former_authorities"]
    assert former["address"].lower() == officer.address.lower()
    assert former["name"] == "Natural Resources Canada, Yellowknife office (demo)"
    assert former["certificates"] == [{"number": "CA0000903", "document_hash": document_hash}]
    assert 0 < former["since"] <= former["until"]
    assert all(not p["former_authorities"] for code, p in listed.items() if code != "CA")

    config = httpx.get(f"{base}/v1/config").json()
    domain = {"chain_id": config["chain_id"], "contract": config["contracts"]["KPCertificates"]}
    business = {k: v for k, v in issued.message.items() if k not in ("signer", "nonce", "deadline")}
    # signed with the dismissed key afterwards, dated before the dismissal: another number, or the same number over
    # another document
    later = signed({**business, "number": "CA0000999"}, officer.key, **domain)
    redone = signed({**business, "documentHash": "0x" + "cd" * 32}, officer.key, **domain)

    context = browser.new_context(viewport={"width": 430, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/verify/")
    page.wait_for_selector("body[data-offline-ready='yes']", timeout=30_000)
    page.wait_for_selector("#connection[data-online='yes']", timeout=30_000)
    page.wait_for_function(f"caches.open('{CACHE}').then(c => c.keys()).then(k => k.length >= {len(_kept_files())})")
    page.wait_for_function("(a) => (localStorage.getItem('kp-verify-trust') || '').toLowerCase().includes(a)",
                           arg=officer.address.lower()[2:])
    context.set_offline(True)  # what the device keeps decides, as at a border post
    page.reload()
    page.wait_for_selector("#connection[data-online='no']", timeout=20_000)

    found = read_file(page, "CA0000903-slip.pdf", slip)
    assert (found["verdict"], found["reason"]) == ("genuine", "ok"), found
    issuer = page.inner_text("#issuer")
    assert issuer.startswith("Issued by Natural Resources Canada, Yellowknife office (demo), then the KP authority "
                             "of Canada (CA) (dismissed on "), issuer
    assert "this certificate was issued on the ledger before that" in issuer

    for forged in (later, redone):
        refused = check_text(page, f"{base}/verify/#{forged}")
        assert (refused["verdict"], refused["reason"]) == ("not-genuine", "dismissed-authority"), refused
        assert "✗ Not genuine: signed by a dismissed KP authority" in refused["text"]
        assert "Natural Resources Canada, Yellowknife office (demo)" in refused["text"]
    context.close()


def test_offline_after_one_visit_the_verifier_checks_printed_codes(world: World, browser):
    base = world.server.url
    printed = world.demo.clients["antwerp_trader"].printable_certificate("BW0000001")  # the A4 PDF, as printed
    voided_slip = httpx.get(f"{base}/v1/certificates/{world.voided}/slip.pdf").content
    [genuine_url] = qr_texts(printed)
    genuine = payload.decode(genuine_url.split("#", 1)[1])
    bw_authority = genuine.signer
    # forged: the terms unchanged and naming the BW authority, signed with another key
    config = httpx.get(f"{base}/v1/config").json()
    domain = {"chain_id": config["chain_id"], "contract": config["contracts"]["KPCertificates"]}
    business = {k: v for k, v in genuine.message.items() if k not in ("signer", "nonce", "deadline")}
    forged = signed(business, os.urandom(32), signer=bw_authority, **domain)
    # an unknown authority: a valid signature by an account that is no KP authority
    unknown = signed(business, os.urandom(32), **domain)
    # an altered term: 10,000 carats more, the authority's signature kept
    altered = payload.encode({**business, "points": genuine.message["points"] + 1_000_000}, bw_authority,
                             genuine.message["nonce"], genuine.message["deadline"], genuine.signature)

    context = browser.new_context(viewport={"width": 430, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # every Content-Security-Policy violation the page reports, from its first script on
    page.add_init_script("""window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));""")
    page.goto(f"{base}/verify/")
    page.wait_for_selector("body[data-offline-ready='yes']", timeout=30_000)
    page.wait_for_selector("#connection[data-online='yes']")
    kept = len(_kept_files())
    page.wait_for_function(f"caches.open('{CACHE}').then(c => c.keys()).then(k => k.length >= {kept})")

    # the network goes, and the page is opened again: the service worker serves it from the device
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#connection[data-online='no']", timeout=20_000)
    assert "Offline: this device's knowledge is" in page.inner_text("#connection")
    assert "A certificate voided, superseded or confirmed after the last sync" in page.inner_text("#offline-limits")

    found = read_file(page, "BW0000001.pdf", printed)
    assert found["verdict"] == "genuine" and found["reason"] == "ok", found
    text = found["text"]
    assert page.inner_text("#issuer") == ("Issued by Government Diamond Valuator, Gaborone (demo), the KP authority "
                                          "of Botswana (BW)")
    assert bw_authority not in text  # names, not addresses
    assert "3,500.00 ct" in text and "European Union (EU)" in text and "7102.31 non-industrial (gem)" in text
    assert "as of" in page.inner_text("#status") and "(offline: the last sync)" in page.inner_text("#status")
    shot(page, "verifier-offline-genuine.png")

    # a photo of the slip instead of the PDF (here: the slip rendered to a PNG, as a phone's picture would be)
    photo = io.BytesIO()
    pdfium.PdfDocument(voided_slip)[0].render(scale=4).to_pil().save(photo, format="PNG")
    page.evaluate("document.getElementById('result').dataset.verdict = 'none'")
    page.set_input_files("#file", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo.getvalue()}])
    assert verdict(page)["reason"] == "voided"

    refusals = {"forged": check_text(page, f"{base}/verify/#{forged}"),
                "unknown": check_text(page, f"{base}/verify/#{unknown}"),
                "altered": check_text(page, f"{base}/verify/#{altered}")}
    assert {k: (v["verdict"], v["reason"]) for k, v in refusals.items()} == {
        "forged": ("not-genuine", "signature"), "unknown": ("not-genuine", "unknown-authority"),
        "altered": ("not-genuine", "signature")}
    assert "✗ Not genuine: the signature does not match these terms" in refusals["altered"]["text"]
    assert "13,500.00 ct" in refusals["altered"]["text"]  # the altered term is shown, and refused
    check_text(page, f"{base}/verify/#{altered}")
    shot(page, "verifier-offline-altered.png")

    voided = read_file(page, f"{world.voided}-slip.pdf", voided_slip)
    assert (voided["verdict"], voided["reason"]) == ("not-genuine", "voided"), voided
    assert "Genuine signature, but the certificate is VOIDED" in voided["text"]
    assert "Natural Resources Canada, KP Office (demo)" in page.inner_text("#issuer")
    status = page.inner_text("#status")
    assert "VOIDED" in status and "as of" in status and "(offline: the last sync)" in status
    shot(page, "verifier-offline-voided.png")

    # back online: the ledger is asked, and says the same thing now
    context.set_offline(False)
    page.wait_for_selector("#connection[data-online='yes']", timeout=20_000)
    online = read_file(page, "BW0000001.pdf", printed)
    assert online["verdict"] == "genuine" and "import confirmed" in page.inner_text("#status")
    assert "now (online)" in page.inner_text("#status")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert page.evaluate("window.__violations") == []

    # a URL-only code (a certificate issued directly on chain): said plainly, with the way to check it online
    direct = check_text(page, qr_texts(httpx.get(f"{base}/v1/certificates/{world.direct}/slip.pdf").content)[0])
    assert (direct["verdict"], direct["reason"]) == ("unknown", "no-payload")
    assert f"Certificate {world.direct}: no signed terms in this code" in direct["text"]
    assert "it cannot be checked offline" in direct["text"]

    # (last in this module: it stops the module's server)
    # the ledger unreachable (its server stopped: no network at all) and the page opened again: the service worker
    # serves it from the device, and the printed code is still checked
    stop(world.server.process)
    page.reload()
    page.wait_for_selector("#connection[data-online='no']", timeout=20_000)
    again = read_file(page, "BW0000001.pdf", printed)
    assert (again["verdict"], again["reason"]) == ("genuine", "ok"), again
    assert "import confirmed" in page.inner_text("#status")  # as last seen online, with its time
    assert "(offline: the last sync)" in page.inner_text("#status")

    context.close()
