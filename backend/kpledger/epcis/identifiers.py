"""The URIs this ledger mints (lots, operators, participants, certificates, its vocabulary) and their parsing.

Every identifier lives under one base (`Settings.id_base_url`: configured, the listen address outside production,
never a request's Host), so the backend's resolver (`GET /id/...`) answers for all of them, GS1 Digital Link style.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpledger.certificates import verification_url
from kpledger.epcis.contexts import context_path

KINDS = ("lot", "operator", "participant", "certificate")
# the key of each kind, as it appears in the URI (and in the resolver's path)
KEY_PATTERNS = {
    "lot": r"[1-9][0-9]{0,12}",
    "operator": r"0x[0-9a-fA-F]{40}",
    "participant": r"[A-Z]{2}",
    "certificate": r"[A-Z]{2}[A-Z0-9-]{1,30}",
}
_PATH = re.compile(r"/id/(?P<kind>lot|operator|participant|certificate)/(?P<key>[^/?#]+)")


@dataclass(frozen=True)
class Identifiers:
    """Mints and parses the ledger's URIs under `base`; `public` is the viewer's URL."""

    base: str
    public: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))
        object.__setattr__(self, "public", self.public.rstrip("/"))

    @property
    def vocabulary(self) -> str:
        """Namespace of the project's own EPCIS terms (the `kp:` prefix)."""
        return f"{self.base}/voc/"

    @property
    def context(self) -> str:
        """The project's JSON-LD context for EPCIS documents (the version they are written in), served by the API."""
        return self.base + context_path()

    def lot(self, lot_id: int) -> str:
        return f"{self.base}/id/lot/{lot_id}"

    def operator(self, address: str) -> str:
        return f"{self.base}/id/operator/{address}"

    def participant(self, code: str) -> str:
        return f"{self.base}/id/participant/{code}"

    def certificate(self, number: str) -> str:
        return f"{self.base}/id/certificate/{number}"

    def parse(self, uri: str) -> tuple[str, str] | None:
        """(kind, key) of one of this ledger's URIs; None for anything else (another base, another shape)."""
        if not uri.startswith(self.base + "/id/"):
            return None
        match = _PATH.fullmatch(uri[len(self.base):])
        if match is None or not re.fullmatch(KEY_PATTERNS[match["kind"]], match["key"]):
            return None
        return match["kind"], match["key"]

    def lot_id(self, uri: str) -> int | None:
        parsed = self.parse(uri)
        return int(parsed[1]) if parsed and parsed[0] == "lot" else None

    # ------------------------------------------------------------ the viewer's pages

    def viewer_page(self, kind: str, key: str) -> str:
        """Where a browser is sent for an identifier: the viewer's page for it."""
        if kind == "lot":
            return f"{self.public}/#/lot/{key}"
        if kind == "certificate":
            return self.certificate_page(key)
        if kind == "participant":
            return f"{self.public}/#/participant/{key}"
        return f"{self.public}/#/account/{key}"

    def certificate_page(self, number: str) -> str:
        """The certificate's public verification page (EPCIS `certificationInfo`)."""
        return verification_url(self.public, number)
