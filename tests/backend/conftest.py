"""Backend test support: a real anvil, contracts deployed with web3, the API served over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from kpledger.chain.deploy import deploy_ledger
from kpledger.core.config import Settings
from kpledger.localnet import start_anvil, start_hardhat, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / ".build" / "__local__.json"
MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()
KEYS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key for i in range(12)]
ROLE_AUTHORITY, ROLE_PRODUCER, ROLE_EXPORTER, ROLE_IMPORTER, ROLE_TRADER, ROLE_MANUFACTURER = 1, 2, 4, 8, 16, 32


# ---- which chain the tests run on (a switch for the harness; the lead folds it into the refactored one) ----
# KP_TEST_NODE=anvil (default) | hardhat: the EVM node implementation; KP_TEST_BLOCK_TIME=N: a block every N
# seconds (anvil --block-time / Hardhat interval mining, as a QBFT network's block period) instead of automine.
NODE_KIND = os.environ.get("KP_TEST_NODE", "anvil")
BLOCK_TIME = float(os.environ["KP_TEST_BLOCK_TIME"]) if os.environ.get("KP_TEST_BLOCK_TIME") else None
if NODE_KIND not in ("anvil", "hardhat"):
    raise ValueError(f"KP_TEST_NODE must be anvil or hardhat, not {NODE_KIND!r}")
# tests that need what only anvil has: a state file (restart the chain and keep it), anvil_* methods
anvil_only = pytest.mark.skipif(NODE_KIND != "anvil", reason=f"needs anvil (state file / anvil_*), node is {NODE_KIND}")
# tests that drive mining themselves (evm_setAutomine / evm_mine) and assume one block per transaction
automine_only = pytest.mark.skipif(BLOCK_TIME is not None, reason="assumes automine (KP_TEST_BLOCK_TIME is set)")


def start_chain(data_dir: Path, port: int) -> subprocess.Popen:
    """The test chain's process: anvil or a Hardhat node, automine or interval blocks (see NODE_KIND, BLOCK_TIME)."""
    if NODE_KIND == "hardhat":
        return start_hardhat(data_dir, port, block_time=BLOCK_TIME)
    return start_anvil(data_dir, port, block_time=BLOCK_TIME)
# ---------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Actor:
    name: str
    key: bytes

    @property
    def address(self) -> str:
        return Account.from_key(self.key).address


@dataclass
class Node:
    url: str
    process: subprocess.Popen
    data_dir: Path
    port: int

    @property
    def w3(self) -> Web3:
        return Web3(HTTPProvider(self.url))


def deploy(w3: Web3, deployer: Actor, governance: Actor, record: Path) -> dict:
    """Deploys the ledger contracts from the build manifest (kpledger.chain.deploy)."""
    return deploy_ledger(w3, deployer.key, governance.address, MANIFEST, record)


@pytest.fixture(scope="session")
def actors() -> dict[str, Actor]:
    names = ["relayer", "governance", "bw_authority", "eu_authority", "mine", "bw_exporter", "eu_trader",
             "in_authority", "ca_mine", "ca_authority", "in_cutter", "outsider"]
    return {n: Actor(n, k) for n, k in zip(names, KEYS, strict=True)}


@pytest.fixture
def node(tmp_path: Path, actors) -> Iterator[Node]:
    """A fresh chain (anvil unless KP_TEST_NODE says otherwise) with the contracts deployed; its data folder is the
    test's tmp_path."""
    port = free_port()
    data = tmp_path / "data"
    process = start_chain(data, port)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, process)
    node = Node(url, process, data, port)
    deploy(node.w3, actors["relayer"], actors["governance"], data / "deployment.json")
    yield node
    stop(node.process)  # the crash tests restart the chain: stop the one running now
    if node.process is not process:
        stop(process)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    env: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def start_server(node: Node, port: int | None = None, extra_env: dict[str, str] | None = None) -> Server:
    port = port or free_port()
    env = {**os.environ, "KP_ENVIRONMENT": "test", "KP_RPC_URL": node.url, "KP_DATA_DIR": str(node.data_dir),
           "KP_PORT": str(port), "KP_RELAYER_KEY": "0x" + KEYS[0].hex(), **(extra_env or {})}
    log = open(node.data_dir / f"server-{port}.log", "ab")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen([sys.executable, "-m", "kpledger.api"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(node.data_dir / f'server-{port}.log').read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url, process, env)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("server did not answer /healthz")


def signed_offline(node: Node, actors: dict[str, Actor], tag: str, points: int) -> tuple[Settings, dict]:
    """For tests that drive a Relayer in-process: sets the world up through a server that is then stopped, and
    returns the relayer's Settings and a signed RegisterParcel body (document hash `tag`) not sent yet."""
    from writes_support import UNSORTED, Api, b32, setup_world

    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        body = api.body(actors["mine"], "RegisterParcel", {"points": points, "stones": 1, "hsCode": UNSORTED,
                                                           "origin": "BW", "documentHash": b32(tag)})
    finally:
        stop(server.process)
    settings = Settings(environment="test", rpc_url=node.url, data_dir=node.data_dir, relayer_key="0x" + KEYS[0].hex())
    return settings, body


@pytest.fixture
def server(node) -> Iterator[Server]:
    srv = start_server(node)
    yield srv
    stop(srv.process)


class Direct:
    """Sends contract calls straight to the node, signed with an actor's key (test setup, not the relayer)."""

    def __init__(self, node: Node, actors: dict[str, Actor]):
        from kpledger.chain.contracts import Artifacts, Deployment

        self.w3 = node.w3
        self.actors = actors
        artifacts = Artifacts(MANIFEST)
        deployment = Deployment.load(node.data_dir / "deployment.json")
        self.contracts = {name: self.w3.eth.contract(address=deployment.address(name), abi=artifacts.abis[name])
                          for name in ("KPRegistry", "KPLedger", "KPCertificates")}
        self.registry = self.contracts["KPRegistry"]
        self.ledger = self.contracts["KPLedger"]
        self.certificates = self.contracts["KPCertificates"]

    def send(self, actor: str, contract, function: str, *args) -> dict:
        a = self.actors[actor]
        tx = getattr(contract.functions, function)(*args).build_transaction({
            "from": a.address, "nonce": self.w3.eth.get_transaction_count(a.address), "gasPrice": self.w3.eth.gas_price,
            "chainId": self.w3.eth.chain_id})
        signed = Account.sign_transaction(tx, a.key)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        assert receipt.status == 1, function
        return receipt

    def setup_world(self) -> None:
        """BW, EU, CA, IN admitted; authorities; operators licensed (mine: producer+exporter, ...)."""
        for code, name in (("BW", "Botswana"), ("EU", "European Union"), ("CA", "Canada"), ("IN", "India")):
            self.send("governance", self.registry, "admitParticipant", code, name)
        for code, actor in (("BW", "bw_authority"), ("EU", "eu_authority"), ("CA", "ca_authority"),
                            ("IN", "in_authority")):
            self.send("governance", self.registry, "setAuthority", code, self.actors[actor].address, True)
        self.send("bw_authority", self.registry, "licenseOperator", self.actors["mine"].address,
                  ROLE_PRODUCER | ROLE_EXPORTER)
        self.send("bw_authority", self.registry, "licenseOperator", self.actors["bw_exporter"].address,
                  ROLE_EXPORTER | ROLE_TRADER)
        self.send("eu_authority", self.registry, "licenseOperator", self.actors["eu_trader"].address,
                  ROLE_IMPORTER | ROLE_TRADER | ROLE_EXPORTER)
        self.send("ca_authority", self.registry, "licenseOperator", self.actors["ca_mine"].address,
                  ROLE_PRODUCER | ROLE_EXPORTER)
        self.fund("in_cutter")
        self.send("in_authority", self.registry, "licenseOperator", self.actors["in_cutter"].address,
                  ROLE_IMPORTER | ROLE_MANUFACTURER)

    def fund(self, actor: str) -> None:
        """The node funds ten accounts; later actors get gas money directly (hardhat_setBalance: anvil answers it
        too, Hardhat has no anvil_setBalance)."""
        answer = self.w3.provider.make_request("hardhat_setBalance", [self.actors[actor].address, hex(10**21)])
        assert "error" not in answer, answer


@pytest.fixture
def direct(node, actors) -> Direct:
    return Direct(node, actors)


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback (Debian's server binaries, run as the postgres user)."""
    import pwd
    import shutil as sh

    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    data = Path(f"/tmp/kp-pg-{os.getpid()}-{tmp_path.name}")
    data.mkdir(parents=True)
    user = pwd.getpwnam("postgres")
    os.chown(data, user.pw_uid, user.pw_gid)
    port = free_port()

    def as_postgres(*cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True)

    as_postgres(str(bin_dir / "initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "kp")
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l", str(data / "log"), "-o",
                f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://kp@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop")
        sh.rmtree(data, ignore_errors=True)
