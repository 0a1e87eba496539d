"""kpledger.epcis.hashing builds GS1's reference pre-hash string (PyPI `epcis-event-hash-generator`) itself: the
same string as the reference for events of every shape the EPCIS mapping produces (Hypothesis, against the
reference), the reference's own answer for any other shape, and the IDs a partner computes over a whole document."""

from __future__ import annotations

import copy
import hashlib
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld

from kpledger.core.constants import REASONS
from kpledger.epcis.contexts import document_loader
from kpledger.epcis.envelope import context
from kpledger.epcis.hashing import (
    PAIR_LISTS,
    Unsupported,
    event_hash,
    prehash,
    reference_prehash,
    vocabulary,
)
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.vocabulary import EVENT_KINDS, EVENT_TYPES

IDS = Identifiers("https://ledger.example", "https://viewer.example")
CONTEXT = context(IDS)


@pytest.fixture(autouse=True, scope="module")
def offline() -> Iterator[None]:
    """No network: the reference reads the documents' contexts through the project's offline loader."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access blocked in this test")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(jsonld, "_default_document_loader", document_loader)
        yield


def sha(text: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256(text.encode()).hexdigest()}?ver=CBV2.0"


def reference_ids(events: list[dict[str, Any]], ctx: Any = CONTEXT) -> list[str]:
    """What a partner computes: the reference over one document holding all `events`."""
    document = {"@context": ctx, "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-01-01T00:00:00.000Z", "epcisBody": {"eventList": events}}
    listed = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
    return hash_generator.epcis_hashes_from_events(listed)


# ------------------------------------------------------------ events shaped like the mapping's


def words(field: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(vocabulary(field)))


hexes = st.binary(min_size=1, max_size=32).map(lambda b: "0x" + b.hex())
codes = st.from_regex(r"[A-Z]{2}", fullmatch=True)
lots = st.integers(1, 10**6).map(IDS.lot)
operators = st.binary(min_size=20, max_size=20).map(lambda b: IDS.operator("0x" + b.hex()))
participants = codes.map(IDS.participant)
places = participants.map(lambda uri: {"id": uri})
# the mapping's free values: hashes, codes, HS codes, certificate numbers, fixed labels, identifiers, numbers as
# text; padded ones test the trimming. None of them is a CBV word (see vocabulary_words below).
texts = st.one_of(hexes, codes, st.from_regex(r"71\.0[0-9]\.[0-9]{2}", fullmatch=True),
                  st.from_regex(r"[A-Z]{2}[0-9]{7}", fullmatch=True), st.sampled_from(sorted(REASONS.values())),
                  st.sampled_from(["split", "merge", "intact", "mismatch", "compromised", "", "  BW ", "7102.10",
                                   "0500.00", "1e3", "nan", "True"]), lots, operators, participants)
numbers = st.one_of(st.integers(-10**18, 10**18), st.integers(0, 10**9).map(lambda p: p / 100),
                    st.floats(allow_nan=False, allow_infinity=False, width=64))
scalars = st.one_of(texts, numbers, st.booleans(), st.none())
names = st.sampled_from(["kp:carats", "kp:origins", "kp:seal", "kp:result", "kp:label", "kp:code", "kp:from",
                         "kp:to", "gs1:value", "gs1:unitCode", "cbvmda:countryOfOrigin", "acme:note"])
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(scalars, max_size=4), st.lists(st.dictionaries(names, scalars, min_size=1, max_size=3), max_size=3),
    st.dictionaries(names, inner, max_size=4)), max_leaves=12)
extensions = st.dictionaries(names.map(lambda n: n if n.startswith("kp:") else "kp:x" + n.split(":")[1]), values,
                             max_size=5)
ZONES = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]


@st.composite
def times(draw: st.DrawFn) -> str:
    """A date-time with milliseconds in one of three zones, UTC as `Z` or `+00:00`."""
    moment = draw(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1))).replace(
        microsecond=draw(st.integers(0, 999)) * 1000, tzinfo=draw(st.sampled_from(ZONES)))
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if moment.tzinfo is UTC and draw(st.booleans()) else text


quantities = st.lists(st.fixed_dictionaries({"epcClass": lots, "quantity": st.integers(1, 10**9).map(
    lambda p: p / 100), "uom": st.just("CTM")}), min_size=1, max_size=4)


@st.composite
def pairs(draw: st.DrawFn, name: str) -> list[dict[str, str]]:
    """A sourceList, destinationList or bizTransactionList, each element's keys in either order."""
    side = PAIR_LISTS[name]
    targets = lots if name == "bizTransactionList" else st.one_of(operators, participants)
    out = []
    for _ in range(draw(st.integers(1, 3))):
        element = {"type": draw(words(name)), side: draw(targets)}
        out.append(element if draw(st.booleans()) else dict(reversed(element.items())))
    return out


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """An EPCIS event with the fields, values and extensions the mapping writes, in random combinations."""
    kind = draw(st.sampled_from(sorted(EVENT_TYPES)))
    event: dict[str, Any] = {"type": kind, "eventTime": draw(times()), "eventTimeZoneOffset": draw(
        st.sampled_from(["+00:00", "+01:00", "-05:30"])), "recordTime": draw(times())}
    if draw(st.booleans()):
        event["eventID"] = "ni:///sha-256;00?ver=CBV2.0"
    optional = {
        "bizStep": st.sampled_from(sorted({step for _, step in EVENT_KINDS.values() if step})) | words("bizStep"),
        "disposition": words("disposition"), "action": st.sampled_from(["ADD", "OBSERVE", "DELETE"]),
        "parentID": lots, "epcList": st.lists(lots, max_size=3), "quantityList": quantities,
        "childQuantityList": quantities, "inputQuantityList": quantities, "outputQuantityList": quantities,
        "readPoint": places, "bizLocation": places, "certificationInfo": st.just("https://viewer.example/#/x"),
        "sourceList": pairs("sourceList"), "destinationList": pairs("destinationList"),
        "bizTransactionList": pairs("bizTransactionList"), "ilmd": st.dictionaries(names, values, max_size=5),
        "errorDeclaration": st.fixed_dictionaries({"declarationTime": times(), "reason": words("errorDeclaration"),
                                                   "kp:reason": st.just({"kp:code": 6})}),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        event[name] = draw(optional[name])
    event.update(draw(extensions))
    return event


# ------------------------------------------------------------ the properties


@settings(max_examples=300, deadline=None)
@given(event=events())
def test_the_pre_hash_string_is_the_references(event):
    assert prehash(event, CONTEXT) == reference_prehash(event, CONTEXT)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(events(), min_size=1, max_size=5))
def test_a_partner_running_the_reference_over_a_whole_document_gets_every_event_id(batch):
    """The reference replaces CBV words across the whole document: an event's ID does not depend on its neighbours
    as long as its other strings are no CBV words (the mapping writes none)."""
    assert reference_ids(batch) == [event_hash(e, CONTEXT) for e in batch]


@settings(max_examples=60, deadline=None)
@given(event=events(), odd=st.sampled_from([
    {"sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 4}]}]},
    {"persistentDisposition": {"set": ["completeness_verified"]}},
    {"kp:nested": {"type": "gs1:Temperature"}},
    {"kp:list": [["a", "b"]]},
    {"kp:partyList": ["a"]},
    {"kp:note": "https://ref.gs1.org/cbv/BizStep-receiving"},
    {"bizStep": "https://ref.gs1.org/cbv/BizStep-receiving"},
    {"readPoint": {"id": "https://ledger.example/id/participant/BW", "kp:x": 1}},
    {"quantityList": [{"epcClass": "https://ledger.example/id/lot/1", "quantity": 2, "kp:x": 3}]},
    {"eventTime": "2026-01-01T00:00:00.000123Z"},
]))
def test_shapes_it_does_not_reproduce_go_to_the_reference(event, odd):
    event = {**event, **odd}
    with pytest.raises(Unsupported):
        prehash(event, CONTEXT)
    try:
        expected = sha(reference_prehash(event, CONTEXT))
    except ValueError:  # the reference cannot read it either: no ID rather than a wrong one
        with pytest.raises(ValueError):
            event_hash(event, CONTEXT)
    else:
        assert event_hash(event, CONTEXT) == expected


# ------------------------------------------------------------ fixed-input twins


RECEIVING = {
    "type": "ObjectEvent", "eventID": "ni:///sha-256;00?ver=CBV2.0",
    "eventTime": "2026-11-30T14:19:26.000+01:00", "eventTimeZoneOffset": "+01:00",
    "recordTime": "2026-11-30T13:19:27.000Z", "bizStep": "receiving", "epcList": ["https://ledger.example/id/lot/5"],
    "action": "OBSERVE", "disposition": "in_progress", "bizLocation": {"id": "https://ledger.example/id/participant/EU"},
    "sourceList": [{"type": "owning_party", "source": "https://ledger.example/id/operator/0xAb"},
                   {"type": "location", "source": "https://ledger.example/id/participant/BW"}],
    "bizTransactionList": [{"type": "cert", "bizTransaction": "https://ledger.example/id/certificate/BW0000001"}],
    "ilmd": {"kp:carats": {"gs1:value": 500.0, "gs1:unitCode": "CTM"}, "kp:origins": ["CA", "BW"]},
    "kp:sealCheck": {"kp:result": "intact"}, "kp:blockNumber": 83,
}
RECEIVING_PREHASH = (
    "eventType=ObjectEvent"
    "eventTime=2026-11-30T13:19:26.000ZeventTimeZoneOffset=+01:00"
    "epcListepc=https://ledger.example/id/lot/5action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-receivingdisposition=https://ref.gs1.org/cbv/Disp-in_progress"
    "bizLocationid=https://ledger.example/id/participant/EU"
    # the rest, sorted: the business transaction and sources (their JSON key order kept), ilmd, extensions
    "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-certbizTransaction=https://ledger.example/id/certificate/"
    "BW0000001"
    "ilmd{https://ledger.example/voc/}caratsgs1:unitCode=CTMgs1:value=500"
    "{https://ledger.example/voc/}origins=BW{https://ledger.example/voc/}origins=CA"
    "sourceListtype=https://ref.gs1.org/cbv/SDT-locationsource=https://ledger.example/id/participant/BW"
    "type=https://ref.gs1.org/cbv/SDT-owning_partysource=https://ledger.example/id/operator/0xAb"
    "{https://ledger.example/voc/}blockNumber=83{https://ledger.example/voc/}sealCheck"
    "{https://ledger.example/voc/}result=intact")


def test_a_receiving_event_has_the_references_pre_hash_string():
    assert prehash(RECEIVING, CONTEXT) == RECEIVING_PREHASH == reference_prehash(RECEIVING, CONTEXT)
    assert event_hash(RECEIVING, CONTEXT) == sha(RECEIVING_PREHASH) == reference_ids([RECEIVING])[0]


def test_the_key_order_inside_a_source_changes_the_id_as_in_the_reference():
    """The reference writes a source's keys in the order of the JSON: sorted keys (what the export hashed before)
    give an ID no partner computes from the document as published."""
    reordered = json.loads(json.dumps(RECEIVING, sort_keys=True))
    assert event_hash(reordered, CONTEXT) != event_hash(RECEIVING, CONTEXT)
    assert event_hash(reordered, CONTEXT) == sha(reference_prehash(reordered, CONTEXT))


def test_the_mappings_fixed_strings_are_no_cbv_words():
    """What keeps an ID independent of the document (see the whole-document property): no label, result or operation
    the mapping writes is a word the reference would replace."""
    cbv = {w for field in ("bizStep", "disposition", "sourceList", "bizTransactionList", "errorDeclaration")
           for w in vocabulary(field)}
    assert cbv.isdisjoint({*REASONS.values(), "split", "merge", "intact", "mismatch", "compromised"})
