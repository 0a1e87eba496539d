"""Event IDs: the CBV 2.0 event hash (`ni:///sha-256;<hex>?ver=CBV2.0`) exactly as GS1's reference implementation
(PyPI `epcis-event-hash-generator` 1.9.3) computes it for the event in the document we publish: a partner who runs
it over our export gets the eventID we wrote, and can de-duplicate by it.

The reference reads a document through a JSON-LD expansion (about 7 ms an event); `prehash` builds the same
pre-hash string from the event's JSON directly, for every event shape the mapping produces, and refuses
(`Unsupported`) any shape it does not reproduce exactly, which `event_hash` then hands to the reference itself.
`tests/epcis/test_hashing.py` checks the two against each other (Hypothesis), and `test_epcis.py` runs the
reference over every document the tests receive.

How the reference builds the pre-hash string of an event (its "property order" is CBV 2.0 §8.9's):
1. Bare CBV words become URIs: the reference expands the document with JSON-LD, collects the CBV URIs the
   vocabulary-typed fields expand to (bizStep `receiving` -> `https://ref.gs1.org/cbv/BizStep-receiving`; also
   disposition, source/destination and business transaction types, error reasons) and replaces every string of the
   document that ends exactly one of them after a `-` or `/`. Keys `p:x` whose prefix the document's @context
   declares inline become `{<namespace>}x`; values `p:x` become `<namespace>x`.
2. `eventType=<type>`, then the ordered fields: eventTime (UTC, milliseconds), eventTimeZoneOffset,
   certificationInfo, parentID, the EPC lists (`epcList` + sorted `epc=...`), the quantity lists (`quantityList` +
   sorted `quantityElement` + epcClass, quantity, uom), action, transformationID, bizStep, disposition, readPoint,
   bizLocation; each `name=value`, empty values left out.
3. Everything else, each rendered `name=value` or `name` + its children (sorted), all sorted as strings: ilmd, the
   extensions, and sourceList, destinationList and bizTransactionList, which the reference's order table does not
   match in their JSON shape: each element is written as its first two keys in the order of the JSON (`type`
   first, as the mapping writes them; another key order gives another ID).
Values: numbers without trailing zeros (`500.0` -> `500`), old CBV URNs as web URIs, GS1 keys as Digital Link.
`eventID`, `recordTime` and `errorDeclaration` are left out: a correction keeps the ID of the event it corrects.

Each event is hashed alone: the reference's word replacement (1.) looks at the whole document, so a string in one
event that is a CBV word another event uses would make IDs depend on neighbours; the mapping writes no such
string (its words are CBV's, its other strings identifiers, hashes, codes and fixed labels).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from epcis_event_hash_generator import PROP_ORDER, dl_normaliser, hash_generator, json_to_py
from pyld import jsonld

from kpledger.epcis.contexts import document_loader, gs1_context
from kpledger.epcis.vocabulary import EPCIS_CONTEXT, SCHEMA_VERSION, json_strings


class Unsupported(ValueError):
    """An event shape `prehash` does not reproduce exactly (the reference itself hashes it)."""


# the reference keeps module-level state (the context's namespaces, the join string, PyLD's loader): one at a time
_GENERATOR = threading.Lock()

IGNORED = frozenset({"eventID", "recordTime", "errorDeclaration", "type"})
PAIR_LISTS = {"sourceList": "source", "destinationList": "destination", "bizTransactionList": "bizTransaction"}
# the vocabulary-typed fields and where GS1's context defines their words (a path of scoped contexts)
VOCABULARY_FIELDS = {
    "bizStep": ("bizStep",), "disposition": ("disposition",), "sourceList": ("sourceList", "type"),
    "destinationList": ("destinationList", "type"), "bizTransactionList": ("bizTransactionList", "type"),
    "errorDeclaration": ("errorDeclaration", "reason"),
}
# strings that a JSON-LD expansion could turn into CBV / GS1 Web Vocabulary URIs (step 1) outside those fields
_VOCABULARY_LIKE = ("https://ref.gs1.org/cbv", "https://gs1.org/voc", "cbv:", "gs1:")
_UTC_MILLIS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
# a prefixed key the reference skips wherever it appears (it also skips `comment` and `#text`, and regroups keys
# ending in `List`: refused like every other unprefixed nested key and every `...List` extension)
_SPECIAL_KEYS = frozenset({"rdfs:comment"})


def _order_kind(name: str, sub: Any) -> str:
    """How the reference's order table (PROP_ORDER) treats a field, in our terms."""
    if sub is None:
        return "scalar"
    if isinstance(sub[0][0], tuple):
        return "unmatched"  # sourceList & co: (('type', None), (...)) never matches a child: they go to the rest
    if len(sub) == 1 and sub[0][1] is None:  # an EPC list (its EPCs, `epc`) or a place (its `id`)
        return "epcs" if name.endswith("List") or name == "childEPCs" else "place"
    if len(sub) == 1 and sub[0][0] == "quantityElement":
        return "quantities"
    return "unsupported"  # persistentDisposition, sensorElementList


ORDER = [(name, _order_kind(name, sub), sub) for name, sub in PROP_ORDER]
ORDERED = frozenset(name for name, kind, _ in ORDER if kind != "unmatched")
STANDARD = ORDERED | IGNORED | set(PAIR_LISTS) | {"ilmd"}


@cache
def vocabulary(field: str) -> dict[str, str]:
    """The CBV words of a vocabulary-typed field and their URIs, from GS1's EPCIS 2.0 context."""
    top = json.loads(gs1_context(EPCIS_CONTEXT))["@context"]
    scope = top
    for name in VOCABULARY_FIELDS[field]:
        scope = scope[name]["@context"]
    words = {}
    for word, value in scope.items():
        if isinstance(value, str) and ":" in value and value.split(":", 1)[0] in top:
            prefix, rest = value.split(":", 1)
            words[word] = top[prefix] + rest
    return words


def namespaces(context: Any) -> dict[str, str]:
    """The prefixes a document's @context declares inline (the only ones the reference applies)."""
    found: dict[str, str] = {}
    if isinstance(context, list):
        for entry in context:
            if isinstance(entry, dict):
                if not all(isinstance(v, str) for v in entry.values()):
                    raise Unsupported("an inline context entry that is not a namespace")
                found.update(entry)
    return found


# ------------------------------------------------------------ values


def _web_vocabulary(text: str) -> str:
    for urn, uri in (("urn:epcglobal:cbv:bizstep:", "BizStep-"), ("urn:epcglobal:cbv:disp:", "Disp-"),
                     ("urn:epcglobal:cbv:btt:", "BTT-"), ("urn:epcglobal:cbv:sdt:", "SDT-"),
                     ("urn:epcglobal:cbv:er:", "ER-")):
        text = text.replace(urn, "https://ref.gs1.org/cbv/" + uri)
    return text


def _numeric(text: str) -> str:
    try:
        number: float | int = float(text)
        if int(number) == number:
            number = int(number)
        return str(number)
    except ValueError:  # not a number (or NaN): as it is
        return text
    except OverflowError:  # infinity: the reference fails on it
        raise Unsupported("an infinite number") from None


@lru_cache(maxsize=65_536)
def canonical(text: str) -> str:
    """A value's canonical form: CBV URNs as URIs, numbers without trailing zeros, GS1 keys as Digital Link."""
    text = _numeric(_web_vocabulary(text))
    return dl_normaliser.normaliser(text) or text


def utc_millis(text: str) -> str:
    """A time stamp in UTC with milliseconds (`2026-11-30T12:19:26.000Z`)."""
    if _UTC_MILLIS.fullmatch(text):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unsupported(f"a time the reference reads its own way: {text[:40]}") from None
    if moment.tzinfo is None or moment.microsecond % 1000:
        raise Unsupported(f"a time without time zone or below milliseconds: {text[:40]}")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class _Event:
    """One event's pre-hash string, built the reference's way (see the module's docstring)."""

    def __init__(self, event: dict[str, Any], ns: dict[str, str]):
        self.event, self.ns = event, ns
        self.words = _replacements(frozenset(self._vocabulary_uris()))

    def _vocabulary_uris(self) -> set[str]:
        """The CBV URIs the event's vocabulary-typed fields expand to (step 1)."""
        uris: set[str] = set()

        def word(field: str, value: Any) -> None:
            words = vocabulary(field)
            if value in words:
                uris.add(words[value])
            elif isinstance(value, str) and value in words.values():
                uris.add(value)
            else:
                raise Unsupported(f"{field}: {str(value)[:60]} is not a CBV word")

        for key in ("bizStep", "disposition"):
            if key in self.event:
                word(key, self.event[key])
        for key in PAIR_LISTS:
            for element in self.event.get(key, ()):
                if not isinstance(element, dict) or "type" not in element:
                    raise Unsupported(f"a {key} element without a type")
                word(key, element["type"])
        declaration = self.event.get("errorDeclaration", {})
        if not isinstance(declaration, dict):
            raise Unsupported("an errorDeclaration that is not an object")
        if "reason" in declaration:
            word("errorDeclaration", declaration["reason"])
        # the rest of the declaration is not hashed, but JSON-LD expands it with the event
        for text in json_strings({k: v for k, v in declaration.items() if k != "reason"}):
            if text.startswith(_VOCABULARY_LIKE):
                raise Unsupported(f"a CBV or GS1 vocabulary value outside a vocabulary field: {text[:60]}")
        return uris

    def text(self, value: Any) -> str:
        """A scalar as the reference's tree holds it: CBV words as URIs, declared prefixes expanded, str()."""
        if not isinstance(value, str):
            if isinstance(value, dict | list):
                raise Unsupported("a structure where a value was expected")
            return str(value)
        if value.startswith(_VOCABULARY_LIKE):  # JSON-LD could expand it to one of the URIs step 1 collects
            raise Unsupported(f"a CBV or GS1 vocabulary URI as a value: {value[:60]}")
        value = self.words.get(value) or value
        prefix, colon, rest = value.partition(":")
        if colon and prefix in self.ns:
            value = self.ns[prefix].replace("{", "").replace("}", "") + rest
        return value

    def key(self, key: str) -> str:
        prefix, colon, rest = key.partition(":")
        return "{" + self.ns[prefix] + "}" + rest if colon and prefix in self.ns else key

    # ------------------------------------------------------------ the ordered fields (step 2)

    def leaf(self, name: str, value: Any) -> str:
        text = self.text(value).strip()
        if not text:
            return ""
        if "time" in name.lower() and "offset" not in name.lower():
            return f"{name}={utc_millis(text)}"
        return f"{name}={canonical(text)}"

    def ordered(self) -> str:
        out = ""
        for name, kind, sub in ORDER:
            if name not in self.event or kind == "unmatched":
                continue
            value = self.event[name]
            if kind == "scalar":
                if not isinstance(value, str):
                    raise Unsupported(f"{name} is not a string")
                out += self.leaf(name, value)
            elif kind == "epcs" and isinstance(value, list):
                if not all(isinstance(x, str) for x in value):
                    raise Unsupported(f"{name} holds something else than EPCs")
                values = sorted(x for x in (self.leaf(sub[0][0], x) for x in value) if x)
                out += name + "".join(values) if values else ""
            elif kind == "place" and isinstance(value, dict):
                if list(value) != [sub[0][0]]:
                    raise Unsupported(f"{name} has other keys than {sub[0][0]}")
                text = self.leaf(sub[0][0], value[sub[0][0]])
                out += name + text if text else ""
            elif kind == "quantities" and isinstance(value, list):
                elements = sorted(x for x in (self.quantity(q, sub[0][1]) for q in value) if x)
                out += name + "".join(elements) if elements else ""
            else:
                raise Unsupported(f"{name} in a shape the reference treats differently")
        return out

    def quantity(self, element: Any, order: list[tuple[str, None]]) -> str:
        names = [n for n, _ in order]
        if not isinstance(element, dict) or not element or not set(element) <= set(names):
            raise Unsupported("a quantity element with other keys than epcClass, quantity, uom")
        if isinstance(element.get("quantity"), bool):
            raise Unsupported("a quantity that is a boolean")
        text = "".join(self.leaf(n, element[n]) for n in names if n in element)
        return "quantityElement" + text if text else ""

    # ------------------------------------------------------------ the rest (step 3)

    def rendered(self, name: str, value: Any) -> list[str]:
        """The strings a field makes in the rest: one per element of a list, `name=value` or name + children."""
        if isinstance(value, list):
            if any(isinstance(x, list) for x in value):
                raise Unsupported("a list inside a list")
            return [s for x in value for s in self.rendered(name, x)]
        if isinstance(value, dict):
            return [name + self.children(value)]
        text = self.text(value).strip()
        return [name + ("=" + canonical(text) if text else "")]

    def children(self, value: dict[str, Any]) -> str:
        parts: list[str] = []
        for key, item in value.items():
            if ":" not in key or key in _SPECIAL_KEYS or key.endswith("List"):
                raise Unsupported(f"a nested key the reference or JSON-LD treats specially: {key[:60]}")
            parts += self.rendered(self.key(key), item)
        return "".join(sorted(parts))

    def pair(self, name: str, element: dict[str, Any]) -> str:
        """A source, destination or business transaction: its two keys in the order of the JSON."""
        if set(element) != {"type", PAIR_LISTS[name]}:
            raise Unsupported(f"a {name} element with other keys than type and {PAIR_LISTS[name]}")
        out = ""
        for key, value in element.items():
            text = self.text(value).strip()
            out += key + ("=" + canonical(text) if text else "")
        return out

    def rest(self) -> str:
        parts: list[str] = []
        for key, value in self.event.items():
            if key in IGNORED or key in ORDERED:
                continue
            if key in PAIR_LISTS:
                if value:
                    parts.append(key + "".join(sorted(self.pair(key, e) for e in value)))
            elif key == "ilmd" and isinstance(value, dict):
                parts += self.rendered(key, value)
            elif ":" in key and key not in _SPECIAL_KEYS and not key.endswith("List"):
                parts += self.rendered(self.key(key), value)
            else:
                raise Unsupported(f"a field the reference treats differently: {key[:60]}")
        return "".join(sorted(parts))

    def prehash(self) -> str:
        if not isinstance(self.event.get("type"), str) or not isinstance(self.event.get("eventTime"), str):
            raise Unsupported("an event without a type or an eventTime")
        return f"eventType={self.text(self.event['type'])}{self.ordered()}{self.rest()}"


@lru_cache(maxsize=1024)
def _replacements(uris: frozenset[str]) -> dict[str, str | None]:
    """Every string that ends one of `uris` after a `-` or `/` -> that URI (None: it ends several)."""
    found: dict[str, str | None] = {}
    for uri in uris:
        for i, char in enumerate(uri):
            if char in "-/":
                suffix = uri[i + 1:]
                found[suffix] = uri if found.get(suffix, uri) == uri else None
    return found


def prehash(event: dict[str, Any], context: Any) -> str:
    """The reference's pre-hash string of `event` in a document with @context `context` (Unsupported: a shape this
    does not reproduce; the reference itself then decides)."""
    unknown = [key for key in event if key not in STANDARD and ":" not in key]
    if unknown:
        raise Unsupported(f"a field that is neither EPCIS nor a namespaced extension: {unknown[0][:60]}")
    return _Event(event, namespaces(context)).prehash()


def reference_prehash(event: dict[str, Any], context: Any) -> str:
    """The reference's own pre-hash string of `event`, alone in a document with @context `context` (its contexts
    loaded offline)."""
    document = {"@context": context, "type": "EPCISDocument", "schemaVersion": SCHEMA_VERSION,
                "creationDate": "1970-01-01T00:00:00.000Z", "epcisBody": {"eventList": [event]}}
    with _GENERATOR:
        # from now on PyLD's default loader is the offline one (the reference installs one that uses the network)
        jsonld.set_document_loader(document_loader)
        events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
        prehashes = hash_generator.derive_prehashes_from_events(events)
    if len(prehashes) != 1:  # the reference logs and skips an event it cannot read: never mint a wrong ID
        raise ValueError("the event hash generator could not read the event")
    return prehashes[0]


def event_hash(event: dict[str, Any], context: Any) -> str:
    """The CBV 2.0 event hash of one EPCIS event in a document with @context `context`: the eventID."""
    try:
        text = prehash(event, context)
    except Unsupported:
        text = reference_prehash(event, context)
    return f"ni:///sha-256;{hashlib.sha256(text.encode()).hexdigest()}?ver=CBV2.0"
