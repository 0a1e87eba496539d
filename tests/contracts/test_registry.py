"""Participants and permissions: governance, authorities, operators, suspension."""

import ape
import pytest

from conftest import DAY, ROLE_AUTHORITY, ROLE_EXPORTER, ROLE_IMPORTER, ROLE_PRODUCER, ROLE_TRADER


def test_governance_is_not_the_deployer(registry, deployer, governance):
    assert registry.defaultAdmin() == governance.address
    assert registry.defaultAdmin() != deployer.address


def test_governance_hands_over_in_two_steps_after_the_delay(registry, governance, outsider, chain):
    registry.beginDefaultAdminTransfer(outsider, sender=governance)
    with ape.reverts(registry.AccessControlEnforcedDefaultAdminDelay):
        registry.acceptDefaultAdminTransfer(sender=outsider)
    chain.pending_timestamp += 3 * DAY + 1
    registry.acceptDefaultAdminTransfer(sender=outsider)
    assert registry.defaultAdmin() == outsider.address
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.admitParticipant("ZA", "South Africa", sender=governance)


def test_governance_admits_participants_by_iso_code(registry, governance):
    tx = registry.admitParticipant("BW", "Botswana", sender=governance)
    event = tx.events.filter(registry.ParticipantAdmitted)[0]
    assert (event.participant, event.index, event.name) == (b"BW", 1, "Botswana")
    assert registry.participant(b"BW") == (1, 1)
    assert registry.participantAt(1) == b"BW"


def test_the_eu_is_one_participant(registry, governance):
    registry.admitParticipant("EU", "European Union", sender=governance)
    assert registry.participant(b"EU").status == 1


@pytest.mark.parametrize("code", ["bw", "B", "BWA", "B1", ""])
def test_malformed_iso_codes_are_refused(registry, governance, code):
    with ape.reverts(registry.KPRegistryInvalidCode):
        registry.admitParticipant(code, "x", sender=governance)


def test_a_participant_is_admitted_once(registry, governance):
    registry.admitParticipant("BW", "Botswana", sender=governance)
    with ape.reverts(registry.KPRegistryParticipantExists):
        registry.admitParticipant("BW", "Botswana", sender=governance)


def test_only_governance_admits_suspends_and_appoints(registry, world, bw_authority, outsider):
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.admitParticipant("ZA", "South Africa", sender=outsider)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.suspendParticipant("BW", b"\x00" * 32, sender=bw_authority)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.setAuthority("BW", outsider, True, sender=bw_authority)


def test_an_authority_licenses_its_own_operators(registry, world, bw_authority, outsider):
    tx = registry.licenseOperator(outsider, ROLE_TRADER | ROLE_EXPORTER, sender=bw_authority)
    m = registry.member(outsider)
    assert (m.participant, m.roles, m.status) == (b"BW", ROLE_TRADER | ROLE_EXPORTER, 1)
    events = tx.events.filter(registry.MemberRolesChanged)
    assert [e.roles for e in events] == [ROLE_EXPORTER, ROLE_EXPORTER | ROLE_TRADER]
    assert all(e.by == bw_authority.address for e in events)
    assert registry.hasRole(registry.operatorRole(b"BW", ROLE_TRADER), outsider)


def test_licensing_a_role_already_held_emits_nothing(registry, world, bw_authority, mine):
    tx = registry.licenseOperator(mine, ROLE_PRODUCER, sender=bw_authority)
    assert list(tx.events.filter(registry.MemberRolesChanged)) == []


def test_an_authority_cannot_license_for_another_participant(registry, world, eu_authority, mine, outsider):
    # the mine belongs to BW: the EU authority cannot grant it anything ...
    with ape.reverts(registry.KPRegistryAccountOfOtherParticipant):
        registry.licenseOperator(mine, ROLE_TRADER, sender=eu_authority)
    # ... nor revoke its BW licences (its revocation applies to EU roles the mine does not hold)
    tx = registry.revokeOperator(mine, ROLE_PRODUCER, sender=eu_authority)
    assert registry.member(mine).roles & ROLE_PRODUCER
    assert list(tx.events.filter(registry.MemberRolesChanged)) == []
    # ... nor use the generic AccessControl entry point on BW's roles
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.grantRole(registry.operatorRole(b"BW", ROLE_TRADER), outsider, sender=eu_authority)


def test_only_authorities_license(registry, world, mine, outsider):
    with ape.reverts(registry.KPRegistryNotAuthority):
        registry.licenseOperator(outsider, ROLE_TRADER, sender=mine)


@pytest.mark.parametrize("roles", [0, ROLE_AUTHORITY, 64, 128])
def test_authorities_grant_operator_roles_only(registry, world, bw_authority, outsider, roles):
    with ape.reverts(registry.KPRegistryInvalidRoles):
        registry.licenseOperator(outsider, roles, sender=bw_authority)


def test_an_account_never_changes_country_even_after_losing_every_role(registry, world, bw_authority,
                                                                       eu_authority, bw_exporter):
    # otherwise whatever it holds would cross the border without a certificate
    registry.revokeOperator(bw_exporter, ROLE_EXPORTER | ROLE_TRADER, sender=bw_authority)
    assert registry.member(bw_exporter).roles == 0
    with ape.reverts(registry.KPRegistryAccountOfOtherParticipant):
        registry.licenseOperator(bw_exporter, ROLE_IMPORTER, sender=eu_authority)
    registry.licenseOperator(bw_exporter, ROLE_TRADER, sender=bw_authority)
    assert registry.member(bw_exporter).participant == b"BW"


def test_a_suspended_participant_licenses_no_one_until_reinstated(registry, world, governance, bw_authority,
                                                                  outsider, mine):
    tx = registry.suspendParticipant("BW", b"\x11" * 32, sender=governance)
    assert tx.events.filter(registry.ParticipantSuspended)[0].reason == b"\x11" * 32
    assert registry.member(mine).status == 2
    with ape.reverts(registry.KPRegistryParticipantSuspended):
        registry.licenseOperator(outsider, ROLE_TRADER, sender=bw_authority)
    # withdrawing a licence stays possible while suspended
    registry.revokeOperator(mine, ROLE_EXPORTER, sender=bw_authority)
    registry.reinstateParticipant("BW", sender=governance)
    registry.licenseOperator(outsider, ROLE_TRADER, sender=bw_authority)
    assert registry.member(outsider).status == 1


def test_suspending_twice_or_reinstating_an_active_participant_is_refused(registry, world, governance):
    with ape.reverts(registry.KPRegistryParticipantNotSuspended):
        registry.reinstateParticipant("BW", sender=governance)
    registry.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(registry.KPRegistryParticipantSuspended):
        registry.suspendParticipant("BW", b"\x00" * 32, sender=governance)
    with ape.reverts(registry.KPRegistryUnknownParticipant):
        registry.suspendParticipant("ZA", b"\x00" * 32, sender=governance)


def test_authorities_are_appointed_for_admitted_participants_only(registry, world, governance, outsider):
    with ape.reverts(registry.KPRegistryUnknownParticipant):
        registry.setAuthority("ZA", outsider, True, sender=governance)
    with ape.reverts(registry.KPRegistryZeroAccount):
        registry.setAuthority("BW", "0x0000000000000000000000000000000000000000", True, sender=governance)


def test_a_dismissed_authority_licenses_no_more(registry, world, governance, bw_authority, outsider):
    registry.setAuthority("BW", bw_authority, False, sender=governance)
    with ape.reverts(registry.KPRegistryNotAuthority):
        registry.licenseOperator(outsider, ROLE_TRADER, sender=bw_authority)
