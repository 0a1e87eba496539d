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


GENEROUS = 2_000_000  # the bound a relayer passes to `simulate`
CALL_OVERHEAD, FINISH_GAS, REPORT_GAS = 1_000, 300_000, 5_000  # KPRelayBatch's (kpledger.relay.calls mirrors them)
NOT_RUN = "KPRelayBatchInsufficientGas(uint256,uint256,uint256)"


def call(contract, signed, gas=GENEROUS):
    """A batch Call (target, calldata, gas bound) for a signed intent."""
    fn = getattr(contract, ACTIONS[signed.action].function)
    return (contract.address, fn.as_transaction(*signed.args, signed.authorization).data, gas)


def simulate(chain, batch, calls, relayer, gas=None):
    """`simulate` through eth_call: the outcomes (ok, gasUsed, returnData) of every call."""
    data = batch.simulate.as_transaction(calls, sender=relayer).data
    params = {"from": relayer.address, "to": batch.address, "data": "0x" + bytes(data).hex()}
    if gas is not None:
        params["gas"] = hex(gas)
    answer = chain.provider.web3.provider.make_request("eth_call", [params, "latest"])
    error = answer["error"]
    assert "data" in error, error
    revert = bytes.fromhex((error["data"] if isinstance(error["data"], str) else error["data"]["data"])[2:])
    assert revert[:4] == selector("KPRelayBatchSimulated((bool,uint256,bytes)[])"), error
    (outcomes,) = abi_decode(["(bool,uint256,bytes)[]"], revert[4:])
    return outcomes


def bound(gas_used, contract_signer=False, allowance=100_000):
    """The relayer's bound for a call from its simulated gas: a margin, plus the ERC-1271 allowance
    (which must be available when the wallet is called) for a contract signer."""
    return gas_used * 6 // 5 + 20_000 + (allowance + allowance // 63 + 1_000 if contract_signer else 0)


def transaction_gas(calls):
    """A gas limit that gives every call its bound under the 63/64 rule, and keeps the reserve to finish."""
    return FINISH_GAS + 60_000 + sum(gas + gas // 63 + 1_000 + 12_000 + 16 * len(data) for _, data, gas in calls)


def needed(bound, index, count):
    """The gas call `index` of `count` needs left to run: its bound under the 63/64 rule, then the reserve to report
    the calls after it and finish the batch."""
    return bound + bound // 63 + CALL_OVERHEAD + FINISH_GAS + (count - index - 1) * REPORT_GAS


def not_run(reason, index, count, bound):
    """Asserts that `reason` is KPRelayBatchInsufficientGas for call `index` of `count` with bound `bound`."""
    assert reason[:4] == selector(NOT_RUN)
    at, gas_left, need = abi_decode(["uint256", "uint256", "uint256"], reason[4:])
    assert (at, need) == (index, needed(bound, index, count)) and gas_left < need


def parcel(i):
    return {"points": 100 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": doc(f"batch-{i}")}


def child(points, label):
    return {"points": points, "stones": 0, "hsCode": UNSORTED, "documentHash": doc(label)}


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
    target, data, gas = call(ledger, signed)
    with ape.reverts(batch.KPRelayBatchUnknownTarget, target=outsider.address):
        batch.execute([(target, data, gas), (outsider.address, data, gas)], sender=relayer)
    direct = ledger.registerParcel.as_transaction(1, 1, UNSORTED, "BW", doc("direct")).data
    with ape.reverts(batch.KPRelayBatchUnknownSelector, target=ledger.address, selector=direct[:4]):
        batch.execute([(ledger.address, direct, gas)], sender=relayer)
    with ape.reverts(batch.KPRelayBatchUnknownSelector):
        batch.execute([(registry.address, data, gas)], sender=relayer)  # a ledger selector sent to the registry
    with ape.reverts(batch.KPRelayBatchEmpty):
        batch.execute([], sender=relayer)
    assert batch.targets() == (registry.address, ledger.address, ledger.certificates())


def test_simulate_reports_outcomes_and_gas_and_never_changes_state(batch, ledger, world, mine, outsider, relayer,
                                                                    sign, chain):
    n = ledger.nonces(mine, 0)
    good = sign(mine, ledger, "RegisterParcel", parcel(30), nonce=n)
    bad = sign(outsider, ledger, "RegisterParcel", parcel(31), nonce=0)
    before = ledger.lastLotId()
    (ok0, gas0, ret0), (ok1, gas1, ret1) = simulate(chain, batch, [call(ledger, good), call(ledger, bad)], relayer)
    assert ok0 and abi_decode(["uint256"], ret0) == (before + 1,) and 50_000 < gas0 < 200_000
    assert not ok1 and ret1[:4] == selector("KPLedgerNotOperator(address)") and gas1 < gas0
    assert ledger.lastLotId() == before and ledger.nonces(mine, 0) == n  # nothing happened


def test_the_batch_contract_gains_no_rights(batch, ledger, registry, world, mine, relayer):
    """It is not an operator: the ledger's direct (msg.sender) functions refuse it like anyone else."""
    direct = ledger.registerParcel.as_transaction(1, 1, UNSORTED, "BW", doc("direct")).data
    with ape.reverts(batch.KPRelayBatchUnknownSelector):
        batch.execute([(ledger.address, direct, GENEROUS)], sender=relayer)
    assert registry.member(batch.address).roles == 0


def test_the_registrys_new_relayed_functions_are_batchable(batch, registry, world, governance, relayer, sign,
                                                           accounts):
    n = registry.nonces(governance, 0)
    someone = accounts.generate_test_account()
    calls = [call(registry, sign(governance, registry, "AppointAuthority",
                                 {"participant": "IN", "account": someone.address, "name": "India KP"}, nonce=n)),
             call(registry, sign(governance, registry, "SetMaxCertificateValidity", {"maxValidity": 60 * 86_400},
                                 nonce=n + 1)),
             call(registry, sign(governance, registry, "DismissAuthority",
                                 {"participant": "IN", "account": someone.address}, nonce=n + 2))]
    tx = batch.execute(calls, sender=relayer)
    assert [e.index for e in tx.events.filter(batch.RelayCallDone)] == [0, 1, 2]
    assert registry.maxCertificateValidity() == 60 * 86_400 and registry.member(someone).roles == 0


def test_a_gas_burning_outsider_wallet_does_not_sink_the_simulation(project, batch, ledger, world, mine, outsider,
                                                                    relayer, sign, chain):
    """Before: one such request made `simulate` run out of gas (3M-gas eth_call with 5 honest requests)."""
    burner = outsider.deploy(project.GasBurningWallet)
    n = ledger.nonces(mine, 0)
    bad = sign(outsider, ledger, "RegisterParcel", parcel(40), nonce=0, signer=burner.address)
    goods = [sign(mine, ledger, "RegisterParcel", parcel(41 + i), nonce=n + i) for i in range(5)]
    calls = [call(ledger, bad, 300_000)] + [call(ledger, g, 300_000) for g in goods]
    outcomes = simulate(chain, batch, calls, relayer, gas=3_000_000)
    assert [ok for ok, _, _ in outcomes] == [False] + [True] * 5
    ok, gas_used, reason = outcomes[0]
    assert reason[:4] == selector("KPIntentInvalidSignature(address)")
    assert 100_000 < gas_used < 150_000  # the wallet's allowance and the refusal


def test_a_two_faced_operator_wallet_fails_alone(project, batch, ledger, world, mine, bw_authority, outsider,
                                                 relayer, sign, chain, license):
    """Before: honest in `simulate`, burning in `execute`: the whole batch ran out of gas, nothing took effect
    and the attacker's nonce was not spent."""
    wallet = outsider.deploy(project.TwoFacedWallet, outsider)
    license(wallet, 2, bw_authority, "two-faced")
    n = ledger.nonces(mine, 0)
    a = sign(mine, ledger, "RegisterParcel", parcel(50), nonce=n)
    evil = sign(outsider, ledger, "RegisterParcel", parcel(51), nonce=0, signer=wallet.address)
    b = sign(mine, ledger, "RegisterParcel", parcel(52), nonce=n + 1)
    outcomes = simulate(chain, batch, [call(ledger, s) for s in (a, evil, b)], relayer)
    assert all(ok for ok, _, _ in outcomes)
    bounds = [bound(g, contract_signer=(i == 1)) for i, (_, g, _) in enumerate(outcomes)]
    calls = [call(ledger, s, gas) for s, gas in zip((a, evil, b), bounds, strict=True)]
    wallet.setTwoFaced(True, sender=outsider)  # between the simulation and the execution
    before = ledger.lastLotId()
    tx = batch.execute(calls, sender=relayer, gas_limit=transaction_gas(calls))
    assert [e.index for e in tx.events.filter(batch.RelayCallDone)] == [0, 2]
    (failed,) = tx.events.filter(batch.RelayCallFailed)
    assert failed.index == 1 and bytes(failed.reason)[:4] == selector("KPIntentInvalidSignature(address)")
    assert ledger.lastLotId() == before + 2 and ledger.nonces(mine, 0) == n + 2
    assert ledger.nonces(wallet, 0) == 0


def test_a_call_that_exceeds_its_gas_bound_fails_alone(batch, ledger, world, mine, relayer, sign):
    n = ledger.nonces(mine, 0)
    starved = sign(mine, ledger, "RegisterParcel", parcel(60), nonce=(5 << 64))
    fine = sign(mine, ledger, "RegisterParcel", parcel(61), nonce=n)
    tx = batch.execute([call(ledger, starved, 30_000), call(ledger, fine, 300_000)], sender=relayer)
    (failed,) = tx.events.filter(batch.RelayCallFailed)
    assert (failed.index, bytes(failed.reason)) == (0, b"")  # out of gas: no revert data
    assert [e.index for e in tx.events.filter(batch.RelayCallDone)] == [1]
    assert ledger.nonces(mine, 5) == (5 << 64) and ledger.nonces(mine, 0) == n + 1


def test_a_call_the_transaction_cannot_give_its_bound_is_not_run_and_the_others_are(batch, ledger, world, mine,
                                                                                    relayer, sign):
    """Before: the batch reverted as a whole with KPRelayBatchInsufficientGas; now the call fails alone."""
    n = ledger.nonces(mine, 0)
    key = 7 << 64  # its own nonce sequence: the calls after it do not wait for it
    calls = [call(ledger, sign(mine, ledger, "RegisterParcel", parcel(70), nonce=n), 300_000),
             call(ledger, sign(mine, ledger, "RegisterParcel", parcel(71), nonce=key), 5_000_000),
             call(ledger, sign(mine, ledger, "RegisterParcel", parcel(72), nonce=n + 1), 300_000)]
    # enough for the first and the last call's bounds, not for the second's
    tx = batch.execute(calls, sender=relayer, gas_limit=1_200_000)
    assert [e.index for e in tx.events.filter(batch.RelayCallDone)] == [0, 2]
    (failed,) = tx.events.filter(batch.RelayCallFailed)
    assert failed.index == 1
    not_run(bytes(failed.reason), 1, 3, 5_000_000)
    assert ledger.nonces(mine, 0) == n + 2 and ledger.nonces(mine, 7) == key  # its nonce unused: it may run later
    assert [e.documentHash for e in tx.events.filter(ledger.ParcelRegistered)] == [doc("batch-70"), doc("batch-72")]


def test_simulate_reports_a_call_it_could_not_run_and_runs_the_rest(batch, ledger, world, mine, relayer, sign,
                                                                     chain):
    n = ledger.nonces(mine, 0)
    first = sign(mine, ledger, "RegisterParcel", parcel(80), nonce=n)
    big = sign(mine, ledger, "RegisterParcel", parcel(81), nonce=8 << 64)
    after = sign(mine, ledger, "RegisterParcel", parcel(82), nonce=n + 1)
    outcomes = simulate(chain, batch, [call(ledger, first, 300_000), call(ledger, big, 20_000_000),
                                       call(ledger, after, 300_000)], relayer, gas=3_000_000)
    assert [(ok, gas > 0) for ok, gas, _ in outcomes] == [(True, True), (False, False), (True, True)]
    not_run(outcomes[1][2], 1, 3, 20_000_000)
    assert ledger.nonces(mine, 0) == n


def test_simulate_always_reports_every_call_whatever_gas_it_is_given(batch, ledger, world, mine, outsider, relayer,
                                                                      sign, chain):
    """However little gas the eth_call has, and however much memory large calls took, `simulate` keeps the reserve to
    report every call: never a revert of the whole batch (out of gas) instead of the outcomes."""
    n = ledger.nonces(mine, 0)
    children = [child(1, f"c{i}") for i in range(256)]
    calls = []
    for i in range(30):
        if i % 3 == 0:  # a large refused call: 256 children hashed, then "not an operator" (~33 KB of calldata)
            calls.append(call(ledger, sign(outsider, ledger, "SplitParcel", {"parcelId": 10**9, "children": children},
                                           nonce=i << 64), 1_500_000))
        else:
            calls.append(call(ledger, sign(mine, ledger, "RegisterParcel", parcel(100 + i), nonce=(i << 64)),
                              400_000))
    data = bytes(batch.simulate.as_transaction(calls, sender=relayer).data)
    intrinsic = 21_000 + sum(16 if b else 4 for b in data)  # below it, the node refuses the eth_call itself
    # from the least a simulation of 30 calls needs (the reserve to report them all) to enough to run them all
    start = intrinsic + FINISH_GAS + 30 * REPORT_GAS
    ran = set()
    for gas in range(start, start + 8_000_000, 97_003):  # an odd step: every kind of boundary
        outcomes = simulate(chain, batch, calls, relayer, gas=gas)
        assert len(outcomes) == 30
        for i, (ok, used, data) in enumerate(outcomes):
            if not ok and used == 0:
                not_run(data, i, 30, calls[i][2])
            elif i % 3:
                assert ok
            else:
                assert not ok and data[:4] == selector("KPLedgerNotOperator(address)")
        ran.add(sum(used > 0 for _, used, _ in outcomes))
    assert min(ran) == 0 and max(ran) == 30
    assert ledger.nonces(mine, 0) == n


def test_a_split_that_would_be_refused_costs_no_child_writes(batch, ledger, world, mine, register, relayer, sign,
                                                            chain):
    """Every child is checked and the weights added up before the first child is stored: a non-conserving split of
    256 children is refused for a fraction of what the split itself costs (before: the same ~13M gas, all writes
    undone)."""
    parent = register(points=256_000)
    n = ledger.nonces(mine, 0)
    good = [child(1_000, f"child-{i}") for i in range(256)]
    bad = [*good[:-1], child(1_001, "child-255")]
    zero = [*good[:-1], child(0, "child-255")]
    outcomes = simulate(chain, batch, [
        call(ledger, sign(mine, ledger, "SplitParcel", {"parcelId": parent, "children": children}, nonce=n),
             15_000_000) for children in (bad, zero, good)], relayer, gas=30_000_000)
    (ok0, gas0, reason0), (ok1, gas1, reason1), (ok2, gas2, _) = outcomes
    assert not ok0 and reason0[:4] == selector("KPLedgerCaratsNotConserved(uint256,uint256,uint256)")
    assert abi_decode(["uint256", "uint256", "uint256"], reason0[4:]) == (parent, 256_000, 256_001)
    assert not ok1 and reason1 == selector("KPLedgerZeroWeight()")
    assert ok2 and gas2 > 12_000_000 and gas0 < 600_000 and gas1 < 600_000
