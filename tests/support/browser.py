"""The browser of the page tests, set up in one place: Debian's Chromium driven by Playwright (it cannot download its
own browser here), its flags, the viewports, screenshots and axe-core's accessibility check. The `browser` fixture
(tests/conftest.py) launches it."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextlib.contextmanager
def chromium(extra_args: tuple[str, ...] = ()) -> Iterator[Any]:
    """Debian's Chromium under Playwright (skips the test without Playwright, fails it without Chromium), with
    `extra_args` beside the usual flags (a fake camera, say)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make setup` installs Debian's chromium package")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, tmp_path: Path, name: str, until: str | None = None, only: str | None = None) -> None:
    """Saves a full-page screenshot (or the page from its top to the bottom of the element `until`, or the element
    `only` with a margin) in the test's folder and, when KP_SCREENSHOTS is set, there too
    (scripts/readme_screenshots.py makes the documentation's from them)."""
    clip = None
    if until is not None:
        bottom = page.eval_on_selector(until, "el => el.getBoundingClientRect().bottom + window.scrollY")
        clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": int(bottom) + 16}
    if only is not None:
        box = page.eval_on_selector(only, "el => { const r = el.getBoundingClientRect(); "
                                          "return [r.left, r.top + window.scrollY, r.width, r.height]; }")
        left, top = max(0, int(box[0]) - 8), max(0, int(box[1]) - 8)
        clip = {"x": left, "y": top, "width": int(box[2]) + 16, "height": int(box[3]) + 16}
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True, clip=clip)
    target = os.environ.get("KP_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / f"{name}.png", Path(target) / f"{name}.png")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA rules, best practices included)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the debugging protocol: the page's CSP refuses inline scripts (add_script_tag)
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]
