"""`kp` for authorities, customs officers and exporters at a terminal, on a real chain over real HTTP: a certificate's
document composed from the ledger, issued, filed, printed and checked; documents filed, read and verified; who an
account is; the KP statistics. Every refusal is one line with its stable code, and every file written is what the
API serves."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from kpledger.certificates.kpcert import encode, parse
from kpledger.cli import cli
from kpledger.client import KPClient, document_hash, seal_id
from kpledger.dev.demo import Demo
from kpledger.dev.stack import ApiServer, LocalChain
from tests.support.cli import HOSTILE, PASSWORD, Kp, assert_one_line_refusal, leaf_commands, random_args
from tests.support.stack import demo_stack

GEM = 710231
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9a-fA-F])")


@dataclass
class Stack:
    chain: LocalChain
    server: ApiServer
    demo: Demo
    keystores: Path
    serial: list[int]

    def kp(self, name: str) -> Kp:
        """`kp` as one of the demo's cast (its key in an encrypted keystore), or as anyone ("anonymous": no key)."""
        store = self.keystores / f"{name}.json"
        if name != "anonymous" and not store.exists():
            store.write_text(json.dumps(Account.encrypt(self.demo.keys[name], PASSWORD, iterations=2)))
        return Kp(CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False), self.server.url, store)

    def api(self, path: str) -> httpx.Response:
        response = httpx.get(self.server.url + path, timeout=60)
        response.raise_for_status()
        return response

    def block(self) -> int:
        return self.chain.w3.eth.block_number

    def number(self) -> str:
        self.serial[0] += 1
        return f"CA{self.serial[0]:07d}"

    def sealed(self, number: str, points: int = 1_234) -> tuple[int, str]:
        """A Canadian parcel registered and sealed for certificate `number`: the consignment and its seal label."""
        mine = self.demo.clients["ca_mine"]
        parcel = mine.register_parcel(points=points, hs_code=GEM, origin="CA", document_hash="0x" + "ab" * 32,
                                      stones=4)["result"]["parcel_id"]
        label = f"CA-SEAL-{number}"
        return mine.seal_consignment([parcel], label)["result"]["consignment_id"], label


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The demo journey (BW -> EU -> IN, CA -> EU, every certificate's document filed and printed)."""
    data = tmp_path_factory.mktemp("cli-papers") / "data"
    with demo_stack(data) as (chain, server, demo):
        demo.run()
        keystores = data / "keystores"
        keystores.mkdir()
        yield Stack(chain, server, demo, keystores, [100])


def squash(text: str) -> str:
    """The text with runs of spaces as one (the labels' padding)."""
    return re.sub(r" +", " ", text)


def refused(result: Result, code: str, exit_code: int = 1) -> str:
    """A one-line refusal with this stable code and exit status, and no traceback; its first line."""
    assert_one_line_refusal(result)
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error {code}: " if exit_code == 1 else code), result.stderr
    return first


def compose(stack: Stack, out: Path, number: str, *extra: str,
            goods: tuple[int, str] | None = None) -> tuple[dict[str, Any], int]:
    """The CA authority composes the document of certificate `number` over `goods` (consignment, seal label) or a
    fresh consignment; (document, box)."""
    box, label = goods or stack.sealed(number)
    answer = stack.kp("ca_authority")(
        "certificate", "compose", "--consignment", str(box), "--number", number, "--importer-account",
        stack.demo.addr("antwerp_trader"), "--seal", label, "--value-usd", "125000.5", "--authority-address",
        "580 Example Street, Ottawa", "--exporter-address", "4920 52nd Street, Yellowknife", "--importer-address",
        "Schupstraat 9, Antwerpen", "--officer", "J. Tremblay", "--place", "Ottawa", "-o", str(out), *extra)
    assert answer["path"] == str(out) and answer["sha256"] == document_hash(out)
    return parse(out.read_bytes()), box


def certified(stack: Stack, tmp: Path, *extra: str, file: bool = True,
              goods: tuple[int, str] | None = None) -> tuple[str, Path]:
    """A certificate composed, issued (and filed) through `kp` (over `goods`, as `compose`); its number and
    document."""
    number = stack.number()
    out = tmp / f"{number}.json"
    _, box = compose(stack, out, number, *extra, goods=goods)
    stack.kp("ca_authority")("certificate", "issue", "--consignment", str(box), "--document", str(out))
    if file:
        stack.kp("ca_authority")("certificate", "file", str(out))
    return number, out


# ---------------------------------------------------------------- the exporting authority


def test_an_authority_composes_issues_files_and_prints_a_certificate(stack, tmp_path, monkeypatch):
    ca, number = stack.kp("ca_authority"), stack.number()
    out = tmp_path / "draft.json"
    doc, box = compose(stack, out, number)
    # the public facts come from the ledger, by name; the particulars from the options
    assert doc["exporter"] == {"name": "Snowbird Lake Diamonds Inc.", "address": "4920 52nd Street, Yellowknife",
                               "account": stack.demo.addr("ca_mine")}
    assert doc["importer"]["name"] == "Antwerp Rough Trading NV"
    assert doc["importer"]["account"] == stack.demo.addr("antwerp_trader")
    assert doc["issuing_authority"]["name"] == "Natural Resources Canada, KP Office (demo)"
    assert (doc["exporting_participant"], doc["importing_participant"]) == (
        {"code": "CA", "name": "Canada"}, {"code": "EU", "name": "European Union"})
    assert (doc["carats"], doc["value_usd"], doc["number_of_parcels"], doc["hs_codes"], doc["origin"]) == (
        "12.34", "125000.50", 1, ["7102.31"], {"mixed": False, "countries": ["CA"]})
    assert doc["seal"] == {"label": f"CA-SEAL-{number}", "id": seal_id(f"CA-SEAL-{number}")}

    issued = ca("certificate", "issue", "--consignment", str(box), "--document", str(out))
    assert issued["result"]["number"] == number
    cert = stack.api(f"/v1/certificates/{number}").json()
    assert cert["document_hash"] == document_hash(out) and cert["points"] == 1_234
    assert cert["expires_at"] - cert["issued_at"] == 30 * 86_400
    refused(ca.run("certificate", "print", number, "-o", str(tmp_path / "early.pdf")), "DocumentNotFiled")
    assert not (tmp_path / "early.pdf").exists()

    filed = ca("certificate", "file", str(out))
    assert filed["already_filed"] is False and filed["sha256"] == document_hash(out)
    # the same signed request twice within one second is a replay to the API: the client signs it again
    assert ca("certificate", "file", str(out))["already_filed"] is True
    published = stack.api(f"/v1/certificates/{number}").json()["document"]["printed_sha256"]
    assert filed["printed_sha256"] == published

    # the print is the ledger's PDF, byte for byte
    pdf = tmp_path / "cert.pdf"
    printed = ca("certificate", "print", number, "-o", str(pdf))
    served = KPClient(stack.server.url, stack.demo.keys["ca_authority"]).printable_certificate(number)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes() == served
    assert printed["sha256"] == "0x" + hashlib.sha256(served).hexdigest() == published
    html = tmp_path / "cert.html"
    assert ca.run("certificate", "print", number, "--html", "-o", str(html)).exit_code == 0
    assert number in html.read_text() and "USD 125,000.50" in html.read_text()

    # the slip is public: no key; default names in the working folder, never over an existing file
    monkeypatch.chdir(tmp_path)
    anyone = stack.kp("anonymous")
    slip = anyone.run("certificate", "slip", number, json_out=False)
    assert slip.exit_code == 0, slip.stderr
    written = (tmp_path / f"{number}-slip.pdf").read_bytes()
    assert written.startswith(b"%PDF") and written == stack.api(f"/v1/certificates/{number}/slip.pdf").content
    (tmp_path / f"{number}-slip.pdf").write_bytes(b"mine")
    refused(anyone.run("certificate", "slip", number), "FileExists")
    assert (tmp_path / f"{number}-slip.pdf").read_bytes() == b"mine"
    assert anyone.run("certificate", "slip", number, "--force").exit_code == 0
    assert (tmp_path / f"{number}-slip.pdf").read_bytes() == written
    assert anyone.run("certificate", "slip", number, "-o", "-").stdout_bytes == written


def test_issue_refuses_before_signing_a_document_the_ledger_would_not_file(stack, tmp_path):
    ca, number = stack.kp("ca_authority"), stack.number()
    good = tmp_path / "good.json"
    doc, box = compose(stack, good, number)
    other_seal = {**doc, "seal": {"label": "ANOTHER", "id": seal_id("ANOTHER")}}
    yesterday = {**doc, "issue_date": "2020-01-01", "expiry_date": "2020-01-31"}
    cases = [(other_seal, [], "seal.id"), (yesterday, [], "compose it again today"), (doc, ["--carats", "12.35"],
                                                                                        "carats")]
    before = stack.block()
    for i, (variant, options, says) in enumerate(cases):
        path = tmp_path / f"variant-{i}.json"
        path.write_bytes(encode(variant))
        line = refused(ca.run("certificate", "issue", "--consignment", str(box), "--document", str(path), *options),
                       "DocumentDisagreesWithLedger")
        assert says in line and "nothing was signed" in line
    assert stack.block() == before  # nothing was sent
    with pytest.raises(httpx.HTTPStatusError):
        stack.api(f"/v1/certificates/{number}")
    # a seal label that is not the consignment's, and a value with 3 decimals, are refused while composing
    refused(ca.run("certificate", "compose", "--consignment", str(box), "--number", number, "--importer-account",
                   stack.demo.addr("antwerp_trader"), "--seal", "WRONG", "--value-usd", "1", "--authority-address",
                   "a", "--exporter-address", "b", "--importer-address", "c", "--officer", "d", "--place", "e",
                   "-o", str(tmp_path / "never.json")), "SealMismatch")
    assert not (tmp_path / "never.json").exists()
    three = ca.run("certificate", "compose", "--consignment", str(box), "--number", number, "--importer-account",
                   stack.demo.addr("antwerp_trader"), "--seal", "x", "--value-usd", "1.234", "--authority-address",
                   "a", "--exporter-address", "b", "--importer-address", "c", "--officer", "d", "--place", "e")
    assert "at most 2 decimals" in refused(three, "Usage:", exit_code=2) + three.stderr
    refused(ca.run("certificate", "compose", "--consignment", "999999", "--number", number, "--importer-account",
                   stack.demo.addr("antwerp_trader"), "--seal", "x", "--value-usd", "1", "--authority-address",
                   "a", "--exporter-address", "b", "--importer-address", "c", "--officer", "d", "--place", "e"),
            "ConsignmentNotFound")


def test_filing_and_printing_refusals_are_one_line_with_their_code(stack, tmp_path):
    number, path = certified(stack, tmp_path, file=False)
    ca, outsider = stack.kp("ca_authority"), stack.kp("unlicensed")
    not_json = tmp_path / "scan.pdf"
    not_json.write_bytes(b"%PDF-1.4 a scan")
    blocks = stack.block()
    refused(ca.run("certificate", "file", str(not_json)), "DocumentInvalid")
    broken = json.loads(path.read_bytes())
    del broken["salt"]
    (tmp_path / "broken.json").write_bytes(encode(broken))
    assert "salt" in refused(ca.run("certificate", "file", str(tmp_path / "broken.json")), "DocumentInvalid")
    resalted = {**json.loads(path.read_bytes()), "salt": "0" * 32}
    (tmp_path / "resalted.json").write_bytes(encode(resalted))
    refused(ca.run("certificate", "file", str(tmp_path / "resalted.json")), "DocumentMismatch")
    refused(outsider.run("certificate", "file", str(path)), "NotEntitled")
    refused(stack.kp("anonymous").run("certificate", "file", str(path)), "NoKeystore")
    wrong = CliRunner(env={"KP_PASSWORD": "wrong"}, mix_stderr=False).invoke(
        cli, ["--api", stack.server.url, "--keystore", str(ca.keystore), "certificate", "file", str(path)])
    refused(wrong, "KeystoreLocked")
    missing = ca.run("certificate", "file", str(tmp_path / "nowhere.json"))
    assert "does not exist" in refused(missing, "Usage:", exit_code=2) + missing.stderr
    assert stack.block() == blocks and not stack.api(f"/v1/certificates/{number}").json()["document"]["filed"]

    ca("certificate", "file", str(path))
    refused(outsider.run("certificate", "print", number, "-o", str(tmp_path / "x.pdf")), "NotEntitled")
    refused(stack.kp("anonymous").run("certificate", "print", number, "-o", str(tmp_path / "x.pdf")), "NoKeystore")
    refused(ca.run("certificate", "print", "CA9999999", "-o", str(tmp_path / "x.pdf")), "CertificateNotFound")
    refused(stack.kp("anonymous").run("certificate", "slip", "CA9999999", "-o", str(tmp_path / "x.pdf")),
            "CertificateNotFound")
    assert not (tmp_path / "x.pdf").exists()


# ---------------------------------------------------------------- the customs officer


def test_a_customs_officer_checks_the_paper_the_json_and_forgeries(stack, tmp_path):
    officer, docs = stack.kp("anonymous"), stack.demo.documents_dir
    pdf, js = docs / "BW0000001.pdf", docs / "BW0000001.json"
    genuine = officer.run("certificate", "verify", str(pdf), "--number", "BW0000001", json_out=False)
    assert genuine.exit_code == 0, genuine.stderr
    text = genuine.stdout
    assert text.startswith("✓ Genuine; import confirmed. This file is the ledger's print of certificate BW0000001, "
                           "unaltered.")
    for shown in ("✓ Import confirmed", "Botswana (BW) -> European Union (EU)", "3,500.00 ct",
                  f"Gaborone Diamond Exporters (Pty) Ltd ({stack.demo.addr('bw_exporter')})",
                  f"Antwerp Rough Trading NV ({stack.demo.addr('antwerp_trader')})", "7102.31 non-industrial (gem)"):
        assert shown in text, shown
    assert officer.run("certificate", "verify", str(js)).exit_code == 0
    assert officer("certificate", "verify", str(js))["matches"] == "document"

    forged = json.loads(js.read_bytes())
    forged["carats"] = "9999.00"
    (tmp_path / "forged.json").write_bytes(encode(forged))
    line = refused(officer.run("certificate", "verify", str(tmp_path / "forged.json"), json_out=False),
                   "DocumentMismatch")
    assert 'carats: the file states "9999.00", the ledger "3500.00"' in line
    (tmp_path / "edited.pdf").write_bytes(pdf.read_bytes() + b"%")
    refused(officer.run("certificate", "verify", str(tmp_path / "edited.pdf"), "--number", "BW0000001"),
            "DocumentMismatch")
    as_json = officer.run("certificate", "verify", str(tmp_path / "edited.pdf"), "--number", "BW0000001")
    assert json.loads(as_json.stdout)["error"]["details"]["matches"] is None  # --json: one JSON answer
    no_number = officer.run("certificate", "verify", str(pdf))
    assert "give --number" in refused(no_number, "Usage:", exit_code=2) + no_number.stderr
    refused(officer.run("certificate", "verify", str(pdf), "--number", "ZZ0000001"), "CertificateNotFound")
    refused(officer.run("certificate", "verify", str(tmp_path / "none.pdf")), "Usage:", exit_code=2)


def test_a_genuine_paper_of_a_voided_or_superseded_certificate_fails_the_check(stack, tmp_path):
    officer, ca = stack.kp("anonymous"), stack.kp("ca_authority")
    number, path = certified(stack, tmp_path)
    assert officer.run("certificate", "verify", str(path)).exit_code == 0
    ca("certificate", "void", number, "--reason", "7")
    assert "✗ Genuine, but voided." in refused(officer.run("certificate", "verify", str(path)), "CertificateVoided")
    same_goods = (stack.demo.clients["ca_mine"].certificate(number)["consignment_id"], f"CA-SEAL-{number}")
    replacement, new_path = certified(stack, tmp_path, "--replaces", number, goods=same_goods)
    assert "replaced by a corrected" in refused(officer.run("certificate", "verify", str(path), json_out=False),
                                                "CertificateSuperseded")
    assert officer.run("certificate", "verify", str(new_path)).exit_code == 0
    shown = officer.run("certificate", "show", replacement, json_out=False).stdout
    assert f"replaces: {number}" in squash(shown)


# ---------------------------------------------------------------- reading: certificates, accounts


def test_certificate_show_gives_names_exact_carats_and_the_raw_answer(stack):
    anyone = stack.kp("anonymous")
    text = anyone.run("certificate", "show", "CA0000001", json_out=False).stdout
    for shown in ("KP certificate CA0000001: ✓ Import confirmed", "Canada (CA) -> European Union (EU)",
                  f"Snowbird Lake Diamonds Inc. ({stack.demo.addr('ca_mine')})",
                  f"Natural Resources Canada, KP Office (demo) ({stack.demo.addr('ca_authority')})",
                  "carats: 1,200.00 ct", "HS codes: 7102.31 non-industrial (gem)", "origin: Canada (CA)",
                  "weight differs (code 2)", "resolved by the importing authority's confirmation",
                  f"seal: CA-SEAL-0042 (id {seal_id('CA-SEAL-0042')}; the label matches the anchored seal)"):
        assert shown in squash(text), shown
    assert "mixed: Botswana (BW), Canada (CA)" in anyone.run("certificate", "show", "EU0000001",
                                                             json_out=False).stdout
    for address in ADDRESS.finditer(text):  # every account beside its name
        assert text[address.start() - 1] == "(" and text[address.start() - 3] != ":", text
    assert anyone("certificate", "show", "ca0000001") == stack.api("/v1/certificates/CA0000001").json()
    refused(anyone.run("certificate", "show", "CA0999999"), "CertificateNotFound")
    refused(anyone.run("certificate", "show", "?"), "InvalidRequest")


def test_account_show_says_who_an_account_is(stack):
    antwerp = stack.demo.addr("antwerp_trader")
    text = stack.kp("anonymous").run("account", "show", antwerp.lower(), json_out=False).stdout
    assert text.splitlines()[0] == f"Antwerp Rough Trading NV ({antwerp})"
    for shown in ("participant: European Union (EU)", "roles: exporter, importer, trader", "licence: BE-0412.771.093",
                  f"by EU KP Authority, Antwerp (demo) ({stack.demo.addr('eu_authority')})"):
        assert shown in squash(text), shown
    assert stack.kp("antwerp_trader").run("account", "show", json_out=False).stdout == text  # yourself by default
    authority = stack.kp("anonymous").run("account", "show", stack.demo.addr("bw_authority"), json_out=False).stdout
    assert "roles: authority" in squash(authority) and "by KP governance (" in authority and "licence" not in authority
    assert stack.kp("anonymous")("account", "show", antwerp) == stack.api(f"/v1/accounts/{antwerp}").json()
    refused(stack.kp("anonymous").run("account", "show", "0x" + "12" * 20), "AccountNotFound")
    refused(stack.kp("anonymous").run("account", "show", "0x12"), "Usage:", exit_code=2)
    refused(stack.kp("anonymous").run("account", "show"), "NoKeystore")


# ---------------------------------------------------------------- provenance and writes in words

UTC_LINE = re.compile(r"^  \d{4}-\d\d-\d\d \d\d:\d\d UTC  ")
HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


def test_provenance_reads_as_dated_lines_with_names_countries_seal_checks_and_certificate_numbers(stack):
    final = stack.demo.ids["final_parcel"]
    anyone = stack.kp("anonymous")
    answer = anyone("parcel", "provenance", str(final))
    assert answer == stack.api(f"/v1/parcels/{final}/provenance").json()  # --json: the API's answer, raw
    text = anyone.run("parcel", "provenance", str(final), json_out=False).stdout
    lines = text.splitlines()
    assert lines[0].startswith(f"Parcel {final}: ") and "origin mixed: Botswana (BW), Canada (CA)" in lines[0]
    assert lines[2] == "verdict: ✓ ok: every border crossing (3) covered by a confirmed KP certificate"
    custody = lines[lines.index("custody") + 1:]
    steps = [line for line in custody if UTC_LINE.match(line)]
    assert len(steps) == len(answer["timeline"])  # one dated line per custody step, oldest first
    for step, line in zip(answer["timeline"], steps, strict=True):
        assert line.startswith(f"  {datetime.fromtimestamp(step['timestamp'], UTC):%Y-%m-%d %H:%M} UTC  ")
        assert line.endswith(f"(block {step['block']})")
    crossing = next(line for line in steps if "crossed the border Botswana (BW) -> European Union (EU)" in line)
    assert (f"from Gaborone Diamond Exporters (Pty) Ltd ({stack.demo.addr('bw_exporter')}) to Antwerp Rough Trading "
            f"NV ({stack.demo.addr('antwerp_trader')})") in crossing
    assert "✓ verified" in crossing and "under KP certificate BW0000001 (✓ Import confirmed)" in crossing
    assert "under KP certificate CA0000001 (✓ Import confirmed); discrepancy at import: weight differs" in text
    domestic = next(line for line in steps if "handed over" in line)
    assert "handed over within Botswana (BW) (domestic: no KP certificate needed)" in domestic
    assert "registered at the mine in Botswana (BW) by Kalahari Ridge Mining (Pty) Ltd" in text
    assert "7102.10 unsorted" in text and "5,000.00 ct" in text
    assert "  EU0000001: ✓ Import confirmed; European Union (EU) -> India (IN); 2,000.00 ct" in text
    # certificates by number, never by key; no Unix times
    keys = {c["key"] for c in answer["certificates"]}
    assert keys and not keys & set(HEX32.findall(text)) and "certificate_key" not in text
    assert str(answer["timeline"][0]["timestamp"]) not in text


def test_a_seal_mismatch_reads_as_a_failed_seal_check(stack):
    mine, trader = stack.demo.clients["ca_mine"], stack.demo.clients["antwerp_trader"]
    parcel = mine.register_parcel(points=500, hs_code=GEM, origin="CA", document_hash="0x" + "ab" * 32,
                                  stones=1)["result"]["parcel_id"]
    box = mine.seal_consignment([parcel], "BOX-SENT")["result"]["consignment_id"]
    number, now = stack.number(), int(time.time())
    stack.demo.clients["ca_authority"].issue_certificate(
        number=number, importer="EU", importer_account=trader.address, consignment_id=box, points=500,
        parcel_count=1, hs_codes=[GEM], origins=["CA"], issued_at=now - 60, expires_at=now + 86_400,
        document_hash="0x" + "ab" * 32)
    mine.offer(box, trader.address, "BOX-SENT")
    assert trader.accept(box, "BOX-FOUND")["result"]["transferred"] is False
    text = stack.kp("anonymous").run("parcel", "provenance", str(parcel), json_out=False).stdout
    line = next(line for line in text.splitlines() if "SEAL MISMATCH" in line)
    sent, found = seal_id("BOX-SENT"), seal_id("BOX-FOUND")
    assert (f"seal check failed at hand-off from Snowbird Lake Diamonds Inc. ({stack.demo.addr('ca_mine')}) to "
            f"Antwerp Rough Trading NV ({trader.address}); ✗ SEAL MISMATCH, transfer refused: sent under seal "
            f"BOX-SENT (id {sent[:10]}…{sent[-6:]}; the label matches the anchored seal), recipient attested "
            f"BOX-FOUND (id {found[:10]}…{found[-6:]}; the label matches the anchored seal)") in line
    assert "verdict: ✓ ok: no border crossing" in text


def test_parcels_and_consignments_read_as_dated_lines_with_names_and_seal_labels(stack):
    """`kp parcel show` and `kp consignment show`: names, countries, UTC times and seals by label (their ids beside
    them), as `kp parcel provenance` writes them; --json gives the API's answer."""
    mine = stack.demo.clients["ca_mine"]
    parcel = mine.register_parcel(points=12_345, hs_code=GEM, origin="CA", document_hash="0x" + "cd" * 32,
                                  stones=3)["result"]["parcel_id"]
    box = mine.seal_consignment([parcel], "CRATE-77")["result"]["consignment_id"]
    anyone = stack.kp("anonymous")
    assert anyone("consignment", "show", str(box)) == stack.api(f"/v1/consignments/{box}").json()
    shown = stack.api(f"/v1/consignments/{box}").json()
    text = anyone.run("consignment", "show", str(box), json_out=False).stdout
    lines = text.splitlines()
    assert lines[0] == f"Consignment {box}: 123.45 ct in 1 parcel(s) ({parcel})"
    assert f"  seal:        CRATE-77 (id {seal_id('CRATE-77')}; the label matches the anchored seal)" in lines
    assert (f"  holder:      Snowbird Lake Diamonds Inc. ({stack.demo.addr('ca_mine')}) in Canada (CA)") in lines
    assert "  HS codes:    7102.31 non-industrial (gem)" in lines and "  origin:      Canada (CA)" in lines
    assert f"  sealed:      {datetime.fromtimestamp(shown['created_at'], UTC):%Y-%m-%d %H:%M} UTC, block " in text
    assert "  certificate: none" in lines and "  offer:       none" in lines
    assert str(shown["created_at"]) not in text  # no Unix times

    bw_mine, exporter = stack.demo.clients["bw_mine"], stack.demo.clients["bw_exporter"]
    loose = bw_mine.register_parcel(points=500, hs_code=GEM, origin="BW", document_hash="0x" + "ce" * 32,
                                    stones=1)["result"]["parcel_id"]
    bw_mine.offer(loose, exporter.address, "0x" + "ab" * 32)  # a seal id alone: its label is unknown to the ledger
    text = anyone.run("parcel", "show", str(loose), json_out=False).stdout
    answer = stack.api(f"/v1/parcels/{loose}").json()
    assert anyone("parcel", "show", str(loose)) == answer
    lines = text.splitlines()
    assert lines[0] == f"Parcel {loose}: 5.00 ct, 7102.31 non-industrial (gem), 1 stones, origin Botswana (BW)"
    assert "  status:   live" in lines
    recorded = datetime.fromtimestamp(answer["created_at"], UTC)
    assert f"  recorded: registered {recorded:%Y-%m-%d %H:%M} UTC, block {answer['created_block']}, tx 0x" in text
    assert (f"  offer:    pending, from Kalahari Ridge Mining (Pty) Ltd ({bw_mine.address}) to Gaborone Diamond "
            f"Exporters (Pty) Ltd ({exporter.address}) under seal id 0xabababab…ababab (label unknown to the "
            "ledger)") in lines
    assert f"(kp parcel provenance {loose} shows its custody and lineage)" in text


def test_writes_read_back_roles_by_name_and_certificates_by_number_never_a_key(stack, tmp_path):
    company = Account.create()
    store = tmp_path / "company.json"
    store.write_text(json.dumps(Account.encrypt(company.key, PASSWORD, iterations=2)))
    me = Kp(CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False), stack.server.url, store)
    ca = stack.kp("ca_authority")
    licensed = ca.run("operator", "license", company.address, "--role", "producer", "--role", "exporter",
                      "--name", "Tundra Rough Ltd", "--licence", "CA-KP-NT-0099", json_out=False)
    assert licensed.exit_code == 0, licensed.stderr
    assert "  roles: producer, exporter\n" in licensed.stdout
    assert ca("operator", "revoke", company.address, "--role", "exporter")["result"]["roles"] == 2  # --json: raw

    # a domestic hand-off: the answer's certificate key is zero, and kp says there was no certificate
    mine = stack.kp("ca_mine")
    parcel = mine("parcel", "register", "--carats", "3.00", "--hs", "7102.31", "--origin", "CA", "--document",
                  str(stack.demo.documents_dir / "BW0000001.json"))["result"]["parcel_id"]
    mine("custody", "offer", str(parcel), "--to", company.address, "--seal", "BAG-1")
    domestic = me.run("custody", "accept", str(parcel), "--seal", "BAG-1", json_out=False)
    assert domestic.exit_code == 0, domestic.stderr
    assert "  certificate: none (a domestic hand-off: no border crossed)" in domestic.stdout
    assert "certificate_key" not in domestic.stdout and "0x" + "00" * 32 not in domestic.stdout

    # a crossing: the certificate by its number
    box, label = stack.sealed(number := stack.number())
    trader = stack.demo.clients["antwerp_trader"]
    now = int(time.time())
    stack.demo.clients["ca_authority"].issue_certificate(
        number=number, importer="EU", importer_account=trader.address, consignment_id=box, points=1_234,
        parcel_count=1, hs_codes=[GEM], origins=["CA"], issued_at=now - 60, expires_at=now + 86_400,
        document_hash="0x" + "ab" * 32)
    mine("custody", "offer", str(box), "--to", trader.address, "--seal", label)
    crossed = stack.kp("antwerp_trader").run("custody", "accept", str(box), "--seal", label, json_out=False)
    assert crossed.exit_code == 0, crossed.stderr
    assert f"  certificate: {number} (the crossing used it: kp certificate show {number})" in crossed.stdout
    assert not HEX32.findall(crossed.stdout.replace(crossed.stdout.split("tx: ")[1].split()[0], ""))
    confirmed = stack.kp("eu_authority").run("certificate", "confirm", number, json_out=False)
    assert f"  number: {number}" in confirmed.stdout and "certificate_key" not in confirmed.stdout


# ---------------------------------------------------------------- terminal escapes in the ledger's text

# what a name on the ledger may carry to a terminal: an OSC that retitles the window, a screen clear, a C1 CSI, a
# carriage return that overwrites the line, and a right-to-left override that reorders what follows
HOSTILE_NAME = "Evil\x1b]0;pwned\x07 Mining\x1b[2J\x9b31m\r\u202eLtd"
HOSTILE_LICENCE = "CA-\x1b[8mHIDDEN\x1b[0m-1"
HOSTILE_REF = "REF\nverdict: ok\u2066"
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def raw_controls(text: str) -> list[str]:
    """The characters of `text` that a terminal would act on rather than show: control characters other than the
    line breaks of kp's own layout, and bidirectional overrides."""
    import unicodedata

    return sorted({c for c in text if c in BIDI or (c != "\n" and unicodedata.category(c) in ("Cc", "Zl", "Zp"))})


def test_control_and_bidi_characters_from_the_ledger_reach_the_terminal_escaped(stack):
    """An attacker's name, licence number and participant name (accepted by the API: any text) carry terminal escape
    sequences; everything kp prints from the ledger shows them visibly escaped, never raw."""
    hostile, trader = Account.create(), stack.demo.addr("antwerp_trader")
    ca = stack.demo.clients["ca_authority"]
    ca.license_operator(hostile.address, ["producer", "exporter"], HOSTILE_NAME, HOSTILE_LICENCE, HOSTILE_REF)
    evil = KPClient(stack.server.url, "0x" + hostile.key.hex())
    parcel = evil.register_parcel(points=1_000, hs_code=GEM, origin="CA", document_hash="0x" + "cd" * 32,
                                  stones=2)["result"]["parcel_id"]
    box = evil.seal_consignment([parcel], "EVIL-SEAL")["result"]["consignment_id"]
    number, now = stack.number(), int(time.time())
    ca.issue_certificate(number=number, importer="EU", importer_account=trader, consignment_id=box, points=1_000,
                         parcel_count=1, hs_codes=[GEM], origins=["CA"], issued_at=now - 60,
                         expires_at=now + 86_400, document_hash="0x" + "ef" * 32)
    evil.offer(box, trader, "EVIL-SEAL")
    stack.demo.clients["antwerp_trader"].accept(box, "EVIL-SEAL")
    code = "ZQ"
    governance = stack.demo.clients["governance"]
    governance.admit_participant(code, "Free\x1b]8;;http://evil.example\x07land\x1b]8;;\x07\u202e")
    authority = Account.create()
    governance.appoint_authority(code, authority.address, "Office\x1b[1A\x1b[2K of " + HOSTILE_NAME)

    anyone = stack.kp("anonymous")
    for args in (("account", "show", hostile.address), ("account", "show", authority.address),
                 ("parcel", "provenance", str(parcel)), ("certificate", "show", number),
                 ("consignment", "show", str(box)), ("parcel", "show", str(parcel)), ("participant", "show", code)):
        shown = anyone.run(*args, json_out=False)
        assert shown.exit_code == 0, (args, shown.stderr)
        assert raw_controls(shown.stdout + shown.stderr) == [], (args, shown.stdout)
        as_json = anyone.run(*args)
        assert raw_controls(as_json.stdout) == [] and json.loads(as_json.stdout), args  # --json: JSON escapes
    text = anyone.run("account", "show", hostile.address, json_out=False).stdout
    # shown, visibly escaped, on one line each: not stripped, not interpreted
    assert text.splitlines()[0] == f"Evil\\x1b]0;pwned\\x07 Mining\\x1b[2J\\x9b31m\\r\\u202eLtd ({hostile.address})"
    assert "licence: CA-\\x1b[8mHIDDEN\\x1b[0m-1" in squash(text)
    assert "registry reference: REF\\nverdict: ok\\u2066" in squash(text)
    provenance = anyone.run("parcel", "provenance", str(parcel), json_out=False).stdout
    assert "Evil\\x1b]0;pwned\\x07 Mining" in provenance
    officer = anyone.run("account", "show", authority.address, json_out=False).stdout
    assert "Free\\x1b]8;;http://evil.example\\x07land\\x1b]8;;\\x07\\u202e (ZQ)" in officer

    # in a real terminal too, and for what kp passes through as the API serves it: the statistics' CSV (which names
    # the participants) is escaped on a terminal and exact when piped to a file or a program
    producer = Account.create()
    KPClient(stack.server.url, "0x" + authority.key.hex()).license_operator(producer.address, ["producer"],
                                                                            HOSTILE_NAME, "ZQ-1")
    KPClient(stack.server.url, "0x" + producer.key.hex()).register_parcel(
        points=700, hs_code=GEM, origin=code, document_hash="0x" + "cd" * 32, stones=1)
    year = str(datetime.now(UTC).year)
    for args in (("account", "show", hostile.address), ("parcel", "provenance", str(parcel)),
                 ("statistics", "summary", "--year", year, "--csv")):
        shown = in_a_terminal(stack.server.url, *args)
        assert raw_controls(shown.replace("\r\n", "\n")) == [], (args, shown)
    assert "ZQ,Free\\x1b]8;;http://evil.example\\x07land" in in_a_terminal(stack.server.url, "statistics", "summary",
                                                                          "--year", year, "--csv")
    piped = subprocess.run([str(KP), "--api", stack.server.url, "statistics", "summary", "--year", year, "--csv"],
                           capture_output=True, timeout=120, check=True).stdout
    assert piped == stack.api(f"/v1/statistics/summary?year={year}&basis=crossing&format=csv").content  # exact


def test_the_verdict_reaches_the_terminal_escaped_from_a_fake_api_and_a_hostile_file_name(stack, tmp_path):
    """`kp verify`, `kp certificate verify` and `kp document verify` print the verdict's words as the API sends them
    and the file's name: a fake API (or a compromised one) and a file named by whoever handed it over can carry
    escape sequences, carriage returns, line breaks and bidirectional overrides; kp shows them visibly escaped."""
    from tests.support.console import FakeApi

    pdf = tmp_path / "BW0000001\x1b]0;pwned\x07\r\u202e.pdf"  # a name a file may have on Linux: anything but / and NUL
    pdf.write_bytes((stack.demo.documents_dir / "BW0000001.pdf").read_bytes())
    forged = "\x1b[2K\r\u2705 Genuine, and valid.\nverdict: ok\u202e"

    def hostile(real: dict[str, Any]) -> dict[str, Any]:
        return {**real, "verdict": {**real["verdict"], "words": real["verdict"]["words"] + forged}}

    fake = FakeApi(stack.server.url, {f"/v1/verify/{document_hash(pdf)}": hostile})
    try:
        kp = Kp(CliRunner(mix_stderr=False), fake.url, tmp_path / "no-key.json")
        for args in (("verify", str(pdf)), ("certificate", "verify", str(pdf), "--number", "BW0000001"),
                     ("document", "verify", "certificate", "BW0000001", str(pdf))):
            shown = kp.run(*args, json_out=False)
            assert shown.exit_code == 0, (args, shown.stderr)
            assert raw_controls(shown.stdout + shown.stderr) == [], (args, shown.stdout)
            first, second = shown.stdout.splitlines()[:2]
            assert first.endswith("\\x1b[2K\\r\u2705 Genuine, and valid.\\nverdict: ok\\u202e"), (args, first)
            assert second.startswith("  BW0000001\\x1b]0;pwned\\x07\\r\\u202e.pdf: SHA-256 0x"), (args, second)
    finally:
        fake.close()
    assert fake.asked("GET"), "kp asked the fake API"


KP = Path(sys.executable).with_name("kp")


def in_a_terminal(api: str, *args: str) -> str:
    """What `kp ARGS` writes to a terminal (a pseudo-terminal as its standard output and error)."""
    main, child = pty.openpty()
    with subprocess.Popen([str(KP), "--api", api, *args], stdin=subprocess.DEVNULL, stdout=child, stderr=child) as run:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65_536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert run.wait(timeout=120) == 0, b"".join(chunks)
    os.close(main)
    return b"".join(chunks).decode()


# ---------------------------------------------------------------- documents of any record


def test_documents_are_filed_read_and_checked_against_their_record(stack, tmp_path):
    mine, outsider, anyone = stack.kp("ca_mine"), stack.kp("unlicensed"), stack.kp("anonymous")
    note = tmp_path / "rom-note.txt"
    note.write_bytes(f"run of mine {time.time()}\n".encode())
    parcel = str(stack.demo.clients["ca_mine"].register_parcel(
        points=500, hs_code=GEM, origin="CA", document_hash=document_hash(note))["result"]["parcel_id"])
    other = tmp_path / "other.txt"
    other.write_bytes(b"not the anchored one")
    refused(mine.run("document", "file", "parcel", parcel, str(other)), "DocumentMismatch")
    refused(outsider.run("document", "file", "parcel", parcel, str(note)), "NotEntitled")
    filed = mine("document", "file", "parcel", parcel, str(note), "--content-type", "text/plain")
    assert filed["already_filed"] is False and filed["sha256"] == document_hash(note)
    # the same signed request twice within one second is a replay to the API: the client signs it again
    assert mine("document", "file", "PARCEL", parcel, str(note))["already_filed"] is True

    got = tmp_path / "got.txt"
    info = mine("document", "get", "parcel", parcel, "-o", str(got))
    assert got.read_bytes() == note.read_bytes() and info["content_type"].startswith("text/plain")
    assert mine.run("document", "get", "parcel", parcel).stdout_bytes == note.read_bytes()
    refused(outsider.run("document", "get", "parcel", parcel, "-o", str(tmp_path / "x")), "NotEntitled")
    refused(anyone.run("document", "get", "parcel", parcel), "NoKeystore")
    assert not (tmp_path / "x").exists()
    eu = stack.kp("eu_authority")
    assert eu.run("document", "get", "certificate", "BW0000001").stdout_bytes == (
        stack.demo.documents_dir / "BW0000001.json").read_bytes()

    assert anyone("document", "verify", "parcel", parcel, str(note))["matches"] is True
    refused(anyone.run("document", "verify", "parcel", parcel, str(other)), "DocumentMismatch")
    refused(anyone.run("document", "verify", "certificate", "BW0000001", str(note)), "DocumentMismatch")
    refused(anyone.run("document", "verify", "parcel", "999999", str(note)), "ParcelNotFound")
    refused(anyone.run("document", "verify", "parcel", "abc", str(note)), "Usage:", exit_code=2)
    refused(anyone.run("document", "verify", "lot", "1", str(note)), "Usage:", exit_code=2)
    number, _ = certified(stack, tmp_path, file=False)
    refused(stack.kp("ca_authority").run("document", "get", "certificate", number), "DocumentNotFiled")


# ---------------------------------------------------------------- KP statistics


def test_statistics_are_the_apis_figures_as_tables_json_and_csv(stack, tmp_path):
    now = datetime.now(UTC)
    year, quarter = str(now.year), str((now.month - 1) // 3 + 1)
    anyone = stack.kp("anonymous")
    path = f"/v1/statistics/participants/EU/trade?year={year}&quarter={quarter}"
    report = stack.api(path).json()
    text = anyone.run("statistics", "trade", "EU", "--year", year, "--quarter", quarter, json_out=False).stdout
    assert text.startswith(f"KP trade statistics of European Union (EU), {year}, Q{quarter}, by border crossing")
    assert report["rows"] and all(r["carats"] in text and f"{r['partner_name']} ({r['partner']})" in text
                                  for r in report["rows"])
    assert anyone("statistics", "trade", "EU", "--year", year, "--quarter", quarter) == report
    csv = stack.api(path + "&format=csv").content
    assert anyone.run("statistics", "trade", "EU", "--year", year, "--quarter", quarter, "--csv").stdout_bytes == csv
    assert anyone.run("statistics", "trade", "EU", "--year", year, "--quarter", quarter, "--csv", "-o",
                      str(tmp_path / "t.csv")).exit_code == 0
    assert (tmp_path / "t.csv").read_bytes() == csv
    assert anyone.run("statistics", "summary", "--year", year, "-o", str(tmp_path / "s.json")).exit_code == 0
    assert json.loads((tmp_path / "s.json").read_bytes()) == stack.api(f"/v1/statistics/summary?year={year}").json()
    production = anyone.run("statistics", "production", "BW", "--year", year, json_out=False).stdout
    assert "KP production statistics of Botswana (BW)" in production and "8200.50" in production

    valued = stack.kp("eu_authority").run("statistics", "trade", "EU", "--year", year, "--value", json_out=False)
    assert valued.exit_code == 0 and "41300000.00" in valued.stdout and "value USD" in valued.stdout
    refused(stack.kp("ca_authority").run("statistics", "trade", "EU", "--year", year, "--value"), "NotEntitled")
    refused(anyone.run("statistics", "trade", "EU", "--year", year, "--value"), "NoKeystore")
    refused(anyone.run("statistics", "trade", "XX", "--year", year), "ParticipantNotFound")
    refused(anyone.run("statistics", "production", "BW", "--year", "1999"), "Usage:", exit_code=2)


# ---------------------------------------------------------------- random arguments against the live API


READS = [("certificate", "show"), ("certificate", "slip"), ("certificate", "verify"), ("certificate", "print"),
         ("certificate", "file"), ("account", "show"), ("statistics", "trade"), ("statistics", "production"),
         ("statistics", "summary"), ("document", "get"), ("document", "verify")]


@pytest.mark.parametrize(("path", "command"), [(p, c) for p, c in leaf_commands() if p in READS],
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_random_arguments_against_the_live_api_are_answered_in_one_line(stack, path, command, tmp_path, monkeypatch):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    monkeypatch.chdir(tmp_path)  # files written by -o land here
    files = [str(stack.demo.documents_dir / "BW0000001.pdf"), str(stack.demo.documents_dir / "BW0000001.json")]
    known = ["BW0000001", "EU0000001", "CA0000001", "1", "4", "EU", "BW", "2026", "parcel", "certificate",
             stack.demo.addr("antwerp_trader")]
    values = st.one_of(st.sampled_from(HOSTILE + files + known), st.text(max_size=12))
    params = [p for p in command.params if p.name != "help"]
    kp = stack.kp("antwerp_trader")

    @settings(max_examples=8, deadline=None, database=None)
    @given(st.lists(values, min_size=len(params), max_size=len(params)), st.booleans())
    def run(chosen: list[str], as_json: bool) -> None:
        args = random_args(command, chosen)
        assert_one_line_refusal(kp.run(*path, *args, json_out=as_json), (path, args))

    run()
