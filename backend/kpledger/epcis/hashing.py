"""Event IDs: the CBV 2.0 canonical event hash (`ni:///sha-256;...?ver=CBV2.0`), computed by GS1's reference
implementation (PyPI `epcis-event-hash-generator`).

Each event is hashed in a document of its own: the generator resolves bare CBV words against the whole
document it is given, so hashing events one by one keeps an event's ID independent of its neighbours. The
hash leaves out `eventID`, `recordTime` and `errorDeclaration`: an error declaration keeps the ID of the event it
corrects.
"""

from __future__ import annotations

import copy
import json
import threading
from functools import lru_cache
from typing import Any

from epcis_event_hash_generator import hash_generator, json_to_py

from kpledger.epcis.vocabulary import SCHEMA_VERSION

# the generator keeps module-level state (the context's namespaces, the join string): one event at a time
_GENERATOR = threading.Lock()


def event_hash(event: dict[str, Any], context: list[Any]) -> str:
    """The canonical hash of one EPCIS event under the document context `context`."""
    return _hash(json.dumps(event, sort_keys=True), json.dumps(context, sort_keys=True))


@lru_cache(maxsize=65_536)
def _hash(event_json: str, context_json: str) -> str:
    # events are immutable once on chain: the same JSON hashes once per process (about 2 ms each otherwise)
    document = {"@context": json.loads(context_json), "type": "EPCISDocument", "schemaVersion": SCHEMA_VERSION,
                "creationDate": "1970-01-01T00:00:00.000Z", "epcisBody": {"eventList": [json.loads(event_json)]}}
    with _GENERATOR:
        events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
        prehashes = hash_generator.derive_prehashes_from_events(events)
    if len(prehashes) != 1:  # the generator logs and skips an event it cannot read: never mint a wrong ID
        raise ValueError("the event hash generator could not read the event")
    return hash_generator.calculate_hashes_from_pre_hashes(prehashes)[0]
