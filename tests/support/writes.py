"""Helpers shared by the write and crash tests: sign intents, post them, read the chain directly."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import httpx
from eth_account import Account
from web3 import Web3

from kpledger.core.actions import ACTIONS
from kpledger.core.constants import INDUSTRIAL, UNSORTED
from kpledger.core.constants import NON_INDUSTRIAL as GEM
from kpledger.dev.stack import MANIFEST
from kpledger.signing.typed_data import sign_intent
from tests.support.stack import Actor, Node

__all__ = ["GEM", "INDUSTRIAL", "UNSORTED"]


def b32(text: str) -> str:
    """A readable bytes32 (document hash, seal id) as 0x-hex."""
    return "0x" + Web3.keccak(text=text).hex().removeprefix("0x")


class Api:
    """An HTTP client of the write API that signs intents like a participant's wallet would."""

    def __init__(self, url: str, timeout: float = 30):
        self.http = httpx.Client(base_url=url, timeout=timeout)
        self.config = self.http.get("/v1/config").json()

    def nonce(self, address: str, contract: str) -> int:
        return self.http.get(f"/v1/accounts/{address}/nonces").json()[contract]

    def body(self, actor: Any, action: str, message: dict[str, Any], *, nonce: int | None = None,
             deadline: int | None = None, signer: str | None = None) -> dict[str, Any]:
        """A signed request body; `signer` overrides the claimed signer (to forge)."""
        contract = ACTIONS[action].contract
        if nonce is None:
            nonce = self.nonce(signer or actor.address, contract)
        signed = sign_intent(actor.key, action, message, chain_id=self.config["chain_id"],
                             verifying_contract=self.config["contracts"][contract], nonce=nonce,
                             deadline=deadline if deadline is not None else int(time.time()) + 3600)
        return {"message": message, "signer": signer or signed.signer, "nonce": signed.nonce,
                "deadline": signed.deadline, "signature": "0x" + signed.signature.hex()}

    def post(self, action: str, body: dict[str, Any], path: str | None = None) -> httpx.Response:
        return self.http.post(path or ACTIONS[action].path_for(body["message"]), json=body)

    def do(self, actor: Any, action: str, message: dict[str, Any]) -> dict[str, Any]:
        """Signs, posts, asserts 200 and returns the answer."""
        response = self.post(action, self.body(actor, action, message))
        assert response.status_code == 200, (action, response.status_code, response.text)
        answer = response.json()
        assert answer["status"] == "mined" and answer["action"] == action and not answer["duplicate"]
        return answer


def contracts(w3: Web3, data_dir: Any, manifest: Any) -> dict[str, Any]:
    """The three contracts as web3 objects, straight from the node (no backend involved)."""
    record = json.loads((data_dir / "deployment.json").read_text())
    types = json.loads(manifest.read_text())["contractTypes"]
    keys = {"KPRegistry": "registry", "KPLedger": "ledger", "KPCertificates": "certificates"}
    return {name: w3.eth.contract(address=record[key], abi=types[name]["abi"]) for name, key in keys.items()}


def registered(node: Any, manifest: Any) -> Counter:
    """How many ParcelRegistered events the chain holds per document hash."""
    ledger = contracts(node.w3, node.data_dir, manifest)["KPLedger"]
    logs = ledger.events.ParcelRegistered.get_logs(from_block=0)
    return Counter("0x" + e["args"]["documentHash"].hex() for e in logs)


def setup_world(api: Api, actors: dict[str, Any], profiles: dict[str, tuple[str, str]] | None = None) -> None:
    """Admits BW and EU, appoints their authorities and licenses the mine, exporter and EU trader; `profiles` gives
    some of them another public name (and licence number) than the one derived from the actor's name."""
    profiles = profiles or {}
    gov = actors["governance"]
    for code, name in (("BW", "Botswana"), ("EU", "European Union")):
        api.do(gov, "AdmitParticipant", {"code": code, "name": name})
    for code, actor in (("BW", "bw_authority"), ("EU", "eu_authority")):
        api.do(gov, "AppointAuthority", {"participant": code, "account": actors[actor].address,
                                         "name": profiles.get(actor, (f"{code} KP Authority", ""))[0]})
    api.do(actors["bw_authority"], "LicenseOperator", licence(actors["mine"], 2 | 4, profiles.get("mine")))
    api.do(actors["bw_authority"], "LicenseOperator", licence(actors["bw_exporter"], 4 | 16,
                                                              profiles.get("bw_exporter")))
    api.do(actors["eu_authority"], "LicenseOperator", licence(actors["eu_trader"], 4 | 8 | 16,
                                                              profiles.get("eu_trader")))


def licence(actor: Any, roles: int, profile: tuple[str, str] | None = None) -> dict[str, Any]:
    """A LicenseOperator message for an actor, under `profile` (name, licence number) or a name derived from the
    actor's."""
    name, number = profile or (f"{actor.name.replace('_', ' ').title()} Ltd", f"L-{actor.name}")
    return {"account": actor.address, "roles": roles, "name": name, "licenceNumber": number, "registryRef": ""}


def deploy(node: Node, deployer: Actor, name: str, *args) -> str:
    """Deploys a test-only contract (contracts/test/) from `deployer`; returns its address."""
    t = json.loads(MANIFEST.read_text())["contractTypes"][name]
    w3 = node.w3
    tx = w3.eth.contract(abi=t["abi"], bytecode=t["deploymentBytecode"]["bytecode"]).constructor(*args) \
        .build_transaction({"from": deployer.address, "nonce": w3.eth.get_transaction_count(deployer.address),
                            "chainId": w3.eth.chain_id, "gasPrice": w3.eth.gas_price})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(Account.sign_transaction(tx, deployer.key).raw_transaction))
    assert receipt.status == 1
    return receipt.contractAddress


def children(n: int, total: int, tag: str) -> list[dict]:
    """`n` children whose weights add up to `total`."""
    points = [total // n] * n
    points[-1] += total - sum(points)
    return [{"points": p, "stones": 1, "hsCode": UNSORTED, "documentHash": b32(f"{tag}-{i}")}
            for i, p in enumerate(points)]


def wallet_body(api: Api, owner: Actor, wallet: str, action: str, message: dict) -> dict:
    """A request signed for a contract signer `wallet` by its owner's key (ERC-1271)."""
    config = api.config
    signed = sign_intent(owner.key, action, message, chain_id=config["chain_id"],
                         verifying_contract=config["contracts"][ACTIONS[action].contract],
                         nonce=api.nonce(wallet, ACTIONS[action].contract), deadline=int(time.time()) + 3600,
                         signer=wallet)
    return {"message": message, "signer": wallet, "nonce": signed.nonce, "deadline": signed.deadline,
            "signature": "0x" + signed.signature.hex()}
