"""How a person reads the ledger's values, in Python: weights, HS codes, countries and times, as the viewer writes
them (`frontend-static/util.js`: `fmtCarats`, `hsText`, `hsWords`, `countryWords`, `fmtTime`;
`tests/pages/test_viewer.py` checks both give the same text for the same values), and text from the ledger made
safe to show on a terminal (`visible`). Used by the `kp` command line, the printed certificate and slip, and the
provenance verdict's sentences."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from kpledger.core.constants import HS_CODES, NON_INDUSTRIAL, POINTS_PER_CARAT, hs_text

__all__ = ["HS_WORDS", "carats", "carats_of_points", "country", "countries", "hs_text", "hs_words", "visible",
           "when"]

# the HS codes in words as a buyer reads them (the KP names, with "gem" beside the non-industrial goods)
HS_WORDS: Final[dict[int, str]] = {**HS_CODES, NON_INDUSTRIAL: f"{HS_CODES[NON_INDUSTRIAL]} (gem)"}


def carats(amount: str | Decimal) -> str:
    """"5000.00" -> "5,000.00 ct": an exact decimal weight (the API's string), grouped in thousands."""
    return f"{Decimal(str(amount)):,.2f} ct"


def carats_of_points(points: int) -> str:
    """500000 -> "5,000.00 ct": a weight kept in points (hundredths of a carat)."""
    return carats(Decimal(points) / POINTS_PER_CARAT)


def hs_words(code: int) -> str:
    """710231 -> "7102.31 non-industrial (gem)"; an unknown code as it is."""
    return f"{hs_text(code)} {HS_WORDS[code]}" if code in HS_WORDS else str(code)


def country(code: str | None, names: Mapping[str, str]) -> str:
    """"BW" -> "Botswana (BW)" with the ledger's name of the participant; the code alone when it has none."""
    if not code:
        return "-"
    name = names.get(code)
    return f"{name} ({code})" if name and name != code else code


def countries(codes: Iterable[str], names: Mapping[str, str]) -> str:
    """"Botswana (BW), Canada (CA)"."""
    return ", ".join(country(c, names) for c in codes)


def when(seconds: int | None) -> str:
    """1796524837 -> "2026-12-06 02:40 UTC": a chain time to the minute, in UTC ("-" when there is none)."""
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- text from the ledger on a terminal

# bidirectional controls: they reorder what a terminal shows after them (a name that reads differently)
BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# invisible format characters that scripts need inside words (Persian, Indic): kept
JOINERS: Final = frozenset("\u200c\u200d")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    n = ord(char)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def _hidden(char: str) -> bool:
    """A character a terminal acts on or does not show: C0/C1 controls and DEL (escape sequences, carriage
    returns, bells), line and paragraph separators, bidirectional controls and other invisible format
    characters, and lone surrogates."""
    if char in JOINERS:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def visible(text: str, keep: str = "") -> str:
    """`text` with every control, bidirectional and invisible format character written as a visible escape
    ("\\x1b", "\\u202e", "\\n"), so that what the ledger holds is shown and never acted on; the characters in `keep`
    (kp's own line breaks) pass as they are."""
    if text.isprintable():  # the common case; False for any Cc, Cf (the bidirectional controls), Zl, Zp, Cs
        return text
    return "".join(_escaped(c) if c not in keep and _hidden(c) else c for c in text)
