"""Parcels: registration at origin, split, merge, mixed origin, closed parcels."""

import ape
import pytest

from conftest import GEM, INDUSTRIAL, ROLE_EXPORTER, ROLE_PRODUCER, UNSORTED, doc, seal


def test_a_producer_registers_a_parcel_it_then_holds(ledger, world, mine):
    tx = ledger.registerParcel(12_345, 40, UNSORTED, "BW", doc("p"), sender=mine)
    event = tx.events.filter(ledger.ParcelRegistered)[0]
    assert (event.parcelId, event.producer, event.origin) == (1, mine.address, b"BW")
    assert (event.points, event.stones, event.hsCode, event.documentHash) == (12_345, 40, UNSORTED, doc("p"))
    p = ledger.parcel(1)
    assert (p.holder, p.points, p.status, p.hsCode, p.origins, p.sealed_) == (mine.address, 12_345, 1, UNSORTED,
                                                                             1, False)


def test_only_licensed_producers_register(ledger, world, bw_exporter, outsider):
    with ape.reverts(ledger.KPLedgerMissingRole):
        ledger.registerParcel(100, 0, UNSORTED, "BW", doc("p"), sender=bw_exporter)
    with ape.reverts(ledger.KPLedgerNotOperator):
        ledger.registerParcel(100, 0, UNSORTED, "BW", doc("p"), sender=outsider)


def test_a_producer_registers_only_its_own_country_as_origin(ledger, world, mine):
    with ape.reverts(ledger.KPLedgerOriginNotProducerCountry):
        ledger.registerParcel(100, 0, UNSORTED, "CA", doc("p"), sender=mine)


@pytest.mark.parametrize("hs", [0, 710200, 7102, 710239])
def test_unknown_hs_codes_are_refused(ledger, world, mine, hs):
    with ape.reverts(ledger.HsCodesInvalid):
        ledger.registerParcel(100, 0, hs, "BW", doc("p"), sender=mine)


def test_a_weightless_parcel_is_refused(ledger, world, mine):
    with ape.reverts(ledger.KPLedgerZeroWeight):
        ledger.registerParcel(0, 0, UNSORTED, "BW", doc("p"), sender=mine)


def test_a_suspended_producer_registers_nothing_until_reinstated(ledger, world, governance, mine, register):
    world.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(ledger.KPLedgerParticipantSuspended):
        ledger.registerParcel(100, 0, UNSORTED, "BW", doc("p"), sender=mine)
    world.reinstateParticipant("BW", sender=governance)
    assert register() == 1


def test_a_split_conserves_carats_exactly_and_closes_the_parent(ledger, register, mine):
    parent = register(points=10_000)
    tx = ledger.splitParcel(parent, [(6_000, 3, GEM, doc("a")), (4_000, 9, INDUSTRIAL, doc("b"))], sender=mine)
    children = [e.childId for e in tx.events.filter(ledger.ParcelSplit)]
    assert children == [2, 3]
    assert [ledger.parcel(c).points for c in children] == [6_000, 4_000]
    assert [ledger.parcel(c).hsCode for c in children] == [GEM, INDUSTRIAL]
    assert all(ledger.parcel(c).origins == ledger.parcel(parent).origins for c in children)
    assert ledger.parcel(parent).status == 2


@pytest.mark.parametrize("parts", [[6_000, 3_999], [6_000, 4_001], [10_000, 1]])
def test_a_split_that_breaks_conservation_is_refused(ledger, register, mine, parts):
    parent = register(points=10_000)
    with ape.reverts(ledger.KPLedgerCaratsNotConserved):
        ledger.splitParcel(parent, [(p, 0, UNSORTED, doc("c")) for p in parts], sender=mine)
    assert ledger.parcel(parent).status == 1


def test_a_split_needs_two_children_of_some_weight(ledger, register, mine):
    parent = register(points=10_000)
    with ape.reverts(ledger.KPLedgerBadPartCount):
        ledger.splitParcel(parent, [(10_000, 0, UNSORTED, doc("c"))], sender=mine)
    with ape.reverts(ledger.KPLedgerZeroWeight):
        ledger.splitParcel(parent, [(10_000, 0, UNSORTED, doc("c")), (0, 0, UNSORTED, doc("d"))], sender=mine)


def test_a_sorted_parcel_keeps_its_hs_code_when_split(ledger, register, mine):
    parent = register(points=100, hs=GEM)
    with ape.reverts(ledger.KPLedgerHsReclassification):
        ledger.splitParcel(parent, [(50, 0, GEM, doc("a")), (50, 0, INDUSTRIAL, doc("b"))], sender=mine)


def test_only_the_holder_splits(ledger, register, bw_exporter):
    parent = register(points=100)
    with ape.reverts(ledger.KPLedgerNotHolder):
        ledger.splitParcel(parent, [(50, 0, UNSORTED, doc("a")), (50, 0, UNSORTED, doc("b"))], sender=bw_exporter)


def test_a_merge_adds_carats_and_closes_its_inputs(ledger, register, mine):
    a, b = register(points=300, hs=GEM), register(points=700, hs=GEM)
    tx = ledger.mergeParcels([a, b], doc("m"), sender=mine)
    event = tx.events.filter(ledger.ParcelsMerged)[0]
    assert (event.parcelId, list(event.sourceIds), event.points, event.hsCode) == (3, [a, b], 1_000, GEM)
    merged = ledger.parcel(3)
    assert (merged.points, merged.holder, merged.origins) == (1_000, mine.address, 1)
    assert ledger.parcel(a).status == ledger.parcel(b).status == 2


def test_parcels_of_different_hs_codes_are_not_merged(ledger, register, mine):
    # merging two sorted grades into "unsorted" would let the result be split into any grade
    a, b, c = register(points=300, hs=GEM), register(points=700, hs=INDUSTRIAL), register(points=100, hs=UNSORTED)
    with ape.reverts(ledger.KPLedgerHsCodesDiffer, parcelId=b, hsCode=INDUSTRIAL, expected=GEM):
        ledger.mergeParcels([a, b], doc("m"), sender=mine)
    with ape.reverts(ledger.KPLedgerHsCodesDiffer, parcelId=c, hsCode=UNSORTED, expected=GEM):
        ledger.mergeParcels([a, c], doc("m"), sender=mine)
    assert ledger.lastLotId() == c and ledger.parcel(a).status == ledger.parcel(b).status == 1


def test_a_merge_of_one_hs_code_keeps_it_and_cannot_be_reclassified(ledger, register, mine):
    a, b = register(points=300, hs=INDUSTRIAL), register(points=700, hs=INDUSTRIAL)
    tx = ledger.mergeParcels([a, b], doc("m"), sender=mine)
    merged = tx.events.filter(ledger.ParcelsMerged)[0]
    assert merged.hsCode == INDUSTRIAL == ledger.parcel(merged.parcelId).hsCode
    with ape.reverts(ledger.KPLedgerHsReclassification, parcelId=merged.parcelId, fromHsCode=INDUSTRIAL,
                     toHsCode=GEM):
        ledger.splitParcel(merged.parcelId, [(500, 0, GEM, doc("a")), (500, 0, GEM, doc("b"))], sender=mine)


def test_merging_goods_of_two_origins_gives_mixed_origin_keeping_both_countries(
        ledger, world, register, mine, ca_mine, eu_importer, bw_authority, ca_authority, eu_authority, issue,
        seal_consignment, certificates):
    # BW goods and CA goods both reach the same Antwerp trader under certificates
    bw = register(points=500, hs=GEM)
    ca = register(points=800, hs=GEM, origin="CA", holder=ca_mine)
    for parcel, holder, authority, code, label in ((bw, mine, bw_authority, "BW", "bw"),
                                                   (ca, ca_mine, ca_authority, "CA", "ca")):
        cid = seal_consignment([parcel], holder, label)
        issue(cid, authority, exporter=code)
        ledger.offer(cid, eu_importer, seal(label), sender=holder)
        ledger.acceptOffer(cid, seal(label), sender=eu_importer)
        ledger.openConsignment(cid, sender=eu_importer)
    ledger.mergeParcels([bw, ca], doc("mixed"), sender=eu_importer)
    merged = ledger.parcel(ledger.lastLotId())
    bw_index, ca_index = world.participant(b"BW").index, world.participant(b"CA").index
    assert merged.origins == (1 << (bw_index - 1)) | (1 << (ca_index - 1))
    assert merged.points == 1_300


def test_merge_inputs_are_listed_once_in_ascending_order(ledger, register, mine):
    a, b = register(), register()
    with ape.reverts(ledger.KPLedgerParcelsNotAscending):
        ledger.mergeParcels([b, a], doc("m"), sender=mine)
    with ape.reverts(ledger.KPLedgerParcelsNotAscending):
        ledger.mergeParcels([a, a], doc("m"), sender=mine)
    with ape.reverts(ledger.KPLedgerBadPartCount):
        ledger.mergeParcels([a], doc("m"), sender=mine)


def test_a_closed_parcel_never_moves_again(ledger, register, mine, bw_exporter):
    parent = register(points=100)
    ledger.splitParcel(parent, [(50, 0, UNSORTED, doc("a")), (50, 0, UNSORTED, doc("b"))], sender=mine)
    with ape.reverts(ledger.KPLedgerParcelClosed):
        ledger.offer(parent, bw_exporter, seal("x"), sender=mine)
    with ape.reverts(ledger.KPLedgerParcelClosed):
        ledger.splitParcel(parent, [(50, 0, UNSORTED, doc("a")), (50, 0, UNSORTED, doc("b"))], sender=mine)
    with ape.reverts(ledger.KPLedgerParcelClosed):
        ledger.mergeParcels([parent, 2], doc("m"), sender=mine)
    with ape.reverts(ledger.KPLedgerParcelClosed):
        ledger.sealConsignment([parent], seal("x"), sender=mine)
    assert ledger.parcel(parent).status == 2


def test_unknown_parcels_are_reported_as_such(ledger, world, mine, bw_exporter):
    with ape.reverts(ledger.KPLedgerUnknownLot):
        ledger.offer(99, bw_exporter, seal("x"), sender=mine)


def test_a_producer_that_lost_its_licence_can_still_be_read(ledger, world, register, mine, bw_authority):
    parcel = register()
    world.revokeOperator(mine, ROLE_PRODUCER | ROLE_EXPORTER, sender=bw_authority)
    assert ledger.parcel(parcel).holder == mine.address
    with ape.reverts(ledger.KPLedgerNotOperator):
        ledger.splitParcel(parcel, [(5_000, 0, UNSORTED, doc("a")), (5_000, 0, UNSORTED, doc("b"))], sender=mine)
