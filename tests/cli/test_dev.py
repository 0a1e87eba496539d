"""`kp dev governance`: the development governance in one step on a development ledger, refused anywhere else (an API
in production or test, an API that does not say, a ledger governed by another account), in one line, writing
nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from eth_account import Account

from kpledger.chain.deploy import deploy_ledger
from kpledger.cli import cli
from kpledger.core.devkeys import GOVERNANCE_INDEX, address_of, dev_key
from kpledger.dev.stack import MANIFEST, ApiServer, LocalChain

PASSWORD = "first hour"
GOVERNANCE = address_of(dev_key(GOVERNANCE_INDEX))


def kp(api: str, *argv: str):
    return CliRunner(env={"KP_PASSWORD": PASSWORD}, mix_stderr=False).invoke(cli, ["--api", api, *argv])


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    node = LocalChain(tmp_path_factory.mktemp("dev") / "data")
    yield node
    node.close()


def api_on(chain: LocalChain, folder: Path, environment: str, deployment: Path | None = None,
           relayer_key: str | None = None) -> ApiServer:
    """An API on `chain` in its own data folder (its own index), in `environment`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(deployment or chain.data_dir / "deployment.json", folder / "deployment.json")
    env = {"KP_ENVIRONMENT": environment, **({"KP_RELAYER_KEY": relayer_key} if relayer_key else {}),
           "KP_PUBLIC_BASE_URL": "https://kp.example", "KP_ID_BASE_URL": "https://kp.example"}
    return ApiServer(chain.url, folder, env=env)


def test_the_development_governance_is_one_command_away_and_then_governs(chain, tmp_path):
    server = api_on(chain, tmp_path / "api", "development")
    try:
        assert httpx.get(server.url + "/v1/config").json()["environment"] == "development"
        made = kp(server.url, "dev", "governance", "--keystore", str(tmp_path / "secretariat.json"))
        assert made.exit_code == 0, made.stderr
        assert made.stdout.splitlines()[0] == GOVERNANCE
        stored = json.loads((tmp_path / "secretariat.json").read_text())
        assert Account.decrypt(stored, PASSWORD) == dev_key(GOVERNANCE_INDEX)
        admitted = kp(server.url, "--keystore", str(tmp_path / "secretariat.json"), "participant", "admit", "BW",
                      "Botswana")
        assert admitted.exit_code == 0 and "AdmitParticipant mined" in admitted.stdout, admitted.stderr
        assert httpx.get(server.url + "/v1/participants/BW").json()["status"] == "active"
        again = kp(server.url, "dev", "governance", "--keystore", str(tmp_path / "secretariat.json"))
        assert again.exit_code == 1 and again.stderr.startswith("error KeystoreExists:")
    finally:
        server.close()


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_the_development_governance_is_refused(chain, tmp_path, environment):
    # production refuses the development relayer key outright: this API relays with a key of its own
    server = api_on(chain, tmp_path / "api", environment, relayer_key="0x" + "5a" * 32)
    try:
        assert httpx.get(server.url + "/v1/config").json()["environment"] == environment
        refused = kp(server.url, "dev", "governance", "--keystore", str(tmp_path / "secretariat.json"))
    finally:
        server.close()
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.startswith(f"error DevelopmentOnly: the API at {server.url} runs in the '{environment}' "
                                     "environment: the development keys are public test keys"), refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    assert not (tmp_path / "secretariat.json").exists()


def test_a_production_backend_will_not_even_start_with_a_development_relayer_key(chain, tmp_path):
    with pytest.raises(RuntimeError, match="KP_RELAYER_KEY is key #0 of the public development mnemonic"):
        api_on(chain, tmp_path / "api", "production")


def test_a_ledger_governed_by_another_account_is_refused(chain, tmp_path):
    other = address_of(dev_key(7))
    record = tmp_path / "other-deployment.json"
    deploy_ledger(chain.w3, dev_key(0), other, MANIFEST, record)
    server = api_on(chain, tmp_path / "api", "development", deployment=record)
    try:
        refused = kp(server.url, "dev", "governance", "--keystore", str(tmp_path / "secretariat.json"))
    finally:
        server.close()
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error NotGovernance: {GOVERNANCE} (development key #{GOVERNANCE_INDEX}) is not "
                                     "the governance of the ledger"), refused.stderr
    assert not (tmp_path / "secretariat.json").exists()


def test_an_api_that_does_not_say_its_environment_is_refused(tmp_path):
    """An older API (no `environment` in /v1/config) is not taken for a development one."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class OldApi(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = json.dumps({"chain_id": 31337, "contracts": {}, "start_block": 0}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), OldApi)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        api = f"http://127.0.0.1:{httpd.server_address[1]}"
        refused = kp(api, "dev", "governance", "--keystore", str(tmp_path / "secretariat.json"))
    finally:
        httpd.shutdown()
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error DevelopmentOnly: the API at {api} does not say it runs in development")
    assert not (tmp_path / "secretariat.json").exists()


def test_the_demo_is_refused_by_a_production_api(chain, tmp_path):
    from kpledger.dev.demo import demo_status

    server = api_on(chain, tmp_path / "api", "production", relayer_key="0x" + "5a" * 32)
    try:
        head = chain.head()
        line = demo_status(server.url, tmp_path / "api")
    finally:
        server.close()
    assert line.startswith(f"the demo could not be loaded (after the last step shown): error DevelopmentOnly: the API "
                           f"at {server.url} runs in production: the demo signs with public test keys"), line
    assert chain.head() == head
