"""The backend tests' world: the development keys and actors, the chain a test runs on (KP_TEST_NODE,
KP_TEST_BLOCK_TIME), an API server as a process, signed document requests, direct contract calls for setup."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from kpledger.core.config import Settings
from kpledger.core.constants import AUTHORITY, EXPORTER, IMPORTER, MANUFACTURER, PRODUCER, TRADER
from kpledger.dev.chain import stop
from kpledger.dev.demo import Demo
from kpledger.dev.stack import MANIFEST, ApiServer, LocalChain, dev_key, free_port
from kpledger.signing.requests import sign_request

ROOT = Path(__file__).resolve().parents[2]


KEYS = [dev_key(i) for i in range(12)]


ROLE_AUTHORITY, ROLE_PRODUCER, ROLE_EXPORTER, ROLE_IMPORTER, ROLE_TRADER, ROLE_MANUFACTURER = (
    AUTHORITY, PRODUCER, EXPORTER, IMPORTER, TRADER, MANUFACTURER)


__all__ = ["MANIFEST", "free_port"]


@dataclass
class Actor:
    name: str
    key: bytes

    @property
    def address(self) -> str:
        return Account.from_key(self.key).address


Node = LocalChain  # a test's chain: a local node in the test's tmp_path with the contracts deployed


# Which chain the tests run on: KP_TEST_NODE=anvil (default) | hardhat, the EVM implementation; KP_TEST_BLOCK_TIME=N,
# a block every N seconds (as a QBFT network's block period) instead of one per transaction (`make test-network`).
NODE_KIND = os.environ.get("KP_TEST_NODE", "anvil")


BLOCK_TIME = float(os.environ["KP_TEST_BLOCK_TIME"]) if os.environ.get("KP_TEST_BLOCK_TIME") else None


# tests that need what only anvil has: a state file (restart the chain and keep it), anvil_* methods
anvil_only = pytest.mark.skipif(NODE_KIND != "anvil", reason=f"needs anvil (state file, anvil_*); node: {NODE_KIND}")


# tests that drive mining themselves (evm_setAutomine / evm_mine) and assume one block per transaction
automine_only = pytest.mark.skipif(BLOCK_TIME is not None, reason="assumes automine (KP_TEST_BLOCK_TIME is set)")


def signed(server: Any, key: bytes, method: str, path: str, body: bytes = b"", chain_id: int = 31337,
           content_type: str = "", **kw: Any) -> dict[str, str]:
    """Headers of a signed document request to `server` (kpledger.signing.requests.sign_request), with its content
    type."""
    headers = sign_request(key, method, server.url + path, body, chain_id=chain_id, content_type=content_type, **kw)
    return {**headers, "content-type": content_type} if content_type else headers


def submit(relayer: Any, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """Runs one request through an in-process Relayer (its write path is async) and returns the answer."""
    return asyncio.run(relayer.submit_async(action, body))


Server = ApiServer


def start_server(node: LocalChain, port: int | None = None, extra_env: dict[str, str] | None = None) -> ApiServer:
    return ApiServer(node.url, node.data_dir, env=extra_env, port=port)


def signed_offline(node: Node, actors: dict[str, Actor], tag: str, points: int) -> tuple[Settings, dict]:
    """For tests that drive a Relayer in-process: sets the world up through a server that is then stopped, and
    returns the relayer's Settings and a signed RegisterParcel body (document hash `tag`) not sent yet."""
    from tests.support.writes import UNSORTED, Api, b32, setup_world

    server = start_server(node)
    try:
        api = Api(server.url)
        setup_world(api, actors)
        body = api.body(actors["mine"], "RegisterParcel", {"points": points, "stones": 1, "hsCode": UNSORTED,
                                                           "origin": "BW", "documentHash": b32(tag)})
    finally:
        stop(server.process)
    settings = Settings(environment="test", rpc_url=node.url, data_dir=node.data_dir, build_manifest=MANIFEST,
                        relayer_key="0x" + KEYS[0].hex())
    return settings, body


class Direct:
    """Sends contract calls straight to the node, signed with an actor's key (test setup, not the relayer)."""

    def __init__(self, node: LocalChain, actors: dict[str, Actor]):
        self.node = node
        self.w3 = node.w3
        self.actors = actors
        self.contracts = node.contracts
        self.registry, self.ledger, self.certificates = node.registry, node.ledger, node.certificates

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
            self.send("governance", self.registry, "appointAuthority", code, self.actors[actor].address,
                      f"{code} KP Authority")
        self.license("bw_authority", "mine", ROLE_PRODUCER | ROLE_EXPORTER)
        self.license("bw_authority", "bw_exporter", ROLE_EXPORTER | ROLE_TRADER)
        self.license("eu_authority", "eu_trader", ROLE_IMPORTER | ROLE_TRADER | ROLE_EXPORTER)
        self.license("ca_authority", "ca_mine", ROLE_PRODUCER | ROLE_EXPORTER)
        self.fund("in_cutter")
        self.license("in_authority", "in_cutter", ROLE_IMPORTER | ROLE_MANUFACTURER)

    def license(self, authority: str, actor: str, roles: int) -> dict:
        """The authority licenses `actor` under a name derived from the actor's (e.g. "Mine Ltd", licence L-mine)."""
        return self.send(authority, self.registry, "licenseOperator", self.actors[actor].address, roles,
                         f"{actor.replace('_', ' ').title()} Ltd", f"L-{actor}", "")

    def issue(self, authority: str, number: str, importer: str, importer_actor: str, consignment_id: int,
              points: int, parcel_count: int, hs_codes: list[int], origins: list[str], document_hash: bytes,
              *, valid_for: int = 30 * 86_400, replaces: str = "", now: int | None = None) -> dict:
        """The authority issues a certificate to the named importer, valid from a minute before `now` (default: the
        latest block's time) to `valid_for` after it."""
        now = self.w3.eth.get_block("latest").timestamp if now is None else now
        return self.send(authority, self.certificates, "issueCertificate", (
            number, importer, self.actors[importer_actor].address, consignment_id, points, parcel_count,
            sorted(hs_codes), sorted(origins), now - 60, now + valid_for, document_hash, replaces))

    def fund(self, actor: str) -> None:
        """anvil funds ten accounts; later actors get gas money directly."""
        self.node.fund([self.actors[actor].address], 10**21)


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def wait_indexed(server: Server, direct: Direct, timeout: float = 20) -> None:
    target = direct.w3.eth.block_number
    deadline = time.monotonic() + timeout
    with server.client() as c:
        while time.monotonic() < deadline:
            if c.get("/healthz").json()["indexed_block"] >= target:
                return
            time.sleep(0.05)
    raise TimeoutError("index did not catch up")


@contextlib.contextmanager
def demo_stack(data: Path) -> Iterator[tuple[LocalChain, ApiServer, Demo]]:
    """A chain in `data`, the API on it and the demo journey's clients (the journey not yet run: `demo.run()`),
    stopped afterwards: the world of the module fixtures that need the demo's ledger."""
    chain = LocalChain(data)
    server = None
    try:
        server = ApiServer(chain.url, chain.data_dir)
        yield chain, server, Demo(server.url, data / "demo-documents")
    finally:
        if server is not None:
            stop(server.process)
        chain.close()
