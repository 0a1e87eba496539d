"""Test journeys written straight to the chain (the write path is tested on its own)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kpledger.certificates.kpcert import compose, encode
from kpledger.core.seals import seal_id_of
from tests.support.stack import Direct

GEM, INDUSTRIAL, UNSORTED = 710231, 710221, 710210
DAY = 86_400


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def seal(label: str) -> bytes:
    """The seal id of a label: keccak-256 of its UTF-8 bytes, as kp, the console and the viewer compute it."""
    return bytes.fromhex(seal_id_of(label)[2:])


NAMES = {"BW": "Botswana", "EU": "European Union", "CA": "Canada", "IN": "India"}


def certificate_document(d: Direct, number: str, *, authority: str, exporter: str, importer: str, holder: str,
                         to: str, points: int, parcels: int, hs_codes: list[int], origins: list[str], seal: str,
                         now: int, valid_for: int = 30 * DAY, replaces: str | None = None,
                         value_usd: str = "125000.00") -> bytes:
    """A kp-certificate/1 document stating what `Direct.issue(..., now=now)` records on chain (seal: its label, whose
    id is keccak-256 of the label, as the scenarios seal)."""
    a = d.actors
    document = compose(
        number=number, exporter=(exporter, NAMES[exporter]), importer=(importer, NAMES[importer]), origins=origins,
        issued_at=now - 60, expires_at=now + valid_for,
        authority=(f"{exporter} KP Authority", f"1 Main Road, {exporter}"),
        exporter_party=(f"{holder} Ltd", f"2 Market Street, {exporter}", a[holder].address),
        importer_party=(f"{to} Ltd", f"3 Harbour Road, {importer}", a[to].address), points=points,
        value_usd=value_usd, parcel_count=parcels, hs_codes=hs_codes, seal=(seal, seal_id_of(seal)),
        officer="A. Officer", place=exporter, replaces=replaces, salt=sha(number).hex()[:32])
    return encode(document)


@dataclass
class ThreeCountries:
    """BW and CA goods meet in Antwerp, are merged (mixed origin), split, and travel on to India."""

    ids: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    documents: dict[str, bytes] = field(default_factory=dict)  # certificate number -> its anchored document

    def run(self, d: Direct) -> ThreeCountries:
        a, led, certs = d.actors, d.ledger, d.certificates

        def last() -> int:
            return led.functions.lastLotId().call()

        def ship(holder: str, authority: str, lot_ids: list[int], to: str, number: str, exporter: str,
                 importer: str, origins: list[str], points: int, importing_authority: str) -> int:
            d.send(holder, led, "sealConsignment", sorted(lot_ids), seal(f"seal-{number}"))
            cid = last()
            now = d.w3.eth.get_block("latest").timestamp
            self.documents[number] = certificate_document(
                d, number, authority=authority, exporter=exporter, importer=importer, holder=holder, to=to,
                points=points, parcels=len(lot_ids), hs_codes=[GEM], origins=origins, seal=f"seal-{number}", now=now)
            d.issue(authority, number, importer, to, cid, points, len(lot_ids), [GEM], origins,
                    hashlib.sha256(self.documents[number]).digest(), now=now)
            d.send(holder, led, "offer", cid, a[to].address, seal(f"seal-{number}"))
            d.send(to, led, "acceptOffer", cid, seal(f"seal-{number}"))
            d.send(importing_authority, certs, "confirmImport", number)
            d.send(to, led, "openConsignment", cid)
            self.numbers[exporter + importer] = number
            return cid

        d.send("mine", led, "registerParcel", 50_000, 120, UNSORTED, "BW", sha("run-of-mine BW"))
        self.ids["bw_rom"] = last()
        d.send("mine", led, "splitParcel", self.ids["bw_rom"], [
            (30_000, 40, GEM, sha("BW gem")), (20_000, 80, GEM, sha("BW gem 2"))])
        self.ids["bw_gem"], self.ids["bw_gem2"] = last() - 1, last()
        self.ids["bw_consignment"] = ship("mine", "bw_authority", [self.ids["bw_gem"]], "eu_trader", "BW0000001",
                                          "BW", "EU", ["BW"], 30_000, "eu_authority")
        d.send("ca_mine", led, "registerParcel", 12_000, 30, GEM, "CA", sha("CA gem"))
        self.ids["ca_gem"] = last()
        self.ids["ca_consignment"] = ship("ca_mine", "ca_authority", [self.ids["ca_gem"]], "eu_trader", "CA0000001",
                                          "CA", "EU", ["CA"], 12_000, "eu_authority")
        d.send("eu_trader", led, "mergeParcels", sorted([self.ids["bw_gem"], self.ids["ca_gem"]]), sha("Antwerp mix"))
        self.ids["mixed"] = last()
        d.send("eu_trader", led, "splitParcel", self.ids["mixed"], [
            (25_000, 40, GEM, sha("for Mumbai")), (17_000, 30, GEM, sha("kept in Antwerp"))])
        self.ids["for_india"], self.ids["kept"] = last() - 1, last()
        self.ids["in_consignment"] = ship("eu_trader", "eu_authority", [self.ids["for_india"]], "in_cutter",
                                          "EU0000001", "EU", "IN", ["BW", "CA"], 25_000, "in_authority")
        return self
