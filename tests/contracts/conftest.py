"""Role and factory fixtures for the ledger contracts (ape test, provider foundry/anvil)."""

from __future__ import annotations

import itertools
import os

import pytest
from eth_utils import keccak

from kpledger.signing.typed_data import sign_intent

DAY = 86_400
ROLE_AUTHORITY, ROLE_PRODUCER, ROLE_EXPORTER, ROLE_IMPORTER, ROLE_TRADER, ROLE_MANUFACTURER = (
    1, 2, 4, 8, 16, 32)
UNSORTED, INDUSTRIAL, GEM = 710210, 710221, 710231


def seal(label: str) -> bytes:
    return keccak(text=f"seal:{label}")


def doc(label: str) -> bytes:
    return keccak(text=f"doc:{label}")


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def governance(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bw_authority(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def eu_authority(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def mine(accounts):
    """A Botswana producer that also exports (as Debswana-like miners do)."""
    return accounts[4]


@pytest.fixture(scope="session")
def bw_exporter(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def eu_importer(accounts):
    """An Antwerp importer and trader."""
    return accounts[6]


@pytest.fixture(scope="session")
def ca_mine(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def ca_authority(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def outsider(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def registry(project, deployer, governance):
    return deployer.deploy(project.KPRegistry, governance, 3 * DAY)


@pytest.fixture(scope="module")
def ledger(project, deployer, registry):
    return deployer.deploy(project.KPLedger, registry)


@pytest.fixture(scope="module")
def certificates(project, ledger):
    return project.KPCertificates.at(ledger.certificates())


def operator_profile(label: str) -> tuple[str, str, str]:
    """A plausible (name, licence number, registry reference) for a test operator."""
    return (f"{label} (Pty) Ltd", f"LIC-{label.upper()[:20]}", "")


@pytest.fixture(scope="module")
def license(registry):
    """Factory: `authority` licenses `account` with `roles` under a profile (defaults derived from `label`)."""

    def _license(account, roles, authority, label="operator", name=None, licence=None, ref=""):
        default_name, default_licence, _ = operator_profile(label)
        return registry.licenseOperator(account, roles, name or default_name, licence or default_licence, ref,
                                        sender=authority)

    return _license


@pytest.fixture(scope="module")
def world(registry, license, governance, bw_authority, eu_authority, ca_authority, mine, bw_exporter, eu_importer,
          ca_mine):
    """BW, EU, CA, IN admitted; authorities appointed; operators licensed."""
    for code, name in (("BW", "Botswana"), ("EU", "European Union"), ("CA", "Canada"), ("IN", "India")):
        registry.admitParticipant(code, name, sender=governance)
    registry.appointAuthority("BW", bw_authority, "BW Diamond Hub", sender=governance)
    registry.appointAuthority("EU", eu_authority, "EU KP Authority", sender=governance)
    registry.appointAuthority("CA", ca_authority, "Natural Resources Canada", sender=governance)
    license(mine, ROLE_PRODUCER | ROLE_EXPORTER, bw_authority, "mine")
    license(bw_exporter, ROLE_EXPORTER | ROLE_TRADER, bw_authority, "bw-exporter")
    license(eu_importer, ROLE_IMPORTER | ROLE_TRADER | ROLE_EXPORTER, eu_authority, "eu-importer")
    license(ca_mine, ROLE_PRODUCER | ROLE_EXPORTER, ca_authority, "ca-mine")
    return registry


@pytest.fixture
def register(ledger, world, mine):
    """Factory: registers a parcel and returns its id."""

    def _register(points=10_000, stones=0, hs=UNSORTED, origin="BW", holder=None, document="parcel"):
        holder = holder or mine
        tx = ledger.registerParcel(points, stones, hs, origin, doc(document), sender=holder)
        return tx.events.filter(ledger.ParcelRegistered)[0].parcelId

    return _register


@pytest.fixture
def seal_consignment(ledger):
    """Factory: seals parcels into a consignment and returns its id."""

    def _seal(parcel_ids, holder, label="c1"):
        tx = ledger.sealConsignment(sorted(parcel_ids), seal(label), sender=holder)
        return tx.events.filter(ledger.ConsignmentSealed)[0].consignmentId

    return _seal


_numbers = itertools.count(1)


@pytest.fixture
def issue(certificates, ledger, chain, eu_importer):
    """Factory: issues a certificate matching a consignment (to the EU importer by default); returns its number."""

    def _issue(consignment_id, authority, exporter="BW", importer="EU", number=None, origins=None,
               hs_codes=None, points=None, parcel_count=None, validity=30 * DAY, document="cert",
               importer_account=None, replaces=""):
        c = ledger.consignment(consignment_id)
        number = number or f"{exporter}{next(_numbers):07d}"
        now = chain.pending_timestamp
        request = (
            number, importer, importer_account or eu_importer.address, consignment_id,
            c.points if points is None else points,
            c.parcelCount if parcel_count is None else parcel_count,
            hs_codes if hs_codes is not None else [GEM],
            origins if origins is not None else [exporter],
            now - 60, now + validity, doc(document), replaces,
        )
        certificates.issueCertificate(request, sender=authority)
        return number

    return _issue


@pytest.fixture
def sign(chain):
    """Factory: signs an intent with `account`'s key for `contract` (as `signer`, a wallet, if given)."""

    def _sign(account, contract, action, message, nonce=0, deadline=None, signer=None):
        return sign_intent(
            account.private_key, action, message,
            chain_id=chain.chain_id, verifying_contract=contract.address, nonce=nonce,
            deadline=deadline if deadline is not None else chain.pending_timestamp + 3600, signer=signer,
        )

    return _sign


def pytest_configure(config):
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
