"""Relayed writes: every action submitted by a relayer on behalf of its EIP-712 signer."""

import ape
import pytest

from kpledger.core.actions import ACTIONS

from conftest import DAY, GEM, ROLE_TRADER, UNSORTED, doc, seal


@pytest.fixture(scope="session")
def relayer(accounts):
    return accounts[0]


def relay(contract, signed, relayer):
    return getattr(contract, ACTIONS[signed.action].function)(*signed.args, signed.authorization, sender=relayer)


def test_every_action_has_a_relayed_twin_in_its_contract(project):
    for kind in ACTIONS.values():
        abi_names = {m.name for m in getattr(project, kind.contract).contract_type.mutable_methods}
        assert kind.function in abi_names, kind


def test_a_whole_journey_runs_relayed_with_the_signers_rights(registry, ledger, certificates, governance,
                                                               bw_authority, eu_authority, mine, bw_exporter,
                                                               eu_importer, relayer, sign, chain):
    def go(contract, account, action, message):
        nonce = contract.nonces(account, 0)
        return relay(contract, sign(account, contract, action, message, nonce=nonce), relayer)

    go(registry, governance, "AdmitParticipant", {"code": "BW", "name": "Botswana"})
    go(registry, governance, "AdmitParticipant", {"code": "EU", "name": "European Union"})
    go(registry, governance, "SetAuthority", {"participant": "BW", "account": bw_authority.address, "appoint": True})
    go(registry, governance, "SetAuthority", {"participant": "EU", "account": eu_authority.address, "appoint": True})
    go(registry, bw_authority, "LicenseOperator", {"account": mine.address, "roles": 2 | 4})
    go(registry, bw_authority, "LicenseOperator", {"account": bw_exporter.address, "roles": 4 | 16})
    go(registry, eu_authority, "LicenseOperator", {"account": eu_importer.address, "roles": 4 | 8 | 16})
    tx = go(ledger, mine, "RegisterParcel", {"points": 1_000, "stones": 5, "hsCode": UNSORTED, "origin": "BW",
                                             "documentHash": doc("p")})
    assert tx.events.filter(ledger.ParcelRegistered)[0].producer == mine.address  # the signer, not the relayer
    go(ledger, mine, "SplitParcel", {"parcelId": 1, "children": [
        {"points": 400, "stones": 2, "hsCode": GEM, "documentHash": doc("a")},
        {"points": 600, "stones": 3, "hsCode": GEM, "documentHash": doc("b")}]})
    go(ledger, mine, "MergeParcels", {"parcelIds": [2, 3], "documentHash": doc("m")})
    go(ledger, mine, "SealConsignment", {"parcelIds": [4], "sealId": seal("box")})
    go(ledger, mine, "OfferCustody", {"lotId": 5, "recipient": bw_exporter.address, "sealId": seal("box")})
    go(ledger, bw_exporter, "RejectCustody", {"lotId": 5, "reason": 3})
    go(ledger, mine, "OfferCustody", {"lotId": 5, "recipient": bw_exporter.address, "sealId": seal("box")})
    go(ledger, mine, "WithdrawOffer", {"lotId": 5})
    go(ledger, mine, "OfferCustody", {"lotId": 5, "recipient": bw_exporter.address, "sealId": seal("box")})
    go(ledger, bw_exporter, "AcceptCustody", {"lotId": 5, "sealId": seal("box")})
    assert ledger.consignment(5).holder == bw_exporter.address
    now = chain.pending_timestamp
    cert = {"number": "BW0000001", "importer": "EU", "consignmentId": 5, "points": 1_000, "parcelCount": 1,
            "hsCodes": [GEM], "origins": ["BW"], "issuedAt": now - 60, "expiresAt": now + DAY,
            "documentHash": doc("cert")}
    go(certificates, bw_authority, "IssueCertificate", cert)
    go(ledger, bw_exporter, "OfferCustody", {"lotId": 5, "recipient": eu_importer.address, "sealId": seal("box")})
    go(ledger, eu_importer, "AcceptCustody", {"lotId": 5, "sealId": seal("box")})
    go(certificates, eu_authority, "RecordDiscrepancy", {"number": "BW0000001", "reason": 2,
                                                         "evidenceHash": doc("scale")})
    go(certificates, eu_authority, "ConfirmImport", {"number": "BW0000001"})
    assert certificates.certificate("BW0000001").status == 3
    go(ledger, eu_importer, "OpenConsignment", {"consignmentId": 5})
    assert ledger.parcel(4).holder == eu_importer.address
    go(ledger, eu_importer, "SealConsignment", {"parcelIds": [4], "sealId": seal("box2")})
    go(certificates, eu_authority, "IssueCertificate", {**cert, "number": "EU0000001", "importer": "BW",
                                                        "consignmentId": 6})
    go(certificates, eu_authority, "VoidCertificate", {"number": "EU0000001", "reason": 1})
    go(registry, governance, "SuspendParticipant", {"code": "EU", "reason": doc("plenary")})
    go(registry, governance, "ReinstateParticipant", {"code": "EU"})
    go(registry, bw_authority, "RevokeOperator", {"account": bw_exporter.address, "roles": 16})
    assert registry.member(bw_exporter).roles == 4


def test_the_relayer_gains_no_rights_from_relaying(ledger, world, register, mine, bw_exporter, relayer, sign):
    parcel = register()
    signed = sign(mine, ledger, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                 "sealId": seal("bag")})
    relay(ledger, signed, relayer)
    assert ledger.offerOf(parcel) == bw_exporter.address
    # the relayer, acting in its own name, is nobody on the ledger
    with ape.reverts(ledger.KPLedgerNotRecipient):
        ledger.acceptOffer(parcel, seal("bag"), sender=relayer)
    with ape.reverts(ledger.KPLedgerNotHolder):
        ledger.withdrawOffer(parcel, sender=relayer)


def test_a_replayed_intent_is_refused(ledger, world, register, mine, bw_exporter, relayer, sign):
    parcel = register()
    signed = sign(mine, ledger, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                 "sealId": seal("bag")})
    relay(ledger, signed, relayer)
    ledger.withdrawOffer(parcel, sender=mine)
    with ape.reverts(ledger.KPIntentBadNonce):
        relay(ledger, signed, relayer)
    assert ledger.offerOf(parcel) == "0x0000000000000000000000000000000000000000"


def test_an_expired_intent_is_refused(ledger, world, register, mine, bw_exporter, relayer, sign, chain):
    parcel = register()
    signed = sign(mine, ledger, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                 "sealId": seal("bag")}, deadline=chain.pending_timestamp + 10)
    chain.pending_timestamp += 60
    with ape.reverts(ledger.KPIntentExpired):
        relay(ledger, signed, relayer)


def test_an_intent_signed_by_someone_else_is_refused(ledger, world, register, mine, bw_exporter, relayer, sign):
    parcel = register()
    forged = sign(bw_exporter, ledger, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                        "sealId": seal("bag")})
    # claims to be the mine, signed by the exporter
    auth = (mine.address, forged.nonce, forged.deadline, forged.signature)
    with ape.reverts(ledger.KPIntentInvalidSignature):
        ledger.offerBySig(*forged.args, auth, sender=relayer)


def test_a_tampered_intent_is_refused(ledger, world, register, mine, bw_exporter, eu_importer, relayer, sign):
    parcel = register()
    signed = sign(mine, ledger, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                 "sealId": seal("bag")})
    with ape.reverts(ledger.KPIntentInvalidSignature):
        ledger.offerBySig(parcel, eu_importer, seal("bag"), signed.authorization, sender=relayer)


def test_an_intent_for_another_contract_is_refused(ledger, registry, world, register, mine, bw_exporter, relayer,
                                                   sign):
    parcel = register()
    signed = sign(mine, registry, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                   "sealId": seal("bag")})
    with ape.reverts(ledger.KPIntentInvalidSignature):
        relay(ledger, signed, relayer)


def test_keyed_nonces_let_intents_run_in_any_order(ledger, world, register, mine, bw_exporter, relayer, sign):
    a, b = register(), register()
    first = sign(mine, ledger, "OfferCustody", {"lotId": a, "recipient": bw_exporter.address,
                                                "sealId": seal("a")}, nonce=(7 << 64))
    second = sign(mine, ledger, "OfferCustody", {"lotId": b, "recipient": bw_exporter.address,
                                                 "sealId": seal("b")}, nonce=(9 << 64))
    relay(ledger, second, relayer)
    relay(ledger, first, relayer)
    assert ledger.nonces(mine, 7) == (7 << 64) + 1


def test_a_relayed_write_obeys_the_same_rules(ledger, registry, world, mine, outsider, relayer, sign,
                                              bw_authority):
    signed = sign(outsider, ledger, "RegisterParcel", {"points": 1, "stones": 0, "hsCode": UNSORTED,
                                                       "origin": "BW", "documentHash": doc("x")})
    with ape.reverts(ledger.KPLedgerNotOperator):
        relay(ledger, signed, relayer)
    lic = sign(mine, registry, "LicenseOperator", {"account": outsider.address, "roles": ROLE_TRADER})
    with ape.reverts(registry.KPRegistryNotAuthority):
        relay(registry, lic, relayer)
