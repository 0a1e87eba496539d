"""Parties and places: who sends and receives (EPCIS source and destination lists), and the master data that says
who each of them is.

Operators and authorities (accounts: `<base>/id/operator/0x...`) own and possess the goods and act on certificates:
they are EPCIS 2.0 **Party** vocabulary elements, named by the legal name their authority licensed them under (an
authority: its appointed name), CBV's `urn:epcglobal:cbv:mda#name`, with their participant, roles and licence.
Participants (`<base>/id/participant/BW`) are where things happen: an event's `bizLocation` or `readPoint` and the
`location` of its sources and destinations. Each is described once, with its name and ISO code, in every location
vocabulary the events use it in (BusinessLocation, ReadPoint, Location), so a consumer finds it where it looks.

Master data is not part of an event's hash (CBV 2.0 hashes the event alone): a name added or changed later leaves
every eventID as it was. It gives today's public name; an account's earlier names are in `/v1/accounts/{address}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpledger.core.constants import role_names
from kpledger.db import models as m
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.ledger import LedgerReader
from kpledger.epcis.vocabulary import (
    BUSINESS_LOCATION_VTYPE,
    LOCATION_VTYPE,
    MDA_COUNTRY,
    MDA_NAME,
    PARTY_VTYPE,
    READ_POINT_VTYPE,
    json_strings,
)

Element = dict[str, Any]
# the location vocabularies, in the order a document lists them
_PLACES = (BUSINESS_LOCATION_VTYPE, READ_POINT_VTYPE, LOCATION_VTYPE)


def transfer_parties(ids: Identifiers, side: str, account: str, country: str | None) -> list[dict[str, str]]:
    """A sourceList (side "source") or destinationList ("destination"): the operator owns and possesses the
    goods (the ledger's holder is both: it records no carrier and no separate title), in its participant."""
    parties = [{"type": "owning_party", side: ids.operator(account)},
               {"type": "possessing_party", side: ids.operator(account)}]
    if country:
        parties.append({"type": "location", side: ids.participant(country)})
    return parties


def _attributes(pairs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": key, "attribute": value} for key, value in pairs if value not in (None, "")]


def operator_master_data(ids: Identifiers, member: m.Member) -> Element:
    """An operator's or authority's Party element: its public name, participant, roles and licence."""
    return {"id": ids.operator(member.address), "attributes": _attributes([
        (MDA_NAME, member.name),
        (MDA_COUNTRY, member.participant),
        ("kp:participant", ids.participant(member.participant)),
        ("kp:roles", ", ".join(role_names(member.roles))),
        ("kp:licenceNumber", member.licence_number),
        ("kp:registryRef", member.registry_ref),
    ])}


def participant_master_data(ids: Identifiers, participant: m.Participant) -> Element:
    """A KP participant as a place: its name, ISO code and status on the ledger."""
    return {"id": ids.participant(participant.code), "attributes": _attributes([
        (MDA_NAME, participant.name),
        (MDA_COUNTRY, participant.code),
        ("kp:participantStatus", participant.status),
    ])}


def _places(event: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(location vocabulary, URI) of every place the event names in a standard field."""
    for name, vtype in (("bizLocation", BUSINESS_LOCATION_VTYPE), ("readPoint", READ_POINT_VTYPE)):
        if name in event:
            yield vtype, event[name]["id"]
    for side in ("source", "destination"):
        for entry in event.get(f"{side}List", ()):
            if entry["type"] == "location":
                yield LOCATION_VTYPE, entry[side]


def party_master_data(ids: Identifiers, reader: LedgerReader, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Party vocabulary (every operator and authority the events name) and the location vocabularies (every
    participant, in each vocabulary the events use it as; a participant named only elsewhere, e.g. as an
    operator's participant or a border crossing's end, as a Location)."""
    accounts: set[str] = set()
    uses: dict[str, set[str]] = {}  # participant code -> location vocabularies
    for event in events:
        for vtype, uri in _places(event):
            parsed = ids.parse(uri)
            if parsed is not None and parsed[0] == "participant":
                uses.setdefault(parsed[1], set()).add(vtype)
        for text in json_strings(event):
            parsed = ids.parse(text)
            if parsed is not None and parsed[0] == "operator":
                accounts.add(parsed[1])
            elif parsed is not None and parsed[0] == "participant":
                uses.setdefault(parsed[1], set())
    members = [x for x in (reader.member(a) for a in sorted(accounts)) if x is not None]
    for member in members:
        uses.setdefault(member.participant, set())
    places: dict[str, list[Element]] = {vtype: [] for vtype in _PLACES}
    for code in sorted(uses):
        participant = reader.participant(code)
        if participant is not None:
            element = participant_master_data(ids, participant)
            for vtype in _PLACES:
                if vtype in (uses[code] or {LOCATION_VTYPE}):
                    places[vtype].append(element)
    vocabularies = []
    if members:
        vocabularies.append({"type": PARTY_VTYPE,
                             "vocabularyElementList": [operator_master_data(ids, x) for x in members]})
    vocabularies += [{"type": vtype, "vocabularyElementList": elements} for vtype, elements in places.items()
                     if elements]
    return vocabularies
