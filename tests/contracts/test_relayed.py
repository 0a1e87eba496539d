"""Relayed writes: every action submitted by a relayer on behalf of its EIP-712 signer."""

import dataclasses

import ape
import pytest
from eth_account import Account

from kpledger.core.actions import ACTIONS
from kpledger.signing import typed_data

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
    go(registry, governance, "AppointAuthority", {"participant": "BW", "account": bw_authority.address,
                                                  "name": "BW Diamond Hub"})
    go(registry, governance, "AppointAuthority", {"participant": "EU", "account": eu_authority.address,
                                                  "name": "EU KP Authority"})
    go(registry, governance, "SetMaxCertificateValidity", {"maxValidity": 90 * DAY})
    assert registry.maxCertificateValidity() == 90 * DAY
    go(registry, bw_authority, "LicenseOperator", {"account": mine.address, "roles": 2 | 4, "name": "Mine",
                                                   "licenceNumber": "BW-1", "registryRef": ""})
    go(registry, bw_authority, "LicenseOperator", {"account": bw_exporter.address, "roles": 4 | 16,
                                                   "name": "Exporter", "licenceNumber": "BW-2", "registryRef": "R"})
    go(registry, eu_authority, "LicenseOperator", {"account": eu_importer.address, "roles": 4 | 8 | 16,
                                                   "name": "Importer", "licenceNumber": "EU-1", "registryRef": ""})
    tx = go(registry, bw_authority, "UpdateOperatorProfile", {"account": mine.address, "name": "Mine Ltd",
                                                              "licenceNumber": "BW-1", "registryRef": "X"})
    assert tx.events.filter(registry.MemberProfileChanged)[0].by == bw_authority.address
    assert registry.profile(mine) == ("Mine Ltd", "BW-1", "X")
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
    cert = {"number": "BW0000001", "importer": "EU", "importerAccount": eu_importer.address, "consignmentId": 5,
            "points": 1_000, "parcelCount": 1, "hsCodes": [GEM], "origins": ["BW"], "issuedAt": now - 60,
            "expiresAt": now + DAY, "documentHash": doc("cert"), "replaces": ""}
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
    go(registry, bw_authority, "LicenseOperator", {"account": bw_exporter.address, "roles": 8, "name": "Exporter",
                                                   "licenceNumber": "BW-2", "registryRef": "R"})
    eu_cert = {**cert, "number": "EU0000001", "importer": "BW", "importerAccount": bw_exporter.address,
               "consignmentId": 6}
    go(certificates, eu_authority, "IssueCertificate", eu_cert)
    go(certificates, eu_authority, "VoidCertificate", {"number": "EU0000001", "reason": 7})
    tx = go(certificates, eu_authority, "IssueCertificate", {**eu_cert, "number": "EU0000002",
                                                             "replaces": "EU0000001"})
    assert len(tx.events.filter(certificates.CertificateSuperseded)) == 1
    go(registry, governance, "SuspendParticipant", {"code": "EU", "reason": doc("plenary")})
    go(registry, governance, "ReinstateParticipant", {"code": "EU"})
    go(registry, bw_authority, "RevokeOperator", {"account": bw_exporter.address, "roles": 16})
    assert registry.member(bw_exporter).roles == 4 | 8
    go(registry, governance, "DismissAuthority", {"participant": "EU", "account": eu_authority.address})
    assert registry.member(eu_authority).roles == 0


def test_the_relayer_gains_no_rights_from_relaying(ledger, world, register, mine, bw_exporter, relayer, sign):
    parcel = register()
    signed = sign(mine, ledger, "OfferCustody", {"lotId": parcel, "recipient": bw_exporter.address,
                                                 "sealId": seal("bag")})
    relay(ledger, signed, relayer)
    assert ledger.offerOf(parcel) == bw_exporter.address
    # the relayer, acting in its own name, is nobody on the ledger
    with ape.reverts(ledger.KPLedgerNotRecipient):
        ledger.acceptOffer(parcel, seal("bag"), sender=relayer)
    with ape.reverts(ledger.KPLedgerNotOperator, account=relayer.address):
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
    lic = sign(mine, registry, "LicenseOperator", {"account": outsider.address, "roles": ROLE_TRADER, "name": "X",
                                                   "licenceNumber": "L", "registryRef": ""})
    with ape.reverts(registry.KPRegistryNotAuthority):
        relay(registry, lic, relayer)


# ---------------------------------------------------------------------------------------------- contract signers


@pytest.fixture
def owner(accounts):
    """The key behind the test wallets (an EOA with no role of its own)."""
    return accounts[9]


def test_a_contract_wallet_signs_through_erc1271(project, registry, ledger, world, register, governance, owner,
                                                 bw_authority, bw_exporter, relayer, sign, license):
    wallet = owner.deploy(project.OwnerWallet, owner)
    license(wallet, 2 | 4, bw_authority, "wallet-mine")
    signed = sign(owner, ledger, "RegisterParcel", {"points": 10, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                    "documentHash": doc("w")}, signer=wallet.address)
    tx = relay(ledger, signed, relayer)
    assert tx.events.filter(ledger.ParcelRegistered)[0].producer == wallet.address
    assert ledger.nonces(wallet, 0) == 1
    # the owner's key signing as itself is someone else: not a producer
    as_owner = sign(owner, ledger, "RegisterParcel", {"points": 10, "stones": 1, "hsCode": UNSORTED, "origin": "BW",
                                                      "documentHash": doc("w")})
    with ape.reverts(ledger.KPLedgerNotOperator, account=owner.address):
        relay(ledger, as_owner, relayer)


def test_a_signature_for_one_wallet_is_not_valid_for_another_wallet_of_the_same_owner(
        project, registry, world, governance, owner, accounts, relayer, sign):
    """Before: a licence signed for BW's authority wallet was front-run under CA's wallet of the same owner,
    and the account became CA's operator for good."""
    bw_wallet = owner.deploy(project.OwnerWallet, owner)
    ca_wallet = owner.deploy(project.OwnerWallet, owner)
    registry.appointAuthority("BW", bw_wallet, "BW office (wallet)", sender=governance)
    registry.appointAuthority("CA", ca_wallet, "CA office (wallet)", sender=governance)
    target = accounts.generate_test_account()
    message = {"account": target.address, "roles": ROLE_TRADER, "name": "Trader", "licenceNumber": "L-1",
               "registryRef": ""}
    signed = sign(owner, registry, "LicenseOperator", message, signer=bw_wallet.address)
    front_run = dataclasses.replace(signed, signer=ca_wallet.address)
    with ape.reverts(registry.KPIntentInvalidSignature, signer=ca_wallet.address):
        relay(registry, front_run, relayer)
    assert registry.member(target).participant == b"\x00\x00"
    relay(registry, signed, relayer)
    assert registry.member(target).participant == b"BW"


def test_a_gas_burning_wallet_burns_at_most_the_erc1271_allowance(project, ledger, world, outsider, owner, relayer,
                                                                  sign, chain):
    burner = outsider.deploy(project.GasBurningWallet)
    signed = sign(owner, ledger, "RegisterParcel", {"points": 1, "stones": 0, "hsCode": UNSORTED, "origin": "BW",
                                                    "documentHash": doc("burn")}, signer=burner.address)
    allowance = ledger.ERC1271_GAS()
    assert allowance == 100_000
    # without the cap the wallet would take 63/64 of any gas limit and leave too little to revert cleanly
    with ape.reverts(ledger.KPIntentInvalidSignature, signer=burner.address):
        relay_with_gas(ledger, signed, relayer, 3_000_000)
    w3 = chain.provider.web3
    gas_used = w3.eth.get_transaction_receipt(w3.eth.get_block("latest")["transactions"][0])["gasUsed"]
    assert allowance < gas_used < 21_000 + allowance + 40_000
    assert ledger.nonces(burner, 0) == 0


def relay_with_gas(contract, signed, relayer, gas):
    return getattr(contract, ACTIONS[signed.action].function)(*signed.args, signed.authorization, sender=relayer,
                                                              gas_limit=gas)


def test_too_little_gas_for_the_erc1271_allowance_is_reported_not_taken_for_a_bad_signature(
        project, ledger, world, register, owner, bw_authority, relayer, sign, license):
    wallet = owner.deploy(project.OwnerWallet, owner)
    license(wallet, 2, bw_authority, "wallet-mine")
    signed = sign(owner, ledger, "RegisterParcel", {"points": 1, "stones": 0, "hsCode": UNSORTED, "origin": "BW",
                                                    "documentHash": doc("low")}, signer=wallet.address)
    allowance = ledger.ERC1271_GAS()
    needed = allowance + allowance // 63 + 1_000
    with ape.reverts(ledger.KPIntentInsufficientGas, signer=wallet.address, needed=needed):
        relay_with_gas(ledger, signed, relayer, 100_000)
    assert ledger.nonces(wallet, 0) == 0
    relay_with_gas(ledger, signed, relayer, 400_000)
    assert ledger.nonces(wallet, 0) == 1


@pytest.mark.parametrize("signers", [3, 10])
def test_a_multisig_of_up_to_ten_signers_fits_the_erc1271_allowance(project, registry, world, governance, accounts,
                                                                     relayer, chain, signers):
    owners = sorted((accounts.generate_test_account() for _ in range(signers)), key=lambda a: int(a.address, 16))
    wallet = governance.deploy(project.MultisigWallet, [o.address for o in owners], signers)
    registry.appointAuthority("CA", wallet, "CA office (multisig)", sender=governance)
    message = {"account": accounts.generate_test_account().address, "roles": ROLE_TRADER, "name": "Trader",
               "licenceNumber": "L-1", "registryRef": ""}
    deadline = chain.pending_timestamp + 3600
    digest = typed_data.digest("LicenseOperator", message, wallet.address, 0, deadline, chain_id=chain.chain_id,
                           verifying_contract=registry.address)
    inner = bytes(wallet.walletHash(digest))
    signature = b"".join(bytes(Account.unsafe_sign_hash(inner, o.private_key).signature) for o in owners)
    estimate = wallet.isValidSignature.estimate_gas_cost(digest, signature, sender=relayer)
    cost = estimate - 21_000 - 16 * (len(signature) + 100)  # less the transaction's base and calldata
    print(f"\n{signers}-of-{signers} multisig isValidSignature: about {cost:,} gas (allowance 100,000)")
    assert cost < registry.ERC1271_GAS()
    tx = registry.licenseOperatorBySig(*(message[k] for k in ("account", "roles", "name", "licenceNumber",
                                                              "registryRef")),
                                       (wallet.address, 0, deadline, signature), sender=relayer)
    assert tx.events.filter(registry.MemberRolesChanged)[0].by == wallet.address

