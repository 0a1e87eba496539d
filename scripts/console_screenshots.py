"""The README's console screenshots, made small from the ones the console test saves.

    KP_SCREENSHOTS=/tmp/shots .venv/bin/pytest -p no:ape_test tests/backend/test_console.py -k walks
    .venv/bin/python scripts/console_screenshots.py /tmp/shots

Each chosen screen is scaled to WIDTH pixels and reduced to a palette of COLOURS (text and flat colours lose
nothing visible), then written to frontend-static/console/screenshots/ with zlib's best compression; a file over
LIMIT bytes is an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "frontend-static" / "console" / "screenshots"
# the screens the README shows: an inbox with an offer, the check before signing a certificate, an authority's inbox
SCREENS = ("console-inbox-exporter", "console-confirm-certificate", "console-inbox-authority")
WIDTH = 1100
COLOURS = 64
LIMIT = 150_000


def shrink(source: Path, target: Path) -> int:
    """Writes `source` scaled and reduced to `target`; returns the size written."""
    with Image.open(source) as image:
        rgb = image.convert("RGB")
        height = round(rgb.height * WIDTH / rgb.width)
        small = rgb.resize((WIDTH, height), Image.Resampling.LANCZOS)
        reduced = small.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        reduced.save(target, optimize=True, compress_level=9)
    return target.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where KP_SCREENSHOTS had the console test save its screens")
    folder = parser.parse_args().folder
    TARGET.mkdir(parents=True, exist_ok=True)
    too_large = []
    for name in SCREENS:
        size = shrink(folder / f"{name}.png", TARGET / f"{name}.png")
        print(f"{name}.png: {size:,} bytes")
        if size > LIMIT:
            too_large.append(name)
    if too_large:
        print(f"over {LIMIT:,} bytes: {', '.join(too_large)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
