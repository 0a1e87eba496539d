"""The gas bound the relayer reserves for a call in its simulation (`relay.calls.simulation_bound`) against what the
largest legitimate calls cost on the real contracts: enough for each, and proportional to it (a request reserves
what it can legitimately cost, not a share of the batch)."""

from __future__ import annotations

import httpx
from eth_abi import decode as abi_decode

from kpledger.core.constants import PRODUCER
from kpledger.relay import calls
from kpledger.relay.request import WriteRequest
from tests.support.stack import Actor, Node
from tests.support.writes import UNSORTED, Api, b32, children, deploy, licence, setup_world, wallet_body

CAP = 15_000_000  # KP_BATCH_GAS's default, half of anvil's block gas limit


def simulated(node: Node, relayer: str, req: WriteRequest, bound: int) -> tuple[bool, int, bytes]:
    """(ok, gas used, data) of the request's call alone in KPRelayBatch.simulate with `bound`."""
    target = node.deployment[{"KPLedger": "ledger", "KPRegistry": "registry", "KPCertificates": "certificates"}[
        req.contract]]
    data = calls.batch_calldata(calls.SIMULATE_SELECTOR, [(target, calls.calldata(req), bound)])
    tx = {"from": relayer, "to": node.deployment["batch"], "data": "0x" + data.hex(), "gas": hex(2 * CAP)}
    error = httpx.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [tx, "latest"]},
                       timeout=60).json()["error"]
    revert = bytes.fromhex((error["data"] if isinstance(error["data"], str) else error["data"]["data"])[2:])
    assert revert[:4] == calls.SIMULATED_SELECTOR, error
    ((ok, gas, out),) = abi_decode([calls.OUTCOMES_ABI], revert[4:])[0]
    return ok, gas, out


def test_the_largest_legitimate_calls_fit_their_bounds_and_reserve_little_more(node: Node, server, actors) -> None:
    """A contract signer (the ERC-1271 allowance on top) splits a parcel into 256 children, merges 256 parcels and
    seals 256 parcels: the most parts an action takes (KPLedger._MAX_PARTS)."""
    api = Api(server.url)
    setup_world(api, actors)
    owner = actors["eu_trader"]
    wallet = deploy(node, actors["bw_authority"], "OwnerWallet", owner.address)
    api.do(actors["bw_authority"], "LicenseOperator", {**licence(Actor("wallet_mine", owner.key), PRODUCER | 4),
                                                       "account": wallet})
    relayer = actors["relayer"].address
    measured: dict[str, tuple[int, int]] = {}

    def run(action: str, message: dict) -> dict:
        """Simulates the wallet's request with the relayer's bound, then has the relayer run it."""
        body = wallet_body(api, owner, wallet, action, message)
        req = WriteRequest.from_body(action, body)
        bound = calls.simulation_bound(req, CAP)
        ok, gas, out = simulated(node, relayer, req, bound)
        assert ok, out.hex()
        measured[f"{action}/{calls.parts(req)}"] = (gas, bound)
        answer = api.post(action, body)
        assert answer.status_code == 200, answer.text
        return answer.json()["result"]

    first = run("RegisterParcel", {"points": 256_000, "stones": 256, "hsCode": UNSORTED, "origin": "BW",
                                   "documentHash": b32("first")})["parcel_id"]
    second = run("RegisterParcel", {"points": 256_000, "stones": 256, "hsCode": UNSORTED, "origin": "BW",
                                    "documentHash": b32("second")})["parcel_id"]
    parts = run("SplitParcel", {"parcelId": first, "children": children(256, 256_000, "a")})["child_ids"]
    run("MergeParcels", {"parcelIds": parts, "documentHash": b32("merged")})
    parts = run("SplitParcel", {"parcelId": second, "children": children(256, 256_000, "b")})["child_ids"]
    run("SealConsignment", {"parcelIds": parts, "sealId": b32("seal")})
    print({k: f"{gas:,} of {bound:,}" for k, (gas, bound) in measured.items()})
    for name, (gas, bound) in measured.items():
        assert gas < bound, name
        if not name.startswith("RegisterParcel"):  # a large call reserves little more than it uses
            assert bound < 1.6 * gas, (name, gas, bound)
    # the split is the costliest per part: its share, and the others', cover what a part costs, with a margin
    split, merge, seal = (measured[f"{a}/256"][0] - measured["RegisterParcel/0"][0] for a in (
        "SplitParcel", "MergeParcels", "SealConsignment"))
    assert split / 256 < calls.SIMULATION_PER_PART["SplitParcel"]
    assert max(merge, seal) / 256 < calls.DEFAULT_PER_PART
