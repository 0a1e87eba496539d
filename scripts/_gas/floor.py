"""The floor of an operation: the gas it cannot avoid (21,000 + calldata + unavoidable storage + logs, less the
refund), and one measured row against it."""

from __future__ import annotations

from dataclasses import dataclass

from ape.api import ReceiptAPI
from hexbytes import HexBytes

# Prices (EIP-2929 / EIP-2200 / EIP-3529), each write to a slot not touched before in the tx:
NEW_SLOT = 22_100  # zero -> nonzero: 20,000 + 2,100 cold access
UPDATE_SLOT = 5_000  # nonzero -> nonzero: 2,900 + 2,100 cold access
CLEAR_SLOT = 5_000  # nonzero -> zero: charged like an update ...
CLEAR_REFUND = 4_800  # ... and refunded 4,800 (the refund is capped at gas_used / 5)
TX_BASE = 21_000

Pair = tuple[ReceiptAPI, ReceiptAPI]  # (direct receipt, relayed receipt)


@dataclass(frozen=True)
class Storage:
    """The storage writes an operation cannot avoid, under a minimal model of the ledger."""

    new: int = 0
    updated: int = 0
    cleared: int = 0
    note: str = ""

    @property
    def gas(self) -> int:
        """Gas charged for the writes."""
        return self.new * NEW_SLOT + self.updated * UPDATE_SLOT + self.cleared * CLEAR_SLOT

    @property
    def refund(self) -> int:
        """Refund earned by the writes (before the gas_used / 5 cap)."""
        return self.cleared * CLEAR_REFUND


# Minimal model: only the records an operation must create or change are counted, laid out as
# tightly as the contracts lay them out (a parcel is two slots: custody + origins/HS code). Not
# counted: id counters, signature nonces, AccessControl role mappings, reverse indexes - a
# leaner design could do without them, so they are overhead, not floor. A hand-off that
# updates one slot costs 5,000; closing the pending offer on accept is a clear (net 200).
FLOOR_STORAGE: dict[str, Storage] = {
    "admitParticipant": Storage(new=1, note="participant record"),
    "suspendParticipant": Storage(updated=1, note="participant status"),
    "reinstateParticipant": Storage(updated=1, note="participant status"),
    "appointAuthority": Storage(new=2, note="member record + name of a new account"),
    "dismissAuthority": Storage(updated=1, note="member record"),
    "setMaxCertificateValidity": Storage(updated=1, note="the maximum"),
    "licenseOperator": Storage(new=4, note="member record + name + licence number of a new account (2 roles) + the "
                                          "number's holder (one operator per number)"),
    "updateOperatorProfile": Storage(new=1, updated=2, cleared=1,
                                     note="name + licence number; the new number's holder set, the old one's cleared"),
    "revokeOperator": Storage(updated=1, note="member record (1 of 2 roles revoked)"),
    "registerParcel": Storage(new=2, note="parcel record, two slots"),
    "splitParcel": Storage(new=4, updated=1, note="2 children x 2 slots + parent closed"),
    "mergeParcels": Storage(new=2, updated=2, note="new parcel 2 slots + 2 sources closed"),
    "sealConsignment": Storage(new=3, note="consignment record 3 slots + 1 update per parcel"),
    "openConsignment": Storage(updated=1, note="consignment status"),
    "offer": Storage(new=1, note="pending offer"),
    "acceptOffer": Storage(updated=1, cleared=1, note="holder + offer closed"),
    "withdrawOffer": Storage(cleared=1, note="offer closed"),
    "rejectOffer": Storage(cleared=1, note="offer closed"),
    "acceptOffer+certificate": Storage(updated=2, cleared=1,
                                       note="holder + certificate spent + offer closed"),
    "issueCertificate": Storage(new=4, note="certificate 3 slots (with both accounts) + consignment link"),
    "confirmImport": Storage(updated=1, note="certificate status"),
    "recordDiscrepancy": Storage(updated=1, note="certificate status"),
    "voidCertificate": Storage(updated=1, note="certificate status"),
}


def calldata_gas(data: bytes) -> int:
    """Intrinsic calldata cost: 16 per nonzero byte, 4 per zero byte."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def log_gas(receipt: ReceiptAPI) -> int:
    """LOG cost of the receipt's logs: 375 + 375 per topic + 8 per data byte."""
    total = 0
    for log in receipt.logs:
        total += 375 + 375 * len(log["topics"]) + 8 * len(HexBytes(log["data"]))
    return total


@dataclass
class Row:
    """One operation's measurement and floor (the floor is that of the direct transaction)."""

    operation: str
    direct: int
    relayed: int
    calldata: int
    storage: int
    refund: int
    logs: int
    floor: int
    ratio: float
    storage_model: str


def make_row(operation: str, model: str, receipts: Pair, extra_updates: int = 0) -> Row:
    """A row from (direct, relayed) receipts; `extra_updates` adds per-parcel slot updates to the floor."""
    direct, relayed = receipts
    storage = FLOOR_STORAGE[model]
    cd = calldata_gas(bytes(direct.transaction.data))
    logs = log_gas(direct)
    writes = storage.gas + extra_updates * UPDATE_SLOT
    gross = TX_BASE + cd + writes + logs
    floor = gross - min(storage.refund, gross // 5)
    note = storage.note + (f" + {extra_updates} parcel updates" if extra_updates else "")
    return Row(operation, direct.gas_used, relayed.gas_used, cd, writes, storage.refund, logs, floor,
               round(direct.gas_used / floor, 3), note)
