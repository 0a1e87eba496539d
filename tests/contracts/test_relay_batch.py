"""KPRelayBatch: several signed intents in one transaction; a failing call does not revert the others."""

import dataclasses

import ape
import pytest
from eth_abi import decode as abi_decode
from eth_utils import keccak

from kpledger.core.actions import ACTIONS

from conftest import UNSORTED, doc


@pytest.fixture(scope="session")
def relayer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def batch(project, deployer, registry, ledger, certificates):
    return deployer.deploy(project.KPRelayBatch, registry, ledger, certificates)


def call(contract, signed):
    """A batch Call (target, calldata) for a signed intent."""
    fn = getattr(contract, ACTIONS[signed.action].function)
    return (contract.address, fn.as_transaction(*signed.args, signed.authorization).data)


def parcel(i):
    return {"points": 100 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": doc(f"batch-{i}")}


def selector(signature):
    return keccak(text=signature)[:4]


def test_valid_calls_take_effect_and_invalid_ones_report_their_error(batch, ledger, world, mine, outsider, relayer,
                                                                     sign):
    n = ledger.nonces(mine, 0)
    good0 = sign(mine, ledger, "RegisterParcel", parcel(0), nonce=n)
    stranger = sign(outsider, ledger, "RegisterParcel", parcel(1), nonce=0)  # not a licensed producer
    good1 = sign(mine, ledger, "RegisterParcel", parcel(2), nonce=n + 1)
    forged = sign(outsider, ledger, "RegisterParcel", parcel(3), nonce=n + 2)
    forged = dataclasses.replace(forged, signer=mine.address)  # claims to be the mine, signed by someone else
    before = ledger.lastLotId()

    tx = batch.execute([call(ledger, s) for s in (good0, stranger, good1, forged)], sender=relayer)

    registered = tx.events.filter(ledger.ParcelRegistered)
    assert [e.producer for e in registered] == [mine.address, mine.address]
    assert [e.documentHash for e in registered] == [doc("batch-0"), doc("batch-2")]
    assert ledger.lastLotId() == before + 2 and ledger.nonces(mine, 0) == n + 2
    assert [e.index for e in tx.events.filter(batch.RelayCallDone)] == [0, 2]
    failed = tx.events.filter(batch.RelayCallFailed)
    assert [e.index for e in failed] == [1, 3]
    reason = bytes(failed[0].reason)
    assert reason[:4] == selector("KPLedgerNotOperator(address)")
    assert abi_decode(["address"], reason[4:]) == (outsider.address.lower(),)
    reason = bytes(failed[1].reason)
    assert reason[:4] == selector("KPIntentInvalidSignature(address)")
    # markers follow each call's own events: the ledger's events of call i come right before marker i
    topics = {keccak(text=sig): name for sig, name in (
        ("ParcelRegistered(uint256,address,bytes2,uint48,uint32,uint32,bytes32)", "ParcelRegistered"),
        ("RelayCallDone(uint256)", "RelayCallDone"), ("RelayCallFailed(uint256,bytes)", "RelayCallFailed"))}
    names = [topics.get(bytes(log["topics"][0]), "other") for log in tx.logs]
    assert [n for n in names if n != "other"] == ["ParcelRegistered", "RelayCallDone", "RelayCallFailed",
                                                  "ParcelRegistered", "RelayCallDone", "RelayCallFailed"]


def test_a_replayed_intent_inside_a_batch_fails_only_that_call(batch, ledger, world, mine, relayer, sign):
    n = ledger.nonces(mine, 0)
    once = sign(mine, ledger, "RegisterParcel", parcel(10), nonce=n)
    after = sign(mine, ledger, "RegisterParcel", parcel(11), nonce=n + 1)
    tx = batch.execute([call(ledger, s) for s in (once, once, after)], sender=relayer)
    assert [e.index for e in tx.events.filter(batch.RelayCallDone)] == [0, 2]
    (failed,) = tx.events.filter(batch.RelayCallFailed)
    assert failed.index == 1
    reason = bytes(failed.reason)
    assert reason[:4] == selector("KPIntentBadNonce(address,uint256,uint256)")
    assert abi_decode(["address", "uint256", "uint256"], reason[4:]) == (mine.address.lower(), n, n + 1)
    # and a replay of an intent mined in an earlier transaction fails the same way
    tx = batch.execute([call(ledger, once)], sender=relayer)
    assert [e.index for e in tx.events.filter(batch.RelayCallFailed)] == [0]
    assert ledger.nonces(mine, 0) == n + 2


def test_only_the_ledger_contracts_and_their_relayed_functions_can_be_called(batch, ledger, registry, world, mine,
                                                                               outsider, relayer, sign):
    signed = sign(mine, ledger, "RegisterParcel", parcel(20), nonce=ledger.nonces(mine, 0))
    target, data = call(ledger, signed)
    with ape.reverts(batch.KPRelayBatchUnknownTarget, target=outsider.address):
        batch.execute([(target, data), (outsider.address, data)], sender=relayer)
    direct = ledger.registerParcel.as_transaction(1, 1, UNSORTED, "BW", doc("direct")).data
    with ape.reverts(batch.KPRelayBatchUnknownSelector, target=ledger.address, selector=direct[:4]):
        batch.execute([(ledger.address, direct)], sender=relayer)
    with ape.reverts(batch.KPRelayBatchUnknownSelector):
        batch.execute([(registry.address, data)], sender=relayer)  # a ledger selector sent to the registry
    with ape.reverts(batch.KPRelayBatchEmpty):
        batch.execute([], sender=relayer)
    assert batch.targets() == (registry.address, ledger.address, ledger.certificates())


def test_simulate_reports_outcomes_and_gas_and_never_changes_state(batch, ledger, world, mine, outsider, relayer,
                                                                    sign, chain):
    n = ledger.nonces(mine, 0)
    good = sign(mine, ledger, "RegisterParcel", parcel(30), nonce=n)
    bad = sign(outsider, ledger, "RegisterParcel", parcel(31), nonce=0)
    before = ledger.lastLotId()
    data = batch.simulate.as_transaction([call(ledger, good), call(ledger, bad)], sender=relayer).data
    answer = chain.provider.web3.provider.make_request(
        "eth_call", [{"from": relayer.address, "to": batch.address, "data": "0x" + bytes(data).hex()}, "latest"])
    error = answer["error"]
    revert = bytes.fromhex((error["data"] if isinstance(error["data"], str) else error["data"]["data"])[2:])
    assert revert[:4] == selector("KPRelayBatchSimulated((bool,uint256,bytes)[])")
    (outcomes,) = abi_decode(["(bool,uint256,bytes)[]"], revert[4:])
    (ok0, gas0, ret0), (ok1, gas1, ret1) = outcomes
    assert ok0 and abi_decode(["uint256"], ret0) == (before + 1,) and 50_000 < gas0 < 200_000
    assert not ok1 and ret1[:4] == selector("KPLedgerNotOperator(address)") and gas1 < gas0
    assert ledger.lastLotId() == before and ledger.nonces(mine, 0) == n  # nothing happened


def test_the_batch_contract_gains_no_rights(batch, ledger, registry, world, mine, relayer):
    """It is not an operator: the ledger's direct (msg.sender) functions refuse it like anyone else."""
    direct = ledger.registerParcel.as_transaction(1, 1, UNSORTED, "BW", doc("direct")).data
    with ape.reverts(batch.KPRelayBatchUnknownSelector):
        batch.execute([(ledger.address, direct)], sender=relayer)
    assert registry.member(batch.address).roles == 0
