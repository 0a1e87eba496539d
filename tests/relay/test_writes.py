"""The write API over real HTTP against a real anvil: every endpoint, and every refusal leaves the chain as it was."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.stack import MANIFEST
from tests.support.writes import GEM, UNSORTED, Api, b32, contracts, licence, setup_world

ZERO = "0x" + "00" * 32
DAY = 86_400


@pytest.fixture
def api(server) -> Api:
    return Api(server.url)


@pytest.fixture
def chain(node) -> dict[str, Any]:
    return contracts(node.w3, node.data_dir, MANIFEST)


@pytest.fixture
def world(api, actors) -> Api:
    setup_world(api, actors)
    return api


def transactions_since(node, block: int) -> int:
    """Transactions mined after `block` (the chain may mine empty blocks meanwhile: KP_TEST_BLOCK_TIME)."""
    return sum(node.w3.eth.get_block_transaction_count(n) for n in range(block + 1, node.w3.eth.block_number + 1))


def refused(node, api: Api, action: str, body: dict[str, Any], status: int, code: str,
            read: Callable[[], Any], path: str | None = None) -> dict[str, Any]:
    """Posts a request that must be refused with `status`/`code`, sending nothing and changing nothing."""
    block, state = node.w3.eth.block_number, read()
    relayer_nonce = node.w3.eth.get_transaction_count(node.w3.eth.accounts[0])
    response = api.post(action, body, path) if path or "message" in body else api.http.post(path, json=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code, answer
    assert transactions_since(node, block) == 0
    assert node.w3.eth.get_transaction_count(node.w3.eth.accounts[0]) == relayer_nonce
    assert read() == state
    return answer


def test_a_whole_journey_through_every_endpoint(api, actors, chain, node):
    gov, bw, eu, ca = actors["governance"], actors["bw_authority"], actors["eu_authority"], actors["ca_authority"]
    mine, exporter, trader = actors["mine"], actors["bw_exporter"], actors["eu_trader"]
    registry, ledger, certificates = chain["KPRegistry"], chain["KPLedger"], chain["KPCertificates"]
    for code, name in (("BW", "Botswana"), ("EU", "European Union"), ("CA", "Canada")):
        assert api.do(gov, "AdmitParticipant", {"code": code, "name": name})["result"] == {"participant": code}
    for code, authority in (("BW", bw), ("EU", eu), ("CA", ca)):
        out = api.do(gov, "AppointAuthority", {"participant": code, "account": authority.address,
                                               "name": f"{code} KP Authority"})
        assert out["result"] == {"participant": code, "account": authority.address}
    spare = actors["outsider"]
    api.do(gov, "AppointAuthority", {"participant": "CA", "account": spare.address, "name": "CA deputy"})
    dismissed = api.do(gov, "DismissAuthority", {"participant": "CA", "account": spare.address})
    assert dismissed["result"] == {"participant": "CA", "account": spare.address}
    assert registry.functions.member(spare.address).call()[1] == 0
    validity = api.do(gov, "SetMaxCertificateValidity", {"maxValidity": 90 * DAY})
    assert validity["result"] == {"max_validity": 90 * DAY} and registry.functions.maxCertificateValidity().call() \
        == 90 * DAY
    licensed = api.do(bw, "LicenseOperator", licence(mine, 2 | 4))
    assert licensed["result"] == {"account": mine.address, "participant": "BW", "roles": 6}
    api.do(bw, "LicenseOperator", licence(exporter, 4 | 8 | 16))
    api.do(eu, "LicenseOperator", licence(trader, 4 | 8 | 16))
    api.do(ca, "LicenseOperator", licence(actors["ca_mine"], 2))
    renamed = api.do(bw, "UpdateOperatorProfile", {"account": mine.address, "name": "Kalahari Ridge Mining",
                                                   "licenceNumber": "BW-ML-1", "registryRef": "CIPA 2019/1"})
    assert renamed["result"] == {"account": mine.address}
    assert tuple(registry.functions.profile(mine.address).call()) == ("Kalahari Ridge Mining", "BW-ML-1",
                                                                      "CIPA 2019/1")

    parcel = api.do(mine, "RegisterParcel", {"points": 1_000, "stones": 5, "hsCode": UNSORTED, "origin": "BW",
                                             "documentHash": b32("p")})
    assert parcel["result"] == {"parcel_id": 1}
    assert parcel["block_number"] == node.w3.eth.get_transaction_receipt(parcel["tx_hash"])["blockNumber"]
    split = api.do(mine, "SplitParcel", {"parcelId": 1, "children": [
        {"points": 400, "stones": 2, "hsCode": GEM, "documentHash": b32("a")},
        {"points": 600, "stones": 3, "hsCode": GEM, "documentHash": b32("b")}]})
    assert split["result"] == {"parcel_id": 1, "child_ids": [2, 3]}
    assert api.do(mine, "MergeParcels", {"parcelIds": [2, 3], "documentHash": b32("m")})["result"] == {"parcel_id": 4}
    sealed = api.do(mine, "SealConsignment", {"parcelIds": [4], "sealId": b32("box")})
    assert sealed["result"] == {"consignment_id": 5}
    offer = {"lotId": 5, "recipient": exporter.address, "sealId": b32("box")}
    assert api.do(mine, "OfferCustody", offer)["result"] == {"lot_id": 5}
    assert api.do(exporter, "RejectCustody", {"lotId": 5, "reason": 3})["result"] == {"lot_id": 5}
    api.do(mine, "OfferCustody", offer)
    assert api.do(mine, "WithdrawOffer", {"lotId": 5})["result"] == {"lot_id": 5}
    api.do(mine, "OfferCustody", offer)
    accepted = api.do(exporter, "AcceptCustody", {"lotId": 5, "sealId": b32("box")})
    # at home: no certificate, and no zero key in the answer (None)
    assert accepted["result"] == {"lot_id": 5, "transferred": True, "certificate_key": None,
                                  "certificate_number": None}
    assert ledger.functions.consignment(5).call()[0] == exporter.address

    now = node.w3.eth.get_block("latest")["timestamp"]
    cert = {"number": "BW0000001", "importer": "EU", "importerAccount": trader.address, "consignmentId": 5,
            "points": 1_000, "parcelCount": 1, "hsCodes": [GEM], "origins": ["BW"], "issuedAt": now - 60,
            "expiresAt": now + DAY, "documentHash": b32("cert"), "replaces": ""}
    issued = api.do(bw, "IssueCertificate", cert)
    key = issued["result"]["certificate_key"]
    assert issued["result"]["number"] == "BW0000001" and issued["result"]["consignment_id"] == 5 and key != ZERO
    api.do(exporter, "OfferCustody", {"lotId": 5, "recipient": trader.address, "sealId": b32("box")})
    crossed = api.do(trader, "AcceptCustody", {"lotId": 5, "sealId": b32("box")})
    assert crossed["result"] == {"lot_id": 5, "transferred": True, "certificate_key": key,
                                 "certificate_number": "BW0000001"}
    out = api.do(eu, "RecordDiscrepancy", {"number": "BW0000001", "reason": 2, "evidenceHash": b32("scale")})
    assert out["result"] == {"number": "BW0000001", "certificate_key": key}
    api.do(eu, "ConfirmImport", {"number": "BW0000001"})
    assert certificates.functions.certificate("BW0000001").call()[5] == 3  # Confirmed
    assert api.do(trader, "OpenConsignment", {"consignmentId": 5})["result"] == {"consignment_id": 5}
    assert api.do(trader, "SealConsignment", {"parcelIds": [4], "sealId": b32("box2")})["result"] == \
        {"consignment_id": 6}
    back = {**cert, "number": "EU0000001", "importer": "BW", "importerAccount": exporter.address, "consignmentId": 6}
    api.do(eu, "IssueCertificate", back)
    api.do(eu, "VoidCertificate", {"number": "EU0000001", "reason": 7})
    assert certificates.functions.certificate("EU0000001").call()[5] == 5  # Voided
    corrected = api.do(eu, "IssueCertificate", {**back, "number": "EU0000002", "replaces": "EU0000001"})
    assert corrected["result"]["number"] == "EU0000002"
    assert certificates.functions.certificate("EU0000001").call()[10] is True  # superseded

    # a seal mismatch is recorded and does not move custody
    api.do(mine, "RegisterParcel", {"points": 50, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                    "documentHash": b32("p7")})
    api.do(mine, "OfferCustody", {"lotId": 7, "recipient": exporter.address, "sealId": b32("bag")})
    mismatch = api.do(exporter, "AcceptCustody", {"lotId": 7, "sealId": b32("other bag")})
    assert mismatch["result"]["transferred"] is False
    assert ledger.functions.parcel(7).call()[0] == mine.address

    api.do(gov, "SuspendParticipant", {"code": "CA", "reason": b32("plenary")})
    assert registry.functions.participant(b"CA").call()[0] == 2
    api.do(gov, "ReinstateParticipant", {"code": "CA"})
    assert registry.functions.participant(b"CA").call()[0] == 1
    revoked = api.do(bw, "RevokeOperator", {"account": exporter.address, "roles": 16})
    assert revoked["result"]["roles"] == 12 and registry.functions.member(exporter.address).call()[1] == 12
    assert api.nonce(mine.address, "KPLedger") == ledger.functions.nonces(mine.address, 0).call() == 10


def test_an_outsider_is_refused_with_the_contracts_error(world, actors, chain, node):
    ledger, outsider = chain["KPLedger"], actors["in_authority"]
    body = world.body(outsider, "RegisterParcel", {"points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                   "documentHash": b32("x")})
    answer = refused(node, world, "RegisterParcel", body, 403, "KPLedgerNotOperator",
                     lambda: ledger.functions.lastLotId().call())
    assert answer["details"]["account"].lower() == outsider.address.lower()
    lic = world.body(actors["mine"], "LicenseOperator", licence(outsider, 16))
    refused(node, world, "LicenseOperator", lic, 403, "KPRegistryNotAuthority",
            lambda: chain["KPRegistry"].functions.member(outsider.address).call())
    # a custody action on someone else's lot
    world.do(actors["mine"], "RegisterParcel", {"points": 9, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                "documentHash": b32("y")})
    steal = world.body(actors["bw_exporter"], "OfferCustody", {"lotId": 1, "recipient": actors["eu_trader"].address,
                                                               "sealId": b32("s")})
    refused(node, world, "OfferCustody", steal, 403, "KPLedgerNotHolder", lambda: ledger.functions.offerOf(1).call())


def test_licensing_that_would_mix_duties_or_share_a_licence_number_is_refused(world, actors, chain, node):
    registry, bw = chain["KPRegistry"], actors["bw_authority"]
    mine, outsider = actors["mine"], actors["outsider"]
    number = registry.functions.profile(mine.address).call()[1]

    def state(*accounts):
        return lambda: [(registry.functions.member(a.address).call(), registry.functions.profile(a.address).call())
                        for a in accounts] + [registry.functions.licenceHolder(b"BW", number).call()]

    # a second operator under the mine's licence number
    twin = world.body(bw, "LicenseOperator", licence(outsider, 2, ("Mine Ltd", number)))
    answer = refused(node, world, "LicenseOperator", twin, 409, "KPRegistryLicenceNumberTaken", state(outsider))
    assert answer["details"] == {"participant": "BW", "licenceNumber": number, "holder": mine.address}
    assert answer["message"].startswith(f"licence number {number} of BW is held by {mine.address}")
    # the authority licensing itself, to certify its own exports
    own = world.body(bw, "LicenseOperator", licence(bw, 2 | 4, ("BW Mining", "BW-ML-9")))
    answer = refused(node, world, "LicenseOperator", own, 409, "KPRegistryAccountIsAuthority", state(bw))
    assert answer["details"] == {"account": bw.address, "participant": "BW"}
    # the mine appointed the authority that would certify its exports
    appoint = world.body(actors["governance"], "AppointAuthority", {"participant": "BW", "account": mine.address,
                                                                     "name": "Mine Office"})
    answer = refused(node, world, "AppointAuthority", appoint, 409, "KPRegistryAccountIsOperator", state(mine))
    assert answer["details"] == {"account": mine.address, "participant": "BW", "roles": 6}
    assert "licensed as producer, exporter of BW" in answer["message"]


def test_wrong_signatures_are_refused_before_the_chain(world, actors, chain, node):
    ledger, mine = chain["KPLedger"], actors["mine"]
    message = {"points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32("x")}
    state = lambda: (ledger.functions.lastLotId().call(), ledger.functions.nonces(mine.address, 0).call())  # noqa: E731
    forged = world.body(actors["bw_exporter"], "RegisterParcel", message, signer=mine.address)
    refused(node, world, "RegisterParcel", forged, 401, "InvalidSignature", state)
    tampered = world.body(mine, "RegisterParcel", message)
    tampered["message"] = {**message, "points": 2}
    refused(node, world, "RegisterParcel", tampered, 401, "InvalidSignature", state)
    garbage = {**world.body(mine, "RegisterParcel", message), "signature": "0x" + "11" * 65}
    refused(node, world, "RegisterParcel", garbage, 401, "InvalidSignature", state)
    late = world.body(mine, "RegisterParcel", message, deadline=int(time.time()) - 5)
    refused(node, world, "RegisterParcel", late, 401, "KPIntentExpired", state)
    future = world.body(mine, "RegisterParcel", message, nonce=5)
    answer = refused(node, world, "RegisterParcel", future, 401, "KPIntentBadNonce", state)
    assert answer["details"] == {"signer": mine.address, "nonce": 5, "expected": 0}


def test_malformed_oversized_and_mismatched_requests(world, actors, chain, node):
    ledger, mine = chain["KPLedger"], actors["mine"]
    message = {"points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW", "documentHash": b32("x")}
    good = world.body(mine, "RegisterParcel", message)
    last = lambda: ledger.functions.lastLotId().call()  # noqa: E731
    bad_bodies = [
        {**good, "message": {**message, "points": 2**48}},  # over uint48
        {**good, "message": {**message, "points": "1"}},  # a string is not a number
        {**good, "message": {**message, "documentHash": "0x1234"}},  # not a bytes32
        {**good, "message": {k: v for k, v in message.items() if k != "origin"}},
        {**good, "message": {**message, "extra": 1}},
        {**good, "signer": "0xnot-an-address"},
        {**good, "nonce": -1},
        {k: v for k, v in good.items() if k != "signature"},
    ]
    for body in bad_bodies:
        answer = refused(node, world, "RegisterParcel", body, 422, "InvalidRequest", last, path="/v1/parcels")
        assert answer["details"]["errors"]
    too_many = {**good, "message": {"parcelIds": list(range(1, 258)), "sealId": b32("s")}}
    refused(node, world, "SealConsignment", too_many, 422, "InvalidRequest", last, path="/v1/consignments")
    huge = {**good, "message": {**message, "origin": "B" * 70_000}}
    refused(node, world, "RegisterParcel", huge, 413, "PayloadTooLarge", last, path="/v1/parcels")
    world.do(mine, "RegisterParcel", message)
    offer = world.body(mine, "OfferCustody", {"lotId": 1, "recipient": actors["bw_exporter"].address,
                                              "sealId": b32("s")})
    refused(node, world, "OfferCustody", offer, 422, "PathMismatch", lambda: ledger.functions.offerOf(1).call(),
            path="/v1/lots/2/offer")
    void = world.body(actors["bw_authority"], "VoidCertificate", {"number": "BW1", "reason": 6})
    refused(node, world, "VoidCertificate", void, 422, "PathMismatch", last, path="/v1/certificates/BW2/void")


def test_a_replayed_request_runs_once_and_a_reused_nonce_is_refused(world, actors, chain, node):
    ledger, mine = chain["KPLedger"], actors["mine"]
    body = world.body(mine, "RegisterParcel", {"points": 7, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                               "documentHash": b32("once")})
    first = world.post("RegisterParcel", body).json()
    block = node.w3.eth.block_number
    again = world.post("RegisterParcel", body)
    assert again.status_code == 200
    second = again.json()
    assert second["duplicate"] is True and first["duplicate"] is False
    assert {k: v for k, v in second.items() if k != "duplicate"} == {k: v for k, v in first.items() if k != "duplicate"}
    assert transactions_since(node, block) == 0 and ledger.functions.lastLotId().call() == 1
    reuse = world.body(mine, "RegisterParcel", {"points": 8, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                "documentHash": b32("twice")}, nonce=body["nonce"])
    refused(node, world, "RegisterParcel", reuse, 401, "KPIntentBadNonce", lambda: ledger.functions.lastLotId().call())


def test_concurrent_duplicates_and_concurrent_signers(world, actors, chain, node):
    ledger, relayer = chain["KPLedger"], actors["relayer"].address
    body = world.body(actors["mine"], "RegisterParcel", {"points": 5, "stones": 1, "hsCode": UNSORTED,
                                                         "origin": "BW", "documentHash": b32("dup")})
    with ThreadPoolExecutor(8) as pool:
        answers = [r.json() for r in pool.map(lambda _: world.post("RegisterParcel", body), range(8))]
    assert len({a["request_id"] for a in answers}) == 1 and len({a["tx_hash"] for a in answers}) == 1
    assert sorted(a["duplicate"] for a in answers) == [False] + [True] * 7
    assert ledger.functions.lastLotId().call() == 1

    # four signers at once, keyed nonces so that each signer's requests may run in any order
    start_nonce = node.w3.eth.get_transaction_count(relayer)
    jobs = [(actors["mine"], "RegisterParcel", {"points": 10 + i, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                "documentHash": b32(f"c{i}")}) for i in range(5)]
    jobs += [(actors["governance"], "AdmitParticipant", {"code": code, "name": code}) for code in
             ("CA", "IN", "RU", "AO", "NA")]
    jobs += [(actors["bw_authority"], "LicenseOperator", licence(actors[n], 16)) for n in ("mine", "bw_exporter")]
    jobs += [(actors["eu_authority"], "LicenseOperator", licence(actors["eu_trader"], 32))]
    bodies = [(action, world.body(actor, action, message, nonce=(i + 1) << 64))
              for i, (actor, action, message) in enumerate(jobs)]
    with ThreadPoolExecutor(len(bodies)) as pool:
        responses = list(pool.map(lambda job: world.post(*job), bodies))
    assert [r.status_code for r in responses] == [200] * len(bodies), [r.text for r in responses]
    # batched: requests of different signers share transactions; one signer's requests run one after another
    sent = node.w3.eth.get_transaction_count(relayer) - start_nonce
    assert len({r.json()["tx_hash"] for r in responses}) == sent and 5 <= sent < len(bodies)
    assert sorted(r.json()["result"]["parcel_id"] for r in responses[:5]) == [2, 3, 4, 5, 6]


def test_nonces_count_accepted_requests(world, actors, chain):
    mine = actors["mine"]
    assert world.http.get(f"/v1/accounts/{mine.address}/nonces").json() == {
        "KPRegistry": 0, "KPLedger": 0, "KPCertificates": 0}
    world.do(mine, "RegisterParcel", {"points": 1, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                      "documentHash": b32("n")})
    assert world.nonce(mine.address.lower(), "KPLedger") == 1
    assert world.http.get("/v1/accounts/0x1234/nonces").status_code == 422


# ---------------------------------------------------------------- seal labels beside the signed seal id


def test_a_seal_label_travels_beside_the_signed_id_and_reads_back_beside_it(world, actors, chain, node):
    """The label is not signed: it is bound to the signed id by its hash. One that hashes to it is kept and every
    read shows it beside the id; one that does not is refused before anything is relayed."""
    ledger, mine, exporter = chain["KPLedger"], actors["mine"], actors["bw_exporter"]
    last = lambda: ledger.functions.lastLotId().call()  # noqa: E731
    world.do(mine, "RegisterParcel", {"points": 100, "stones": 1, "hsCode": GEM, "origin": "BW",
                                      "documentHash": b32("l")})
    seal = {"parcelIds": [1], "sealId": b32("BAG-0901")}
    # a label of another seal: refused with a stable code, nothing sent, nothing changed
    wrong = {**world.body(mine, "SealConsignment", seal), "seal_label": "BAG-0902"}
    answer = refused(node, world, "SealConsignment", wrong, 422, "SealLabelMismatch", last)
    assert answer["details"] == {"seal_label": "BAG-0902", "seal_id": b32("BAG-0901"),
                                 "label_hashes_to": b32("BAG-0902")}
    # a label no seal carries (a control character) and a label on an action without a seal: the schema refuses
    for body in ({**world.body(mine, "SealConsignment", seal), "seal_label": "BAG\x1b[2J"},
                 {**world.body(mine, "SealConsignment", seal), "seal_label": ""},
                 {**world.body(mine, "SealConsignment", seal), "seal_label": "B" * 121}):
        refused(node, world, "SealConsignment", body, 422, "InvalidRequest", last)
    register = {**world.body(mine, "RegisterParcel", {"points": 1, "stones": 1, "hsCode": GEM, "origin": "BW",
                                                      "documentHash": b32("x")}), "seal_label": "BAG-0901"}
    refused(node, world, "RegisterParcel", register, 422, "InvalidRequest", last)
    assert world.http.get("/v1/parcels/1").json()["sealed"] is False

    # the right label: kept, and shown beside the id by every read
    sealed = world.post("SealConsignment", {**world.body(mine, "SealConsignment", seal), "seal_label": "BAG-0901"})
    assert sealed.status_code == 200, sealed.text
    box = sealed.json()["result"]["consignment_id"]
    shown = world.http.get(f"/v1/consignments/{box}").json()
    assert (shown["seal_id"], shown["seal_label"]) == (b32("BAG-0901"), "BAG-0901")
    offer = world.body(mine, "OfferCustody", {"lotId": box, "recipient": exporter.address, "sealId": b32("BAG-0901")})
    assert world.post("OfferCustody", offer).status_code == 200  # no label: the seal's is known already
    inbox = world.http.get(f"/v1/accounts/{exporter.address}/inbox").json()
    assert [(o["lot_id"], o["seal_label"]) for o in inbox["offers_to_me"]] == [(box, "BAG-0901")]
    assert world.http.get(f"/v1/lots/{box}").json()["offer"]["seal_label"] == "BAG-0901"
    # the recipient attests another seal, by label: the mismatch reads with both labels
    attested = {**world.body(exporter, "AcceptCustody", {"lotId": box, "sealId": b32("BAG-0999")}),
                "seal_label": "BAG-0999"}
    assert world.post("AcceptCustody", attested).json()["result"]["transferred"] is False
    steps = world.http.get("/v1/parcels/1/provenance").json()["timeline"]
    assert [(s["kind"], s["seal_label"]) for s in steps if s["seal_id"]] == [
        ("sealed", "BAG-0901"), ("offered", "BAG-0901"), ("seal_mismatch", "BAG-0999")]

    # a seal whose label the ledger never learnt (a write without one, or made on chain directly) reads as null
    world.do(mine, "OpenConsignment", {"consignmentId": box})
    resealed = world.do(mine, "SealConsignment", {"parcelIds": [1], "sealId": b32("BAG-0903")})
    again = world.http.get(f"/v1/consignments/{resealed['result']['consignment_id']}").json()
    assert again["seal_label"] is None and again["seal_id"] == b32("BAG-0903")
