"""KP certificates: issuance checked against the consignment, crossing, confirmation, voiding, superseding."""

import ape
import pytest
from eth_utils import keccak

from conftest import DAY, GEM, INDUSTRIAL, ROLE_EXPORTER, ROLE_IMPORTER, ROLE_TRADER, UNSORTED, doc, seal

ZERO = "0x0000000000000000000000000000000000000000"
EXPORTER_ACCOUNT, IMPORTER_ACCOUNT, REPLACES = 7, 8, 9  # fields of the Certificate tuple in CertificateIssued


@pytest.fixture
def shipment(register, seal_consignment, mine):
    """A sealed BW consignment of two gem parcels (300 + 700 points) held by the mine."""
    parcels = [register(points=300, hs=GEM), register(points=700, hs=GEM)]
    return seal_consignment(parcels, mine, "box")


@pytest.fixture
def req(chain, eu_importer):
    """Factory: a CertificateRequest tuple, BW -> the EU importer, matching `shipment` by default."""

    def _request(consignment_id, number="BW0000001", importer="EU", points=1_000, count=2, hs=(GEM,),
                 origins=("BW",), issued=-60, expires=30 * DAY, to=None, replaces=""):
        now = chain.pending_timestamp
        return (number, importer, to or eu_importer.address, consignment_id, points, count, list(hs),
                list(origins), now + issued, now + expires, doc(number), replaces)

    return _request


def test_the_exporting_authority_issues_a_certificate_binding_exporter_and_importer(
        certificates, shipment, bw_authority, req, mine, eu_importer):
    tx = certificates.issueCertificate(req(shipment), sender=bw_authority)
    event = tx.events.filter(certificates.CertificateIssued)[0]
    assert (event.number, event.consignmentId, event.points, event.parcelCount) == ("BW0000001", shipment, 1_000, 2)
    assert list(event.origins) == [b"BW"] and list(event.hsCodes) == [GEM]
    parties = (event.certificate[EXPORTER_ACCOUNT], event.certificate[IMPORTER_ACCOUNT])
    assert parties == (mine.address.lower(), eu_importer.address.lower())  # the event's tuple is not checksummed
    cert = certificates.certificate("BW0000001")
    assert (cert.exporter, cert.importer, cert.status, cert.documentHash) == (b"BW", b"EU", 1, doc("BW0000001"))
    assert (cert.exporterAccount, cert.importerAccount, cert.replaces, cert.superseded) == (
        mine.address, eu_importer.address, b"\x00" * 32, False)
    assert [str(v).lower() for v in cert] == [str(v).lower() for v in event.certificate]
    assert certificates.isCovered(shipment)
    assert list(tx.events.filter(certificates.CertificateSuperseded)) == []


@pytest.mark.parametrize("number", ["EU0000001", "BW", "bw0000001", "BW 000001", "BW" + "0" * 31])
def test_the_number_carries_the_exporters_iso_prefix(certificates, shipment, bw_authority, req, number):
    with ape.reverts(certificates.KPCertificatesInvalidNumber):
        certificates.issueCertificate(req(shipment, number=number), sender=bw_authority)


def test_a_number_is_used_once(certificates, shipment, bw_authority, register, seal_consignment, mine, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    other = seal_consignment([register(points=1_000, hs=GEM)], mine, "box2")
    with ape.reverts(certificates.KPCertificatesNumberTaken):
        certificates.issueCertificate(req(other, count=1), sender=bw_authority)


def test_only_an_authority_of_an_active_participant_issues(certificates, shipment, mine, governance, world,
                                                          bw_authority, req):
    with ape.reverts(certificates.KPCertificatesNotAuthority):
        certificates.issueCertificate(req(shipment), sender=mine)
    world.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(certificates.KPCertificatesParticipantSuspended):
        certificates.issueCertificate(req(shipment), sender=bw_authority)


def test_a_foreign_authority_cannot_certify_anothers_consignment(certificates, shipment, eu_authority, req,
                                                                 world, bw_authority, license, outsider):
    license(outsider, ROLE_IMPORTER, bw_authority, "bw-importer")
    with ape.reverts(certificates.KPCertificatesHolderNotExporter):
        certificates.issueCertificate(req(shipment, number="EU0000001", importer="BW", to=outsider.address),
                                      sender=eu_authority)


def test_the_importer_must_be_another_active_participant(certificates, shipment, bw_authority, world, governance,
                                                         req):
    with ape.reverts(certificates.KPCertificatesNotParticipant):
        certificates.issueCertificate(req(shipment, importer="TW"), sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesSameParticipant):
        certificates.issueCertificate(req(shipment, importer="BW"), sender=bw_authority)
    world.suspendParticipant("EU", b"\x00" * 32, sender=governance)
    with ape.reverts(certificates.KPCertificatesParticipantSuspended):
        certificates.issueCertificate(req(shipment), sender=bw_authority)


def test_the_importer_account_must_be_a_licensed_importer_of_the_importing_participant(
        certificates, shipment, bw_authority, eu_authority, req, license, outsider, mine, accounts):
    license(outsider, ROLE_TRADER, eu_authority, "eu-trader")  # an EU trader without import licence
    with ape.reverts(certificates.KPCertificatesNotImporter, account=outsider.address, participant=b"EU"):
        certificates.issueCertificate(req(shipment, to=outsider.address), sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesNotImporter, account=mine.address, participant=b"EU"):
        certificates.issueCertificate(req(shipment, to=mine.address), sender=bw_authority)  # a BW account
    stranger = accounts.generate_test_account()
    with ape.reverts(certificates.KPCertificatesNotImporter, account=stranger.address, participant=b"EU"):
        certificates.issueCertificate(req(shipment, to=stranger.address), sender=bw_authority)


@pytest.mark.parametrize(("field", "error"), [
    ({"points": 999}, "KPCertificatesCaratsMismatch"),
    ({"count": 3}, "KPCertificatesParcelCountMismatch"),
    ({"hs": (INDUSTRIAL,)}, "KPCertificatesHsCodesMismatch"),
    ({"hs": (INDUSTRIAL, GEM)}, "KPCertificatesHsCodesMismatch"),
    ({"origins": ("CA",)}, "KPCertificatesOriginMismatch"),
    ({"origins": ("BW", "CA")}, "KPCertificatesOriginMismatch"),
    ({"origins": ("XX",)}, "KPCertificatesNotParticipant"),
])
def test_declared_contents_must_match_the_consignment(certificates, shipment, bw_authority, req, field, error):
    with ape.reverts(getattr(certificates, error)):
        certificates.issueCertificate(req(shipment, **field), sender=bw_authority)


@pytest.mark.parametrize(("hs", "previous", "current"), [
    ((GEM, GEM), GEM, GEM),
    ((GEM, INDUSTRIAL), GEM, INDUSTRIAL),
    ((UNSORTED, GEM, INDUSTRIAL), GEM, INDUSTRIAL),
    ((GEM,) * 300, GEM, GEM),
])
def test_hs_codes_are_listed_strictly_ascending(certificates, shipment, bw_authority, req, hs, previous,
                                                 current):
    with ape.reverts(certificates.KPCertificatesHsCodesNotAscending, previous=previous, hsCode=current):
        certificates.issueCertificate(req(shipment, hs=hs), sender=bw_authority)


@pytest.mark.parametrize(("origins", "previous", "current"), [
    (("BW", "BW"), b"BW", b"BW"),
    (("CA", "BW"), b"CA", b"BW"),
    (("BW",) * 300, b"BW", b"BW"),
])
def test_origins_are_listed_strictly_ascending(certificates, shipment, bw_authority, req, origins, previous,
                                               current):
    with ape.reverts(certificates.KPCertificatesOriginsNotAscending, previous=previous, origin=current):
        certificates.issueCertificate(req(shipment, origins=origins), sender=bw_authority)


@pytest.mark.parametrize(("issued", "expires"), [(-60, -1), (3600, 7200), (-60, -120)])
def test_validity_must_be_consistent_and_current(certificates, shipment, bw_authority, req, issued, expires):
    with ape.reverts(certificates.KPCertificatesInvalidValidity):
        certificates.issueCertificate(req(shipment, issued=issued, expires=expires), sender=bw_authority)


def test_validity_is_at_most_the_registrys_maximum(certificates, shipment, bw_authority, req, world,
                                                   governance, chain):
    fifty_years = req(shipment, expires=50 * 365 * DAY)
    with ape.reverts(certificates.KPCertificatesValidityTooLong, issuedAt=fifty_years[8], expiresAt=fifty_years[9],
                     maxValidity=180 * DAY):
        certificates.issueCertificate(fifty_years, sender=bw_authority)
    world.setMaxCertificateValidity(30 * DAY, sender=governance)
    longer = req(shipment, issued=0, expires=30 * DAY + 1)
    with ape.reverts(certificates.KPCertificatesValidityTooLong, maxValidity=30 * DAY):
        certificates.issueCertificate(longer, sender=bw_authority)
    exact = req(shipment, issued=0, expires=30 * DAY)
    certificates.issueCertificate(exact, sender=bw_authority)
    assert certificates.certificate("BW0000001").expiresAt - certificates.certificate("BW0000001").issuedAt == (
        30 * DAY)


def test_only_sealed_consignments_at_rest_are_certified(certificates, shipment, bw_authority, ledger, mine,
                                                        bw_exporter, req):
    ledger.offer(shipment, bw_exporter, seal("box"), sender=mine)
    with ape.reverts(certificates.KPCertificatesOfferPending, consignmentId=shipment,
                     recipient=bw_exporter.address):
        certificates.issueCertificate(req(shipment), sender=bw_authority)
    ledger.withdrawOffer(shipment, sender=mine)
    ledger.openConsignment(shipment, sender=mine)
    with ape.reverts(certificates.KPCertificatesConsignmentNotSealed):
        certificates.issueCertificate(req(shipment), sender=bw_authority)


def test_one_live_certificate_per_consignment(certificates, shipment, bw_authority, ledger, mine, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesConsignmentCertified):
        certificates.issueCertificate(req(shipment, number="BW0000002"), sender=bw_authority)
    with ape.reverts(ledger.KPLedgerConsignmentCertified):
        ledger.openConsignment(shipment, sender=mine)
    # after voiding, a corrected certificate may be issued
    certificates.voidCertificate("BW0000001", 1, sender=bw_authority)
    certificates.issueCertificate(req(shipment, number="BW0000002"), sender=bw_authority)
    assert certificates.certificateOf(shipment) == keccak(text="BW0000002")


def cross(ledger, shipment, mine, eu_importer, label="box"):
    ledger.offer(shipment, eu_importer, seal(label), sender=mine)
    return ledger.acceptOffer(shipment, seal(label), sender=eu_importer)


def test_a_certified_crossing_spends_the_certificate(certificates, ledger, shipment, bw_authority, mine,
                                                    eu_importer, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    tx = cross(ledger, shipment, mine, eu_importer)
    moved = tx.events.filter(ledger.CustodyTransferred)[0]
    assert moved.certificateKey == certificates.certificateOf(shipment)
    (used,) = tx.events.filter(certificates.CertificateUsed)
    assert used.importer == eu_importer.address
    assert certificates.certificate("BW0000001").status == 2
    assert ledger.consignment(shipment).holder == eu_importer.address


def test_a_used_certificate_authorises_nothing_more(certificates, ledger, shipment, bw_authority, mine,
                                                   eu_importer, world, license, req):
    license(mine, ROLE_IMPORTER, bw_authority, "mine")
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    cross(ledger, shipment, mine, eu_importer)
    # sending the same box back to BW on the same certificate
    with ape.reverts(certificates.KPCertificatesAlreadyUsed):
        ledger.offer(shipment, mine, seal("box"), sender=eu_importer)
    with ape.reverts(certificates.KPCertificatesAlreadyUsed):
        certificates.voidCertificate("BW0000001", 1, sender=bw_authority)


def test_a_voided_certificate_authorises_nothing(certificates, ledger, shipment, bw_authority, mine,
                                                 eu_importer, eu_authority, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
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
                                                   eu_importer, req):
    certificates.issueCertificate(req(shipment, expires=DAY), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    chain.pending_timestamp += 2 * DAY
    with ape.reverts(certificates.KPCertificatesExpired):
        ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)
    assert not certificates.isCovered(shipment)


def test_a_certificate_is_used_by_its_own_parties_only(certificates, ledger, shipment, bw_authority, mine, world,
                                                       governance, outsider, eu_authority, license, accounts,
                                                       req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    # another country's importer
    world.appointAuthority("IN", governance, "India KP Office", sender=governance)
    license(outsider, ROLE_IMPORTER, governance, "in-importer")
    with ape.reverts(certificates.KPCertificatesPartiesMismatch):
        ledger.offer(shipment, outsider, seal("box"), sender=mine)
    # another importer of the right country: only the named importer can receive (and so accept)
    other_eu = accounts.generate_test_account()
    license(other_eu, ROLE_IMPORTER, eu_authority, "eu-importer-2")
    with ape.reverts(certificates.KPCertificatesPartiesMismatch, exporterAccount=mine.address):
        ledger.offer(shipment, other_eu, seal("box"), sender=mine)
    assert ledger.offerOf(shipment) == ZERO


def test_crossing_needs_an_exporter_and_an_importer(certificates, ledger, shipment, bw_authority, mine, eu_authority,
                                                    outsider, license, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    license(outsider, ROLE_TRADER, eu_authority, "eu-trader")  # an EU trader without import licence
    with ape.reverts(ledger.KPLedgerMissingRole, account=outsider.address, role=ROLE_IMPORTER):
        ledger.offer(shipment, outsider, seal("box"), sender=mine)


def test_a_certified_consignment_is_not_handed_on_at_home(certificates, ledger, shipment, bw_authority, mine,
                                                          bw_exporter, eu_importer, req):
    """Before: a second BW exporter took the box at home and exported it under the mine's certificate."""
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    with ape.reverts(ledger.KPLedgerConsignmentCertified, consignmentId=shipment):
        ledger.offer(shipment, bw_exporter, seal("box"), sender=mine)
    # the authority voids the certificate first; the box moves at home and is certified for its new holder
    certificates.voidCertificate("BW0000001", 6, sender=bw_authority)
    ledger.offer(shipment, bw_exporter, seal("box"), sender=mine)
    ledger.acceptOffer(shipment, seal("box"), sender=bw_exporter)
    tx = certificates.issueCertificate(req(shipment, number="BW0000002"), sender=bw_authority)
    issued = tx.events.filter(certificates.CertificateIssued)[0]
    assert issued.certificate[EXPORTER_ACCOUNT] == bw_exporter.address.lower()
    with ape.reverts(ledger.KPLedgerNotHolder, lotId=shipment, account=mine.address):
        ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    cross(ledger, shipment, bw_exporter, eu_importer)
    assert ledger.consignment(shipment).holder == eu_importer.address


def test_an_export_offered_before_the_exporters_licence_was_revoked_does_not_cross(
        certificates, ledger, shipment, bw_authority, eu_authority, world, mine, eu_importer, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    world.revokeOperator(mine, ROLE_EXPORTER, sender=bw_authority)  # the mine keeps its producer licence
    with ape.reverts(ledger.KPLedgerMissingRole, account=mine.address, role=ROLE_EXPORTER):
        ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)
    assert ledger.consignment(shipment).holder == mine.address
    assert certificates.certificate("BW0000001").status == 1  # not spent
    # and an importer whose import licence was revoked after the offer cannot take it in either
    world.revokeOperator(eu_importer, ROLE_IMPORTER, sender=eu_authority)
    with ape.reverts(ledger.KPLedgerMissingRole):
        ledger.acceptOffer(shipment, seal("box"), sender=eu_importer)


def test_a_tampered_seal_at_the_border_blocks_the_crossing(certificates, ledger, shipment, bw_authority, mine,
                                                          eu_importer, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    ledger.offer(shipment, eu_importer, seal("box"), sender=mine)
    tx = ledger.acceptOffer(shipment, seal("cut-and-retied"), sender=eu_importer)
    assert len(tx.events.filter(ledger.CustodySealMismatch)) == 1
    assert ledger.consignment(shipment).holder == mine.address
    assert certificates.certificate("BW0000001").status == 1  # not spent


def test_the_importing_authority_confirms_the_import(certificates, ledger, shipment, bw_authority, mine,
                                                    eu_importer, eu_authority, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
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


def test_the_importing_authority_records_a_discrepancy_then_confirms(certificates, ledger, shipment, bw_authority,
                                                                     mine, eu_importer, eu_authority, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    cross(ledger, shipment, mine, eu_importer)
    tx = certificates.recordDiscrepancy("BW0000001", 3, doc("weighing"), sender=eu_authority)
    event = tx.events.filter(certificates.ImportDiscrepancy)[0]
    assert (event.reason, event.evidenceHash) == (3, doc("weighing"))
    assert certificates.certificate("BW0000001").status == 4
    tx = certificates.confirmImport("BW0000001", sender=eu_authority)  # resolved
    assert len(tx.events.filter(certificates.ImportConfirmed)) == 1
    assert certificates.certificate("BW0000001").status == 3


def test_a_certificate_issued_in_error_is_voided_and_superseded(certificates, ledger, shipment, bw_authority, mine,
                                                                eu_importer, req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    certificates.voidCertificate("BW0000001", 7, sender=bw_authority)
    tx = certificates.issueCertificate(req(shipment, number="BW0000002", replaces="BW0000001"),
                                       sender=bw_authority)
    issued = tx.events.filter(certificates.CertificateIssued)[0]
    (superseded,) = tx.events.filter(certificates.CertificateSuperseded)
    old, new = keccak(text="BW0000001"), keccak(text="BW0000002")
    assert (superseded.replacedKey, superseded.byKey) == (old, new)
    assert issued.certificate[REPLACES] == old
    assert certificates.certificate("BW0000001").superseded and certificates.certificate("BW0000001").status == 5
    assert certificates.certificate("BW0000002").replaces == old
    assert not certificates.certificate("BW0000002").superseded
    cross(ledger, shipment, mine, eu_importer)
    assert certificates.certificate("BW0000002").status == 2


def test_only_a_voided_certificate_of_the_same_issuer_not_yet_superseded_is_replaced(
        certificates, ledger, shipment, bw_authority, ca_authority, mine, ca_mine, register, seal_consignment,
        issue, req):
    with ape.reverts(certificates.KPCertificatesUnknown, certificateKey=keccak(text="BW0009999")):
        certificates.issueCertificate(req(shipment, replaces="BW0009999"), sender=bw_authority)
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    other = seal_consignment([register(points=500, hs=GEM)], mine, "other")
    with ape.reverts(certificates.KPCertificatesWrongStatus, certificateKey=keccak(text="BW0000001"), status=1):
        certificates.issueCertificate(req(other, number="BW0000002", points=500, count=1,
                                              replaces="BW0000001"), sender=bw_authority)
    ca_box = seal_consignment([register(points=400, hs=GEM, origin="CA", holder=ca_mine)], ca_mine, "ca")
    ca_number = issue(ca_box, ca_authority, exporter="CA")
    certificates.voidCertificate(ca_number, 6, sender=ca_authority)
    with ape.reverts(certificates.KPCertificatesForeignAuthority, account=bw_authority.address, participant=b"CA"):
        certificates.issueCertificate(req(other, number="BW0000002", points=500, count=1, replaces=ca_number),
                                      sender=bw_authority)
    certificates.voidCertificate("BW0000001", 7, sender=bw_authority)
    certificates.issueCertificate(req(shipment, number="BW0000002", replaces="BW0000001"), sender=bw_authority)
    certificates.voidCertificate("BW0000002", 7, sender=bw_authority)
    with ape.reverts(certificates.KPCertificatesAlreadySuperseded, certificateKey=keccak(text="BW0000001")):
        certificates.issueCertificate(req(shipment, number="BW0000003", replaces="BW0000001"),
                                      sender=bw_authority)
    # a chain of corrections: the third supersedes the second
    tx = certificates.issueCertificate(req(shipment, number="BW0000003", replaces="BW0000002"),
                                       sender=bw_authority)
    assert tx.events.filter(certificates.CertificateSuperseded)[0].replacedKey == keccak(text="BW0000002")


def test_a_correction_replaces_only_a_certificate_of_the_same_consignment(certificates, shipment, bw_authority,
                                                                         register, seal_consignment, mine, req):
    # the attack: a certificate for other goods presents itself as the correction of a voided one, taking over its
    # place in the record (the voided certificate reads "superseded by" a certificate for goods it never covered)
    certificates.issueCertificate(req(shipment), sender=bw_authority)
    certificates.voidCertificate("BW0000001", 6, sender=bw_authority)
    other = seal_consignment([register(points=500, hs=GEM)], mine, "other goods")
    with ape.reverts(certificates.KPCertificatesReplacesOtherConsignment, certificateKey=keccak(text="BW0000001"),
                     replacedConsignmentId=shipment, consignmentId=other):
        certificates.issueCertificate(req(other, number="BW0000002", points=500, count=1, replaces="BW0000001"),
                                      sender=bw_authority)
    assert not certificates.certificate("BW0000001").superseded
    assert certificates.certificate("BW0000002").status == 0
    # the other goods get a certificate of their own; the voided one is still there to be corrected
    certificates.issueCertificate(req(other, number="BW0000002", points=500, count=1), sender=bw_authority)
    tx = certificates.issueCertificate(req(shipment, number="BW0000003", replaces="BW0000001"), sender=bw_authority)
    assert tx.events.filter(certificates.CertificateSuperseded)[0].replacedKey == keccak(text="BW0000001")


def test_unknown_certificates_are_reported(certificates, eu_authority):
    with ape.reverts(certificates.KPCertificatesUnknown):
        certificates.confirmImport("BW9999999", sender=eu_authority)


def test_only_the_ledger_spends_certificates(certificates, shipment, outsider, mine):
    with ape.reverts(certificates.KPCertificatesOnlyLedger):
        certificates.useForCrossing(shipment, mine, outsider, sender=outsider)


def test_a_suspended_participant_neither_receives_nor_confirms(certificates, ledger, shipment, bw_authority,
                                                               mine, eu_importer, eu_authority, world, governance,
                                                               req):
    certificates.issueCertificate(req(shipment), sender=bw_authority)
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
