"""The documentation's screenshots (README.md and docs/pages/), made small from the ones the browser tests save.

    KP_SCREENSHOTS=/tmp/shots .venv/bin/pytest -p no:ape_test tests/pages/test_console.py -k walks
    KP_SCREENSHOTS=/tmp/shots .venv/bin/pytest -p no:ape_test tests/pages/test_console_certificates.py \
        -k "printed_pdf or 60_day"
    KP_SCREENSHOTS=/tmp/shots .venv/bin/pytest -p no:ape_test tests/queries/test_statistics.py \
        tests/certificates/test_certificates.py -k "page or phone"
    .venv/bin/python scripts/readme_screenshots.py /tmp/shots

Each chosen screen is scaled to its width, cut at its height (phone pages are long), reduced to a palette of
COLOURS (text and flat colours lose nothing visible) and written where the documentation shows it
(`docs/pages/screenshots/`), with zlib's best compression; a file over LIMIT bytes is an error. A screen whose test
was not run is left as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "pages" / "screenshots"  # the README and the pages link there
# the screens the documentation shows, each with its width and height cut (None: whole): in the console, an inbox
# with an offer, a recipient picked by name, the check of a seal and of a certificate before signing, an authority's
# inbox, a certificate's document (its particulars in the form, the composed document, a document refused before
# signing, the papers once issued); in the viewer, a participant's statistics and a certificate's verification page
# on a phone
SCREENS = {
    "console-inbox-exporter": (1100, None),
    "console-recipient-by-name": (1100, None),
    "console-confirm-seal": (1100, None),
    "console-confirm-certificate": (1100, None),
    "console-inbox-authority": (1100, None),
    "console-certificate-compose": (800, None),
    "console-certificate-document": (800, None),
    "console-certificate-mismatch": (800, None),
    "console-certificate-papers": (800, None),
    "statistics-desktop": (1000, 1180),
    "certificate-confirmed-phone": (390, 1500),
}
COLOURS = 64
LIMIT = 150_000


def shrink(source: Path, target: Path, width: int, cut: int | None) -> int:
    """Writes `source` scaled to `width`, cut at `cut` pixels high and reduced, to `target`; returns its size."""
    with Image.open(source) as image:
        rgb = image.convert("RGB")
        height = round(rgb.height * width / rgb.width)
        small = rgb.resize((width, height), Image.Resampling.LANCZOS)
        if cut is not None and cut < height:
            small = small.crop((0, 0, width, cut))
        reduced = small.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        reduced.save(target, optimize=True, compress_level=9)
    return target.stat().st_size


@click.command(help=__doc__.split("\n\n")[0])
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def main(folder: Path) -> None:
    """FOLDER: where KP_SCREENSHOTS had the browser tests save their screens."""
    too_large = []
    for name, (width, cut) in SCREENS.items():
        if not (folder / f"{name}.png").exists():  # its test was not run: the docs keep the image they have
            print(f"{name}.png: not in {folder}, kept as it is", file=sys.stderr)
            continue
        TARGET.mkdir(parents=True, exist_ok=True)
        size = shrink(folder / f"{name}.png", TARGET / f"{name}.png", width, cut)
        print(f"{name}.png: {size:,} bytes")
        if size > LIMIT:
            too_large.append(name)
    if too_large:
        print(f"over {LIMIT:,} bytes: {', '.join(too_large)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
