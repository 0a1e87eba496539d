"""The `kp` command line and its client library: helpers, signing, and a full journey against the real API."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from kpledger import client as kc
from kpledger.cli import cli
from kpledger.cli.base import USD
from kpledger.client import ClientError, KPClient, Part
from kpledger.core.actions import ACTIONS
from kpledger.signing import typed_data
from tests.support.cli import HOSTILE, PASSWORD, Kp, all_commands, assert_one_line_refusal, leaf_commands, random_args

GEM, UNSORTED = 710231, 710210


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(("text", "expected"), [
    ("123.45", 12_345), ("1", 100), ("0.1", 10), ("0.01", 1), ("60.00", 6_000), (" 7.5 ", 750), ("1e2", 10_000),
])
def test_carats_are_converted_to_points_exactly(text, expected):
    assert kc.points(text) == expected


@pytest.mark.parametrize("text", ["1.234", "0.001", "123.455", "abc", "", "-1", "0", "0.00", "NaN", "inf"])
def test_weights_with_more_than_2_decimals_or_not_positive_are_refused(text):
    with pytest.raises(ValueError):
        kc.points(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("41300000", "41300000.00"), ("125000.5", "125000.50"), ("1,000.25", "1000.25"), ("0", "0.00"), ("-0", "0.00"),
    ("999999999999999.99", "999999999999999.99"),
])
def test_values_in_usd_are_kept_as_exact_decimal_strings(text, expected):
    assert USD.convert(text, None, None) == expected


@pytest.mark.parametrize("text", ["1.234", "-1", "nan", "inf", "1e15", "abc", ""])
def test_values_in_usd_with_3_decimals_or_out_of_range_are_refused(text):
    with pytest.raises(click.BadParameter):
        USD.convert(text, None, None)


def test_points_print_back_as_carats():
    assert kc.carats(12_345) == "123.45" and kc.carats(100) == "1.00" and kc.carats(1) == "0.01"


def test_role_names_and_bits():
    assert kc.ROLES == {"authority": 1, "producer": 2, "exporter": 4, "importer": 8, "trader": 16,
                        "manufacturer": 32}
    assert kc.role_bits(["producer", "Exporter"]) == 6
    assert kc.role_bits([]) == 0
    assert kc.role_names(8 | 16) == ["importer", "trader"]
    assert kc.role_names(kc.role_bits(kc.ROLES)) == list(kc.ROLES)
    with pytest.raises(ValueError, match="unknown role"):
        kc.role_bits(["smuggler"])


def test_seal_ids_hash_labels_and_keep_hex():
    assert kc.seal_id("BW-SEAL-1") == "0x" + keccak(text="BW-SEAL-1").hex()
    raw = "0x" + "Ab" * 32
    assert kc.seal_id(raw) == raw.lower()
    with pytest.raises(ValueError):
        kc.seal_id("")


def test_short_texts_become_bytes32():
    assert kc.text_bytes32("fraud") == "0x" + b"fraud".ljust(32, b"\0").hex()
    with pytest.raises(ValueError):
        kc.text_bytes32("x" * 33)


def test_documents_are_hashed_with_sha256(tmp_path):
    f = tmp_path / "doc.pdf"
    f.write_bytes(b"%PDF-1.7 parcel" * 10_000)
    assert kc.document_hash(f) == "0x" + hashlib.sha256(f.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the client against a stub API


CONFIG = {"chain_id": 31337, "start_block": 0, "contracts": {
    "KPRegistry": "0x" + "11" * 20, "KPLedger": "0x" + "22" * 20, "KPCertificates": "0x" + "33" * 20}}


def stub(posts: list[tuple[str, dict]], refuse: dict | None = None) -> httpx.Client:
    """An httpx client whose transport plays the API: config, nonces, and writes recorded in `posts`."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/config":
            return httpx.Response(200, json=CONFIG)
        if path.endswith("/nonces"):
            return httpx.Response(200, json={"KPRegistry": 3, "KPLedger": 5, "KPCertificates": 0})
        if refuse is not None:
            return httpx.Response(403, json=refuse)
        if path.startswith("/v1/verify"):
            posts.append((request.url.raw_path.decode(), {"content": request.content}))
            return httpx.Response(200, json={"matches": True})
        body = json.loads(request.content)
        posts.append((path, body))
        return httpx.Response(200, json={"action": "x", "status": "mined", "tx_hash": "0x01", "result": {}})

    return httpx.Client(base_url="http://api", transport=httpx.MockTransport(handle))


def recover(action: str, body: dict[str, Any]) -> str:
    contract = ACTIONS[action].contract
    typed = typed_data.typed_data(action, body["message"], body["signer"], body["nonce"], body["deadline"],
                              chain_id=CONFIG["chain_id"], verifying_contract=CONFIG["contracts"][contract])
    return Account.recover_message(encode_typed_data(full_message=typed), signature=body["signature"])


def test_the_client_signs_each_action_for_its_contract_with_the_next_nonce():
    posts: list[tuple[str, dict]] = []
    key = "0x" + "42" * 32
    c = KPClient("http://api", key, http=stub(posts), ttl=600)
    seal = kc.seal_id("box")
    c.split_parcel(7, children=[Part(6_000, GEM), {"points": 4_000, "hsCode": GEM}])
    c.offer(9, "0x" + "ab" * 20, "box")
    c.license_operator("0x" + "cd" * 20, ["producer", "exporter"], "Kalahari Ridge Mining", "BW-ML-1")
    c.confirm_import("BW0000001")
    assert [p for p, _ in posts] == ["/v1/parcels/7/split", "/v1/lots/9/offer", "/v1/operators/license",
                                     "/v1/certificates/BW0000001/confirm"]
    actions = ["SplitParcel", "OfferCustody", "LicenseOperator", "ConfirmImport"]
    for (_, body), action in zip(posts, actions, strict=True):
        assert recover(action, body) == body["signer"] == Account.from_key(key).address
        assert body["nonce"] == {"KPRegistry": 3, "KPLedger": 5, "KPCertificates": 0}[ACTIONS[action].contract]
    split = posts[0][1]["message"]
    assert split["children"][1] == {"points": 4_000, "stones": 0, "hsCode": GEM, "documentHash": kc.ZERO32}
    assert posts[1][1]["message"]["sealId"] == seal
    assert posts[2][1]["message"]["roles"] == 6


def test_documents_are_posted_raw_for_verification():
    posts: list[tuple[str, dict]] = []
    c = KPClient("http://api", http=stub(posts))
    assert c.verify(b"%PDF", "BW0000001") == {"matches": True}
    c.verify(b"%PDF")
    assert posts == [("/v1/verify/certificates/BW0000001", {"content": b"%PDF"}), ("/v1/verify", {"content": b"%PDF"})]


def test_a_verdict_is_asked_with_the_hash_alone():
    asked: list[tuple[str, dict]] = []
    c = KPClient("http://api", http=stub(asked))
    digest = "0x" + "ab" * 32
    c.verdict(digest, certificate="BW0000001")
    c.verdict(digest, lot_id=9)
    c.verdict(digest)
    assert asked == [(f"/v1/verify/{digest}?certificate=BW0000001", {"content": b""}),
                     (f"/v1/verify/{digest}?lot=9", {"content": b""}), (f"/v1/verify/{digest}", {"content": b""})]


def test_refusals_raise_client_errors_with_the_api_code():
    refusal = {"code": "KPLedgerNotHolder", "message": "not the holder", "details": {"lotId": 9}}
    c = KPClient("http://api", "0x" + "42" * 32, http=stub([], refuse=refusal))
    with pytest.raises(ClientError) as info:
        c.withdraw_offer(9)
    assert (info.value.code, info.value.message, info.value.details, info.value.status) == (
        "KPLedgerNotHolder", "not the holder", {"lotId": 9}, 403)


# ---------------------------------------------------------------- the command line without a server


def test_every_command_has_help():
    runner = CliRunner()
    for path in all_commands(cli):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: " in result.output and len(result.output.splitlines()) > 3, path


def test_a_weight_with_3_decimals_is_refused_before_anything_is_signed(tmp_path):
    doc = tmp_path / "doc"
    doc.write_bytes(b"x")
    result = CliRunner(mix_stderr=False).invoke(cli, [
        "--api", "http://127.0.0.1:9", "parcel", "register", "--carats", "1.234", "--hs", str(UNSORTED),
        "--origin", "BW", "--document", str(doc)])
    assert result.exit_code == 2 and "more than 2 decimals" in result.stderr


def test_keys_are_created_imported_and_shown(tmp_path):
    runner = CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False)
    made = runner.invoke(cli, ["--json", "key", "new", "--keystore", str(tmp_path / "a.json")])
    assert made.exit_code == 0, made.output
    address = json.loads(made.output)["address"]
    assert runner.invoke(cli, ["--keystore", str(tmp_path / "a.json"), "key", "show"]).output.strip() == address
    again = runner.invoke(cli, ["key", "new", "--keystore", str(tmp_path / "a.json")])
    assert again.exit_code == 1 and "error KeystoreExists" in again.stderr
    key = "0x" + "42" * 32
    imported = runner.invoke(cli, ["--keystore", str(tmp_path / "b.json"), "key", "import"], input=key + "\n")
    assert imported.exit_code == 0, imported.output
    assert Account.from_key(key).address in imported.output
    stored = json.loads((tmp_path / "b.json").read_text())
    assert Account.decrypt(stored, PASSWORD) == bytes.fromhex(key[2:])
    wrong = CliRunner(env={"KP_PASSWORD": "wrong"}, mix_stderr=False).invoke(
        cli, ["--keystore", str(tmp_path / "b.json"), "custody", "withdraw", "1"])
    assert wrong.exit_code == 1 and wrong.stderr.startswith("error KeystoreLocked:")


# ---------------------------------------------------------------- the journey against the real API


def test_a_parcel_goes_from_the_mine_across_the_border_through_the_cli(server, actors, tmp_path):
    runner = CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False)
    kp: dict[str, Kp] = {}
    for name in ("governance", "bw_authority", "eu_authority", "mine", "eu_trader"):
        store = tmp_path / f"{name}.json"
        result = runner.invoke(cli, ["--keystore", str(store), "key", "import"],
                               env={"KP_PRIVATE_KEY": "0x" + actors[name].key.hex()})
        assert result.exit_code == 0, result.output
        kp[name] = Kp(runner, server.url, store)
        assert kp[name].run("key", "show", json_out=False).stdout.strip() == actors[name].address

    status = kp["mine"].run("status", json_out=False)
    assert status.exit_code == 0 and "chain_id: 31337" in status.stdout

    # governance admits the participants and appoints their authorities
    gov = kp["governance"]
    assert gov("participant", "admit", "BW", "Botswana")["action"] == "AdmitParticipant"
    gov("participant", "admit", "EU", "European Union")
    gov("authority", "appoint", "BW", actors["bw_authority"].address, "--name", "Government Diamond Valuator")
    gov("authority", "appoint", "EU", actors["eu_authority"].address, "--name", "EU KP Authority")

    # authorities license their operators, by name
    kp["bw_authority"]("operator", "license", actors["mine"].address, "--role", "producer", "--role", "exporter",
                       "--name", "Kalahari Ridge Mining", "--licence", "BW-ML-2019-004")
    kp["eu_authority"]("operator", "license", actors["eu_trader"].address, "--role", "importer",
                       "--role", "trader", "--name", "Antwerp Rough Trading NV", "--licence", "BE-0412.771.093")

    # the mine registers a run-of-mine parcel, sorts it into two gem parcels and seals them
    mine = kp["mine"]
    parcel_doc, part_doc, cert_doc = tmp_path / "parcel.pdf", tmp_path / "part.pdf", tmp_path / "BW0000001.pdf"
    for f in (parcel_doc, part_doc, cert_doc):
        f.write_bytes(f"document {f.name}".encode())
    registered = mine.run("parcel", "register", "--carats", "100.00", "--hs", str(UNSORTED), "--origin", "BW",
                          "--document", str(parcel_doc), "--stones", "50", json_out=False)
    assert registered.exit_code == 0, registered.output
    assert registered.stdout.startswith("RegisterParcel mined in block ") and "tx: 0x" in registered.stdout
    parcel_id = int(registered.stdout.split("parcel_id: ")[1].split()[0])
    split = mine("parcel", "split", str(parcel_id), "--part", f"60.00:{GEM}:20",
                 "--part", f"40.00:{GEM}:30:{part_doc}")
    children = split["result"]["child_ids"]
    assert len(children) == 2 and split["status"] == "mined" and split["tx_hash"].startswith("0x")
    sealed = mine("consignment", "seal", *map(str, children), "--seal", "BW-SEAL-0001")
    consignment = sealed["result"]["consignment_id"]
    shown = mine("consignment", "show", str(consignment))  # a write returns once the API has indexed it
    assert sorted(shown["parcel_ids"]) == sorted(children) and shown["points"] == 10_000

    # a refusal: the mine is no authority, so it cannot certify its own consignment
    refused = mine.run("certificate", "issue", "--number", "BW0000009", "--importer", "EU", "--importer-account",
                       actors["eu_trader"].address, "--consignment", str(consignment), "--carats", "100",
                       "--parcels", "2", "--hs", "7102.31", "--origin", "BW", "--document", str(cert_doc),
                       json_out=False)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error KPCertificatesNotAuthority: "), refused.stderr

    # the Botswana authority certifies the consignment for the EU
    issued = kp["bw_authority"]("certificate", "issue", "--number", "BW0000001", "--importer", "EU",
                                "--importer-account", actors["eu_trader"].address,
                                "--consignment", str(consignment), "--carats", "100.00", "--parcels", "2",
                                "--hs", str(GEM), "--origin", "BW", "--expires-days", "30",
                                "--document", str(cert_doc))
    assert issued["result"]["number"] == "BW0000001"

    # across the border: offer under the seal, accepted with the same seal
    mine("custody", "offer", str(consignment), "--to", actors["eu_trader"].address, "--seal", "BW-SEAL-0001")
    accepted = kp["eu_trader"]("custody", "accept", str(consignment), "--seal", "BW-SEAL-0001")
    assert accepted["result"]["transferred"] is True

    # the EU authority confirms the import; a second confirmation is refused
    assert kp["eu_authority"]("certificate", "confirm", "BW0000001")["status"] == "mined"
    again = kp["eu_authority"].run("certificate", "confirm", "BW0000001", json_out=False)
    assert again.exit_code == 1 and again.stderr.startswith("error KPCertificatesWrongStatus: "), again.stderr

    # reads: the certificate, the parcel's provenance, and the document check
    for args in (("certificate", "show", "BW0000001"), ("parcel", "show", str(children[0])),
                 ("parcel", "provenance", str(children[0])), ("consignment", "show", str(consignment)),
                 ("participant", "show", "BW"), ("verify", "--certificate", "BW0000001", str(cert_doc))):
        shown = mine.run(*args, json_out=False)
        assert shown.exit_code == 0, (args, shown.output)
        assert shown.stdout.strip(), args
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(cert_doc.read_bytes() + b" ")
    checked = mine.run("verify", "--certificate", "BW0000001", str(tampered), json_out=False)
    assert checked.exit_code == 1 and checked.stderr.startswith("error DocumentMismatch: ")


# ---------------------------------------------------------------- no traceback, whatever the input

@pytest.fixture(scope="module")
def keystore(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ks") / "key.json"
    path.write_text(json.dumps(Account.encrypt("0x" + "42" * 32, PASSWORD)))
    return path


def test_the_random_arguments_reach_every_command_of_the_tree():
    fuzzed = {path for path, _ in leaf_commands()}
    for path in [("document", "file"), ("document", "get"), ("document", "verify"), ("certificate", "compose"),
                 ("certificate", "file"), ("certificate", "print"), ("certificate", "slip"), ("certificate", "verify"),
                 ("certificate", "show"), ("account", "show"), ("statistics", "trade"), ("statistics", "production"),
                 ("statistics", "summary")]:
        assert path in fuzzed, path


@pytest.mark.parametrize(("path", "command"), leaf_commands(), ids=lambda v: " ".join(v) if isinstance(v, tuple)
                         else "")
def test_no_input_makes_the_cli_print_a_traceback(path, command, keystore, tmp_path, monkeypatch):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    monkeypatch.chdir(tmp_path)  # `kp key new --keystore <anything>` writes where it is told: not in the repository

    params = [p for p in command.params if p.name not in ("help",)]
    values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))

    @settings(max_examples=10, deadline=None, database=None)
    @given(st.lists(values, min_size=len(params), max_size=len(params)), st.booleans())
    def run(chosen: list[str], down: bool) -> None:
        args = random_args(command, chosen)
        api = "http://127.0.0.1:9" if down else "http://127.0.0.1:1"
        result = CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False).invoke(
            cli, ["--api", api, "--keystore", str(keystore), *path, *args], input="\n")
        assert_one_line_refusal(result, (path, args))

    run()


@pytest.mark.parametrize("argv", [
    ["participant", "suspend", "BW", "--reason", "a reason of more than thirty-two bytes"],
    ["consignment", "seal", "1", "--seal", ""],
    ["certificate", "issue", "--number", "BW1", "--importer", "EU", "--consignment", "1", "--expires-days", "inf",
     "--document", __file__],
    ["parcel", "register", "--carats", "1e30", "--hs", "710210", "--origin", "BW", "--document", __file__],
    ["status"],
], ids=["long-reason", "empty-seal", "infinite-expiry", "huge-carats", "server-down"])
def test_the_cases_once_seen_as_tracebacks_are_one_line(argv, keystore, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False).invoke(
        cli, ["--api", "http://127.0.0.1:9", "--keystore", str(keystore), *argv])
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr + result.output, result.stderr
    assert result.stderr.startswith(("error ", "Usage:")), result.stderr
