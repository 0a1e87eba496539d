"""Ledger invariants under random operation sequences (Hypothesis stateful) and their fixed twins.

After every step:
  (a) carats are conserved: the live parcels weigh exactly what was registered, and a
      consignment weighs what its parcels weigh;
  (b) every live parcel has exactly one holder, the one a Python model predicts;
  (c) closed parcels never move: their view is frozen from the moment they close;
  (d) replaying all events emitted so far (read back from the chain) through `replay.LedgerReplay`
      rebuilds exactly what the storage views report, for every lot id.
The registry's own machine (random appoint/dismiss/license/update/revoke, and AccessControl's grantRole)
checks after every step:
  (e) no account is an authority and an operator at once, and AccessControl's roles are exactly the
      member records' (no role held outside them, none stuck);
  (f) a licence number names at most one operator of a participant, the one `licenceHolder` reports;
  (g) replaying the events through `replay.RegistryReplay` rebuilds members, profiles and licence holders.
Each random action is valid most of the time; invalid ones must revert with the exact custom
error (name and arguments) the model predicts.

KP_HYPOTHESIS_EXAMPLES (default 15) and KP_HYPOTHESIS_STEPS (default 25) size the random run.
"""

from __future__ import annotations

import inspect
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import ape
import pytest
from eth_abi import encode as abi_encode
from eth_utils import event_abi_to_log_topic, keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conftest import (
    GEM,
    INDUSTRIAL,
    ROLE_AUTHORITY,
    ROLE_EXPORTER,
    ROLE_IMPORTER,
    ROLE_PRODUCER,
    ROLE_TRADER,
    UNSORTED,
    doc,
    seal,
)
from replay import ZERO_ADDRESS, ConsignmentStatus, LedgerReplay, ParcelStatus, RegistryReplay

EXAMPLES = int(os.environ.get("KP_HYPOTHESIS_EXAMPLES", "15"))
STEPS = int(os.environ.get("KP_HYPOTHESIS_STEPS", "25"))

OPERATOR_ROLES = 0x3E
HS_CODES = (UNSORTED, INDUSTRIAL, GEM)
HS_INDEX = {UNSORTED: 1, INDUSTRIAL: 2, GEM: 3}
ZERO_SEAL = b"\x00" * 32
SEALS = tuple(seal(f"s{i}") for i in range(4))
OUTCOMES: Counter[str] = Counter()  # "rule -> ok | error name", over the whole random run


# ---------------------------------------------------------------------------------------------
# reading the chain: views in one JSON-RPC batch, events straight from the logs


class ChainReader:
    """Reads ledger views and the ledger's (and registry's) logs with plain web3, in bulk."""

    def __init__(self, chain, ledger, registry, certificates):
        self.w3 = chain.provider.web3
        self.contracts = {}
        self.topics = {}
        for instance in (ledger, registry, certificates):
            abi = [item.model_dump(mode="json", by_alias=True) for item in instance.contract_type.abi]
            contract = self.w3.eth.contract(address=instance.address, abi=abi)
            self.contracts[instance.address] = contract
            for item in abi:
                if item["type"] == "event":
                    self.topics[(instance.address, event_abi_to_log_topic(item))] = (
                        getattr(contract.events, item["name"])())
        self.ledger = self.contracts[ledger.address]

    def block_number(self) -> int:
        return self.w3.eth.block_number

    def events(self, from_block: int = 0, to_block: int | None = None) -> list[tuple[str, dict]]:
        """(name, args) of every event of the three contracts in these blocks, in chain order."""
        latest = self.block_number() if to_block is None else to_block
        if from_block > latest:
            return []
        logs = self.w3.eth.get_logs(
            {"fromBlock": from_block, "toBlock": latest, "address": list(self.contracts)})
        decoded = []
        for log in sorted(logs, key=lambda entry: (entry["blockNumber"], entry["logIndex"])):
            event = self.topics.get((log["address"], bytes(log["topics"][0])))
            if event is None:
                continue
            data = event.process_log(log)
            decoded.append((data["event"], dict(data["args"])))
        return decoded

    def views(self, upto: int) -> dict:
        """parcel, consignment and offerOf for lot ids 0..upto, and lastLotId, in one batch."""
        f = self.ledger.functions
        with self.w3.batch_requests() as batch:
            batch.add(f.lastLotId())
            for lot in range(upto + 1):
                batch.add(f.parcel(lot))
                batch.add(f.consignment(lot))
                batch.add(f.offerOf(lot))
            results = batch.execute()
        out = {"last": results[0], "parcel": {}, "consignment": {}, "offer": {}}
        for lot in range(upto + 1):
            p, c, o = results[1 + 3 * lot: 4 + 3 * lot]
            out["parcel"][lot], out["consignment"][lot], out["offer"][lot] = tuple(p), _cview(c), o
        return out


def _cview(c) -> tuple:
    holder, count, status, hs_mask, seal_id, origins, points = c
    return (holder, count, status, hs_mask, bytes(seal_id), origins, points)


def replay_from_chain(reader: ChainReader, from_block: int = 0) -> LedgerReplay:
    return LedgerReplay().apply_all(reader.events(from_block))


def assert_replay_matches_storage(replay: LedgerReplay, views: dict) -> None:
    assert replay.last_lot_id == views["last"]
    for lot in views["parcel"]:
        assert replay.parcel_view(lot) == views["parcel"][lot], f"parcel view of lot {lot}"
        assert replay.consignment_view(lot) == views["consignment"][lot], f"consignment view of lot {lot}"
        assert replay.offer_of(lot) == views["offer"][lot], f"open offer on lot {lot}"


# ---------------------------------------------------------------------------------------------
# exact revert assertions


@contextmanager
def reverts_with(contract, name: str, **inputs):
    """`ape.reverts(contract.<name>)`, and then the error's name and every argument must match."""
    with ape.reverts(getattr(contract, name)) as info:
        yield info
    err = info.value
    assert type(err).__name__ == name, f"expected {name}{inputs}, got {type(err).__name__}: {err}"
    actual = {k: (bytes(v) if isinstance(v, bytes) else v) for k, v in dict(err.inputs).items()}
    assert actual == inputs, f"{name}: expected arguments {inputs}, got {actual}"


@contextmanager
def reverts_with_foreign(contract, name: str, *args):
    """A custom error of another contract (`contract`) bubbled up unchanged through the one called.

    Ape decodes it when it already knows `contract`'s type, else leaves the raw revert data.
    """
    abi = next(e for e in contract.contract_type.errors if e.name == name)
    expected = keccak(text=abi.selector)[:4] + abi_encode([i.canonical_type for i in abi.inputs], list(args))
    with ape.reverts() as info:
        yield info
    err = info.value
    if type(err).__name__ == name:
        assert dict(err.inputs) == {i.name: a for i, a in zip(abi.inputs, args, strict=True)}
    else:
        assert err.revert_message == "0x" + expected.hex(), f"expected {name}{args}, got {err!r}"


# ---------------------------------------------------------------------------------------------
# accounts


@dataclass
class Actor:
    account: object
    participant: bytes | None
    roles: int

    @property
    def address(self) -> str:
        return self.account.address


@pytest.fixture
def crew(accounts, world, license, bw_authority, mine, bw_exporter, eu_importer, outsider):
    """BW operators (the mine, the exporter, a second producer, a plain trader), a BW importer,
    an EU importer and an unlicensed outsider."""
    extra = {}
    for name, roles in (("producer2", ROLE_PRODUCER | ROLE_TRADER), ("trader", ROLE_TRADER),
                        ("bw_importer", ROLE_IMPORTER | ROLE_TRADER)):
        account = accounts.generate_test_account()
        account.balance = 10**21
        license(account, roles, bw_authority, name)
        extra[name] = Actor(account, b"BW", roles)
    return {
        "mine": Actor(mine, b"BW", ROLE_PRODUCER | ROLE_EXPORTER),
        "bw_exporter": Actor(bw_exporter, b"BW", ROLE_EXPORTER | ROLE_TRADER),
        **extra,
        "eu_importer": Actor(eu_importer, b"EU", ROLE_IMPORTER | ROLE_TRADER | ROLE_EXPORTER),
        "outsider": Actor(outsider, None, 0),
    }


@pytest.fixture
def reader(chain, ledger, registry, certificates):
    return ChainReader(chain, ledger, registry, certificates)


# ---------------------------------------------------------------------------------------------
# the model: what the ledger should do, and which error it should raise first


class Reject(Exception):  # noqa: N818 - a predicted revert, not a failure
    def __init__(self, name: str, **inputs):
        super().__init__(name, inputs)
        self.name, self.inputs = name, inputs


@dataclass
class MParcel:
    holder: str
    points: int
    hs: int
    origins: int
    status: ParcelStatus = ParcelStatus.LIVE
    cid: int = 0  # consignment pointer, cleared lazily like the contract's


@dataclass
class MConsignment:
    holder: str
    parcel_ids: tuple[int, ...]
    seal_id: bytes
    points: int
    status: ConsignmentStatus = ConsignmentStatus.SEALED


@dataclass
class Model:
    actors: dict[str, Actor]
    parcels: dict[int, MParcel] = field(default_factory=dict)
    consignments: dict[int, MConsignment] = field(default_factory=dict)
    offers: dict[int, tuple[str, str, bytes]] = field(default_factory=dict)  # lot -> sender, recipient, seal
    last: int = 0
    registered_points: int = 0

    def actor(self, address: str) -> Actor:
        return next(a for a in self.actors.values() if a.address == address)

    # ---------------------------------------------------------------- queries

    def holder(self, lot: int) -> str:
        if lot in self.consignments:
            return self.consignments[lot].holder
        p = self.parcels[lot]
        return self.consignments[p.cid].holder if p.cid else p.holder

    def is_sealed(self, pid: int) -> bool:
        cid = self.parcels[pid].cid
        return bool(cid) and self.consignments[cid].status != ConsignmentStatus.OPENED

    def movable(self) -> list[int]:
        return [i for i, p in self.parcels.items()
                if p.status == ParcelStatus.LIVE and not self.is_sealed(i) and i not in self.offers]

    def lots(self) -> list[int]:
        return list(range(1, self.last + 2))  # every id so far and one unknown

    # ---------------------------------------------------------------- checks, in the contract's order

    def check_operator(self, who: Actor, roles: int = OPERATOR_ROLES) -> None:
        if who.roles & OPERATOR_ROLES == 0:
            raise Reject("KPLedgerNotOperator", account=who.address)
        if who.roles & roles == 0:
            raise Reject("KPLedgerMissingRole", account=who.address, role=roles)

    def check_movable(self, who: Actor, pid: int) -> None:
        p = self.parcels.get(pid)
        if p is None:
            raise Reject("KPLedgerUnknownLot", lotId=pid)
        if p.status == ParcelStatus.CLOSED:
            raise Reject("KPLedgerParcelClosed", parcelId=pid)
        if self.is_sealed(pid):
            raise Reject("KPLedgerParcelSealed", parcelId=pid, consignmentId=p.cid)
        if self.holder(pid) != who.address:
            raise Reject("KPLedgerNotHolder", lotId=pid, account=who.address)
        if pid in self.offers:
            raise Reject("KPLedgerOfferPending", lotId=pid, recipient=self.offers[pid][1])

    def check_list(self, who: Actor, ids: list[int]) -> None:
        for i, pid in enumerate(ids):
            if i and pid <= ids[i - 1]:
                raise Reject("KPLedgerParcelsNotAscending", previousId=ids[i - 1], id=pid)
            self.check_movable(who, pid)

    def check_register(self, who: Actor, points: int, origin: str) -> None:
        self.check_operator(who, ROLE_PRODUCER)
        if origin.encode() != who.participant:
            raise Reject("KPLedgerOriginNotProducerCountry", origin=origin,
                         producerParticipant=who.participant)
        if points == 0:
            raise Reject("KPLedgerZeroWeight")

    def check_split(self, who: Actor, pid: int, children: list[tuple[int, int]]) -> None:
        self.check_operator(who)
        if not 2 <= len(children) <= 256:
            raise Reject("KPLedgerBadPartCount", count=len(children), min=2, max=256)
        self.check_movable(who, pid)
        parent = self.parcels[pid]
        for points, hs in children:
            if points == 0:
                raise Reject("KPLedgerZeroWeight")
            if hs != parent.hs and parent.hs != UNSORTED:
                raise Reject("KPLedgerHsReclassification", parcelId=pid, fromHsCode=parent.hs, toHsCode=hs)
        total = sum(points for points, _ in children)
        if total != parent.points:
            raise Reject("KPLedgerCaratsNotConserved", parcelId=pid, expectedPoints=parent.points,
                         actualPoints=total)

    def check_merge(self, who: Actor, ids: list[int]) -> None:
        self.check_operator(who)
        if not 2 <= len(ids) <= 256:
            raise Reject("KPLedgerBadPartCount", count=len(ids), min=2, max=256)
        first = self.parcels.get(ids[0])
        for i, pid in enumerate(ids):
            if i and pid <= ids[i - 1]:
                raise Reject("KPLedgerParcelsNotAscending", previousId=ids[i - 1], id=pid)
            self.check_movable(who, pid)
            if self.parcels[pid].hs != first.hs:
                raise Reject("KPLedgerHsCodesDiffer", parcelId=pid, hsCode=self.parcels[pid].hs, expected=first.hs)

    def check_seal(self, who: Actor, ids: list[int], seal_id: bytes) -> None:
        self.check_operator(who)
        if seal_id == ZERO_SEAL:
            raise Reject("KPLedgerZeroSeal")
        if not 1 <= len(ids) <= 256:
            raise Reject("KPLedgerBadPartCount", count=len(ids), min=1, max=256)
        self.check_list(who, ids)

    def check_open(self, who: Actor, cid: int) -> None:
        self.check_operator(who)
        c = self.consignments.get(cid)
        if c is None:
            raise Reject("KPLedgerUnknownLot", lotId=cid)
        if c.holder != who.address:
            raise Reject("KPLedgerNotHolder", lotId=cid, account=who.address)
        if c.status == ConsignmentStatus.OPENED:
            raise Reject("KPLedgerConsignmentNotSealed", consignmentId=cid, status=int(c.status))
        if cid in self.offers:
            raise Reject("KPLedgerOfferPending", lotId=cid, recipient=self.offers[cid][1])

    def check_offer(self, who: Actor, lot: int, to: Actor, seal_id: bytes) -> None:
        self.check_operator(who)
        if to.roles & OPERATOR_ROLES == 0:
            raise Reject("KPLedgerNotOperator", account=to.address)
        if who.address == to.address:
            raise Reject("KPLedgerSelfTransfer", lotId=lot)
        if seal_id == ZERO_SEAL:
            raise Reject("KPLedgerZeroSeal")
        crossing = who.participant != to.participant
        if lot in self.consignments:
            c = self.consignments[lot]
            if c.holder != who.address:
                raise Reject("KPLedgerNotHolder", lotId=lot, account=who.address)
            if c.status != ConsignmentStatus.SEALED:
                raise Reject("KPLedgerConsignmentNotSealed", consignmentId=lot, status=int(c.status))
            if c.seal_id != seal_id:
                raise Reject("KPLedgerSealMismatch", lotId=lot, expected=c.seal_id, given=seal_id)
            if lot in self.offers:
                raise Reject("KPLedgerOfferPending", lotId=lot, recipient=self.offers[lot][1])
            if crossing:
                if who.roles & ROLE_EXPORTER == 0:
                    raise Reject("KPLedgerMissingRole", account=who.address, role=ROLE_EXPORTER)
                if to.roles & ROLE_IMPORTER == 0:
                    raise Reject("KPLedgerMissingRole", account=to.address, role=ROLE_IMPORTER)
                raise Reject("KPCertificatesNoCertificate", consignmentId=lot)  # never certified here
        else:
            self.check_movable(who, lot)
            if crossing:
                raise Reject("KPLedgerCertificateRequired", lotId=lot, fromParticipant=who.participant,
                             toParticipant=to.participant)

    def check_answer(self, who: Actor, lot: int, rejecting: bool = False) -> None:
        """acceptOffer / rejectOffer: an open offer, answered by its recipient (who rejects as an operator)."""
        if rejecting:
            self.check_operator(who)
        if lot not in self.offers:
            raise Reject("KPLedgerNoOffer", lotId=lot)
        if self.offers[lot][1] != who.address:
            raise Reject("KPLedgerNotRecipient", lotId=lot, account=who.address)

    def check_withdraw(self, who: Actor, lot: int) -> None:
        self.check_operator(who)
        if lot not in self.offers:
            raise Reject("KPLedgerNoOffer", lotId=lot)
        if self.holder(lot) != who.address:
            raise Reject("KPLedgerNotHolder", lotId=lot, account=who.address)

    # ---------------------------------------------------------------- effects of successful calls

    def _move(self, pid: int) -> None:
        p = self.parcels[pid]
        if p.cid:
            p.holder, p.cid = self.consignments[p.cid].holder, 0

    def _new_id(self) -> int:
        self.last += 1
        return self.last

    def register(self, who: Actor, points: int, hs: int, origins: int) -> int:
        pid = self._new_id()
        self.parcels[pid] = MParcel(who.address, points, hs, origins)
        self.registered_points += points
        return pid

    def split(self, who: Actor, pid: int, children: list[tuple[int, int]]) -> list[int]:
        self._move(pid)
        parent = self.parcels[pid]
        parent.status = ParcelStatus.CLOSED
        ids = []
        for points, hs in children:
            ids.append(self._new_id())
            self.parcels[ids[-1]] = MParcel(who.address, points, hs, parent.origins)
        return ids

    def merge(self, who: Actor, ids: list[int]) -> int:
        hs = self.parcels[ids[0]].hs  # all the same (check_merge)
        origins = points = 0
        for pid in ids:
            self._move(pid)
            p = self.parcels[pid]
            p.status = ParcelStatus.CLOSED
            origins |= p.origins
            points += p.points
        new = self._new_id()
        self.parcels[new] = MParcel(who.address, points, hs, origins)
        return new

    def seal(self, who: Actor, ids: list[int], seal_id: bytes) -> int:
        cid = self._new_id()
        for pid in ids:
            self._move(pid)
            self.parcels[pid].cid = cid
        self.consignments[cid] = MConsignment(
            who.address, tuple(ids), seal_id, sum(self.parcels[i].points for i in ids))
        return cid

    def open(self, cid: int) -> None:
        self.consignments[cid].status = ConsignmentStatus.OPENED

    def offer(self, who: Actor, lot: int, to: Actor, seal_id: bytes) -> None:
        if lot not in self.consignments:
            self._move(lot)
        self.offers[lot] = (who.address, to.address, seal_id)

    def accept(self, lot: int, seal_id: bytes) -> bool:
        _, recipient, offered = self.offers.pop(lot)
        if seal_id != offered:
            if lot in self.consignments:
                self.consignments[lot].status = ConsignmentStatus.COMPROMISED
            return False
        if lot in self.consignments:
            self.consignments[lot].holder = recipient
        else:
            p = self.parcels[lot]
            p.holder, p.cid = recipient, 0
        return True

    def close_offer(self, lot: int) -> None:
        del self.offers[lot]


# ---------------------------------------------------------------------------------------------
# the state machine

DOMESTIC = ("mine", "bw_exporter", "producer2", "trader", "bw_importer")
EVERYONE = (*DOMESTIC, "eu_importer", "outsider")
mostly_valid = st.sampled_from((True, True, True, True, False))  # pick the right actor/ids 80% of the time
picks = st.integers(min_value=0, max_value=10**6)


class LedgerMachine(RuleBasedStateMachine):
    """Random register/split/merge/seal/open/offer/accept/reject/withdraw among BW operators."""

    ctx: dict = {}  # set by the test: chain, ledger, certificates, reader, crew, bw_index

    def __init__(self):
        super().__init__()
        self.chain = self.ctx["chain"]
        self.ledger = self.ctx["ledger"]
        self.certificates = self.ctx["certificates"]
        self.reader = self.ctx["reader"]
        self.crew = self.ctx["crew"]
        self.snapshot = None

    # ---------------------------------------------------------------- lifecycle

    @initialize()
    def start_from_the_licensed_world(self):
        self.snapshot = self.chain.snapshot()
        self.model = Model(self.crew)
        self.frozen: dict[int, tuple] = {}  # closed parcel -> its view when it closed
        for name, points, hs in (("mine", 10_000, UNSORTED), ("producer2", 5_000, GEM)):  # a head start
            actor = self.crew[name]
            self.ledger.registerParcel(points, 7, hs, "BW", doc("seed"), sender=actor.account)
            self.model.register(actor, points, hs, 1 << (self.ctx["bw_index"] - 1))
        self.events = self.reader.events(0)  # including the registry's history (participants, licences)
        self.next_block = self.reader.block_number() + 1

    def teardown(self):
        if self.snapshot is not None:
            self.chain.restore(self.snapshot)

    # ---------------------------------------------------------------- helpers

    def who(self, name_or_address: str) -> Actor:
        return self.crew.get(name_or_address) or self.model.actor(name_or_address)

    def other_than(self, address: str, pick: int) -> Actor:
        names = [n for n in EVERYONE if self.crew[n].address != address]
        return self.crew[names[pick % len(names)]]

    def pick_lot(self, good: list[int], valid: bool, pick: int) -> int:
        pool = good if valid and good else self.model.lots()
        return pool[pick % len(pool)]

    def act(self, predict, send) -> object | None:
        """Runs `send()`; if `predict()` raises Reject, the transaction must revert with exactly it."""
        rule_name = inspect.currentframe().f_back.f_code.co_name
        try:
            predict()
        except Reject as expected:
            OUTCOMES[f"{rule_name} -> {expected.name}"] += 1
            if expected.name.startswith("KPCertificates"):
                with reverts_with_foreign(self.certificates, expected.name, *expected.inputs.values()):
                    send()
            else:
                with reverts_with(self.ledger, expected.name, **expected.inputs):
                    send()
            return None
        tx = send()
        OUTCOMES[f"{rule_name} -> ok"] += 1
        return tx

    def after_close(self, ids: list[int]) -> None:
        for pid in ids:
            self.frozen[pid] = tuple(self.reader.ledger.functions.parcel(pid).call())

    # ---------------------------------------------------------------- rules

    @rule(who=st.sampled_from(("mine", "producer2", "mine", "producer2", "trader", "outsider")),
          points=st.integers(min_value=1, max_value=1_000_000), hs=st.sampled_from(HS_CODES),
          flaw=st.sampled_from((None, None, None, None, None, "zero", "foreign")))
    def register(self, who, points, hs, flaw):
        actor = self.crew[who]
        points = 0 if flaw == "zero" else points
        origin = "CA" if flaw == "foreign" else "BW"
        tx = self.act(lambda: self.model.check_register(actor, points, origin),
                      lambda: self.ledger.registerParcel(points, 7, hs, origin, doc("reg"),
                                                         sender=actor.account))
        if tx is not None:
            pid = self.model.register(actor, points, hs, 1 << (self.ctx["bw_index"] - 1))
            assert tx.events.filter(self.ledger.ParcelRegistered)[0].parcelId == pid

    @precondition(lambda self: self.model.parcels)
    @rule(valid=mostly_valid, pick=picks, other=picks, parts=st.sampled_from((2, 2, 3, 4, 1)),
          cuts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=3, max_size=3),
          hs_picks=st.lists(st.sampled_from(HS_CODES), min_size=4, max_size=4),
          flaw=st.sampled_from((None, None, None, None, "short", "zero", "reclass")))
    def split(self, valid, pick, other, parts, cuts, hs_picks, flaw):
        splittable = [i for i in self.model.movable() if self.model.parcels[i].points >= 4]
        pid = self.pick_lot(splittable, valid, pick)
        parent = self.model.parcels.get(pid)
        holder = self.model.holder(pid) if parent else self.crew["mine"].address
        actor = self.who(holder) if valid else self.other_than(holder, other)
        total = parent.points if parent else 100
        # parts - 1 cut points strictly inside (0, total): the children add up to the parent
        bounds = sorted({1 + c % (total - 1) for c in cuts[: parts - 1]}) if total > 1 else []
        edges = [0, *bounds, total]
        weights = [hi - lo for lo, hi in zip(edges, edges[1:], strict=False)]
        parent_hs = parent.hs if parent else UNSORTED
        children = [(w, hs_picks[i] if parent_hs == UNSORTED else parent_hs) for i, w in enumerate(weights)]
        if flaw == "short":
            children[-1] = (children[-1][0] - 1, children[-1][1])
        elif flaw == "zero":
            children.append((0, children[0][1]))
        elif flaw == "reclass" and parent_hs != UNSORTED:
            children[0] = (children[0][0], next(h for h in HS_CODES if h != parent_hs))
        payload = [(w, 1, hs, doc(f"child{i}")) for i, (w, hs) in enumerate(children)]
        tx = self.act(lambda: self.model.check_split(actor, pid, children),
                      lambda: self.ledger.splitParcel(pid, payload, sender=actor.account))
        if tx is not None:
            ids = self.model.split(actor, pid, children)
            assert [e.childId for e in tx.events.filter(self.ledger.ParcelSplit)] == ids
            self.after_close([pid])

    @precondition(lambda self: self.model.parcels)
    @rule(valid=mostly_valid, pick=picks, other=picks, size=st.integers(min_value=1, max_value=3),
          shuffle=st.sampled_from((False, False, False, False, True)))
    def merge(self, valid, pick, other, size, shuffle):
        ids, actor = self.choose_parcels(valid, pick, other, size + (1 if valid else 0))
        if shuffle:
            ids = ids[::-1]
        tx = self.act(lambda: self.model.check_merge(actor, ids),
                      lambda: self.ledger.mergeParcels(ids, doc("merge"), sender=actor.account))
        if tx is not None:
            new = self.model.merge(actor, ids)
            assert tx.events.filter(self.ledger.ParcelsMerged)[0].parcelId == new
            self.after_close(ids)

    @precondition(lambda self: self.model.parcels)
    @rule(valid=mostly_valid, pick=picks, other=picks, size=st.integers(min_value=0, max_value=3),
          label=st.integers(min_value=0, max_value=3),
          flaw=st.sampled_from((None, None, None, None, None, "zero_seal", "unsorted")))
    def seal(self, valid, pick, other, size, label, flaw):
        ids, actor = self.choose_parcels(valid, pick, other, size + (1 if valid else 0))
        if flaw == "unsorted":
            ids = ids[::-1]
        seal_id = ZERO_SEAL if flaw == "zero_seal" else SEALS[label]
        tx = self.act(lambda: self.model.check_seal(actor, ids, seal_id),
                      lambda: self.ledger.sealConsignment(ids, seal_id, sender=actor.account))
        if tx is not None:
            cid = self.model.seal(actor, ids, seal_id)
            assert tx.events.filter(self.ledger.ConsignmentSealed)[0].consignmentId == cid

    def choose_parcels(self, valid: bool, pick: int, other: int, size: int) -> tuple[list[int], Actor]:
        """A sorted list of movable parcels of one holder (when valid), or of any lots."""
        by_holder: dict[str, list[int]] = {}
        for pid in self.model.movable():
            by_holder.setdefault(self.model.holder(pid), []).append(pid)
        if valid and by_holder:
            most = max(len(pool) for pool in by_holder.values())
            holders = sorted(h for h, pool in by_holder.items() if len(pool) >= min(size, most))
            holder = holders[pick % len(holders)]
            pool = by_holder[holder]
            start = pick % len(pool)
            return sorted((pool[start:] + pool[:start])[:size]), self.who(holder)
        lots = self.model.lots()
        ids = sorted({lots[(pick + k * 7919) % len(lots)] for k in range(size)})
        first = self.model.parcels.get(ids[0]) if ids else None
        holder = self.model.holder(ids[0]) if first else self.crew["mine"].address
        return ids, (self.who(holder) if other % 3 else self.other_than(holder, other))

    @precondition(lambda self: self.model.consignments)
    @rule(valid=mostly_valid, pick=picks, other=picks)
    def open(self, valid, pick, other):
        closable = [c for c, v in self.model.consignments.items()
                    if v.status != ConsignmentStatus.OPENED and c not in self.model.offers]
        cid = self.pick_lot(closable, valid, pick)
        holder = self.model.holder(cid) if cid in self.model.consignments else self.crew["mine"].address
        actor = self.who(holder) if valid else self.other_than(holder, other)
        tx = self.act(lambda: self.model.check_open(actor, cid),
                      lambda: self.ledger.openConsignment(cid, sender=actor.account))
        if tx is not None:
            self.model.open(cid)

    @precondition(lambda self: self.model.parcels)
    @rule(valid=mostly_valid, pick=picks, other=picks, to=st.sampled_from(EVERYONE),
          seal_mode=st.sampled_from(("right",) * 6 + ("wrong", "zero")))
    def offer(self, valid, pick, other, to, seal_mode):
        offerable = [c for c, v in self.model.consignments.items()
                     if v.status == ConsignmentStatus.SEALED and c not in self.model.offers]
        lot = self.pick_lot(self.model.movable() + offerable, valid, pick)
        known = lot in self.model.parcels or lot in self.model.consignments
        holder = self.model.holder(lot) if known else self.crew["mine"].address
        # invalid: the wrong sender, or (odd `other`) the holder offering to anyone at all
        actor = self.who(holder) if valid or other % 2 else self.other_than(holder, other)
        recipient = self.crew[to]
        if valid:  # a BW operator other than the holder
            options = [n for n in DOMESTIC if self.crew[n].address != holder]
            recipient = self.crew[to if to in options else options[pick % len(options)]]
        c = self.model.consignments.get(lot)
        right = c.seal_id if c else SEALS[pick % len(SEALS)]
        wrong = next(s for s in SEALS if s != right)
        seal_id = {"right": right, "wrong": wrong, "zero": ZERO_SEAL}[seal_mode]
        tx = self.act(lambda: self.model.check_offer(actor, lot, recipient, seal_id),
                      lambda: self.ledger.offer(lot, recipient.account, seal_id, sender=actor.account))
        if tx is not None:
            self.model.offer(actor, lot, recipient, seal_id)

    @precondition(lambda self: self.model.offers)
    @rule(valid=mostly_valid, pick=picks, other=picks,
          right_seal=st.sampled_from((True, True, True, False)))
    def accept(self, valid, pick, other, right_seal):
        lot = self.pick_lot(sorted(self.model.offers), valid, pick)
        offered = self.model.offers.get(lot)
        recipient = offered[1] if offered else self.crew["trader"].address
        actor = self.who(recipient) if valid else self.other_than(recipient, other)
        wrong = next(s for s in SEALS if not offered or s != offered[2])
        seal_id = offered[2] if offered and right_seal else wrong
        tx = self.act(lambda: self.model.check_answer(actor, lot),
                      lambda: self.ledger.acceptOffer(lot, seal_id, sender=actor.account))
        if tx is not None:
            transferred = self.model.accept(lot, seal_id)
            moved = tx.events.filter(self.ledger.CustodyTransferred)
            mismatched = tx.events.filter(self.ledger.CustodySealMismatch)
            assert (len(moved), len(mismatched)) == ((1, 0) if transferred else (0, 1))

    @precondition(lambda self: self.model.offers)
    @rule(valid=mostly_valid, pick=picks, other=picks, reason=st.integers(min_value=0, max_value=65535))
    def reject(self, valid, pick, other, reason):
        lot = self.pick_lot(sorted(self.model.offers), valid, pick)
        offered = self.model.offers.get(lot)
        recipient = offered[1] if offered else self.crew["trader"].address
        actor = self.who(recipient) if valid else self.other_than(recipient, other)
        tx = self.act(lambda: self.model.check_answer(actor, lot, rejecting=True),
                      lambda: self.ledger.rejectOffer(lot, reason, sender=actor.account))
        if tx is not None:
            self.model.close_offer(lot)

    @precondition(lambda self: self.model.offers)
    @rule(valid=mostly_valid, pick=picks, other=picks)
    def withdraw(self, valid, pick, other):
        lot = self.pick_lot(sorted(self.model.offers), valid, pick)
        known = lot in self.model.parcels or lot in self.model.consignments
        holder = self.model.holder(lot) if known else self.crew["mine"].address
        actor = self.who(holder) if valid else self.other_than(holder, other)
        tx = self.act(lambda: self.model.check_withdraw(actor, lot),
                      lambda: self.ledger.withdrawOffer(lot, sender=actor.account))
        if tx is not None:
            self.model.close_offer(lot)

    # ---------------------------------------------------------------- invariants

    @invariant()
    def ledger_invariants_hold(self):
        if self.snapshot is None:
            return
        views = self.reader.views(self.model.last + 1)
        latest = self.reader.block_number()
        self.events += self.reader.events(self.next_block, latest)
        self.next_block = latest + 1
        check_invariants(self.model, views, self.frozen, LedgerReplay().apply_all(self.events))


def check_invariants(model: Model, views: dict, frozen: dict[int, tuple], replay: LedgerReplay) -> None:
    parcels, consignments = views["parcel"], views["consignment"]
    assert views["last"] == model.last
    live = {i: v for i, v in parcels.items() if v[3] == ParcelStatus.LIVE}
    # (a) carats conserved, parcels and consignments alike
    assert sum(v[1] for v in live.values()) == model.registered_points
    for cid, c in model.consignments.items():
        assert consignments[cid][6] == sum(parcels[i][1] for i in c.parcel_ids) == c.points
        assert consignments[cid][1] == len(c.parcel_ids)
    # (b) one holder per live parcel, the model's; the model knows every live parcel
    assert set(live) == {i for i, p in model.parcels.items() if p.status == ParcelStatus.LIVE}
    for pid, v in live.items():
        assert v[0] != ZERO_ADDRESS
        assert v[0] == model.holder(pid), f"holder of parcel {pid}"
        assert v[1] == model.parcels[pid].points
        assert v[6] == model.is_sealed(pid)
        if v[2]:
            assert v[0] == consignments[v[2]][0]  # held through its consignment, by the same account
    for lot, (_, recipient, _) in model.offers.items():
        assert views["offer"][lot] == recipient
    assert sum(1 for v in views["offer"].values() if v != ZERO_ADDRESS) == len(model.offers)
    # (c) closed parcels never move
    assert {i for i, v in parcels.items() if v[3] == ParcelStatus.CLOSED} == set(frozen)
    for pid, view in frozen.items():
        assert parcels[pid] == view, f"closed parcel {pid} moved"
    # (d) the events alone rebuild the storage
    assert_replay_matches_storage(replay, views)


@pytest.fixture
def bw_index(registry):
    return registry.participant(b"BW").index


def test_ledger_invariants_hold_under_random_operation_sequences(
        chain, ledger, certificates, reader, crew, bw_index):
    OUTCOMES.clear()
    LedgerMachine.ctx = dict(chain=chain, ledger=ledger, certificates=certificates, reader=reader, crew=crew,
                             bw_index=bw_index)
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.filter_too_much, HealthCheck.data_too_large],
    ))
    print("\n".join(f"{count:5d}  {outcome}" for outcome, count in sorted(OUTCOMES.items())))
    successes = sum(n for k, n in OUTCOMES.items() if k.endswith("-> ok"))
    assert successes and sum(OUTCOMES.values()) > successes  # both valid and invalid actions were taken


# ---------------------------------------------------------------------------------------------
# fixed-input twins


def _register(ledger, who, points, hs=UNSORTED, origin="BW", label="p"):
    tx = ledger.registerParcel(points, 3, hs, origin, doc(label), sender=who)
    return tx.events.filter(ledger.ParcelRegistered)[0].parcelId


def _children(*parts):
    return [(points, 1, hs, doc(f"c{i}")) for i, (points, hs) in enumerate(parts)]


def test_carats_are_conserved_through_register_split_merge_and_seal(ledger, reader, crew):
    mine = crew["mine"].account
    a = _register(ledger, mine, 10_000)
    b = _register(ledger, mine, 2_500, GEM)
    tx = ledger.splitParcel(a, _children((6_000, GEM), (3_000, INDUSTRIAL), (1_000, GEM)), sender=mine)
    gem, industrial, small = (e.childId for e in tx.events.filter(ledger.ParcelSplit))
    merged = ledger.mergeParcels([b, small], doc("m"), sender=mine).events.filter(
        ledger.ParcelsMerged)[0].parcelId
    cid = ledger.sealConsignment([industrial, merged], seal("x"), sender=mine).events.filter(
        ledger.ConsignmentSealed)[0].consignmentId
    views = reader.views(ledger.lastLotId())
    live = [v for v in views["parcel"].values() if v[3] == ParcelStatus.LIVE]
    assert sum(v[1] for v in live) == 12_500
    assert views["consignment"][cid][6] == 3_000 + 3_500 == sum(
        views["parcel"][i][1] for i in (industrial, merged))
    assert ledger.parcel(merged).hsCode == GEM  # both sources were GEM
    with reverts_with(ledger, "KPLedgerCaratsNotConserved", parcelId=gem, expectedPoints=6_000,
                      actualPoints=5_999):
        ledger.splitParcel(gem, _children((3_000, GEM), (2_999, GEM)), sender=mine)


def test_every_live_parcel_has_exactly_one_holder_after_a_consignment_changes_hands(ledger, reader, crew):
    mine, trader = crew["mine"].account, crew["trader"].account
    a = _register(ledger, mine, 400)
    b = _register(ledger, mine, 600)
    cid = ledger.sealConsignment([a, b], seal("box"), sender=mine).events.filter(
        ledger.ConsignmentSealed)[0].consignmentId
    ledger.offer(cid, trader, seal("box"), sender=mine)
    ledger.acceptOffer(cid, seal("box"), sender=trader)
    for pid in (a, b):
        view = ledger.parcel(pid)
        assert (view.holder, view.consignmentId, view.sealed_) == (trader.address, cid, True)
    with reverts_with(ledger, "KPLedgerParcelSealed", parcelId=a, consignmentId=cid):
        ledger.offer(a, mine, seal("p"), sender=trader)
    with reverts_with(ledger, "KPLedgerNotHolder", lotId=cid, account=mine.address):
        ledger.openConsignment(cid, sender=mine)
    ledger.openConsignment(cid, sender=trader)
    ledger.offer(a, mine, seal("p"), sender=trader)
    ledger.acceptOffer(a, seal("p"), sender=mine)
    holders = {pid: ledger.parcel(pid).holder for pid in (a, b)}
    assert holders == {a: mine.address, b: trader.address}
    assert_replay_matches_storage(replay_from_chain(reader), reader.views(ledger.lastLotId() + 1))


def test_a_closed_parcel_never_moves_again(ledger, crew):
    mine, trader = crew["mine"].account, crew["trader"].account
    a = _register(ledger, mine, 1_000)
    b = _register(ledger, mine, 1_000)
    ledger.splitParcel(a, _children((500, UNSORTED), (500, UNSORTED)), sender=mine)
    before = ledger.parcel(a)
    assert before.status == ParcelStatus.CLOSED
    with reverts_with(ledger, "KPLedgerParcelClosed", parcelId=a):
        ledger.offer(a, trader, seal("p"), sender=mine)
    with reverts_with(ledger, "KPLedgerParcelClosed", parcelId=a):
        ledger.splitParcel(a, _children((500, UNSORTED), (500, UNSORTED)), sender=mine)
    with reverts_with(ledger, "KPLedgerParcelClosed", parcelId=a):
        ledger.mergeParcels([a, b], doc("m"), sender=mine)
    with reverts_with(ledger, "KPLedgerParcelClosed", parcelId=a):
        ledger.sealConsignment([a], seal("c"), sender=mine)
    with reverts_with(ledger, "KPLedgerNoOffer", lotId=a):
        ledger.acceptOffer(a, seal("p"), sender=trader)
    assert ledger.parcel(a) == before


def test_replaying_register_split_merge_seal_offer_accept_rebuilds_the_storage(ledger, reader, crew):
    mine, exporter = crew["mine"].account, crew["bw_exporter"].account
    receipts = []

    def send(tx):
        receipts.append(tx)
        return tx

    a = send(ledger.registerParcel(9_000, 3, UNSORTED, "BW", doc("a"), sender=mine)).events[0].parcelId
    send(ledger.splitParcel(a, _children((4_000, GEM), (5_000, INDUSTRIAL)), sender=mine))
    b = send(ledger.registerParcel(1_000, 3, GEM, "BW", doc("b"), sender=mine)).events[0].parcelId
    merged = send(ledger.mergeParcels([a + 1, b], doc("m"), sender=mine)).events[0].parcelId
    cid = send(ledger.sealConsignment([a + 2, merged], seal("box"), sender=mine)).events[0].consignmentId
    send(ledger.offer(cid, exporter, seal("box"), sender=mine))
    send(ledger.acceptOffer(cid, seal("box"), sender=exporter))

    views = reader.views(ledger.lastLotId() + 1)
    replay = replay_from_chain(reader)
    assert_replay_matches_storage(replay, views)
    assert replay.consignment_view(cid) == (
        exporter.address, 2, ConsignmentStatus.SEALED, 0b1100, seal("box"), 1, 10_000)
    assert replay.parcel_view(merged)[4] == GEM
    assert replay.holder_of(a + 2) == exporter.address
    assert "RoleGranted" in replay.ignored  # registry bookkeeping plays no part

    # the same story told by the receipts alone (ape's decoded `tx.events`), given the participants
    from_receipts = LedgerReplay(participants=dict(replay.participants)).apply_all(
        (log.event_name, log.event_arguments) for tx in receipts for log in tx.events)
    # registered x2, split x2, merged, sealed, offered, transferred
    assert from_receipts.applied == 2 + 2 + 1 + 1 + 1 + 1
    assert_replay_matches_storage(from_receipts, views)


def test_a_wrong_seal_compromises_the_consignment_and_the_replay_agrees(ledger, reader, crew):
    mine, trader = crew["mine"].account, crew["trader"].account
    a = _register(ledger, mine, 700)
    cid = ledger.sealConsignment([a], seal("box"), sender=mine).events.filter(
        ledger.ConsignmentSealed)[0].consignmentId
    ledger.offer(cid, trader, seal("box"), sender=mine)
    tx = ledger.acceptOffer(cid, seal("other"), sender=trader)
    assert len(tx.events.filter(ledger.CustodySealMismatch)) == 1
    assert ledger.consignment(cid).status == ConsignmentStatus.COMPROMISED
    assert ledger.parcel(a).holder == mine.address
    with reverts_with(ledger, "KPLedgerConsignmentNotSealed", consignmentId=cid,
                      status=ConsignmentStatus.COMPROMISED):
        ledger.offer(cid, trader, seal("box"), sender=mine)
    ledger.openConsignment(cid, sender=mine)
    assert_replay_matches_storage(replay_from_chain(reader), reader.views(ledger.lastLotId() + 1))


def test_a_lot_offered_across_a_border_without_a_certificate_is_refused(ledger, certificates, crew, ca_mine):
    mine, eu = crew["mine"].account, crew["eu_importer"].account
    a = _register(ledger, mine, 700)
    with reverts_with(ledger, "KPLedgerCertificateRequired", lotId=a, fromParticipant=b"BW",
                      toParticipant=b"EU"):
        ledger.offer(a, eu, seal("p"), sender=mine)
    with reverts_with(ledger, "KPLedgerNotOperator", account=crew["outsider"].address):
        ledger.offer(a, crew["outsider"].account, seal("p"), sender=mine)
    cid = ledger.sealConsignment([a], seal("box"), sender=mine).events[0].consignmentId
    with reverts_with(ledger, "KPLedgerMissingRole", account=ca_mine.address, role=ROLE_IMPORTER):
        ledger.offer(cid, ca_mine, seal("box"), sender=mine)
    with reverts_with_foreign(certificates, "KPCertificatesNoCertificate", cid):
        ledger.offer(cid, eu, seal("box"), sender=mine)
    assert ledger.offerOf(cid) == ZERO_ADDRESS


def test_merging_an_imported_canadian_parcel_gives_a_mixed_origin_the_replay_rebuilds(
        ledger, reader, crew, ca_mine, ca_authority, issue, registry):
    bw_importer, mine = crew["bw_importer"].account, crew["mine"].account
    ca = _register(ledger, ca_mine, 1_200, origin="CA")
    cid = ledger.sealConsignment([ca], seal("ca"), sender=ca_mine).events.filter(
        ledger.ConsignmentSealed)[0].consignmentId
    issue(cid, ca_authority, exporter="CA", importer="BW", hs_codes=[UNSORTED], importer_account=bw_importer.address)
    ledger.offer(cid, bw_importer, seal("ca"), sender=ca_mine)
    ledger.acceptOffer(cid, seal("ca"), sender=bw_importer)
    ledger.openConsignment(cid, sender=bw_importer)
    bw = _register(ledger, mine, 800)
    ledger.offer(bw, bw_importer, seal("p"), sender=mine)
    ledger.acceptOffer(bw, seal("p"), sender=bw_importer)
    merged = ledger.mergeParcels([ca, bw], doc("mix"), sender=bw_importer).events.filter(
        ledger.ParcelsMerged)[0].parcelId
    bits = {code: 1 << (registry.participant(code).index - 1) for code in (b"BW", b"CA")}
    view = ledger.parcel(merged)
    assert (view.holder, view.points, view.origins) == (bw_importer.address, 2_000, bits[b"BW"] | bits[b"CA"])
    replay = replay_from_chain(reader)
    assert "CertificateUsed" in replay.ignored
    assert_replay_matches_storage(replay, reader.views(ledger.lastLotId() + 1))


def test_a_consignment_weighing_more_than_the_uint48_limit_is_refused_not_truncated(ledger, crew):
    mine = crew["mine"].account
    half = 2**47
    a = _register(ledger, mine, half)
    b = _register(ledger, mine, half)
    with reverts_with(ledger, "SafeCastOverflowedUintDowncast", bits=48, value=2 * half):
        ledger.mergeParcels([a, b], doc("m"), sender=mine)
    with reverts_with(ledger, "SafeCastOverflowedUintDowncast", bits=48, value=2 * half):
        ledger.sealConsignment([a, b], seal("big"), sender=mine)


# ---------------------------------------------------------------------------------------------
# the registry: separation of duties and licence numbers under random appointing and licensing

NO_CODE = b"\x00\x00"
GOVERNANCE_ROLE = b"\x00" * 32
REGISTRY_CAST = ("bw_authority", "eu_authority", "mine", "bw_exporter", "eu_importer", "outsider", "spare1", "spare2")
NUMBERS = ("LIC-MINE", "LIC-BW-EXPORTER", "LIC-EU-IMPORTER", "N-1", "N-2")  # the world's numbers and two free ones
CODES = (b"BW", b"EU")


def role_id(code: bytes, bit: int) -> bytes:
    """KPRegistry's `authorityRole` / `operatorRole`: keccak256(abi.encode("KP.ROLE", code, bit))."""
    return keccak(abi_encode(["string", "bytes2", "uint8"], ["KP.ROLE", code, bit]))


@dataclass
class RegistryModel:
    """Members (participant, roles), profiles and licence holders, as the registry should keep them."""

    members: dict[str, tuple[bytes, int]]
    profiles: dict[str, tuple[str, str, str]]
    holders: dict[tuple[bytes, str], str] = field(default_factory=dict)

    def member(self, account: str) -> tuple[bytes, int]:
        return self.members.get(account, (NO_CODE, 0))

    # ---------------------------------------------------------------- checks, in the contract's order

    def authority_of(self, caller: str) -> bytes:
        participant, roles = self.member(caller)
        if not roles & ROLE_AUTHORITY:
            raise Reject("KPRegistryNotAuthority", account=caller)
        return participant

    def check_grant(self, account: str, participant: bytes, authority: bool) -> None:
        p, held = self.member(account)
        if authority and held & OPERATOR_ROLES:
            raise Reject("KPRegistryAccountIsOperator", account=account, participant=p, roles=held & OPERATOR_ROLES)
        if not authority and held & ROLE_AUTHORITY:
            raise Reject("KPRegistryAccountIsAuthority", account=account, participant=p)
        if p not in (NO_CODE, participant):
            raise Reject("KPRegistryAccountOfOtherParticipant", account=account, participant=p)

    def check_claim(self, account: str, participant: bytes, number: str) -> None:
        holder = self.holders.get((participant, number), account)
        if holder != account:
            raise Reject("KPRegistryLicenceNumberTaken", participant=participant, licenceNumber=number, holder=holder)

    def check_license(self, caller: str, account: str, number: str) -> None:
        c = self.authority_of(caller)
        self.check_grant(account, c, authority=False)
        self.check_claim(account, c, number)

    def check_update(self, caller: str, account: str, number: str) -> None:
        c = self.authority_of(caller)
        p, held = self.member(account)
        if p != c:
            if p == NO_CODE:
                raise Reject("KPRegistryNotOperator", account=account)
            raise Reject("KPRegistryAccountOfOtherParticipant", account=account, participant=p)
        if not held & OPERATOR_ROLES:
            raise Reject("KPRegistryNotOperator", account=account)
        self.check_claim(account, c, number)

    def check_revoke(self, caller: str, account: str, roles: int) -> None:
        c = self.authority_of(caller)
        p, held = self.member(account)
        if p not in (NO_CODE, c):
            raise Reject("KPRegistryAccountOfOtherParticipant", account=account, participant=p)
        missing = roles if p == NO_CODE else roles & ~held
        if missing:
            raise Reject("KPRegistryRoleNotHeld", account=account, roles=missing)

    def check_dismiss(self, code: bytes, account: str) -> None:
        p, held = self.member(account)
        if p != code or not held & ROLE_AUTHORITY:
            raise Reject("KPRegistryRoleNotHeld", account=account, roles=ROLE_AUTHORITY)

    def check_grant_role(self, caller: str, governance: bool, role: bytes, admin: bytes) -> None:
        """AccessControl's grantRole: the caller must hold the role's admin role, and then only governance's own
        role may be granted this way (this rule never grants it)."""
        if admin == GOVERNANCE_ROLE:
            held = governance
        else:
            p, roles = self.member(caller)
            held = roles & ROLE_AUTHORITY and role_id(p, ROLE_AUTHORITY) == admin
        if not held:
            raise Reject("AccessControlUnauthorizedAccount", account=caller, neededRole=admin)
        raise Reject("KPRegistryScopedRole", role=role)

    # ---------------------------------------------------------------- effects

    def _claim(self, account: str, participant: bytes, number: str) -> None:
        if self.holders.get((participant, number)) == account:
            return
        self._release(account, participant)
        self.holders[(participant, number)] = account

    def _release(self, account: str, participant: bytes) -> None:
        old = self.profiles.get(account, ("", "", ""))[1]
        if old and self.holders.get((participant, old)) == account:
            del self.holders[(participant, old)]

    def license(self, caller: str, account: str, roles: int, name: str, number: str) -> None:
        c = self.member(caller)[0]
        self.members[account] = (c, self.member(account)[1] | roles)
        self._claim(account, c, number)
        self.profiles[account] = (name, number, "")

    def update(self, caller: str, account: str, name: str, number: str) -> None:
        c = self.member(caller)[0]
        self._claim(account, c, number)
        self.profiles[account] = (name, number, "")

    def revoke(self, caller: str, account: str, roles: int) -> None:
        c = self.member(caller)[0]
        p, held = self.member(account)
        self.members[account] = (p, held & ~roles)
        if not held & ~roles & OPERATOR_ROLES:
            self._release(account, c)

    def appoint(self, code: bytes, account: str, name: str) -> None:
        self.members[account] = (code, self.member(account)[1] | ROLE_AUTHORITY)
        self.profiles[account] = (name, "", "")

    def dismiss(self, account: str) -> None:
        p, held = self.member(account)
        self.members[account] = (p, held & ~ROLE_AUTHORITY)


def registry_views(reader: ChainReader, registry, addresses: list[str]) -> dict:
    """member and profile of each account, and licenceHolder of every number, in one batch."""
    f = reader.contracts[registry.address].functions
    with reader.w3.batch_requests() as batch:
        for a in addresses:
            batch.add(f.member(a))
            batch.add(f.profile(a))
        for code in CODES:
            for number in NUMBERS:
                batch.add(f.licenceHolder(code, number))
        results = iter(batch.execute())
    out: dict = {"member": {}, "profile": {}, "holder": {}}
    for a in addresses:
        participant, member_roles, _, _ = next(results)
        out["member"][a] = (bytes(participant), member_roles)
        out["profile"][a] = tuple(next(results))
    for code in CODES:
        for number in NUMBERS:
            out["holder"][(code, number)] = next(results)
    return out


def check_registry_invariants(model: RegistryModel, views: dict, replay: RegistryReplay) -> None:
    for a, (participant, roles) in views["member"].items():
        # (e) one kind of duty at a time; AccessControl's roles (of any participant, admitted or not) are exactly the
        # member record's, role by role
        assert not (roles & ROLE_AUTHORITY and roles & OPERATOR_ROLES), f"{a} is authority and operator: {roles}"
        assert (participant, roles) == model.member(a), f"member {a}"
        held = {role_id(participant, bit) for bit in (1, 2, 4, 8, 16, 32) if roles & bit}
        assert replay.access_roles_of(a) - {GOVERNANCE_ROLE} == held, f"AccessControl roles of {a}"
        assert views["profile"][a] == model.profiles.get(a, ("", "", "")), f"profile of {a}"
        # (g) the events rebuild member and profile
        assert replay.member_view(a) == (participant, roles), f"replayed member {a}"
        assert replay.profile_view(a) == views["profile"][a], f"replayed profile {a}"
    for (code, number), holder in views["holder"].items():
        # (f) one operator per licence number, the model's, and the one the events imply
        assert holder == model.holders.get((code, number), ZERO_ADDRESS), f"holder of {code!r} {number}"
        assert replay.licence_holder(code, number) == holder, f"replayed holder of {code!r} {number}"
        if holder != ZERO_ADDRESS:
            p, roles = views["member"][holder]
            assert p == code and roles & OPERATOR_ROLES and views["profile"][holder][1] == number


class RegistryMachine(RuleBasedStateMachine):
    """Random appoint/dismiss (governance), license/update/revoke (whoever signs), grantRole through AccessControl;
    each picks a fitting signer and account most of the time, anyone otherwise."""

    ctx: dict = {}  # set by the test: chain, registry, reader, cast (name -> ape account)

    def __init__(self):
        super().__init__()
        self.chain, self.registry, self.reader = self.ctx["chain"], self.ctx["registry"], self.ctx["reader"]
        self.cast = self.ctx["cast"]
        self.snapshot = None

    def address(self, name: str) -> str:
        return self.cast[name].address

    @initialize()
    def start_from_the_licensed_world(self):
        self.snapshot = self.chain.snapshot()
        views = registry_views(self.reader, self.registry, [self.address(n) for n in REGISTRY_CAST])
        self.model = RegistryModel(
            members={a: m for a, m in views["member"].items() if m[0] != NO_CODE},
            profiles={a: p for a, p in views["profile"].items() if p != ("", "", "")},
            holders={key: holder for key, holder in views["holder"].items() if holder != ZERO_ADDRESS})
        self.replay = RegistryReplay().apply_all(self.reader.events(0))  # the world's history, then step by step
        self.next_block = self.reader.block_number() + 1

    def teardown(self):
        if self.snapshot is not None:
            self.chain.restore(self.snapshot)

    def act(self, predict, send) -> bool:
        """Runs `send()`; if `predict()` raises Reject, the transaction must revert with exactly it. Whether it took
        effect."""
        rule_name = inspect.currentframe().f_back.f_code.co_name
        try:
            predict()
        except Reject as expected:
            OUTCOMES[f"{rule_name} -> {expected.name}"] += 1
            with reverts_with(self.registry, expected.name, **expected.inputs):
                send()
            return False
        send()
        OUTCOMES[f"{rule_name} -> ok"] += 1
        return True

    # ---------------------------------------------------------------- picking

    def pick(self, valid: bool, fitting, pick: int) -> str:
        """A name of the cast: one for which `fitting(address)` holds when `valid` (and there is one), any otherwise."""
        pool = [n for n in REGISTRY_CAST if fitting(self.address(n))] if valid else []
        pool = pool or list(REGISTRY_CAST)
        return pool[pick % len(pool)]

    def is_authority(self, address: str) -> bool:
        return bool(self.model.member(address)[1] & ROLE_AUTHORITY)

    def licensable_by(self, caller: str):
        """Accounts the caller's participant could license: not an authority, of no participant or of that one."""
        c = self.model.member(caller)[0]
        return lambda a: not self.is_authority(a) and self.model.member(a)[0] in (NO_CODE, c)

    def operator_of(self, caller: str):
        c = self.model.member(caller)[0]
        return lambda a: self.model.member(a)[0] == c and bool(self.model.member(a)[1] & OPERATOR_ROLES)

    # ---------------------------------------------------------------- rules

    @rule(valid=mostly_valid, fit=mostly_valid, who=picks, whom=picks, roles=st.sampled_from((2, 4 | 16, 8, 16, 32)),
          name=st.sampled_from(("Alpha (Pty) Ltd", "Beta NV")), number=st.sampled_from(NUMBERS))
    def license(self, valid, fit, who, whom, roles, name, number):
        caller = self.pick(valid, self.is_authority, who)
        account = self.pick(fit, self.licensable_by(self.address(caller)), whom)
        c, a = self.address(caller), self.address(account)
        if self.act(lambda: self.model.check_license(c, a, number),
                    lambda: self.registry.licenseOperator(a, roles, name, number, "", sender=self.cast[caller])):
            self.model.license(c, a, roles, name, number)

    @rule(valid=mostly_valid, who=picks, whom=picks, name=st.sampled_from(("Alpha (Pty) Ltd", "Gamma Ltd")),
          number=st.sampled_from(NUMBERS))
    def update_profile(self, valid, who, whom, name, number):
        caller = self.pick(valid, self.is_authority, who)
        account = self.pick(valid, self.operator_of(self.address(caller)), whom)
        c, a = self.address(caller), self.address(account)
        if self.act(lambda: self.model.check_update(c, a, number),
                    lambda: self.registry.updateOperatorProfile(a, name, number, "", sender=self.cast[caller])):
            self.model.update(c, a, name, number)

    @rule(valid=mostly_valid, who=picks, whom=picks, roles=st.sampled_from((2, 4, 8, 16, 32, 2 | 4, 4 | 16, 62)))
    def revoke(self, valid, who, whom, roles):
        caller = self.pick(valid, self.is_authority, who)
        account = self.pick(valid, self.operator_of(self.address(caller)), whom)
        c, a = self.address(caller), self.address(account)
        held = self.model.member(a)[1] & OPERATOR_ROLES
        if valid and held & roles == 0:
            roles = held & -held or roles  # a role it holds (the lowest), if any
        elif valid:
            roles &= held
        if self.act(lambda: self.model.check_revoke(c, a, roles),
                    lambda: self.registry.revokeOperator(a, roles, sender=self.cast[caller])):
            self.model.revoke(c, a, roles)

    @rule(valid=mostly_valid, code=st.sampled_from(CODES), whom=picks, name=st.sampled_from(("Office A", "Office B")))
    def appoint(self, valid, code, whom, name):
        account = self.pick(valid, lambda a: not self.model.member(a)[1] & OPERATOR_ROLES
                            and self.model.member(a)[0] in (NO_CODE, code), whom)
        a = self.address(account)
        if self.act(lambda: self.model.check_grant(a, code, authority=True),
                    lambda: self.registry.appointAuthority(code.decode(), a, name, sender=self.cast["governance"])):
            self.model.appoint(code, a, name)

    @rule(valid=mostly_valid, code=st.sampled_from(CODES), whom=picks)
    def dismiss(self, valid, code, whom):
        account = self.pick(valid, self.is_authority, whom)
        a = self.address(account)
        if valid and self.is_authority(a):
            code = self.model.member(a)[0]
        if self.act(lambda: self.model.check_dismiss(code, a),
                    lambda: self.registry.dismissAuthority(code.decode(), a, sender=self.cast["governance"])):
            self.model.dismiss(a)

    @rule(caller=st.sampled_from(("governance", "bw_authority", "spare1")), account=st.sampled_from(REGISTRY_CAST),
          role=st.sampled_from(("BW exporter", "ZA exporter", "EU authority")))
    def grant_role_through_access_control(self, caller, account, role):
        code, bit = {"BW exporter": (b"BW", 4), "ZA exporter": (b"ZA", 4), "EU authority": (b"EU", 1)}[role]
        role_bytes = role_id(code, bit)
        # the admin of a scoped operator role is its participant's authority role; any other role's is governance's
        admin = role_id(code, ROLE_AUTHORITY) if code == b"BW" else GOVERNANCE_ROLE
        self.act(lambda: self.model.check_grant_role(self.address(caller), caller == "governance", role_bytes, admin),
                 lambda: self.registry.grantRole(role_bytes, self.address(account), sender=self.cast[caller]))

    # ---------------------------------------------------------------- invariants

    @invariant()
    def registry_invariants_hold(self):
        if self.snapshot is None:
            return
        views = registry_views(self.reader, self.registry, [self.address(n) for n in REGISTRY_CAST])
        latest = self.reader.block_number()
        self.replay.apply_all(self.reader.events(self.next_block, latest))
        self.next_block = latest + 1
        check_registry_invariants(self.model, views, self.replay)


@pytest.fixture
def registry_cast(accounts, world, governance, bw_authority, eu_authority, mine, bw_exporter, eu_importer, outsider):
    spares = []
    for _ in range(2):
        spare = accounts.generate_test_account()
        spare.balance = 10**21
        spares.append(spare)
    return dict(governance=governance, bw_authority=bw_authority, eu_authority=eu_authority, mine=mine,
                bw_exporter=bw_exporter, eu_importer=eu_importer, outsider=outsider, spare1=spares[0],
                spare2=spares[1])


def test_registry_invariants_hold_under_random_licensing(chain, registry, reader, registry_cast):
    OUTCOMES.clear()
    RegistryMachine.ctx = dict(chain=chain, registry=registry, reader=reader, cast=registry_cast)
    run_state_machine_as_test(RegistryMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))
    print("\n".join(f"{count:5d}  {outcome}" for outcome, count in sorted(OUTCOMES.items())))
    successes = sum(n for k, n in OUTCOMES.items() if k.endswith("-> ok"))
    assert successes and sum(OUTCOMES.values()) > successes  # both valid and invalid actions were taken


def test_a_licensee_moving_to_a_new_key_and_an_office_changing_hands_replay_exactly(
        registry, reader, registry_cast, governance, bw_authority, mine):
    """The fixed twin: revoke the mine, license its new key under its number, appoint the old key a BW office."""
    new_key = registry_cast["spare1"]
    number = registry.profile(mine)[1]
    registry.revokeOperator(mine, ROLE_PRODUCER | ROLE_EXPORTER, sender=bw_authority)
    registry.licenseOperator(new_key, ROLE_PRODUCER, "mine (Pty) Ltd", number, "", sender=bw_authority)
    registry.appointAuthority("BW", mine, "BW Diamond Hub, Orapa", sender=governance)
    replay = RegistryReplay().apply_all(reader.events(0))
    assert registry.licenceHolder(b"BW", number) == replay.licence_holder(b"BW", number) == new_key.address
    assert replay.member_view(mine.address) == (b"BW", ROLE_AUTHORITY)
    assert replay.profile_view(mine.address) == registry.profile(mine) == ("BW Diamond Hub, Orapa", "", "")
    assert replay.licence_holders(b"BW", number) == [new_key.address]
