"""The operations the gas report measures, each direct and relayed: the registry, parcels, consignments of 1, 10 and
100 parcels, certificates, and relayed batches."""

from __future__ import annotations

from ape import chain
from ape.api import ReceiptAPI
from eth_utils import keccak, to_checksum_address

from kpledger.signing.typed_data import sign_intent
from scripts._gas.floor import Row, make_row
from scripts._gas.stage import DAY, EXPORTER, POINTS, TRADER, UNSORTED, Bench, both, h, profile

CONSIGNMENT_SIZES = (1, 10, 100)
BOTH = (False, True)  # relayed?
BATCH_SIZES = (1, 10, 50)
BATCH_CALL_GAS = 300_000  # each call's gas bound: generous, it is a cap, not a charge


def plural(n: int) -> str:
    """'1 parcel', '10 parcels'."""
    return f"{n} parcel{'' if n == 1 else 's'}"


def fresh_address(label: str) -> str:
    """A deterministic address with no history (licensing targets)."""
    return to_checksum_address(keccak(text=f"gas-report:{label}")[:20])


def measure_registry(b: Bench) -> list[Row]:
    """Participants, authorities and operators (direct on CA, relayed on IN where a code is needed)."""
    reg, gov = b.registry, b.governance

    def code(relayed: bool) -> str:
        return "IN" if relayed else "CA"

    def operator(relayed: bool) -> str:
        return fresh_address(f"operator:{relayed}")

    def licence(relayed: bool, number: str) -> str:
        """The direct operator's licence `number`, the relayed one's the next (one operator per number; same length)."""
        return number[:-1] + str(int(number[-1]) + relayed)

    return [
        make_row("admitParticipant", "admitParticipant", both(lambda r: b.send(
            reg, gov, "AdmitParticipant", {"code": code(r), "name": "India" if r else "Canada"}, r))),
        make_row("suspendParticipant", "suspendParticipant", both(lambda r: b.send(
            reg, gov, "SuspendParticipant", {"code": code(r), "reason": h(f"suspension:{r}")}, r))),
        make_row("reinstateParticipant", "reinstateParticipant", both(lambda r: b.send(
            reg, gov, "ReinstateParticipant", {"code": code(r)}, r))),
        make_row("appointAuthority", "appointAuthority", both(lambda r: b.send(
            reg, gov, "AppointAuthority",
            {"participant": "EU", "account": fresh_address(f"authority:{r}"), "name": "EU KP authority"}, r))),
        make_row("dismissAuthority", "dismissAuthority", both(lambda r: b.send(
            reg, gov, "DismissAuthority", {"participant": "EU", "account": fresh_address(f"authority:{r}")}, r))),
        make_row("setMaxCertificateValidity", "setMaxCertificateValidity", both(lambda r: b.send(
            reg, gov, "SetMaxCertificateValidity", {"maxValidity": (90 if r else 120) * DAY}, r))),
        make_row("licenseOperator (2 roles)", "licenseOperator", both(lambda r: b.send(
            reg, b.bw_authority, "LicenseOperator",
            {**profile(operator(r), EXPORTER | TRADER, "Operator"),
             "licenceNumber": licence(r, "BW-DL-OPERATOR-0001")}, r))),
        make_row("updateOperatorProfile", "updateOperatorProfile", both(lambda r: b.send(
            reg, b.bw_authority, "UpdateOperatorProfile",
            {"account": operator(r), "name": "Renamed Diamond Trading (Pty) Ltd",
             "licenceNumber": licence(r, "BW-DL-0002"), "registryRef": "REG-1"}, r))),
        make_row("revokeOperator (1 of 2 roles)", "revokeOperator", both(lambda r: b.send(
            reg, b.bw_authority, "RevokeOperator", {"account": operator(r), "roles": TRADER}, r))),
    ]


def measure_parcels(b: Bench) -> list[Row]:
    """Registration, split, merge, and single-parcel hand-offs (mine -> BW trader)."""
    led, seal_id = b.ledger, h("seal:parcel")

    def split(relayed: bool) -> ReceiptAPI:
        parent = b.parcels(1, f"split:{relayed}")[0]
        children = [{"points": POINTS // 2, "stones": 6, "hsCode": UNSORTED,
                     "documentHash": h(f"child:{relayed}:{i}")} for i in range(2)]
        return b.send(led, b.mine, "SplitParcel", {"parcelId": parent, "children": children}, relayed)

    def merge(relayed: bool) -> ReceiptAPI:
        message = {"parcelIds": b.parcels(2, f"merge:{relayed}"), "documentHash": h(f"merged:{relayed}")}
        return b.send(led, b.mine, "MergeParcels", message, relayed)

    def offered(label: str) -> int:
        lot = b.parcels(1, label)[0]
        b.offer(b.mine, lot, b.bw_trader, seal_id)
        return lot

    lots = {relayed: b.parcels(1, f"handoff:{relayed}")[0] for relayed in BOTH}
    return [
        make_row("registerParcel", "registerParcel", both(lambda r: b.register(f"measured:{r}", r)[1])),
        make_row("splitParcel (2 children)", "splitParcel", both(split)),
        make_row("mergeParcels (2 parcels)", "mergeParcels", both(merge)),
        make_row("offer (parcel)", "offer", both(lambda r: b.offer(
            b.mine, lots[r], b.bw_trader, seal_id, r))),
        make_row("acceptOffer (parcel)", "acceptOffer", both(lambda r: b.accept(
            b.bw_trader, lots[r], seal_id, r))),
        make_row("withdrawOffer", "withdrawOffer", both(lambda r: b.send(
            led, b.mine, "WithdrawOffer", {"lotId": offered(f"withdraw:{r}")}, r))),
        make_row("rejectOffer", "rejectOffer", both(lambda r: b.send(
            led, b.bw_trader, "RejectCustody", {"lotId": offered(f"reject:{r}"), "reason": 3}, r))),
    ]


def measure_consignments(b: Bench) -> list[Row]:
    """Sealing and domestic hand-off (mine -> BW trader) of 1, 10 and 100 parcels; opening."""
    rows: list[Row] = []
    sealed: dict[tuple[int, bool], tuple[int, bytes, ReceiptAPI]] = {}
    for n in CONSIGNMENT_SIZES:
        for relayed in BOTH:
            sealed[n, relayed] = b.seal(b.parcels(n, f"seal{n}:{relayed}"), f"c{n}:{relayed}", relayed)
        receipts = (sealed[n, False][2], sealed[n, True][2])
        rows.append(make_row(f"sealConsignment ({plural(n)})", "sealConsignment", receipts, extra_updates=n))
    for n in CONSIGNMENT_SIZES:
        lot = {relayed: sealed[n, relayed][:2] for relayed in BOTH}
        offers = both(lambda r, lot=lot: b.offer(b.mine, lot[r][0], b.bw_trader, lot[r][1], r))
        accepts = both(lambda r, lot=lot: b.accept(b.bw_trader, lot[r][0], lot[r][1], r))
        rows.append(make_row(f"offer (consignment, {plural(n)})", "offer", offers))
        rows.append(make_row(f"acceptOffer (consignment, {plural(n)})", "acceptOffer", accepts))
    rows.append(make_row("openConsignment", "openConsignment", both(lambda r: b.send(
        b.ledger, b.bw_trader, "OpenConsignment", {"consignmentId": sealed[1, r][0]}, r))))
    return rows


def measure_certificates(b: Bench) -> list[Row]:
    """Issue, cross-border hand-off BW->EU (mine -> EU importer), confirm, discrepancy, void."""
    certs = b.certificates
    lots = {relayed: b.seal(b.parcels(1, f"cross:{relayed}"), f"cross:{relayed}") for relayed in BOTH}
    numbers: dict[bool, str] = {}

    def issue(relayed: bool) -> ReceiptAPI:
        numbers[relayed], receipt = b.certify(lots[relayed][0], relayed)
        return receipt

    def void(relayed: bool) -> ReceiptAPI:
        number = b.certify(b.seal(b.parcels(1, f"void:{relayed}"), f"void:{relayed}")[0])[0]
        return b.send(certs, b.bw_authority, "VoidCertificate", {"number": number, "reason": 4}, relayed)

    return [
        make_row("issueCertificate", "issueCertificate", both(issue)),
        make_row("offer (consignment, BW->EU)", "offer", both(lambda r: b.offer(
            b.mine, lots[r][0], b.eu_importer, lots[r][1], r))),
        make_row("acceptOffer (consignment, BW->EU)", "acceptOffer+certificate", both(lambda r: b.accept(
            b.eu_importer, lots[r][0], lots[r][1], r))),
        make_row("confirmImport", "confirmImport", both(lambda r: b.send(
            certs, b.eu_authority, "ConfirmImport", {"number": numbers[r]}, r))),
        make_row("recordDiscrepancy", "recordDiscrepancy", both(lambda r: b.send(
            certs, b.eu_authority, "RecordDiscrepancy",
            {"number": b.exported(f"dispute:{r}")[2], "reason": 2, "evidenceHash": h(f"evidence:{r}")}, r))),
        make_row("voidCertificate", "voidCertificate", both(void)),
    ]



def measure_batches(b: Bench) -> dict[str, dict[str, int]]:
    """KPRelayBatch.execute of n relayed registerParcel calls (the mine's, nonces warm): total and per call."""
    out: dict[str, dict[str, int]] = {}
    for n in BATCH_SIZES:
        first = b.ledger.nonces(b.mine.address)
        calls = []
        for i in range(n):
            message = {"points": POINTS, "stones": 12, "hsCode": UNSORTED, "origin": "BW",
                       "documentHash": h(f"batch:{n}:{i}")}
            signed = sign_intent(b.mine.private_key, "RegisterParcel", message, chain_id=chain.chain_id,
                                 verifying_contract=b.ledger.address, nonce=first + i,
                                 deadline=chain.pending_timestamp + 3600)
            data = b.ledger.registerParcelBySig.as_transaction(*signed.args, signed.authorization).data
            calls.append((b.ledger.address, data, BATCH_CALL_GAS))
        receipt = b.batch.execute(calls, sender=b.relayer)
        assert len(receipt.events.filter(b.batch.RelayCallDone)) == n, "a batched call failed"
        out[str(n)] = {"total": receipt.gas_used, "per_call": receipt.gas_used // n}
    return out
