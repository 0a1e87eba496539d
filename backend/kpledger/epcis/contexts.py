"""The JSON-LD contexts an EPCIS document of this ledger names, and a document loader that has them all offline.

- GS1's EPCIS 2.0 context (`vocabulary.EPCIS_CONTEXT`), byte for byte the copy that GS1's event hash generator (PyPI
  `epcis-event-hash-generator`) ships, in a file named by its SHA-256 (checked when loaded).
- The project's context `kp-epcis`, versioned (`jsonld/kp-epcis-<version>.jsonld`, served by the API at
  `<base>/contexts/kp-epcis/<version>.jsonld`). GS1's context does not define the master data keys of GS1's own
  JSON schema (`epcisMasterData`, `vocabularyElementList`, `attributes`, `attribute`): a JSON-LD processor dropped
  the master data, names included. The project's context maps them (an attribute becomes `rdf:predicate` = its id,
  `rdf:object` = its value, so each name stays with its element) and types the `kp:` terms whose values are
  identifiers or times. Its `kp:` terms expand under the document's own `kp` prefix, which the document declares
  before it. A published version never changes: a change is a new file and version, and old versions stay served.

`document_loader` answers these URLs for a JSON-LD processor (PyLD) and refuses any other: it never opens a
connection, so expanding an export (or hashing an event the reference way) works without a network.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from pyld.jsonld import JsonLdError

from kpledger.epcis.vocabulary import EPCIS_CONTEXT

KP_CONTEXT = "kp-epcis"
KP_CONTEXT_VERSION = 1  # the version the documents name
# GS1's contexts as the hash generator's package ships them: URL -> SHA-256 of the file (also its name)
GS1_CONTEXTS = {EPCIS_CONTEXT: "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008"}
_PROJECT_PATH = re.compile(rf"/contexts/{KP_CONTEXT}/(?P<version>[1-9][0-9]{{0,3}})\.jsonld$")


def context_path(version: int = KP_CONTEXT_VERSION) -> str:
    """Where the API serves a version of the project's context (under the identifier base)."""
    return f"/contexts/{KP_CONTEXT}/{version}.jsonld"


@cache
def project_context(version: int) -> bytes | None:
    """A version of the project's context, as the package ships it (None: no such version)."""
    resource = importlib.resources.files("kpledger.epcis") / "jsonld" / f"{KP_CONTEXT}-{version}.jsonld"
    return resource.read_bytes() if resource.is_file() else None


@cache
def gs1_context(url: str) -> bytes:
    """One of GS1's contexts, as the hash generator's package ships it."""
    sha256 = GS1_CONTEXTS[url]
    data = (importlib.resources.files("epcis_event_hash_generator") / f"{sha256}.jsonld").read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"the packaged copy of {url} is not the one GS1 published (SHA-256 differs)")
    return data


def load_context(url: str) -> dict[str, Any] | None:
    """The JSON-LD document at `url` if it is one of the contexts above (a version of the project's context at any
    deployment's base: every deployment serves the same file), else None."""
    if url in GS1_CONTEXTS:
        return json.loads(gs1_context(url))  # parsed for each caller: a processor may keep and change it
    parts = urlsplit(url)
    plain = parts.scheme in ("https", "http") and not parts.query and not parts.fragment
    match = _PROJECT_PATH.search(parts.path) if plain else None
    data = None if match is None else project_context(int(match["version"]))
    return None if data is None else json.loads(data)


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader: the contexts above from the packages, anything else refused (never the network)."""
    document = load_context(url)
    if document is None:
        raise JsonLdError(f"{url} is not a context available offline", "jsonld.LoadDocumentError",
                          {"url": url}, code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}
