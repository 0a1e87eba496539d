"""The pages' committed copies of facts kept elsewhere (`scripts/console_actions.py`, `scripts/chain_selectors.py`):
written only when their text changes, so `make` leaves an up-to-date file and its timestamp alone."""

from __future__ import annotations

from pathlib import Path


def write_if_changed(target: Path, text: str, summary: str) -> int:
    """Write `text` to `target` unless it already holds it; say which (`summary`: what was written). Exit code 0."""
    if target.exists() and target.read_text() == text:
        print(f"{target}: up to date")
        return 0
    target.write_text(text)
    print(f"wrote {target}: {summary}")
    return 0
