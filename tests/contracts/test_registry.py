"""Participants and permissions: governance, named authorities and operators, suspension, certificate validity."""

import ape
import pytest

from conftest import DAY, ROLE_AUTHORITY, ROLE_EXPORTER, ROLE_IMPORTER, ROLE_PRODUCER, ROLE_TRADER

ZERO = "0x0000000000000000000000000000000000000000"


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


def test_only_governance_admits_suspends_appoints_and_dismisses(registry, world, bw_authority, outsider):
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.admitParticipant("ZA", "South Africa", sender=outsider)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.suspendParticipant("BW", b"\x00" * 32, sender=bw_authority)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.appointAuthority("BW", outsider, "Someone", sender=bw_authority)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.dismissAuthority("BW", bw_authority, sender=bw_authority)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.setMaxCertificateValidity(30 * DAY, sender=bw_authority)


def test_an_authority_is_appointed_under_its_public_name(registry, world, governance, outsider):
    tx = registry.appointAuthority("CA", outsider, "Kimberley Process Office, Ottawa", sender=governance)
    (roles,) = tx.events.filter(registry.MemberRolesChanged)
    assert (roles.account, roles.participant, roles.roles, roles.by) == (outsider.address, b"CA", ROLE_AUTHORITY,
                                                                         governance.address)
    (named,) = tx.events.filter(registry.MemberProfileChanged)
    assert (named.account, named.participant, named.name, named.licenceNumber, named.registryRef, named.by) == (
        outsider.address, b"CA", "Kimberley Process Office, Ottawa", "", "", governance.address)
    assert registry.profile(outsider) == ("Kimberley Process Office, Ottawa", "", "")
    # appointing again under the same name changes nothing and emits nothing; a new name is recorded
    assert list(registry.appointAuthority("CA", outsider, "Kimberley Process Office, Ottawa",
                                          sender=governance).events) == []
    tx = registry.appointAuthority("CA", outsider, "KP Office Canada", sender=governance)
    assert [e.name for e in tx.events.filter(registry.MemberProfileChanged)] == ["KP Office Canada"]
    assert list(tx.events.filter(registry.MemberRolesChanged)) == []


@pytest.mark.parametrize("name", ["", "x" * 121])
def test_an_authority_needs_a_name_of_1_to_120_bytes(registry, world, governance, outsider, name):
    with ape.reverts(registry.KPRegistryInvalidProfileField, field="name", length=len(name), min=1, max=120):
        registry.appointAuthority("CA", outsider, name, sender=governance)


def test_an_authority_licenses_its_own_operators_by_name(registry, world, bw_authority, outsider):
    tx = registry.licenseOperator(outsider, ROLE_TRADER | ROLE_EXPORTER, "Okavango Diamond Company",
                                  "BW-DTL-0042", "BW-REG/2021/17", sender=bw_authority)
    m = registry.member(outsider)
    assert (m.participant, m.roles, m.status) == (b"BW", ROLE_TRADER | ROLE_EXPORTER, 1)
    events = tx.events.filter(registry.MemberRolesChanged)
    assert [e.roles for e in events] == [ROLE_EXPORTER, ROLE_EXPORTER | ROLE_TRADER]
    assert all(e.by == bw_authority.address for e in events)
    (named,) = tx.events.filter(registry.MemberProfileChanged)
    assert (named.account, named.participant, named.name, named.licenceNumber, named.registryRef, named.by) == (
        outsider.address, b"BW", "Okavango Diamond Company", "BW-DTL-0042", "BW-REG/2021/17", bw_authority.address)
    assert registry.profile(outsider) == ("Okavango Diamond Company", "BW-DTL-0042", "BW-REG/2021/17")
    assert registry.hasRole(registry.operatorRole(b"BW", ROLE_TRADER), outsider)


def test_licensing_a_role_already_held_under_the_same_profile_emits_nothing(registry, world, bw_authority, mine):
    name, licence, ref = registry.profile(mine)
    tx = registry.licenseOperator(mine, ROLE_PRODUCER, name, licence, ref, sender=bw_authority)
    assert list(tx.events) == []


@pytest.mark.parametrize(("name", "licence", "ref", "field", "length", "bounds"), [
    ("", "L-1", "", "name", 0, (1, 120)),
    ("x" * 121, "L-1", "", "name", 121, (1, 120)),
    ("Name", "", "", "licenceNumber", 0, (1, 64)),
    ("Name", "L" * 65, "", "licenceNumber", 65, (1, 64)),
    ("Name", "L-1", "r" * 65, "registryRef", 65, (0, 64)),
])
def test_profile_fields_have_bounded_lengths(registry, world, bw_authority, outsider, name, licence, ref, field,
                                             length, bounds):
    with ape.reverts(registry.KPRegistryInvalidProfileField, field=field, length=length, min=bounds[0],
                     max=bounds[1]):
        registry.licenseOperator(outsider, ROLE_TRADER, name, licence, ref, sender=bw_authority)
    assert registry.member(outsider).roles == 0


def test_an_authority_updates_its_own_operators_profile(registry, world, bw_authority, eu_authority, mine,
                                                        outsider):
    tx = registry.updateOperatorProfile(mine, "Debswana Diamond Company", "BW-ML-0001", "", sender=bw_authority)
    (named,) = tx.events.filter(registry.MemberProfileChanged)
    assert (named.account, named.participant, named.name, named.licenceNumber, named.by) == (
        mine.address, b"BW", "Debswana Diamond Company", "BW-ML-0001", bw_authority.address)
    assert list(tx.events.filter(registry.MemberRolesChanged)) == []
    assert registry.profile(mine) == ("Debswana Diamond Company", "BW-ML-0001", "")
    # the same profile again: nothing happens, nothing is emitted
    same = registry.updateOperatorProfile(mine, "Debswana Diamond Company", "BW-ML-0001", "", sender=bw_authority)
    assert list(same.events) == []
    with ape.reverts(registry.KPRegistryAccountOfOtherParticipant, account=mine.address, participant=b"BW"):
        registry.updateOperatorProfile(mine, "Renamed", "X-1", "", sender=eu_authority)
    with ape.reverts(registry.KPRegistryNotOperator, account=outsider.address):
        registry.updateOperatorProfile(outsider, "Nobody", "X-1", "", sender=bw_authority)
    with ape.reverts(registry.KPRegistryNotAuthority, account=mine.address):
        registry.updateOperatorProfile(mine, "Self-named", "X-1", "", sender=mine)


def test_an_authority_profile_is_not_an_operator_profile(registry, world, bw_authority):
    with ape.reverts(registry.KPRegistryNotOperator, account=bw_authority.address):
        registry.updateOperatorProfile(bw_authority, "Renamed", "X-1", "", sender=bw_authority)


def test_an_authority_cannot_license_or_revoke_for_another_participant(registry, world, eu_authority, mine,
                                                                       outsider):
    # the mine belongs to BW: the EU authority can neither grant it anything ...
    with ape.reverts(registry.KPRegistryAccountOfOtherParticipant, account=mine.address, participant=b"BW"):
        registry.licenseOperator(mine, ROLE_TRADER, "Mine", "L-1", "", sender=eu_authority)
    # ... nor revoke its BW licences
    with ape.reverts(registry.KPRegistryAccountOfOtherParticipant, account=mine.address, participant=b"BW"):
        registry.revokeOperator(mine, ROLE_PRODUCER, sender=eu_authority)
    assert registry.member(mine).roles & ROLE_PRODUCER


def test_scoped_roles_change_only_through_the_registrys_own_functions(registry, world, bw_authority, eu_authority,
                                                                       governance, mine, outsider):
    trader = registry.operatorRole(b"BW", ROLE_TRADER)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.grantRole(trader, outsider, sender=eu_authority)  # not the admin of BW's roles
    # BW's own authority: refused too, an operator is licensed with its name (licenseOperator)
    with ape.reverts(registry.KPRegistryScopedRole, role=trader):
        registry.grantRole(trader, outsider, sender=bw_authority)
    with ape.reverts(registry.KPRegistryScopedRole, role=registry.operatorRole(b"BW", ROLE_PRODUCER)):
        registry.revokeRole(registry.operatorRole(b"BW", ROLE_PRODUCER), mine, sender=bw_authority)
    authority = registry.authorityRole(b"BW")
    with ape.reverts(registry.KPRegistryScopedRole, role=authority):
        registry.grantRole(authority, outsider, sender=governance)
    with ape.reverts(registry.KPRegistryScopedRole, role=authority):
        registry.renounceRole(authority, bw_authority, sender=bw_authority)
    assert not registry.hasRole(trader, outsider) and registry.member(outsider).roles == 0


def test_only_authorities_license(registry, world, mine, outsider):
    with ape.reverts(registry.KPRegistryNotAuthority, account=mine.address):
        registry.licenseOperator(outsider, ROLE_TRADER, "Someone", "L-1", "", sender=mine)


@pytest.mark.parametrize("roles", [0, ROLE_AUTHORITY, 64, 128])
def test_authorities_grant_operator_roles_only(registry, world, bw_authority, outsider, roles):
    with ape.reverts(registry.KPRegistryInvalidRoles, roles=roles):
        registry.licenseOperator(outsider, roles, "Someone", "L-1", "", sender=bw_authority)


def test_revoking_a_role_not_held_is_refused_and_changes_nothing(registry, world, bw_authority, bw_exporter,
                                                                 outsider):
    # bw_exporter holds exporter and trader, not importer
    with ape.reverts(registry.KPRegistryRoleNotHeld, account=bw_exporter.address, roles=ROLE_IMPORTER):
        registry.revokeOperator(bw_exporter, ROLE_IMPORTER | ROLE_TRADER, sender=bw_authority)
    assert registry.member(bw_exporter).roles == ROLE_EXPORTER | ROLE_TRADER
    with ape.reverts(registry.KPRegistryRoleNotHeld, account=outsider.address, roles=ROLE_TRADER):
        registry.revokeOperator(outsider, ROLE_TRADER, sender=bw_authority)
    tx = registry.revokeOperator(bw_exporter, ROLE_TRADER, sender=bw_authority)
    assert [e.roles for e in tx.events.filter(registry.MemberRolesChanged)] == [ROLE_EXPORTER]


def test_an_account_never_changes_country_even_after_losing_every_role(registry, world, bw_authority,
                                                                       eu_authority, bw_exporter, license):
    # otherwise whatever it holds would cross the border without a certificate
    registry.revokeOperator(bw_exporter, ROLE_EXPORTER | ROLE_TRADER, sender=bw_authority)
    assert registry.member(bw_exporter).roles == 0
    with ape.reverts(registry.KPRegistryAccountOfOtherParticipant):
        license(bw_exporter, ROLE_IMPORTER, eu_authority)
    license(bw_exporter, ROLE_TRADER, bw_authority)
    assert registry.member(bw_exporter).participant == b"BW"


def test_a_suspended_participant_licenses_and_renames_no_one_until_reinstated(registry, world, governance,
                                                                              bw_authority, outsider, mine,
                                                                              license):
    tx = registry.suspendParticipant("BW", b"\x11" * 32, sender=governance)
    assert tx.events.filter(registry.ParticipantSuspended)[0].reason == b"\x11" * 32
    assert registry.member(mine).status == 2
    with ape.reverts(registry.KPRegistryParticipantSuspended, participant=b"BW"):
        license(outsider, ROLE_TRADER, bw_authority)
    with ape.reverts(registry.KPRegistryParticipantSuspended, participant=b"BW"):
        registry.updateOperatorProfile(mine, "Renamed", "X-1", "", sender=bw_authority)
    with ape.reverts(registry.KPRegistryParticipantSuspended, participant=b"BW"):
        registry.appointAuthority("BW", outsider, "Another office", sender=governance)
    # withdrawing a licence, or an authority, stays possible while suspended
    registry.revokeOperator(mine, ROLE_EXPORTER, sender=bw_authority)
    registry.reinstateParticipant("BW", sender=governance)
    license(outsider, ROLE_TRADER, bw_authority)
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
    with ape.reverts(registry.KPRegistryUnknownParticipant, participant=b"ZA"):
        registry.appointAuthority("ZA", outsider, "Nobody", sender=governance)
    with ape.reverts(registry.KPRegistryZeroAccount):
        registry.appointAuthority("BW", ZERO, "Nobody", sender=governance)


def test_a_dismissed_authority_licenses_no_more(registry, world, governance, bw_authority, outsider, license):
    tx = registry.dismissAuthority("BW", bw_authority, sender=governance)
    (event,) = tx.events.filter(registry.MemberRolesChanged)
    assert (event.account, event.participant, event.roles, event.by) == (bw_authority.address, b"BW", 0,
                                                                         governance.address)
    with ape.reverts(registry.KPRegistryNotAuthority):
        license(outsider, ROLE_TRADER, bw_authority)


def test_dismissing_an_account_that_is_not_an_authority_is_refused(registry, world, governance, bw_authority,
                                                                   mine, outsider):
    with ape.reverts(registry.KPRegistryRoleNotHeld, account=mine.address, roles=ROLE_AUTHORITY):
        registry.dismissAuthority("BW", mine, sender=governance)
    with ape.reverts(registry.KPRegistryRoleNotHeld, account=bw_authority.address, roles=ROLE_AUTHORITY):
        registry.dismissAuthority("EU", bw_authority, sender=governance)  # BW's authority, not EU's
    with ape.reverts(registry.KPRegistryRoleNotHeld, account=outsider.address, roles=ROLE_AUTHORITY):
        registry.dismissAuthority("BW", outsider, sender=governance)


def test_the_longest_certificate_validity_defaults_to_180_days_and_governance_sets_it(registry, governance):
    assert registry.maxCertificateValidity() == 180 * DAY
    tx = registry.setMaxCertificateValidity(90 * DAY, sender=governance)
    (event,) = tx.events.filter(registry.MaxCertificateValiditySet)
    assert (event.maxValidity, event.by) == (90 * DAY, governance.address)
    assert registry.maxCertificateValidity() == 90 * DAY
    assert list(registry.setMaxCertificateValidity(90 * DAY, sender=governance).events) == []  # no-op


@pytest.mark.parametrize("seconds", [0, DAY - 1, 365 * DAY + 1, 50 * 365 * DAY])
def test_the_longest_certificate_validity_is_bounded(registry, governance, seconds):
    with ape.reverts(registry.KPRegistryInvalidValidity, maxValidity=seconds, min=DAY, max=365 * DAY):
        registry.setMaxCertificateValidity(seconds, sender=governance)
    assert registry.maxCertificateValidity() == 180 * DAY


def test_the_deployment_records_the_default_validity_in_an_event(project, deployer, governance, chain):
    fresh = deployer.deploy(project.KPRegistry, governance, DAY)
    (event,) = chain.get_receipt(fresh.txn_hash).events.filter(fresh.MaxCertificateValiditySet)
    assert (event.maxValidity, event.by) == (180 * DAY, deployer.address)


def test_the_role_bits_are_the_registrys_public_constants(registry):
    assert (registry.ROLE_AUTHORITY(), registry.ROLE_PRODUCER(), registry.ROLE_EXPORTER(), registry.ROLE_IMPORTER(),
            registry.ROLE_TRADER(), registry.ROLE_MANUFACTURER()) == (1, 2, 4, 8, 16, 32)


# ---------------------------------------------------------------- separation of duties (exploits first)

def test_an_authority_cannot_license_itself_to_certify_its_own_exports(registry, world, bw_authority):
    # the attack: the BW authority makes itself a mine and an exporter, then would register, seal and certify
    # its own goods, the checks and balances of the KP in one key
    with ape.reverts(registry.KPRegistryAccountIsAuthority, account=bw_authority.address, participant=b"BW"):
        registry.licenseOperator(bw_authority, ROLE_PRODUCER | ROLE_EXPORTER, "BW Diamond Hub Mining", "BW-ML-9",
                                 "", sender=bw_authority)
    assert registry.member(bw_authority).roles == ROLE_AUTHORITY
    assert registry.profile(bw_authority) == ("BW Diamond Hub", "", "")


def test_a_second_office_cannot_rename_or_license_another_office(registry, world, governance, bw_authority,
                                                                  outsider):
    registry.appointAuthority("BW", outsider, "BW Second Office", sender=governance)
    # the attack: the second office renames the first by licensing it (which rewrote its public profile) ...
    with ape.reverts(registry.KPRegistryAccountIsAuthority, account=bw_authority.address, participant=b"BW"):
        registry.licenseOperator(bw_authority, ROLE_TRADER, "Ministry of Nothing", "X-1", "", sender=outsider)
    # ... or through the operators' profile update
    with ape.reverts(registry.KPRegistryNotOperator, account=bw_authority.address):
        registry.updateOperatorProfile(bw_authority, "Ministry of Nothing", "X-1", "", sender=outsider)
    assert registry.profile(bw_authority) == ("BW Diamond Hub", "", "")
    assert registry.member(bw_authority).roles == ROLE_AUTHORITY
    # an office's public name is the secretariat's to set, by appointing it again under the new name
    tx = registry.appointAuthority("BW", bw_authority, "BW Diamond Hub, Gaborone", sender=governance)
    assert [e.name for e in tx.events.filter(registry.MemberProfileChanged)] == ["BW Diamond Hub, Gaborone"]


def test_an_authority_of_another_participant_is_not_licensed_either(registry, world, bw_authority, eu_authority):
    with ape.reverts(registry.KPRegistryAccountIsAuthority, account=eu_authority.address, participant=b"EU"):
        registry.licenseOperator(eu_authority, ROLE_IMPORTER, "EU Trading Desk", "BW-IM-1", "", sender=bw_authority)
    assert registry.member(eu_authority).roles == ROLE_AUTHORITY


def test_an_operator_cannot_be_appointed_authority(registry, world, governance, mine):
    # the same conflict the other way round: a licensed mine made the authority that certifies its exports
    with ape.reverts(registry.KPRegistryAccountIsOperator, account=mine.address, participant=b"BW",
                     roles=ROLE_PRODUCER | ROLE_EXPORTER):
        registry.appointAuthority("BW", mine, "Mine's own KP office", sender=governance)
    assert registry.member(mine).roles == ROLE_PRODUCER | ROLE_EXPORTER
    assert registry.profile(mine)[0] == "mine (Pty) Ltd"


def test_roles_are_exclusive_at_a_time_not_for_good(registry, world, governance, bw_authority, bw_exporter,
                                                    outsider, license):
    # an account whose licences were all revoked may be appointed, and a dismissed office licensed: the rule is that
    # no account holds both kinds of role at once (the account stays in its participant either way)
    registry.revokeOperator(bw_exporter, ROLE_EXPORTER | ROLE_TRADER, sender=bw_authority)
    tx = registry.appointAuthority("BW", bw_exporter, "BW Diamond Hub, Francistown", sender=governance)
    assert [e.roles for e in tx.events.filter(registry.MemberRolesChanged)] == [ROLE_AUTHORITY]
    # an authority's profile carries no licence number: appointing one drops what it had as an operator
    assert registry.profile(bw_exporter) == ("BW Diamond Hub, Francistown", "", "")
    registry.appointAuthority("BW", outsider, "BW Second Office", sender=governance)
    registry.dismissAuthority("BW", bw_authority, sender=governance)
    license(bw_authority, ROLE_TRADER, outsider, "former-office")
    assert registry.member(bw_authority).roles == ROLE_TRADER


# ---------------------------------------------------------------- a role granted before admission (exploit first)

def test_no_role_of_a_participant_not_yet_admitted_can_be_granted_through_access_control(
        registry, world, governance, accounts, outsider):
    # the sequence that left a licence stuck: governance grants ZA's exporter role through AccessControl before ZA is
    # admitted (its roles were not scoped yet); once ZA is admitted its authority "licenses" the account (mined, but
    # the registry's record stays empty since AccessControl says the role is held already) and can never revoke it
    # (the record says it is not held; AccessControl's revokeRole is refused, the role being scoped by then)
    za_exporter = registry.operatorRole(b"ZA", ROLE_EXPORTER)
    with ape.reverts(registry.KPRegistryScopedRole, role=za_exporter):
        registry.grantRole(za_exporter, outsider, sender=governance)
    with ape.reverts(registry.KPRegistryScopedRole, role=registry.authorityRole(b"ZA")):
        registry.grantRole(registry.authorityRole(b"ZA"), outsider, sender=governance)
    made_up = bytes.fromhex("ab" * 32)
    with ape.reverts(registry.KPRegistryScopedRole, role=made_up):
        registry.grantRole(made_up, outsider, sender=governance)
    assert not registry.hasRole(za_exporter, outsider)
    # the rest of the sequence now does what it says: the licence is recorded, and revocable
    za_authority = accounts.generate_test_account()
    za_authority.balance = 10**21
    registry.admitParticipant("ZA", "South Africa", sender=governance)
    registry.appointAuthority("ZA", za_authority, "SADPMR", sender=governance)
    tx = registry.licenseOperator(outsider, ROLE_EXPORTER, "Cape Rough (Pty) Ltd", "ZA-DL-1", "", sender=za_authority)
    assert [e.roles for e in tx.events.filter(registry.MemberRolesChanged)] == [ROLE_EXPORTER]
    assert registry.member(outsider).roles == ROLE_EXPORTER and registry.hasRole(za_exporter, outsider)
    tx = registry.revokeOperator(outsider, ROLE_EXPORTER, sender=za_authority)
    assert [e.roles for e in tx.events.filter(registry.MemberRolesChanged)] == [0]
    assert registry.member(outsider).roles == 0 and not registry.hasRole(za_exporter, outsider)


def test_governance_role_still_changes_hands_only_in_two_steps(registry, governance, outsider):
    with ape.reverts(registry.AccessControlEnforcedDefaultAdminRules):
        registry.grantRole(b"\x00" * 32, outsider, sender=governance)


# ---------------------------------------------------------------- licence numbers are unique per participant

def test_a_licence_number_names_one_operator_of_a_participant(registry, world, bw_authority, mine, outsider):
    # the attack: a second "Kalahari Ridge Mining" under the mine's own licence number
    number = registry.profile(mine)[1]
    with ape.reverts(registry.KPRegistryLicenceNumberTaken, participant=b"BW", licenceNumber=number,
                     holder=mine.address):
        registry.licenseOperator(outsider, ROLE_PRODUCER, "Kalahari Ridge Mining (Pty) Ltd", number, "",
                                 sender=bw_authority)
    assert registry.member(outsider).roles == 0 and registry.profile(outsider) == ("", "", "")
    assert registry.licenceHolder(b"BW", number) == mine.address


def test_an_operator_profile_cannot_take_another_operators_licence_number(registry, world, bw_authority, mine,
                                                                          bw_exporter):
    number = registry.profile(mine)[1]
    with ape.reverts(registry.KPRegistryLicenceNumberTaken, participant=b"BW", licenceNumber=number,
                     holder=mine.address):
        registry.updateOperatorProfile(bw_exporter, "Gaborone Exporters", number, "", sender=bw_authority)
    assert registry.profile(bw_exporter)[1] == "LIC-BW-EXPORTER"


def test_the_same_number_in_another_participant_is_another_licence(registry, world, eu_authority, mine, outsider):
    number = registry.profile(mine)[1]
    registry.licenseOperator(outsider, ROLE_IMPORTER, "Antwerp Namesake NV", number, "", sender=eu_authority)
    assert registry.licenceHolder(b"EU", number) == outsider.address
    assert registry.licenceHolder(b"BW", number) == mine.address


def test_a_new_number_frees_the_old_one(registry, world, bw_authority, mine, outsider):
    old = registry.profile(mine)[1]
    registry.updateOperatorProfile(mine, "mine (Pty) Ltd", "BW-ML-2026-001", "", sender=bw_authority)
    assert registry.licenceHolder(b"BW", old) == ZERO
    assert registry.licenceHolder(b"BW", "BW-ML-2026-001") == mine.address
    registry.licenseOperator(outsider, ROLE_TRADER, "Successor Ltd", old, "", sender=bw_authority)
    assert registry.licenceHolder(b"BW", old) == outsider.address
    # licensing again under another number moves the number too
    registry.licenseOperator(mine, ROLE_PRODUCER, "mine (Pty) Ltd", "BW-ML-2026-002", "", sender=bw_authority)
    assert registry.licenceHolder(b"BW", "BW-ML-2026-001") == ZERO
    assert registry.licenceHolder(b"BW", "BW-ML-2026-002") == mine.address


def test_a_revoked_operators_number_frees_for_its_new_account(registry, world, bw_authority, mine, outsider):
    # a licensee that lost its key: the authority revokes the old account and licenses the new one under the same
    # number; while the old account keeps any licence, the number stays its own
    number = registry.profile(mine)[1]
    registry.revokeOperator(mine, ROLE_EXPORTER, sender=bw_authority)
    with ape.reverts(registry.KPRegistryLicenceNumberTaken, participant=b"BW", licenceNumber=number,
                     holder=mine.address):
        registry.licenseOperator(outsider, ROLE_PRODUCER, "mine (Pty) Ltd", number, "", sender=bw_authority)
    registry.revokeOperator(mine, ROLE_PRODUCER, sender=bw_authority)
    assert registry.licenceHolder(b"BW", number) == ZERO
    assert registry.profile(mine)[1] == number  # the history stays readable
    registry.licenseOperator(outsider, ROLE_PRODUCER, "mine (Pty) Ltd", number, "", sender=bw_authority)
    assert registry.licenceHolder(b"BW", number) == outsider.address
    # the old account cannot come back under the number now held by the new one
    with ape.reverts(registry.KPRegistryLicenceNumberTaken, participant=b"BW", licenceNumber=number,
                     holder=outsider.address):
        registry.licenseOperator(mine, ROLE_PRODUCER, "mine (Pty) Ltd", number, "", sender=bw_authority)
