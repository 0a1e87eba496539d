"""Two-phase custody hand-offs of parcels and sealed consignments."""

import ape

from conftest import GEM, ROLE_TRADER, seal


def test_custody_changes_only_when_both_sides_act(ledger, register, mine, bw_exporter):
    parcel = register()
    tx = ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    offered = tx.events.filter(ledger.CustodyOffered)[0]
    assert (offered.lotId, offered["from"], offered.to) == (parcel, mine.address, bw_exporter.address)
    assert ledger.parcel(parcel).holder == mine.address
    assert ledger.offerOf(parcel) == bw_exporter.address
    tx = ledger.acceptOffer(parcel, seal("bag"), sender=bw_exporter)
    moved = tx.events.filter(ledger.CustodyTransferred)[0]
    assert (moved.lotId, moved.to, moved.sealId, moved.certificateKey) == (parcel, bw_exporter.address,
                                                                           seal("bag"), b"\x00" * 32)
    assert ledger.parcel(parcel).holder == bw_exporter.address
    assert ledger.offerOf(parcel) == "0x0000000000000000000000000000000000000000"


def test_only_the_holder_offers(ledger, register, bw_exporter, eu_importer):
    parcel = register()
    with ape.reverts(ledger.KPLedgerNotHolder):
        ledger.offer(parcel, eu_importer, seal("bag"), sender=bw_exporter)


def test_only_the_named_recipient_answers(ledger, register, mine, bw_exporter, world, bw_authority, outsider,
                                          license):
    parcel = register()
    license(outsider, ROLE_TRADER, bw_authority)
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    with ape.reverts(ledger.KPLedgerNotRecipient):
        ledger.acceptOffer(parcel, seal("bag"), sender=outsider)
    with ape.reverts(ledger.KPLedgerNotRecipient):
        ledger.rejectOffer(parcel, 1, sender=outsider)


def test_recipients_must_be_licensed_operators(ledger, register, mine, outsider):
    parcel = register()
    with ape.reverts(ledger.KPLedgerNotOperator):
        ledger.offer(parcel, outsider, seal("bag"), sender=mine)


def test_a_hand_off_to_oneself_is_refused(ledger, register, mine):
    with ape.reverts(ledger.KPLedgerSelfTransfer):
        ledger.offer(register(), mine, seal("bag"), sender=mine)


def test_one_open_offer_at_a_time(ledger, register, mine, bw_exporter):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    with ape.reverts(ledger.KPLedgerOfferPending):
        ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)


def test_the_sender_withdraws_before_acceptance(ledger, register, mine, bw_exporter):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    with ape.reverts(ledger.KPLedgerNotHolder):
        ledger.withdrawOffer(parcel, sender=bw_exporter)
    tx = ledger.withdrawOffer(parcel, sender=mine)
    assert len(tx.events.filter(ledger.CustodyOfferWithdrawn)) == 1
    with ape.reverts(ledger.KPLedgerNoOffer):
        ledger.acceptOffer(parcel, seal("bag"), sender=bw_exporter)
    assert ledger.parcel(parcel).holder == mine.address


def test_the_recipient_rejects_with_a_reason_code(ledger, register, mine, bw_exporter):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    tx = ledger.rejectOffer(parcel, 2, sender=bw_exporter)
    assert tx.events.filter(ledger.CustodyRejected)[0].reason == 2
    assert ledger.parcel(parcel).holder == mine.address
    with ape.reverts(ledger.KPLedgerNoOffer):
        ledger.rejectOffer(parcel, 2, sender=bw_exporter)


def test_a_parcel_under_offer_cannot_be_split_or_sealed(ledger, register, mine, bw_exporter):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    with ape.reverts(ledger.KPLedgerOfferPending):
        ledger.sealConsignment([parcel], seal("box"), sender=mine)


def test_a_seal_mismatch_on_a_parcel_is_recorded_and_blocks_the_transfer(ledger, register, mine, bw_exporter):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    tx = ledger.acceptOffer(parcel, seal("other"), sender=bw_exporter)
    mismatch = tx.events.filter(ledger.CustodySealMismatch)[0]
    assert mismatch.attestedSealId == seal("other")
    assert list(tx.events.filter(ledger.CustodyTransferred)) == []
    assert ledger.parcel(parcel).holder == mine.address
    assert ledger.offerOf(parcel) == "0x0000000000000000000000000000000000000000"


def test_parcels_move_with_their_sealed_consignment(ledger, register, seal_consignment, mine, bw_exporter):
    parcels = [register(points=100 * i) for i in range(1, 4)]
    cid = seal_consignment(parcels, mine, "box")
    c = ledger.consignment(cid)
    assert (c.holder, c.parcelCount, c.status, c.points, c.sealId) == (mine.address, 3, 1, 600, seal("box"))
    assert all(ledger.parcel(p).sealed_ for p in parcels)
    with ape.reverts(ledger.KPLedgerParcelSealed):
        ledger.offer(parcels[0], bw_exporter, seal("bag"), sender=mine)
    ledger.offer(cid, bw_exporter, seal("box"), sender=mine)
    tx = ledger.acceptOffer(cid, seal("box"), sender=bw_exporter)
    assert len(tx.events) == 1  # one event, not one per parcel
    assert all(ledger.parcel(p).holder == bw_exporter.address for p in parcels)


def test_opening_a_consignment_frees_its_parcels(ledger, register, seal_consignment, mine, bw_exporter, eu_importer):
    parcels = [register(), register()]
    cid = seal_consignment(parcels, mine, "box")
    ledger.offer(cid, bw_exporter, seal("box"), sender=mine)
    ledger.acceptOffer(cid, seal("box"), sender=bw_exporter)
    with ape.reverts(ledger.KPLedgerNotHolder):
        ledger.openConsignment(cid, sender=mine)
    tx = ledger.openConsignment(cid, sender=bw_exporter)
    assert len(tx.events.filter(ledger.ConsignmentOpened)) == 1
    assert ledger.consignment(cid).status == 2
    assert not ledger.parcel(parcels[0]).sealed_
    ledger.offer(parcels[0], mine, seal("bag"), sender=bw_exporter)
    ledger.acceptOffer(parcels[0], seal("bag"), sender=mine)
    assert ledger.parcel(parcels[0]).holder == mine.address
    assert ledger.parcel(parcels[1]).holder == bw_exporter.address
    with ape.reverts(ledger.KPLedgerConsignmentNotSealed):
        ledger.offer(cid, mine, seal("box"), sender=bw_exporter)
    with ape.reverts(ledger.KPLedgerConsignmentNotSealed):
        ledger.openConsignment(cid, sender=bw_exporter)


def test_the_sender_must_name_the_consignments_own_seal(ledger, register, seal_consignment, mine, bw_exporter):
    cid = seal_consignment([register()], mine, "box")
    with ape.reverts(ledger.KPLedgerSealMismatch):
        ledger.offer(cid, bw_exporter, seal("other"), sender=mine)


def test_a_seal_mismatch_on_a_consignment_compromises_it(ledger, register, seal_consignment, mine, bw_exporter):
    parcel = register()
    cid = seal_consignment([parcel], mine, "box")
    ledger.offer(cid, bw_exporter, seal("box"), sender=mine)
    tx = ledger.acceptOffer(cid, seal("tampered"), sender=bw_exporter)
    assert tx.events.filter(ledger.CustodySealMismatch)[0].attestedSealId == seal("tampered")
    c = ledger.consignment(cid)
    assert (c.holder, c.status) == (mine.address, 3)
    with ape.reverts(ledger.KPLedgerConsignmentNotSealed):
        ledger.offer(cid, bw_exporter, seal("box"), sender=mine)
    # the holder may open it, inspect, and reseal its parcels in a new container
    ledger.openConsignment(cid, sender=mine)
    ledger.sealConsignment([parcel], seal("box2"), sender=mine)


def test_sealing_rules(ledger, register, mine, bw_exporter):
    a, b = register(), register()
    with ape.reverts(ledger.KPLedgerZeroSeal):
        ledger.sealConsignment([a], b"\x00" * 32, sender=mine)
    with ape.reverts(ledger.KPLedgerBadPartCount):
        ledger.sealConsignment([], seal("box"), sender=mine)
    with ape.reverts(ledger.KPLedgerParcelsNotAscending):
        ledger.sealConsignment([a, a], seal("box"), sender=mine)
    with ape.reverts(ledger.KPLedgerNotHolder):
        ledger.sealConsignment([a, b], seal("box"), sender=bw_exporter)


def test_a_lone_parcel_never_crosses_a_border(ledger, register, mine, eu_importer):
    with ape.reverts(ledger.KPLedgerCertificateRequired):
        ledger.offer(register(), eu_importer, seal("bag"), sender=mine)


def test_a_consignment_crosses_a_border_only_under_a_certificate(ledger, register, seal_consignment, mine,
                                                                  eu_importer, certificates):
    cid = seal_consignment([register()], mine, "box")
    with ape.reverts(certificates.KPCertificatesNoCertificate):
        ledger.offer(cid, eu_importer, seal("box"), sender=mine)


def test_a_suspended_participant_hands_off_nothing(ledger, world, governance, register, mine, bw_exporter):
    parcel, spare = register(), register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    world.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(ledger.KPLedgerParticipantSuspended):
        ledger.acceptOffer(parcel, seal("bag"), sender=bw_exporter)
    with ape.reverts(ledger.KPLedgerParticipantSuspended):
        ledger.offer(spare, bw_exporter, seal("bag2"), sender=mine)
    with ape.reverts(ledger.KPLedgerParticipantSuspended):
        ledger.sealConsignment([spare], seal("box"), sender=mine)
    # history stays readable
    assert ledger.parcel(parcel).holder == mine.address
    assert ledger.offerOf(parcel) == bw_exporter.address
    world.reinstateParticipant("BW", sender=governance)
    ledger.acceptOffer(parcel, seal("bag"), sender=bw_exporter)
    assert ledger.parcel(parcel).holder == bw_exporter.address


def test_a_recipient_that_lost_its_licence_cannot_accept(ledger, world, register, mine, bw_exporter,
                                                         bw_authority):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    world.revokeOperator(bw_exporter, 4 | 16, sender=bw_authority)
    with ape.reverts(ledger.KPLedgerNotOperator):
        ledger.acceptOffer(parcel, seal("bag"), sender=bw_exporter)
    with ape.reverts(ledger.KPLedgerNotOperator, account=bw_exporter.address):
        ledger.rejectOffer(parcel, 5, sender=bw_exporter)
    # the sender, still licensed, closes the offer
    ledger.withdrawOffer(parcel, sender=mine)


def test_a_sender_that_lost_its_licence_cannot_withdraw_but_the_recipient_rejects(ledger, world, register, mine,
                                                                                  bw_exporter, bw_authority):
    parcel = register()
    ledger.offer(parcel, bw_exporter, seal("bag"), sender=mine)
    world.revokeOperator(mine, 2 | 4, sender=bw_authority)
    with ape.reverts(ledger.KPLedgerNotOperator, account=mine.address):
        ledger.withdrawOffer(parcel, sender=mine)
    with ape.reverts(ledger.KPLedgerNotOperator, account=mine.address):
        ledger.acceptOffer(parcel, seal("bag"), sender=bw_exporter)  # the sender is checked again at accept
    tx = ledger.rejectOffer(parcel, 5, sender=bw_exporter)
    assert len(tx.events.filter(ledger.CustodyRejected)) == 1


def test_a_suspended_side_can_neither_withdraw_nor_reject_but_the_active_side_closes_the_offer(
        ledger, world, governance, register, seal_consignment, issue, mine, eu_importer, bw_authority):
    # an export offer: BW mine -> EU importer under a certificate
    first = seal_consignment([register(hs=GEM)], mine, "one")
    issue(first, bw_authority)
    ledger.offer(first, eu_importer, seal("one"), sender=mine)
    world.suspendParticipant("EU", b"\x00" * 32, sender=governance)
    with ape.reverts(ledger.KPLedgerParticipantSuspended, participant=b"EU"):
        ledger.rejectOffer(first, 5, sender=eu_importer)
    tx = ledger.withdrawOffer(first, sender=mine)  # the active sender withdraws
    assert len(tx.events.filter(ledger.CustodyOfferWithdrawn)) == 1
    world.reinstateParticipant("EU", sender=governance)
    ledger.offer(first, eu_importer, seal("one"), sender=mine)
    world.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(ledger.KPLedgerParticipantSuspended, participant=b"BW"):
        ledger.withdrawOffer(first, sender=mine)
    tx = ledger.rejectOffer(first, 5, sender=eu_importer)  # the active recipient rejects
    assert tx.events.filter(ledger.CustodyRejected)[0].reason == 5
    assert ledger.offerOf(first) == "0x0000000000000000000000000000000000000000"
