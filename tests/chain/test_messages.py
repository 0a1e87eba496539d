"""Messages say what happened and what to do: which account lacks which role (by name), which participant is
suspended, a chain or an API that does not answer, a wrong keystore password; each seen where a person meets it
(the API's answer, the `kp` command line, the backend's log), on a real chain."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from click.testing import CliRunner
from eth_account import Account

from kpledger.chain.messages import role_name
from kpledger.cli import cli
from kpledger.client import ClientError, KPClient, seal_id
from kpledger.core.constants import EXPORTER, IMPORTER, PRODUCER
from kpledger.dev.stack import ApiServer, LocalChain, dev_key

PASSWORD = "first hour"
GEM = 710231


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """BW and EU admitted, each with an authority; a BW mine (producer, exporter) and an EU importer licensed; a sealed
    consignment at the mine."""
    node = LocalChain(tmp_path_factory.mktemp("messages") / "data")
    server = ApiServer(node.url, node.data_dir)
    keys = {name: dev_key(i) for i, name in enumerate(["relayer", "governance", "bw", "eu", "mine", "importer",
                                                       "stranger"])}
    c = {name: KPClient(server.url, key) for name, key in keys.items()}
    for code, name in (("BW", "Botswana"), ("EU", "European Union")):
        c["governance"].admit_participant(code, name)
    c["governance"].appoint_authority("BW", c["bw"].address, "BW authority")
    c["governance"].appoint_authority("EU", c["eu"].address, "EU authority")
    c["bw"].license_operator(c["mine"].address, PRODUCER | EXPORTER, "Mine Ltd", "L-1")
    c["eu"].license_operator(c["importer"].address, IMPORTER, "Importer NV", "L-2")
    parcel = c["mine"].register_parcel(points=10_000, hs_code=GEM, origin="BW", document_hash="0x" + "11" * 32)
    box = c["mine"].seal_consignment([parcel["result"]["parcel_id"]], seal_id("S-1"))["result"]["consignment_id"]
    yield node, server, c, box
    server.close()
    node.close()


def refusal(call) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def test_role_ids_are_named_as_the_registry_derives_them(world):
    node = world[0]
    registry = node.registry.functions
    assert role_name("0x" + "00" * 32) == "governance"
    assert role_name("0x" + registry.authorityRole(b"EU").call().hex()) == "authority of EU"
    assert role_name("0x" + registry.operatorRole(b"BW", EXPORTER).call().hex()) == "exporter of BW"
    assert role_name("0x" + registry.operatorRole(b"ZW", IMPORTER).call().hex()) == "importer of ZW"
    assert role_name("0x" + "ab" * 32) == "role 0x" + "ab" * 32


def test_an_account_without_the_governance_role_is_told_which_role_it_lacks(world):
    _, _, c, _ = world
    exc = refusal(lambda: c["stranger"].admit_participant("ZA", "South Africa"))
    assert exc.code == "AccessControlUnauthorizedAccount" and exc.status == 403
    assert exc.message == (f"{c['stranger'].address} lacks the governance role, which this action needs: only the KP "
                           "governance (the Chair / Secretariat) may do it. Sign with the governance keystore (on a "
                           "development ledger: kp dev governance).")
    assert exc.details == {"account": c["stranger"].address, "neededRole": "0x" + "00" * 32}


def test_operators_are_told_which_licence_they_lack(world):
    _, _, c, box = world
    exc = refusal(lambda: c["stranger"].register_parcel(points=100, hs_code=GEM, origin="BW",
                                                        document_hash="0x" + "22" * 32))
    assert exc.code == "KPLedgerNotOperator"
    assert exc.message == (f"{c['stranger'].address} is not a licensed operator of any participant: an authority "
                           "licenses it first (kp operator license ADDRESS --role ...)")
    exc = refusal(lambda: c["importer"].register_parcel(points=100, hs_code=GEM, origin="EU",
                                                        document_hash="0x" + "23" * 32))
    assert exc.code == "KPLedgerMissingRole"
    assert exc.message.startswith(f"{c['importer'].address} is not licensed as producer, which this action needs")


def test_a_suspended_importer_is_named_not_the_issuing_authority(world):
    _, server, c, box = world
    now = int(time.time())
    issue = {"number": "BW0000001", "importer": "EU", "importer_account": c["importer"].address,
             "consignment_id": box, "points": 10_000, "parcel_count": 1, "hs_codes": [GEM], "origins": ["BW"],
             "issued_at": now - 60, "expires_at": now + 86_400, "document_hash": "0x" + "33" * 32}
    c["governance"].suspend_participant("EU", "test")
    try:
        exc = refusal(lambda: c["bw"].issue_certificate(**issue))
    finally:
        c["governance"].reinstate_participant("EU")
    assert exc.code == "KPCertificatesParticipantSuspended" and exc.details == {"participant": "EU"}
    assert exc.message == ("participant EU is suspended: while it is, its authorities neither issue nor confirm "
                           "certificates, and no certificate may name it as the importing participant; governance can "
                           "reinstate it (kp participant reinstate EU).")
    c["governance"].suspend_participant("BW", "test")  # now the authority's own participant
    try:
        exc = refusal(lambda: c["bw"].issue_certificate(**issue))
    finally:
        c["governance"].reinstate_participant("BW")
    assert exc.code == "KPCertificatesParticipantSuspended" and exc.details == {"participant": "BW"}
    assert exc.message.startswith("participant BW is suspended")


def test_the_command_line_prints_the_message_in_one_line(world, tmp_path):
    _, server, c, _ = world
    keystore = tmp_path / "stranger.json"
    keystore.write_text(json.dumps(Account.encrypt(dev_key(6), PASSWORD)))
    result = CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False).invoke(
        cli, ["--api", server.url, "--keystore", str(keystore), "participant", "admit", "ZA", "South Africa"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error AccessControlUnauthorizedAccount: {c['stranger'].address} lacks the governance role, which this "
        "action needs: only the KP governance (the Chair / Secretariat) may do it. Sign with the governance keystore "
        "(on a development ledger: kp dev governance).")
    wrong = CliRunner(env={"KP_PASSWORD": "not it"}, mix_stderr=False).invoke(
        cli, ["--api", server.url, "--keystore", str(keystore), "participant", "admit", "ZA", "South Africa"])
    assert wrong.exit_code == 1
    assert wrong.stderr == (f"error KeystoreLocked: wrong password for {keystore}: try again (KP_PASSWORD, "
                            "--password-file or the prompt)\n")


def test_an_api_that_is_not_running_is_named_with_what_to_do(tmp_path):
    result = CliRunner(mix_stderr=False).invoke(cli, ["--api", "http://127.0.0.1:9", "status"])
    assert result.exit_code == 1
    assert result.stderr == ("error Unreachable: the KP Ledger API at http://127.0.0.1:9 is not reachable (nothing "
                             "answers there): is it running? Start it with make run, or give its URL with --api / "
                             "KP_API\n")


def test_a_chain_that_is_down_is_said_in_words_once_and_when_it_is_back(tmp_path):
    node = LocalChain(tmp_path / "data")
    server = ApiServer(node.url, node.data_dir)
    try:
        governance = KPClient(server.url, dev_key(1))
        governance.admit_participant("BW", "Botswana")
        node.process.terminate()  # anvil saves its state and stops
        node.process.wait(timeout=30)
        exc = refusal(lambda: governance.admit_participant("EU", "European Union"))
        assert (exc.code, exc.status) == ("ChainUnavailable", 503)
        assert exc.message == ("the backend cannot reach its chain node (connection refused: is it running?): start "
                               "the chain (make run starts the embedded one) or correct KP_RPC_URL, then try again")
        health = httpx.get(server.url + "/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["message"] == (
            "the backend cannot reach its chain node: start the chain (make run starts the embedded one) or correct "
            "KP_RPC_URL, then try again")
        cli_status = CliRunner(mix_stderr=False).invoke(cli, ["--api", server.url, "status"])
        assert cli_status.exit_code == 1 and cli_status.stderr.startswith(
            "error ChainUnavailable: the backend cannot reach its chain node")
        time.sleep(2)  # ten indexer polls
        node.restart()
        deadline = time.monotonic() + 30
        while "the chain answers again" not in server.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log_path.read_text()
        assert log.count("indexer step failed") == 1, log[-3000:]
        assert "the chain answers again, indexing resumes" in log
        assert governance.admit_participant("EU", "European Union")["status"] == "mined"
    finally:
        server.close()
        node.close()
