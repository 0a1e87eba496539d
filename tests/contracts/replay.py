"""Pure-Python replay of KPLedger and KPRegistry events into ledger and registry state.

Feeding every event the contracts emitted, in chain order, into `LedgerReplay.apply` rebuilds what
the ledger's storage views report: `parcel_view`, `consignment_view`, `offer_of` and
`last_lot_id` mirror `KPLedger.parcel`, `consignment`, `offerOf` and `lastLotId`. `RegistryReplay`
does the same for the registry's members: `member_view`, `profile_view` and `licence_holder` mirror
`KPRegistry.member` (participant and roles), `profile` and `licenceHolder`, the last derived (the
registry emits no event of its own for it). The tests use them to check that the events alone tell
the whole story; the backend indexer can seed from them.

Event arguments are taken as a mapping by ABI name (web3's `AttributeDict`, ape's
`event_arguments`, or a plain dict). Addresses are kept as given (checksummed by both libraries);
`bytes2` codes may be bytes or str.

Storage quirks the views expose, mirrored on purpose:

* a parcel sealed into a consignment reads its holder through the consignment, and keeps
  pointing at it after the consignment is opened until the parcel itself next moves (split,
  merge, seal, offer or transfer), when the pointer is cleared;
* a closed parcel keeps the holder that closed it;
* a seal mismatch closes the offer and marks a consignment (not a parcel) compromised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Self

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_BYTES32 = b"\x00" * 32

HS_INDEX = {710210: 1, 710221: 2, 710231: 3}


class ParcelStatus(IntEnum):
    NONE = 0
    LIVE = 1
    CLOSED = 2


class ConsignmentStatus(IntEnum):
    NONE = 0
    SEALED = 1
    OPENED = 2
    COMPROMISED = 3


@dataclass
class ParcelState:
    holder: str  # stale while consignment_id != 0 (read through the consignment)
    points: int
    hs_code: int
    origins: int
    stones: int
    document_hash: bytes
    status: ParcelStatus = ParcelStatus.LIVE
    consignment_id: int = 0
    parents: tuple[int, ...] = ()


@dataclass
class ConsignmentState:
    holder: str
    parcel_ids: tuple[int, ...]
    seal_id: bytes
    points: int
    origins: int
    hs_mask: int
    status: ConsignmentStatus = ConsignmentStatus.SEALED


@dataclass
class OfferState:
    sender: str
    recipient: str
    seal_id: bytes


@dataclass
class Replay:
    """Feeding: `apply` events in emission order to the `_on_<EventName>` handlers of a subclass."""

    applied: int = 0  # number of events taken into account
    ignored: list[str] = field(default_factory=list)  # names of events with no bearing on this state

    def apply(self, event_name: str, args: Mapping[str, Any]) -> None:
        """Applies one event; unknown event names are recorded in `ignored` and otherwise skipped."""
        handler = getattr(self, f"_on_{event_name}", None)
        if handler is None:
            self.ignored.append(event_name)
            return
        handler(args)
        self.applied += 1

    def apply_all(self, events: Iterable[tuple[str, Mapping[str, Any]]]) -> Self:
        for name, args in events:
            self.apply(name, args)
        return self


@dataclass
class LedgerReplay(Replay):
    """Ledger state rebuilt from events; `apply` them in emission order."""

    participants: dict[bytes, int] = field(default_factory=dict)  # ISO code -> origin-bitmask index
    parcels: dict[int, ParcelState] = field(default_factory=dict)
    consignments: dict[int, ConsignmentState] = field(default_factory=dict)
    offers: dict[int, OfferState] = field(default_factory=dict)
    last_lot_id: int = 0

    # ------------------------------------------------------------------ registry

    def _on_ParticipantAdmitted(self, a: Mapping[str, Any]) -> None:
        self.participants[_code(a["participant"])] = int(a["index"])

    # ------------------------------------------------------------------ parcels

    def _on_ParcelRegistered(self, a: Mapping[str, Any]) -> None:
        pid = int(a["parcelId"])
        origin = _code(a["origin"])
        if origin not in self.participants:
            raise KeyError(f"parcel {pid}: origin {origin!r} was never admitted")
        self._new_lot(pid)
        self.parcels[pid] = ParcelState(
            holder=a["producer"], points=int(a["points"]), hs_code=int(a["hsCode"]),
            origins=1 << (self.participants[origin] - 1), stones=int(a["stones"]),
            document_hash=bytes(a["documentHash"]),
        )

    def _on_ParcelSplit(self, a: Mapping[str, Any]) -> None:
        parent_id, child_id = int(a["parentId"]), int(a["childId"])
        parent = self.parcels[parent_id]
        self._move(parent_id, a["holder"])
        parent.status = ParcelStatus.CLOSED
        self._new_lot(child_id)
        self.parcels[child_id] = ParcelState(
            holder=a["holder"], points=int(a["points"]), hs_code=int(a["hsCode"]), origins=parent.origins,
            stones=int(a["stones"]), document_hash=bytes(a["documentHash"]), parents=(parent_id,),
        )

    def _on_ParcelsMerged(self, a: Mapping[str, Any]) -> None:
        pid = int(a["parcelId"])
        sources = tuple(int(s) for s in a["sourceIds"])
        origins = 0
        stones = 0
        for sid in sources:
            self._move(sid, a["holder"])
            source = self.parcels[sid]
            source.status = ParcelStatus.CLOSED
            origins |= source.origins
            stones += source.stones
        self._new_lot(pid)
        self.parcels[pid] = ParcelState(
            holder=a["holder"], points=int(a["points"]), hs_code=int(a["hsCode"]), origins=origins,
            stones=stones, document_hash=bytes(a["documentHash"]), parents=sources,
        )

    # ------------------------------------------------------------------ consignments

    def _on_ConsignmentSealed(self, a: Mapping[str, Any]) -> None:
        cid = int(a["consignmentId"])
        ids = tuple(int(p) for p in a["parcelIds"])
        origins = hs_mask = 0
        for pid in ids:
            self._move(pid, a["holder"])
            p = self.parcels[pid]
            p.consignment_id = cid
            origins |= p.origins
            hs_mask |= 1 << HS_INDEX[p.hs_code]
        self._new_lot(cid)
        self.consignments[cid] = ConsignmentState(
            holder=a["holder"], parcel_ids=ids, seal_id=bytes(a["sealId"]), points=int(a["points"]),
            origins=origins, hs_mask=hs_mask,
        )

    def _on_ConsignmentOpened(self, a: Mapping[str, Any]) -> None:
        self.consignments[int(a["consignmentId"])].status = ConsignmentStatus.OPENED

    # ------------------------------------------------------------------ custody

    def _on_CustodyOffered(self, a: Mapping[str, Any]) -> None:
        lot = int(a["lotId"])
        if lot not in self.consignments:
            self._move(lot, a["from"])
        self.offers[lot] = OfferState(a["from"], a["to"], bytes(a["sealId"]))

    def _on_CustodyOfferWithdrawn(self, a: Mapping[str, Any]) -> None:
        del self.offers[int(a["lotId"])]

    def _on_CustodyRejected(self, a: Mapping[str, Any]) -> None:
        del self.offers[int(a["lotId"])]

    def _on_CustodySealMismatch(self, a: Mapping[str, Any]) -> None:
        lot = int(a["lotId"])
        del self.offers[lot]
        if lot in self.consignments:
            self.consignments[lot].status = ConsignmentStatus.COMPROMISED

    def _on_CustodyTransferred(self, a: Mapping[str, Any]) -> None:
        lot = int(a["lotId"])
        self.offers.pop(lot, None)
        if lot in self.consignments:
            self.consignments[lot].holder = a["to"]
        else:
            p = self.parcels[lot]
            p.holder, p.consignment_id = a["to"], 0

    # ------------------------------------------------------------------ helpers

    def _new_lot(self, lot_id: int) -> None:
        if lot_id in self.parcels or lot_id in self.consignments:
            raise ValueError(f"lot {lot_id} created twice")
        self.last_lot_id = max(self.last_lot_id, lot_id)

    def _move(self, parcel_id: int, holder: str) -> None:
        """What the ledger does when a parcel moves: its consignment pointer is resolved and cleared."""
        p = self.parcels[parcel_id]
        if p.consignment_id:
            p.holder, p.consignment_id = self.consignments[p.consignment_id].holder, 0
        if p.holder != holder:
            raise ValueError(f"parcel {parcel_id} moved by {holder} but held by {p.holder}")

    # ------------------------------------------------------------------ views (as the contract reports)

    def holder_of(self, lot_id: int) -> str:
        """The current holder of a parcel or consignment (zero address if unknown)."""
        if lot_id in self.consignments:
            return self.consignments[lot_id].holder
        p = self.parcels.get(lot_id)
        if p is None:
            return ZERO_ADDRESS
        return self.consignments[p.consignment_id].holder if p.consignment_id else p.holder

    def parcel_view(self, parcel_id: int) -> tuple:
        """(holder, points, consignmentId, status, hsCode, origins, sealed_), like `KPLedger.parcel`."""
        p = self.parcels.get(parcel_id)
        if p is None:
            return (ZERO_ADDRESS, 0, 0, 0, 0, 0, False)
        sealed = bool(p.consignment_id) and (
            self.consignments[p.consignment_id].status != ConsignmentStatus.OPENED)
        return (self.holder_of(parcel_id), p.points, p.consignment_id, int(p.status), p.hs_code, p.origins,
                sealed)

    def consignment_view(self, consignment_id: int) -> tuple:
        """(holder, parcelCount, status, hsMask, sealId, origins, points), like `KPLedger.consignment`."""
        c = self.consignments.get(consignment_id)
        if c is None:
            return (ZERO_ADDRESS, 0, 0, 0, ZERO_BYTES32, 0, 0)
        return (c.holder, len(c.parcel_ids), int(c.status), c.hs_mask, c.seal_id, c.origins, c.points)

    def offer_of(self, lot_id: int) -> str:
        """The open offer's recipient (zero address if none), like `KPLedger.offerOf`."""
        o = self.offers.get(lot_id)
        return o.recipient if o else ZERO_ADDRESS

    def live_parcels(self) -> dict[int, ParcelState]:
        return {i: p for i, p in self.parcels.items() if p.status == ParcelStatus.LIVE}


OPERATOR_ROLES = 0x3E  # KPRoles.OPERATORS: producer, exporter, importer, trader, manufacturer


@dataclass
class RegistryReplay(Replay):
    """The registry's members rebuilt from events: each account's participant and roles
    (`MemberRolesChanged`), its profile (`MemberProfileChanged`), and who holds which licence number;
    and, apart, the roles AccessControl itself records (`RoleGranted` / `RoleRevoked`)."""

    members: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # account -> (participant, roles)
    profiles: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # account -> name, licence, ref
    access_roles: set[tuple[bytes, str]] = field(default_factory=set)  # (role id, account) held in AccessControl

    def _on_RoleGranted(self, a: Mapping[str, Any]) -> None:
        self.access_roles.add((bytes(a["role"]), a["account"]))

    def _on_RoleRevoked(self, a: Mapping[str, Any]) -> None:
        self.access_roles.discard((bytes(a["role"]), a["account"]))

    def _on_MemberRolesChanged(self, a: Mapping[str, Any]) -> None:
        self.members[a["account"]] = (_code(a["participant"]), int(a["roles"]))

    def _on_MemberProfileChanged(self, a: Mapping[str, Any]) -> None:
        self.profiles[a["account"]] = (a["name"], a["licenceNumber"], a["registryRef"])

    def access_roles_of(self, account: str) -> set[bytes]:
        """The role ids AccessControl records for `account` (governance's own role included)."""
        return {role for role, holder in self.access_roles if holder == account}

    def member_view(self, account: str) -> tuple[bytes, int]:
        """(participant, roles), like `KPRegistry.member` without the participant's index and status."""
        return self.members.get(account, (b"\x00\x00", 0))

    def profile_view(self, account: str) -> tuple[str, str, str]:
        return self.profiles.get(account, ("", "", ""))

    def licence_holders(self, participant: bytes, number: str) -> list[str]:
        """The accounts holding an operator role of `participant` whose profile carries `number` (one at most)."""
        return [account for account, (p, roles) in self.members.items()
                if p == participant and roles & OPERATOR_ROLES and self.profile_view(account)[1] == number]

    def licence_holder(self, participant: bytes, number: str) -> str:
        """Like `KPRegistry.licenceHolder`: the one operator holding the number, or the zero address."""
        holders = self.licence_holders(participant, number)
        if len(holders) > 1:
            raise ValueError(f"licence {number!r} of {participant!r} held by {holders}")
        return holders[0] if holders else ZERO_ADDRESS


def _code(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode()
    return bytes(value)
