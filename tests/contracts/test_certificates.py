"""KP certificates: issuance checked against the consignment, crossing, confirmation, voiding."""

import ape
import pytest
from eth_utils import keccak

from conftest import DAY, GEM, INDUSTRIAL, ROLE_IMPORTER, doc, seal


@pytest.fixture
def shipment(register, seal_consignment, mine):
    """A sealed BW consignment of two gem parcels (300 + 700 points) held by the mine."""
    parcels = [register(points=300, hs=GEM), register(points=700, hs=GEM)]
    return seal_consignment(parcels, mine, "box")


def request(chain, consignment_id, number="BW0000001", importer="EU", points=1_000, count=2, hs=(GEM,),
            origins=("BW",), issued=-60, expires=30 * DAY):
    now = chain.pending_timestamp
    return (number, importer, consignment_id, points, count, list(hs), list(origins), now + issued, now + expires,
            doc(number))


def test_the_exporting_authority_issues_a_certificate_for_a_sealed_consignment(certificates, chain, shipment,
                                                                                 bw_authority):
    tx = certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    event = tx.events.filter(certificates.CertificateIssued)[0]
    assert (event.number, event.consignmentId, event.points, event.parcelCount) == ("BW0000001", shipment, 1_000, 2)
    assert list(event.origins) == [b"BW"] and list(event.hsCodes) == [GEM]
    cert = certificates.certificate("BW0000001")
    assert (cert.exporter, cert.importer, cert.status, cert.documentHash) == (b"BW", b"EU", 1, doc("BW0000001"))
    assert certificates.isCovered(shipment)


@pytest.mark.parametrize("number", ["EU0000001", "BW", "bw0000001", "BW 000001", "BW" + "0" * 31])
def test_the_number_carries_the_exporters_iso_prefix(certificates, chain, shipment, bw_authority, number):
    with ape.reverts(certificates.KPCertificatesInvalidNumber):
        certificates.issueCertificate(request(chain, shipment, number=number), sender=bw_authority)


def test_a_number_is_used_once(certificates, chain, shipment, bw_authority, ledger, register, seal_consignment,
                               mine):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    other = seal_consignment([register(points=1_000, hs=GEM)], mine, "box2")
    with ape.reverts(certificates.KPCertificatesNumberTaken):
        certificates.issueCertificate(request(chain, other, count=1), sender=bw_authority)


def test_only_an_authority_of_an_active_participant_issues(certificates, chain, shipment, mine, governance, world,
                                                          bw_authority):
    with ape.reverts(certificates.KPCertificatesNotAuthority):
        certificates.issueCertificate(request(chain, shipment), sender=mine)
    world.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(certificates.KPCertificatesParticipantSuspended):
        certificates.issueCertificate(request(chain, shipment), sender=bw_authority)


def test_a_foreign_authority_cannot_certify_anothers_consignment(certificates, chain, shipment, eu_authority):
    with ape.reverts(certificates.KPCertificatesHolderNotExporter):
        certificates.issueCertificate(request(chain, shipment, number="EU0000001", importer="BW"),
                                      sender=eu_authority)


def test_the_importer_must_be_another_active_participant(certificates, chain, shipment, bw_authority, world,
                                                         governance):
    with ape.reverts(certificates.KPCertificatesNotParticipant):
        certificates.issueCertificate(request(chain, shipment, importer="TW"), sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesSameParticipant):
        certificates.issueCertificate(request(chain, shipment, importer="BW"), sender=bw_authority)
    world.suspendParticipant("EU", b"\x00" * 32, sender=governance)
    with ape.reverts(certificates.KPCertificatesParticipantSuspended):
        certificates.issueCertificate(request(chain, shipment), sender=bw_authority)


@pytest.mark.parametrize(("field", "error"), [
    ({"points": 999}, "KPCertificatesCaratsMismatch"),
    ({"count": 3}, "KPCertificatesParcelCountMismatch"),
    ({"hs": (INDUSTRIAL,)}, "KPCertificatesHsCodesMismatch"),
    ({"hs": (GEM, INDUSTRIAL)}, "KPCertificatesHsCodesMismatch"),
    ({"origins": ("CA",)}, "KPCertificatesOriginMismatch"),
    ({"origins": ("BW", "CA")}, "KPCertificatesOriginMismatch"),
    ({"origins": ("XX",)}, "KPCertificatesNotParticipant"),
])
def test_declared_contents_must_match_the_consignment(certificates, chain, shipment, bw_authority, field, error):
    with ape.reverts(getattr(certificates, error)):
        certificates.issueCertificate(request(chain, shipment, **field), sender=bw_authority)


@pytest.mark.parametrize(("issued", "expires"), [(-60, -1), (3600, 7200), (-60, -120)])
def test_validity_must_be_consistent_and_current(certificates, chain, shipment, bw_authority, issued, expires):
    with ape.reverts(certificates.KPCertificatesInvalidValidity):
        certificates.issueCertificate(request(chain, shipment, issued=issued, expires=expires), sender=bw_authority)


def test_only_sealed_consignments_are_certified(certificates, chain, shipment, bw_authority, ledger, mine):
    ledger.openConsignment(shipment, sender=mine)
    with ape.reverts(certificates.KPCertificatesConsignmentNotSealed):
        certificates.issueCertificate(request(chain, shipment), sender=bw_authority)


def test_one_live_certificate_per_consignment(certificates, chain, shipment, bw_authority, ledger, mine):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesConsignmentCertified):
        certificates.issueCertificate(request(chain, shipment, number="BW0000002"), sender=bw_authority)
    with ape.reverts(ledger.KPLedgerConsignmentCertified):
        ledger.openConsignment(shipment, sender=mine)
    # after voiding, a corrected certificate may be issued
    certificates.voidCertificate("BW0000001", 1, sender=bw_authority)
    certificates.issueCertificate(request(chain, shipment, number="BW0000002"), sender=bw_authority)
    assert certificates.certificateOf(shipment) == keccak(text="BW0000002")


def cross(ledger, shipment, mine, eu_importer, label="box"):
    ledger.offer(shipment, eu_importer, seal(label), sender=mine)
    return ledger.acceptOffer(shipment, seal(label), sender=eu_importer)


def test_a_certified_crossing_spends_the_certificate(certificates, ledger, chain, shipment, bw_authority, mine,
                                                    eu_importer):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    tx = cross(ledger, shipment, mine, eu_importer)
    moved = tx.events.filter(ledger.CustodyTransferred)[0]
    assert moved.certificateKey == certificates.certificateOf(shipment)
    assert len(tx.events.filter(certificates.CertificateUsed)) == 1
    assert certificates.certificate("BW0000001").status == 2
    assert ledger.consignment(shipment).holder == eu_importer.address


def test_a_used_certificate_authorises_nothing_more(certificates, ledger, chain, shipment, bw_authority, mine,
                                                   eu_importer, world):
    world.licenseOperator(mine, ROLE_IMPORTER, sender=bw_authority)
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    cross(ledger, shipment, mine, eu_importer)
    # sending the same box back to BW on the same certificate
    with ape.reverts(certificates.KPCertificatesAlreadyUsed):
        ledger.offer(shipment, mine, seal("box"), sender=eu_importer)
    with ape.reverts(certificates.KPCertificatesAlreadyUsed):
        certificates.voidCertificate("BW0000001", 1, sender=bw_authority)


def test_a_voided_certificate_authorises_nothing(certificates, ledger, chain, shipment, bw_authority, mine,
                                                 eu_importer, eu_authority):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    with ape.reverts(certificates.KPCertificatesForeignAuthority):
        certificates.voidCertificate("BW0000001", 1, sender=eu_authority)
    tx = certificates.voidCertificate("BW0000001", 7, sender=bw_authority)
    assert tx.events.filter(certificates.CertificateVoided)[0].reason == 7
    with ape.reverts(certificates.KPCertificatesVoided):
        ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)
    with ape.reverts(certificates.KPCertificatesVoided):
        certificates.voidCertificate("BW0000001", 1, sender=bw_authority)
    assert ledger.consignment(shipment).holder == mine.address


def test_an_expired_certificate_authorises_nothing(certificates, ledger, chain, shipment, bw_authority, mine,
                                                   eu_importer):
    certificates.issueCertificate(request(chain, shipment, expires=DAY), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    chain.pending_timestamp += 2 * DAY
    with ape.reverts(certificates.KPCertificatesExpired):
        ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)
    assert not certificates.isCovered(shipment)


def test_a_certificate_covers_its_own_route_only(certificates, ledger, chain, shipment, bw_authority, mine, world,
                                                 governance, outsider):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    world.setAuthority("IN", governance, True, sender=governance)
    world.licenseOperator(outsider, 8, sender=governance)
    with ape.reverts(certificates.KPCertificatesRouteMismatch):
        ledger.offer(shipment, outsider, seal("box"), sender=mine)


def test_crossing_needs_an_exporter_and_an_importer(certificates, ledger, chain, shipment, bw_authority, mine,
                                                    world, eu_authority, outsider):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    world.licenseOperator(outsider, 16, sender=eu_authority)  # an EU trader without import licence
    with ape.reverts(ledger.KPLedgerMissingRole):
        ledger.offer(shipment, outsider, seal("box"), sender=mine)


def test_a_tampered_seal_at_the_border_blocks_the_crossing(certificates, ledger, chain, shipment, bw_authority,
                                                          mine, eu_importer):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    tx = ledger.acceptOffer(shipment, seal("cut-and-retied"), sender=eu_importer)
    assert len(tx.events.filter(ledger.CustodySealMismatch)) == 1
    assert ledger.consignment(shipment).holder == mine.address
    assert certificates.certificate("BW0000001").status == 1  # not spent


def test_the_importing_authority_confirms_the_import(certificates, ledger, chain, shipment, bw_authority, mine,
                                                    eu_importer, eu_authority):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesWrongStatus):
        certificates.confirmImport("BW0000001", sender=eu_authority)
    cross(ledger, shipment, mine, eu_importer)
    with ape.reverts(certificates.KPCertificatesForeignAuthority):
        certificates.confirmImport("BW0000001", sender=bw_authority)
    tx = certificates.confirmImport("BW0000001", sender=eu_authority)
    assert len(tx.events.filter(certificates.ImportConfirmed)) == 1
    assert certificates.certificate("BW0000001").status == 3
    with ape.reverts(certificates.KPCertificatesWrongStatus):
        certificates.confirmImport("BW0000001", sender=eu_authority)


def test_the_importing_authority_records_a_discrepancy(certificates, ledger, chain, shipment, bw_authority, mine,
                                                      eu_importer, eu_authority):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    cross(ledger, shipment, mine, eu_importer)
    tx = certificates.recordDiscrepancy("BW0000001", 3, doc("weighing"), sender=eu_authority)
    event = tx.events.filter(certificates.ImportDiscrepancy)[0]
    assert (event.reason, event.evidenceHash) == (3, doc("weighing"))
    assert certificates.certificate("BW0000001").status == 4
    certificates.confirmImport("BW0000001", sender=eu_authority)  # resolved
    assert certificates.certificate("BW0000001").status == 3


def test_unknown_certificates_are_reported(certificates, eu_authority):
    with ape.reverts(certificates.KPCertificatesUnknown):
        certificates.confirmImport("BW9999999", sender=eu_authority)


def test_only_the_ledger_spends_certificates(certificates, shipment, outsider):
    with ape.reverts(certificates.KPCertificatesOnlyLedger):
        certificates.useForCrossing(shipment, b"BW", b"EU", outsider, sender=outsider)


def test_a_suspended_participant_neither_receives_nor_confirms(certificates, ledger, chain, shipment, bw_authority,
                                                               mine, eu_importer, eu_authority, world, governance):
    certificates.issueCertificate(request(chain, shipment), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    world.suspendParticipant("EU", b"\x00" * 32, sender=governance)
    with ape.reverts(ledger.KPLedgerParticipantSuspended):
        ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)
    world.reinstateParticipant("EU", sender=governance)
    ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)
    world.suspendParticipant("EU", b"\x00" * 32, sender=governance)
    with ape.reverts(certificates.KPCertificatesParticipantSuspended):
        certificates.confirmImport("BW0000001", sender=eu_authority)
    assert certificates.certificate("BW0000001").status == 2  # readable, still awaiting confirmation
