"""KP certificate documents: the versioned schema (`schema/kp-certificate-1.schema.json`), validation and the check
against the chain (`document`), and the printable certificate and verification slip (`render`)."""

from __future__ import annotations

from urllib.parse import quote


def verification_url(public_base: str, number: str) -> str:
    """A certificate's public verification page in the viewer: what its QR code encodes (and EPCIS's
    `certificationInfo`)."""
    return f"{public_base.rstrip('/')}/#/certificate/{quote(number, safe='')}"
