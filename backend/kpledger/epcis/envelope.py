"""EPCIS 2.0 documents: the JSON-LD context, event IDs, the master data of the lots and parties the events name,
and the two envelopes (EPCISDocument for exports, EPCISQueryDocument for query results)."""

from __future__ import annotations

import time
from typing import Any

from kpledger.epcis.hashing import event_hash
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.ledger import LedgerReader
from kpledger.epcis.mapping import lot_master_data
from kpledger.epcis.parties import party_master_data
from kpledger.epcis.vocabulary import CLASS_VTYPE, EPCIS_CONTEXT, SCHEMA_VERSION, timestamp

_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def context(ids: Identifiers) -> list[Any]:
    """GS1's EPCIS 2.0 context, the project's namespace for the terms CBV does not have (inline: GS1's schema checks
    and hash generator read extension prefixes there), and the project's context (epcis/contexts.py: the master data
    and the `kp:` terms for JSON-LD processors; it needs the `kp` prefix declared before it)."""
    return [EPCIS_CONTEXT, {"kp": ids.vocabulary}, ids.context]


def with_event_id(event: dict[str, Any], ctx: list[Any]) -> dict[str, Any]:
    """The event with its eventID (the CBV canonical hash) right after its type."""
    return {"type": event["type"], "eventID": event_hash(event, ctx), **event}


def master_data(ids: Identifiers, reader: LedgerReader, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """EPCIS master data for the events: every parcel (EPCClass: weight, HS code, origins), every operator and
    authority (Party: name, participant, roles, licence) and every participant (its places: name, code)."""
    lots: set[int | None] = set()
    for event in events:
        for name in _QUANTITY_LISTS:
            lots.update(ids.lot_id(q["epcClass"]) for q in event.get(name, ()))
    classes = []
    for lot_id in sorted(x for x in lots if x is not None):
        parcel = reader.parcel(lot_id)
        if parcel is not None:
            attributes = [{"id": _attribute_id(k), "attribute": _attribute_value(v)}
                          for k, v in lot_master_data(parcel).items()]
            classes.append({"id": ids.lot(lot_id), "attributes": attributes})
    vocabularies = [{"type": CLASS_VTYPE, "vocabularyElementList": classes}] if classes else []
    return vocabularies + party_master_data(ids, reader, events)


def _attribute_id(ilmd_key: str) -> str:
    # CBV names an attribute `cbvmda:x` inside ilmd and `urn:epcglobal:cbv:mda#x` as master data
    return ilmd_key.replace("cbvmda:", "urn:epcglobal:cbv:mda#")


def _attribute_value(value: Any) -> Any:
    # a master data attribute is a number, a string or an object
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(x) for x in value)
    return value


def epcis_document(ids: Identifiers, events: list[dict[str, Any]], vocabularies: list[dict[str, Any]],
                   ctx: list[Any]) -> dict[str, Any]:
    document: dict[str, Any] = {"@context": ctx, "type": "EPCISDocument", "schemaVersion": SCHEMA_VERSION,
                                "creationDate": timestamp(int(time.time()))}
    if vocabularies:
        document["epcisHeader"] = {"epcisMasterData": {"vocabularyList": vocabularies}}
    document["epcisBody"] = {"eventList": events}
    return document


def query_document(events: list[dict[str, Any]], vocabularies: list[dict[str, Any]], ctx: list[Any],
                   query_name: str = "SimpleEventQuery") -> dict[str, Any]:
    results: dict[str, Any] = {"eventList": events}
    if vocabularies:
        results["vocabularyList"] = vocabularies
    return {"@context": ctx, "type": "EPCISQueryDocument", "schemaVersion": SCHEMA_VERSION,
            "creationDate": timestamp(int(time.time())),
            "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": results}}}
