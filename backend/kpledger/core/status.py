"""A KP certificate's status as a person reads it, declared once: a headline with a symbol (colour is never the only
cue) and what it means at a border. `kp certificate show` and the verdict on a file (`kpledger.queries.verdicts`)
say it in these words."""

from __future__ import annotations

from typing import Final

STATUS: Final[dict[str, tuple[str, str]]] = {
    "issued": ("✓ Valid", "issued and not yet used: it covers one border crossing of this consignment until it "
                          "expires"),
    "delivered": ("● Used, import not yet confirmed", "the consignment crossed the border under this certificate; "
                  "the importing authority has not confirmed the import yet. It cannot be used again"),
    "confirmed": ("✓ Import confirmed", "the consignment crossed under this certificate and the importing authority "
                  "confirmed the import. It cannot be used again"),
    "disputed": ("⚠ Disputed", "the importing authority recorded a discrepancy at import that is not resolved"),
    "voided": ("✗ Voided", "withdrawn by the issuing authority: it authorises nothing"),
    "expired": ("✗ Expired", "not used before its expiry date: it authorises nothing"),
    "superseded": ("✗ Superseded", "voided and replaced by a corrected certificate: only the replacement counts"),
}
AUTHORISES_NOTHING: Final = ("voided", "expired", "superseded")


def reading_status(status: str, superseded_by: str | None) -> str:
    """The status a person reads: a voided certificate that a correction replaced is "superseded"."""
    return "superseded" if status == "voided" and superseded_by else status
