"""The relayer's availability under attack, through the real API: contract wallets named as signers (ERC-1271)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from eth_account import Account

from kpledger.core.constants import TRADER
from kpledger.eip712 import sign_intent

from conftest import MANIFEST, Actor, Node
from writes_support import UNSORTED, Api, b32, licence, registered, setup_world

TYPES = json.loads(MANIFEST.read_text())["contractTypes"]


def deploy(node: Node, deployer: Actor, name: str, *args) -> str:
    """Deploys a test-only contract (contracts/test/) from `deployer`; returns its address."""
    t = TYPES[name]
    w3 = node.w3
    tx = w3.eth.contract(abi=t["abi"], bytecode=t["deploymentBytecode"]["bytecode"]).constructor(*args) \
        .build_transaction({"from": deployer.address, "nonce": w3.eth.get_transaction_count(deployer.address),
                            "chainId": w3.eth.chain_id, "gasPrice": w3.eth.gas_price})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(Account.sign_transaction(tx, deployer.key).raw_transaction))
    assert receipt.status == 1
    return receipt.contractAddress


def test_an_outsiders_gas_burning_wallet_cannot_stall_honest_writes(node, server, actors):
    """An outsider deploys a wallet whose isValidSignature burns all the gas it gets and names it as the signer of
    requests sent among honest ones (before the fix: 1, 0 and 2 of 8 honest writes got through in three rounds)."""
    api = Api(server.url)
    setup_world(api, actors)
    attacker = actors["outsider"]
    node.fund([attacker.address])
    wallet = deploy(node, attacker, "GasBurningWallet")
    for round_ in range(3):
        honest = [api.body(actors["mine"], "RegisterParcel", {
            "points": 100 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
            "documentHash": b32(f"honest-{round_}-{i}")}, nonce=(round_ * 8 + i + 1) << 64) for i in range(8)]
        hostile = [api.body(attacker, "RegisterParcel", {
            "points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32(f"evil-{round_}-{i}")},
            nonce=i << 64, signer=wallet) for i in range(4)]
        jobs = [("honest", b) for b in honest] + [("hostile", b) for b in hostile]
        with ThreadPoolExecutor(len(jobs)) as pool:
            answers = list(pool.map(lambda job: (job[0], api.post("RegisterParcel", job[1])), jobs))
        for kind, answer in answers:
            if kind == "honest":
                assert answer.status_code == 200, answer.text
            else:
                assert (answer.status_code, answer.json()["code"]) == (401, "InvalidSignature"), answer.text
    counts = registered(node, MANIFEST)
    assert sum(n for h, n in counts.items() if h in {b32(f"honest-{r}-{i}") for r in range(3) for i in range(8)}) == 24
    assert not any(counts[b32(f"evil-{r}-{i}")] for r in range(3) for i in range(4))


def test_a_licensed_contract_wallet_writes_through_the_relayer(node, server, actors):
    """The honest case: a multisig-style wallet (ERC-1271) of a licensed trader signs through its owner's key; its
    call is given the wallet's allowance and takes effect."""
    api = Api(server.url)
    setup_world(api, actors)
    owner = actors["eu_trader"]
    wallet = deploy(node, actors["bw_authority"], "OwnerWallet", owner.address)
    api.do(actors["bw_authority"], "LicenseOperator", {**licence(Actor("wallet_desk", owner.key), TRADER),
                                                       "account": wallet})
    parcel = api.do(actors["mine"], "RegisterParcel", {"points": 1_000, "stones": 1, "hsCode": UNSORTED,
                                                       "origin": "BW", "documentHash": b32("for the wallet")})
    lot = parcel["result"]["parcel_id"]
    api.do(actors["mine"], "OfferCustody", {"lotId": lot, "recipient": wallet, "sealId": b32("bag")})
    config = api.config
    signed = sign_intent(owner.key, "AcceptCustody", {"lotId": lot, "sealId": b32("bag")},
                         chain_id=config["chain_id"], verifying_contract=config["contracts"]["KPLedger"],
                         nonce=api.nonce(wallet, "KPLedger"), deadline=2**40, signer=wallet)
    answer = api.post("AcceptCustody", {"message": {"lotId": lot, "sealId": b32("bag")}, "signer": wallet,
                                        "nonce": signed.nonce, "deadline": signed.deadline,
                                        "signature": "0x" + signed.signature.hex()})
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["transferred"] is True
    assert node.ledger.functions.parcel(lot).call()[0] == wallet
