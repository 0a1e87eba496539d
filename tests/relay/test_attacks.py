"""The relayer's availability under attack, through the real API: contract wallets named as signers (ERC-1271)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from eth_account import Account
from httpx import Response

from kpledger.core.constants import PRODUCER, TRADER
from kpledger.dev.stack import ApiServer
from kpledger.signing.typed_data import sign_intent
from tests.support.rpc_gate import RpcGate, queue_depth
from tests.support.stack import MANIFEST, Actor, Node
from tests.support.writes import (
    UNSORTED,
    Api,
    b32,
    children,
    contracts,
    deploy,
    licence,
    registered,
    setup_world,
    wallet_body,
)


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


# ---------------------------------------------------------------- one batch: what one request may cost the others
# These tests put their requests in ONE batch: the server reaches the chain through an RpcGate, which holds the
# sender thread on the simulation of a first request (`pacer`) while the others queue behind it, in a fixed order.

METRICS_TOKEN = "relay-attack-tests"


@pytest.fixture
def gated(node) -> Iterator[tuple[ApiServer, RpcGate]]:
    gate = RpcGate(node.url)
    server = ApiServer(gate.url, node.data_dir, env={"KP_METRICS": "on", "KP_METRICS_TOKEN": METRICS_TOKEN})
    yield server, gate
    server.close()
    gate.close()


def one_batch(api: Api, gate: RpcGate, pacer: tuple[str, dict], jobs: list[tuple[str, dict]]) -> list[Response]:
    """The answers to `jobs` (action, body), simulated together in this order: `pacer` is posted first and its
    batch held at the gate while the jobs queue one after another behind it."""
    gate.hold()
    with ThreadPoolExecutor(len(jobs) + 1) as pool:
        first = pool.submit(api.post, *pacer)
        gate.wait_held()
        futures: list[Future[Response]] = []
        for job in jobs:
            futures.append(pool.submit(api.post, *job))
            deadline = time.monotonic() + 60
            # queued, or answered before the queue (a refusal of the front door)
            while queue_depth(api.http, METRICS_TOKEN) + sum(f.done() for f in futures) < len(futures):
                assert time.monotonic() < deadline, "a request did not reach the relayer's queue"
                time.sleep(0.005)
        gate.open()
        assert first.result().status_code == 200, first.result().text
        return [f.result() for f in futures]


def producers(api: Api, actors: dict[str, Actor], n: int) -> list[Actor]:
    """`n` fresh accounts licensed as Botswana producers."""
    out = [Actor(f"producer_{i}", bytes(Account.create().key)) for i in range(n)]
    for actor in out:
        api.do(actors["bw_authority"], "LicenseOperator", licence(actor, PRODUCER))
    return out


def register(api: Api, actor: Actor, points: int, tag: str) -> int:
    answer = api.do(actor, "RegisterParcel", {"points": points, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                              "documentHash": b32(tag)})
    return answer["result"]["parcel_id"]


def split(api: Api, actor: Actor, parcel: int, n: int, total: int, tag: str, **kw) -> tuple[str, dict]:
    return "SplitParcel", api.body(actor, "SplitParcel", {"parcelId": parcel, "children": children(n, total, tag)},
                                   **kw)


def registration(api: Api, actor: Actor, tag: str) -> tuple[str, dict]:
    return "RegisterParcel", api.body(actor, "RegisterParcel", {"points": 7, "stones": 1, "hsCode": UNSORTED,
                                                                "origin": "BW", "documentHash": b32(tag)})


def pacer(api: Api, actors: dict[str, Actor], code: str) -> tuple[str, dict]:
    """A harmless write of governance's (a new participant) that holds the gate."""
    return "AdmitParticipant", api.body(actors["governance"], "AdmitParticipant", {"code": code, "name": code})


def children_of(node: Node, parcel: int) -> int:
    ledger = contracts(node.w3, node.data_dir, MANIFEST)["KPLedger"]
    return len(ledger.events.ParcelSplit.get_logs(from_block=0, argument_filters={"parentId": parcel}))


def test_three_honest_large_splits_at_once_are_all_mined(node, gated, actors):
    """Three 250-child splits (about 12.9M gas each) in one batch. Before the fix: the third could not be given its
    15M bound once the first two had used ~26M of the simulation's gas, the simulation reverted as a whole
    (KPRelayBatchInsufficientGas) and all three were answered 409."""
    server, gate = gated
    api = Api(server.url)
    setup_world(api, actors)
    splitters = producers(api, actors, 3)
    parcels = [register(api, p, 100_000, f"big-{i}") for i, p in enumerate(splitters)]
    jobs = [split(api, p, parcel, 250, 100_000, f"part-{i}") for i, (p, parcel) in enumerate(zip(splitters, parcels,
                                                                                                 strict=True))]
    answers = one_batch(api, gate, pacer(api, actors, "CA"), jobs)
    assert [a.status_code for a in answers] == [200] * 3, [a.text[:300] for a in answers]
    assert [children_of(node, p) for p in parcels] == [250] * 3


def test_a_licensed_party_resubmitting_non_conserving_splits_refuses_no_honest_write(node, gated, actors):
    """A licensed producer sends 250-child splits whose weights do not add up (never mined: nothing to pay), ahead
    of an honest large split and 40 honest registrations, twice. Before the fix: each such split used ~12.9M gas of
    the simulation before the contract refused it; with the honest split's ~12.9M, the registrations behind them
    soon could not be given their bounds, the simulation reverted and every request of the batch was answered 409
    (under load, a batch of honest writes with one such split beside them goes the same way)."""
    server, gate = gated
    api = Api(server.url)
    setup_world(api, actors)
    attacker, splitter, *writers = producers(api, actors, 42)
    mine = register(api, attacker, 100_000, "attacker's")
    honest = [register(api, splitter, 100_000, f"honest-{r}") for r in range(2)]
    for round_ in range(2):
        jobs = [split(api, attacker, mine, 250, 100_001, f"bad-{round_}"),
                split(api, splitter, honest[round_], 250, 100_000, f"good-{round_}"),
                *(registration(api, w, f"writer-{round_}-{i}") for i, w in enumerate(writers))]
        answers = one_batch(api, gate, pacer(api, actors, "XA" if round_ == 0 else "XB"), jobs)
        assert (answers[0].status_code, answers[0].json()["code"]) == (409, "KPLedgerCaratsNotConserved"), \
            answers[0].text[:300]
        assert [a.status_code for a in answers[1:]] == [200] * 41, [a.text[:300] for a in answers[1:]]
    counts = registered(node, MANIFEST)
    assert all(counts[b32(f"writer-{r}-{i}")] == 1 for r in range(2) for i in range(40))
    assert children_of(node, mine) == 0 and [children_of(node, p) for p in honest] == [250, 250]


def test_unlicensed_gas_left_wallets_beside_an_honest_large_split_do_not_refuse_it(node, gated, actors):
    """24 outsiders' wallets that accept any signature in the relayer's pre-check and burn their allowance in the
    ledger (GasLeftWallet), each naming itself the signer of a 250-child split, ahead of an honest 250-child split.
    Each costs the simulation ~630k gas (calldata ~245k, hashing the children, the 100k allowance). Before the fix:
    with the ~15M they used, the honest split could not be given its 15M bound: the simulation reverted and the
    honest split was answered 409 (with 18 wallets it still fitted, just)."""
    server, gate = gated
    api = Api(server.url)
    setup_world(api, actors)
    attacker = actors["outsider"]
    node.fund([attacker.address])
    (splitter,) = producers(api, actors, 1)
    honest = register(api, splitter, 100_000, "honest")
    wallets = [deploy(node, attacker, "GasLeftWallet") for _ in range(24)]
    jobs = [split(api, attacker, honest, 250, 100_000, f"evil-{i}", nonce=0, signer=w) for i, w in enumerate(wallets)]
    jobs.append(split(api, splitter, honest, 250, 100_000, "honest"))
    answers = one_batch(api, gate, pacer(api, actors, "CA"), jobs)
    assert answers[-1].status_code == 200, answers[-1].text[:300]
    assert children_of(node, honest) == 250
    for answer in answers[:-1]:
        assert (answer.status_code, answer.json()["code"]) == (401, "KPIntentInvalidSignature"), answer.text[:300]


def test_a_two_faced_wallet_honest_at_gas_price_zero_is_throttled(node, server, actors):
    """A licensed wallet (GasPriceWallet) that answers honestly at gas price 0, as in the relayer's simulation, and
    burns its allowance in the priced batch transaction: every request passes the simulation and fails on chain, at
    the relayer's expense. Before the fix: it could do so forever (each of its four requests was mined and failed,
    ~120k gas each). After: its first failure on chain throttles it (429), the others' writes go on."""
    api = Api(server.url)
    setup_world(api, actors)
    owner = actors["outsider"]
    node.fund([owner.address])
    wallet = deploy(node, owner, "GasPriceWallet", owner.address)
    api.do(actors["bw_authority"], "LicenseOperator", {**licence(Actor("two_faced", owner.key), PRODUCER),
                                                       "account": wallet})
    relayer = actors["relayer"].address
    burned = []
    for i in range(4):
        before = node.w3.eth.get_transaction_count(relayer)
        answer = api.post("RegisterParcel", wallet_body(api, owner, wallet, "RegisterParcel", {
            "points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32(f"two-faced-{i}")}))
        sent = node.w3.eth.get_transaction_count(relayer) - before
        if i == 0:  # the relayer cannot know before the chain tells it
            assert (answer.status_code, answer.json()["code"], sent) == (401, "KPIntentInvalidSignature", 1)
        else:
            assert (answer.status_code, answer.json()["code"], sent) == (429, "SignerThrottled", 0), answer.text
            assert int(answer.headers["Retry-After"]) == answer.json()["details"]["retry_after"] > 0
        burned.append(sent)
        api.do(actors["mine"], "RegisterParcel", {"points": 1 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                  "documentHash": b32(f"honest-{i}")})
    assert sum(burned) == 1
    assert not any(registered(node, MANIFEST)[b32(f"two-faced-{i}")] for i in range(4))


def test_honest_writes_beside_every_kind_of_hostile_request_in_one_batch_are_all_mined(node, gated, actors):
    """One batch mixing, ahead of and among honest writes (the largest legitimate split, 256 children; a 250-child
    split; 20 registrations): a licensed party's non-conserving 250-child split, 20 unlicensed GasLeftWallets'
    250-child splits, and a licensed GasPriceWallet that passes the simulation and fails on chain. Every honest
    write is mined; each hostile request fails alone, with its own error."""
    server, gate = gated
    api = Api(server.url)
    setup_world(api, actors)
    attacker = actors["outsider"]
    node.fund([attacker.address])
    cheat, big, splitter, *writers = producers(api, actors, 23)
    cheats, largest, honest = (register(api, p, 100_000, f"parcel-{i}") for i, p in enumerate((cheat, big, splitter)))
    burners = [deploy(node, attacker, "GasLeftWallet") for _ in range(20)]
    two_faced = deploy(node, attacker, "GasPriceWallet", attacker.address)
    api.do(actors["bw_authority"], "LicenseOperator", {**licence(Actor("two_faced", attacker.key), PRODUCER),
                                                       "account": two_faced})
    hostile = [split(api, cheat, cheats, 250, 99_999, "cheat"),
               *(split(api, attacker, largest, 250, 100_000, f"burn-{i}", nonce=0, signer=w)
                 for i, w in enumerate(burners[:10])),
               ("RegisterParcel", wallet_body(api, attacker, two_faced, "RegisterParcel", {
                   "points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32("two-faced")})),
               *(split(api, attacker, honest, 250, 100_000, f"burn-{i}", nonce=0, signer=w)
                 for i, w in enumerate(burners[10:], 10))]
    good = [split(api, big, largest, 256, 100_000, "largest"), split(api, splitter, honest, 250, 100_000, "honest"),
            *(registration(api, w, f"writer-{i}") for i, w in enumerate(writers))]
    # hostile requests first, honest ones among and behind them
    jobs = [*hostile[:11], good[0], *hostile[11:], good[1], *good[2:]]
    answers = dict(zip((id(job[1]) for job in jobs), one_batch(api, gate, pacer(api, actors, "CA"), jobs),
                       strict=True))
    assert [answers[id(body)].status_code for _, body in good] == [200] * len(good), \
        [answers[id(body)].text[:300] for _, body in good]
    codes = [(answers[id(body)].status_code, answers[id(body)].json()["code"]) for _, body in hostile]
    assert codes == [(409, "KPLedgerCaratsNotConserved")] + [(401, "KPIntentInvalidSignature")] * 21
    assert [children_of(node, p) for p in (cheats, largest, honest)] == [0, 256, 250]
    counts = registered(node, MANIFEST)
    assert all(counts[b32(f"writer-{i}")] == 1 for i in range(20)) and not counts[b32("two-faced")]


def test_a_licensed_party_that_keeps_sending_refused_merges_is_throttled_alone(node, server, actors):
    """A licensed producer asks again and again to merge its 255 parcels with one it does not hold, last: each
    attempt is refused in the simulation (nothing sent) after ~2.8M gas of checks and writes undone. The signer is
    charged that gas, and once it owes more than its allowance it waits (429) while the others are served. Before the
    fix it could go on forever."""
    api = Api(server.url)
    setup_world(api, actors)
    attacker, honest = producers(api, actors, 2)
    parcel = register(api, attacker, 255_000, "attacker's")
    split_answer = api.post(*split(api, attacker, parcel, 255, 255_000, "part"))
    assert split_answer.status_code == 200, split_answer.text
    held = split_answer.json()["result"]["child_ids"]
    foreign = register(api, honest, 1, "not the attacker's")  # a higher id: the merge's last parcel
    relayer = actors["relayer"].address
    sent = node.w3.eth.get_transaction_count(relayer)
    codes = []
    while len(codes) < 40 and "SignerThrottled" not in codes:
        answer = api.post("MergeParcels", api.body(attacker, "MergeParcels", {
            "parcelIds": [*held, foreign], "documentHash": b32(f"merge-{len(codes)}")}))
        codes.append(answer.json()["code"])
    assert set(codes[:-1]) == {"KPLedgerNotHolder"} and codes[-1] == "SignerThrottled", codes
    assert len(codes) > 3  # a few refusals cost nothing
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) == answer.json()["details"]["retry_after"]
    assert node.w3.eth.get_transaction_count(relayer) == sent  # nothing was ever sent for it
    register(api, honest, 1, "served")  # the others are served meanwhile
