"""The stage of the gas report: fresh contracts, actors and a relayer on the local network, every action sent directly
by its actor or as its `...BySig` twin through the relayer, and the setup before the measurements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ape import accounts, chain, project
from ape.api import ReceiptAPI
from ape.api.accounts import TestAccountAPI
from ape.contracts import ContractInstance
from eth_utils import keccak

from kpledger.core.actions import ACTIONS
from kpledger.signing.typed_data import SignedIntent, sign_intent
from scripts._gas.floor import Pair

DAY = 86_400
PRODUCER, EXPORTER, IMPORTER, TRADER = 2, 4, 8, 16
UNSORTED = 710210
POINTS = 10_000

Actor = TestAccountAPI  # a test account: it has `.private_key` to sign intents


def h(label: str) -> bytes:
    """A deterministic 32-byte hash (document hashes, seal ids, evidence)."""
    return keccak(text=label)


class Bench:
    """Deployed contracts, actors and a relayer; sends each action directly or as a signed intent."""

    def __init__(self) -> None:
        (self.deployer, self.governance, self.bw_authority, self.eu_authority, self.mine, self.bw_trader,
         self.eu_importer, self.relayer) = accounts.test_accounts[:8]
        self.registry = self.deployer.deploy(project.KPRegistry, self.governance, 3 * DAY)
        self.ledger = self.deployer.deploy(project.KPLedger, self.registry)
        self.certificates = project.KPCertificates.at(self.ledger.certificates())
        self.batch = self.deployer.deploy(project.KPRelayBatch, self.registry, self.ledger, self.certificates)
        self._numbers = 0

    def send(self, contract: ContractInstance, actor: Actor, action: str, message: dict[str, Any],
             relayed: bool = False) -> ReceiptAPI:
        """Runs `action` as `actor`: directly, or signed by `actor` and submitted by the relayer."""
        intent = ACTIONS[action]
        assert contract.contract_type.name == intent.contract, (action, contract.contract_type.name)
        if not relayed:
            args = SignedIntent(action, message, actor.address, 0, 0, b"").args
            return getattr(contract, intent.function.removesuffix("BySig"))(*args, sender=actor)
        signed = sign_intent(
            actor.private_key, action, message, chain_id=chain.chain_id, verifying_contract=contract.address,
            nonce=contract.nonces(actor.address), deadline=chain.pending_timestamp + 3600,
        )
        return getattr(contract, intent.function)(*signed.args, signed.authorization, sender=self.relayer)

    # ---------------------------------------------------------------- ledger helpers

    def register(self, label: str, relayed: bool = False) -> tuple[int, ReceiptAPI]:
        """Registers a BW parcel held by the mine; returns its id and the receipt."""
        message = {"points": POINTS, "stones": 12, "hsCode": UNSORTED, "origin": "BW",
                   "documentHash": h(f"doc:{label}")}
        receipt = self.send(self.ledger, self.mine, "RegisterParcel", message, relayed)
        return self.ledger.lastLotId(), receipt

    def parcels(self, count: int, label: str) -> list[int]:
        """Registers `count` parcels (setup, not measured)."""
        return [self.register(f"{label}:{i}")[0] for i in range(count)]

    def seal(self, ids: list[int], label: str, relayed: bool = False) -> tuple[int, bytes, ReceiptAPI]:
        """Seals the mine's parcels; returns the consignment id, its seal id and the receipt."""
        seal_id = h(f"seal:{label}")
        message = {"parcelIds": sorted(ids), "sealId": seal_id}
        receipt = self.send(self.ledger, self.mine, "SealConsignment", message, relayed)
        return self.ledger.lastLotId(), seal_id, receipt

    def offer(self, actor: Actor, lot: int, to: Actor, seal_id: bytes, relayed: bool = False) -> ReceiptAPI:
        """Offers a lot to `to`."""
        message = {"lotId": lot, "recipient": to.address, "sealId": seal_id}
        return self.send(self.ledger, actor, "OfferCustody", message, relayed)

    def accept(self, actor: Actor, lot: int, seal_id: bytes, relayed: bool = False) -> ReceiptAPI:
        """Accepts an offered lot, attesting its seal."""
        return self.send(self.ledger, actor, "AcceptCustody", {"lotId": lot, "sealId": seal_id}, relayed)

    # ---------------------------------------------------------------- certificates

    def certify(self, consignment: int, relayed: bool = False) -> tuple[str, ReceiptAPI]:
        """BW's authority issues a BW->EU certificate matching the consignment."""
        self._numbers += 1
        number = f"BW{self._numbers:07d}"
        c = self.ledger.consignment(consignment)
        now = chain.pending_timestamp
        message = {
            "number": number, "importer": "EU", "importerAccount": self.eu_importer.address,
            "consignmentId": consignment, "points": c.points, "parcelCount": c.parcelCount, "hsCodes": [UNSORTED],
            "origins": ["BW"], "issuedAt": now - 60, "expiresAt": now + 30 * DAY, "documentHash": h(f"cert:{number}"),
            "replaces": "",
        }
        return number, self.send(self.certificates, self.bw_authority, "IssueCertificate", message, relayed)

    def exported(self, label: str) -> tuple[int, bytes, str]:
        """A one-parcel consignment certified BW->EU and delivered to the EU importer (setup)."""
        cid, seal_id, _ = self.seal(self.parcels(1, label), label)
        number, _ = self.certify(cid)
        self.offer(self.mine, cid, self.eu_importer, seal_id)
        self.accept(self.eu_importer, cid, seal_id)
        return cid, seal_id, number


def both(run: Callable[[bool], ReceiptAPI]) -> Pair:
    """Runs an operation directly, then relayed: (direct receipt, relayed receipt)."""
    return run(False), run(True)


def profile(account: str, roles: int, name: str) -> dict[str, Any]:
    """A LicenseOperator message: a realistic company name and licence number, no registry reference."""
    return {"account": account, "roles": roles, "name": f"{name} Diamond Trading (Pty) Ltd",
            "licenceNumber": f"BW-DL-{name.upper()}-0001", "registryRef": ""}


def setup(b: Bench) -> None:
    """Admits BW and EU, appoints authorities, licenses operators; warms every relayed signer's nonce."""
    reg, led, certs = b.registry, b.ledger, b.certificates
    for code, name in (("BW", "Botswana"), ("EU", "European Union")):  # warms governance
        b.send(reg, b.governance, "AdmitParticipant", {"code": code, "name": name}, relayed=True)
    for code, authority in (("BW", b.bw_authority), ("EU", b.eu_authority)):
        message = {"participant": code, "account": authority.address, "name": f"{code} KP authority"}
        b.send(reg, b.governance, "AppointAuthority", message)
    b.send(reg, b.bw_authority, "LicenseOperator",  # warms the BW authority
           profile(b.mine.address, PRODUCER | EXPORTER, "Mine"), relayed=True)
    b.send(reg, b.bw_authority, "LicenseOperator", profile(b.bw_trader.address, TRADER, "Trader"))
    b.send(reg, b.eu_authority, "LicenseOperator",
           profile(b.eu_importer.address, IMPORTER | TRADER | EXPORTER, "Importer"))

    b.register("warm:mine", relayed=True)  # warms the mine (and the lot counter)
    warm, _ = b.register("warm:trader")
    b.offer(b.mine, warm, b.bw_trader, h("seal:warm"))
    b.send(led, b.bw_trader, "RejectCustody", {"lotId": warm, "reason": 1}, relayed=True)

    cid, seal_id, _ = b.seal(b.parcels(1, "warm:cross"), "warm:cross")
    number, _ = b.certify(cid, relayed=True)  # warms the BW authority on the certificates
    b.offer(b.mine, cid, b.eu_importer, seal_id)
    b.send(led, b.eu_importer, "RejectCustody", {"lotId": cid, "reason": 1}, relayed=True)
    b.offer(b.mine, cid, b.eu_importer, seal_id)
    b.accept(b.eu_importer, cid, seal_id)
    b.send(certs, b.eu_authority, "ConfirmImport", {"number": number}, relayed=True)
