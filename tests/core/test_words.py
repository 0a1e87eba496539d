"""How a person reads the ledger's values in Python (`kpledger.core.words`), and text from the ledger made safe for a
terminal. The agreement with the viewer's util.js on the same values is checked in a browser (test_viewer.py)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpledger.core.words import carats, carats_of_points, countries, country, hs_text, hs_words, visible, when

NAMES = {"BW": "Botswana", "EU": "European Union", "XX": "XX"}


@pytest.mark.parametrize(("amount", "shown"), [
    ("5000.00", "5,000.00 ct"), ("0.01", "0.01 ct"), ("12345.6", "12,345.60 ct"), ("100", "100.00 ct"),
    ("1234567890.25", "1,234,567,890.25 ct"), ("999.99", "999.99 ct"),
])
def test_carats_are_exact_and_grouped(amount, shown):
    assert carats(amount) == shown


def test_points_read_as_carats():
    assert carats_of_points(500_000) == "5,000.00 ct" and carats_of_points(1) == "0.01 ct"


def test_hs_codes_read_dotted_with_their_words():
    assert [hs_text(c) for c in (710210, 710221, 710231)] == ["7102.10", "7102.21", "7102.31"]
    assert hs_words(710210) == "7102.10 unsorted"
    assert hs_words(710221) == "7102.21 industrial"
    assert hs_words(710231) == "7102.31 non-industrial (gem)"
    assert hs_words(123) == "123"


def test_countries_read_by_name_with_their_code():
    assert country("BW", NAMES) == "Botswana (BW)"
    assert country("ZZ", NAMES) == "ZZ" and country("XX", NAMES) == "XX" and country(None, NAMES) == "-"
    assert countries(["BW", "EU"], NAMES) == "Botswana (BW), European Union (EU)"


def test_times_read_in_utc_to_the_minute():
    assert when(1_796_524_837) == "2026-12-06 02:40 UTC"
    assert when(0) == "1970-01-01 00:00 UTC" and when(None) == "-"


@pytest.mark.parametrize(("text", "shown"), [
    ("Antwerp Rough Trading NV", "Antwerp Rough Trading NV"),
    ("Berbérati Artisanal Cooperative", "Berbérati Artisanal Cooperative"),
    ("\u0645\u0627\u0633", "\u0645\u0627\u0633"),  # right-to-left letters are letters: kept
    ("\u0645\u06cc\u200c\u0631\u0648\u0645", "\u0645\u06cc\u200c\u0631\u0648\u0645"),  # a Persian joiner: kept
    ("Evil\x1b]0;pwned\x07", "Evil\\x1b]0;pwned\\x07"),
    ("a\x1b[2Jb\x9b31m", "a\\x1b[2Jb\\x9b31m"),
    ("line\nforged\r\tx", "line\\nforged\\r\\tx"),
    ("\u202eLtd\u2066\u200f", "\\u202eLtd\\u2066\\u200f"),
    ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
    ("tag\U000e0041", "tag\\U000e0041"),
    ("sep\u2028par\u2029", "sep\\u2028par\\u2029"),
    ("lone\ud800", "lone\\ud800"),
    ("del\x7f", "del\\x7f"),
])
def test_control_bidi_and_invisible_characters_are_shown_escaped(text, shown):
    assert visible(text) == shown


def test_kps_own_line_breaks_can_pass():
    assert visible("a\nb\x1b", keep="\n") == "a\nb\\x1b"


@given(st.text())
def test_nothing_a_terminal_acts_on_survives(text):
    shown = visible(text)
    assert all(c in "\u200c\u200d" or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs") for c in shown)
    assert visible(shown) == shown  # escaping is done once: what is shown is printable
